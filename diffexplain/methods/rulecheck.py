"""The rule table checks itself: each operation's float partials against sympy's derivative.

The float partials (``dmath``) drive the reverse accumulation, the adjoint table and the
graph's ∂y/∂node column; an entry whose partial disagrees with ``sympy.diff`` of its own
sympy form would print wrong numbers that no other check sees (the exact witness is
right, so the verdict would only report a disagreement). So before a derivation is shown,
every operation it uses is checked once per process (cached per table entry) at a few
points inside every entry's domain, and a broken entry is refused as a bug.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from diffexplain.errors import VerificationError

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.core.functions import Fn
    from diffexplain.core.graph import Graph

__all__ = ["verify_graph_rules", "verify_rule"]

#: inside the domain of every table entry (log, sqrt, pow's base, atan, …), away from kinks
_POINTS = ((0.7, 1.3), (1.6, 0.45), (0.35, 1.9))
_CHECKED: dict[int, Fn] = {}  # id → the entry itself, so an id is never reused while cached


def verify_rule(fn: Fn) -> None:
    """Raise :class:`VerificationError` if a float partial of ``fn`` is not its derivative."""
    if _CHECKED.get(id(fn)) is fn:
        return
    import sympy as sp

    from diffexplain.methods import mpeval

    syms = sp.symbols(f"u0:{fn.arity}", real=True, positive=True)
    expr = fn.sympy(sp, *syms)
    for k in range(fn.arity):
        exact = sp.diff(expr, syms[k])
        for point in _POINTS:
            args = point[: fn.arity]
            want = float(mpeval.run(exact, dict(zip(syms, args)), "float"))
            got = float(fn.dmath[k](math, *args))
            if not math.isfinite(want) and not math.isfinite(got):
                continue
            if not abs(got - want) <= 1e-9 * max(1.0, abs(want)):
                raise VerificationError(
                    f"internal check failed: the rule table's partial ∂{fn.name}/∂u{k} gives "
                    f"{got!r} at {args}, but the derivative of its sympy form is {want!r}; "
                    "please report this bug")
    _CHECKED[id(fn)] = fn


def verify_graph_rules(graph: Graph) -> None:
    """Check the rule of every operation the graph uses (each entry once per process)."""
    from diffexplain.core.graph import op_table

    seen: set[str] = set()
    for n in graph.nodes:
        if not n.is_leaf and n.op not in seen:
            seen.add(n.op)
            verify_rule(op_table(n.op))

