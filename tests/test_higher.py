"""E4 on real torch: the create_graph chain of higher derivatives, and Hessians."""

from __future__ import annotations

import json

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.limits import Limits


def _orders(e: dx.Explanation, v: str = "x") -> list[dict]:
    return e.extras["higher_order"]["variables"][v]["orders"]


def test_e4_power_first_grad_carries_mulbackward():
    e = dx.explain("x**2", at={"x": 3}, order=2)
    first, second = _orders(e)
    assert (first["value"], first["autograd"]) == (6.0, 6.0)
    assert (second["value"], second["autograd"]) == (2.0, 2.0)
    assert first["grad_fn"] == "MulBackward0" and first["requires_grad"]
    assert second["grad_fn"] is None
    assert first["symbolic"] == "2x" and second["symbolic"] == "2"
    assert e.node("y").grad_fn == "PowBackward0"


def test_e4_product_first_grad_carries_addbackward():
    first, second = _orders(dx.explain("x*x", at={"x": 3}, order=2))
    assert first["grad_fn"] == "AddBackward0"
    assert (first["autograd"], second["autograd"]) == (6.0, 2.0)


def test_third_order_and_beyond_the_last_nonzero():
    rows = _orders(dx.explain("x**4 + exp(x)", at={"x": 0.7}, order=3))
    assert all(r["agree"] for r in rows)
    rows = _orders(dx.explain("x**2", at={"x": 3}, order=4))
    assert [r["autograd"] for r in rows] == [6.0, 2.0, 0.0, 0.0]
    assert "nothing left to differentiate" in rows[3]["note"]


def test_order_is_validated_against_the_limits():
    with pytest.raises(LimitExceeded, match="derivative order 11 exceeds the limit of 10"):
        dx.explain("x**2", at={"x": 3}, order=11)
    e = dx.explain("x**12", at={"x": 1}, order=11, limits=Limits(max_order=12))
    assert _orders(e)[-1]["value"] == _orders(e)[-1]["autograd"] == 479001600.0  # 12!/1!
    with pytest.raises(InputError, match="at least 1"):
        dx.explain("x**2", at={"x": 3}, order=0)


def test_hessian_symbolic_vs_torch_functional():
    h = dx.explain("x*x*w + sin(w)", at={"x": 3, "w": 2}, hessian=True).extras["hessian"]
    assert h["variables"] == ["w", "x"]
    assert h["symbolic"][0][1] == "2x" and h["symbolic"][1][1] == "2w"
    assert h["autograd"][0][1] == h["autograd"][1][0] == 6.0
    assert h["autograd"][1][1] == 4.0
    assert h["agree"]


def test_cli_order_and_hessian(capsys):
    assert main(["explain", "x**2", "--at", "x=3", "--order", "2"]) == 0
    out = capsys.readouterr().out
    assert "dy/dx    2x        6      6         MulBackward0" in out
    assert "d²y/dx²  2         2      2         None" in out
    assert main(["explain", "x*x*w", "--at", "x=3,w=2", "--hessian", "-f", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["extras"]["hessian"]["autograd"] == [[0.0, 6.0], [6.0, 4.0]]


def test_cli_order_over_the_limit_exits_3(run_cli):
    r = run_cli("explain", "x**2", "--at", "x=3", "--order", "50")
    assert r.returncode == 3
    assert r.stderr.strip().startswith("diffexplain: error: derivative order 50 exceeds")
    assert "Traceback" not in r.stderr


def test_growing_derivatives_stop_at_the_time_limit():
    # the worker is killed at the budget; a budget that runs out between orders says which
    with pytest.raises(LimitExceeded, match=r"higher-order derivatives \(sympy\) did not finish|"
                                            r"symbolic derivatives took .* by order \d"):
        dx.explain("exp(sin(x))", at={"x": 0.3}, order=3,
                   limits=Limits(symbolic_seconds=1e-9))


def test_hessian_structure_is_named_from_the_entries() -> None:
    """2xᵀx → 4·I, a sum of one-variable functions → diagonal, x·y → nothing (dense)."""
    from diffexplain import explain

    h = explain("2*dot(x,x)", at={"x": [0, 1, 2, 3]}, hessian=True).extras["hessian"]
    assert h["structure"]["kind"] == "identity" and h["structure"]["text"] == "4·I"
    assert "H = 4·I (4×4)" in explain("2*dot(x,x)", at={"x": [0, 1, 2, 3]}, hessian=True,
                                      lang="en").to_text()
    h = explain("sum(sin(x))", at={"x": [0, 1, 2]}, hessian=True).extras["hessian"]
    assert h["structure"]["kind"] == "diagonal" and "-sin(x_1)" in h["structure"]["text"]
    assert explain("x*y", at={"x": 1, "y": 2}, hessian=True).extras["hessian"]["structure"] is None
    h = explain("sum(x) + 3", at={"x": [1, 2]}, hessian=True).extras["hessian"]
    assert h["structure"]["kind"] == "zero"
