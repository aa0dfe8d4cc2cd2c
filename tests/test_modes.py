"""Evaluation traces of forward and reverse mode, pass counts, and the Jacobian by both modes."""

from __future__ import annotations

import json
import math

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.core.parsing import parse
from diffexplain.methods.jacobian import jacobian
from diffexplain.methods.modes import trace

# the classic example of the AD literature (Baydin et al. 2018, table 2 and 3)
CLASSIC = "log(x1) + x1*x2 - sin(x2)"
CLASSIC_AT = {"x1": 2.0, "x2": 5.0}
E1, E1_AT = "(x+w)*(w+1)", {"w": 1.0, "x": 2.0}
E3 = "y0 = (x+w)*(w+1); y1 = (x+w)+(w+1)"


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name,expr,at", [("classic", CLASSIC, CLASSIC_AT), ("E1", E1, E1_AT)])
def test_trace_text_goldens(golden, mode, name, expr, at):
    golden(f"trace_{name}_{mode}.txt", trace(parse(expr), at, mode).to_text())


def test_trace_markdown_and_latex_goldens(golden):
    t = trace(parse(E1), E1_AT, "reverse")
    golden("trace_E1_reverse.md", t.to_markdown())
    golden("trace_E1_forward.tex", trace(parse(E1), E1_AT, "forward").to_latex())


def test_classic_primal_values_match_the_literature():
    t = trace(parse(CLASSIC), CLASSIC_AT, "reverse")
    values = {r.var: r.value for r in t.primal}
    assert values["v₋₁"] == 2.0 and values["v₀"] == 5.0
    assert values["v₁"] == pytest.approx(math.log(2))
    assert t.primal[-1].value == pytest.approx(11.652, abs=1e-3)


def test_classic_gradient_both_modes():
    fw = trace(parse(CLASSIC), CLASSIC_AT, "forward")
    rv = trace(parse(CLASSIC), CLASSIC_AT, "reverse")
    want = {"x1": 5.5, "x2": 2 - math.cos(5)}
    assert [p.result["y"] for p in fw.passes] == pytest.approx([want["x1"], want["x2"]])
    assert rv.passes[0].result == pytest.approx(want)
    # the literature's seeds: ẋ₁ = 1 for the first tangent pass, ȳ = 1 for the adjoint pass
    assert fw.passes[0].seed.startswith("x\u03071 = 1")
    assert rv.passes[0].seed == "y\u0304 = 1"


def test_pass_counts_one_per_input_forward_one_per_output_reverse():
    g1 = parse(E1)
    assert trace(g1, E1_AT, "forward").pass_count == 2
    assert trace(g1, E1_AT, "reverse").pass_count == 1
    g3 = parse(E3, outputs=["y0", "y1"])
    assert trace(g3, E1_AT, "reverse").pass_count == 2
    three = parse("x*y*z")
    t = trace(three, {"x": 1, "y": 2, "z": 3}, "forward")
    assert t.pass_count == 3 and "3 inputs (x, y, z) → 3 passes" in t.summary()


def test_tangent_rows_read_like_the_chain_rule():
    t = trace(parse(E1), E1_AT, "forward")
    last = t.passes[0].rows[-1]
    assert (last.var, last.formula, last.values, last.value) == (
        "v̇₃", "v̇₁·v₂ + v̇₂·v₁", "1·2 + 1·3", 5.0)
    rv = trace(parse(E1), E1_AT, "reverse")
    w = next(r for r in rv.passes[0].rows if r.node == "w")
    assert (w.formula, w.values, w.value) == ("v̄₁ + v̄₂", "2 + 3", 5.0)


@pytest.mark.parametrize("expr,at", [
    ("sin(x)*exp(-x) + x**3/y", {"x": 0.5, "y": 2.0}),
    ("sqrt(x*x + y*y) - atan(y/x)", {"x": 1.5, "y": -0.5}),
    ("x*x*x - 2**x", {"x": 1.25}),
])
def test_both_modes_agree_with_torch(expr, at):
    from diffexplain.methods.autograd import run

    g = parse(expr)
    want = run(g, at, g.variables).gradient
    fw, rv = trace(g, at, "forward"), trace(g, at, "reverse")
    out = rv.outputs[0]
    for k, v in enumerate(fw.inputs):
        assert fw.passes[k].result[out] == pytest.approx(want[v], rel=1e-12)
        assert rv.passes[0].result[v] == pytest.approx(want[v], rel=1e-12)


def test_explanation_trace_method():
    e = dx.explain(E1, at=E1_AT, numeric_check=False)
    assert e.trace("reverse").passes[0].result == e.gradient
    assert [p.result["y"] for p in e.trace("forward").passes] == [5.0, 2.0]


def test_the_explanation_keeps_its_graph():
    g = parse(E1)
    e = dx.explain(E1, at=E1_AT, autograd=False, numeric_check=False)
    h, point, wrt = e.scalar_graph()
    assert h is e.graph and dict(point) == E1_AT and wrt == ("w", "x")
    assert [(n.name, n.op, n.inputs) for n in h.nodes] == [(n.name, n.op, n.inputs)
                                                            for n in g.nodes]


def test_jacobian_of_e3_by_every_method():
    j = jacobian(parse(E3, outputs=["y0", "y1"]), E1_AT)
    want = ((5.0, 2.0), (2.0, 1.0))
    assert j.forward == want and j.reverse == want
    assert j.torch == want and j.symbolic_value == want
    assert j.symbolic == (("2w + x + 1", "w + 1"), ("2", "1"))
    assert (j.forward_passes, j.reverse_passes) == (2, 2)
    assert j.agree
    assert "✓ all methods agree" in j.to_text()


def test_long_trace_is_shortened():
    expr = " + ".join(f"sin(x*{k})" for k in range(1, 60))
    t = trace(parse(expr), {"x": 0.3}, "reverse")
    text = t.to_text()
    assert "more rows" in text
    assert len(text.splitlines()) < 220


def test_unknown_mode_is_an_input_error():
    with pytest.raises(dx.InputError):
        trace(parse(E1), E1_AT, "sideways")


def test_cli_mode_and_jacobian(capsys):
    assert main(["explain", E1, "--at", "w=1,x=2", "--mode", "forward"]) == 0
    out = capsys.readouterr().out
    assert "Forward tangent trace, pass 2 of 2" in out and "Verdict ✓" in out
    assert main(["explain", E3, "--outputs", "y0,y1", "--at", "w=1,x=2", "--jacobian",
                 "--mode", "reverse", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["trace"]["pass_count"] == 2
    assert d["jacobian"]["torch"] == [[5.0, 2.0], [2.0, 1.0]]
    assert main(["explain", E1, "--at", "w=1,x=2", "--mode", "reverse", "-f", "latex"]) == 0
    assert r"\bar{v}_{-1}" in capsys.readouterr().out
