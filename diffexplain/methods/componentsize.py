"""How big the component graph of a vector graph will be, known before it is built.

:func:`~diffexplain.methods.components.scalarize` builds one node per component, so a
vector of 10⁵ entries is a few hundred thousand nodes. The builder stops at
``Limits.max_nodes`` as it goes, but only after building that many nodes (seconds for
the default 200,000). :func:`check_component_size` refuses first, from the shapes alone,
using a lower bound of the node count: the variables' entries (every entry is its own
node) plus the largest contribution of a single operation (its own nodes are distinct
from each other; two operations may share nodes, e.g. the terms of ``dot(x, x)`` and the
entries of ``x*x``, so their contributions are not added). A lower bound never refuses
a graph the builder would have accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

from diffexplain.core.graph import Graph, op_table
from diffexplain.core.shapes import Shape, out_shape, size
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["check_component_size", "component_floor"]


def component_floor(graph: Graph, point: Mapping[str, tuple[Shape, list[float]]]) -> int:
    """A lower bound of the component graph's node count (see the module docstring).

    >>> from diffexplain.core.parsing import parse
    >>> component_floor(parse("dot(x, x)"), {"x": ((1000,), [0.0] * 1000)})
    2999
    """
    shapes: list[Shape] = []
    #: the node's components are distinct nodes (they come from distinct variable entries)
    distinct: list[bool] = []
    entries = most = 0
    for n in graph.nodes:
        if n.op == "var":
            shape = point[n.name][0]
            entries += size(shape)
            shapes.append(shape)
            distinct.append(True)
            continue
        if n.op == "const":
            shapes.append(())
            distinct.append(False)
            continue
        ins = [(shapes[i], distinct[i]) for i in n.inputs]
        try:
            shape = out_shape(n.op, [s for s, _d in ins], n.name, n.params)
        except InputError:  # scalarize reports it itself, in context
            return entries
        kind = op_table(n.op).tensor
        k = max((size(s) for s, d in ins if d), default=0)  # entries of a distinct input
        own, dist = 0, False
        if kind == "" and any(d and size(s) == size(shape) for s, d in ins):
            own, dist = size(shape), size(shape) > 1
        elif kind == "sum" and k:
            own = k - 1
        elif kind in ("dot", "bce") and k:
            own = 2 * k - 1
        elif kind == "matmul" and all(d and len(s) > 0 for s, d in ins):
            # both sides distinct: a deduplicated side (detach) would merge equal terms
            inner = ins[0][0][-1]
            own, dist = size(shape) * (2 * inner - 1), True
        most = max(most, own)
        shapes.append(shape)
        distinct.append(dist)
    outs = graph.outputs
    if len(outs) == 1 and distinct[outs[0]]:  # L = sum(y)
        most = max(most, size(shapes[outs[0]]) - 1)
    return entries + most


def check_component_size(graph: Graph, point: Mapping[str, tuple[Shape, list[float]]],
                         limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a vector too long for ``max_vector`` or a component graph certain to exceed
    ``max_nodes``, before a single component node is built.

    Raises:
        LimitExceeded: with the size, the limit and the flag that raises it.
    """
    for n in graph.nodes:
        if n.op == "var" and n.name in point:
            entries = size(point[n.name][0])
            if entries > limits.max_vector:
                raise LimitExceeded(_("{name!r} has {size} entries, more than {limit}").format(
                    name=n.name, size=entries, limit=limits.max_vector),
                    _("raise it with --max-vector"))
    floor = component_floor(graph, point)
    if floor > limits.max_nodes:
        raise LimitExceeded(
            _("the component graph of the vectors needs at least {count} nodes, more than "
              "the limit of {limit}").format(count=floor, limit=limits.max_nodes),
            _("raise it with --max-nodes (API: limits=Limits(max_nodes=…))"))
