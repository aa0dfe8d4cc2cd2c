"""Issue 14: the exact witness and an honest verdict at the points where the lesson lives.

Every case is checked against an independent oracle: mpmath's own numerical derivative at
50 digits of a function written here in mpmath (``mp.diff``, one-sided at kinks), never
diffexplain's code.
"""

from __future__ import annotations

import json
import math

import mpmath as mp
import pytest

import diffexplain as dx
from diffexplain.cli import main


def oracle(f, x: float, direction: int = 0) -> mp.mpf:
    """f'(x) at 50 digits, with the point as the binary float the methods see."""
    with mp.workdps(50):
        return mp.diff(f, mp.mpf(x), direction=direction)


def rel(a: float | str, b: mp.mpf) -> float:
    with mp.workdps(50):
        a = mp.mpf(a)
        return float(abs(a - b) / max(abs(b), mp.mpf(10) ** -300))


def codes(e: dx.Explanation, v: str = "x") -> tuple[str, ...]:
    return e.verdict.comparisons[v].codes


def exact_of(e: dx.Explanation, v: str = "x") -> str:
    c = e.verdict.comparisons[v]
    assert c.exact is not None
    return c.exact.text


# --- the symbolic value is exact ------------------------------------------------------------
@pytest.mark.parametrize("x", [800.0, 1000.0])
def test_softplus_far_right_is_one(x):
    e = dx.explain("softplus(x)", at={"x": x})
    assert rel(exact_of(e), oracle(lambda t: mp.log(1 + mp.exp(t)), x)) < 1e-25
    assert e.gradient["x"] == 1.0 and e.verdict.state == "agree"


def test_power_at_zero_base():
    e = dx.explain("x**y", at={"x": 0, "y": 2})
    assert e.gradient == {"x": 0.0, "y": 0.0} and e.agree
    assert abs(oracle(lambda t: t**2, 0.0)) < 1e-40


def test_logistic_at_800_underflows_exactly():
    e = dx.explain("exp(x)/(1+exp(x))", at={"x": 800})
    # eˣ/(1 + eˣ) = 1 − 1/(1 + eˣ): the same function, written without cancellation for mp.diff
    want = oracle(lambda t: -1 / (1 + mp.exp(t)), 800.0)
    assert rel(exact_of(e), want) < 1e-25 and 0 < want < mp.mpf("1e-347")
    assert e.verdict.state == "disagree"
    assert {"overflow", "derivative_underflow"} <= set(codes(e))
    assert "domain" not in codes(e)  # exp(800) is a real number: not outside the domain
    d = e.to_dict()["gradient"]["x"]["exact"]
    assert d["outside_float64"] == "underflow" and d["decimal"].startswith("3.667874584177")


def test_log_sigmoid_underflow_is_not_a_domain_error():
    e = dx.explain("log(sigmoid(x))", at={"x": -800})
    assert rel(exact_of(e), oracle(lambda t: mp.log(1 / (1 + mp.exp(-t))), -800.0)) < 1e-25
    assert "underflow" in codes(e) and "domain" not in codes(e)
    r = next(r for r in e.verdict.comparisons["x"].reasons if r.code == "underflow")
    assert r.args["node"] == "a" and r.args["exact"].startswith("3.6678745841")


def test_exp_710_overflows():
    e = dx.explain("exp(x)", at={"x": 710})
    assert rel(exact_of(e), oracle(mp.exp, 710.0)) < 1e-25
    assert {"overflow", "derivative_overflow"} <= set(codes(e)) and "domain" not in codes(e)
    assert e.to_dict()["gradient"]["x"]["exact"]["outside_float64"] == "overflow"


@pytest.mark.parametrize(("expr", "x", "f"), [
    ("(x+1)**2 - x**2", 1e17, lambda t: (t + 1) ** 2 - t**2),
    ("(exp(x) - 1)/x", 1e-9, lambda t: (mp.exp(t) - 1) / t),
    ("1e6*((1+x)**2 - 2*x)", 1e-8, lambda t: 10**6 * ((1 + t) ** 2 - 2 * t)),
    ("1e20*(sqrt(x**2+1) - x)", 1e8, lambda t: mp.mpf(10) ** 20 * (mp.sqrt(t**2 + 1) - t)),
    ("1e-13*((x+1)**2 - x**2)", 1e17, lambda t: mp.mpf(10) ** -13 * ((t + 1) ** 2 - t**2)),
])
def test_ill_conditioning_is_a_lesson_not_an_internal_error(expr, x, f, capsys):
    e = dx.explain(expr, at={"x": x})
    assert rel(exact_of(e), oracle(f, x)) < 1e-20
    c = e.verdict.comparisons["x"]
    if not e.agree:  # never ✓ with a wrong value, and the cause is named with evidence
        assert "cancellation" in c.codes
        r = next(r for r in c.reasons if r.code == "cancellation")
        assert float(r.args["kappa"]) > 1e6
    else:  # within the stated floor rtol·|f|/max(1,|x|); the digits lost are still named
        assert rel(c.autograd, oracle(f, x)) < 1e-9 or "cancellation" in c.codes
    assert main(["explain", expr, "--at", f"x={x!r}"]) == 0
    capsys.readouterr()


def test_false_agreements_are_gone():
    e = dx.explain("1e20*(sqrt(x**2+1) - x)", at={"x": 1e8})
    assert abs(e.gradient["x"] + 5000) < 1e-9 and not e.agree
    e = dx.explain("1e-13*((x+1)**2 - x**2)", at={"x": 1e17})
    assert not e.agree and e.gradient["x"] == 2e-13
    e = dx.explain("tan(x**4)**(-0.5)", at={"x": 10})
    c = e.verdict.comparisons["x"]
    want = oracle(lambda t: mp.tan(t**4) ** -0.5, 10.0)
    assert rel(exact_of(e), want) < 1e-20
    # finite differences either resolve the slope or the verdict is not ✓
    assert not e.agree or rel(c.numeric, want) < 1e-5


# --- kinks -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("expr", "x", "left", "right"), [
    ("abs(x)", 0, -1, 1), ("abs(x) + x", 0, 0, 2), ("sqrt(x**2)", 0, -1, 1),
    ("abs(log(x))", 1, -1, 1),
])
def test_kinks_are_not_differentiable(expr, x, left, right, capsys):
    e = dx.explain(expr, at={"x": x})
    assert e.verdict.state == "not_differentiable" and not e.agree
    r = next(r for r in e.verdict.comparisons["x"].reasons if r.code == "one_sided")
    assert float(r.args["left"]) == left and float(r.args["right"]) == right
    assert main(["explain", expr, "--at", f"x={x}", "--check"]) == 1
    assert "✓" not in capsys.readouterr().out.splitlines()[-1]


@pytest.mark.parametrize("expr", ["abs(x)**3", "x**2*abs(x)", "(x**2)**1.5", "relu(x)*x"])
def test_kinks_that_do_no_harm(expr, capsys):
    e = dx.explain(expr, at={"x": 0})
    assert e.gradient["x"] == 0 and e.verdict.state == "agree"
    assert abs(oracle(lambda t: abs(t) ** 3, 0.0, 1)) < 1e-30
    assert main(["explain", expr, "--at", "x=0", "--check"]) == 0
    capsys.readouterr()


def test_relu_times_x_names_the_harmless_kink():
    e = dx.explain("relu(x)*x", at={"x": 0})
    assert "kink_smooth" in codes(e) and "kink" not in codes(e)


def test_infinite_slope_at_the_domain_edge():
    e = dx.explain("abs(sqrt(x))", at={"x": 0})
    assert e.verdict.state == "not_differentiable" and "infinite_slope" in codes(e)


@pytest.mark.parametrize("expr", ["relu(x)*x", "abs(x)", "abs(x)**3", "x*relu(x - 1)"])
@pytest.mark.parametrize("opt", [{"order": 2}, {"order": 3}, {"hessian": True}])
def test_higher_orders_over_kinks_do_not_crash(expr, opt):
    for x in (0.0, 1.0, -0.5):
        e = dx.explain(expr, at={"x": x}, **opt)
        assert e.verdict.state in ("agree", "not_differentiable", "disagree", "inconclusive")


def test_no_line_is_checked_as_inf():
    e = dx.explain("x*0.532**0.001", at={"x": 1})
    with mp.workdps(50):
        want = mp.mpf("0.532") ** mp.mpf("0.001")
    assert e.agree and rel(exact_of(e), want) < 1e-25
    assert all("inf" not in line.text for d in e.derivations.values() for line in d.lines)


# --- finite differences adapt ----------------------------------------------------------------
def test_log_near_zero_shrinks_the_step():
    e = dx.explain("log(x)", at={"x": 1e-10})
    c = e.verdict.comparisons["x"]
    assert e.agree and "fd_adapted" in c.codes and rel(c.numeric, oracle(mp.log, 1e-10)) < 1e-6
    assert e.numeric_steps["x"] < 1e-10


def test_step_across_a_kink_is_shrunk():
    e = dx.explain("abs(x - 1e-7)", at={"x": 0})
    c = e.verdict.comparisons["x"]
    assert c.numeric == pytest.approx(-1.0, rel=1e-6) and "fd_adapted" in c.codes


# --- verdict line and JSON -------------------------------------------------------------------
def test_verdict_states_the_tolerances_and_the_floor():
    e = dx.explain("(x+w)*(w+1)", at={"w": 1, "x": 2})
    assert "rtol 1e-09" in e.verdict.summary and "absolute floor" in e.verdict.summary
    d = json.loads(e.to_json())
    assert d["verdict"]["state"] == "agree" and d["gradient"]["w"]["exact"]["decimal"] == "5"
    assert d["gradient"]["w"]["exact"]["exact"] is True


def test_reasons_render_in_either_language():
    e = dx.explain("exp(x)", at={"x": 710})
    r = next(r for r in e.verdict.comparisons["x"].reasons if r.code == "overflow")
    from diffexplain.i18n import use_lang

    with use_lang("zh"):
        assert "上溢" in str(r)
    with use_lang("en"):
        assert str(r).startswith("overflow: y = exp(x) is 2.233994766")


def test_undefined_is_its_own_state():
    e = dx.explain("log(x)", at={"x": -1})
    assert e.verdict.state == "undefined" and "domain" in codes(e)


# --- constant graphs -------------------------------------------------------------------------
@pytest.mark.parametrize("opts", [[], ["--hessian"], ["--jacobian"], ["--tensors"],
                                  ["--order", "2"], ["--format", "json"], ["--check"],
                                  ["--mode", "forward"]])
def test_constant_graphs_have_nothing_to_differentiate(opts, capsys):
    assert main(["explain", "2*3", *opts]) == 2
    err = capsys.readouterr().err
    assert "nothing to differentiate" in err and err.count("\n") == 1


def test_tolerance_policy_is_one_function():
    from diffexplain.compare import close

    assert close(1.0, 1.0 + 1e-12) and not close(2e-13, 0.0, scale=2e-13)
    assert close(math.nan, math.nan) and not close(math.inf, 1e308)
    assert close(1.0, 1.00001, "float32") and not close(1.0, 1.00001)
