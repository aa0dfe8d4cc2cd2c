"""One interpreter for the graph: a flat loop that gives each node a value by a rule.

In the spirit of autodidax's ``eval_jaxpr``: the graph is data, and each way of
reading it (sympy expressions, torch tensors, floats) is a rule per operation. The
symbolic context and the torch executor both run through :func:`evaluate`; the float
forward pass keeps a precompiled plan of the same loop, because it runs once per
finite-difference step on graphs of 10⁵ nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.core.graph import Graph, Node

__all__ = ["evaluate"]

T = TypeVar("T")


def evaluate(graph: Graph, leaf: Callable[[Node], T],
             rule: Callable[[Node, Sequence[T]], T]) -> list[T]:
    """Every node's value, in graph order: ``leaf(node)`` for leaves, else ``rule(node, inputs)``.

    Examples:
        >>> from diffexplain.core.parsing import parse
        >>> g = parse("(x+w)*(w+1)")
        >>> point = {"x": 2.0, "w": 1.0}
        >>> ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b}
        >>> evaluate(g, lambda n: point[n.name] if n.op == "var" else n.value,
        ...          lambda n, args: ops[n.op](*args))[-1]
        6.0
    """
    env: list[T] = []
    append = env.append
    for n in graph.nodes:
        append(leaf(n) if n.is_leaf else rule(n, [env[i] for i in n.inputs]))
    return env
