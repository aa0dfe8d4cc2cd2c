"""Why the methods part ways: each case triggered, and the explanation's reason asserted."""

from __future__ import annotations

import math

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.errors import InputError


def _reasons(e: dx.Explanation, v: str = "x") -> str:
    return " | ".join(map(str, e.verdict.comparisons[v].reasons))


def test_kink_relu_subgradient_vs_heaviside():
    e = dx.explain("relu(x)", at={"x": 0})
    c = e.verdict.comparisons["x"]
    assert (c.symbolic, c.autograd) == (0.5, 0.0) and not e.agree
    assert "kink: y = relu(x) at x = 0" in _reasons(e)
    assert "H(0) = 1/2" in _reasons(e) and "subgradient 0" in _reasons(e)


def test_kink_abs_sign_of_zero():
    e = dx.explain("abs(x)", at={"x": 0})
    assert e.verdict.comparisons["x"].autograd == 0.0
    assert "kink: y = abs(x) at x = 0" in _reasons(e) and "sign(0) = 0" in _reasons(e)


def test_outside_the_domain_log_of_negative():
    e = dx.explain("log(x)", at={"x": -1})
    assert math.isnan(e.value) and not e.agree
    assert "outside the domain: y = log(x) is nan at x = -1 (domain: u > 0)" in _reasons(e)
    assert "derivative is undefined" in _reasons(e)


def test_edge_of_the_domain_sqrt_of_zero():
    e = dx.explain("sqrt(x)", at={"x": 0})
    c = e.verdict.comparisons["x"]
    assert c.symbolic == math.inf and c.autograd == math.inf and c.state == "not_differentiable"
    assert "infinite_slope" in c.codes and "fd_adapted" in c.codes
    # x − h is outside the domain: the difference is made one-sided, and says so
    assert "one-sided (forward) difference" in _reasons(e)
    assert "the edge of the domain" in _reasons(e)


def test_float32_round_off_against_float64():
    e = dx.explain("sin(x)*exp(x)", at={"x": 0.3}, dtype="float32")
    assert e.agree  # within float32's tolerance, and the gap is stated
    assert "float32 round-off: autograd in float32 is" in _reasons(e)
    assert "float32 round-off" not in _reasons(dx.explain("sin(x)*exp(x)", at={"x": 0.3}))


def test_cancellation_for_a_tiny_step():
    e = dx.explain("x**3", at={"x": 1}, step=1e-12)
    c = e.verdict.comparisons["x"]
    assert not c.agree and abs(c.numeric - 3) > 1e-6
    assert "cancellation in finite differences: with h = 1e-12" in _reasons(e)
    assert "eps·|f|/h" in _reasons(e)
    assert dx.explain("x**3", at={"x": 1}).agree  # the default step is fine


def test_truncation_for_a_huge_step():
    e = dx.explain("x**3", at={"x": 1}, step=0.5)
    assert e.verdict.comparisons["x"].numeric == 3.25
    assert "truncation in finite differences: h = 0.5" in _reasons(e)


def test_step_is_validated_and_reachable_from_the_cli(capsys):
    with pytest.raises(InputError, match="positive number"):
        dx.explain("x**3", at={"x": 1}, step=-1.0)
    assert main(["explain", "x**3", "--at", "x=1", "--step", "1e-12", "--check"]) == 1
    assert "cancellation in finite differences" in capsys.readouterr().out
