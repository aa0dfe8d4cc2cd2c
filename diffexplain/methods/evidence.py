"""Evidence for a verdict: facts about the graph at the point, as structured reasons.

Each function looks at the exact values (:mod:`~diffexplain.methods.exact`) beside the
float ones and names a float effect only where both show it: an overflow is a node whose
exact value is beyond float64's range while its float value is inf; "outside the domain"
only where the exact function has no real value either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from diffexplain.core.graph import Graph, op_table
from diffexplain.core.printing import fmt_number
from diffexplain.core.reasons import Msg, Reason, reason
from diffexplain.methods.exact import (
    FLOAT32_MAX,
    FLOAT32_TINY,
    FLOAT64_MAX,
    FLOAT64_TINY,
    DerivativeWitness,
    ExactPass,
    real,
)
from diffexplain.methods.numeric import Difference

__all__ = ["cancellation", "derivative_range", "differentiability", "node_facts",
           "numeric_edge"]

_LIMITS = {"float64": (FLOAT64_MAX, FLOAT64_TINY), "float32": (FLOAT32_MAX, FLOAT32_TINY)}


def _expr(graph: Graph, nid: int) -> str:
    n = graph.nodes[nid]
    return op_table(n.op).text.format(*[graph.nodes[i].name for i in n.inputs])


def _where(graph: Graph, nid: int, values: Sequence[float]) -> str:
    n = graph.nodes[nid]
    return ", ".join(f"{graph.nodes[i].name} = {fmt_number(values[i])}" for i in n.inputs
                     if graph.nodes[i].op != "const")


def node_facts(graph: Graph, values: Sequence[float], cone: Sequence[int],
               witness: ExactPass | None, dtype: str = "float64",
               smooth: DerivativeWitness | None = None) -> list[Reason]:
    """Kinks hit, ranges left and domains left on the way from a variable to the output.

    ``cone`` is the ids of the operations that depend on the variable, in topological
    order (:func:`~diffexplain.methods.numeric.dependents`): only they are looked at, so
    the facts of all n components of a vector cost Σ cones, not n passes over the graph.
    Only the first non-finite value is explained (what follows it inherits it).
    """
    out: list[Reason] = []
    born = False
    top, tiny = _LIMITS[dtype]
    nodes = graph.nodes
    isfinite = math.isfinite
    for nid in cone:
        n = nodes[nid]
        if n.is_leaf:
            continue
        fn = op_table(n.op)
        if witness is None and (born or isfinite(values[nid])) and not fn.kinks:
            continue  # the common case, decided without building anything
        args = [values[i] for i in n.inputs]
        names = [nodes[i].name for i in n.inputs]
        exact_args = ([witness.values[i] for i in n.inputs] if witness is not None else args)
        for kink in fn.kinks:
            if exact_args and exact_args[0] == kink:
                params = {"node": n.name, "expr": fn.text.format(*names), "arg": names[0],
                          "kink": fmt_number(kink)}
                if smooth is not None:  # a kink on the way, yet f is differentiable
                    out.append(reason("kink_smooth", **params, value=_short(smooth.value.text)))
                else:
                    out.append(reason("kink_note", **params, note=Msg(fn.note)) if fn.note
                               else reason("kink", **params))
        v = values[n.id]
        if born:
            continue
        if witness is not None:
            ex = witness.value_of(n.id)
            inputs_ok = all(witness.value_of(i).range == "" and
                            (math.isfinite(a) or not witness.value_of(i).defined)
                            for i, a in zip(n.inputs, args))
            if ex.defined and ex.text not in ("inf", "-inf"):
                mag = abs(witness.values[n.id])  # exact: no float range limits it
                if mag > top and inputs_ok:
                    born = True
                    out.append(reason("overflow", node=n.name, expr=_expr(graph, n.id),
                                      exact=_short(ex.text), dtype=dtype, limit=f"{top:.4g}",
                                      value=fmt_number(v)))
                    continue
                if 0 < mag < tiny and inputs_ok:
                    born = True
                    out.append(reason("underflow", node=n.name, expr=_expr(graph, n.id),
                                      exact=_short(ex.text), dtype=dtype, limit=f"{tiny:.3g}"))
                    continue
            if math.isfinite(v) or not all(math.isfinite(a) for a in args):
                continue
            if ex.defined and ex.text not in ("inf", "-inf"):
                continue  # a float effect, named above or by the cancellation reason
        elif math.isfinite(v) or not all(math.isfinite(a) for a in args):
            continue
        born = True
        out.append(reason("domain", node=n.name, expr=fn.text.format(*names),
                          value=fmt_number(v), where=_where(graph, n.id, values) or
                          Msg("this point"), domain=Msg(fn.domain)))
    return out


def _magnitude(x: Any) -> float:
    """|x| as a float, or inf/0 when beyond float range (for comparisons with limits)."""
    try:
        return abs(float(x))
    except (OverflowError, ValueError):
        return math.inf


def _short(text: str) -> str:
    """A 30-digit decimal cut to 12 significant digits for a sentence."""
    r = real(float(text)) if "e" not in text and len(text) < 20 else None
    if r is not None:
        return fmt_number(r.value, 12)
    mant, _e, exp = text.partition("e")
    return f"{mant[:14].rstrip('0').rstrip('.')}e{exp}" if exp else text[:16]


def derivative_range(w: DerivativeWitness, dtype: str) -> list[Reason]:
    """The exact derivative itself outside the float range."""
    top, tiny = _LIMITS[dtype]
    if not w.value.defined or w.value.text in ("inf", "-inf"):
        return []
    mag = _magnitude(float(w.value.value)) if w.value.range == "" else (
        math.inf if w.value.range == "overflow" else 0.0)
    if mag > top:
        return [reason("derivative_overflow", exact=_short(w.value.text), dtype=dtype,
                       limit=f"{top:.4g}")]
    if w.value.text.lstrip("-") not in ("0", "0.0") and mag < tiny:
        return [reason("derivative_underflow", exact=_short(w.value.text), dtype=dtype,
                       limit=f"{tiny:.3g}")]
    return []


def differentiability(w: DerivativeWitness, graph: Graph, values: Sequence[float],
                      witness: ExactPass) -> list[Reason]:
    """Why the derivative does not exist, or why a kink on the way does no harm."""
    if w.state == "kink" and w.left is not None and w.right is not None:
        return [reason("one_sided", left=_short(w.left.text), right=_short(w.right.text))]
    if w.state == "infinite":
        return [reason("infinite_slope", value=w.value.text)]
    if w.state == "edge":
        return [reason("edge", value=_short(w.value.text))]
    return []


def cancellation(w: DerivativeWitness, graph: Graph, witness: ExactPass,
                 rtol: float) -> list[Reason]:
    """The worst sum on the way, when it loses more digits than the tolerance allows."""
    kappa = w.cancel
    if not (kappa * 2.0**-52 > rtol) or not w.cancel_node:
        return []
    nid = graph[w.cancel_node].id
    digits = 16 if math.isinf(kappa) else min(16, round(math.log10(kappa)))
    fk = witness.forward_cancel[nid] if nid < len(witness.forward_cancel) else 1.0
    n = graph.nodes[nid]
    # a forward sum shows its definition; an adjoint its name
    shown = f"{n.name} = {_expr(graph, nid)}" if fk >= kappa and not n.is_leaf else f"∂f/∂{n.name}"
    return [reason("cancellation", node=shown, scale=w.cancel_scale,
                   value=_short(w.cancel_value),
                   kappa="> 1e308" if math.isinf(kappa) else f"{kappa:.3g}", digits=digits)]


def numeric_edge(graph: Graph, values: Sequence[float], v: str, d: Difference) -> list[Reason]:
    """Where the finite-difference points fall outside the domain.

    Only the nodes that depend on ``v`` are recomputed (the others keep ``values``), so
    asking this for every component of a vector stays linear in its length.
    """
    from diffexplain.methods.numeric import dependents

    if d.note is not None:
        return [d.note]
    nodes = graph.nodes
    vid = graph[v].id
    cone = dependents(graph, vid)
    for sign, label in ((-1.0, "−"), (1.0, "+")):
        x = values[vid] + sign * d.step
        over: dict[int, float] = {vid: x}
        for nid in cone:
            n = nodes[nid]
            fn = op_table(n.op)
            args = [over.get(i, values[i]) for i in n.inputs]
            over[nid] = value = fn.math(math, *args)
            if not math.isfinite(value) and all(math.isfinite(a) for a in args):
                names = [nodes[i].name for i in n.inputs]
                return [reason("fd_edge", v=v, sign=label, x=fmt_number(x), node=n.name,
                               expr=fn.text.format(*names), value=fmt_number(value),
                               domain=Msg(fn.domain))]
    return []
