"""How long each pathological input takes to be refused (or degraded), with default limits.

Run from the repository root::

    python benchmarks/pathological.py            # a Markdown table on stdout

Each row is the median of ``--repeat`` runs of ``explain(...)`` in this process
(sympy already imported; torch off, as the refusals never reach it), plus the
outcome: the error class and exit code, or "explained".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diffexplain import explain
from diffexplain.errors import DiffexplainError
from diffexplain.limits import DEFAULT_LIMITS, Limits, check_order

CASES: list[tuple[str, str, Limits]] = [
    ("power tower 9**9**9**9", "9**9**9**9", DEFAULT_LIMITS),
    ("x**(10**100)", "x**(10**100)", DEFAULT_LIMITS),
    ("(10**300)**1000", "x*(10**300)**1000", DEFAULT_LIMITS),
    ("10,000-deep parentheses", "(" * 10_000 + "x" + ")" * 10_000, DEFAULT_LIMITS),
    ("10,000-deep sin(...)", "sin(" * 10_000 + "x" + ")" * 10_000, DEFAULT_LIMITS),
    ("1 MB input (x+x+...)", "x+" * (2**19 - 1) + "xx", DEFAULT_LIMITS),
    ("10**6-term sum", "+".join(["x"] * 10**6), DEFAULT_LIMITS),
    ("10**6-term sum, max_length raised", "+".join(["x"] * 10**6),
     Limits(max_length=3_000_000)),
    ("10,000-digit literal", "x*" + "9" * 10_000, DEFAULT_LIMITS),
    ("1e-99999999999", "x*1e-99999999999", DEFAULT_LIMITS),
    ("1,000-deep parentheses (legal)", "(" * 1000 + "x*x" + ")" * 1000, DEFAULT_LIMITS),
    ("sympy-heavy (x+y+z+1)**20*(x+1), 0.5 s budget", "(x+y+z+1)**20*(x+1)",
     Limits(symbolic_seconds=0.5)),
    ("E1 (x+w)*(w+1) (legal, in-process)", "(x+w)*(w+1)", DEFAULT_LIMITS),
    ("E1-sized, through the worker", "(x+w)*(w+1)*(w+2)*(x+3)*(x+4)*(w+5)*(x+6)*(w+7)",
     DEFAULT_LIMITS),
]


def run(text: str, limits: Limits) -> str:
    point = {v: 0.5 for v in ("x", "y", "z", "w")}
    try:
        from diffexplain.core.parsing import parse

        g = parse(text, limits)
        e = explain(g, at={v: point.get(v, 0.5) for v in g.variables}, autograd=False,
                    limits=limits)
        methods = {d.method for d in e.derivations.values()}
        return "explained (" + ", ".join(sorted(methods)) + ")"
    except DiffexplainError as err:
        return f"{type(err).__name__}, exit {err.exit_code}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import sympy  # noqa: F401 - imported once up front, as any long-running user would

    print("| input | outcome | median time (s) |")
    print("|---|---|---|")
    for name, text, limits in CASES:
        times, outcome = [], ""
        for _ in range(args.repeat):
            t = time.perf_counter()
            outcome = run(text, limits)
            times.append(time.perf_counter() - t)
        print(f"| {name} | {outcome} | {statistics.median(times):.3f} |", flush=True)
    t = time.perf_counter()
    try:
        check_order(1000)
    except DiffexplainError as err:
        print(f"| derivative order 1,000 (check_order) | {type(err).__name__}, exit "
              f"{err.exit_code} | {time.perf_counter() - t:.6f} |")


if __name__ == "__main__":
    main()
