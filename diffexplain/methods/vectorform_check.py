"""The vector form's check: each entry against the component graph's derivative.

The vector result is expanded into components (:func:`~diffexplain.methods.tensor_expr.entries`
with every named tensor replaced by its components' expressions), and each entry must equal
sympy's derivative of the component graph's objective (:func:`~diffexplain.methods.identity.check_equal`)
and, at the point, the component derivation's exact value. A mismatch raises
:class:`~diffexplain.errors.VerificationError`: the vector form is refused, never shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from diffexplain.core.graph import constant_sympy, op_table
from diffexplain.core.shapes import unflatten
from diffexplain.errors import VerificationError
from diffexplain.i18n import N_
from diffexplain.methods import identity
from diffexplain.methods import tensor_expr as te

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.core.graph import Graph
    from diffexplain.methods.components import Scalarized
    from diffexplain.methods.symbolic import SymbolicResult

__all__ = ["component_exprs", "evaluate_entries", "verify"]


def component_exprs(sc: Scalarized) -> list[Any]:
    """Each component node as a sympy expression in the component variables."""
    import sympy as sp

    g = sc.graph
    out: list[Any] = []
    for n in g.nodes:
        if n.op == "var":
            out.append(sp.Symbol(n.name, real=True))
        elif n.op == "const":
            out.append(constant_sympy(n))
        else:
            out.append(op_table(n.op).sympy(sp, *(out[i] for i in n.inputs)))
    return out


def verify(graph: Graph, env: Mapping[Any, list[Any]], total: te.TExpr, v: int,
           sc: Scalarized, objective: Any, near: Mapping[Any, float]) -> str:
    """Each entry of the vector result against the component graph's derivative; the method."""
    import sympy as sp

    got = te.entries(total, env)
    comps = sc.components[v]
    if len(got) != len(comps):
        raise VerificationError(f"internal check failed: the vector form of "
                                f"{graph.nodes[v].name} has {len(got)} entries, "
                                f"expected {len(comps)}")
    methods = set()
    for k, c in enumerate(comps):
        want = sp.diff(objective, sp.Symbol(sc.graph.nodes[c].name, real=True))
        methods.add(identity.check_equal(
            got[k], want, near, what=f"entry {k} of the vector form of "
                                 f"∇{graph.nodes[v].name}"))
    return identity.NUMERIC if identity.NUMERIC in methods else identity.SYMPY


def evaluate_entries(graph: Graph, env: Mapping[Any, list[Any]], total: te.TExpr, v: int,
                     sc: Scalarized, sym: SymbolicResult) -> tuple[Any, str]:
    """The exact value of each entry at the point, checked against the component derivations."""
    from diffexplain.methods.reals import evaluate

    got = te.entries(total, env)
    point = {s: x for s, x in _near(sc).items()}
    witness = sym.exact.derivatives if sym.exact is not None else {}
    vals, exact = [], True
    for k, c in enumerate(sc.components[v]):
        name = sc.graph.nodes[c].name
        r = evaluate(got[k], point)
        exact = exact and r.exact
        ref = witness[name].value.value if name in witness else sym.grads[c]
        if not identity.close(r.value, ref, rtol=1e-9, atol=1e-12):
            raise VerificationError(f"internal check failed: entry {k} of the vector form of "
                                    f"∇{graph.nodes[v].name} is {r.text}, the component "
                                    f"derivative {ref!r}")
        vals.append(r.value)
    return unflatten(sc.shapes[v], vals), N_("exact") if exact else N_("arbitrary precision")


def _near(sc: Scalarized) -> dict[Any, float]:
    import sympy as sp

    return {sp.Symbol(k, real=True): x for k, x in sc.point.items()}
