"""The exact witness: the derivative at the point in exact or arbitrary-precision arithmetic.

Float evaluation of a rewritten closed form is what makes ``softplus(x)`` at 1000 look
like NaN (``eˣ/(1 + eˣ)`` is inf/inf) and ``(x+1)² − x²`` at 10¹⁷ look like 0. Here the
graph is run once more, node by node, with each operation's sympy form from the
function table (so nothing is rewritten) and each local partial from ``sympy.diff`` of
that form, in rational arithmetic when every value stays rational and otherwise in
:mod:`mpmath`, raising the working precision until two precisions agree and no sum
lost its digits. The point is taken as the binary value the float methods see; constants
as written (``0.1`` is 1/10), as the symbolic derivation takes them.

Where an operation on the way from a variable to the output has no derivative at its
input (a kink of ``abs``/``relu``, an infinite partial at a domain edge), the chain rule
proves nothing, so the one-sided difference quotients are taken at 100 digits with
steps of 10⁻²⁵ and 10⁻³¹: equal limits give the derivative (``relu(x)·x`` at 0 is
differentiable), different ones a kink (``abs(x)`` at 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any

from diffexplain.core.graph import Graph, constant_sympy, op_table
from diffexplain.methods import mpeval
from diffexplain.methods.reals import (  # noqa: F401 - the exact witness's number type
    FLOAT32_MAX,
    FLOAT32_TINY,
    FLOAT64_MAX,
    FLOAT64_TINY,
    MAX_DPS,
    START_DPS,
    TARGET_DIGITS,
    Real,
    evaluate,
    real,
)

__all__ = ["EXACT_NODES", "DerivativeWitness", "ExactPass", "Real", "check_closed_form",
           "evaluate", "real", "witness"]

#: graphs with more nodes skip the exact witness (the float reverse pass stands in): at
#: about a millisecond per node per precision it would break the ≤ 100 µs/node budget of
#: big graphs (benchmarks/run.py); graphs this small already pay for sympy's closed form
EXACT_NODES = 80
@dataclass(frozen=True)
class DerivativeWitness:
    """The exact derivative with respect to one variable, and whether it exists.

    ``state`` is ``"ok"`` (the chain rule holds: every operation on the way is smooth
    at its input), ``"limits"`` (an operation is not, but both one-sided derivatives
    agree), ``"edge"`` (only one side is defined; its derivative is ``value``),
    ``"kink"`` (the one-sided derivatives differ), ``"infinite"`` or ``"undefined"``.
    ``cancel`` is the condition number of the worst sum on the way (Σ|terms|/|Σ|) and
    ``cancel_node`` where it happens, the evidence for digits float arithmetic loses.
    """

    wrt: str
    value: Real
    state: str = "ok"
    left: Real | None = None
    right: Real | None = None
    cancel: float = 1.0
    cancel_node: str = ""
    culprit: str = ""  # the operation that is not smooth at its input
    cancel_scale: str = ""  # Σ|terms| of the worst sum and what it sums to
    cancel_value: str = ""

    @property
    def differentiable(self) -> bool:
        return self.state in ("ok", "limits", "edge")


@dataclass(frozen=True)
class ExactPass:
    """Every node's exact value and the exact derivatives, at the precision that settled."""

    values: tuple[Any, ...]
    derivatives: dict[str, DerivativeWitness]
    dps: int
    exact: bool
    forward_cancel: tuple[float, ...] = field(default=())

    def value_of(self, node: int) -> Real:
        return real(self.values[node], self.exact)


# --- per-operation sympy forms ----------------------------------------------------------
@cache
def _forms(op: str) -> tuple[Any, tuple[Any, ...], tuple[Any, ...]]:
    """``(value, partials, symbols)`` of an operation in dummy real symbols."""
    import sympy as sp

    fn = op_table(op)
    us = tuple(sp.Symbol(f"_u{k}", real=True) for k in range(fn.arity))
    value = fn.sympy(sp, *us)
    if op == "pow":  # b·a^(b−1): sympy's b·a^b/a is 0/0 at a = 0
        a, b = us
        partials = (b * sp.Pow(a, b - 1, evaluate=False), a**b * sp.log(a))
    else:
        partials = tuple(sp.diff(value, u) for u in us)
    return value, partials, us


_Pass = tuple[list[Any], list[Any], list[float], list[float], list[bool], list[Any], list[Any]]


def _leaf(graph: Graph, nid: int, point: Mapping[str, float], mode: str) -> Any:
    import mpmath as mp

    n = graph.nodes[nid]
    if n.op == "var":
        x = float(point[n.name])
        return Fraction(x) if mode == "fraction" else mp.mpf(x)
    return mpeval.run(constant_sympy(n), {}, mode)


def _eval(expr: Any, us: Sequence[Any], args: Sequence[Any], mode: str,
          flags: list[str] | None) -> Any:
    try:
        return mpeval.run(expr, dict(zip(us, args)), mode, flags)
    except (TypeError, ZeroDivisionError) as err:
        if mode == "fraction":
            raise mpeval.NotRational from err
        raise


def _finite(x: Any, mode: str) -> bool:
    import mpmath as mp

    return mode == "fraction" or bool(mp.isfinite(x))


def _pass(graph: Graph, point: Mapping[str, float], seeds: Mapping[int, float], mode: str,
          flags: list[str] | None, overrides: Mapping[int, Any] | None = None,
          live: Sequence[bool] | None = None, reverse: bool = True) -> _Pass:
    """Forward values, adjoints, forward and adjoint sum condition numbers, singular inputs,
    and the Σ|terms| of each forward sum and each adjoint."""
    import mpmath as mp

    zero = Fraction(0) if mode == "fraction" else mp.mpf(0)
    vals: list[Any] = [zero] * len(graph.nodes)
    fcond = [1.0] * len(graph.nodes)
    fscale: list[Any] = [zero] * len(graph.nodes)
    for n in graph.nodes:
        if live is not None and not live[n.id]:
            continue
        if overrides and n.id in overrides:
            vals[n.id] = overrides[n.id]
        elif n.is_leaf:
            vals[n.id] = _leaf(graph, n.id, point, mode)
        else:
            value, _p, us = _forms(n.op)
            args = [vals[i] for i in n.inputs]
            vals[n.id] = _eval(value, us, args, mode, flags)
            if n.op in ("add", "sub") and _finite(vals[n.id], mode):
                total = fscale[n.id] = abs(args[0]) + abs(args[1])
                fcond[n.id] = (float(total / abs(vals[n.id])) if vals[n.id] != 0 else
                               (math.inf if total else 1.0))
    adj: list[Any] = [zero] * len(graph.nodes)
    acond = [1.0] * len(graph.nodes)
    singular = [False] * len(graph.nodes)  # inputs through which a partial is not finite
    if not reverse:
        return vals, adj, fcond, acond, singular, fscale, adj
    scale: list[Any] = [zero] * len(graph.nodes)  # Σ|terms| of each adjoint
    for o, w in seeds.items():
        seed = Fraction(w) if mode == "fraction" else mp.mpf(w)
        adj[o] += seed
        scale[o] += abs(seed)
    for n in reversed(graph.nodes):
        a = adj[n.id]
        if scale[n.id] and _finite(a, mode) and _finite(scale[n.id], mode):
            acond[n.id] = float(scale[n.id] / abs(a)) if a != 0 else math.inf
            if flags is not None and (a == 0 or scale[n.id] > abs(a) * mp.ldexp(
                    1, mp.mp.prec - mpeval.KEEP_BITS)):
                flags.append("cancel")  # the adjoint's sum kept too few digits
        if n.is_leaf:
            continue
        fn = op_table(n.op)
        _v, partials, us = _forms(n.op)
        args = [vals[i] for i in n.inputs]
        # a kink under a zero adjoint is harmless (the operation is Lipschitz there)
        at_kink = a != 0 and bool(fn.kinks) and any(args[0] == k for k in fn.kinks)
        for k, i in enumerate(n.inputs):
            if graph.nodes[i].op == "const":
                continue
            p = _eval(partials[k], us, args, mode, flags)
            if not _finite(p, mode) or at_kink:
                singular[i] = True
            if a == 0:
                continue
            t = a * p
            adj[i] += t
            scale[i] += abs(t)
    return vals, adj, fcond, acond, singular, fscale, scale


def witness(graph: Graph, point: Mapping[str, float], wrt: Sequence[str],
            seeds: Mapping[int, float] | None = None) -> ExactPass | None:
    """The exact pass, or ``None`` for graphs over :data:`EXACT_NODES` nodes."""

    if len(graph.nodes) > EXACT_NODES:
        return None
    try:
        return _witness(graph, point, wrt, dict(seeds) if seeds else {graph.outputs[0]: 1.0})
    except (MemoryError, OverflowError, RecursionError):
        return None  # numbers beyond even arbitrary precision (a tower of exponentials)


def _witness(graph: Graph, point: Mapping[str, float], wrt: Sequence[str],
             seeds: dict[int, float]) -> ExactPass:
    import mpmath as mp

    try:
        result, dps, exact = _pass(graph, point, seeds, "fraction", None), 0, True
    except mpeval.NotRational:
        exact = False
        dps = START_DPS
        prev = None
        while True:
            flags: list[str] = []
            with mp.workdps(dps):
                cur = _pass(graph, point, seeds, "mp", flags)
            if prev is not None and not flags and _settled(prev, cur, graph, wrt):
                break
            if dps >= MAX_DPS:
                break
            prev = cur
            dps *= 2
        result = cur
    vals, adj, fcond, acond, sing, fscale, ascale = result
    out: dict[str, DerivativeWitness] = {}
    for v in wrt:
        vid = graph[v].id
        reach = graph.depends_on(vid)
        worst = max((k for k in range(len(graph.nodes)) if reach[k]),
                    key=lambda k: max(acond[k], fcond[k]), default=vid)
        cancel = max(acond[worst], fcond[worst])
        users = graph._users()
        culprit = next((graph.nodes[u].name for k in range(len(graph.nodes))
                        if reach[k] and sing[k] for u in users[k]), "")
        fwd = fcond[worst] >= acond[worst]
        with mp.workdps(max(dps, 30)):
            value = real(adj[vid], exact)
            sc = real(fscale[worst] if fwd else ascale[worst], exact, 4).text
            sv = real(vals[worst] if fwd else adj[worst], exact, 12).text
        w = DerivativeWitness(v, value, cancel=cancel, cancel_node=graph.nodes[worst].name,
                              culprit=culprit, cancel_scale=sc, cancel_value=sv)
        f0 = _objective(vals, seeds, "fraction" if exact else "mp")
        if not _finite(f0, "mp" if not exact else "fraction") or (not exact and mp.isnan(f0)):
            w = DerivativeWitness(v, Real("nan", math.nan), "undefined", cancel=cancel,
                                  cancel_node=w.cancel_node)
        elif culprit:
            w = _one_sided(graph, point, seeds, v, w)
        out[v] = w
    return ExactPass(tuple(vals), out, dps, exact, tuple(fcond))


def _objective(vals: Sequence[Any], seeds: Mapping[int, float], mode: str) -> Any:
    import mpmath as mp

    if mode == "fraction":
        return sum((Fraction(w) * vals[o] for o, w in seeds.items()), Fraction(0))
    return mp.fsum(mp.mpf(w) * vals[o] for o, w in seeds.items())


def _settled(prev: Any, cur: Any, graph: Graph, wrt: Sequence[str]) -> bool:
    """Do two precisions agree to :data:`TARGET_DIGITS` on every value and derivative?"""
    import mpmath as mp

    tol = mp.mpf(10) ** -TARGET_DIGITS
    pairs = list(zip(prev[0], cur[0])) + [(prev[1][graph[v].id], cur[1][graph[v].id])
                                          for v in wrt]
    for a, b in pairs:
        if mp.isnan(a) or mp.isnan(b) or mp.isinf(a) or mp.isinf(b):
            if not (a == b or (mp.isnan(a) and mp.isnan(b))):
                return False
            continue
        if abs(a - b) > tol * max(abs(a), abs(b)):
            return False
    return True


def _one_sided(graph: Graph, point: Mapping[str, float], seeds: Mapping[int, float], v: str,
               w: DerivativeWitness) -> DerivativeWitness:
    """Decide differentiability from the one-sided difference quotients at 100 digits."""
    import mpmath as mp

    vid = graph[v].id
    reach = graph.depends_on(vid)
    with mp.workdps(100):
        base = _pass(graph, point, seeds, "mp", None, reverse=False)[0]
        f0 = _objective(base, seeds, "mp")
        x = base[vid]
        scale = max(mp.mpf(1), abs(x))

        def quotient(sign: int, exp: int) -> Any:
            h = scale * mp.mpf(10) ** -exp
            over = {i: base[i] for i in range(len(graph.nodes)) if not reach[i]}
            over[vid] = x + sign * h
            vals = _pass(graph, point, seeds, "mp", None, overrides=over, reverse=False)[0]
            return sign * (_objective(vals, seeds, "mp") - f0) / h

        sides = []
        for sign in (1, -1):
            q1, q2 = quotient(sign, 25), quotient(sign, 31)
            if mp.isnan(q1) or mp.isnan(q2) or mp.isinf(q2):
                side = mp.mpf("nan") if mp.isnan(q2) else q2
            elif abs(q2 - q1) <= mp.mpf(10) ** -15 * max(abs(q1), abs(q2)) + mp.mpf(10) ** -40:
                side = q2 - (q1 - q2) / (10**6 - 1)  # Richardson: q(h) = f' + c·h
            elif abs(q2) < abs(q1) / 100:
                side = mp.mpf(0)  # shrinks with h: a zero slope
            elif abs(q2) > abs(q1) * 100:
                side = mp.inf if q2 > 0 else -mp.inf  # grows without bound
            else:
                side = mp.mpf("nan")  # oscillates
            sides.append(side)
        right, left = sides
        r, lft = real(right, digits=20), real(left, digits=20)
        snap = mp.mpf(10) ** -24

        def same(a: Any, b: Any) -> bool:
            if mp.isinf(a) or mp.isinf(b):
                return bool(a == b)
            return bool(abs(a - b) <= mp.mpf(10) ** -12 * max(abs(a), abs(b)) + snap)

        chain = w.value
        if not mp.isnan(right) and not mp.isnan(left) and same(right, left):
            if mp.isinf(right):
                return DerivativeWitness(v, r, "infinite", lft, r, w.cancel, w.cancel_node,
                                         w.culprit)
            mid = (right + left) / 2
            val = (chain if chain.defined and math.isfinite(chain.value) and
                   same(mp.mpf(chain.text), mid) else real(0 if abs(mid) < snap else mid,
                                                           digits=20))
            return DerivativeWitness(v, val, "limits", lft, r, w.cancel, w.cancel_node,
                                     w.culprit)
        if mp.isnan(right) and mp.isnan(left):
            return DerivativeWitness(v, Real("nan", math.nan), "undefined", lft, r, w.cancel,
                                     w.cancel_node, w.culprit)
        if mp.isnan(right) or mp.isnan(left):
            one = left if mp.isnan(right) else right
            state = "infinite" if mp.isinf(one) else "edge"
            return DerivativeWitness(v, real(0 if abs(one) < snap else one, digits=20), state,
                                     lft, r, w.cancel, w.cancel_node, w.culprit)
        # no derivative: ``value`` keeps what the rules give (sign(0) = 0, H(0) = 1/2)
        return DerivativeWitness(v, chain, "kink", lft, r, w.cancel, w.cancel_node, w.culprit)


def check_closed_form(value: float, ref: Real | None, what: str) -> None:
    """sympy's closed form and the table's exact reverse pass must agree where both exist.

    Both are exact (30 settled digits), so a gap is a wrong rule, never round-off.
    """
    if ref is None or not (math.isfinite(value) and math.isfinite(ref.value)) or \
            ref.range or (value == 0 and ref.value == 0):
        return
    if abs(value - ref.value) > 1e-12 * max(abs(value), abs(ref.value)) + 1e-300:
        from diffexplain.errors import VerificationError

        raise VerificationError(f"internal check failed: closed form {value!r} ≠ exact "
                                f"reverse accumulation {ref.value!r} for {what}")
