"""Checking an algebraic derivation: each ⇒ between equations keeps the solution set.

``ln(y/(1-y)) = z; y/(1-y) = e^z; y = e^z - y e^z; y(1 + e^z) = e^z; y = e^z/(1 + e^z)``
is read with the learners' notation (:mod:`~diffexplain.checking.notation`; names are free
real symbols), every equation is solved for the unknown with sympy, and each step is right
when its solutions are those of the step before (compared symbolically, else at 40 digits
at random values of the other symbols). The first wrong step is named with the solutions
it gains or loses. ``A = B = C`` on one line is ``A = B`` then ``A = C``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.checking import precise
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import N_, _

__all__ = ["EquationStep", "EquationsResult", "check_equations"]

#: most equations in one derivation, and largest equation (sympy operations)
MAX_EQUATIONS = 50
MAX_OPS = 300
#: largest difference of two solutions that ``simplify`` is tried on (else: numeric)
SIMPLIFY_OPS = 60
#: highest degree of a polynomial equation sympy is asked to solve
MAX_DEGREE = 2
_LINES = re.compile(r"[;\n；]|⇒|⟹|=>|→|\\Rightarrow|\\implies|∴")
_EQ = re.compile("(?<![=<>!])[=＝](?!=)")


@dataclass(frozen=True)
class EquationStep:
    """One equation as written, whether it follows from the one before, and why."""

    index: int
    expr: str
    ok: bool | None  # None: could not be decided (sympy cannot solve it)
    method: str  # given | sympy | numeric | none
    reason: str
    relation: str  # "" (first), "⇒" (a new line), "=" (continues the line's chain)
    solutions: tuple[str, ...]
    text: str
    latex: str


@dataclass(frozen=True)
class EquationsResult:
    """The verdict on an algebraic derivation; ``first_error`` is 0-based or None."""

    unknown: str
    steps: tuple[EquationStep, ...]
    first_error: int | None
    notes: tuple[str, ...] = ()
    lang: str = "en"

    @property
    def ok(self) -> bool:
        return self.first_error is None and all(s.ok for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        from diffexplain.render.check_formats import equations_dict

        return equations_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self) -> str:
        from diffexplain.render.check_formats import equations_text

        return equations_text(self)

    def to_markdown(self) -> str:
        from diffexplain.render.check_formats import equations_markdown

        return equations_markdown(self)

    def to_latex(self) -> str:
        from diffexplain.render.check_formats import equations_latex

        return equations_latex(self)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def split_equations(text: str | Sequence[str]) -> list[tuple[str, str, str]]:
    """``(lhs, rhs, relation)`` per equation; a chain ``A = B = C`` gives ``A = B``, ``A = C``."""
    lines = _LINES.split(text) if isinstance(text, str) else list(text)
    out: list[tuple[str, str, str]] = []
    for line in lines:
        if not isinstance(line, str):
            raise InputError(_("an equation must be text, not {type}").format(
                type=type(line).__name__))
        if not line.strip():
            continue
        parts = [p.strip() for p in _EQ.split(line)]
        if len(parts) < 2 or not all(parts):
            raise InputError(_("{line!r} is not an equation: write both sides, A = B").format(
                line=line.strip()))
        for k, rhs in enumerate(parts[1:]):
            out.append((parts[0], rhs, "" if not out else ("⇒" if k == 0 else "=")))
    return out


def check_equations(equations: str | Sequence[str], unknown: str | None = None) -> EquationsResult:
    """Check each ⇒ of an algebraic derivation (same solutions for ``unknown``)."""
    import sympy as sp

    from diffexplain.checking.grammar import _split
    from diffexplain.checking.notation import FUNCTIONS, tokenize
    from diffexplain.checking.reading import FreeScope, read

    eqs = split_equations(equations)
    if not eqs:
        raise InputError(_("no equations to check"))
    if len(eqs) > MAX_EQUATIONS:
        raise LimitExceeded(_("{n} equations, more than {limit}").format(
            n=len(eqs), limit=MAX_EQUATIONS), _("split the derivation"))
    written: set[str] = set()
    for lhs, rhs, _rel in eqs:
        for side in (lhs, rhs):
            written |= {t.text for t in tokenize(side) if t.kind == "NAME"
                        and t.text not in FUNCTIONS and t.text not in ("e", "E", "pi")}
    # xy is x·y only when x and y are written on their own somewhere
    names = frozenset(n for n in written if _split(n, frozenset(written - {n}), False) is None)
    scope = FreeScope(names)
    parsed = []
    notes: list[str] = []
    for lhs, rhs, rel in eqs:
        a, b = read(lhs, scope), read(rhs, scope)
        for r in (a, b):
            notes += [n for n in r.notes if n not in notes]
            if r.full is not None and sp.count_ops(r.full) > MAX_OPS:
                raise LimitExceeded(_("an equation with more than {limit} operations").format(
                    limit=MAX_OPS), _("split the derivation"))
        parsed.append((lhs, rhs, rel, a, b))
    u = _unknown(unknown, parsed, scope)
    sols: list[list[Any] | None] = [_solve(sp, a.full, b.full, u) for *_x, a, b in parsed]
    others = sorted({s for *_x, a, b in parsed for s in (a.full - b.full).free_symbols} - {u},
                    key=lambda s: s.name)
    steps: list[EquationStep] = []
    first: int | None = None
    for k, ((lhs, rhs, rel, a, b), sol) in enumerate(zip(parsed, sols)):
        text = f"{_show(a)} = {_show(b)}"
        latex = f"{_latex(a)} = {_latex(b)}"
        shown = tuple(f"{u.name} = {_pt(s)}" for s in (sol or []))
        if k == 0:
            ok, method = (True, N_("given")) if sol is not None else (None, N_("none"))
            reason = (_("given; solved for {u}: {solutions}").format(
                u=u.name, solutions=_list(shown)) if sol is not None else _unsolved(u))
        elif sol is None or sols[k - 1] is None:
            ok, method, reason = None, N_("none"), _unsolved(u)
        else:
            ok, method, reason = _compare(sp, sols[k - 1] or [], sol, u, others, k)
        if ok is False and first is None:
            first = k
        steps.append(EquationStep(k, f"{lhs} = {rhs}", ok, method, reason, rel, shown, text,
                                  latex))
    return EquationsResult(u.name, tuple(steps), first, tuple(notes))


def _unknown(name: str | None, parsed: list[Any], scope: Any) -> Any:
    if name is not None:
        got = scope.name(name)
        if got is None:
            raise InputError(_("{name!r} does not appear in the equations").format(name=name))
        return got[0]
    last = parsed[-1][3].full
    if getattr(last, "is_Symbol", False):
        return last
    if "y" in scope.syms:
        return scope.syms["y"]
    raise InputError(_("say which unknown the equations are solved for (--wrt y)"))


def _solvable(sp: Any, e: Any, u: Any) -> bool:
    """Whether sympy is asked at all (its ``solve`` can take minutes): a rational equation
    in ``u`` of degree at most :data:`MAX_DEGREE`, or ``u`` only inside one function
    (``ln(y/(1-y)) = z``). ``sin(y) = y³`` or ``y^(1/3) + y^(1/2) = z`` are not decided."""
    atoms = {a for a in sp.preorder_traversal(e)
             if u in getattr(a, "free_symbols", ()) and (
                 isinstance(a, sp.Function) or (a.is_Pow and not a.exp.is_Integer))}
    top = {a for a in atoms if not any(a != b and b.has(a) for b in atoms)}
    if not top:
        try:
            num = sp.numer(sp.together(e))
            return bool(sp.degree(num, u) <= MAX_DEGREE)
        except Exception:  # noqa: BLE001 - not a polynomial: do not ask
            return False
    if len(top) > 1:
        return False
    (only,) = top
    return not e.xreplace({only: sp.Dummy()}).has(u)


def _solve(sp: Any, a: Any, b: Any, u: Any) -> list[Any] | None:
    """Real solutions for ``u`` (None when the equation is not decided, see :func:`_solvable`)."""
    if not _solvable(sp, a - b, u):
        return None
    try:
        sol = sp.solve(sp.Eq(a, b), u, dict=False)
    except (NotImplementedError, ValueError, TypeError, RecursionError):
        return None
    if not isinstance(sol, list) or any(isinstance(s, (tuple, dict)) for s in sol):
        return None
    return [s for s in sol if s.is_real is not False]


def _compare(sp: Any, before: list[Any], after: list[Any], u: Any, others: list[Any],
             k: int) -> tuple[bool, str, str]:
    exact = True
    gained = [s for s in after if not any(_equal(sp, s, t, others) for t in before)]
    lost = [s for s in before if not any(_equal(sp, s, t, others) for t in after)]
    for s in after:
        exact = exact and any(_equal(sp, s, t, others, numeric=False) for t in before)
    if not gained and not lost:
        return True, N_("sympy") if exact else N_("numeric"), _(
            "same solutions as step {n}: {solutions}").format(
                n=k, solutions=_list([f"{u.name} = {_pt(s)}" for s in after]))
    parts = []
    if gained:
        parts.append(_("gains {solutions}, which step {n} does not have").format(
            solutions=_list([f"{u.name} = {_pt(s)}" for s in gained]), n=k))
    if lost:
        parts.append(_("loses {solutions} of step {n}").format(
            solutions=_list([f"{u.name} = {_pt(s)}" for s in lost]), n=k))
    return False, N_("sympy"), _("does not follow from step {n}: it {what}").format(
        n=k, what=_("; it ").join(parts))


def _equal(sp: Any, a: Any, b: Any, others: list[Any], numeric: bool = True) -> bool:
    try:
        if a == b or (sp.count_ops(a - b) <= SIMPLIFY_OPS and sp.simplify(a - b) == 0):
            return True
    except Exception:  # noqa: BLE001 - a failing shortcut only means "numeric"
        pass
    if not numeric:
        return False
    rng = random.Random(1)
    tried = 0
    for _k in range(12):
        env = {s: rng.uniform(-2.0, 2.0) for s in others}
        x, y = precise.evaluate(a, env), precise.evaluate(b, env)
        if not (precise.finite(x) and precise.finite(y)):
            continue
        tried += 1
        if not precise.agree(x, y):
            return False
    return tried > 0


def _unsolved(u: Any) -> str:
    return _("sympy cannot solve this equation for {u}: not decided").format(u=u.name)


def _list(items: Sequence[str]) -> str:
    return ", ".join(items) if items else _("no solution")


def _pt(e: Any) -> str:
    from diffexplain.core.printing import text

    return text(e)


def _show(r: Any) -> str:
    from diffexplain.core.printing import text

    return text(r.shown, {s: t for s, (t, _l) in r.labels.items()}, keep_order=True)


def _latex(r: Any) -> str:
    from diffexplain.checking.grading import step_latex

    return step_latex(r.shown, {s: lt for s, (_t, lt) in r.labels.items()})
