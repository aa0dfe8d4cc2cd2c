"""Comparing a step with the derivative fairly: 40-digit values at points spread over the domain.

Float comparisons with an absolute tolerance accept ``0`` for ``2e-12·x`` and a relative
tolerance of 1e-8 accepts ``2x + 1e-9``; comparing only near the point accepts
``2x + relu(x − 5)`` for ``2x`` at 3. So steps are evaluated here with mpmath at 40
significant digits (every constant of a step is exact: ``0.1`` is 1/10), at the point, at
points near it and at points spread over the real line (both signs, 0.03 to 20), and two
values agree when they differ by less than 1e-25 relatively. A number is compared at the
point, to the precision it is written in (:func:`~diffexplain.checking.reading.allowance`).
The evaluator is the exact witness's (:mod:`~diffexplain.methods.mpeval`): an explicit stack
over the sympy tree, nothing compiled or executed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["RTOL", "agree", "evaluate", "spread_points"]

#: two 40-digit values agree when they differ by less than this, relatively
RTOL = 1e-25
#: below this both values count as 0 (cancellation in 40-digit arithmetic)
ATOL = 1e-30
#: points near the given one, and spread over the real line
NEAR, WIDE = 4, 10

_CTX: Any = None


def _mp() -> Any:
    global _CTX
    if _CTX is None:
        import mpmath

        ctx = mpmath.MPContext()
        ctx.dps = 40
        _CTX = ctx
    return _CTX


def spread_points(point: Mapping[str, float], seed: int = 0) -> list[dict[str, float]]:
    """The point, ``NEAR`` points around it, and ``WIDE`` points of both signs and many sizes."""
    rng = random.Random(seed)
    envs = [dict(point)]
    for _k in range(NEAR):
        envs.append({k: v + rng.uniform(-0.5, 0.5) * max(1.0, abs(v)) for k, v in point.items()})
    for _k in range(WIDE):
        envs.append({k: rng.choice((-1, 1)) * 10 ** rng.uniform(-1.5, 1.3) for k in point})
    return envs


def evaluate(expr: Any, env: Mapping[Any, Any]) -> Any:
    """``expr`` at ``env`` (symbol → number) as a 40-digit mpf; NaN where it is undefined.

    The walk is :func:`diffexplain.methods.mpeval.run`'s (the exact witness's interpreter),
    in a private 40-digit context, so a check and the witness understand the same trees.
    """
    from diffexplain.methods import mpeval

    mp = _mp()
    nan = mp.mpf("nan")
    # a float point is the decimal it was written as (1.26, not 1.2600000000000000089)
    vals = {k: mp.mpf(repr(v)) if isinstance(v, float) else mp.mpf(v) for k, v in env.items()}
    try:
        out = mpeval.run(expr, vals, mpeval.mp_numbers(mp))
    except (mpeval.Unsupported, ZeroDivisionError, ValueError, TypeError):
        return nan
    except OverflowError:  # e^(1e300): no 40-digit value
        return mp.inf
    return out if isinstance(out, type(nan)) else nan


def finite(x: Any) -> bool:
    return bool(_mp().isfinite(x))


def agree(a: Any, b: Any, allowance: float = 0.0) -> bool:
    """40-digit values equal up to :data:`RTOL` (or within ``allowance``, for written numbers)."""
    if not (finite(a) and finite(b)):
        return False
    d = abs(a - b)
    return bool(d <= allowance * (1 + 1e-9) or d <= RTOL * max(abs(a), abs(b)) or d <= ATOL)


def to_float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def rounding_bound(expr: Any, env: Mapping[Any, Any], decimals: Sequence[tuple[Any, Any, float]]
                   ) -> float:
    """How far an expression of rounded decimals may be off: Σ |f(dᵢ + aᵢ) − f(dᵢ)| over its
    decimals ``(symbol, exact value, half a unit of the last digit)``."""
    base = dict(env)
    for s, v, _a in decimals:
        base[s] = _mp().mpf(int(v.p)) / int(v.q)
    f0 = evaluate(expr, base)
    total = 0.0
    for s, _v, a in decimals:
        moved = dict(base)
        moved[s] = base[s] + a
        f1 = evaluate(expr, moved)
        if not (finite(f0) and finite(f1)):
            return 0.0
        total += to_float(abs(f1 - f0))
    return total
