"""The operation table: every operator and function the language knows, in one place.

Each entry carries one form per differentiator. Every form receives its module
(``sp`` for sympy, ``t`` for torch, ``m`` for :mod:`math`), so this table imports
nothing and adding a function is adding one entry:

* ``sympy``: the symbolic definition; :mod:`~diffexplain.methods.symbolic` differentiates it.
* ``torch``: the real torch call; :mod:`~diffexplain.methods.autograd` runs it.
* ``math``/``dmath``: float value and float partials, for the numeric forward pass
  and for big graphs, where building a sympy object per node would be too slow.
* ``partial_text``/``partial_latex``: the local partials as templates over the
  inputs' names (``{0}``, ``{1}``), for adjoint tables of any size.

``domain`` and ``kinks`` let :mod:`~diffexplain.compare` explain disagreements.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from diffexplain.core import torch_ops
from diffexplain.i18n import N_

__all__ = ["CONSTANTS", "FUNCTIONS", "OPERATORS", "Fn", "lookup"]


@dataclass(frozen=True)
class Fn:
    """One operation; see the module docstring for what each form is for."""

    name: str
    arity: int
    sympy: Callable[..., Any]
    torch: Callable[..., Any]
    math: Callable[..., float]
    dmath: tuple[Callable[..., float], ...]
    partial_text: tuple[str, ...]
    partial_latex: tuple[str, ...]
    rule: str
    text: str = ""  # how the value prints in traces, e.g. "sin({0})"
    latex: str = ""
    domain: str = N_("all reals")
    kinks: tuple[float, ...] = ()
    note: str = ""
    aliases: tuple[str, ...] = field(default=())
    #: how the op acts on vectors (see :mod:`diffexplain.tensors`): "" elementwise,
    #: "sum", "dot", "matmul", "bce" (mean over entries) or "detach" (stop-gradient)
    tensor: str = ""


#: what a guarded float form (:func:`_safe`) catches: a fast pass calls :func:`raw_form`
#: first and the guarded form only when one of these is raised
FLOAT_ERRORS = (ZeroDivisionError, OverflowError, ValueError)


def raw_form(f: Callable[..., float]) -> Callable[..., float]:
    """A table float form without its guard (the form itself if it has none)."""
    return getattr(f, "__wrapped__", f)


def _safe(f: Callable[..., float]) -> Callable[..., float]:
    """Float forms return NaN/inf outside the domain instead of raising, as torch does."""

    def wrapped(m: Any, *args: float) -> float:
        try:
            return float(f(m, *args))
        except (ZeroDivisionError, OverflowError):
            return math.inf
        except ValueError:
            return math.nan

    wrapped.__wrapped__ = f  # type: ignore[attr-defined]  # the float passes' fast path
    return wrapped


def _div(m: Any, a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _log(m: Any, u: float) -> float:
    if u == 0:
        return -math.inf
    return math.log(u) if u > 0 else math.nan


def _pow(m: Any, a: float, b: float) -> float:
    if a < 0 and not float(b).is_integer():
        return math.nan
    if a == 0 and b < 0:
        return math.inf
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf if a > 0 or float(b) % 2 == 0 else -math.inf


def _dpow_base(m: Any, a: float, b: float) -> float:
    if b == 0:
        return 0.0
    return b * _pow(m, a, b - 1)


def _dpow_exp(m: Any, a: float, b: float) -> float:
    if a <= 0:
        return math.nan if a < 0 else (0.0 if b > 0 else math.nan)
    return _pow(m, a, b) * math.log(a)


def _sigmoid(m: Any, x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(m: Any, x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _heaviside_half(m: Any, x: float) -> float:
    # sympy's convention Heaviside(0) = 1/2 is what the symbolic side computes at the kink.
    return 1.0 if x > 0 else (0.0 if x < 0 else 0.5)


def _sign(m: Any, x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else (0.0 if x == 0 else math.nan))


def _op(name: str, *, arity: int, sympy: Callable[..., Any], torch: Callable[..., Any],
        mathf: Callable[..., float], dmath: tuple[Callable[..., float], ...],
        partial_text: tuple[str, ...], partial_latex: tuple[str, ...], rule: str,
        **kw: Any) -> Fn:
    """One entry, every form by keyword (see :class:`Fn`)."""
    return Fn(name, arity, sympy, torch, _safe(mathf), tuple(_safe(d) for d in dmath),
              partial_text, partial_latex, rule, **kw)


# --- operators: the parser maps symbols to these names ------------------------------------
OPERATORS: dict[str, Fn] = {
    "add": _op("add", arity=2, sympy=lambda sp, a, b: a + b, torch=lambda t, a, b: a + b,
               mathf=lambda m, a, b: a + b, dmath=(lambda m, a, b: 1.0, lambda m, a, b: 1.0),
               partial_text=("1", "1"), partial_latex=("1", "1"), rule=N_("sum rule"), text="{0} + {1}",
               latex="{0} + {1}"),
    "sub": _op("sub", arity=2, sympy=lambda sp, a, b: a - b, torch=lambda t, a, b: a - b,
               mathf=lambda m, a, b: a - b, dmath=(lambda m, a, b: 1.0, lambda m, a, b: -1.0),
               partial_text=("1", "-1"), partial_latex=("1", "-1"), rule=N_("difference rule"),
               text="{0} - {1}", latex="{0} - {1}"),
    "mul": _op("mul", arity=2, sympy=lambda sp, a, b: a * b, torch=lambda t, a, b: a * b,
               mathf=lambda m, a, b: a * b, dmath=(lambda m, a, b: b, lambda m, a, b: a),
               partial_text=("{1}", "{0}"), partial_latex=("{1}", "{0}"), rule=N_("product rule"),
               text="{0}·{1}", latex=r"{0} \cdot {1}"),
    "div": _op("div", arity=2, sympy=lambda sp, a, b: a / b, torch=lambda t, a, b: a / b, mathf=_div,
               dmath=(lambda m, a, b: _div(m, 1.0, b), lambda m, a, b: _div(m, -a, b * b)),
               partial_text=("1/{1}", "-{0}/{1}²"),
               partial_latex=(r"\frac{{1}}{{{1}}}", r"-\frac{{{0}}}{{{1}^{{2}}}}"), rule=N_("quotient rule"),
               text="{0}/{1}", latex=r"\frac{{{0}}}{{{1}}}", domain=N_("denominator ≠ 0")),
    "pow": _op("pow", arity=2, sympy=lambda sp, a, b: a**b, torch=lambda t, a, b: t.pow(a, b), mathf=_pow,
               dmath=(_dpow_base, _dpow_exp), partial_text=("{1}·{0}^({1} - 1)", "{0}^{1}·log({0})"),
               partial_latex=(r"{1} \cdot {0}^{{{1} - 1}}", r"{0}^{{{1}}} \log{{\left({0}\right)}}"),
               rule=N_("power rule"), text="{0}^{1}", latex="{0}^{{{1}}}",
               domain=N_("base > 0 unless the exponent is an integer"), aliases=("**", "^")),
    "neg": _op("neg", arity=1, sympy=lambda sp, a: -a, torch=lambda t, a: -a, mathf=lambda m, a: -a,
               dmath=(lambda m, a: -1.0,), partial_text=("-1",), partial_latex=("-1",),
               rule=N_("constant multiple rule"), text="-{0}", latex="-{0}"),
}


def _fn(name: str, *, sympy: Callable[..., Any], torch: Callable[..., Any],
        mathf: Callable[..., float], dmath: Callable[..., float], partial_text: str,
        partial_latex: str, rule: str, latex: str, **kw: Any) -> Fn:
    """A one-argument function: one derivative, one template of each kind."""
    return _op(name, arity=1, sympy=sympy, torch=torch, mathf=mathf, dmath=(dmath,),
               partial_text=(partial_text,), partial_latex=(partial_latex,), rule=rule, text=name + "({0})",
               latex=latex, **kw)


def _named(name: str) -> Any:
    """σ, softplus, relu as sympy functions with their own derivative (see core/named.py)."""
    from diffexplain.core.named import NAMED

    return NAMED[name]


def _chain(deriv: str) -> str:
    # one message for every entry: diffexplain.i18n.rule_text translates it where it is shown
    # a table derivative, not the chain rule: the chain rule is the product along a path
    return N_("table derivative, d/du {derivative}").format(derivative=deriv)


# --- functions: the only names a call may use -----------------------------------------------
FUNCTIONS: dict[str, Fn] = {
    "sin": _fn("sin", sympy=lambda sp, u: sp.sin(u), torch=lambda t, u: t.sin(u), mathf=lambda m, u: m.sin(u),
               dmath=lambda m, u: m.cos(u), partial_text="cos({0})",
               partial_latex=r"\cos{{\left({0}\right)}}", rule=_chain("sin u = cos u"),
               latex=r"\sin{{\left({0}\right)}}"),
    "cos": _fn("cos", sympy=lambda sp, u: sp.cos(u), torch=lambda t, u: t.cos(u), mathf=lambda m, u: m.cos(u),
               dmath=lambda m, u: -m.sin(u), partial_text="-sin({0})",
               partial_latex=r"-\sin{{\left({0}\right)}}", rule=_chain("cos u = -sin u"),
               latex=r"\cos{{\left({0}\right)}}"),
    "tan": _fn("tan", sympy=lambda sp, u: sp.tan(u), torch=lambda t, u: t.tan(u), mathf=lambda m, u: m.tan(u),
               dmath=lambda m, u: 1.0 + m.tan(u) ** 2, partial_text="1 + tan({0})²",
               partial_latex=r"1 + \tan^{{2}}{{\left({0}\right)}}", rule=_chain("tan u = 1 + tan² u"),
               latex=r"\tan{{\left({0}\right)}}", domain=N_("u ≠ π/2 + kπ")),
    "exp": _fn("exp", sympy=lambda sp, u: sp.exp(u), torch=lambda t, u: t.exp(u), mathf=lambda m, u: m.exp(u),
               dmath=lambda m, u: m.exp(u), partial_text="exp({0})", partial_latex=r"e^{{{0}}}",
               rule=_chain("exp u = exp u"), latex=r"e^{{{0}}}"),
    "log": _fn("log", sympy=lambda sp, u: sp.log(u), torch=lambda t, u: t.log(u), mathf=_log,
               dmath=lambda m, u: _div(m, 1.0, u), partial_text="1/{0}", partial_latex=r"\frac{{1}}{{{0}}}",
               rule=_chain("log u = 1/u"), latex=r"\log{{\left({0}\right)}}", domain=N_("u > 0"),
               aliases=("ln",)),
    "sqrt": _fn("sqrt", sympy=lambda sp, u: sp.sqrt(u), torch=lambda t, u: t.sqrt(u),
                mathf=lambda m, u: m.sqrt(u), dmath=lambda m, u: 0.5 / m.sqrt(u),
                partial_text="1/(2·sqrt({0}))", partial_latex=r"\frac{{1}}{{2 \sqrt{{{0}}}}}",
                rule=_chain("√u = 1/(2√u)"), latex=r"\sqrt{{{0}}}",
                domain=N_("u ≥ 0 (derivative needs u > 0)")),
    "tanh": _fn("tanh", sympy=lambda sp, u: sp.tanh(u), torch=lambda t, u: t.tanh(u),
                mathf=lambda m, u: m.tanh(u), dmath=lambda m, u: 1.0 - m.tanh(u) ** 2,
                partial_text="1 - tanh({0})²", partial_latex=r"1 - \tanh^{{2}}{{\left({0}\right)}}",
                rule=_chain("tanh u = 1 - tanh² u"), latex=r"\tanh{{\left({0}\right)}}"),
    "sigmoid": _fn("sigmoid", sympy=lambda sp, u: _named("sigmoid")(u), torch=lambda t, u: t.sigmoid(u),
                   mathf=_sigmoid, dmath=lambda m, u: _sigmoid(m, u) * (1.0 - _sigmoid(m, u)),
                   partial_text="σ({0})·(1 - σ({0}))",
                   partial_latex=r"\sigma\left({0}\right) \left(1 - \sigma\left({0}\right)\right)",
                   rule=_chain("σ(u) = σ(u)(1 - σ(u))"), latex=r"\sigma\left({0}\right)",
                   aliases=("logistic",)),
    "relu": _fn("relu", sympy=lambda sp, u: _named("relu")(u), torch=lambda t, u: t.relu(u),
                mathf=lambda m, u: max(u, 0.0), dmath=_heaviside_half, partial_text="H({0})",
                partial_latex=r"\theta\left({0}\right)", rule=_chain("relu u = H(u), the step function"),
                latex=r"\operatorname{{relu}}\left({0}\right)", kinks=(0.0,),
                note=N_("at 0 sympy gives H(0) = 1/2, torch uses the subgradient 0")),
    "abs": _fn("abs", sympy=lambda sp, u: sp.Abs(u), torch=lambda t, u: t.abs(u), mathf=lambda m, u: abs(u),
               dmath=_sign, partial_text="sign({0})",
               partial_latex=r"\operatorname{{sign}}{{\left({0}\right)}}", rule=_chain("|u| = sign(u)"),
               latex=r"\left|{0}\right|", kinks=(0.0,),
               note=N_("at 0 both sides use sign(0) = 0, but the derivative does not exist")),
    "softplus": _fn("softplus", sympy=lambda sp, u: _named("softplus")(u),
                    torch=lambda t, u: t.nn.functional.softplus(u), mathf=_softplus,
                    dmath=lambda m, u: _sigmoid(m, u), partial_text="σ({0})",
                    partial_latex=r"\sigma\left({0}\right)", rule=_chain("softplus u = σ(u)"),
                    latex=r"\operatorname{{softplus}}\left({0}\right)",
                    note=N_("torch switches to the identity for u > 20")),
    "atan": _fn("atan", sympy=lambda sp, u: sp.atan(u), torch=lambda t, u: t.atan(u),
                mathf=lambda m, u: m.atan(u), dmath=lambda m, u: 1.0 / (1.0 + u * u),
                partial_text="1/(1 + {0}²)", partial_latex=r"\frac{{1}}{{1 + {0}^{{2}}}}",
                rule=_chain("atan u = 1/(1 + u²)"), latex=r"\operatorname{{atan}}{{\left({0}\right)}}",
                aliases=("arctan",)),
    "sinh": _fn("sinh", sympy=lambda sp, u: sp.sinh(u), torch=lambda t, u: t.sinh(u),
                mathf=lambda m, u: m.sinh(u), dmath=lambda m, u: m.cosh(u), partial_text="cosh({0})",
                partial_latex=r"\cosh{{\left({0}\right)}}", rule=_chain("sinh u = cosh u"),
                latex=r"\sinh{{\left({0}\right)}}"),
    "cosh": _fn("cosh", sympy=lambda sp, u: sp.cosh(u), torch=lambda t, u: t.cosh(u),
                mathf=lambda m, u: m.cosh(u), dmath=lambda m, u: m.sinh(u), partial_text="sinh({0})",
                partial_latex=r"\sinh{{\left({0}\right)}}", rule=_chain("cosh u = sinh u"),
                latex=r"\cosh{{\left({0}\right)}}"),
}


# --- the derivatives of relu and abs, so derivations that print them can be read back -------
def _step_torch(t: Any, u: Any) -> Any:
    # torch's heaviside has no derivative; H′ = 0 wherever it exists
    return u * 0 + t.heaviside(u.detach(), t.tensor(0.5, dtype=u.dtype))


FUNCTIONS["heaviside"] = _fn("heaviside", sympy=lambda sp, u: _named("heaviside")(u), torch=_step_torch,
                             mathf=_heaviside_half, dmath=lambda m, u: 0.0, partial_text="0",
                             partial_latex="0", rule=_chain("H(u) = 0 (u ≠ 0)"),
                             latex=r"\theta\left({0}\right)", kinks=(0.0,),
                             note=N_("the step jumps at 0: H(0) = 1/2 and no derivative there"))
FUNCTIONS["sign"] = _fn("sign", sympy=lambda sp, u: _named("sign")(u), torch=lambda t, u: t.sign(u),
                        mathf=_sign, dmath=lambda m, u: 0.0, partial_text="0", partial_latex="0",
                        rule=_chain("sign u = 0 (u ≠ 0)"), latex=r"\operatorname{{sign}}\left({0}\right)",
                        kinks=(0.0,), note=N_("sign jumps at 0: no derivative there"))


# --- vector functions: scalar forms here, the vector meaning in diffexplain.tensors ---------
_STOP: dict[str, Any] = {}


def _stop_gradient(sp: Any, u: Any) -> Any:
    """``detach(u)``: sympy sees a function whose derivative is 0, as torch does."""
    if "cls" not in _STOP:
        class detach(sp.Function):  # prints as the user wrote it
            @classmethod
            def eval(cls, arg: Any) -> Any:  # sympy's Function.eval hook, not Python's eval
                return arg if arg.is_Number else None

            def fdiff(self, argindex: int = 1) -> Any:
                return sp.S.Zero

        _STOP["cls"] = detach
    return _STOP["cls"](u)


def _bce(m: Any, z: float, y: float) -> float:
    return _softplus(m, z) - y * z


def _matmul_torch(t: Any, a: Any, b: Any) -> Any:
    return t.matmul(a, b) if a.dim() and b.dim() else a * b


def _dot_torch(t: Any, a: Any, b: Any) -> Any:
    return t.dot(a, b) if a.dim() == 1 and b.dim() == 1 else a * b


FUNCTIONS["sum"] = _op("sum", arity=1, sympy=lambda sp, u: u, torch=lambda t, u: t.sum(u),
                       mathf=lambda m, u: u, dmath=(lambda m, u: 1.0,), partial_text=("1",),
                       partial_latex=("1",), rule=N_("sum rule: ∂(Σu)/∂uᵢ = 1"), text="sum({0})",
                       latex=r"\sum {0}", tensor="sum")
FUNCTIONS["dot"] = _op("dot", arity=2, sympy=lambda sp, a, b: a * b, torch=_dot_torch,
                       mathf=lambda m, a, b: a * b, dmath=(lambda m, a, b: b, lambda m, a, b: a),
                       partial_text=("{1}", "{0}"), partial_latex=("{1}", "{0}"),
                       rule=N_("product rule, summed over entries"), text="dot({0}, {1})",
                       latex=r"{0}^{{\top}} {1}", tensor="dot")
FUNCTIONS["detach"] = _op("detach", arity=1, sympy=_stop_gradient, torch=lambda t, u: u.detach(),
                          mathf=lambda m, u: u, dmath=(lambda m, u: 0.0,), partial_text=("0",),
                          partial_latex=("0",),
                          rule=N_("stop-gradient: detach(u) is a constant for differentiation"),
                          text="detach({0})", latex=r"\operatorname{{detach}}\left({0}\right)",
                          tensor="detach", aliases=("stop_gradient",))
def _bce_torch(t: Any, z: Any, y: Any) -> Any:
    return t.nn.functional.binary_cross_entropy_with_logits(z, y)


FUNCTIONS["bce_with_logits"] = _op(
    "bce_with_logits", arity=2, sympy=lambda sp, z, y: _named("softplus")(z) - y * z,
    torch=_bce_torch, mathf=_bce, dmath=(lambda m, z, y: _sigmoid(m, z) - y, lambda m, z, y: -z),
    partial_text=("σ({0}) - {1}", "-{0}"), partial_latex=(r"\sigma\left({0}\right) - {1}", "-{0}"),
    rule=N_("logit loss: ∂/∂z [log(1 + eᶻ) − y·z] = σ(z) − y"), text="bce_with_logits({0}, {1})",
    latex=r"\operatorname{{BCE}}\left({0}, {1}\right)", tensor="bce",
    note=N_("torch averages over the entries (reduction='mean')"))
OPERATORS["matmul"] = _op("matmul", arity=2, sympy=lambda sp, a, b: a * b, torch=_matmul_torch,
                          mathf=lambda m, a, b: a * b, dmath=(lambda m, a, b: b, lambda m, a, b: a),
                          partial_text=("{1}", "{0}"), partial_latex=("{1}", "{0}"),
                          rule=N_("product rule, summed over entries"), text="{0} @ {1}", latex=r"{0} {1}",
                          tensor="matmul", aliases=("@",))

# ``pow(a, b)`` is a call spelling of the ``**`` operator.
FUNCTIONS["pow"] = OPERATORS["pow"]

#: Named constants; any other identifier is a variable.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

_ALIASES = {alias: fn.name for fn in FUNCTIONS.values() for alias in fn.aliases
            if alias.isidentifier()}


def lookup(name: str) -> Fn | None:
    """The function a call name refers to (aliases such as ``ln`` included), or None."""
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    if name in _ALIASES:
        return FUNCTIONS[_ALIASES[name]]
    return None


# --- recorded PyTorch operations (issue 17): their own module, built with _op ---------------
_TORCH_FUNCTIONS, TORCH_OPS = torch_ops.table(_op)
FUNCTIONS.update(_TORCH_FUNCTIONS)
