"""Grammar-based fuzzing of the full pipeline, with torch autograd and finite differences on.

A fixed-seed run here; ``benchmarks/fuzz_long.py`` is the long run (figures in
docs/safety.md). Anything but a result or a documented error (exit code 2 or 3) fails.
"""

from __future__ import annotations

from collections import Counter

from fuzz_grammar import check_one, points, programs, random_program
from hypothesis import HealthCheck, given, settings


def test_fuzz_full_pipeline_fixed_seed():
    reached: Counter[str] = Counter()

    @settings(max_examples=40, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(programs(), points())
    def run(text, pt):
        reached.update(check_one(text, *pt))

    run()
    # the run reached all three methods, not only the parser's refusals
    assert reached["symbolic"] and reached["autograd"] and reached["numeric"], reached


def test_random_program_is_in_the_grammar():
    import random

    import diffexplain as dx
    from diffexplain.errors import DiffexplainError, ParseError

    rng = random.Random(0)
    for _ in range(50):
        try:  # never a parse error: the soak explains real input
            dx.parse(random_program(rng))
        except ParseError:
            raise
        except DiffexplainError:  # a constant beyond the float range, a limit: refused fine
            pass


def test_small_soak_memory_stays_flat():
    """The soak (benchmarks/soak.py) in small: many explanations in one process."""
    import gc
    import os
    import random

    from fuzz_grammar import random_program

    import diffexplain as dx
    from diffexplain.errors import DiffexplainError

    def rss_mib() -> float:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    rng = random.Random(7)
    before = 0.0
    for k in range(160):
        if k == 60:
            gc.collect()
            before = rss_mib()
        text = random_program(rng)
        try:
            at = {v: rng.choice([0.0, 1.0, -1.0, 2.5]) for v in dx.parse(text).variables}
            dx.explain(text, at).to_json()
        except DiffexplainError as err:
            assert err.exit_code in (2, 3), (text, err)
    gc.collect()
    assert rss_mib() - before < 40, "memory grew while explaining 100 expressions"
