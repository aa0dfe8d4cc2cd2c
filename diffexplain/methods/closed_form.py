"""Closed forms a textbook would print, not the shortest string sympy can find.

``sympy.simplify`` aims at few operations and happily writes σ′ as
``1/(4cosh(x/2)²)``. A learner checks against the notes, so this module tries a
small set of candidate forms and picks the most *readable* one:

* the raw derivative, ``factor_terms``, ``together``, ``cancel``, ``factor``;
* one fraction with the numerator expanded over the factored denominator
  (``(x² − 2x − 1)/(x − 1)²``, the quotient rule's textbook shape);
* ``collect`` on the functions present, and ``simplify`` for small expressions;
* the chain rule through a node every path passes (a *bottleneck* z):
  ∂y/∂w = ∂y/∂z·∂z/∂w with each factor in its own best form, kept in that order
  (``(σ(z) − t)·x``).

**Readability score** (lower is better; ties go to the earlier candidate):
the number of operations (:func:`sympy.count_ops`), plus 2 per level of nesting
of function calls and powers beyond the first, plus 3 per sum that has a fraction
among its terms (``2x/(x − 1) − (x² + 1)/(x − 1)²`` is one fraction away), plus 100
per function the input does not use (so ``cosh`` never replaces σ or ``exp``). Every candidate is an
identity: :mod:`~diffexplain.methods.symbolic` verifies the winner against the
raw derivative with :func:`~diffexplain.methods.identity.check_equal` before it
is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FOREIGN_PENALTY", "Form", "best_form", "readability"]

#: score added per function the input does not use
FOREIGN_PENALTY = 100
#: score added per level of nesting beyond the first
NESTING_WEIGHT = 2
#: score added per sum that has a fraction among its terms (one fraction reads better)
FRACTION_SUM_WEIGHT = 3
#: largest expression (operations) that factor/cancel/together are tried on
REWRITE_OPS = 80
#: largest expression that full ``simplify`` is tried on (trigsimp can take seconds)
SIMPLIFY_OPS = 12


@dataclass(frozen=True)
class Form:
    """A closed form: its value as one sympy expression and its factors as printed."""

    expr: Any
    factors: tuple[Any, ...]
    how: str  # the candidate that won: "raw", "factor", "chain through z", …

    def printed(self, fmt: str, symbol_names: Any = None) -> str:
        from diffexplain.core.printing import join_terms

        return join_terms([list(self.factors)], fmt, symbol_names, keep_order=False)


def _depth(expr: Any) -> int:
    """Nesting of function calls and non-integer/negative powers (a fraction bar is free)."""
    best = 0
    stack = [(expr, 0)]
    while stack:
        e, d = stack.pop()
        deeper = d + (1 if (e.is_Function or (e.is_Pow and not e.exp.is_Integer)) else 0)
        best = max(best, deeper)
        stack.extend((a, deeper) for a in e.args)
    return best


def _functions(expr: Any) -> set[str]:
    import sympy as sp

    return {type(f).__name__ for f in expr.atoms(sp.Function)}


def readability(expr: Any, allowed: Iterable[str] | None = None) -> int:
    """The documented score (see the module docstring); lower reads better."""
    import sympy as sp

    foreign = len(_functions(expr) - set(allowed)) if allowed is not None else 0
    return (int(sp.count_ops(expr)) + NESTING_WEIGHT * max(0, _depth(expr) - 1)
            + FRACTION_SUM_WEIGHT * _fraction_sums(expr) + FOREIGN_PENALTY * foreign)


def _fraction_sums(expr: Any) -> int:
    """Sums with a fraction among their terms: ``cos(x)/x − sin(x)/x²`` is one fraction away."""
    import sympy as sp

    def has_denominator(term: Any) -> bool:
        return any(f.is_Pow and f.exp.is_negative and f.free_symbols
                   for f in sp.Mul.make_args(term))

    return sum(1 for a in expr.atoms(sp.Add) if any(has_denominator(t) for t in a.args))


def _candidates(raw: Any, full: bool = True) -> list[tuple[str, Any]]:
    import sympy as sp

    size = sp.count_ops(raw)
    out: list[tuple[str, Any]] = [("raw", raw), ("factor_terms", sp.factor_terms(raw))]
    if size > REWRITE_OPS:
        return out
    if raw.is_polynomial():  # a polynomial: expanded or factored, nothing else to try
        return [*out, ("expand", sp.expand(raw)), ("factor", sp.factor(raw))]
    tries: list[tuple[str, Any]] = [("together", sp.together), ("cancel", sp.cancel),
                                    ("factor", sp.factor)]
    for name, f in tries:
        try:
            out.append((name, f(raw)))
        except (sp.PolynomialError, NotImplementedError, ValueError, TypeError):
            pass
    try:
        num, den = sp.fraction(sp.cancel(sp.together(raw)))
        if den != 1:
            out.append(("expanded over factored", sp.expand(num) / sp.factor(den)))
    except (sp.PolynomialError, NotImplementedError, ValueError, TypeError):
        pass
    funcs = sorted(raw.atoms(sp.Function), key=sp.default_sort_key)
    if funcs:
        out.append(("collect", sp.collect(sp.expand(raw), funcs)))
    if raw.is_polynomial():
        out.append(("expand", sp.expand(raw)))
    elif size <= SIMPLIFY_OPS and full:
        out.append(("simplify", sp.simplify(raw)))
    return out


def _function_first(expr: Any) -> tuple[Any, ...]:
    """A function before a sum that contains it, as the notes write σ(x)(1 − σ(x))."""
    if not expr.is_Mul or any(f.is_Pow and f.exp.is_negative for f in expr.args):
        return (expr,)
    funcs = [f for f in expr.args if f.is_Function]
    sums = [f for f in expr.args if f.is_Add and any(f.has(g) for g in funcs)]
    if not sums:
        return (expr,)
    rest = [f for f in expr.args if f not in sums and f not in funcs]
    head = [expr.func(*rest)] if rest else []
    return (*head, *funcs, *sums)


def best_form(raw: Any, allowed: Iterable[str],
              splits: Sequence[tuple[str, Any, Any]] = (),
              cache: dict[Any, Form] | None = None, full: bool = True) -> Form:
    """The most readable of the candidates for ``raw``.

    ``splits`` are (name of z, ∂y/∂z, ∂z/∂w) for bottleneck nodes z, each tried as
    the product of its factors' best forms, outer factor first; their factors skip
    ``simplify`` (the costly candidate) and are memoised in ``cache``, since every
    variable of a loss shares ∂L/∂z.
    """
    key = (raw, full)
    if cache is not None and not splits and key in cache:
        return cache[key]
    allowed = set(allowed)
    scored = [(readability(e, allowed), k, name, e)
              for k, (name, e) in enumerate(_candidates(raw, full))]
    score, _k, how, expr = min(scored, key=lambda s: (s[0], s[1]))
    best = Form(expr, _function_first(expr), how)
    for z, outer, inner in splits:
        fo = best_form(outer, allowed, cache=cache, full=False)
        fi = best_form(inner, allowed, cache=cache, full=False)
        if fi.expr == 1 or fo.expr.is_Number or fi.expr.is_Number:
            continue  # a factor of 1 or a lone number: the unsplit form says the same
        s = readability(fo.expr, allowed) + readability(fi.expr, allowed) + 1
        # a sum times a factor reads as the chain rule wrote it: (σ(z) − t)·x, preferred on ties
        if s < score or (s == score and best.how == how and fo.expr.is_Add
                         and not fi.expr.is_Add):
            score = s
            best = Form(fo.expr * fi.expr, fo.factors + fi.factors, f"chain through {z}")
    if cache is not None and not splits:
        cache[key] = best
    return best


def in_exp(raw: Any) -> Any:
    """The derivative with every named function written through exp (``--closed-form exp``)."""
    from diffexplain.core.named import to_exp

    return to_exp(raw)
