"""The same explain() timings for an older revision and this checkout, alternated.

    python benchmarks/before_after.py 629d918          # the revision to compare with

The old revision's ``diffexplain/`` is exported with ``git archive`` into a temporary
directory; each timing runs in a fresh subprocess (sympy and torch imported before
the clock starts, one warm-up call), before and after taking turns so that a busy
machine slows both alike. Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import POINT_C, POINT_S, chain_text, s_text  # noqa: E402

_CHILD = r"""
import sys, time, json
sys.path.insert(0, sys.argv[1])
import sympy, torch
import diffexplain as dx
assert dx.__file__.startswith(sys.argv[1]), dx.__file__
text, point = json.loads(sys.stdin.read())
dx.explain("sin(w*2 + x)*exp(-y*2/1000)", at={"w": 0.5, "x": 0.3, "y": 0.7})
t = time.perf_counter()
e = dx.explain(text, at=point)
print(json.dumps([time.perf_counter() - t, len(e.nodes)]))
"""


def timed(root: str, text: str, point: dict[str, float]) -> tuple[float, int]:
    r = subprocess.run([sys.executable, "-c", _CHILD, root], input=json.dumps([text, point]),
                       capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    t, n = json.loads(r.stdout.strip().splitlines()[-1])
    return float(t), int(n)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("rev", help="git revision to compare with, e.g. 629d918")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    cases = [("S(1000)", s_text(1000), POINT_S), ("C(100)", chain_text(100), POINT_C),
             ("C(1000)", chain_text(1000), POINT_C), ("C(10000)", chain_text(10000), POINT_C)]
    with tempfile.TemporaryDirectory() as tmp:
        tar = Path(tmp) / "old.tar"
        subprocess.run(["git", "archive", "-o", str(tar), args.rev, "diffexplain"], cwd=ROOT,
                       check=True)
        old = Path(tmp) / "old"
        with tarfile.open(tar) as tf:
            tf.extractall(old, filter="data")
        print(f"| expression | nodes | {args.rev} | this checkout | speed-up |")
        print("|---|---|---|---|---|")
        for name, text, point in cases:
            before, after, nodes = [], [], 0
            for _ in range(args.repeats):
                before.append(timed(str(old), text, point)[0])
                t, nodes = timed(str(ROOT), text, point)
                after.append(t)
            b, a = statistics.median(before), statistics.median(after)
            print(f"| {name} | {nodes:,} | {b:.3f} s ({b / nodes * 1e6:.0f} µs/node) | "
                  f"{a:.3f} s ({a / nodes * 1e6:.0f} µs/node) | {b / a:.2f}× |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
