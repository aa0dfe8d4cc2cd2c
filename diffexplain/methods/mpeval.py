"""One interpreter of sympy trees, in three kinds of numbers: float, Fraction and mpmath.

Every construct sympy can put into a derivative of the function table (``Abs``, ``sign``,
``Heaviside``, ``DiracDelta``, ``Piecewise`` with its relations, ``Max``/``Min``,
``atan2``, huge rational powers, ``zoo``/``nan``) has one rule here, so the float
checks of :mod:`~diffexplain.methods.identity` and the exact witness of
:mod:`~diffexplain.methods.exact` can never differ in what they understand.

The walk is an explicit stack (no recursion, no ``lambdify``: nothing is compiled
from text). Undefined values are NaN; a real function of a real argument never
returns a complex number here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from diffexplain.core.floats import fsum

__all__ = ["KEEP_BITS", "NotRational", "Unsupported", "mp_numbers", "run"]

#: a sum (or a logarithm near 1) that keeps fewer bits than this is flagged: ~36 digits
KEEP_BITS = 120


class Unsupported(NotImplementedError):
    """A sympy construct with no rule (a bug: the table's derivatives must all have one)."""


class NotRational(Exception):
    """Raised in Fraction mode by the first operation whose value is not rational."""


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equality": lambda a, b: a == b, "Unequality": lambda a, b: a != b,
    "StrictLessThan": lambda a, b: a < b, "LessThan": lambda a, b: a <= b,
    "StrictGreaterThan": lambda a, b: a > b, "GreaterThan": lambda a, b: a >= b,
}


def run(expr: Any, env: Mapping[Any, Any], mode: Any = "float",
        flags: list[str] | None = None) -> Any:
    """The value of ``expr`` with symbols from ``env``: ``mode`` is float, fraction or mp
    (or :func:`mp_numbers` of a private mpmath context).

    In ``mp`` mode the current :mod:`mpmath` precision is used and ``flags`` collects
    "cancel" when a sum kept fewer than :data:`KEEP_BITS` bits (or none) or a logarithm
    was taken so near 1 that a term absorbed into the 1 decides it: the caller raises
    the precision until no flag remains.
    """
    import sympy as sp

    ops = _BACKENDS[mode] if isinstance(mode, str) else mode
    stack: list[tuple[Any, bool]] = [(expr, False)]
    vals: list[Any] = []
    while stack:
        e, done = stack.pop()
        if not done:
            if e.is_Symbol:
                vals.append(env[e] if e in env else ops.nan)
            elif e is sp.true or e is sp.false:
                vals.append(e is sp.true)
            elif e.is_Number or e in (sp.pi, sp.E) or e.is_Atom:
                vals.append(ops.number(e))
            elif getattr(type(e), "_definition", None) is not None:
                # σ, softplus, relu, H, sign keep their names (core/named.py): their definitions
                stack.append((type(e)._definition(*e.args), False))
            else:
                stack.append((e, True))
                stack.extend((a, False) for a in reversed(e.args))
            continue
        n = len(e.args)
        args = vals[len(vals) - n:]
        del vals[len(vals) - n:]
        vals.append(_apply(ops, e, args, flags))
    return vals[0]


def _apply(ops: Any, e: Any, args: list[Any], flags: list[str] | None) -> Any:
    name = type(e).__name__
    if name == "Add":
        return ops.add(args, flags)
    if name == "Mul":
        return ops.mul(args)
    if name == "Pow":
        return ops.pow(args[0], args[1])
    if name in _RELATIONS:
        if ops.isnan(args[0]) or ops.isnan(args[1]):
            return name == "Unequality"
        return _RELATIONS[name](args[0], args[1])
    if name in ("And", "Or", "Not"):
        return all(args) if name == "And" else any(args) if name == "Or" else not args[0]
    if name == "ExprCondPair":
        return (args[0], args[1])
    if name == "Piecewise":
        return next((v for v, c in args if c is True or c == 1), ops.nan)
    if name in ("Max", "Min"):
        if any(ops.isnan(a) for a in args):
            return ops.nan
        return max(args) if name == "Max" else min(args)
    if name == "Heaviside":
        x = args[0]
        if ops.isnan(x):
            return ops.nan
        return ops.one if x > 0 else ops.zero if x < 0 else (
            args[1] if len(args) > 1 else ops.half)
    if name == "DiracDelta":  # a distribution: 0 off its support, no value on it
        x = args[0]
        return ops.nan if ops.isnan(x) or x == 0 else ops.zero
    if name == "sign":
        x = args[0]
        return ops.nan if ops.isnan(x) else ops.one if x > 0 else -ops.one if x < 0 else ops.zero
    if name == "Abs":
        return abs(args[0])
    if name in ("re", "detach"):
        return args[0]
    if name == "im":
        return ops.zero
    if name == "atan2":
        return ops.func("atan2", args, flags)
    if name == "arg":  # of a real number: 0 or π
        x = args[0]
        return ops.nan if ops.isnan(x) or x == 0 else ops.zero if x > 0 else ops.func(
            "atan2", [ops.zero, -ops.one], flags)
    if name == "Tuple":  # the (variable, order) of an unevaluated Derivative
        return None
    if name == "Derivative":
        # sympy leaves d/dx sign(u) and d/dx H(u) unevaluated: 0 off the jump, no value on it
        inner = type(e.expr).__name__
        if inner in ("sign", "Heaviside"):
            jump = ops.zero if inner == "sign" else ops.half
            return ops.nan if ops.isnan(args[0]) or args[0] == jump else ops.zero
        raise Unsupported(f"no numeric rule for the derivative of {inner}")
    if name in ("BooleanTrue", "BooleanFalse"):
        return name == "BooleanTrue"
    if len(args) == 1 and name in _Float.unary:
        return ops.func(name, args, flags)
    raise Unsupported(f"no numeric rule for {name}")


# --- backends -------------------------------------------------------------------------------
class _Float:
    nan = math.nan
    zero, one, half = 0.0, 1.0, 0.5
    unary = frozenset({"sin", "cos", "tan", "exp", "log", "tanh", "sinh", "cosh", "atan", "asin",
             "acos", "asinh", "acosh", "atanh", "sec", "csc", "cot", "sech", "csch", "coth"})

    @staticmethod
    def isnan(x: Any) -> bool:
        return x != x

    @staticmethod
    def number(e: Any) -> float:
        try:
            return float(e)
        except (TypeError, ValueError):
            return math.nan
        except OverflowError:
            return math.inf if e > 0 else -math.inf

    @staticmethod
    def add(args: list[float], flags: list[str] | None) -> float:
        try:
            return fsum(args)
        except (OverflowError, ValueError):
            return sum(args)

    @staticmethod
    def mul(args: list[float]) -> float:
        out = 1.0
        for a in args:
            out *= a
        return out

    @staticmethod
    def pow(a: float, b: float) -> float:
        from diffexplain.core.functions import _pow

        return _pow(math, a, b)

    @staticmethod
    def func(name: str, args: list[float], flags: list[str] | None = None) -> float:
        inv = {"sec": "cos", "csc": "sin", "cot": "tan", "sech": "cosh", "csch": "sinh",
               "coth": "tanh"}
        try:
            if name == "atan2":
                return math.atan2(args[0], args[1])
            if name == "log":
                x = args[0]
                return -math.inf if x == 0 else math.log(x) if x > 0 else math.nan
            if name in inv:
                return 1.0 / getattr(math, inv[name])(args[0])
            return float(getattr(math, name)(args[0]))
        except (ValueError, ZeroDivisionError):
            return math.nan
        except OverflowError:
            return math.inf


class _Fraction:
    nan = None  # a rational computation never meets an undefined value: it bails out
    zero, one, half = Fraction(0), Fraction(1), Fraction(1, 2)
    unary: frozenset[str] = frozenset()
    #: integer powers beyond this many bits of result are left to mpmath
    MAX_BITS = 1 << 14

    @staticmethod
    def isnan(x: Any) -> bool:
        if x is None:
            raise NotRational
        return False

    @staticmethod
    def number(e: Any) -> Fraction:
        if e.is_Rational:
            return Fraction(int(e.p), int(e.q))
        if e.is_Float:
            return Fraction(str(e))
        raise NotRational

    @staticmethod
    def add(args: list[Fraction], flags: list[str] | None) -> Fraction:
        return sum(args, Fraction(0))

    @staticmethod
    def mul(args: list[Fraction]) -> Fraction:
        out = Fraction(1)
        for a in args:
            out *= a
        return out

    @classmethod
    def pow(cls, a: Fraction, b: Fraction) -> Fraction:
        if b.denominator != 1 or (a == 0 and b < 0):
            raise NotRational
        bits = max(a.numerator.bit_length(), a.denominator.bit_length()) * abs(int(b))
        if bits > cls.MAX_BITS:
            raise NotRational
        return a ** int(b)

    @staticmethod
    def func(name: str, args: list[Fraction], flags: list[str] | None = None) -> Fraction:
        raise NotRational


class _Mp:
    """mpmath numbers of one context: the global one (the exact witness raises its
    precision) or a private one (``checking.precise`` keeps 40 digits apart from it)."""

    unary = _Float.unary

    def __init__(self, ctx: Any = None) -> None:
        self._ctx = ctx

    @property
    def mp(self) -> Any:
        if self._ctx is None:
            import mpmath

            return mpmath.mp
        return self._ctx

    def __getattr__(self, item: str) -> Any:  # constants follow the current precision
        table = {"nan": "nan", "zero": 0, "one": 1, "half": 0.5}
        if item in table:
            return self.mp.mpf(table[item])
        raise AttributeError(item)

    def isnan(self, x: Any) -> bool:
        return bool(self.mp.isnan(x))

    def number(self, e: Any) -> Any:
        import sympy as sp

        mp = self.mp
        if e.is_Rational:
            return mp.mpf(int(e.p)) / int(e.q)
        if e.is_Float:
            return mp.mpf(str(e))
        if e is sp.pi:
            return +mp.pi
        if e is sp.E:
            return +mp.e
        if e is sp.oo:
            return mp.inf
        if e is sp.S.NegativeInfinity:
            return -mp.inf
        return mp.mpf("nan")  # zoo, nan, I: no real value

    def add(self, args: list[Any], flags: list[str] | None) -> Any:
        mp = self.mp
        out = mp.fsum(args)
        if flags is not None and mp.isfinite(out):
            big = max((abs(a) for a in args), default=0)
            if big and mp.isfinite(big):
                if out == 0 or abs(out) < big * mp.ldexp(1, KEEP_BITS - mp.prec):
                    flags.append("cancel")
        return out

    def mul(self, args: list[Any]) -> Any:
        out = self.mp.mpf(1)
        for a in args:
            out = out * a
        return out

    def pow(self, a: Any, b: Any) -> Any:
        mp = self.mp
        if mp.isnan(a) or mp.isnan(b):
            return mp.mpf("nan")
        if a < 0 and not mp.isint(b):
            return mp.mpf("nan")
        if a == 0:
            return mp.mpf(0) if b > 0 else mp.mpf(1) if b == 0 else mp.inf
        if mp.isint(b) and abs(b) > 2**62:  # in logs: mpmath would build the integer b
            odd = a < 0 and b.man & 1 and b.exp == 0
            out = mp.exp(b * mp.log(abs(a)))
            return -out if odd else out
        return mp.power(a, b)

    def func(self, name: str, args: list[Any], flags: list[str] | None = None) -> Any:
        mp = self.mp
        x = args[0]
        if mp.isnan(x):
            return mp.mpf("nan")
        if name in _HUGE and mp.isfinite(x) and abs(x) > 1e300:
            # e^(1e300) or sin(1e300): argument reduction would need as many bits as the
            # exponent has; the caller gives up on the exact value
            raise OverflowError(f"{name} of {mp.nstr(x, 5)} is beyond arbitrary precision")
        if flags is not None and name == "log" and abs(x - 1) < mp.ldexp(1, KEEP_BITS - mp.prec):
            flags.append("cancel")  # log is ill-conditioned at 1: 1 + tiny may have lost tiny
        if name == "atan2":
            return mp.atan2(args[0], args[1])
        if name == "log":
            return -mp.inf if x == 0 else mp.log(x) if x > 0 else mp.mpf("nan")
        if name in ("asin", "acos", "atanh") and abs(x) > 1:
            return mp.mpf("nan")
        if name == "acosh" and x < 1:
            return mp.mpf("nan")
        try:
            out = getattr(mp, name)(x)
        except (ValueError, ZeroDivisionError):
            return mp.mpf("nan")
        if isinstance(out, mp.mpc):
            return out.real if out.imag == 0 else mp.mpf("nan")
        return out


#: functions whose cost grows with the size of the argument (argument reduction)
_HUGE = frozenset({"sin", "cos", "tan", "sec", "csc", "cot", "exp", "sinh", "cosh", "tanh",
                   "sech", "csch", "coth"})

_BACKENDS: dict[str, Any] = {"float": _Float, "fraction": _Fraction, "mp": _Mp()}


def mp_numbers(ctx: Any) -> Any:
    """The mpmath backend of :func:`run` in the context ``ctx`` (an ``mpmath.MPContext``)."""
    return _Mp(ctx)
