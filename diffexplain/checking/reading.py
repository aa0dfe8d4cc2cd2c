"""A step's syntax tree to sympy: names resolved against the exercise, nothing evaluated.

Two expressions come out of a step: ``full``, in the exercise's leaves (intermediates
replaced by their definitions, partials and adjoints by their values), which is what is
compared; and ``shown``, the step as written (unevaluated), which is what is printed.
A :class:`Scope` says what names mean: the explained graph (:class:`GraphScope`) or free
symbols (:class:`FreeScope`, for equations).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from diffexplain.checking.grammar import parse
from diffexplain.checking.notation import Node
from diffexplain.checking.scopes import FreeScope, GraphScope, Scope
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _

__all__ = ["FreeScope", "GraphScope", "Reading", "Scope", "read"]

#: decimals written with at least this many significant digits are read as rounded values
#: (``2·0.731571``, as a derivation's "forward values" line prints them); shorter ones
#: (``2·0.3``, a point substituted) are exact
ROUNDED_DIGITS = 4
#: most syntax-tree nodes a step may have
MAX_NODES = 1000
#: largest exact power of numbers (bits of the result) a step may ask for
MAX_POWER_BITS = 20_000
_ARITY = {"max": (2, 9), "min": (2, 9), "pow": (2, 2)}


class Reading:
    """One step read: ``full`` (compared), ``shown`` (printed), and what the reader noticed."""

    def __init__(self) -> None:
        self.labels: dict[Any, tuple[str, str]] = {}  # placeholder symbol → (text, LaTeX)
        self.unknown: list[str] = []
        self.notes: list[str] = []
        #: rounded decimals (``0.731571``): (placeholder in ``rounded``, exact value, half a unit)
        self.decimals: list[tuple[Any, Any, float]] = []
        self.rounded: Any = None  # ``full`` with the rounded decimals as placeholders
        self.literal: str | None = None
        self.label = False  # the step is only "∂y/∂w" (or y', dy/dx, d/dw …)
        self.full: Any = None
        self.shown: Any = None


def read(raw: str, scope: Scope) -> Reading:
    """Parse and build one step (``InputError`` speaks to the student on bad notation)."""
    tree, notes = parse(raw, scope.names)
    r = Reading()
    r.notes = notes
    b = _Builder(scope, r)
    r.label = tree[0] == "d" or (tree[0] in ("prime", "primecall") and _is_output_prime(tree, scope))
    r.rounded, r.shown = b.build(tree, whole=True)
    r.full = r.rounded.xreplace({d: v for d, v, _a in r.decimals}) if r.decimals else r.rounded
    lit = tree[1] if tree[0] == "num" else (
        "-" + tree[1][1] if tree[0] == "neg" and tree[1][0] == "num" else None)
    r.literal = lit
    return r


def _is_output_prime(tree: Node, scope: Scope) -> bool:
    if tree[0] == "primecall":
        return scope.is_output(tree[1]) or (tree[1] not in scope.names)
    return tree[1][0] == "name" and scope.is_output(tree[1][1])


def allowance(literal: str) -> float:
    """Half a unit in the last digit written (``0.97`` → 0.005); 0 for whole numbers and
    for ``1e1``/``0e5``, whose smallest plausible precision is exact."""
    body = literal.lstrip("-+")
    mant, _sep, exp = body.lower().partition("e")
    if "." not in mant:
        return 0.0
    decimals = len(mant.partition(".")[2])
    # 17 digits (a float's repr) are no more precise than the float: two units in its last bit
    return max(0.5 * 10.0 ** (int(exp or 0) - decimals), 4.5e-16 * abs(float(body)))


class _Builder:
    def __init__(self, scope: Scope, r: Reading) -> None:
        import sympy as sp

        self.sp = sp
        self.s = scope
        self.r = r
        self.n = 0
        self.count = 0

    def label(self, full: Any, text: str, latex: str) -> tuple[Any, Any]:
        self.n += 1
        sym = self.sp.Symbol(f"_step_label_{self.n}")
        self.r.labels[sym] = (text, latex)
        return full, sym

    def build(self, t: Node, whole: bool = False) -> tuple[Any, Any]:
        sp = self.sp
        kind = t[0]
        self.count += 1
        if self.count > MAX_NODES:
            raise LimitExceeded(_("the step has more than {limit} nodes").format(
                limit=MAX_NODES), _("a step is one line of a derivation"))
        if kind == "num":
            v = Fraction(t[1])
            full = sp.Rational(v.numerator, v.denominator)
            if v.denominator == 1 and "." not in t[1] and "e" not in t[1].lower():
                return full, full
            a = allowance(t[1])
            digits = len(t[1].lower().partition("e")[0].replace(".", "").lstrip("0"))
            if a and digits >= ROUNDED_DIGITS:
                d = sp.Dummy("d")
                self.r.decimals.append((d, full, a))
                return self.label(d, t[1], t[1])
            return self.label(full, t[1], t[1])
        if kind == "frac":
            p, q = t[1].split("/")
            full = sp.Rational(int(p), int(q))
            return full, full
        if kind == "name":
            return self.name(t[1])
        if kind == "group":
            return self.build(t[1], whole)
        if kind == "bin":
            (fa, sa), (fb, sb) = self.build(t[2]), self.build(t[3])
            op = t[1]
            # a + b + c as written, not (a + b) + c; (a + b) + c keeps its brackets
            flat = t[2][0] != "group" and t[2][0] == "bin" and (
                (op in "+-" and t[2][1] in "+-") or (op == "*" and t[2][1] == "*"))
            left = list(sa.args) if flat else [sa]
            if op == "+":
                return fa + fb, sp.Add(*left, sb, evaluate=False)
            if op == "-":
                return fa - fb, sp.Add(*left, _minus(sp, sb), evaluate=False)
            if op == "*":
                right = list(sb.args) if t[3][0] == "bin" and t[3][1] == "*" else [sb]
                return fa * fb, sp.Mul(*left, *right, evaluate=False)
            if op == "/":
                return fa / fb, sp.Mul(sa, sp.Pow(sb, -1, evaluate=False), evaluate=False)
            _check_power(fa, fb)
            return fa ** fb, sp.Pow(sa, sb, evaluate=False)
        if kind == "neg":
            fa, sa = self.build(t[1])
            return -fa, _minus(sp, sa)
        if kind == "abs":
            fa, sa = self.build(t[1])
            return sp.Abs(fa), sp.Abs(sa, evaluate=False)
        if kind == "root":
            fa, sa = self.build(t[2])
            if t[1] == 2:
                return sp.sqrt(fa), sp.Pow(sa, sp.Rational(1, 2), evaluate=False)
            return fa ** sp.Rational(1, t[1]), sp.Pow(sa, sp.Rational(1, t[1]), evaluate=False)
        if kind == "call":
            return self.call(t[1], [self.build(a) for a in t[2]], t[4])
        if kind == "fprime":
            return self.fprime(t)
        if kind in ("prime", "primecall"):
            return self.prime(t)
        if kind == "d":
            return self.derivative(t, whole)
        if kind == "adj":
            val = self.s.adjoint(t[1])
            if val is None:
                self.r.unknown.append(t[1] + "\u0304")
                return self.unknown(t[1] + "_bar")
            from diffexplain.core.printing import bar, bar_latex

            return self.label(sp.Integer(val) if isinstance(val, int) else val, bar(t[1]),
                              bar_latex(t[1]))
        raise InputError(f"unreadable step ({kind})")  # pragma: no cover - the parser's nodes

    def unknown(self, name: str) -> tuple[Any, Any]:
        s = self.sp.Symbol(name, real=True)
        return s, s

    def name(self, name: str) -> tuple[Any, Any]:
        sp = self.sp
        got = self.s.name(name)
        if got is not None:
            return got
        if name in ("e", "E"):
            return sp.E, sp.E
        if name == "pi":
            return sp.pi, sp.pi
        self.r.unknown.append(name)
        return self.unknown(name)

    def call(self, f: str, args: list[tuple[Any, Any]], written: str) -> tuple[Any, Any]:
        sp = self.sp
        lo, hi = _ARITY.get(f, (1, 1))
        if not lo <= len(args) <= hi:
            raise InputError(_("{f} takes {n} argument(s), not {m}").format(
                f=written, n=lo if lo == hi else f"{lo}–{hi}", m=len(args)))
        fa = [a for a, _s in args]
        sa = [s for _a, s in args]
        table: dict[str, Any] = {
            "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "exp": sp.exp, "log": sp.log,
            "sqrt": sp.sqrt, "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh, "atan": sp.atan,
            "asin": sp.asin, "acos": sp.acos, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot,
            "abs": sp.Abs, "heaviside": sp.Heaviside, "sign": sp.sign,
            "max": sp.Max, "min": sp.Min, "pow": lambda a, b: a**b,
            "sigmoid": lambda u: 1 / (1 + sp.exp(-u)), "relu": lambda u: sp.Max(0, u),
            "softplus": lambda u: sp.log(1 + sp.exp(u)),
        }
        full = table[f](*fa)
        if f in ("sigmoid", "relu", "softplus"):
            shown = sp.Function(f)(*sa)
        elif f == "pow":
            shown = sp.Pow(*sa, evaluate=False)
        elif f == "sqrt":
            shown = sp.Pow(sa[0], sp.Rational(1, 2), evaluate=False)
        else:
            shown = table[f](*sa, evaluate=False)
        return full, shown

    def fprime(self, t: Node) -> tuple[Any, Any]:
        sp = self.sp
        args = [self.build(a) for a in t[2]]
        if len(args) != 1:
            raise InputError(_("a prime on a function of several arguments is ambiguous"))
        u = sp.Dummy("u", real=True)
        f, _shown = self.call(t[1], [(u, u)], t[1])
        d = sp.diff(f, u, t[3]).xreplace({u: args[0][0]})
        text = f"{t[1]}{chr(39) * t[3]}({args[0][1]})"
        return self.label(d, text, text)

    def prime(self, t: Node) -> tuple[Any, Any]:
        sp = self.sp
        wrt = self.s.wrt
        if wrt is None:
            raise InputError(_("a prime (') needs the variable of the exercise; write d/dx"))
        if t[0] == "primecall":
            name, args, k = t[1], t[2], t[3]
            if self.s.is_output(name) or name not in self.s.names:
                d = self.s.output_derivative(None)
                if k > 1:
                    d = sp.diff(d, wrt, k - 1)
                if len(args) == 1:
                    arg = self.build(args[0])[0]
                    if arg != wrt:
                        d = d.xreplace({wrt: arg})
                return self.label(d, f"{name}{chr(39) * k}({_txt(args, self)})",
                                  f"{name}{chr(39) * k}({_txt(args, self)})")
            raise InputError(_("{name} is a variable of the expression, not a function: "
                               "{name}'({arg}) cannot be read").format(name=name, arg="…"))
        inner, k = t[1], t[2]
        if inner[0] == "name" and (self.s.is_output(inner[1]) or inner[1] not in self.s.names):
            d = self.s.output_derivative(None)
            d = sp.diff(d, wrt, k - 1) if k > 1 else d
            return self.label(d, inner[1] + "'" * k, inner[1] + "'" * k)
        if inner[0] == "name":
            d = self.s.node_derivative(inner[1])
            if d is not None:
                d = sp.diff(d, wrt, k - 1) if k > 1 else d
                return self.label(d, inner[1] + "'" * k, inner[1] + "'" * k)
        full, shown = self.build(inner)
        from diffexplain.core.printing import text as p_text

        return self.label(sp.diff(full, wrt, k), f"({p_text(shown)})" + "'" * k,
                          f"\\left({sp.latex(shown)}\\right)" + "'" * k)

    def derivative(self, t: Node, whole: bool) -> tuple[Any, Any]:
        from diffexplain.core.printing import text as p_text
        from diffexplain.methods.symbolic import latex_name

        sp = self.sp
        of, var = t[1], t[2]
        if of is None or (of[0] == "name" and self.s.is_output(of[1])):
            out = of[1] if of is not None else getattr(self.s, "out", "y")
            if of is not None and not whole and out in self.s.names:
                full = self.s.partial(out, var)
            elif self.s.is_variable(var):
                full = self.s.output_derivative(var)
            else:
                full = self.s.partial(getattr(self.s, "out", ""), var)
            if full is None:
                raise InputError(_("cannot differentiate with respect to {name!r}: it is not a "
                                   "name of the expression").format(name=var))
            return self.label(full, f"∂{out}/∂{var}",
                              rf"\frac{{\partial {latex_name(out)}}}{{\partial {latex_name(var)}}}")
        if of[0] == "name" and of[1] in self.s.names and var in self.s.names:
            part = self.s.partial(of[1], var)
            if part is not None:
                return self.label(part, f"∂{of[1]}/∂{var}",
                                  rf"\frac{{\partial {latex_name(of[1])}}}"
                                  rf"{{\partial {latex_name(var)}}}")
        x = self.s.symbol(var)
        full, shown = self.build(of)
        return self.label(sp.diff(full, x), f"d/d{var}({p_text(shown)})",
                          rf"\frac{{d}}{{d{latex_name(var)}}}\left({sp.latex(shown)}\right)")


def _txt(args: list[Node], b: _Builder) -> str:
    from diffexplain.core.printing import text as p_text

    return ", ".join(p_text(b.build(a)[1]) for a in args)


def _check_power(base: Any, exp: Any) -> None:
    """``9**9**9`` written in a step would be computed exactly by sympy: refuse it first."""
    import math

    if not (getattr(base, "is_Rational", False) and getattr(exp, "is_Rational", False)):
        return
    size = max(abs(int(base.p)), abs(int(base.q)), 1)
    if size > 1 and abs(float(exp)) * math.log2(size) > MAX_POWER_BITS:
        raise LimitExceeded(_("the exponent of a number in the step is too large "
                              "({exp})").format(exp=str(exp)[:20]),
                            _("a step is one line of a derivation"))


def _minus(sp: Any, shown: Any) -> Any:
    """−u as written: ``-1`` for a number (not ``-1·1``), else an unevaluated −1·u."""
    return -shown if shown.is_Number else sp.Mul(-1, shown, evaluate=False)
