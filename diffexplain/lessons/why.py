"""Why torch shows what it shows, derived from the graph (never keyed on an example).

* why a gradient's ``grad_fn`` is ``AddBackward0`` or ``MulBackward0`` (E4): how many
  times the variable enters the graph decides whether backward adds contributions;
* why central differences hit round-off at once for a low-degree polynomial (E9).
"""

from __future__ import annotations

from diffexplain.core.graph import Graph, op_table
from diffexplain.i18n import _

__all__ = ["grad_fn_reason", "polynomial_degree"]


def grad_fn_reason(graph: Graph, var: str, grad_fn: str | None) -> str:
    """One sentence on the first derivative's ``grad_fn``, from the uses of ``var``."""
    if grad_fn not in ("AddBackward0", "MulBackward0") or var not in graph:
        return ""
    vid = graph[var].id
    uses = [(n, slot) for n in graph.nodes for slot, i in enumerate(n.inputs) if i == vid]
    if not uses:
        return ""
    where = ", ".join(dict.fromkeys(f"{n.name} = {graph.describe(n)}" for n, _slot in uses))
    rules = ", ".join(dict.fromkeys(_(op_table(n.op).rule) for n, _slot in uses))
    if grad_fn == "AddBackward0" and len(uses) > 1:
        return _("why AddBackward0: {var} is used {n} times ({where}; {rule}), so backward adds "
                 "{n} terms, one per use; the last operation it recorded is that "
                 "addition").format(var=var, n=len(uses), where=where, rule=rules)
    if grad_fn == "MulBackward0" and len(uses) == 1:
        return _("why MulBackward0: {var} is used once ({where}; {rule}), so backward multiplies "
                 "the incoming gradient by one local derivative; the last operation it recorded "
                 "is that multiplication").format(var=var, where=where, rule=rules)
    return ""


def polynomial_degree(graph: Graph) -> int | None:
    """The degree of the output as a polynomial of its variables, or None if it is not one.

    Read off the operations: sums keep the larger degree, products add degrees, a
    constant non-negative integer power multiplies it; anything else is not a polynomial.
    """
    deg: dict[int, int] = {}
    const: dict[int, float] = {}
    for n in graph.nodes:
        ins = n.inputs
        if n.op == "var":
            deg[n.id] = 1
        elif n.op == "const":
            deg[n.id] = 0
            const[n.id] = float(n.value if n.value is not None else float("nan"))
        elif any(i not in deg for i in ins):
            continue
        elif n.op in ("add", "sub"):
            deg[n.id] = max(deg[i] for i in ins)
        elif n.op in ("neg", "sum"):
            deg[n.id] = deg[ins[0]]
        elif n.op in ("mul", "dot"):
            deg[n.id] = deg[ins[0]] + deg[ins[1]]
        elif n.op == "div" and deg[ins[1]] == 0:
            deg[n.id] = deg[ins[0]]
        elif n.op == "pow" and ins[1] in const:
            p = const[ins[1]]
            if p >= 0 and float(p).is_integer():
                deg[n.id] = deg[ins[0]] * int(p)
    return deg.get(graph.outputs[0]) if len(graph.outputs) == 1 else None
