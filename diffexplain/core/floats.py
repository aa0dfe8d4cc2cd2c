"""Float helpers every pass shares, so an overflow is a value (inf), never an exception."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["fsum"]


def fsum(values: Iterable[float]) -> float:
    """:func:`math.fsum`, but a sum beyond the float range is ±inf (or nan), as ``sum`` gives.

    ``math.fsum`` raises ``OverflowError`` ("intermediate overflow") when a partial sum
    leaves the float range, e.g. ``1e308 + 1e308`` at ``x*x`` by ``x = 1e308``; the exact
    sum then is no float either, and IEEE arithmetic says what it rounds to.

    >>> fsum([1e308, 1e308])
    inf
    >>> fsum([0.1] * 10)
    1.0
    """
    vals = list(values)
    try:
        return math.fsum(vals)
    except (OverflowError, ValueError):  # ValueError: inf + -inf, which sum makes nan
        return float(sum(vals))
