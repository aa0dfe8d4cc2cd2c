"""Real numbers beyond float64: a decimal string, its nearest float, and where it lies.

The exact witness (:mod:`~diffexplain.methods.exact`) and the higher-order lessons report
their values as :class:`Real`; :func:`evaluate` gives a sympy expression's value at a
point exactly (rationals) or to 30 settled digits (mpmath, raising the precision until a
doubling changes nothing and no sum lost its digits).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from diffexplain.methods import mpeval

__all__ = ["FLOAT32_MAX", "FLOAT32_TINY", "FLOAT64_MAX", "FLOAT64_TINY", "Real", "evaluate",
           "real"]

#: significant digits two successive precisions must share
TARGET_DIGITS = 25
START_DPS, MAX_DPS = 40, 1280
#: float64 limits
FLOAT64_MAX = 1.7976931348623157e308
FLOAT64_TINY = 2.0**-1074  # smallest subnormal
FLOAT32_MAX = 3.4028234663852886e38
FLOAT32_TINY = 2.0**-149


@dataclass(frozen=True)
class Real:
    """A real number as a decimal string (30 significant digits or exact) and a float.

    ``range`` is ``"overflow"`` when the number is beyond float64's largest finite
    value, ``"underflow"`` when it is nonzero but below the smallest subnormal.
    """

    text: str
    value: float
    exact: bool = False
    digits: int = 30

    @property
    def range(self) -> str:
        if self.text in ("nan", "inf", "-inf"):
            return ""
        if math.isinf(self.value):
            return "overflow"
        if self.value == 0 and self.text.lstrip("-") not in ("0", "0.0"):
            return "underflow"
        return ""

    @property
    def defined(self) -> bool:
        return self.text != "nan"

    def as_dict(self) -> dict[str, Any]:
        return {"decimal": self.text, "float": self.value, "exact": self.exact,
                "outside_float64": self.range or None}


def real(x: Any, exact: bool = False, digits: int = 30) -> Real:
    """A :class:`Real` from a Fraction, an mpf or a float."""
    import mpmath as mp

    if isinstance(x, Fraction):
        if x.denominator == 1 and abs(x.numerator).bit_length() <= 200:
            return Real(str(x.numerator), float(x.numerator), True, 0)
        with mp.workdps(digits + 10):
            return real(mp.mpf(x.numerator) / x.denominator, True, digits)
    if isinstance(x, float):
        x = mp.mpf(x)
    if mp.isnan(x):
        return Real("nan", math.nan, exact)
    if mp.isinf(x):
        return Real("inf" if x > 0 else "-inf", float(x), exact)
    with mp.workdps(digits + 10):
        if mp.isint(x) and abs(x) < mp.mpf(10) ** digits:
            text = str(int(x))
        else:
            text = mp.nstr(x, digits, min_fixed=-4, max_fixed=digits)
    try:
        value = float(x)
    except OverflowError:
        value = math.inf if x > 0 else -math.inf
    return Real(text, value, exact, 0 if exact else digits)


def evaluate(expr: Any, point: Mapping[Any, float]) -> Real:
    """A sympy expression's value at a point of floats, exactly or to 30 settled digits."""
    import mpmath as mp

    try:
        env = {s: Fraction(float(x)) for s, x in point.items()}
        return real(mpeval.run(expr, env, "fraction"), exact=True)
    except (mpeval.NotRational, TypeError, ZeroDivisionError):
        pass
    dps, prev = START_DPS, None
    while True:
        flags: list[str] = []
        with mp.workdps(dps):
            cur = mpeval.run(expr, {s: mp.mpf(float(x)) for s, x in point.items()}, "mp", flags)
            if prev is not None and not flags and (
                    (mp.isnan(cur) and mp.isnan(prev)) or cur == prev or
                    abs(cur - prev) <= mp.mpf(10) ** -TARGET_DIGITS * abs(cur)):
                break
        if dps >= MAX_DPS:
            break
        prev, dps = cur, dps * 2
    with mp.workdps(dps):
        return real(cur)
