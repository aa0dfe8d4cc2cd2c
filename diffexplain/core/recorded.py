"""From the records behind a tensor to one :class:`~diffexplain.core.graph.Graph` and its point.

:func:`graph_of` walks the records a result depends on (explicit stack), orders them
as they ran (records are numbered in execution order, which is a topological order),
gives each the user's variable name (made unique: a loop's ``b = b * 2`` gives ``b``,
``b_2``, …), and builds the graph with the same :class:`~diffexplain.core.graph.GraphBuilder`
the parser uses. Leaves become variables whose values are the snapshots taken when
they were used. An opaque call (no rule in the table) or a derivative tensor returned by
``autograd.grad`` cuts the graph: its result becomes a variable, and the leaves behind
it are named in ``info["not_derived"]`` rather than given a partial derivative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.core.functions import CONSTANTS, FUNCTIONS, OPERATORS, TORCH_OPS
from diffexplain.core.graph import _LETTERS, Graph, GraphBuilder
from diffexplain.core.recording import Rec
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["Recorded", "graph_of", "tensor_graph"]

_RESERVED = {*CONSTANTS, *FUNCTIONS, *OPERATORS, *TORCH_OPS}


@dataclass(frozen=True)
class Recorded:
    """A recorded computation ready for :func:`diffexplain.pipeline.explain`."""

    graph: Graph
    point: dict[str, Any]
    wrt: tuple[str, ...]
    weights: tuple[float, ...] | None
    info: dict[str, Any]
    order: int = 1
    #: every leaf that requires grad, behind cuts too, by name (the runner reads .grad)
    leaves: tuple[tuple[str, Rec], ...] = ()
    #: the operation records of the graph (the runner marks them freed)
    ops: tuple[Rec, ...] = ()


def _unflatten(shape: tuple[int, ...], flat: Sequence[float]) -> Any:
    if not shape:
        return float(flat[0])
    if len(shape) == 1:
        return [float(x) for x in flat]
    c = shape[1]
    return [[float(x) for x in flat[r * c:(r + 1) * c]] for r in range(shape[0])]


def _cat_parts(r: Rec) -> list[Rec]:
    """The scalar pieces of a cat of scalars (E3's ``cat([y0, y1])``), else ``[r]``."""
    if r.kind == "op" and r.op == "cat" and all(isinstance(i, Rec) for i in r.inputs):
        parts: list[Rec] = []
        for i in r.inputs:
            assert isinstance(i, Rec)
            parts.extend(_cat_parts(i) if i.shape == () or i.op == "cat" else [i])
        return parts
    return [r]


def graph_of(roots: Sequence[Rec], *, gradient: Sequence[Sequence[float] | None] | None = None,
             inputs: Sequence[Rec] | None = None, names: Sequence[str | None] | None = None,
             limits: Limits = DEFAULT_LIMITS,
             decisions: Sequence[dict[str, Any]] = ()) -> Recorded:
    """The graph behind ``roots``, weighted by ``gradient`` (``backward(gradient=…)``).

    ``inputs`` restricts the variables to differentiate by (``autograd.grad``'s inputs);
    ``names`` are the roots' names at the call (``d`` in ``d.backward()``); the
    ``decisions`` (if/while) made while the graph's operations ran are kept with it.
    """
    roots = list(roots)
    weights: list[float] | None = None
    extra_seed: list[float] | None = None
    if gradient is not None and any(g is not None for g in gradient):
        if len(roots) == 1 and roots[0].shape and gradient[0] is not None:
            parts = _cat_parts(roots[0])
            if len(parts) > 1 and all(p.shape == () for p in parts) and len(parts) == len(
                    gradient[0]):
                roots, weights = parts, [float(g) for g in gradient[0]]
                names = None
            else:
                extra_seed = [float(g) for g in gradient[0]]
        elif all(r.shape == () for r in roots):
            weights = [float(g[0]) if g is not None else 1.0 for g in gradient]
        else:
            raise InputError(_("several non-scalar outputs with gradients are not explained "
                               "yet; call backward on each"))
    # the records behind the roots; opaque calls and derivatives cut the graph
    seen: dict[int, Rec] = {}
    cut: list[Rec] = []
    stack = list(roots)
    while stack:
        r = stack.pop()
        if id(r) in seen:
            continue
        seen[id(r)] = r
        if r.kind == "overflow":
            raise LimitExceeded(_("more than {limit} tensors were recorded; recording stopped "
                                  "there, so this graph is incomplete").format(
                                      limit=limits.max_nodes), _("raise it with --max-nodes"))
        if r.kind in ("opaque", "derivative"):
            cut.append(r)
            continue
        stack.extend(i for i in r.inputs if isinstance(i, Rec))
    hidden: dict[int, Rec] = {}  # leaves behind a cut
    stack = [i for c in cut for i in c.inputs if isinstance(i, Rec)]
    stack += [c.of for c in cut if c.of is not None]
    while stack:
        r = stack.pop()
        if id(r) in hidden:
            continue
        hidden[id(r)] = r
        stack.extend(i for i in r.inputs if isinstance(i, Rec))
        if r.of is not None:
            stack.append(r.of)
    order = sorted(seen.values(), key=lambda r: r.seq)
    root_names = dict(zip((id(r) for r in roots), names or ()))
    used: set[str] = set()
    label: dict[int, str | None] = {}
    auto = 0
    # the code's other names (c = b) must not be reused for unnamed intermediates
    spare = [c for c in _LETTERS if c not in _RESERVED
             and not any(c in r.aliases or c == r.name for r in order)]
    root_ids = {id(r) for r in roots}
    for r in order:
        base: str | None = root_names.get(id(r)) or r.name
        if base is None and r.kind == "op" and spare and id(r) not in root_ids:
            base = spare.pop(0)
        if base is None and r.kind != "op":
            if r.kind == "opaque":
                base = r.op.rsplit(".", 1)[-1].strip("_") or "opaque"
            else:
                auto += 1
                base = f"t{auto}"
        if base is not None:
            if base in _RESERVED:
                base += "_"
            nm, k = base, 2
            while nm in used:
                nm, k = f"{base}_{k}", k + 1
            used.add(nm)
            base = nm
        label[id(r)] = base
    b = GraphBuilder(limits, source=roots[0].file)
    ids: dict[int, int] = {}
    point: dict[str, Any] = {}
    for r in order:
        given = label[id(r)]
        if r.kind == "op":
            ins = [ids[id(i)] if isinstance(i, Rec) else b.const(i) for i in r.inputs]
            nid = b.op(r.op, ins, params=r.params)
            if given:
                b.name(nid, given)
        else:
            assert given is not None
            if r.value is None:
                raise LimitExceeded(_("{name!r} has more than {limit} entries").format(
                    name=given, limit=limits.max_vector), _("raise it with --max-vector"))
            nid = b.var(given)
            point[given] = _unflatten(r.shape, r.value)
        ids[id(r)] = nid
    outs = [ids[id(r)] for r in roots]
    out_names = [label[id(r)] or "" for r in roots]
    if extra_seed is not None:  # backward(gradient=v) of a vector y: differentiate sum(y·v)
        v = "v" if "v" not in used else next(f"v{k}" for k in range(2, 10**6)
                                             if f"v{k}" not in used)
        vid = b.var(v)
        point[v] = _unflatten(roots[0].shape, extra_seed)
        total = b.op("sum", [b.op("mul", [outs[0], vid])])
        outs, out_names = [total], ["L" if "L" not in used else "L_"]
    if not any(r.kind == "op" for r in order):
        raise InputError(_("{name} is a leaf: there is no operation to explain").format(
            name=out_names[0] or _("the tensor")))
    graph = b.build(outs, out_names)
    name_of = {id(r): graph.nodes[ids[id(r)]].name for r in order}
    behind = {id(r) for r in hidden.values()}
    want = None if inputs is None else {id(r) for r in inputs}
    wrt = [name_of[id(r)] for r in order
           if r.kind != "op" and r.requires_grad and id(r) not in behind
           and (want is None or id(r) in want or r in cut)]
    info = {
        "file": roots[0].file,
        "nodes": [{"name": name_of[id(r)], "kind": r.kind, "call": r.call, "line": r.line,
                   "source": r.source, "grad_fn": r.grad_fn, "torch_shape": list(r.torch_shape)}
                  for r in order],
        "opaque": [{"name": name_of[id(c)], "call": c.call or c.op, "line": c.line,
                    "source": c.source, "kind": c.kind} for c in cut],
        "not_derived": sorted({name_of.get(id(r), r.name or "?") for r in hidden.values()
                               if r.kind == "leaf" and r.requires_grad}),
        "modified": [{"name": name_of[id(r)], "line": ln, "source": src}
                     for r in order if r.kind == "leaf" for ln, src in r.modified],
        "weights": weights,
        "output": graph.nodes[outs[0]].name if len(outs) == 1 else None,
    }
    ops = [r.seq for r in order if r.kind == "op"]
    info["decisions"] = [{k: v for k, v in d.items() if k != "seq"} for d in decisions
                         if ops and ops[0] <= d["seq"]]  # made while it was built and since
    if not wrt:
        raise InputError(_("nothing to differentiate: no input of {name} requires grad").format(
            name=out_names[0] or _("the tensor")))
    leaves = [(name_of[id(r)], r) for r in order if r.kind == "leaf" and r.requires_grad]
    leaves += [(r.name or "?", r) for r in hidden.values()
               if r.kind == "leaf" and r.requires_grad and id(r) not in name_of]
    expression = "; ".join(f"{n.name} = {graph.describe(n)}" for n in graph.nodes
                           if not n.is_leaf)
    info["expression"] = expression
    return Recorded(graph, point, tuple(wrt), tuple(weights) if weights else None, info,
                    leaves=tuple(leaves), ops=tuple(r for r in order if r.kind == "op"))


def tensor_graph(t: Any, limits: Limits = DEFAULT_LIMITS) -> Recorded:
    """The graph of a tensor computed under :func:`~diffexplain.core.recording.record`.

    A derivative returned by ``autograd.grad(..., create_graph=True)`` is explained as
    the next-order derivative of the output it came from.
    """
    from dataclasses import replace

    from diffexplain.core.recording import find_record

    rec, r = find_record(t)
    rec.scan_names()
    if r.kind == "derivative" and r.of is not None:
        if len({id(w) for w in r.wrt}) > 1:
            raise InputError(_("{name} is a mixed derivative; only ∂ⁿ/∂xⁿ of one variable is "
                               "explained").format(name=r.name or _("the tensor")))
        out = graph_of([r.of], inputs=r.wrt[:1], limits=limits, decisions=rec.decisions)
        return replace(out, order=r.order + 1)
    out = graph_of([r], limits=limits, decisions=rec.decisions)
    if out.info["not_derived"]:
        out.info["torch_gradient"] = _torch_gradient(t, out)
    return out


def _torch_gradient(t: Any, r: Recorded) -> dict[str, Any]:
    """Torch's own gradient for the leaves behind an opaque node (the graph stays intact)."""
    import torch

    hidden = [(n, rec.tensor()) for n, rec in r.leaves if n in r.info["not_derived"]]
    hidden = [(n, x) for n, x in hidden if x is not None]
    if not hidden or not t.requires_grad:
        return {}
    try:
        grads = torch.autograd.grad(t, [x for _n, x in hidden], torch.ones_like(t),
                                    retain_graph=True, allow_unused=True)
    except RuntimeError:  # the graph was freed already: nothing to read
        return {}
    return {n: None if g is None else (float(g.reshape(-1)[0]) if g.numel() == 1
                                       else g.detach().tolist())
            for (n, _x), g in zip(hidden, grads)}
