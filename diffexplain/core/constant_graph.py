"""An expression without variables (``5``, ``2+3``): nothing to differentiate, said plainly.

One small function every entry point calls on a freshly built graph (the pipeline,
and the lessons' option checks), so a constant never reaches an empty "✓ agree" table.
When the learner names variables (``--at x=1`` or ``--wrt x``), they get what they
asked: the constant's derivative by each of them, 0, from all three methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.core.functions import CONSTANTS, FUNCTIONS
from diffexplain.core.graph import Graph, GraphBuilder
from diffexplain.errors import InputError
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["is_constant", "with_named_variables"]


def is_constant(graph: Graph) -> bool:
    """True when no output depends on a variable (the graph has none)."""
    return not any(n.op == "var" for n in graph.nodes)


def with_named_variables(graph: Graph, at: Mapping[str, Any] | None,
                         wrt: Sequence[str] | str | None,
                         limits: Limits = DEFAULT_LIMITS) -> Graph:
    """``graph`` itself, or for a constant: the same graph with the learner's variables added.

    Raises:
        InputError: the graph is constant and no variable was named (exit code 2).
    """
    if not is_constant(graph):
        return graph
    if isinstance(wrt, str):
        wrt = [w.strip() for w in wrt.split(",") if w.strip()]
    names = list(dict.fromkeys([*(at or {}), *(wrt or [])]))
    shown = graph.source or graph.nodes[graph.outputs[0]].name
    if not names:
        raise InputError(_("{expression} is a constant: there is nothing to differentiate "
                           "(name a variable, e.g. --at x=1, to see that its derivative is "
                           "0)").format(expression=shown))
    for name in names:
        if (not name.isidentifier() or not name.isascii() or name.startswith("_")
                or name in FUNCTIONS or name in CONSTANTS):
            raise InputError(_("{name!r} is not a valid variable name").format(name=name))
    b = GraphBuilder(limits.with_(max_nodes=limits.max_nodes + len(names)), graph.source)
    for name in names:
        b.var(name)
    remap: dict[int, int] = {}
    for n in graph.nodes:
        if n.op == "const":
            remap[n.id] = b.const(n.value if n.value is not None else float("nan"), n.literal)
        else:
            remap[n.id] = b.op(n.op, [remap[i] for i in n.inputs])
        if n.op != "const" and n.name not in names:  # keep "y = 2 + 3" unless x is now y
            b.name(remap[n.id], n.name)
    return b.build([remap[o] for o in graph.outputs])

