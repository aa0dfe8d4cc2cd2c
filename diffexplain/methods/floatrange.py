"""Overflow and underflow named from the exact value, where no exact pass is at hand.

A float operation that returns ±inf from finite inputs has either left the float range
(``x·x`` at 1e308 is 1e616) or left its domain (``log(0)``). Only the exact value tells
them apart, so each suspect operation is evaluated once more in :mod:`mpmath` (whose
exponent range has no limit) on the very float inputs it had: a finite exact value beyond
the largest float is an overflow, with that value as the evidence. An inf that follows an
operation whose exact value was below the smallest subnormal (``1/(x·x)`` at 1e-200) is
named as that underflow. Used for the finite-difference probes
(:func:`diffexplain.methods.evidence.numeric_edge`) and for graphs too big for the exact
witness (:func:`diffexplain.methods.evidence.node_facts`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from diffexplain.core.graph import Graph, op_table
from diffexplain.core.printing import fmt_number
from diffexplain.core.reasons import Reason, reason
from diffexplain.methods.reals import FLOAT32_MAX, FLOAT32_TINY, FLOAT64_MAX, FLOAT64_TINY

__all__ = ["check_constants", "exact_op", "out_of_range", "probe_reason"]

_LIMITS = {"float64": (FLOAT64_MAX, FLOAT64_TINY), "float32": (FLOAT32_MAX, FLOAT32_TINY)}
#: digits of the re-evaluation: the magnitude is what matters, not the last digit
_DPS = 30
#: at most this many zero-valued operations are re-evaluated looking for an underflow
_SCAN = 2000


def exact_op(graph: Graph, nid: int, args: Sequence[float]) -> Any | None:
    """Node ``nid``'s operation on the float ``args``, in mpmath; ``None`` where undefined."""
    import mpmath as mp

    from diffexplain.methods import mpeval
    from diffexplain.methods.exact import _forms

    value, _p, us = _forms(graph.nodes[nid].op)
    try:
        with mp.workdps(_DPS):
            x = mpeval.run(value, {u: mp.mpf(a) for u, a in zip(us, args)}, "mp")
    except (ArithmeticError, ValueError, TypeError, NotImplementedError):
        return None
    return x if isinstance(x, mp.mpf) and mp.isfinite(x) else None


def _text(x: Any) -> str:
    import mpmath as mp

    mant, e, exp = str(mp.nstr(x, 12, min_fixed=-4, max_fixed=12)).partition("e")
    return (mant[:-2] if mant.endswith(".0") else mant) + e + exp


def out_of_range(graph: Graph, values: Sequence[float], upto: int | None = None,
                 dtype: str = "float64") -> dict[str, Any] | None:
    """Why the first non-finite value (from finite inputs) is there, if the float range is why.

    Returns the reason's parameters (``code`` ``overflow`` or ``underflow``, the node, its
    expression, the exact value, the limit, the float value) or ``None``: then the exact
    operation is undefined too, and the value is outside the domain.
    """
    import mpmath as mp

    top, tiny = _LIMITS[dtype]
    under: tuple[int, Any] | None = None
    scanned = 0
    for n in graph.nodes[: None if upto is None else upto + 1]:
        if n.is_leaf:
            continue
        args = [values[i] for i in n.inputs]
        if not all(math.isfinite(a) for a in args):
            continue
        v = values[n.id]
        if v == 0 and under is None and scanned < _SCAN and any(a != 0 for a in args):
            scanned += 1
            ex = exact_op(graph, n.id, args)
            if ex is not None and ex != 0 and abs(ex) < tiny:
                under = (n.id, ex)
        if math.isfinite(v):
            continue
        ex = exact_op(graph, n.id, args)
        params = {"node": n.name, "expr": _expr(graph, n.id), "dtype": dtype,
                  "value": fmt_number(v)}
        if ex is not None and abs(ex) > mp.mpf(top):
            return {"code": "overflow", **params, "exact": _text(ex), "limit": f"{top:.4g}"}
        if under is not None and ex is None:
            u, uex = under
            return {"code": "underflow", "node": graph.nodes[u].name,
                    "expr": _expr(graph, u), "dtype": dtype, "exact": _text(uex),
                    "limit": f"{tiny:.3g}", "then": f"{n.name} = {_expr(graph, n.id)}",
                    "value": fmt_number(v)}
        return None
    return None


def probe_reason(graph: Graph, values: Sequence[float], nid: int, v: str, sign: str,
                 x: float) -> Reason | None:
    """A finite-difference probe at ``x`` whose f is not finite because of the float range."""
    found = out_of_range(graph, values, nid)
    if found is None:
        return None
    code = found.pop("code")
    return reason("fd_" + code, v=v, sign=sign, x=fmt_number(x), **found)


def _expr(graph: Graph, nid: int) -> str:
    n = graph.nodes[nid]
    return op_table(n.op).text.format(*[graph.nodes[i].name for i in n.inputs])


def check_constants(graph: Graph, exact_values: Sequence[Any], shown: Sequence[Any],
                    values: Sequence[float], constant: Sequence[bool]) -> None:
    """Refuse a constant part that is undefined exactly though finite in floats (exit 2).

    ``0.5/sin(pi)`` is 4.08e15 in floats only because ``sin(pi)`` rounds to 1.2e-16; exactly
    it divides by 0, and the expression is undefined at every point, as ``1/(pi-pi)`` (which
    the graph builder already refuses from its float value). ``exact_values`` are the
    nodes' sympy values, as the symbolic side builds them, and ``shown`` the same unevaluated.
    """
    import sympy as sp

    for n in graph.nodes:
        if n.is_leaf or not constant[n.id] or not math.isfinite(values[n.id]):
            continue
        ex = exact_values[n.id]
        if ex.has(sp.zoo, sp.nan) or ex.is_infinite:
            from diffexplain.core.printing import text as p_text
            from diffexplain.errors import InputError
            from diffexplain.i18n import _

            raise InputError(_("the constant part {expr} is undefined exactly (sympy: {exact}); "
                               "float arithmetic gives {value} only through rounding: the "
                               "expression is undefined at every point").format(
                                   expr=p_text(shown[n.id], keep_order=True),
                                   exact=p_text(ex), value=fmt_number(values[n.id])))

