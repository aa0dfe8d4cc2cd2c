"""dx.check: each mistake class built as a slip on a real example, no false alarms, outputs."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import diffexplain as dx
from diffexplain.errors import InputError

E1 = "(x+w)*(w+1)"
AT1 = {"w": 1, "x": 2}


def test_issue_example():
    r = dx.check(E1, wrt="w", steps=["b*1 + a*1", "b + a", "2*w + x"], at=AT1)
    assert r.first_error == 2
    assert [s.ok for s in r.steps] == [True, True, False]
    assert r.steps[0].method == "sympy"
    assert "it is 4, but ∂y/∂w = 5" in r.steps[2].reason
    assert r.mistake.code == "constant"
    assert "drops the constant 1 from b = w + 1" in r.steps[2].reason


def test_slip_carried_on_is_consistent():
    r = dx.check(E1, wrt="w", steps="b*1 + a*1; b + a; (w+1) + (x+w); 2*w + x; 4", at=AT1)
    assert r.first_error == 3
    last = r.steps[4]
    assert not last.ok and last.follows and last.method == "value"
    assert last.reason == "consistent with step 4: the slip is carried on correctly"


def test_printed_derivation_with_partials_adjoints_and_unicode_is_right():
    steps = ("∂y/∂a·∂a/∂w + ∂y/∂b·∂b/∂w = b·1 + a·1 = b + a = (w + 1) + (x + w) = 2w + x + 1"
             " = 2·1 + 2 + 1 = 5; dy/da*da/dw + dy/db*db/dw; ā·1 + b̄·1; adj(w); 5.0")
    r = dx.check(E1, wrt="w", steps=steps, at=AT1)
    assert r.ok, [(s.expr, s.reason) for s in r.steps]
    assert [s.method for s in r.steps[:5]] == ["sympy"] * 5
    assert r.steps[6].method == "value"


def test_unsimplified_and_rounded_answers_are_right():
    r = dx.check("sin(x**2)", steps="2*x*cos(x*x) + 0*x; x*cos(x²)*2; 0.97", at={"x": 0.5})
    assert r.ok, [(s.expr, s.reason) for s in r.steps]
    assert "2 decimals written" in r.steps[2].reason
    assert not dx.check("sin(x**2)", steps="0.95", at={"x": 0.5}).ok


@pytest.mark.parametrize(("expr", "at", "steps", "code", "index", "reason"), [
    # a chain-rule path left out: only ∂y/∂a·∂a/∂w kept
    (E1, AT1, ["b*1 + a*1", "b"], "product-rule", 1, "path w → b → y (∂y/∂b·∂b/∂w = a)"),
    # product rule: derivatives multiplied, and a factor lost
    ("x*sin(x)", {"x": 1.2}, ["cos(x)"], "product-rule", 0, "multiplies the derivatives"),
    ("x**2*exp(x)", {"x": 0.7}, ["2*x*exp(x) + exp(x)"], "product-rule", 0, "loses a factor"),
    # quotient rule in the wrong order
    ("sin(x)/x", {"x": 1.3}, ["(sin(x) - x*cos(x))/x**2"], "quotient-rule", 0, "wrong order"),
    # d sin(u) written as cos(u)
    ("sin(x**2)", {"x": 1.0}, ["cos(x**2)"], "chain-rule", 0,
     "left out the factor ∂a/∂x = 2x"),
    # d cos = sin
    ("cos(x**2)", {"x": 1.0}, ["2*x*sin(x**2)"], "sign", 0, "d cos(u) = −sin(u)·u'"),
    ("x**2 - exp(x)", {"x": 0.4}, ["2x + exp(x)"], "sign", 0, "derivative of a difference"),
    # the power rule off by one
    ("(x+1)**3", {"x": 0.5}, ["3*(x+1)**3"], "power-rule", 0, "exponent was not lowered"),
    # a constant kept
    ("x**2 + 5", {"x": 2}, ["2*x + 5"], "constant", 0, "keeps the constant 5"),
    ("3*sin(x)", {"x": 0.2}, ["cos(x)"], "constant", 0, "drops the constant factor 3"),
    # the table of confusions
    ("exp(-x)", {"x": 0.3}, ["exp(-x)"], "wrong-table-derivative", 0, "d exp(−u) as exp(−u)"),
    ("sigmoid(x)", {"x": 0.3}, ["sigmoid(x)*(1 - x)"], "wrong-table-derivative", 0,
     "σ(u)·(1 − u)"),
    ("tanh(2*x)", {"x": 0.3}, ["2*(1 + tanh(2x)^2)"], "wrong-table-derivative", 0,
     "1 + tanh²(u)"),
    ("log(x**2+1)", {"x": 0.8}, ["2*x*exp(x**2+1)"], "wrong-table-derivative", 0,
     "the inverse function"),
])
def test_each_mistake_class(expr, at, steps, code, index, reason):
    r = dx.check(expr, wrt=next(iter(at)), steps=steps, at=at)
    assert r.first_error == index
    assert r.mistake is not None and r.mistake.code == code, r.mistake
    assert reason in r.steps[index].reason, r.steps[index].reason
    assert r.mistake.sentence.startswith(f"Step {index + 1} ")


def test_unknown_mistake_shows_difference_and_values():
    r = dx.check(E1, wrt="w", steps=["7*w"], at=AT1)
    assert r.first_error == 0 and r.mistake.code == "unknown"
    assert "differs from ∂y/∂w = 2w + x + 1 by 5w - x - 1" in r.mistake.sentence
    assert "7 instead of 5" in r.mistake.sentence


def test_unknown_name_is_a_wrong_step_and_bad_text_is_bad_input():
    r = dx.check(E1, wrt="w", steps=["b + z"], at=AT1)
    assert not r.ok and r.steps[0].method == "none" and "'z'" in r.steps[0].reason
    with pytest.raises(InputError, match=r"step 2 \('b \+ \(a'\)"):
        dx.check(E1, wrt="w", steps=["b", "b + (a"], at=AT1)
    with pytest.raises(InputError, match="quotes are not part of the notation"):
        dx.check(E1, wrt="w", steps=["__import__('os')"], at=AT1)
    with pytest.raises(InputError, match="say which variable"):
        dx.check(E1, steps=["b"], at=AT1)


def test_json_contract():
    r = dx.check(E1, wrt="w", steps=["b*1 + a*1", "b"], at=AT1)
    d = json.loads(r.to_json())
    assert d["first_error"] == 1
    assert set(d["steps"][0]) >= {"expr", "ok", "method", "reason"}
    assert d["mistake"]["code"] == "product-rule"
    assert d["correct"]["lines"][1]["text"] == "b·1 + a·1"
    assert d["correct"]["value"] == 5.0


def test_markdown_and_latex():
    r = dx.check(E1, wrt="w", steps=["b*1 + a*1", "b"], at=AT1)
    md = r.to_markdown()
    assert "| ✗ 2 | $b$ | numeric |" in md and "**Mistake (`product-rule`):**" in md
    tex = r.to_latex()
    assert r"\item[$\checkmark$ 1.] $b \cdot 1 + a \cdot 1$" in tex
    assert r"\begin{aligned}" in tex


def test_cli_exit_codes(capsys, tmp_path):
    from diffexplain.cli import main

    assert main(["check", E1, "--wrt", "w", "--steps", "b + a; 2w + x + 1", "--at", "w=1,x=2"]) == 0
    assert "✓ all 2 steps are right" in capsys.readouterr().out
    assert main(["check", E1, "--wrt", "w", "--steps", "b*1 + a*1; b + a; (w+1) + (x+w); "
                 "2*w + x; 4", "--at", "w=1,x=2", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["first_error"] == 3
    assert main(["check", E1, "--wrt", "w", "--steps", "b +", "--at", "w=1,x=2"]) == 2
    assert capsys.readouterr().err.startswith("diffexplain: error: step 1")


def test_cli_homework_file(run_cli, tmp_path):
    hw = tmp_path / "hw.md"
    hw.write_text("# HW\n## 1\nexpression: (x+w)*(w+1)\nwrt: w\nat: w=1, x=2\n- b + a\n\n"
                  "## 2\nexpression: sin(x**2)\nat: x=1\nSome prose.\n= cos(x^2)\n",
                  encoding="utf-8")
    out = run_cli("check", str(hw), "--format", "json")
    assert out.returncode == 1, out.stderr
    got = json.loads(out.stdout)
    assert [g["id"] for g in got["exercises"]] == ["1", "2"]
    assert [g["result"]["ok"] for g in got["exercises"]] == [True, False]
    assert got["exercises"][1]["result"]["mistake"]["code"] == "chain-rule"
    assert got["summary"].startswith("1 of 2 exercises right")
    text = run_cli("check", str(hw)).stdout
    assert text.index("── 1 ") < text.index("── 2 ") and "1 of 2 exercises right" in text


# --- no false alarms: diffexplain's own derivations are always accepted ----------------------
LEAF = st.sampled_from(["x", "w", "0.5", "2", "3"])


def _unary(u, kind):
    return {"sin": f"sin({u})", "cos": f"cos({u})", "tanh": f"tanh({u})",
            "exp": f"exp({u}/4)", "sigmoid": f"sigmoid({u})", "atan": f"atan({u})",
            "log": f"log(1 + ({u})**2)", "sqrt": f"sqrt(2 + sin({u}))", "sq": f"({u})**2",
            "neg": f"-({u})"}[kind]


def _binary(a, b, kind):
    return {"+": f"({a}) + ({b})", "-": f"({a}) - ({b})", "*": f"({a})*({b})",
            "/": f"({a})/(2 + cos({b}))"}[kind]


EXPR = st.recursive(LEAF, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["sin", "cos", "tanh", "exp", "sigmoid", "atan", "log",
                                      "sqrt", "sq", "neg"])).map(lambda t: _unary(*t)),
    st.tuples(inner, inner, st.sampled_from(["+", "-", "*", "/"])).map(lambda t: _binary(*t))),
    max_leaves=5)
EIGHTHS = st.integers(-10, 10).map(lambda k: k / 8)


# no shrinking phase: each example explains and checks (~0.5 s), shrinking would take minutes
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(EXPR, EIGHTHS, EIGHTHS, st.sampled_from(["text", "ascii", "latex"]))
def test_printed_derivations_are_accepted(expr, xv, wv, form):
    g = dx.parse(expr)
    assume(g.variables)
    at = {v: {"x": xv, "w": wv}[v] for v in g.variables}
    e = dx.explain(g, at=at, autograd=False, numeric_check=False)
    for v, d in e.derivations.items():
        assume(math.isfinite(d.value) and abs(d.value) < 1e6)
        steps = [getattr(line, form) for line in d.lines]
        r = dx.check(expr, wrt=v, steps=steps, at=at)
        assert r.ok, (expr, at, v, [(s.expr, s.reason) for s in r.steps if not s.ok])


def test_hostile_steps_end_cleanly():
    from diffexplain.errors import LimitExceeded

    with pytest.raises(LimitExceeded, match="step 1: the step is nested deeper than 80"):
        dx.check("x**2", steps=["sin(" * 200 + "x" + ")" * 200], at={"x": 1})
    with pytest.raises(LimitExceeded, match="step 1: the step has more than 1000 nodes"):
        dx.check("x**2", steps=["+".join(["x"] * 1500)], at={"x": 1})
    with pytest.raises(LimitExceeded, match="exponent"):
        dx.check("x**2", steps=["x**9**9**9"], at={"x": 1})
    r = dx.check("x**2", steps=["(x+1)**999"], at={"x": 1})  # not expanded: 1,000 terms
    assert r.mistake.code == "unknown" and len(r.mistake.sentence) < 400
