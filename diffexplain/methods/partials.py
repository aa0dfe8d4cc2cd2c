"""The local partial along each edge of the graph, from the rule table, as text and value.

Drawings and DOT/Mermaid files label their edges with these; they are computed here,
once, by the pipeline, so renderers only format what the explanation holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from diffexplain.core.floats import fsum
from diffexplain.core.printing import fmt_number

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.core.graph import Graph

__all__ = ["EdgePartial", "edge_partials"]


@dataclass(frozen=True)
class EdgePartial:
    """∂out/∂inp along one edge (summed over repeated inputs, as in ``x*x``).

    ``value`` is None on a vector node, whose local derivative is a Jacobian, not a number.
    """

    out: str
    inp: str
    text: str
    value: float | None
    #: a scalar out of a vector inp (sum, dot, a mean loss): ∂out/∂inp entry by entry, row-major
    gradient: tuple[float, ...] | None = None


def _sum(terms: list[float]) -> float:
    try:
        return fsum(terms)
    except OverflowError:  # terms near float's limit: the float sum's inf is the answer
        return sum(terms)


def edge_partials(graph: Graph, values: Sequence[Any]) -> tuple[EdgePartial, ...]:
    """Every edge's local partial at the point ``values`` (one value per node, vectors as lists).

    Examples:
        >>> from diffexplain.core.parsing import parse
        >>> g = parse("(x+w)*(w+1)")
        >>> from diffexplain.methods.numeric import forward
        >>> [(p.out, p.inp, p.text, p.value) for p in edge_partials(g, forward(g, {"x": 2, "w": 1}))][-2:]
        [('y', 'a', 'b', 2.0), ('y', 'b', 'a', 3.0)]
    """
    from diffexplain.core.graph import op_table

    names = [n.name for n in graph.nodes]
    out: list[EdgePartial] = []
    for node in graph.nodes:
        if node.is_leaf:
            continue
        fn = op_table(node.op)
        vals = [values[i] for i in node.inputs]
        inputs = [names[i] for i in node.inputs]
        vector = any(isinstance(v, list) for v in vals) or isinstance(values[node.id], list)
        for inp in dict.fromkeys(node.inputs):
            slots = [k for k, i in enumerate(node.inputs) if i == inp]
            value = None if vector else _sum([fn.dmath[k](math, *vals) for k in slots])
            texts = [fn.partial_text[k].format(*inputs) for k in slots]
            exponent = graph.nodes[node.inputs[1]] if node.op == "pow" else None
            if exponent is not None and slots == [0] and exponent.op == "const":
                k = float(exponent.value or 0.0)
                texts = [f"{fmt_number(k)}·{inputs[0]}^{fmt_number(k - 1)}"]
            text = texts[0] if len(texts) == 1 else "(" + " + ".join(texts) + ")"
            grad = _gradient(fn.tensor, slots, fn.dmath, vals) if vector else None
            if fn.tensor == "bce" and grad is not None and len(grad) > 1:
                text = f"{text if len(texts) > 1 or ' ' not in text else '(' + text + ')'}" \
                    f"/{len(grad)}"  # reduction='mean': the 1/n is part of the partial
            out.append(EdgePartial(names[node.id], names[inp], text, value, grad))
    return tuple(out)


def _gradient(kind: str, slots: Sequence[int], dmath: Sequence[Any],
              vals: Sequence[Any]) -> tuple[float, ...] | None:
    """The local gradient of a reduction (sum, dot, mean BCE) with respect to one input."""
    if kind not in ("sum", "dot", "bce"):
        return None
    from diffexplain.core.shapes import flatten

    flat = [flatten(v)[1] for v in vals]
    n = max(len(f) for f in flat)
    if kind == "sum":
        return tuple(1.0 for _ in range(n))
    at = [[f[k if len(f) > 1 else 0] for f in flat] for k in range(n)]
    scale = 1.0 / n if kind == "bce" else 1.0
    return tuple(_sum([dmath[k](math, *a) for k in slots]) * scale for a in at)
