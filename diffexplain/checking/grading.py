"""Grading the steps of one derivation: read, compare with ∂y/∂wrt and with the step before.

A function step is right when it equals the derivative as a function: a sympy proof
(the difference expands to 0) when that is cheap, else 40-digit values at points spread
over the domain (:mod:`~diffexplain.checking.precise`); and it must be defined at the
point. A number is compared at the point, to the precision it is written in. The
first wrong step is named: an arithmetic slip (the step before was right and this one
evaluates it wrong), a slip of the catalogue (:mod:`~diffexplain.checking.mistakes`),
or ``unknown`` with the difference.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diffexplain.checking import precise
from diffexplain.core.graph import Graph
from diffexplain.core.printing import fmt_number
from diffexplain.core.printing import text as p_text
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import N_, _, ngettext
from diffexplain.limits import Limits

#: longest step (characters): a step is a line of a derivation, not a program
MAX_STEP_LENGTH = 10_000
#: largest difference (sympy operations) that ``expand`` is tried on
EXPAND_OPS = 200


class Exercise:
    """Graph, true derivative, points and slip catalogue, built once per exercise."""

    def __init__(self, graph: Graph, wrt: str, point: dict[str, float], limits: Limits) -> None:
        from diffexplain.checking.mistakes import Model

        self.g = graph
        self.wrt = wrt
        self.point = point
        self.limits = limits
        self.model = Model(graph, wrt)
        self.truth = self.model.truth
        self.leaf_syms = {n.name: self.model.sym[n.id] for n in graph.nodes if n.op == "var"}
        envs = []
        for k, env in enumerate(precise.spread_points(point)):
            senv = {self.leaf_syms[n]: v for n, v in env.items() if n in self.leaf_syms}
            if k == 0 or precise.finite(precise.evaluate(self.truth, senv)):
                envs.append(senv)
        self.envs = envs
        self.truth_vals = self.values(self.truth)
        self._slips: list[Any] | None = None
        self._slip_values: list[list[Any]] | None = None
        self._correct: Any = None
        self.steps: dict[tuple[str, bool], Any] = {}
        self.named: dict[str, tuple[str, str, dict[str, str]]] = {}

    @property
    def slips(self) -> list[Any]:
        if self._slips is None:
            from diffexplain.checking.mistakes import catalogue

            self._slips = catalogue(self.model, self.limits.path_sum_paths)
        return self._slips

    @property
    def slip_values(self) -> list[list[Any]]:
        if self._slip_values is None:
            self._slip_values = [self.values(s.expr) for s in self.slips]
        return self._slip_values

    @property
    def correct(self) -> Any:
        if self._correct is None:
            from diffexplain.pipeline import explain

            e = explain(self.g, at=self.point, wrt=[self.wrt], autograd=False,
                        numeric_check=False, limits=self.limits)
            self._correct = e.derivations[self.wrt]
        return self._correct

    def values(self, expr: Any) -> list[Any]:
        return [precise.evaluate(expr, e) for e in self.envs]

    def at(self) -> str:
        return ", ".join(f"{k} = {fmt_number(v)}" for k, v in self.point.items())


@functools.lru_cache(maxsize=32)
def exercise(text: str, wrt: str, point: tuple[tuple[str, float], ...],
             limits: Limits, lang: str = "en") -> Exercise:
    # ``lang`` keys the cache: an exercise keeps its steps' reasons and slips as sentences
    from diffexplain.pipeline import build_graph

    return Exercise(build_graph(text, None, limits), wrt, dict(point), limits)


@dataclass(frozen=True)
class Step:
    """Everything about one step that does not depend on its neighbours."""

    expr: Any  # in the leaves
    vals: list[Any]
    const: bool
    bound: float  # how far a number may be off (the precision written)
    text: str
    latex: str
    unknown: tuple[str, ...]
    ok: bool
    method: str
    reason: str
    label: bool
    notes: tuple[str, ...]


def same(a: list[Any], b: list[Any], only_point: bool, bound: float = 0.0) -> bool | None:
    """Equal as numbers (at the point) or as functions (at every point where ``b`` is
    defined; ``a`` must be defined at the point). None when nothing could be compared."""
    tried = 0
    for k, (x, y) in enumerate(zip(a, b)):
        if only_point and k > 0:
            break
        if not precise.finite(y):
            continue
        if not precise.finite(x):
            if k == 0:
                return False
            continue
        tried += 1
        if not precise.agree(x, y, bound if k == 0 else 0.0):
            return False
    return True if tried else None


def cheap(sp: Any, e: Any) -> bool:
    """Small enough to ``expand``: few operations and no high integer powers ((x+1)**900)."""
    if sp.count_ops(e) >= EXPAND_OPS:
        return False
    return not any(p.exp.is_Integer and abs(p.exp) > 8 for p in e.atoms(sp.Pow))


def proven(sp: Any, a: Any, b: Any) -> bool:
    try:
        if a == b:
            return True
        d = a - b
        return bool(d == 0 or (cheap(sp, d) and sp.expand(d) == 0))
    except Exception:  # noqa: BLE001 - a failing shortcut only means "numeric"
        return False


def read_step(ex: Exercise, raw: str, lhs: str) -> Step:
    """Read and judge one step (cached per exercise: a class writes the same lines)."""
    if len(raw) > MAX_STEP_LENGTH:
        raise LimitExceeded(_("a step of {n} characters, more than {limit}").format(
            n=len(raw), limit=MAX_STEP_LENGTH), _("a step is one line of a derivation"))
    hit = ex.steps.get((raw, False))
    if hit is not None:
        return hit
    import sympy as sp

    from diffexplain.checking.reading import GraphScope, allowance, read

    r = read(raw, GraphScope(ex))
    vals = ex.values(r.full)
    const = not r.full.free_symbols
    bound = 0.0
    if const:
        bound = allowance(r.literal) if r.literal else (
            precise.rounding_bound(r.rounded, ex.envs[0], r.decimals) if r.decimals else 0.0)
    names = {s: t for s, (t, _l) in r.labels.items()}
    text = p_text(r.shown, names, keep_order=True)
    latex = step_latex(r.shown, {s: lt for s, (_t, lt) in r.labels.items()})
    if r.unknown:
        known = ", ".join(n.name for n in ex.g.nodes if n.op != "const")
        ok, method = False, N_("none")
        reason = ngettext("uses {names}, which is not in the expression (its names are: "
                          "{known})", "uses {names}, which are not in the expression (its "
                          "names are: {known})", len(set(r.unknown))).format(
                              names=", ".join(repr(u) for u in dict.fromkeys(r.unknown)),
                              known=known)
    else:
        ok_n = same(vals, ex.truth_vals, const, bound)
        ok = bool(ok_n)
        method = N_("value") if const else (N_("numeric") if ok_n is not None else N_("none"))
        if ok and not const and proven(sp, r.full, ex.truth):
            method = "sympy"
        reason = _reason(ex, lhs, ok, method, vals, r.literal, bound)
    st = Step(r.full, vals, const, bound, text, latex, tuple(r.unknown), ok, method, reason,
              r.label, tuple(r.notes))
    if len(ex.steps) < 4096:
        ex.steps[(raw, False)] = st
    return st


def step_latex(expr: Any, names: Mapping[Any, str]) -> str:
    """The step as written, with explicit ``\\cdot`` so ``b·1`` does not print as ``b 1``."""
    from sympy.printing.latex import LatexPrinter

    from diffexplain.core.printing import _with_values

    printer = _with_values(LatexPrinter, names, r"\left({}\right)")
    return str(printer({"order": "none", "mul_symbol": "dot"}).doprint(expr))


def _reason(ex: Exercise, lhs: str, ok: bool, method: str, vals: list[Any],
            lit: str | None, bound: float) -> str:
    at = ex.at()
    f = precise.to_float
    if ok:
        if method == "sympy":
            return _("equals {lhs} = {truth} (sympy: the difference expands to 0)").format(
                lhs=lhs, truth=p_text(ex.truth))
        if method == "numeric":
            return _("equals {lhs} at the point and at {n} points spread over the domain "
                     "(40 digits)").format(lhs=lhs, n=len(ex.envs) - 1)
        written = _(" to the {n} decimals written").format(
            n=len((lit or "").lower().partition("e")[0].partition(".")[2])) if bound else ""
        return _("its value {value} is {lhs} at {at}{written}").format(
            value=fmt_number(f(vals[0])), lhs=lhs, at=at, written=written)
    if method == "none":
        return _("{lhs} could not be compared with it: undefined at the point and near it").format(
            lhs=lhs)
    t0 = ex.truth_vals[0]
    if precise.finite(t0) and not precise.finite(vals[0]):
        return _("it is undefined at {at} (it divides by zero or is outside its domain there), "
                 "but {lhs} = {truth}").format(at=at, lhs=lhs, truth=fmt_number(f(t0)))
    if not precise.finite(t0) and method == "value":
        return _("{lhs} is not defined at {at}: no number is right").format(lhs=lhs, at=at)
    for k, (env, v, t) in enumerate(zip(ex.envs, vals, ex.truth_vals)):
        if precise.finite(v) and precise.finite(t) and not precise.agree(v, t, bound if k == 0
                                                                           else 0.0):
            where = ", ".join(f"{s.name} = {fmt_number(x)}" for s, x in env.items())
            if k == 0 or method == "value":
                if method == "value" and lit and bound:
                    return _("at {where} it is {value}, but {lhs} = {truth}, which is not "
                             "{value} to the digits written").format(
                                 where=where, value=lit, lhs=lhs, truth=_digits(t))
                return _("at {where} it is {value}, but {lhs} = {truth}").format(
                    where=where, value=_digits(v), lhs=lhs, truth=_digits(t))
            return _("equal at {at}, but not as a function: at {where} it is {value} "
                     "while {lhs} = {truth}").format(where=where, value=_digits(v), lhs=lhs,
                                                     truth=_digits(t), at=at)
    return _("at {where} it is {value}, but {lhs} = {truth}").format(
        where=at, value=_digits(vals[0]), lhs=lhs, truth=_digits(t0))


def _digits(x: Any) -> str:
    """Enough digits to see a difference: 6, or up to 15 when the 6 would look equal."""
    v = precise.to_float(x)
    s = fmt_number(v)
    if s.lstrip("-").replace(".", "").isdigit() and len(s) < 8 and v != float(s):
        s = f"{v:.15g}"
    return s


def grade_error(k: int, raw: str, err: InputError | LimitExceeded, step_nodes: int,
                step_depth: int) -> Exception:
    """A step that cannot be read: which step, and the reader's own sentence."""
    clip = raw if len(raw) <= 60 else raw[:59] + "…"
    if isinstance(err, InputError):
        return InputError(_("step {n} ({text!r}): {message}").format(
            n=k + 1, text=clip, message=err.message), err.source, err.pos, err.length)
    return LimitExceeded(_("step {n}: {message}").format(n=k + 1, message=err.message),
                         err.hint)


def finite_value(x: Any) -> float | None:
    v = precise.to_float(x)
    return v if not math.isnan(v) else None
