"""The finite differences' work is bounded before any probe runs (issue 19, principle 6)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import diffexplain as dx
from diffexplain.errors import LimitExceeded
from diffexplain.limits import Limits
from diffexplain.methods import numeric
from diffexplain.pipeline import build_graph


def test_a_dense_jacobian_is_refused_before_the_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    probed = []
    monkeypatch.setattr(numeric, "central_differences",
                        lambda *a, **k: probed.append(1))  # must never be reached
    with pytest.raises(LimitExceeded, match="dense Jacobian"):
        dx.explain("sum(softmax(x)*x)", at={"x": [0.01 * i for i in range(300)]},
                   autograd=False, limits=Limits(max_work=50_000))
    assert probed == []


def test_the_same_input_runs_under_a_raised_limit_or_without_the_witness() -> None:
    x = [0.01 * i for i in range(40)]
    e = dx.explain("sum(softmax(x)*x)", at={"x": x}, autograd=False,
                   limits=Limits(max_work=6_000))
    assert e.verdict.state == "agree"
    e = dx.explain("sum(softmax(x)*x)", at={"x": x}, autograd=False, numeric_check=False,
                   limits=Limits(max_work=10))
    assert e.verdict.methods == ("symbolic",)
    with pytest.raises(LimitExceeded):
        dx.explain("sum(softmax(x)*x)", at={"x": x}, autograd=False,
                   limits=Limits(max_work=4_000))


def test_a_reduction_tree_stays_far_below_the_limit() -> None:
    g = build_graph("dot(x,x)")
    from diffexplain.core.points import resolve_values
    from diffexplain.methods.components import scalarize

    sc = scalarize(g, resolve_values(g, {"x": [1.0] * 1000}, False), Limits())
    wrt = sc.names(g["x"].id)
    numeric.check_cost(sc.graph, wrt, Limits(max_work=30 * len(wrt)))  # log-depth cones


def test_cli_refusal_is_one_line_with_exit_3() -> None:
    x = ",".join(str(0.01 * i) for i in range(300))
    r = subprocess.run([sys.executable, "-m", "diffexplain", "explain", "sum(softmax(x)*x)",
                        "--at", f"x=[{x}]", "--no-autograd", "--max-work", "50000"],
                       capture_output=True, text=True)
    assert r.returncode == 3, r.stderr
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) <= 2 and "--no-numeric" in r.stderr
