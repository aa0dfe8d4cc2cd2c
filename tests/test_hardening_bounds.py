"""Issue 19, second pass: sympy's lessons are bounded, and overflow is called overflow.

* ``--order N``, ``--hessian`` and the symbolic Jacobian run sympy in the symbolic worker,
  under ``symbolic_seconds`` and ``symbolic_memory_mb``; past either, exit code 3 with one
  line (``(x+y+z+w+1)**999*(x+y+z+w+2)**999`` took 5 GB by order 3 in-process).
* ``x*x`` at 1e308 overflows (1e616 > float max): the finite-difference probe, the graphs
  too big for the exact witness and ``plot`` say so, with the exact value, instead of
  "outside the domain".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import diffexplain as dx
from diffexplain import cli
from diffexplain.errors import EXIT_LIMIT, LimitExceeded
from diffexplain.limits import Limits
from diffexplain.methods import sandbox

ROOT = Path(__file__).resolve().parent.parent
BIG = "(x+y+z+w+1)**999*(x+y+z+w+2)**999"
AT = "x=1,y=1,z=1,w=1"
needs_fork = pytest.mark.skipif(not sandbox.ENFORCED, reason="the worker needs fork (Linux)")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "diffexplain", *args], capture_output=True,
                          text=True, env=env, timeout=900)


def _hog(*_args: object) -> int:
    return len([bytearray(2**20) for _ in range(1024)])  # 1 GiB, touched


# --- the lessons' sympy runs in the bounded worker ------------------------------------------
@needs_fork
def test_order_3_of_a_swelling_product_is_exit_3_in_one_line():
    r = _cli("explain", BIG, "--at", AT, "--order", "3", "--symbolic-seconds", "2")
    assert r.returncode == EXIT_LIMIT, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "--symbolic-seconds" in lines[0] or "--symbolic-memory-mb" in lines[0]
    assert r.stdout == ""  # nothing half-written


@needs_fork
@pytest.mark.parametrize("option,target", [
    ("--hessian", "diffexplain.lessons.higher._hessian_sympy"),
    ("--order", "diffexplain.lessons.higher._orders_sympy"),
    ("--jacobian", "diffexplain.methods.jacobian._symbolic"),
])
def test_lesson_past_the_memory_ceiling_is_exit_3(monkeypatch, capsys, option, target):
    """Each lesson's sympy work runs under symbolic_memory_mb (a hog stands in for sympy)."""
    monkeypatch.setattr(target, _hog)
    args = ["explain", "x*y", "--at", "x=1,y=2", option, *(["2"] if option == "--order" else []),
            "--symbolic-memory-mb", "64"]
    assert cli.main(args) == EXIT_LIMIT
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "--symbolic-memory-mb" in err


@needs_fork
def test_lessons_within_bounds_are_unchanged():
    e = dx.explain("x*x*w", {"x": 3.0, "w": 2.0}, order=2, hessian=True)
    assert e.extras["hessian"]["symbolic_values"] == [[0.0, 6.0], [6.0, 4.0]]
    rows = e.extras["higher_order"]["variables"]["x"]["orders"]
    assert [r["value"] for r in rows] == [12.0, 4.0] and rows[-1]["autograd"] == 4.0
    j = dx.explain("y0 = x*w; y1 = x + w", {"x": 2.0, "w": 3.0}, outputs=["y0", "y1"]).jacobian(
        use_torch=False, limits=Limits())
    assert j.inputs == ("w", "x") and j.symbolic_value == ((2.0, 3.0), (1.0, 1.0))


@needs_fork
def test_run_bounded_names_the_work_and_the_flag():
    with pytest.raises(LimitExceeded, match="MiB") as info:
        sandbox.run_bounded(_hog, (), Limits(symbolic_memory_mb=64), "the test")
    assert info.value.exit_code == EXIT_LIMIT
    with pytest.raises(LimitExceeded, match="the test did not finish"):
        sandbox.run_bounded(_sleep, (), Limits(symbolic_seconds=0.2), "the test")


def _sleep() -> None:
    import time

    time.sleep(30)


@needs_fork
def test_memory_ceiling_holds_without_a_time_budget():
    """symbolic_seconds=inf switches the clock off, not the address-space ceiling."""
    with pytest.raises(sandbox.MemoryLimit):
        sandbox.run_with_budget(_hog, (), float("inf"), memory_mb=64)
    assert sandbox.run_with_budget(os.getpid, (), float("inf")) == os.getpid()  # in-process


# --- overflow is an overflow -------------------------------------------------------------------
@pytest.mark.parametrize("text,x", [("x*x", 1e308), ("x*x*x", -1e308)])
def test_overflow_is_named_with_the_exact_value(text, x):
    e = dx.explain(text, {"x": x})
    reasons = e.verdict.comparisons["x"].reasons
    codes = [r.code for r in reasons]
    assert "overflow" in codes and "fd_overflow" in codes, codes
    assert "fd_edge" not in codes and "domain" not in codes
    probe = next(r for r in reasons if r.code == "fd_overflow")
    assert "e+61" in dict(probe.params)["exact"] and "1.798e+308" in str(probe)
    assert e.verdict.state == "disagree"


def test_overflow_in_a_graph_too_big_for_the_exact_witness():
    """Without an exact pass the overflowing operation is re-evaluated exactly, alone."""
    text = "x*x + " + "+".join(["sin(x)"] * 45)  # over EXACT_NODES nodes
    e = dx.explain(text, {"x": 1e308})
    reasons = e.verdict.comparisons["x"].reasons
    over = next(r for r in reasons if r.code == "overflow")
    assert dict(over.params)["exact"].startswith("1e+616")
    assert "domain" not in [r.code for r in reasons] and e.verdict.state == "disagree"


def test_underflow_before_an_infinity_is_named():
    from diffexplain.core.parsing import parse
    from diffexplain.methods import floatrange
    from diffexplain.methods.numeric import forward

    g = parse("1/(x*x)")
    found = floatrange.out_of_range(g, forward(g, {"x": 1e-200}))
    assert found is not None and found["code"] == "underflow" and "e-40" in found["exact"]
    g = parse("log(x - x)")  # the domain, not the float range
    assert floatrange.out_of_range(g, forward(g, {"x": 1.0})) is None


@pytest.mark.parametrize("text,x", [("x*x", 1e308), ("x*x*x", -1e308)])
def test_plot_names_the_overflow(text, x):
    from diffexplain.explore.plot import tangent_plot

    t = tangent_plot(text, {"x": x})
    out = t.to_text()
    assert "overflow" in out and "1e+616" in out and "domain" not in out
    assert "nan" not in t.tangent


# --- constants that only rounding makes finite (found by the soak) ----------------------------
@pytest.mark.parametrize("text", ["(-((w)+(pi)))-((0.5)/(sin(pi)))", "w*tan(pi/2)",
                                  "w + log(cos(pi/2))"])
def test_constant_undefined_exactly_is_exit_2(text):
    from diffexplain.errors import InputError

    with pytest.raises(InputError, match="undefined exactly") as info:
        dx.explain(text, {"w": -3.3547158805634956})
    assert info.value.exit_code == 2


def test_constant_that_rounds_to_a_tiny_number_is_still_explained():
    e = dx.explain("w*sin(pi)", {"w": 1.0})  # sin(π) is exactly 0: a finite constant
    assert e.derivations["w"].value == 0.0
