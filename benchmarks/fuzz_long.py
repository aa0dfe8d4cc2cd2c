"""The long grammar-based fuzzing run (the suite runs a short fixed-seed one).

    python benchmarks/fuzz_long.py                 # 2,000 examples, a fresh random seed
    python benchmarks/fuzz_long.py --examples 300 --seed 1
    python benchmarks/fuzz_long.py --examples 2000 --minutes 15 --seed 2026   # as in the docs

Generates expressions and programs from diffexplain's grammar (``tests/fuzz_grammar.py``),
runs the full pipeline (symbolic, torch autograd, finite differences, every renderer) on
each, and fails on anything but a result or a documented error (exit code 2 or 3), or
an example that runs longer than ``--hang`` seconds. ``--minutes`` stops generating new
examples after that much time (the count run so far is reported). A failure prints the
input at once and is not shrunk (shrinking re-runs the pipeline many times). Prints what
was reached, for docs/safety.md.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--minutes", type=float, default=None, help="stop after this long")
    ap.add_argument("--hang", type=float, default=300.0,
                    help="seconds after which one example counts as a hang")
    args = ap.parse_args()
    import resource  # a runaway input fails this run with MemoryError, not the machine

    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, resource.RLIM_INFINITY))
    seed = args.seed if args.seed is not None else random.randrange(2**32)

    from fuzz_grammar import check_one, points, programs
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    totals: Counter[str] = Counter()
    start = time.perf_counter()
    stop_at = start + 60 * args.minutes if args.minutes else float("inf")

    def hang(_sig: int, _frame: object) -> None:
        raise TimeoutError(f"one example ran longer than {args.hang:g} s (a hang)")

    signal.signal(signal.SIGALRM, hang)

    @hseed(seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    @given(programs(), points())
    def run(text: str, pt: tuple[dict[str, float], bool]) -> None:
        if time.perf_counter() > stop_at:
            totals["not run (time)"] += 1
            return
        signal.setitimer(signal.ITIMER_REAL, args.hang)
        try:
            totals.update(check_one(text, *pt))
        except BaseException:
            print(f"FAIL on {text!r} at {pt[0]} (allow_nonfinite={pt[1]})", flush=True)
            raise
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        totals["examples"] += 1

    run()
    print(json.dumps({"seed": seed, "seconds": round(time.perf_counter() - start),
                      **dict(sorted(totals.items()))}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
