"""The Python API: sympy input, big graphs, dtypes, several outputs, reasons."""

from __future__ import annotations

import math

import pytest
import sympy as sp

import diffexplain as dx
from diffexplain import InputError


def test_sympy_expression_builds_the_same_graph():
    x, w = sp.symbols("x w")
    e = dx.explain((x + w) * (w + 1), at={"w": 1, "x": 2})
    assert e.gradient == {"w": 5.0, "x": 2.0}
    assert [n.op for n in e.nodes].count("add") == 2


def test_sympy_with_quotients_and_functions():
    x = sp.Symbol("x")
    e = dx.explain(sp.sin(x) / (1 + x**2) - sp.sqrt(x), at={"x": 0.7})
    want = float(sp.diff(sp.sin(x) / (1 + x**2) - sp.sqrt(x), x).subs(x, 0.7))
    assert e.gradient["x"] == pytest.approx(want, rel=1e-12)
    assert e.verdict.agree


def test_big_sum_uses_reverse_accumulation_without_closed_form():
    terms = " + ".join(f"sin(w*{k} + x)*exp(-y*{k}/300)" for k in range(1, 301))
    e = dx.explain(terms, at={"w": 0.3, "x": 0.2, "y": 0.1})
    assert len(e.nodes) > 1000
    d = e.derivations["w"]
    assert d.method == "reverse accumulation" and d.closed_form is None
    want = sum(k * math.cos(0.3 * k + 0.2) * math.exp(-0.1 * k / 300) for k in range(1, 301))
    assert e.gradient["w"] == pytest.approx(want, rel=1e-10)
    assert e.verdict.agree


def test_float32_states_round_off():
    e = dx.explain("exp(x)*sin(x)", at={"x": 1.3}, dtype="float32")
    c = e.verdict.comparisons["x"]
    assert c.agree
    assert any("float32 round-off" in r for r in c.reasons)
    assert e.verdict.tolerance.rtol == 1e-4


@pytest.mark.parametrize(("expr", "at", "reason"), [
    ("relu(x)", {"x": 0}, "kink"),
    ("abs(x)*2", {"x": 0}, "kink"),
    ("log(x)", {"x": -1}, "outside the domain"),
    ("sqrt(x)", {"x": 0}, "the derivative is inf"),
])
def test_disagreements_are_explained(expr, at, reason):
    e = dx.explain(expr, at=at)
    reasons = " ".join(str(r) for c in e.verdict.comparisons.values() for r in c.reasons)
    assert reason in reasons


def test_several_outputs_are_a_weighted_sum():
    prog = "y0 = (x+w)*(w+1); y1 = (x+w)+(w+1)"
    e = dx.explain(prog, at={"w": 1, "x": 2}, outputs=["y0", "y1"])
    assert e.gradient == {"w": 7.0, "x": 3.0}
    e = dx.explain(prog, at={"w": 1, "x": 2}, outputs=["y0", "y1"], weights=[1, 2])
    assert e.gradient == {"w": 9.0, "x": 4.0}
    assert e.verdict.comparisons["w"].autograd == 9.0


def test_input_errors():
    with pytest.raises(InputError, match="not a variable"):
        dx.explain("x*x", at={"x": 1}, wrt="q")
    with pytest.raises(InputError, match="dtype"):
        dx.explain("x*x", at={"x": 1}, dtype="float16")
    with pytest.raises(InputError, match="allow_nonfinite"):
        dx.explain("x*x", at={"x": float("nan")})


def test_deep_chain_explained_without_recursion_error():
    text = "x"
    for k in range(1000):
        text = f"sin({text} + w)" if k % 2 == 0 else f"({text})*w + 1"
    e = dx.explain(text, at={"x": 0.1, "w": 0.9})
    assert len(e.nodes) > 1000
    assert e.verdict.agree
    assert e.derivations["w"].method == "reverse accumulation"


def test_renderers_are_strings():
    e = dx.explain("x*sin(x)", at={"x": 1})
    assert "\\frac{\\partial y}{\\partial x}" in e._repr_latex_()
    assert "<table>" in e._repr_html_()
    assert e._repr_markdown_().startswith("## ")
    assert str(e) == e.to_text()
