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

from diffexplain.core.functions import _pow, _sigmoid
from diffexplain.errors import VerificationError
from diffexplain.i18n import N_

if TYPE_CHECKING:  # pragma: no cover
    import sympy

__all__ = ["NUMERIC", "SYMPY", "check_equal", "close", "evaluate"]

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
    import sympy as sp

    stack: list[tuple[Any, bool]] = [(expr, False)]
    vals: list[float] = []
    while stack:
        e, done = stack.pop()
        if not done:
            if e.is_Symbol:
                vals.append(float(env[e]) if e in env else math.nan)
                continue
            if e.is_Number or e in (sp.pi, sp.E) or (not e.args and e.is_number):  # zoo, I
                vals.append(_number(e))
                continue
            stack.append((e, True))
            stack.extend((a, False) for a in reversed(e.args))
            continue
        args = vals[len(vals) - len(e.args):]
        del vals[len(vals) - len(e.args):]
        vals.append(_apply(e, args))
    return vals[0]


def _number(e: Any) -> float:
    try:
        return float(e)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _apply(e: Any, args: list[float]) -> float:
    name = type(e).__name__
    try:
        if name == "Add":
            return math.fsum(args)
        if name == "Mul":
            out = 1.0
            for a in args:
                out *= a
            return out
        if name == "Pow":
            return _pow(math, args[0], args[1])
        if name == "Heaviside":
            x = args[0]
            h0 = args[1] if len(args) > 1 else 0.5
            return 1.0 if x > 0 else (0.0 if x < 0 else h0)
        if name == "Max":
            return max(args)
        if name == "Min":
            return min(args)
        if name == "Piecewise":
            raise NotImplementedError(name)
        if name in _UNARY and len(args) == 1:
            return float(_UNARY[name](args[0]))
        if name == "sigmoid":
            return _sigmoid(math, args[0])
        imp = getattr(type(e), "_imp_", None)  # the named functions (core/named.py): relu, softplus
        if imp is not None and len(args) == 1:
            return float(imp(args[0]))
    except (ValueError, ZeroDivisionError):
        return math.nan
    except OverflowError:
        return math.inf
    raise NotImplementedError(f"no float rule for {name}")


def close(a: float, b: float, rtol: float = 1e-8, atol: float = 1e-10) -> bool:
    """Equality for checks: NaN equals NaN, infinities must match exactly."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


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
    agree, tried = 0, 0
    try:
        envs = [dict(near)]
        for _ in range(points * 3):
            envs.append({s: near.get(s, 0.5) + rng.uniform(-0.5, 0.5) * max(1.0, abs(near.get(s, 0.5)))
                         for s in symbols})
        for env in envs:
            a, b = evaluate(lhs, env), evaluate(rhs, env)
            if not (math.isfinite(a) and math.isfinite(b)):
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
    if not tried and lhs.has(sp.nan, sp.zoo) and rhs.has(sp.nan, sp.zoo):
        # both sides are undefined expressions (e.g. 0**x·log(0)): nothing to compare, and the
        # verdict reports the derivative as undefined here rather than as a failed check
        return SYMPY
    if sp.simplify(diff) == 0:
        return SYMPY
    raise VerificationError(f"internal check failed: could not verify {what or 'a line'}; "
                            "please report this bug")
