"""The random-expression oracle in the suite: 500 cases, fixed seed, no finding (issue 14).

See tests/oracle.py; ``python tests/oracle.py --count 5000`` runs a longer one.
"""

from __future__ import annotations

import pytest
from oracle import run

CHUNKS = 10
CASES = 500


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_expressions_against_mpmath(chunk):
    size = CASES // CHUNKS
    n, findings = run(size, seed=14, start=chunk * size)
    assert n == size
    assert not findings, "\n".join(findings)
