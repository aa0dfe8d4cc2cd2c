"""The long grammar-based fuzzing run (the suite runs a short fixed-seed one).

    python benchmarks/fuzz_long.py                 # 2,000 examples, a fresh random seed
    python benchmarks/fuzz_long.py --examples 300 --seed 1

Generates expressions and programs from diffexplain's grammar (``tests/fuzz_grammar.py``),
runs the full pipeline (symbolic, torch autograd, finite differences, every renderer) on
each, and fails on anything but a result or a documented error (exit code 2 or 3).
Prints what was reached, for docs/safety.md.
"""

from __future__ import annotations

import argparse
import json
import random
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
    args = ap.parse_args()
    import resource  # a runaway input fails this run with MemoryError, not the machine

    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, resource.RLIM_INFINITY))
    seed = args.seed if args.seed is not None else random.randrange(2**32)

    from fuzz_grammar import check_one, points, programs
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    totals: Counter[str] = Counter()

    @hseed(seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(programs(), points())
    def run(text: str, pt: tuple[dict[str, float], bool]) -> None:
        totals.update(check_one(text, *pt))
        totals["examples"] += 1

    start = time.perf_counter()
    run()
    print(json.dumps({"seed": seed, "seconds": round(time.perf_counter() - start),
                      **dict(sorted(totals.items()))}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
