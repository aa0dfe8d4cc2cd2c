"""Printing sympy expressions three ways: unicode for terminals, LaTeX, plain ASCII.

LaTeX always comes from :func:`sympy.latex`; unicode is sympy's string printer
with math typography on top (``2w``, ``x²``, ``a·b``, ``√``, ``σ``). Sums print as a
textbook writes them: higher degree first (``w·x + b``) and a positive term
first (``σ(z) − t``). Derivation lines
that must *not* be simplified (``b·1 + a·1``) are sums of products of printed
factors: :func:`join_terms` assembles them without letting sympy evaluate.

Symbols can be printed as other text (``symbol_names``), which is how the point
is substituted into a closed form without evaluating it (``2·1 + 2 + 1``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import sympy

__all__ = ["FORMATS", "ascii", "bar", "fmt_number", "join_terms", "latex", "text"]

FORMATS = ("text", "latex", "ascii")

_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# integer exponents become superscripts; ``**2.5`` must not become ``².5``
_POW_INT = re.compile(r"\*\*(\d+)(?![\d.])|\*\*\((-\d+)\)")
_SQRT_PRODUCT = re.compile(r"√\((\d+)\)·√\(([A-Za-zπ]\w*)\)")
_JUXTA = re.compile(r"(?<![\w.)])(\d+(?:\.\d+)?)\*(?=[A-Za-z(√])")


def ascii(expr: sympy.Expr, symbol_names: Mapping[Any, str] | None = None,
          keep_order: bool = False) -> str:
    """Sympy's own string form (parseable by diffexplain's parser)."""
    import sympy as sp

    printer = _str_printer(sp, symbol_names, keep_order)
    return printer.doprint(expr)


def text(expr: sympy.Expr, symbol_names: Mapping[Any, str] | None = None,
         keep_order: bool = False) -> str:
    """Unicode for a terminal: ``2*w + x**2`` prints as ``2w + x²``."""
    s = ascii(expr, symbol_names, keep_order)
    s = re.sub(r"\bsqrt\(", "√(", s)
    s = re.sub(r"\b(?:Heaviside|heaviside)\(", "H(", s)
    s = re.sub(r"\bsigmoid\(", "σ(", s)
    s = re.sub(r"(?<![\w.])pi(?!\w)", "π", s)
    s = _POW_INT.sub(lambda m: (m.group(1) or m.group(2)).translate(_SUPER), s)
    s = _JUXTA.sub(r"\1", s) if not symbol_names else s
    s = s.replace("**", "^").replace("*", "·")
    s = _SQRT_PRODUCT.sub(lambda m: f"√({m.group(1)}{m.group(2)})", s)  # √(2)·√(π) → √(2π)
    return re.sub(r"(?<![\w.])E(?![\w(])", "e", s)


def latex(expr: sympy.Expr, symbol_names: Mapping[Any, str] | None = None,
          keep_order: bool = False) -> str:
    """:func:`sympy.latex`, with the same symbol renaming and term-order options."""
    from sympy.printing.latex import LatexPrinter

    settings: dict[str, Any] = {"order": "none" if keep_order else "grlex"}
    printer = _with_values(LatexPrinter, symbol_names, r"\left({}\right)")(settings)
    return str(printer.doprint(expr))


def _with_values(base: Any, symbol_names: Mapping[Any, str] | None, paren: str) -> Any:
    """A printer class that prints symbols as given text; negative values are bracketed
    (``2·(-1)``, ``(-1)²``) except as a call's argument (``log(-1)``)."""
    names = dict(symbol_names or {})

    class _Printer(base):
        def _print_Symbol(self, expr: Any, *args: Any, **kw: Any) -> str:
            if expr in names:
                shown = names[expr]
                return paren.format(shown) if shown.startswith("-") else shown
            return str(super()._print_Symbol(expr, *args, **kw))

        def _print_Add(self, expr: Any, order: str | None = None) -> str:
            # terms by degree (``w·x + b``), and a positive term first: ``σ(z) − t``, not
            # ``-t + σ(z)``, but ``-2x² - 6x + 2`` stays by degree; a sum kept as written
            # (``order="none"``) is left alone
            if self.order == "none":
                return str(super()._print_Add(expr, order))
            import sympy as sp

            terms = list(self._as_ordered_terms(expr, order=order))
            if terms and terms[0].could_extract_minus_sign() and (
                    len(terms) == 2 or not terms[-1].is_Number):
                k = next((i for i, t in enumerate(terms) if not t.could_extract_minus_sign()), 0)
                terms = [terms[k], *terms[:k], *terms[k + 1:]]
            # the order argument applies to this sum only; nested sums keep the setting
            return str(super()._print_Add(sp.Add(*terms, evaluate=False), "none"))

        def _print_Pow(self, expr: Any, *args: Any, **kw: Any) -> str:
            # 1/(x + 1)², not (x + 1)⁻²: a negative power on its own is a fraction
            e = expr.exp
            if (base.__name__ == "StrPrinter" and e.is_Rational and e.is_negative
                    and e != -1):
                import sympy as sp

                inner = sp.Pow(expr.base, -e, evaluate=False)
                return "1/" + self.parenthesize(inner, 50)  # PRECEDENCE["Mul"]
            return str(super()._print_Pow(expr, *args, **kw))

        def _print_Function(self, expr: Any, *args: Any, **kw: Any) -> str:
            if base.__name__ == "StrPrinter" and names:
                inner = ", ".join(names[a] if a in names else self._print(a)
                                  for a in expr.args)
                return f"{expr.func.__name__}({inner})"
            return str(super()._print_Function(expr, *args, **kw))

    return _Printer


def _str_printer(sp: Any, symbol_names: Mapping[Any, str] | None, keep_order: bool) -> Any:
    from sympy.printing.str import StrPrinter

    return _with_values(StrPrinter, symbol_names, "({})")(
        {"order": "none" if keep_order else "grlex"})


def _needs_parens(expr: sympy.Expr) -> bool:
    # a fraction next to other factors too: ``(1/4)·2x``, never ``1/4·2x``
    return bool(expr.is_Add or (expr.is_Number and expr.is_negative)
                or (expr.is_Rational and not expr.is_Integer)
                or (expr.is_Mul and expr.could_extract_minus_sign()))


def join_terms(terms: Sequence[Sequence[Any]], fmt: str,
               symbol_names: Mapping[Any, str] | None = None,
               keep_order: bool = True) -> str:
    """A sum of products printed as written: ``[[b, 1], [a, 1]]`` → ``b·1 + a·1``.

    Factors are sympy expressions or already-printed strings (``str``); sums
    and negative factors get parentheses when they stand next to others.
    """
    printer = {"text": text, "latex": latex, "ascii": ascii}[fmt]
    dot = {"text": "·", "latex": r" \cdot ", "ascii": "*"}[fmt]
    lp, rp = (r"\left(", r"\right)") if fmt == "latex" else ("(", ")")
    parts: list[str] = []
    for term in terms:
        many = len(term) > 1 or len(terms) > 1
        shown = []
        for f in term:
            if isinstance(f, str):
                shown.append(f)
                continue
            s = printer(f, symbol_names, keep_order)
            if many and _needs_parens(f) and (len(term) > 1 or f.is_Add):
                s = f"{lp}{s}{rp}"
            shown.append(s)
        parts.append(dot.join(shown))
    out = parts[0] if parts else "0"
    for p in parts[1:]:
        # a printed term's leading minus negates the whole term: ``+ -(x² + 1)/c`` is ``- (…)/c``
        out += f" - {p[1:]}" if p.startswith("-") else f" + {p}"
    return out


def fmt_number(x: float | complex | None, digits: int = 6) -> str:
    """Numbers as a person writes them: ``5``, ``0.540302``, ``-1.5e-08``, ``nan``."""
    if type(x) is float and x - x == 0:  # finite: the common case, once per table cell
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return format(x, ".6g") if digits == 6 else f"{x:.{digits}g}"
    if x is None:
        return "—"
    if isinstance(x, (list, tuple)):  # vectors and matrices: [0, 4, 8, 12]
        return "[" + ", ".join(fmt_number(v, digits) for v in x) + "]"
    if isinstance(x, complex):
        return f"{fmt_number(x.real, digits)}{'+' if x.imag >= 0 else '-'}{fmt_number(abs(x.imag), digits)}i"
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def split_name(name: str) -> tuple[str, str]:
    """A node name as a base and its subscript: ``loss_t0`` → (loss, t0), ``a_0_t0`` →
    (a, 0_t0), ``v12`` → (v, 12), ``loss`` → (loss, "")."""
    if "_" in name:
        head, _sep, rest = name.partition("_")
        if head and rest:
            return head, rest
    base = name.rstrip("0123456789")
    if not base or base == name:
        return name, ""
    return base, name[len(base):]


def bar_pair(name: str) -> tuple[str, str]:
    """:func:`bar` and :func:`bar_latex` of one name, split once (the adjoint table needs
    both for every node)."""
    base, sub = split_name(name)
    if len(base) == 1:
        text, head = base + "\u0304", f"\\bar{{{base}}}"
    else:
        text = "".join([ch + "\u0305" for ch in base])
        head = f"\\overline{{\\mathrm{{{base}}}}}"
    if not sub:
        return text, head
    return (f"{text}{sub}" if name == base + sub else f"{text}_{sub}",
            head + "_{" + sub.replace("_", ",") + "}")


def bar(name: str) -> str:
    """The adjoint of a node in AD notation, the bar over the whole base name and the
    subscript after it: ``w̄``, ``v̄12``, ``ā_0_t0``, ``l̅o̅s̅s̅_t0`` (a macron over one
    letter, a combining overline over each letter of a longer base, which joins into one line).
    """
    base, sub = split_name(name)
    barred = base + "\u0304" if len(base) == 1 else "".join([ch + "\u0305" for ch in base])
    if not sub:
        return barred
    return f"{barred}{sub}" if name == base + sub else f"{barred}_{sub}"


def bar_latex(name: str) -> str:
    """The adjoint in LaTeX: ``\\bar{w}``, ``\\bar{v}_{12}``, ``\\bar{a}_{0,t0}``,
    ``\\overline{\\mathrm{loss}}_{t0}``: the bar over the base, never over a subscript."""
    base, sub = split_name(name)
    if len(base) == 1:
        head = rf"\bar{{{base}}}"
    else:
        head = rf"\overline{{\mathrm{{{base}}}}}"
    return head + (f"_{{{sub.replace('_', ',')}}}" if sub else "")
