"""E9: the derivative as a limit, in float64 (Python floats) and real float32."""

from __future__ import annotations

import pytest

import diffexplain as dx
from diffexplain.cli import main

F = "3*x**2 - 4*x"


@pytest.mark.parametrize("dtype, expected", [
    ("float64", ["2.30000", "2.03000", "2.00300", "2.00030", "2.00003"]),
    ("float32", ["2.30000", "2.02999", "2.00295", "2.00033", "2.00272"]),
])
def test_e9_forward_differences(dtype, expected):
    (t,) = dx.explain(F, at={"x": 1}, limit_table=5, dtype=dtype).extras["limit_table"]
    assert [f"{r['forward']:.5f}" for r in t["rows"]] == expected
    assert [r["h"] for r in t["rows"]] == [0.1, 0.01, 0.001, 0.0001, 0.00001]
    assert t["true"] == 2.0 and t["tangent"] == "y = 2x − 3"


def test_roundoff_takes_over():
    (t,) = dx.explain(F, at={"x": 1}, limit_table=True).extras["limit_table"]
    assert len(t["rows"]) == 12
    assert t["best_forward_h"] == 1e-8 and t["roundoff_from_h"] == 1e-9
    assert "grows again" in t["note"]
    (t32,) = dx.explain(F, at={"x": 1}, limit_table=True, dtype="float32").extras["limit_table"]
    assert t32["best_forward_h"] == 1e-4  # float32: round-off wins from h = 1e-5 on
    assert t32["rows"][4]["forward_error"] > t32["rows"][3]["forward_error"]


def test_linear_function_has_no_truncation():
    (t,) = dx.explain("5*x + 1", at={"x": 2}, limit_table=4).extras["limit_table"]
    assert "no truncation error" in t["note"]


def test_cli_limits(capsys):
    assert main(["explain", F, "--at", "x=1", "--limits", "5", "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    assert "1e-05  2.00272" in out and "tangent at x = 1: y = 2x − 3" in out
    assert main(["explain", F, "--at", "x=1", "--limits", "30"]) == 2
    assert "1 to 20 decades" in capsys.readouterr().err
