"""The automatic side: torch executes the very nodes of the graph and runs a real backward.

Each graph node becomes one torch call (from the table's ``torch`` form), so each
``grad_fn`` belongs to exactly one node and everything reported (``grad_fn``
names, ``is_leaf``, ``requires_grad``, saved tensors, ``.grad``) is read off
real tensors, never narrated. Constants are passed as Python numbers, as in
the notes (``torch.add(w, 1)``), so grad_fn names match what a learner sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.core.graph import Graph, op_table

__all__ = ["AutogradResult", "BackwardNode", "GraphTensors", "TorchNode", "execute", "release", "run"]


@dataclass(frozen=True)
class TorchNode:
    """What torch says about the tensor of one graph node."""

    name: str
    grad_fn: str | None
    is_leaf: bool
    requires_grad: bool
    retains_grad: bool
    value: float
    grad: float | None
    saved: tuple[tuple[str, str | None, float], ...] = ()  # (attribute, node name, value)


@dataclass(frozen=True)
class BackwardNode:
    """One node of torch's backward graph, reached through ``next_functions``."""

    id: int
    name: str  # e.g. MulBackward0, AccumulateGrad
    node: str | None  # the graph node it belongs to
    next: tuple[int, ...]


@dataclass(frozen=True)
class AutogradResult:
    dtype: str
    torch_version: str
    gradient: dict[str, float | None]
    nodes: tuple[TorchNode, ...]
    backward: tuple[BackwardNode, ...]
    value: float


def _scalar(t: Any) -> float:
    if not hasattr(t, "detach"):
        return float(t)
    return float(t.item()) if t.dim() == 0 else float(t.detach().reshape(-1)[0])


def execute(graph: Graph, point: Mapping[str, float], dtype: str = "float64",
            requires_grad: bool = True, leaves: Mapping[str, Any] | None = None,
            owned: bool = False) -> list[Any]:
    """Build one tensor (or Python number, for constants) per node, in graph order.

    ``leaves`` supplies existing tensors for some variables, so a forward pass can be
    rebuilt on the same leaves (gradient accumulation) or run inside
    ``torch.autograd.functional`` (Hessians). ``owned=True`` returns a :class:`GraphTensors`
    list, which frees its graph safely when it goes: for callers that read ``grad_fn`` and
    return no tensor.
    """
    import torch

    dt = getattr(torch, dtype)
    tensor = torch.Tensor
    vals: list[Any] = []
    for n in graph.nodes:
        if leaves is not None and n.op == "var" and n.name in leaves:
            vals.append(leaves[n.name])
        elif n.op == "var":
            vals.append(torch.tensor(float(point[n.name]), dtype=dt, requires_grad=requires_grad))
        elif n.op == "const":
            vals.append(float(n.value) if n.value is not None else 0.0)
        else:
            fn = op_table(n.op)
            args = [vals[i] for i in n.inputs]
            if all(isinstance(a, tensor) for a in args):
                pass
            elif not any(isinstance(a, tensor) for a in args):
                args = [torch.tensor(a, dtype=dt) for a in args]
            elif fn.arity == 1 or n.op == "pow":
                args = [a if isinstance(a, tensor) or (n.op == "pow" and k == 1)
                        else torch.tensor(a, dtype=dt) for k, a in enumerate(args)]
            vals.append(fn.torch(torch, *args))
    return GraphTensors(vals) if owned else vals


def run(graph: Graph, point: Mapping[str, float], wrt: Sequence[str],
        seeds: Mapping[int, float] | None = None, dtype: str = "float64") -> AutogradResult:
    """Forward and one backward pass; intermediates ``retain_grad()`` so their grads show."""
    import torch

    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    tens = execute(graph, point, dtype)
    for t in tens:
        if isinstance(t, torch.Tensor) and t.requires_grad and not t.is_leaf:
            t.retain_grad()
    names = {id(t): graph.nodes[k].name for k, t in enumerate(tens) if isinstance(t, torch.Tensor)}
    ptrs = {(t.data_ptr(), tuple(t.shape)): graph.nodes[k].name for k, t in enumerate(tens)
            if isinstance(t, torch.Tensor)}
    # saved tensors are freed by backward (no retain_graph): read them first
    saved = [_saved(t.grad_fn, ptrs) if isinstance(t, torch.Tensor) else () for t in tens]
    outs = [tens[o] for o in seeds]
    if all(isinstance(o, torch.Tensor) and o.requires_grad for o in outs):
        dt = getattr(torch, dtype)
        torch.autograd.backward(outs, grad_tensors=[torch.tensor(w, dtype=dt) for w in
                                                    seeds.values()])
    nodes = torch_nodes(graph, tens, saved, _scalar)
    gradient = {v: nodes[graph[v].id].grad for v in wrt}
    for v in wrt:
        if gradient[v] is None and nodes[graph[v].id].requires_grad:
            gradient[v] = 0.0  # torch leaves .grad None when the output does not depend on v
    back = _backward_graph(tens, list(seeds), names)
    value = _scalar(tens[graph.outputs[0]])
    release(tens)
    return AutogradResult(dtype, torch.__version__, gradient, tuple(nodes), back, value)


def release(values: list[Any]) -> None:
    """Free an autograd graph one node at a time, from the outputs towards the leaves.

    Once Python has seen a ``grad_fn`` (its name, ``next_functions``, saved tensors), torch
    frees that node through its Python wrapper, recursively: a chain of tens of thousands
    of nodes dropped from its output end (by the garbage collector, in any order) overflows
    the C stack and the process dies with a segfault. ``values`` holds a graph's tensors in
    graph order (inputs before the nodes that use them); detaching them from the last to the
    first frees each node while the nodes below it are still held, so no free is deeper than
    one node, and whoever still holds a tensor afterwards holds no graph. ``values`` is
    emptied.
    """
    import torch

    for k in range(len(values) - 1, -1, -1):
        t = values[k]
        values[k] = None
        if isinstance(t, torch.Tensor) and t.requires_grad and not t.is_leaf:
            try:
                t.detach_()
            except RuntimeError:  # a view cannot be detached in place: dropped as it is
                pass
        del t
    values.clear()


class GraphTensors(list):  # type: ignore[type-arg]
    """One graph's tensors, in graph order, that :func:`release` their graph when dropped.

    The list goes before the loop variables and the output tensors a function still holds,
    so releasing here (in place: the tensors are detached) makes their later free shallow.
    """

    def __del__(self) -> None:
        try:
            release(self)
        except Exception:  # noqa: BLE001 - interpreter shutdown: torch may be half gone
            pass


Saved = tuple[tuple[str, str | None, float], ...]


#: the ``_saved_*`` attribute names of each grad_fn class (``dir()`` per node is slow)
_SAVED_ATTRS: dict[type, tuple[str, ...]] = {}


def _saved(fn: Any, ptrs: Mapping[tuple[int, tuple[int, ...]], str]) -> Saved:
    import torch

    if fn is None:
        return ()
    attrs = _SAVED_ATTRS.get(type(fn))
    if attrs is None:
        attrs = _SAVED_ATTRS[type(fn)] = tuple(sorted(a for a in dir(fn)
                                                      if a.startswith("_saved_")))
    out = []
    for attr in attrs:
        try:
            val = getattr(fn, attr)
        except RuntimeError:  # freed after backward without retain_graph
            continue
        if isinstance(val, torch.Tensor):
            out.append((attr[len("_saved_"):], ptrs.get((val.data_ptr(), tuple(val.shape))),
                        _scalar(val)))
        elif isinstance(val, (int, float)):
            out.append((attr[len("_saved_"):], None, float(val)))
    return tuple(out)


def torch_nodes(graph: Graph, tens: Sequence[Any], saved: Sequence[Saved],
                read: Any) -> list[TorchNode]:
    """What torch says about each node's tensor; ``read`` turns a tensor into plain data
    (a float for scalar graphs, nested lists for vector graphs)."""
    import torch

    nodes = []
    for n, t in zip(graph.nodes, tens):
        if not isinstance(t, torch.Tensor):
            nodes.append(TorchNode(n.name, None, True, False, False, float(t), None))
            continue
        g = t.grad
        nodes.append(TorchNode(
            n.name, type(t.grad_fn).__name__ if t.grad_fn is not None else None, t.is_leaf,
            t.requires_grad, bool(t.retains_grad) if not t.is_leaf else t.requires_grad,
            read(t), None if g is None else read(g), saved[n.id]))
    return nodes


def _backward_graph(tens: Sequence[Any], outs: Sequence[int],
                    names: Mapping[int, str]) -> tuple[BackwardNode, ...]:
    """Walk ``grad_fn.next_functions`` from the outputs with an explicit stack."""
    import torch

    owner: dict[int, str] = {}
    for t in tens:
        if isinstance(t, torch.Tensor) and t.grad_fn is not None:
            owner[id(t.grad_fn)] = names[id(t)]
    ids: dict[int, int] = {}
    order: list[Any] = []
    stack = [tens[o].grad_fn for o in outs if isinstance(tens[o], torch.Tensor)
             and tens[o].grad_fn is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in ids:
            continue
        ids[id(fn)] = len(order)
        order.append(fn)
        for nxt, _ in fn.next_functions:
            if nxt is not None and id(nxt) not in ids:
                stack.append(nxt)
    result = []
    for fn in order:
        node = owner.get(id(fn))
        if node is None and hasattr(fn, "variable"):
            node = names.get(id(fn.variable))
        nxt_ids = tuple(ids[id(n)] for n, _ in fn.next_functions if n is not None)
        result.append(BackwardNode(ids[id(fn)], type(fn).__name__, node, nxt_ids))
    return tuple(result)
