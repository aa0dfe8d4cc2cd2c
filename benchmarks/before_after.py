"""The same explain() timings for an older revision and this checkout, alternated.

    python benchmarks/before_after.py 629d918          # the revision to compare with
    python benchmarks/before_after.py f14de51 --startup --cpu --repeats 5

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

_CLOCK = "perf_counter"
_STARTUP = {
    "diffexplain --help": ["--help"],
    "explain (x+w)*(w+1)": ["explain", "(x+w)*(w+1)", "--at", "w=1,x=2"],
    "explain … --no-autograd": ["explain", "(x+w)*(w+1)", "--at", "w=1,x=2", "--no-autograd"],
}


def command_time(root: str, args: list[str]) -> float:
    """Wall seconds of ``python -m diffexplain ARGS`` with ``root`` first on the path."""
    import os
    import time

    env = {**os.environ, "PYTHONPATH": root}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "diffexplain", *args], env=env, capture_output=True,
                   check=True, cwd=tempfile.gettempdir())
    return time.perf_counter() - t

_CHILD = r"""
import sys, time, json
sys.path.insert(0, sys.argv[1])
import sympy, torch
import diffexplain as dx
assert dx.__file__.startswith(sys.argv[1]), dx.__file__
text, point = json.loads(sys.stdin.read())
dx.explain("sin(w*2 + x)*exp(-y*2/1000)", at={"w": 0.5, "x": 0.3, "y": 0.7})
clock = getattr(time, sys.argv[2])
t = clock()
e = dx.explain(text, at=point)
print(json.dumps([clock() - t, len(e.nodes)]))
"""


def timed(root: str, text: str, point: dict[str, float]) -> tuple[float, int]:
    r = subprocess.run([sys.executable, "-c", _CHILD, root, _CLOCK], input=json.dumps([text, point]),
                       capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    t, n = json.loads(r.stdout.strip().splitlines()[-1])
    return float(t), int(n)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("rev", help="git revision to compare with, e.g. 629d918")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cpu", action="store_true",
                   help="time CPU seconds of the process (time.process_time) instead of wall "
                        "time: steadier on a shared machine")
    p.add_argument("--startup", action="store_true",
                   help="also time the CLI commands of benchmarks/run.py's start-up section")
    args = p.parse_args()
    global _CLOCK
    _CLOCK = "process_time" if args.cpu else "perf_counter"
    cases = [("S(1000)", s_text(1000), POINT_S), ("C(100)", chain_text(100), POINT_C),
             ("C(1000)", chain_text(1000), POINT_C), ("C(10000)", chain_text(10000), POINT_C)]
    with tempfile.TemporaryDirectory() as tmp:
        tar = Path(tmp) / "old.tar"
        subprocess.run(["git", "archive", "-o", str(tar), args.rev, "diffexplain"], cwd=ROOT,
                       check=True)
        old = Path(tmp) / "old"
        with tarfile.open(tar) as tf:
            tf.extractall(old, filter="data")
        if args.startup:
            print(f"| command | {args.rev} | this checkout | speed-up |")
            print("|---|---|---|---|")
            for name, cmd in _STARTUP.items():
                command_time(str(old), cmd), command_time(str(ROOT), cmd)  # warm the caches
                before, after = [], []
                for _ in range(args.repeats):  # taking turns, as the explain timings do
                    before.append(command_time(str(old), cmd))
                    after.append(command_time(str(ROOT), cmd))
                b, a = statistics.median(before), statistics.median(after)
                print(f"| `{name}` | {b * 1e3:.1f} ms | {a * 1e3:.1f} ms | {b / a:.2f}× |",
                      flush=True)
            print()
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
