"""The learner's named functions as sympy functions: σ, softplus and relu keep their names.

Written as ``1/(1 + exp(-u))``, sympy would differentiate σ into
``exp(-u)/(1 + exp(-u))²`` and simplify it to ``1/(4cosh(u/2)²)``: true, but not
what the notes print. As :class:`sympy.Function` subclasses with their own
derivative (:meth:`fdiff`), σ′ = σ(1 − σ), softplus′ = σ and relu′ = H, so closed
forms are written in the functions the learner used. Each still evaluates:
``evalf`` at any precision goes through the exp form (:meth:`rewrite` with
``exp``), and :func:`sympy.lambdify` uses ``_imp_``.

This module imports sympy at import time; :mod:`diffexplain.core.functions` imports
it only inside the sympy forms, so the CLI's ``--help`` path never loads sympy.
"""

from __future__ import annotations

import math
from typing import Any

import sympy as sp

__all__ = ["NAMED", "heaviside", "relu", "sigmoid", "sign", "softplus", "to_exp"]


def _float_sigmoid(u: Any) -> Any:
    if isinstance(u, float | int):
        if u >= 0:
            return 1.0 / (1.0 + math.exp(-u))
        z = math.exp(u)
        return z / (1.0 + z)
    import mpmath

    return 1 / (1 + mpmath.exp(-u))


def _float_softplus(u: Any) -> Any:
    if isinstance(u, float | int):
        return max(u, 0.0) + math.log1p(math.exp(-abs(u)))
    import mpmath

    return mpmath.log(1 + mpmath.exp(u))


def _call(name: str, arg: str, exp: str | None) -> str:
    """``\\sigma^{2}\\left(u\\right)``: a power of a call, as sympy prints ``\\sin^{2}``."""
    return rf"{name}{'^{' + exp + '}' if exp else ''}\left({arg}\right)"


class _Named(sp.Function):
    """Shared behaviour: real on reals, evalf through the exp (or Max) form."""

    nargs = 1

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_finite(self) -> bool | None:
        return self.args[0].is_finite

    def _eval_evalf(self, prec: int) -> Any:
        arg = self.args[0]._eval_evalf(prec)
        if arg is None or not arg.is_number:
            return None
        return self._definition(arg)._eval_evalf(prec)

    @classmethod
    def _definition(cls, u: Any) -> Any:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _eval_rewrite_as_exp(self, u: Any, **kw: Any) -> Any:
        return self._definition(u)


class sigmoid(_Named):  # lower case: the name the learner writes and sees
    """σ(u) = 1/(1 + e^(−u)), with σ′ = σ(1 − σ)."""

    _imp_ = staticmethod(_float_sigmoid)

    @classmethod
    def eval(cls, arg: Any) -> Any:  # sympy's Function.eval hook, not Python's eval
        if arg.is_zero:
            return sp.S.Half
        if arg is sp.oo:
            return sp.S.One
        if arg is sp.S.NegativeInfinity:
            return sp.S.Zero
        return None

    @classmethod
    def _definition(cls, u: Any) -> Any:
        return 1 / (1 + sp.exp(-u))

    def fdiff(self, argindex: int = 1) -> Any:
        return self * (1 - self)

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return _call(r"\sigma", printer._print(self.args[0]), exp)


class softplus(_Named):
    """softplus(u) = log(1 + e^u), with softplus′ = σ."""

    _imp_ = staticmethod(_float_softplus)

    @classmethod
    def eval(cls, arg: Any) -> Any:  # sympy's Function.eval hook, not Python's eval
        if arg.is_zero:
            return sp.log(2)
        return None

    @classmethod
    def _definition(cls, u: Any) -> Any:
        return sp.log(1 + sp.exp(u))

    def fdiff(self, argindex: int = 1) -> Any:
        return sigmoid(self.args[0])

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return _call(r"\operatorname{softplus}", printer._print(self.args[0]), exp)


class relu(_Named):
    """relu(u) = max(0, u), with relu′ = H(u) (sympy's H(0) = 1/2 at the kink)."""

    _imp_ = staticmethod(lambda u: u if u > 0 else 0 * u)

    @classmethod
    def eval(cls, arg: Any) -> Any:  # sympy's Function.eval hook, not Python's eval
        if arg.is_number and arg.is_extended_real:
            return sp.Max(0, arg)
        if arg.is_nonnegative:
            return arg
        if arg.is_nonpositive:
            return sp.S.Zero
        return None

    @classmethod
    def _definition(cls, u: Any) -> Any:
        return sp.Max(0, u)

    def _eval_rewrite_as_Max(self, u: Any, **kw: Any) -> Any:
        return sp.Max(0, u)

    def _eval_rewrite_as_exp(self, u: Any, **kw: Any) -> Any:
        return sp.Max(0, u)

    def fdiff(self, argindex: int = 1) -> Any:
        return heaviside(self.args[0])

    def _eval_is_nonnegative(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return _call(r"\operatorname{relu}", printer._print(self.args[0]), exp)


def _float_step(u: Any) -> Any:
    return 1.0 if u > 0 else (0.0 if u < 0 else (0.5 if u == 0 else float("nan")))


def _float_sign(u: Any) -> Any:
    return 1.0 if u > 0 else (-1.0 if u < 0 else (0.0 if u == 0 else float("nan")))


class heaviside(_Named):
    """The step H(u), with H(0) = 1/2 as sympy's Heaviside; H′ = 0 away from the jump at 0.

    Its derivative is 0 wherever it exists, as torch computes it: the jump at 0 is a
    kink the comparison reports, not a Dirac delta in the closed form.
    """

    _imp_ = staticmethod(_float_step)

    @classmethod
    def eval(cls, arg: Any) -> Any:  # sympy's Function.eval hook, not Python's eval
        if arg.is_extended_positive:
            return sp.S.One
        if arg.is_extended_negative:
            return sp.S.Zero
        if arg.is_zero:
            return sp.S.Half
        return None

    @classmethod
    def _definition(cls, u: Any) -> Any:
        return sp.Heaviside(u, sp.S.Half)

    def fdiff(self, argindex: int = 1) -> Any:
        return sp.S.Zero

    def _eval_is_nonnegative(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return _call(r"\theta", printer._print(self.args[0]), exp)


class sign(_Named):
    """sign(u), with sign′ = 0 away from 0 (the derivative of |u| is sign(u))."""

    _imp_ = staticmethod(_float_sign)

    @classmethod
    def eval(cls, arg: Any) -> Any:  # sympy's Function.eval hook, not Python's eval
        if arg.is_extended_positive:
            return sp.S.One
        if arg.is_extended_negative:
            return sp.S.NegativeOne
        if arg.is_zero:
            return sp.S.Zero
        return None

    @classmethod
    def _definition(cls, u: Any) -> Any:
        return sp.sign(u)

    def fdiff(self, argindex: int = 1) -> Any:
        return sp.S.Zero

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return _call(r"\operatorname{sign}", printer._print(self.args[0]), exp)


#: by name, as the operation table and the printers look them up
NAMED: dict[str, type[_Named]] = {"sigmoid": sigmoid, "softplus": softplus, "relu": relu,
                                  "heaviside": heaviside, "sign": sign}


def to_exp(expr: Any) -> Any:
    """The same expression with every named function replaced by its definition."""
    return expr.replace(lambda e: isinstance(e, _Named), lambda e: e._definition(e.args[0]))
