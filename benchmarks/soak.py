"""Soak: many random explanations in one process (the notebook and docs use case).

    python benchmarks/soak.py               # 10,000 explanations (tens of minutes)
    python benchmarks/soak.py --n 500       # a quick look

Draws expressions from the grammar (``tests/fuzz_grammar.random_program``, fixed seed),
explains each at a random point with all three methods (symbolic, torch autograd, finite
differences) and renders it as text and JSON. Measures the resident memory (``/proc``)
after a warm-up and at the end, and counts outcomes; any error other than a documented
one (exit code 2 or 3) stops the run, and so does growth beyond ``--max-growth-mib``
(32 MiB by default: the measured growth over 10,000 explanations is a few MiB). Prints
one summary line per 250 and a final table for docs/safety.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--max-growth-mib", type=float, default=32.0,
                    help="fail if resident memory grows more than this after the warm-up")
    args = ap.parse_args()
    import resource  # a runaway input fails this run with MemoryError, not the machine

    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, resource.RLIM_INFINITY))

    from fuzz_grammar import VARIABLES, random_program

    import diffexplain as dx
    from diffexplain.errors import DiffexplainError

    rng = random.Random(args.seed)
    counts: Counter[str] = Counter()
    start = time.perf_counter()
    before = None
    for k in range(args.warmup + args.n):
        if k == args.warmup:
            gc.collect()
            before = rss_mb()
            counts.clear()
            start = time.perf_counter()
        text = random_program(rng)
        point = {v: rng.choice([0.0, 1.0, -1.0, 0.5, 2.0, rng.uniform(-5, 5)]) for v in VARIABLES}
        try:
            at = {v: point[v] for v in dx.parse(text).variables}
            e = dx.explain(text, at)
            e.to_text()
            json.loads(e.to_json())
            counts["agree" if e.verdict.agree else "explained, methods disagree (reasons shown)"] += 1
        except DiffexplainError as err:
            if err.exit_code not in (2, 3):
                print(f"FAIL exit {err.exit_code} on {text!r} at {point}: {err}")
                return 1
            counts[f"exit {err.exit_code}"] += 1
        done = k + 1 - args.warmup
        if done > 0 and done % 250 == 0:
            print(f"{done} explanations, rss {rss_mb():.1f} MiB, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    gc.collect()
    after = rss_mb()
    seconds = time.perf_counter() - start
    assert before is not None
    print(json.dumps({"explanations": args.n, "seed": args.seed, "rss_before_mib": round(before, 1),
                      "rss_after_mib": round(after, 1), "growth_mib": round(after - before, 1),
                      "bound_mib": args.max_growth_mib, "seconds": round(seconds),
                      "outcomes": dict(counts)}, indent=2))
    if after - before > args.max_growth_mib:
        print(f"FAIL: resident memory grew {after - before:.1f} MiB, more than the bound "
              f"{args.max_growth_mib:g} MiB")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
