"""The automatic side: torch executes the very nodes of the graph and runs a real backward.

Each graph node becomes one torch call (from the table's ``torch`` form), so each
``grad_fn`` belongs to exactly one node and everything reported (``grad_fn``
names, ``is_leaf``, ``requires_grad``, saved tensors, ``.grad``) is read off
real tensors, never narrated. Constants are passed as Python numbers, as in
the notes (``torch.add(w, 1)``), so grad_fn names match what a learner sees.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.core.graph import Graph, op_table

__all__ = ["AutogradResult", "BackwardNode", "GraphTensors", "TorchNode", "execute", "read",
           "release", "run", "seed_tensors"]


@dataclass(frozen=True, init=False)
class TorchNode:
    """What torch says about the tensor of one graph node."""

    name: str
    grad_fn: str | None
    is_leaf: bool
    requires_grad: bool
    retains_grad: bool
    value: Any  # a float, or nested lists for a vector or matrix node
    grad: Any
    saved: tuple[tuple[str, str | None, Any], ...] = ()  # (attribute, node name, value)

    def __init__(self, name: str, grad_fn: str | None, is_leaf: bool, requires_grad: bool,
                 retains_grad: bool, value: Any, grad: Any,
                 saved: tuple[tuple[str, str | None, Any], ...] = ()) -> None:
        # written out, as model.NodeInfo's: one per graph node, on every explanation
        d = self.__dict__
        d["name"] = name
        d["grad_fn"] = grad_fn
        d["is_leaf"] = is_leaf
        d["requires_grad"] = requires_grad
        d["retains_grad"] = retains_grad
        d["value"] = value
        d["grad"] = grad
        d["saved"] = saved


@dataclass(frozen=True, init=False)
class BackwardNode:
    """One node of torch's backward graph, reached through ``next_functions``."""

    id: int
    name: str  # e.g. MulBackward0, AccumulateGrad
    node: str | None  # the graph node it belongs to
    next: tuple[int, ...]

    def __init__(self, id: int, name: str, node: str | None, next: tuple[int, ...]) -> None:
        d = self.__dict__  # written out, as model.NodeInfo's: one per backward node
        d["id"] = id
        d["name"] = name
        d["node"] = node
        d["next"] = next


@dataclass(frozen=True)
class AutogradResult:
    dtype: str
    torch_version: str
    gradient: dict[str, Any]  # floats, or nested lists for vector variables
    nodes: tuple[TorchNode, ...]
    backward: tuple[BackwardNode, ...]
    value: Any


def read(t: Any) -> Any:
    """A tensor as plain data: a float for a 0-dim tensor, (nested) lists otherwise."""
    if not hasattr(t, "dim"):
        return float(t)
    return float(t.item()) if t.dim() == 0 else t.detach().tolist()


def execute(graph: Graph, point: Mapping[str, Any], dtype: str = "float64",
            requires_grad: bool | Collection[str] = True,
            leaves: Mapping[str, Any] | None = None, owned: bool = False) -> list[Any]:
    """Build one tensor (or Python number, for constants) per node, in graph order.

    ``point`` values are floats, or nested lists for vector and matrix variables: the
    very same vector graph runs natively (``DotBackward0``, ``MmBackward0``, …).
    ``requires_grad`` is a flag for every variable or the names that get it.
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
    fns: dict[str, Any] = {}  # op name → table entry, looked up once per run
    for n in graph.nodes:
        op = n.op
        if op == "var":
            if leaves is not None and n.name in leaves:
                vals.append(leaves[n.name])
                continue
            v = point[n.name]
            grad = requires_grad if isinstance(requires_grad, bool) else n.name in requires_grad
            vals.append(torch.tensor(v if isinstance(v, list) else float(v), dtype=dt,
                                     requires_grad=grad))
        elif op == "const":
            vals.append(float(n.value) if n.value is not None else 0.0)
        else:
            fn = fns.get(op)
            if fn is None:
                fn = fns[op] = op_table(op)
            args = [vals[i] for i in n.inputs]
            tensors = 0
            for a in args:
                if isinstance(a, tensor):
                    tensors += 1
            if tensors == len(args):
                pass
            elif not tensors:
                args = [torch.tensor(a, dtype=dt) for a in args]
            elif fn.arity == 1 or op == "pow" or fn.tensor in ("dot", "matmul", "bce", "rule"):
                args = [a if isinstance(a, tensor) or (op == "pow" and k == 1)
                        else torch.tensor(a, dtype=dt) for k, a in enumerate(args)]
            if fn.tensor == "bce" and args[1].dim() < args[0].dim():
                args = [args[0], args[1].expand_as(args[0])]
            if n.params:
                vals.append(fn.torch(torch, *args, **{k: v for k, v in n.params
                                                      if k in _TORCH_PARAMS}))
            else:
                vals.append(fn.torch(torch, *args))
    return GraphTensors(vals) if owned else vals


#: Node.params that the table's torch forms take as keywords (the rest are for display)
_TORCH_PARAMS = ("dim", "shape", "reduction", "target", "positions", "order", "shapes")


def seed_tensors(torch: Any, tens: Sequence[Any], seeds: Mapping[int, float],
                 dtype: str) -> list[Any]:
    """``backward``'s ``grad_tensors``: each output's weight, as a full tensor of its shape
    (the ones vector of a vector output: the vector-Jacobian product 1ᵀ·J)."""
    dt = getattr(torch, dtype)
    return [torch.full_like(tens[o], w) if isinstance(tens[o], torch.Tensor) and tens[o].dim()
            else torch.tensor(w, dtype=dt) for o, w in seeds.items()]


def run(graph: Graph, point: Mapping[str, Any], wrt: Sequence[str],
        seeds: Mapping[int, float] | None = None, dtype: str = "float64",
        requires_grad: bool | Collection[str] = True) -> AutogradResult:
    """Forward and one backward pass; intermediates ``retain_grad()`` so their grads show."""
    import torch

    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    tens = execute(graph, point, dtype, requires_grad)
    for t in tens:
        if isinstance(t, torch.Tensor) and t.requires_grad and not t.is_leaf:
            t.retain_grad()
    names = {id(t): graph.nodes[k].name for k, t in enumerate(tens) if isinstance(t, torch.Tensor)}
    ptrs = tensor_ptrs(graph, tens)
    # saved tensors are freed by backward (no retain_graph): read them first
    saved = [_saved(t.grad_fn, ptrs) if isinstance(t, torch.Tensor) else () for t in tens]
    outs = [o for o in seeds if isinstance(tens[o], torch.Tensor) and tens[o].requires_grad]
    if outs:  # an output that is a constant or detached contributes nothing
        torch.autograd.backward([tens[o] for o in outs], grad_tensors=seed_tensors(
            torch, tens, {o: seeds[o] for o in outs}, dtype))
    nodes = torch_nodes(graph, tens, saved, read)
    gradient = {v: nodes[graph[v].id].grad for v in wrt}
    for v in wrt:
        if gradient[v] is None and nodes[graph[v].id].requires_grad:
            # torch leaves .grad None when the output does not depend on v
            gradient[v] = read(torch.zeros_like(tens[graph[v].id]))
    back = _backward_graph(tens, list(seeds), names)
    value = read(tens[graph.outputs[0]])
    if len(graph.nodes) > SHALLOW and _depth(graph) > SHALLOW:  # depth < node count
        release(tens)
    return AutogradResult(dtype, torch.__version__, gradient, tuple(nodes), back, value)


#: a graph this deep or less is freed by torch's own recursion without risk (the crash
#: needs tens of thousands of nested frees), so :func:`run` skips :func:`release` on it
SHALLOW = 2_000


def _depth(graph: Graph) -> int:
    """The longest path from a leaf to a node, cached on the graph."""
    d = graph._cache.get("depth")
    if d is None:
        depth = [0] * len(graph.nodes)
        for n in graph.nodes:
            if n.inputs:
                depth[n.id] = 1 + max(depth[i] for i in n.inputs)
        d = graph._cache["depth"] = max(depth, default=0)
    return int(d)


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


class GraphTensors(list[Any]):
    """One graph's tensors, in graph order, that :func:`release` their graph when dropped.

    The list goes before the loop variables and the output tensors a function still holds,
    so releasing here (in place: the tensors are detached) makes their later free shallow.
    """

    def __del__(self) -> None:
        try:
            release(self)
        except Exception:  # noqa: BLE001 - interpreter shutdown: torch may be half gone
            pass


Saved = tuple[tuple[str, str | None, Any], ...]


#: the ``_saved_*`` attribute names of each grad_fn class (``dir()`` per node is slow)
_SAVED_ATTRS: dict[type, tuple[str, ...]] = {}


def saved_slots(fn: Any) -> list[tuple[str, Any]]:
    """Each ``_saved_*`` slot of a backward node, as (name without the prefix, value).

    The value is the :class:`RuntimeError` torch raises when the slot was freed by a
    backward pass without ``retain_graph`` or changed in place since (the version
    check): each caller decides what that means for it.
    """
    attrs = _SAVED_ATTRS.get(type(fn))
    if attrs is None:
        attrs = _SAVED_ATTRS[type(fn)] = tuple(sorted(a for a in dir(fn)
                                                      if a.startswith("_saved_")))
    out: list[tuple[str, Any]] = []
    for attr in attrs:
        try:
            out.append((attr[7:], getattr(fn, attr)))  # 7 = len("_saved_")
        except RuntimeError as err:
            out.append((attr[7:], err))
    return out


def tensor_ptrs(graph: Graph, tens: Sequence[Any]) -> dict[tuple[int, tuple[int, ...]], str]:
    """Which graph node owns a tensor's storage: how a saved tensor is named."""
    import torch

    return {(t.data_ptr(), tuple(t.shape)): graph.nodes[k].name for k, t in enumerate(tens)
            if isinstance(t, torch.Tensor)}


def _saved(fn: Any, ptrs: Mapping[tuple[int, tuple[int, ...]], str]) -> Saved:
    import torch

    if fn is None:
        return ()
    out = []
    for name, val in saved_slots(fn):
        if isinstance(val, torch.Tensor):
            out.append((name, ptrs.get((val.data_ptr(), tuple(val.shape))), read(val)))
        elif isinstance(val, (int, float)):
            out.append((name, None, float(val)))
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
        g, fn, leaf, rg = t.grad, t.grad_fn, t.is_leaf, t.requires_grad
        nodes.append(TorchNode(
            n.name, None if fn is None else type(fn).__name__, leaf, rg,
            rg if leaf else bool(t.retains_grad), read(t), None if g is None else read(g),
            saved[n.id]))
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
    nexts: list[list[Any]] = []  # each node's next_functions, read once (each read builds tuples)
    while stack:
        fn = stack.pop()
        if id(fn) in ids:
            continue
        ids[id(fn)] = len(order)
        order.append(fn)
        nxt = [n for n, _ in fn.next_functions if n is not None]
        nexts.append(nxt)
        stack.extend(n for n in nxt if id(n) not in ids)
    result = []
    for k, fn in enumerate(order):
        node = owner.get(id(fn))
        if node is None and hasattr(fn, "variable"):
            node = names.get(id(fn.variable))
        result.append(BackwardNode(k, type(fn).__name__, node, tuple([ids[id(n)] for n in nexts[k]])))
    return tuple(result)
