"""The one tolerance policy: every comparison of two computed numbers in the package.

:mod:`diffexplain.compare` (the verdict), Hessians, Jacobians, higher orders and weighted
outputs all call :func:`close`; it lives in ``methods`` so the differentiation methods
below ``compare`` in the layer order can use it too (``compare`` re-exports it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["TOLERANCES", "Tolerance", "close", "tolerance"]


@dataclass(frozen=True)
class Tolerance:
    """``|a − b| ≤ rtol·max(|a|, |b|) + floor``, the floor ``rtol·scale`` (or ``atol``).

    The scale of a derivative is |f|/max(1, |x|), the slope on the function's own scale,
    so the floor shrinks with f and a 100 % error is never inside it. Finite differences
    also get ``error_factor`` times their error estimate.
    """

    rtol: float
    atol: float
    numeric_rtol: float
    numeric_atol: float
    error_factor: float = 10.0
    #: finite differences whose error estimate exceeds this share of the value are inconclusive
    inconclusive: float = 1e-3

    def as_dict(self) -> dict[str, float]:
        return {"rtol": self.rtol, "atol": self.atol, "numeric_rtol": self.numeric_rtol,
                "numeric_atol": self.numeric_atol, "error_factor": self.error_factor,
                "inconclusive": self.inconclusive}


TOLERANCES = {
    "float64": Tolerance(rtol=1e-9, atol=1e-12, numeric_rtol=1e-6, numeric_atol=1e-8),
    "float32": Tolerance(rtol=1e-4, atol=1e-5, numeric_rtol=1e-2, numeric_atol=1e-3),
}


def tolerance(dtype: str = "float64") -> Tolerance:
    """The tolerance for computations in ``dtype``."""
    return TOLERANCES[dtype]


def close(a: float, b: float, dtype: str | Tolerance = "float64", *,
          scale: float | None = None, numeric: bool = False) -> bool:
    """The one agreement rule: relative, with a floor relative to ``scale``.

    NaN equals NaN, an infinity only itself. Without ``scale`` the floor is the
    tolerance's ``atol`` (for quantities with no natural scale: Hessian entries,
    Jacobians, weights).

    >>> close(1.0, 1.0 + 1e-12), close(2e-13, 0.0, scale=1e-13), close(2e-13, 0.0)
    (True, False, True)
    """
    tol = tolerance(dtype) if isinstance(dtype, str) else dtype
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    rtol = tol.numeric_rtol if numeric else tol.rtol
    floor = (tol.numeric_atol if numeric else tol.atol) if scale is None else rtol * scale
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + floor
