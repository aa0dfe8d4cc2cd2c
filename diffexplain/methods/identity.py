"""Checking that each ``=`` of a derivation really is an identity, before it is shown.

Two methods, and the step records which one was used:

* ``sympy``: the difference of both sides expands to 0 (cheap, exact, decides
  polynomial and many rational identities);
* ``numeric``: both sides agree to 1e-8 (relative) at the point and at several
  random points around it; points outside the domain (NaN/inf) are skipped.

Expressions are evaluated by a small float interpreter over the sympy tree (an
explicit stack, no ``lambdify``: nothing is compiled or executed from text).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from diffexplain.errors import VerificationError
from diffexplain.i18n import N_

if TYPE_CHECKING:  # pragma: no cover
    import sympy

__all__ = ["NUMERIC", "SYMPY", "check_equal", "close", "evaluate", "on_kink"]

SYMPY = N_("sympy")
NUMERIC = N_("numeric")

_UNARY: dict[str, Any] = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
    "tanh": math.tanh, "sinh": math.sinh, "cosh": math.cosh, "atan": math.atan,
    "asin": math.asin, "acos": math.acos, "asinh": math.asinh, "acosh": math.acosh,
    "atanh": math.atanh, "Abs": abs, "sec": lambda u: 1 / math.cos(u),
    "csc": lambda u: 1 / math.sin(u), "cot": lambda u: 1 / math.tan(u),
    "sech": lambda u: 1 / math.cosh(u), "csch": lambda u: 1 / math.sinh(u),
    "coth": lambda u: 1 / math.tanh(u),
    "sign": lambda u: (u > 0) - (u < 0) if u == u else math.nan,
    "re": lambda u: u, "im": lambda u: 0.0,
}


def evaluate(expr: sympy.Basic, env: Mapping[Any, float]) -> float:
    """The float value of a sympy expression; NaN where it is undefined.

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> evaluate(2*x + sp.sin(x)**2, {x: 0.0})
    0.0
    """
    from diffexplain.methods import mpeval

    try:
        return float(mpeval.run(expr, env, "float"))
    except (OverflowError, ValueError, ZeroDivisionError):  # e.g. exp(-inf) at a ±inf point
        return math.nan


def close(a: float, b: float, rtol: float = 1e-8, atol: float = 1e-10) -> bool:
    """Equality for checks: NaN equals NaN, infinities must match exactly."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


#: sympy functions whose value at a kink or jump of their argument is a convention
_KINKED = frozenset({"Heaviside", "sign", "Abs", "relu", "heaviside", "DiracDelta"})


def on_kink(lhs: sympy.Expr, rhs: sympy.Expr, env: Mapping[Any, float]) -> bool:
    """Does a step, sign, |·|, relu, max or min of either side sit exactly at its kink here?

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> on_kink(sp.Heaviside(x), x, {x: 0.0}), on_kink(sp.Max(x, 1), x, {x: 0.5})
    (True, False)
    """
    import sympy as sp

    for side in (lhs, rhs):
        for e in sp.preorder_traversal(side):
            name = type(e).__name__
            if name in _KINKED and e.args and evaluate(e.args[0], env) == 0:
                return True
            if name in ("Max", "Min"):
                vals = [evaluate(a, env) for a in e.args]
                if len(set(vals)) < len(vals):
                    return True
    return False


def check_equal(lhs: sympy.Expr, rhs: sympy.Expr, near: Mapping[Any, float],
                what: str = "", seed: int = 0, points: int = 6) -> str:
    """Verify ``lhs = rhs``; return the method used, or raise :class:`VerificationError`.

    ``near`` gives the symbols' values at the point of interest; random points
    are drawn around it, so identities that hold only on a domain (``√x²=x``
    for x > 0) are checked where the derivation is used.
    """
    import sympy as sp

    if lhs == rhs:
        return SYMPY
    diff = lhs - rhs
    try:
        if diff == 0 or (sp.count_ops(diff) < 400 and sp.expand(diff) == 0):
            return SYMPY
    except Exception:  # noqa: BLE001 - a failing shortcut only means "try numerically"
        pass
    rng = random.Random(seed)
    # both sides' symbols: one may cancel in the difference yet be needed to evaluate a side
    symbols = sorted(lhs.free_symbols | rhs.free_symbols, key=lambda s: s.name)
    agree, tried, same_nonfinite = 0, 0, 0
    try:
        envs = [dict(near)]
        # around a non-finite point (--allow-nonfinite) the identity is checked at finite
        # points on the same side: ±100 for ±inf, 0.5 for nan
        mid = {s: v if math.isfinite(v) else 0.5 if math.isnan(v) else math.copysign(100.0, v)
               for s, v in near.items()}
        for _ in range(points * 3):
            envs.append({s: mid.get(s, 0.5) + rng.uniform(-0.5, 0.5) * max(1.0, abs(mid.get(s, 0.5)))
                         for s in symbols})
        for env in envs:
            a, b = evaluate(lhs, env), evaluate(rhs, env)
            if not (math.isfinite(a) and math.isfinite(b)):
                same_nonfinite += not math.isfinite(a) and not math.isfinite(b) and close(a, b)
                continue
            if not close(a, b) and on_kink(lhs, rhs, env):
                # H(0) = 1/2, sign(0) = 0 are conventions, not limits: H(relu(u))·H(u) = H(u)
                # holds on both sides of u = 0 but not at it (1/4 vs 1/2), so a point on a
                # kink proves nothing either way; the points around it decide
                continue
            tried += 1
            if not close(a, b):
                raise VerificationError(
                    f"internal check failed: {what or 'a derivation line'} is not an identity "
                    f"({a!r} ≠ {b!r} at {env}); please report this bug")
            agree += 1
            if agree >= points:
                return NUMERIC
    except NotImplementedError:
        pass
    if tried and agree == tried and agree >= 2:
        return NUMERIC
    if not tried and same_nonfinite == len(envs):
        # both sides are the same inf (or nan) everywhere, e.g. through a constant 0**-2:
        # no finite value to compare, and the verdict reports the point as undefined
        return NUMERIC
    if not tried and lhs.has(sp.nan, sp.zoo) and rhs.has(sp.nan, sp.zoo):
        # both sides are undefined expressions (e.g. 0**x·log(0)): nothing to compare, and the
        # verdict reports the derivative as undefined here rather than as a failed check
        return SYMPY
    if sp.simplify(diff) == 0:
        return SYMPY
    raise VerificationError(f"internal check failed: could not verify {what or 'a line'}; "
                            "please report this bug")
