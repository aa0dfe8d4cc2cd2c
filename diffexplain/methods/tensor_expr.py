"""A small matrix-expression layer for derivations written over whole tensors.

Elementwise algebra (``4x``, ``σ(z) − y``, ``u ⊙ cos(x)``) is one sympy expression whose
symbols stand for whole tensors (:class:`Ew`: a product of two tensors is the Hadamard
product ⊙, a scalar broadcasts), so sympy does the simplifying (``2x·2`` → ``4x``,
``𝟙 ⊙ u`` → ``u``). What is not elementwise is a node of its own: :class:`MatMul` (torch's
``@`` on vectors and matrices, ``xᵀx`` for two vectors), :class:`Outer` (``x·gᵀ``),
:class:`Transpose` and :class:`SumAll` (``Σu``, the adjoint of a broadcast scalar). An
:class:`Ew` refers to such a node through a placeholder symbol.

:func:`entries` expands an expression into its components (the check against the
component graph), :func:`show` prints it in unicode or LaTeX, with tensors optionally
printed as their values (the "substitute" line).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.core import printing

__all__ = ["Ew", "MatMul", "Outer", "SumAll", "TExpr", "Transpose", "add", "entries", "ew",
           "scale", "show", "size"]

Shape = tuple[int, ...]
_COUNTER = itertools.count()


def size(shape: Shape) -> int:
    return math.prod(shape) if shape else 1


@dataclass(frozen=True)
class TExpr:
    """A tensor-valued expression of a given shape."""

    shape: Shape


@dataclass(frozen=True)
class Ew(TExpr):
    """An elementwise expression: ``expr`` over tensor symbols and placeholders (``binds``)."""

    expr: Any
    binds: tuple[tuple[Any, TExpr], ...] = ()


@dataclass(frozen=True)
class MatMul(TExpr):
    """``a @ b`` with torch's vector rules (``aᵀb`` when both are vectors)."""

    a: TExpr
    b: TExpr


@dataclass(frozen=True)
class Outer(TExpr):
    """The outer product ``a·bᵀ`` of two vectors."""

    a: TExpr
    b: TExpr


@dataclass(frozen=True)
class Transpose(TExpr):
    a: TExpr


@dataclass(frozen=True)
class SumAll(TExpr):
    """``Σa``: the sum of every entry (a scalar)."""

    a: TExpr


def placeholder() -> Any:
    import sympy as sp

    return sp.Symbol(f"PHOLDER{next(_COUNTER)}", real=True)


def ew(t: TExpr) -> tuple[Any, tuple[tuple[Any, TExpr], ...]]:
    """``t`` as an elementwise expression and its binds (a placeholder for a non-elementwise node)."""
    if isinstance(t, Ew):
        return t.expr, t.binds
    p = placeholder()
    return p, ((p, t),)


def make(expr: Any, shape: Shape, binds: Sequence[tuple[Any, TExpr]] = ()) -> Ew:
    """An :class:`Ew`, keeping only the binds its expression still uses."""
    free: set[Any] = getattr(expr, "free_symbols", set())
    return Ew(shape, expr, tuple((p, t) for p, t in dict(binds).items() if p in free))


def add(a: TExpr | None, b: TExpr) -> TExpr:
    """``a + b`` (``a`` None: nothing accumulated yet)."""
    if a is None:
        return b
    ea, ba = ew(a)
    eb, bb = ew(b)
    return make(ea + eb, a.shape or b.shape, (*ba, *bb))


def scale(t: TExpr, factor: Any, shape: Shape | None = None) -> TExpr:
    """``t ⊙ factor`` for a sympy expression ``factor`` over tensor symbols."""
    e, binds = ew(t)
    return make(e * factor, t.shape if shape is None else shape, binds)


# --- expansion into components ----------------------------------------------------------------
def entries(t: TExpr, env: Mapping[Any, Sequence[Any]]) -> list[Any]:
    """The components of ``t`` (row-major sympy expressions); ``env`` gives each tensor symbol's."""
    if isinstance(t, Ew):
        subs = dict(env)
        for p, sub in t.binds:
            subs[p] = entries(sub, env)
        syms = [s for s in t.expr.free_symbols if s in subs] if hasattr(t.expr, "free_symbols") else []
        out = []
        for k in range(size(t.shape)):
            rep = {s: subs[s][k if len(subs[s]) > 1 else 0] for s in syms}
            out.append(t.expr.xreplace(rep) if rep else t.expr)
        return out
    if isinstance(t, SumAll):
        import sympy as sp

        return [sp.Add(*entries(t.a, env))]
    if isinstance(t, Transpose):
        r, c = t.a.shape
        a = entries(t.a, env)
        return [a[i * c + j] for j in range(c) for i in range(r)]
    if isinstance(t, Outer):
        a, b = entries(t.a, env), entries(t.b, env)
        return [x * y for x in a for y in b]
    if isinstance(t, MatMul):
        import sympy as sp

        a, b = entries(t.a, env), entries(t.b, env)
        sa, sb = t.a.shape, t.b.shape
        rows = sa[0] if len(sa) == 2 else 1
        inner = sa[-1]
        cols = sb[1] if len(sb) == 2 else 1
        return [sp.Add(*(a[r * inner + i] * b[i * cols + c] for i in range(inner)))
                for r in range(rows) for c in range(cols)]
    raise TypeError(t)  # pragma: no cover


# --- printing -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Style:
    """How to print: ``fmt`` text or latex; ``tensors`` the tensor symbols (shape by symbol);
    ``values`` tensor symbols printed as their values; ``held`` placeholders printed as text."""

    fmt: str
    tensors: Mapping[Any, Shape]
    values: Mapping[Any, str] | None = None
    held: Mapping[Any, str] | None = None


def _is_tensor(e: Any, st: Style, binds: Mapping[Any, TExpr]) -> bool:
    return any((s in st.tensors and st.tensors[s]) or (s in binds and binds[s].shape)
               or (st.held and s in st.held) for s in e.free_symbols)


def _hadamard(e: Any, st: Style, binds: Mapping[Any, TExpr]) -> bool:
    """Whether a product of two tensors (printed with ⊙) occurs in ``e``."""
    import sympy as sp

    for sub in sp.preorder_traversal(e):
        if sub.is_Mul and sum(_is_tensor(f, st, binds) for f in sub.args) >= 2:
            return True
    return False


def _base(e: Any, st: Style, names: dict[Any, str]) -> str:
    """One sympy expression printed, symbols as ``names`` say."""
    import sympy as sp

    if st.fmt == "latex":
        return printing.latex(e, names)
    if st.values is None:  # names only: print with stand-in symbols so ``4x`` stays juxtaposed
        stand = {s: sp.Symbol(f"QQ{k}QQ", real=True) for k, s in enumerate(
            sorted((s for s in e.free_symbols if s in names), key=str))}
        out = printing.text(e.xreplace(stand))
        for s, q in stand.items():
            out = out.replace(str(q), names[s])
        return out
    return printing.text(e, names)


def _paren(s: str, fmt: str) -> str:
    return rf"\left({s}\right)" if fmt == "latex" else f"({s})"


_LATEX_ATOM = re.compile(r"\\mathbf\{[^{}]*\}|[A-Za-z0-9_{}]+|\\mathbf\{1\}|\[[^\[\]]*\]"
                         r"|\\left\(.*\\right\)")


def _atomic(s: str) -> bool:
    """No operator outside brackets: ``x``, ``σ(z)``, ``[1, 2]``, ``x²``; in LaTeX a bold name,
    a bracketed value, or a parenthesized group."""
    if "\\" in s:
        return bool(_LATEX_ATOM.fullmatch(s))
    depth = 0
    for k, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and (ch in " +·⊙/" or (ch == "-" and k > 0)):
            return False
    return not s.startswith("-")


def _ew_text(e: Any, st: Style, binds: Mapping[Any, TExpr], names: dict[Any, str]) -> str:
    import sympy as sp

    if not _hadamard(e, st, binds):
        if e.is_Add:  # (σ(z) − y)/3, not σ(z)/3 − y/3
            import sympy as sp

            e = sp.factor_terms(e)
        return _base(e, st, names)
    if e.is_Add:
        out = ""
        for k, term in enumerate(e.as_ordered_terms()):
            s = _ew_text(term, st, binds, names)
            out += s if k == 0 else (f" - {s[1:]}" if s.startswith("-") else f" + {s}")
        return out
    if e.is_Mul:
        coeff = sp.Mul(*[f for f in e.args if not _is_tensor(f, st, binds)])
        tens = [f for f in e.args if _is_tensor(f, st, binds)]
        had = r" \odot " if st.fmt == "latex" else " ⊙ "
        parts = []
        for f in tens:
            s = _ew_text(f, st, binds, names)
            parts.append(s if _atomic(s) or f.is_Pow or f.is_Function else _paren(s, st.fmt))
        body = had.join(parts)
        if coeff == 1:
            return body
        if coeff == -1:
            return "-" + body
        c = _base(coeff, st, names)
        dot = r" \cdot " if st.fmt == "latex" else "·"
        return (c if _atomic(c) else _paren(c, st.fmt)) + dot + body
    return _base(e, st, names)


def ones(fmt: str) -> str:
    return r"\mathbf{1}" if fmt == "latex" else "𝟙"


def show(t: TExpr, st: Style) -> str:
    """``t`` printed in unicode (``fmt="text"``) or LaTeX."""
    lat = st.fmt == "latex"
    if isinstance(t, Ew):
        binds = dict(t.binds)
        names: dict[Any, str] = {}
        for s in t.expr.free_symbols:
            if st.held and s in st.held:
                names[s] = st.held[s]
            elif s in binds:
                sub = show(binds[s], st)
                names[s] = sub if _atomic(sub) else _paren(sub, st.fmt)
            elif st.values is not None and s in st.values:
                names[s] = st.values[s]
            elif lat and s in st.tensors:
                names[s] = tensor_latex(str(s), st.tensors[s])
        held = [h for h in (st.held or {}) if h in t.expr.free_symbols and not st.tensors.get(h)]
        if held and t.expr == held[0] and t.shape:  # ḡ·𝟙 for a scalar ḡ
            h = names[held[0]]
            return (h if _atomic(h) else _paren(h, st.fmt)) + (r" \cdot " if lat else "·") + ones(st.fmt)
        if held and t.expr.is_Mul and held[0] in t.expr.args:  # J·ḡ for a scalar ḡ: ``2x·2``
            rest = show(Ew(t.shape, t.expr / held[0], t.binds), st)
            h = names[held[0]]
            dot = r" \cdot " if lat else "·"
            return rest + dot + (h if _atomic(h) else _paren(h, st.fmt))
        if t.shape and not _is_tensor(t.expr, st, binds):  # a constant tensor: c·𝟙
            if t.expr == 1:
                return ones(st.fmt)
            c = _base(t.expr, st, names)
            dot = r" \cdot " if lat else "·"
            return (c if _atomic(c) else _paren(c, st.fmt)) + dot + ones(st.fmt)
        return _ew_text(t.expr, st, binds, names)
    if isinstance(t, Transpose):
        s = show(t.a, st)
        s = s if _atomic(s) else _paren(s, st.fmt)
        return s + (r"^{\top}" if lat else "ᵀ")
    if isinstance(t, SumAll):
        s = show(t.a, st)
        return (r"\sum " if lat else "Σ") + (s if _atomic(s) else _paren(s, st.fmt))
    a, b = show(t.a, st), show(t.b, st)  # type: ignore[attr-defined]
    a = a if _atomic(a) else _paren(a, st.fmt)
    b = b if _atomic(b) else _paren(b, st.fmt)
    if isinstance(t, Outer):
        return f"{a} {b}^{{\\top}}" if lat else f"{a}·{b}ᵀ"
    if len(t.a.shape) == 1 and len(t.b.shape) == 1:  # type: ignore[attr-defined]
        return f"{a}^{{\\top}} {b}" if lat else f"{a}ᵀ{b}"
    return f"{a} {b}" if lat else f"{a}·{b}"


def tensor_latex(name: str, shape: Shape) -> str:
    """A tensor's name in LaTeX: bold for vectors and matrices."""
    from diffexplain.methods.derivation_text import latex_name

    inner = latex_name(name)
    return rf"\mathbf{{{inner}}}" if shape else inner
