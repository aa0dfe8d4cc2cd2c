"""How the finite-difference witness and the verdict scale with the length of a vector.

    python benchmarks/vector_scaling.py                  # n = 10³ … 10⁵, a few minutes
    python benchmarks/vector_scaling.py --sizes 1000,3000 --timeout 60
    PYTHONPATH=/path/to/other/checkout python benchmarks/vector_scaling.py   # another revision

For ``dot(x,x)`` and ``sum(sin(x)*x)`` at each n it times, in a fresh subprocess
(imports and one warm-up call before the clock starts):

* **finite differences**: the central difference of every component on the component
  graph (:func:`~diffexplain.methods.numeric.central_differences`, or one
  ``central_difference`` call per component on a revision without it), from the
  unperturbed forward pass;
* **verdict**: :func:`~diffexplain.compare.compare` of those differences against the
  reverse-pass gradient (the per-component facts and judgements);
* **explain**: the whole ``explain()`` (symbolic derivation, torch, finite differences,
  verdict), with ``Limits(max_nodes=…)`` raised to fit the component graph.

A cell that takes longer than ``--timeout`` seconds is killed and shown as ``> T s``; the
bigger sizes of that stage are then ``not run``. A verdict cell first computes the
differences it judges, so its timeout covers both.
It prints a Markdown table with µs per vector entry, so linear cost shows as a flat
column. Nothing here asserts a time; the test suite counts node evaluations instead
(``tests/test_vector_scaling.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = ("dot(x,x)", "sum(sin(x)*x)")
SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)
STAGES = ("fd", "verdict", "explain")

_CHILD = r"""
import json, random, sys, time
import diffexplain as dx
from diffexplain import compare as cmp
from diffexplain.core.parsing import parse
from diffexplain.methods import numeric
from diffexplain.methods.components import scalarize

text, n, stage = json.loads(sys.argv[1])
rng = random.Random(1)
x = [rng.uniform(0.1, 1.0) for _ in range(n)]
limits = dx.Limits(max_nodes=10**7, max_vector=10**6, max_work=10**9)
dx.explain(text, at={"x": [0.5, 0.25, 0.125]}, limits=limits,
           autograd=stage == "explain")  # imports (torch only for explain), warm-up
if stage == "explain":
    t = time.perf_counter()
    e = dx.explain(text, at={"x": x}, limits=limits)
    print(json.dumps([time.perf_counter() - t, e.extras["tensor"]["component_nodes"],
                      e.verdict.state]))
    sys.exit(0)
g = parse(text)
sc = scalarize(g, {"x": ((n,), x)}, limits)
cg, point = sc.graph, sc.point
comps = sc.names(g["x"].id)
seeds = {o: 1.0 for o in cg.outputs}
base = numeric.forward(cg, point)
t = time.perf_counter()
if hasattr(numeric, "central_differences"):
    diffs = numeric.central_differences(cg, point, comps, seeds, base=base)
else:  # a revision before the batched form
    diffs = {v: numeric.central_difference(cg, point, v, seeds, base=base) for v in comps}
t_fd = time.perf_counter() - t
adj = numeric.reverse(cg, base, seeds)
grads = {v: adj[cg[v].id] for v in comps}
if stage == "verdict":
    t = time.perf_counter()
    state = cmp.compare(cg, base, grads, None, diffs).state
    t_fd = time.perf_counter() - t
else:  # the differences must match the gradient (to 1e-6, or to their own error estimate:
    # the round-off eps·|f|/h grows with f = Σ over 10⁵ terms), or the timing means nothing
    state = "agree" if all(abs(diffs[v].value - grads[v]) <= max(
        1e-6 * max(1.0, abs(grads[v])), 3 * diffs[v].error) for v in comps) else "off"
print(json.dumps([t_fd, len(cg.nodes), state]))
"""


def cell(text: str, n: int, stage: str, timeout: float) -> tuple[float | None, int | None, str]:
    """Seconds, component nodes and the verdict of one stage, or None past the timeout."""
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(ROOT))
    try:
        r = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([text, n, stage])],
                           capture_output=True, text=True, timeout=timeout, env=env,
                           cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return None, None, ""
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        return None, None, f"error: {last}"
    t, nodes, state = json.loads(r.stdout.strip().splitlines()[-1])
    return float(t), int(nodes), str(state)


def _fmt(t: float | None, n: int, timeout: float) -> tuple[str, str]:
    if t is None:
        return f"> {timeout:g} s", "–"
    us = t / n * 1e6
    return (f"{t:.3g} s" if t >= 0.01 else f"{t * 1000:.3g} ms"), (
        f"{us:,.0f}" if us >= 100 else f"{us:.3g}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default=",".join(map(str, SIZES)),
                   help="comma-separated vector lengths")
    p.add_argument("--cases", default=";".join(CASES), help="semicolon-separated expressions")
    p.add_argument("--stages", default=",".join(STAGES), help="fd,verdict,explain")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per cell")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    stages = [s for s in args.stages.split(",") if s]
    heads = {"fd": "finite differences", "verdict": "verdict", "explain": "explain()"}
    print("| expression | n | component nodes | " + " | ".join(
        f"{heads[s]} | µs/entry" for s in stages) + " |")
    print("|---|---:|---:|" + "---:|---:|" * len(stages))
    for text in args.cases.split(";"):
        skip: set[str] = set()  # once a stage times out, bigger sizes would too
        for n in sizes:
            row: list[str] = []
            nodes: int | None = None
            for s in stages:
                if s in skip:
                    row.extend(("not run", "–"))
                    continue
                t, k, state = cell(text, n, s, args.timeout)
                if state not in ("", "agree"):  # an error, or differences off the gradient
                    print(f"<!-- {text} n={n} {s}: {state} -->", file=sys.stderr)
                if state.startswith("error"):
                    row.extend(("error", "–"))
                    continue
                if t is None:
                    skip.add(s)
                nodes = nodes or k
                row.extend(_fmt(t, n, args.timeout))
            shown = f"{nodes:,}" if nodes else "–"
            print(f"| `{text}` | {n:,} | {shown} | " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
