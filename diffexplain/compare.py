"""Putting the three answers side by side, with stated tolerances and reasons.

Agreement is a measured fact with its tolerance printed next to it. When the
methods part ways, or a value is undefined, the verdict names the cause from
the evidence in the graph: a kink (``abs``, ``relu`` at 0), a point outside a
function's domain, float32 round-off, or a finite-difference step that cannot
resolve the derivative.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from diffexplain.core.graph import Graph, op_table
from diffexplain.core.printing import fmt_number
from diffexplain.i18n import _
from diffexplain.methods.numeric import Difference

__all__ = ["TOLERANCES", "Comparison", "Tolerance", "Verdict", "compare"]


@dataclass(frozen=True)
class Tolerance:
    """``|a − b| ≤ atol + rtol·max(|a|, |b|)``; numeric also gets ``error_factor``·estimate."""

    rtol: float
    atol: float
    numeric_rtol: float
    numeric_atol: float
    error_factor: float = 10.0

    def as_dict(self) -> dict[str, float]:
        return {"rtol": self.rtol, "atol": self.atol, "numeric_rtol": self.numeric_rtol,
                "numeric_atol": self.numeric_atol, "error_factor": self.error_factor}


TOLERANCES = {
    "float64": Tolerance(rtol=1e-9, atol=1e-12, numeric_rtol=1e-6, numeric_atol=1e-8),
    "float32": Tolerance(rtol=1e-4, atol=1e-5, numeric_rtol=1e-2, numeric_atol=1e-3),
}


@dataclass(frozen=True)
class Comparison:
    """One variable's three values and whether they agree, with reasons when not."""

    wrt: str
    symbolic: float
    autograd: float | None
    numeric: float | None
    numeric_error: float | None
    agree: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    agree: bool
    summary: str
    tolerance: Tolerance
    comparisons: dict[str, Comparison] = field(default_factory=dict)


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def compare(graph: Graph, values: Sequence[float], symbolic: Mapping[str, float],
            autograd: Mapping[str, float | None] | None,
            numeric: Mapping[str, Difference] | None, dtype: str = "float64",
            float64_symbolic: Mapping[str, float] | None = None) -> Verdict:
    """Judge agreement per variable; see :data:`TOLERANCES` for the numbers used."""
    tol = TOLERANCES[dtype]
    comps: dict[str, Comparison] = {}
    graph_reasons = _graph_reasons(graph, values)
    for v, s in symbolic.items():
        a = None if autograd is None else autograd.get(v)
        d = None if numeric is None else numeric.get(v)
        n = None if d is None else d.value
        ok = math.isfinite(s)
        reasons: list[str] = []
        if a is not None and not _close(s, a, tol.rtol, tol.atol) and not (
                math.isnan(s) and math.isnan(a)):
            ok = False
            reasons.append(_("symbolic {symbolic} and autograd {autograd} differ "
                             "by more than rtol {rtol}").format(
                                 symbolic=fmt_number(s, 12), autograd=fmt_number(a, 12),
                                 rtol=f"{tol.rtol:g}"))
        if d is not None and n is not None:
            slack = max(tol.numeric_atol + tol.numeric_rtol * abs(s), tol.error_factor * d.error)
            step_reason = _step_reason(graph, values, v, s, n, d, dtype)
            if step_reason:
                ok = False
                reasons.append(step_reason)
            elif not math.isfinite(n) and all(math.isfinite(values[o]) for o in graph.outputs):
                side = _side_reason(graph, values, v, d.step)
                if side:
                    reasons.append(side)
            if step_reason:
                pass
            elif not (math.isfinite(n) and math.isfinite(s) and abs(n - s) <= slack):
                ok = False
                if math.isfinite(n) and math.isfinite(s):
                    reasons.append(_("finite differences give {value}, off by {off} (allowed "
                                     "{allowed}; step h = {h}, error estimate {error})").format(
                                         value=fmt_number(n, 10), off=f"{abs(n - s):.3g}",
                                         allowed=f"{slack:.3g}", h=f"{d.step:.3g}",
                                         error=f"{d.error:.3g}"))
            elif d.error > 1e-3 * max(1.0, abs(s)):
                reasons.append(_("finite differences are uncertain here (error estimate "
                                 "{error} at h = {h})").format(error=f"{d.error:.3g}",
                                                               h=f"{d.step:.3g}"))
        if not math.isfinite(s):
            reasons.append(_("the derivative is {value} at this point").format(
                value=fmt_number(s)))
        dep = graph.depends_on(graph[v].id)
        reasons.extend(r for nid, r in graph_reasons if dep[nid])
        if dtype == "float32" and float64_symbolic and v in float64_symbolic and a is not None:
            gap = abs(a - float64_symbolic[v])
            if gap > 0:
                reasons.append(_("float32 round-off: autograd in float32 is {gap} away from "
                                 "the exact (float64) value").format(gap=f"{gap:.3g}"))
        comps[v] = Comparison(v, s, a, n, None if d is None else d.error, ok, tuple(reasons))
    agree = all(c.agree for c in comps.values())
    methods = _("symbolic, autograd and numeric") if autograd is not None and numeric is not None \
        else _("the methods run")
    summary = (_("{methods} agree (rtol {rtol} symbolic/autograd, rtol {numeric_rtol} or "
                 "{factor}× the error estimate for finite differences)").format(
                     methods=methods, rtol=f"{tol.rtol:g}", numeric_rtol=f"{tol.numeric_rtol:g}",
                     factor=f"{tol.error_factor:g}") if agree else
               _("disagreement for {variables}: see the reasons").format(
                   variables=", ".join(v for v, c in comps.items() if not c.agree)))
    return Verdict(agree, summary, tol, comps)


def _step_reason(graph: Graph, values: Sequence[float], v: str, s: float, n: float,
                 d: Difference, dtype: str) -> str:
    """Why a finite difference misses by more than the tolerance: cancellation or truncation.

    The round-off of (f(x+h) − f(x−h))/2h is about eps·|f|/h; when that alone exceeds the
    tolerance, the step is too small for the difference to resolve the derivative.
    """
    from diffexplain.methods.numeric import EPS, step_for

    if not (math.isfinite(n) and math.isfinite(s)):
        return ""
    tol = TOLERANCES[dtype]
    strict = tol.numeric_atol + tol.numeric_rtol * abs(s)
    off = abs(n - s)
    if off <= strict:
        return ""
    f = max((abs(values[o]) for o in graph.outputs if math.isfinite(values[o])), default=1.0)
    eps = EPS[dtype]
    roundoff = eps * max(f, 1.0) / d.step
    x = values[graph[v].id]
    best = step_for(x, dtype)
    trunc = max(d.error - roundoff, 0.0)
    if roundoff > strict and roundoff >= trunc:
        digits = max(0, round(-math.log10(max(2 * d.step * abs(s), 1e-300) / max(f, 1e-300))))
        return _("cancellation in finite differences: with h = {h}, f(x+h) and f(x−h) "
                 "agree in their first ~{digits} significant digits, so their difference keeps "
                 "mostly round-off: the error ≈ eps·|f|/h = {eps}·{f}/{h} ≈ {roundoff}, and the "
                 "estimate is off by {off}. A step near ∛eps·max(1,|x|) ≈ {best} balances "
                 "round-off and truncation").format(
                     h=f"{d.step:.3g}", digits=digits, eps=f"{eps:.2g}", f=fmt_number(f),
                     roundoff=f"{roundoff:.2g}", off=f"{off:.3g}", best=f"{best:.2g}")
    if d.step > 10 * best and trunc >= roundoff:
        return _("truncation in finite differences: h = {h} is large, and the "
                 "central difference is exact only for quadratics: its error grows like h² "
                 "(Richardson estimate {trunc}, off by {off}). A step near "
                 "∛eps·max(1,|x|) ≈ {best} balances round-off and truncation").format(
                     h=f"{d.step:.3g}", trunc=f"{trunc:.3g}", off=f"{off:.3g}",
                     best=f"{best:.2g}")
    return ""


def _side_reason(graph: Graph, values: Sequence[float], v: str, h: float) -> str:
    """Finite differences step to x ± h: say where f is undefined there."""
    from diffexplain.methods.numeric import forward

    point = {n.name: values[n.id] for n in graph.nodes if n.op == "var"}
    for sign, label in ((-1.0, "−"), (1.0, "+")):
        p = dict(point)
        p[v] = point[v] + sign * h
        vals = forward(graph, p)
        for n in graph.nodes:
            if n.is_leaf:
                continue
            args = [vals[i] for i in n.inputs]
            if not math.isfinite(vals[n.id]) and all(math.isfinite(a) for a in args):
                fn = op_table(n.op)
                names = [graph.nodes[i].name for i in n.inputs]
                return _("finite differences evaluate f at {v} {sign} h = {x}, where {node} = "
                         "{expr} is {value} (domain: {domain}): the point is at the edge of the "
                         "domain, so the difference quotient is undefined").format(
                             v=v, sign=label, x=fmt_number(p[v]), node=n.name,
                             expr=fn.text.format(*names), value=fmt_number(vals[n.id]),
                             domain=_(fn.domain))
    return ""


def _graph_reasons(graph: Graph, values: Sequence[float]) -> list[tuple[int, str]]:
    """Facts about nodes that explain disagreements: kinks hit, domains left, NaN born."""
    out: list[tuple[int, str]] = []
    born_nan = False
    for n in graph.nodes:
        if n.is_leaf:
            continue
        fn = op_table(n.op)
        args = [values[i] for i in n.inputs]
        v = values[n.id]
        if not fn.kinks and (born_nan or math.isfinite(v)):
            continue  # nothing to say about this node (the common case, checked cheaply)
        names = [graph.nodes[i].name for i in n.inputs]
        for kink in fn.kinks:
            if args and args[0] == kink:
                note = _(" ({note})").format(note=_(fn.note)) if fn.note else ""
                out.append((n.id, _("kink: {node} = {expr} at {arg} = {kink}, where the "
                                    "derivative does not exist").format(
                                        node=n.name, expr=fn.text.format(*names), arg=names[0],
                                        kink=fmt_number(kink)) + note))
        v = values[n.id]
        if not born_nan and not math.isfinite(v) and all(math.isfinite(a) for a in args):
            born_nan = True
            where = ", ".join(f"{nm} = {fmt_number(a)}" for nm, a in zip(names, args)
                              if graph.nodes[graph[nm].id].op != "const")
            out.append((n.id, _("outside the domain: {node} = {expr} is {value} at {where} "
                                "(domain: {domain}): f has no real value here, so its derivative "
                                "is undefined whatever number a derivative rule evaluates "
                                "to").format(node=n.name, expr=fn.text.format(*names),
                                             value=fmt_number(v), where=where or _("this point"),
                                             domain=_(fn.domain))))
    return out
