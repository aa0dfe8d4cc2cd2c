"""Float passes over the graph: forward values, reverse adjoints, finite differences.

The finite-difference estimate is the independent witness: it knows nothing of
derivative rules, only the forward pass, so it catches a wrong rule in the
table, a wrong grad_fn, or a point where the derivative does not exist.

Every pass is one loop over ``graph.nodes`` (no recursion, no sympy), which is
what keeps 100,000-node graphs at a few microseconds per node.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.core.floats import fsum
from diffexplain.core.functions import FLOAT_ERRORS, raw_form
from diffexplain.core.graph import Graph, op_table, point_values
from diffexplain.core.reasons import Msg, Reason, reason
from diffexplain.errors import LimitExceeded
from diffexplain.i18n import N_, _
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "EPS",
    "Difference",
    "Prober",
    "central_difference",
    "central_differences",
    "dependents",
    "forward",
    "reverse",
    "step_for",
]

EPS = {"float64": 2.0**-52, "float32": 2.0**-23}


_F32 = None


def _round32(x: float) -> float:
    global _F32
    if _F32 is None:
        import struct

        _F32 = struct.Struct("f")
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)




#: one step of a float pass: (id, raw form, safe form, inputs, first input, second input)
Step = tuple[int, Any, Any, tuple[int, ...], int, int]


def _plan(graph: Graph) -> list[Step]:
    """A :data:`Step` per operation, built once per graph.

    The raw form (the table's float function without its guard) is tried
    first; on a float error the guarded form gives the NaN/inf the guard
    would, so values are the same, minus a wrapper call and a table lookup per node.
    """
    plan = graph._cache.get("forward")
    if plan is None:
        plan = []
        forms: dict[str, tuple[Any, Any]] = {}  # per operation name, not per node
        for n in graph.nodes:
            op = n.op
            if op == "var" or op == "const":
                continue
            form = forms.get(op)
            if form is None:
                safe = op_table(op).math
                form = forms[op] = (raw_form(safe), safe)
            ins = n.inputs
            # the input ids of a unary or binary node spelled out (-1: none), so that the
            # loop below tests an int instead of calling len() twice per node
            a, b = (ins[0], -1) if len(ins) == 1 else (ins[0], ins[1]) if len(ins) == 2 else (-1, -1)
            plan.append((n.id, form[0], form[1], ins, a, b))
        graph._cache["forward"] = plan
    return plan


def _run(plan: Sequence[Step], vals: list[float], r32: bool) -> None:
    m = math
    for nid, f, safe, ins, i, j in plan:
        if j >= 0:
            a, b = vals[i], vals[j]
            try:
                v = f(m, a, b)
            except FLOAT_ERRORS:
                v = safe(m, a, b)
        elif i >= 0:
            a = vals[i]
            try:
                v = f(m, a)
            except FLOAT_ERRORS:
                v = safe(m, a)
        else:
            args = [vals[i] for i in ins]
            try:
                v = f(m, *args)
            except FLOAT_ERRORS:
                v = safe(m, *args)
        vals[nid] = _round32(v) if r32 else v


def forward(graph: Graph, point: Mapping[str, float], dtype: str = "float64") -> list[float]:
    """Every node's value at the point, rounding to float32 after each op if asked."""
    vals = point_values(graph, point)
    r32 = dtype == "float32"
    if r32:
        vals = [_round32(v) for v in vals]
    _run(_plan(graph), vals, r32)
    return vals


def reverse(graph: Graph, values: list[float], seeds: Mapping[int, float]) -> list[float]:
    """Adjoints v̄ = Σ ū·∂u/∂v by the table's float partials, in reverse topological order."""
    adj = [0.0] * len(graph.nodes)
    for out, w in seeds.items():
        adj[out] += w
    rplan = graph._cache.get("reverse")
    if rplan is None:
        const = [n.op == "const" for n in graph.nodes]
        rplan = []
        forms: dict[str, list[tuple[Any, Any]]] = {}  # per operation name, not per node
        for n in reversed(graph.nodes):
            op = n.op
            if op == "var" or op == "const":
                continue
            ds = forms.get(op)
            if ds is None:
                ds = forms[op] = [(raw_form(d), d) for d in op_table(op).dmath]
            slots = tuple((k, i, raw, d) for k, (i, (raw, d)) in enumerate(zip(n.inputs, ds))
                          if not const[i])
            rplan.append((n.id, n.inputs, slots))
        graph._cache["reverse"] = rplan
    m = math
    for nid, ins, slots in rplan:
        a = adj[nid]
        if a == 0.0:
            continue
        args = [values[i] for i in ins]
        for _k, i, d, safe in slots:
            try:
                p = d(m, *args)
            except FLOAT_ERRORS:
                p = safe(m, *args)
            adj[i] += a * p
    return adj


def step_for(x: float, dtype: str = "float64") -> float:
    """The central-difference step that balances truncation and round-off: ∛eps·max(1,|x|)."""
    return EPS[dtype] ** (1.0 / 3.0) * max(1.0, abs(x))


@dataclass(frozen=True)
class Difference:
    """A finite-difference derivative with the step used and an error estimate.

    ``error`` is |D(h) − D(2h)|/3 (Richardson) plus the round-off bound
    eps·|f|/h, so a comparison can say whether a gap is within what finite
    differences can resolve. ``kind`` is ``central``, ``forward`` or ``backward``;
    ``note`` says why the step was shrunk or made one-sided.
    """

    value: float
    step: float
    error: float
    kind: str = "central"
    note: Reason | None = None


def _objective(graph: Graph, point: Mapping[str, float], seeds: Mapping[int, float],
               dtype: str) -> float:
    vals = forward(graph, point, dtype)
    return fsum(w * vals[o] for o, w in seeds.items())


#: a step is shrunk by this factor at a time, at most this many times, before going one-sided
SHRINK, MAX_SHRINKS = 4.0, 14


#: memoised cones may hold at most this many ids per graph node (a component graph holds
#: O(log n) per component; many variables with graph-wide cones are recomputed instead)
CONE_MEMO = 32


def dependents(graph: Graph, vid: int) -> list[int]:
    """The ids of the nodes that depend on node ``vid`` (``vid`` excluded), in topological order.

    Found by walking the users table from ``vid``, so the cost is the size of the cone,
    not of the graph: on a component graph a component reaches its own few nodes and a
    logarithmic path up the balanced reduction tree
    (:func:`~diffexplain.core.tensor_rules.balanced_sum`). Memoised per graph: treat the
    list as read-only.
    """
    cones = graph._cache.setdefault("cones", {})  # finite differences, then the verdict
    out = cones.get(vid)
    if out is None:
        users = graph._users()
        seen = {vid}
        stack = [vid]
        out = []
        while stack:
            for u in users[stack.pop()]:
                if u not in seen:
                    seen.add(u)
                    out.append(u)
                    stack.append(u)
        out.sort()  # node ids are topological
        held = graph._cache.get("cones_held", 0) + len(out)
        if held <= CONE_MEMO * len(graph.nodes):  # wide cones are recomputed, not held
            cones[vid] = out
            graph._cache["cones_held"] = held
    return out


def check_cost(graph: Graph, wrt: Sequence[str], limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse finite differences whose probes would recompute more than ``limits.max_work``
    nodes in all (Σ of the variables' dependent cones), before any probe runs.

    A reduction tree keeps each cone logarithmic, but a dense Jacobian (every entry of
    ``softmax(x)`` depends on every ``x_i``) makes each cone the whole graph: n² work. The
    cones are counted with an early stop at the limit, and kept for the probes.

    Raises:
        LimitExceeded: the sum is above ``limits.max_work``.
    """
    if len(wrt) * len(graph.nodes) <= limits.max_work:  # no cone can be larger: nothing to count
        return
    total = 0
    for v in wrt:
        total += len(dependents(graph, graph[v].id)) + 1
        if total > limits.max_work:
            raise LimitExceeded(
                _("finite differences: the probes of {n} variables would recompute more than "
                  "{limit} nodes (each variable reaches much of the graph: a dense "
                  "Jacobian)").format(n=len(wrt), limit=limits.max_work),
                _("raise it with --max-work, or skip the finite differences with --no-numeric"))


class Prober:
    """f at perturbed points of one variable, recomputing only that variable's dependents.

    One working copy of the base pass serves every variable: a probe writes the perturbed
    variable, reruns the plan entries of its dependent cone (:func:`dependents`) in
    topological order and puts the base values back, so a probe costs the cone, not the
    graph, and a vector of n components costs O(n · cone) instead of O(n · graph).

    The result is the full forward pass's, bit for bit: a node outside the cone does not
    depend on the variable, so a full pass at the perturbed point gives it its base value;
    a node in the cone is computed by the same float function from the same input values
    in the same order (each reduction is a tree of binary ``add`` nodes, so nothing is
    summed incrementally and the rounding order is the full pass's). The witness stays
    independent: it uses only the forward float forms, never a derivative rule.
    """

    def __init__(self, graph: Graph, seeds: Mapping[int, float], base: Sequence[float],
                 dtype: str) -> None:
        self.graph, self.seeds, self.base, self.dtype = graph, dict(seeds), base, dtype
        self.work = list(base)
        self.r32 = dtype == "float32"
        by_id = graph._cache.get("forward_by_id")
        if by_id is None:
            by_id = graph._cache["forward_by_id"] = {p[0]: p for p in _plan(graph)}
        self.by_id = by_id
        self.f0 = fsum(w * base[o] for o, w in self.seeds.items())

    def probe(self, vid: int, cone: Sequence[int], sub: Sequence[Any],
              kinks: Sequence[tuple[int, float]], v: float) -> tuple[float, bool]:
        """f at variable ``vid`` = v, and whether the way there stays clean (defined, no
        kink crossed); the working copy is the base pass again afterwards."""
        base = self.base
        # a cone over 1/16 of the graph: a fresh copy (one C-level copy) is cheaper than
        # putting the cone's base values back one by one
        fresh = len(cone) * 16 > len(base)
        vals = list(base) if fresh else self.work
        vals[vid] = _round32(float(v)) if self.r32 else float(v)
        _run(sub, vals, self.r32)
        f = fsum(w * vals[o] for o, w in self.seeds.items())
        clean = math.isfinite(f) or not math.isfinite(self.f0)
        for i, k in kinks:
            if clean and base[i] != k and (vals[i] - k) * (base[i] - k) <= 0:
                clean = False
        if not fresh:
            vals[vid] = base[vid]
            for i in cone:
                vals[i] = base[i]
        return f, clean


def central_differences(graph: Graph, point: Mapping[str, float], wrt: Sequence[str],
                        seeds: Mapping[int, float], dtype: str = "float64",
                        step: float | None = None, *,
                        base: Sequence[float] | None = None) -> dict[str, Difference]:
    """:func:`central_difference` for each variable of ``wrt``, sharing one :class:`Prober`
    (one copy of the base pass for all), so the total cost is Σ cones, linear in the
    number of components of a vector."""
    if base is None:
        base = forward(graph, point, dtype)
    prober = Prober(graph, seeds, base, dtype)
    return {v: central_difference(graph, point, v, seeds, dtype, step, base=base,
                                  prober=prober) for v in wrt}


def _kinks_in(graph: Graph, cone: Sequence[int]) -> list[tuple[int, float]]:
    """(input id, kink) of each node of ``cone`` whose operation has a kink (abs, relu, …)."""
    at = graph._cache.get("kink_nodes")
    if at is None:  # most graphs have none: then no cone is walked for them
        at = graph._cache["kink_nodes"] = {
            n.id: (n.inputs[0], op_table(n.op).kinks) for n in graph.nodes
            if not n.is_leaf and op_table(n.op).kinks}
    if not at:
        return []
    return [(i, k) for c in cone if c in at for i, ks in (at[c],) for k in ks]


def central_difference(graph: Graph, point: Mapping[str, float], var: str,
                       seeds: Mapping[int, float], dtype: str = "float64",
                       step: float | None = None, *,
                       base: Sequence[float] | None = None,
                       prober: Prober | None = None) -> Difference:
    """(f(x+h) − f(x−h)) / 2h for one variable of the weighted output sum.

    Each perturbed pass recomputes only the nodes that depend on ``var``, from
    ``base`` (the unperturbed forward pass in ``dtype``, computed if not given);
    the others keep their values, so the result is the full pass's, bit for bit
    (see :class:`Prober`). A step that would leave the domain (f undefined at x ± 2h)
    or cross a kink of ``abs``/``relu`` is shrunk; if that cannot help, the
    difference is one-sided.
    """
    x = float(point[var])
    h0 = h = step if step is not None else step_for(x, dtype)
    if prober is None:
        prober = Prober(graph, seeds, base if base is not None else forward(graph, point, dtype),
                        dtype)
    base = prober.base
    vid = graph[var].id
    cone = dependents(graph, vid)
    sub = [prober.by_id[i] for i in cone]
    kinks = _kinks_in(graph, cone)
    f0 = prober.f0

    seen: dict[float, tuple[float, bool]] = {}  # the probes of the step check are reused

    def f_at(v: float) -> tuple[float, bool]:
        """f at x = v, and whether the way from x to v stays clean (defined, no kink crossed)."""
        if v not in seen:
            seen[v] = prober.probe(vid, cone, sub, kinks, v)
        return seen[v]

    def side_ok(sign: float, hh: float) -> bool:
        return f_at(x + sign * hh)[1] and f_at(x + 2 * sign * hh)[1]

    kind, note = "central", None
    if step is None and not (side_ok(1, h) and side_ok(-1, h)):
        shrinks = 0
        while shrinks < MAX_SHRINKS and not (side_ok(1, h) and side_ok(-1, h)):
            h /= SHRINK
            shrinks += 1
        right, left = side_ok(1, h0), side_ok(-1, h0)
        if side_ok(1, h) and side_ok(-1, h):
            # the edge is within ~8h: the balanced step on that distance's scale
            h = max(EPS[dtype] ** (1.0 / 3.0) * 4 * h, 4 * EPS[dtype] * max(1.0, abs(x)))
            action = Msg(N_("shrunk to h = {h} so that x ± 2h stays clear of it"))
        elif right or left:
            h, kind = h0, "forward" if right else "backward"
            action = Msg(N_("a one-sided ({kind}) difference with h = {h} is used instead"))
        else:
            h = h0
            action = Msg(N_("no smaller step avoids it, so the central difference stands"))
        where = _where(graph, base, x, h0, f_at, kinks)
        note = reason("fd_adapted", h0=f"{h0:.3g}", where=where, action=action,
                      h=f"{h:.3g}", kind=Msg(kind))
    if kind == "central":
        d1 = (f_at(x + h)[0] - f_at(x - h)[0]) / (2 * h)
        d2 = (f_at(x + 2 * h)[0] - f_at(x - 2 * h)[0]) / (4 * h)
    else:  # second-order one-sided: (−3f(x) + 4f(x±h) − f(x±2h)) / ±2h
        s = 1.0 if kind == "forward" else -1.0
        d1 = (-3 * f0 + 4 * f_at(x + s * h)[0] - f_at(x + 2 * s * h)[0]) / (2 * s * h)
        d2 = (f_at(x + s * h)[0] - f0) / (s * h)
    err = abs(d1 - d2) / 3.0 + EPS[dtype] * max(abs(f0), 1.0) / h
    if not math.isfinite(err):
        err = math.inf
    return Difference(d1, h, err, kind, note)


def _where(graph: Graph, base: Sequence[float], x: float, h: float, f_at: Any,
           kinks: Sequence[tuple[int, float]]) -> Msg:
    """What a step h would reach: the edge of the domain or a kink."""
    for sign in (1.0, -1.0):
        f, _clean = f_at(x + 2 * sign * h)
        if not math.isfinite(f):
            return Msg(N_("points where f is undefined (the edge of the domain)"))
    return Msg(N_("across a kink of abs/relu"))
