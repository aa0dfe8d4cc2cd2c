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

    rng = random.Random(0)
    for _ in range(50):
        dx.parse(random_program(rng))  # never a parse error: the soak explains real input
