"""The minimum CPU time of k explain() calls in one process: steadier than fresh processes.

    python benchmarks/inprocess.py . S 1000 --repeats 7           # this checkout
    python benchmarks/inprocess.py /path/to/old/checkout C 100     # another tree

sympy and torch are imported and one small explanation is made before the clock starts;
each call's result is dropped outside the timing. Prints the minimum and the median.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("root", help="the checkout whose diffexplain/ is timed")
    p.add_argument("kind", choices=["S", "C"], help="S(n) or the chain C(d) of benchmarks/run.py")
    p.add_argument("n", type=int)
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args()
    sys.path.insert(0, str(Path(args.root).resolve()))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import sympy  # noqa: F401
    import torch  # noqa: F401

    import diffexplain as dx  # before run.py, which puts this checkout first on the path

    assert dx.__file__.startswith(str(Path(args.root).resolve())), dx.__file__
    from run import POINT_C, POINT_S, chain_text, s_text

    text, point = ((s_text(args.n), POINT_S) if args.kind == "S"
                   else (chain_text(args.n), POINT_C))
    dx.explain("sin(w*2 + x)*exp(-y*2/1000)", at={"w": 0.5, "x": 0.3, "y": 0.7})
    times = []
    for _ in range(args.repeats):
        gc.collect()
        t = time.process_time()
        e = dx.explain(text, at=point)
        times.append(time.process_time() - t)
        del e
    print(f"{dx.__file__}: {args.kind}({args.n}) min {min(times):.4f} s, "
          f"median {statistics.median(times):.4f} s over {args.repeats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
