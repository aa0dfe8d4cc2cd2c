"""Vectors, matrices and stop-gradient: one vector graph, torch on it, scalar passes on its components.

A parsed (or traced) graph whose variables hold vectors keeps its nodes; each node
gets a shape (:attr:`Node.shape`). Torch executes that vector graph natively, so
every real ``grad_fn`` (``DotBackward0``, ``SumBackward0``, ``MulBackward0``, …)
still belongs to one node. For the symbolic derivation and the finite-difference
witness the graph is *scalarized*: each vector node becomes its components
(``x`` → ``x_0 … x_3``, built with the same :class:`~diffexplain.core.graph.GraphBuilder`),
and the existing scalar passes (:func:`~diffexplain.methods.symbolic.derive`,
:mod:`~diffexplain.methods.numeric`) run on that component graph, so every component
derivative is a checked derivation. A mapping from components back to vector
nodes turns the results into vectors again.

Two conventions are made explicit rather than hidden:

* a non-scalar output ``y`` is reduced as ``L = sum(y)``; torch runs
  ``y.backward(gradient=ones)``, the vector-Jacobian product 1ᵀ·J, which is ∂L/∂x;
* ``detach(u)`` is a constant: its components enter the component graph as
  constants holding their values at the point, exactly what torch's detached
  tensor is, so symbolic, autograd and finite differences all treat it alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from diffexplain.compare import compare
from diffexplain.core.graph import Graph, GraphBuilder, op_table
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits
from diffexplain.methods import numeric, symbolic
from diffexplain.model import Explanation, NodeInfo

__all__ = [
    "TensorExplanation",
    "explain_tensors",
    "flatten",
    "needs_tensors",
    "out_shape",
    "scalarize",
    "unflatten",
    "vec_apply",
]

Shape = tuple[int, ...]


# --- values: nested lists <-> (shape, flat list) ------------------------------------------
def flatten(value: Any, name: str = "value") -> tuple[Shape, list[float]]:
    """A number, (nested) list, numpy array or torch tensor as ``(shape, flat floats)``."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
    if isinstance(value, bool):
        raise InputError(_("the value of {name!r} is not a number: {value!r}").format(
            name=name, value=value))
    if isinstance(value, (int, float)):
        return (), [float(value)]
    if not isinstance(value, (list, tuple)) or not value:
        raise InputError(_("the value of {name!r} is not a number or a non-empty list: "
                           "{value}").format(name=name, value=repr(value)[:200]))
    parts = [flatten(v, name) for v in value]
    inner = parts[0][0]
    if any(p[0] != inner for p in parts):
        raise InputError(_("the rows of {name!r} have different lengths").format(name=name))
    if len(inner) > 1:
        raise InputError(_("{name!r} has more than 2 dimensions; vectors and matrices only").format(
            name=name))
    return (len(parts), *inner), [x for p in parts for x in p[1]]


def unflatten(shape: Shape, flat: Sequence[float]) -> Any:
    """The inverse of :func:`flatten`: a float, a list, or a list of rows."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    cols = shape[1]
    return [list(flat[r * cols:(r + 1) * cols]) for r in range(shape[0])]


def _size(shape: Shape) -> int:
    return math.prod(shape) if shape else 1


def _fmt_shape(shape: Shape) -> str:
    return _("scalar") if not shape else "×".join(map(str, shape))


# --- shape rules ----------------------------------------------------------------------------
def out_shape(op: str, shapes: Sequence[Shape], where: str = "",
              params: Sequence[tuple[str, Any]] = ()) -> Shape:
    """The result shape of ``op`` on inputs of these shapes; InputError if they do not fit."""
    kind = op_table(op).tensor
    if kind == "rule":  # recorded torch ops: diffexplain.core.tensor_rules
        from diffexplain.core.tensor_rules import RULES

        return RULES[op].shape(dict(params), shapes)
    at = _(" in {where}").format(where=where) if where else ""
    if kind in ("", "detach", "bce"):
        nonscalar = {s for s in shapes if s}
        if len(nonscalar) > 1:
            raise InputError(_("{op}: shapes {shapes} do not match{at}").format(
                op=op, shapes=_(" and ").join(_fmt_shape(s) for s in shapes), at=at))
        if kind == "bce":
            return ()
        return next(iter(nonscalar), ())
    if kind == "sum":
        return ()
    if kind == "dot":
        a, b = shapes
        if len(a) != 1 or a != b:
            raise InputError(_("dot needs two vectors of the same length, got "
                               "{a} and {b}{at}").format(a=_fmt_shape(a), b=_fmt_shape(b), at=at))
        return ()
    if kind == "matmul":
        a, b = shapes
        if not a or not b:
            return a or b
        if a[-1] != b[0]:
            raise InputError(_("@: shapes {a} and {b} do not fit ({m} ≠ {n}){at}").format(
                a=_fmt_shape(a), b=_fmt_shape(b), m=a[-1], n=b[0], at=at))
        return a[:-1] + b[1:]
    raise NotImplementedError(f"no shape rule for {op!r}")  # pragma: no cover


def _pick(shape: Shape, k: int) -> int:
    """Index of the component of an input that meets output component ``k`` (broadcast)."""
    return 0 if not shape else k


def _matmul_index(a: Shape, b: Shape) -> tuple[int, int, int, Any, Any]:
    """(rows, inner, cols, index into a, index into b) with vectors as 1-row/1-col matrices."""
    rows = a[0] if len(a) == 2 else 1
    inner = a[-1]
    cols = b[1] if len(b) == 2 else 1

    def ia(r: int, i: int) -> int:
        return r * inner + i if len(a) == 2 else i

    def ib(i: int, c: int) -> int:
        return i * cols + c if len(b) == 2 else i

    return rows, inner, cols, ia, ib


def vec_apply(op: str, args: Sequence[tuple[Shape, list[float]]],
              params: Sequence[tuple[str, Any]] = ()) -> tuple[Shape, list[float]]:
    """Float forward of one op on shaped values (the tracer's numbers for if/while)."""
    fn = op_table(op)
    if fn.tensor == "rule":
        from diffexplain.core.tensor_rules import apply

        return apply(op, dict(params), args)
    shapes = [s for s, _ in args]
    shape = out_shape(op, shapes)
    kind = fn.tensor
    if kind in ("", "detach"):
        n = _size(shape)
        return shape, [fn.math(math, *(v[_pick(s, k)] for s, v in args)) for k in range(n)]
    if kind == "sum":
        return (), [math.fsum(args[0][1])]
    if kind == "dot":
        return (), [math.fsum(a * b for a, b in zip(args[0][1], args[1][1]))]
    if kind == "bce":
        (sz, z), (sy, y) = args
        n = max(len(z), len(y))
        return (), [math.fsum(fn.math(math, z[_pick(sz, k)], y[_pick(sy, k)])
                              for k in range(n)) / n]
    (sa, a), (sb, b) = args
    if not sa or not sb:
        return vec_apply("mul", args)
    rows, inner, cols, ia, ib = _matmul_index(sa, sb)
    return shape, [math.fsum(a[ia(r, i)] * b[ib(i, c)] for i in range(inner))
                   for r in range(rows) for c in range(cols)]


def needs_tensors(graph: Graph, at: Mapping[str, Any] | None) -> bool:
    """Whether the vector machinery is needed: a non-scalar value or a vector-only op."""
    for v in (at or {}).values():
        if isinstance(v, (list, tuple)) or (hasattr(v, "shape") and tuple(v.shape)):
            return True
    return any(not n.is_leaf and op_table(n.op).tensor for n in graph.nodes)


# --- scalarization ------------------------------------------------------------------------
@dataclass(frozen=True)
class Scalarized:
    """The component graph and, for each vector node, its components' ids in it (row-major)."""

    graph: Graph
    components: tuple[tuple[int, ...], ...]
    shapes: tuple[Shape, ...]
    point: dict[str, float]
    reduced: str | None  # name of the L = sum(y) node added for a non-scalar output


def _component_name(name: str, shape: Shape, k: int) -> str:
    if not shape:
        return name
    if len(shape) == 1:
        return f"{name}_{k}"
    return f"{name}_{k // shape[1]}_{k % shape[1]}"


def scalarize(graph: Graph, point: Mapping[str, tuple[Shape, list[float]]],
              limits: Limits = DEFAULT_LIMITS, outputs: Sequence[int] | None = None) -> Scalarized:
    """Expand the vector graph into scalar components; see the module docstring."""
    b = GraphBuilder(limits, graph.source)
    val: dict[int, float] = {}
    comps: list[tuple[int, ...]] = []
    shapes: list[Shape] = []
    cpoint: dict[str, float] = {}
    taken = {n.name for n in graph.nodes}

    def op(name: str, ins: Sequence[int]) -> int:
        cid = b.op(name, ins)
        if cid not in val:
            val[cid] = op_table(name).math(math, *(val[i] for i in ins))
        return cid

    def const(x: float) -> int:
        cid = b.const(x)
        val[cid] = b.nodes[cid].value if b.nodes[cid].value is not None else x
        return cid

    def name(cid: int, nm: str) -> None:
        if nm not in taken or b.nodes[cid].name == "":
            b.name(cid, nm)
            taken.add(nm)

    def total(ids: Sequence[int], nm: str) -> int:
        acc = ids[0]
        for k, c in enumerate(ids[1:], 1):
            acc = op("add", [acc, c])
            if k < len(ids) - 1:
                name(acc, f"{nm}_acc{k}")
        return acc

    for n in graph.nodes:
        if n.op == "var":
            shape, flat = point[n.name]
            if _size(shape) > limits.max_vector:
                raise LimitExceeded(_("{name!r} has {size} entries, more than {limit}").format(
                    name=n.name, size=_size(shape), limit=limits.max_vector),
                    _("raise it with --max-vector"))
            ids = []
            for k, x in enumerate(flat):
                nm = _component_name(n.name, shape, k)
                cid = b.var(nm)
                val[cid] = x
                cpoint[nm] = x
                ids.append(cid)
            comps.append(tuple(ids))
            shapes.append(shape)
            continue
        if n.op == "const":
            cid = b.const(n.value if n.value is not None else math.nan, n.literal)
            val[cid] = n.value if n.value is not None else math.nan
            comps.append((cid,))
            shapes.append(())
            continue
        fn = op_table(n.op)
        ins = [(shapes[i], comps[i]) for i in n.inputs]
        shape = out_shape(n.op, [s for s, _ in ins], f"{n.name} = {graph.describe(n)}", n.params)
        kind = fn.tensor
        if kind == "rule":  # recorded torch ops: diffexplain.core.tensor_rules
            from diffexplain.core.tensor_rules import RULES

            out = RULES[n.op].components(dict(n.params), [(sh, list(c)) for sh, c in ins],
                                         _ScalarizeEmitter(op, const))
        elif kind == "":
            out = [op(n.op, [c[_pick(s, k)] for s, c in ins]) for k in range(_size(shape))]
        elif kind == "detach":
            out = [const(val[c]) for c in ins[0][1]]
        elif kind == "sum":
            out = [total(list(ins[0][1]), n.name)]
        elif kind == "dot":
            (_sa, a), (_sc, c) = ins
            terms = [op("mul", [x, y]) for x, y in zip(a, c)]
            for k, t in enumerate(terms):
                name(t, f"{n.name}_t{k}")
            out = [total(terms, n.name)]
        elif kind == "bce":
            (sz, z), (sy, y) = ins
            m = max(len(z), len(y))
            terms = [op("bce_with_logits", [z[_pick(sz, k)], y[_pick(sy, k)]])
                     for k in range(m)]
            if m > 1:
                for k, t in enumerate(terms):
                    name(t, f"{n.name}_t{k}")
                s = total(terms, n.name)
                name(s, f"{n.name}_sum")
                out = [op("div", [s, const(float(m))])]
            else:
                out = terms
        else:  # matmul
            (sa, a), (sb, c) = ins
            if not sa or not sb:
                out = [op("mul", [a[_pick(sa, k)], c[_pick(sb, k)]])
                       for k in range(_size(shape))]
            else:
                rows, inner, cols, ia, ib = _matmul_index(sa, sb)
                out = []
                for r in range(rows):
                    for cc in range(cols):
                        k = r * cols + cc
                        terms = [op("mul", [a[ia(r, i)], c[ib(i, cc)]]) for i in range(inner)]
                        cname = _component_name(n.name, shape, k)
                        for i, t in enumerate(terms):
                            name(t, f"{cname}_t{i}")
                        out.append(total(terms, cname))
        for k, cid in enumerate(out):
            name(cid, _component_name(n.name, shape, k))
        comps.append(tuple(out))
        shapes.append(shape)
    outs = list(outputs if outputs is not None else graph.outputs)
    reduced = None
    cout: list[int] = []
    names: list[str] = []
    for o in outs:
        if shapes[o] and len(outs) == 1:
            reduced = "L" if "L" not in taken else next(f"L{k}" for k in range(1, 10**6)
                                                        if f"L{k}" not in taken)
            cid = total(list(comps[o]), reduced)
            name(cid, reduced)
            cout.append(cid)
            names.append(reduced)
        elif shapes[o]:
            raise InputError(_("output {name!r} is not a scalar; with several "
                               "outputs each must be a scalar").format(name=graph.nodes[o].name))
        else:
            cout.append(comps[o][0])
            names.append(graph.nodes[o].name)
    cg = b.build(cout, names)
    return Scalarized(cg, tuple(comps), tuple(shapes), cpoint, reduced)


class _ScalarizeEmitter:
    """The component-graph emitter for :mod:`diffexplain.core.tensor_rules`."""

    def __init__(self, op: Any, const: Any) -> None:
        self.op, self.const = op, const


#: Node.params that the table's torch forms take as keywords (the rest are for display)
_TORCH_PARAMS = ("dim", "shape", "reduction", "target", "positions", "order", "shapes")


# --- torch on the vector graph ----------------------------------------------------------------
def run_torch(graph: Graph, point: Mapping[str, tuple[Shape, list[float]]], wrt: Sequence[str],
              seeds: Mapping[int, float], dtype: str = "float64") -> Any:
    """Real tensors for every node, one backward (``gradient=ones`` for a vector output)."""
    import torch

    from diffexplain.methods.autograd import AutogradResult, _backward_graph, torch_nodes

    dt = getattr(torch, dtype)
    tens: list[Any] = []
    for n in graph.nodes:
        if n.op == "var":
            shape, flat = point[n.name]
            tens.append(torch.tensor(unflatten(shape, flat), dtype=dt,
                                     requires_grad=n.name in wrt))
        elif n.op == "const":
            tens.append(float(n.value) if n.value is not None else 0.0)
        else:
            fn = op_table(n.op)
            args = [tens[i] for i in n.inputs]
            if not any(isinstance(a, torch.Tensor) for a in args) or fn.arity == 1 or \
                    fn.tensor in ("dot", "matmul", "bce", "rule"):
                args = [a if isinstance(a, torch.Tensor) or (n.op == "pow" and k == 1)
                        else torch.tensor(a, dtype=dt) for k, a in enumerate(args)]
            if fn.tensor == "bce":
                args = [args[0], args[1].expand_as(args[0]) if args[1].dim() < args[0].dim()
                        else args[1]]
            tens.append(fn.torch(torch, *args, **{k: v for k, v in n.params
                                                  if k in _TORCH_PARAMS}))
    for t in tens:
        if isinstance(t, torch.Tensor) and t.requires_grad and not t.is_leaf:
            t.retain_grad()
    names = {id(t): graph.nodes[k].name for k, t in enumerate(tens) if isinstance(t, torch.Tensor)}
    saved = [_saved(t.grad_fn, tens, graph) if isinstance(t, torch.Tensor) else () for t in tens]
    outs = [o for o in seeds if isinstance(tens[o], torch.Tensor) and tens[o].requires_grad]
    if outs:
        torch.autograd.backward([tens[o] for o in outs],
                                grad_tensors=[torch.full_like(tens[o], seeds[o]) for o in outs])
    nodes = torch_nodes(graph, tens, saved, lambda t: t.detach().tolist())
    gradient: dict[str, Any] = {}
    for v in wrt:
        tn = nodes[graph[v].id]
        gradient[v] = tn.grad if tn.grad is not None else (
            unflatten(point[v][0], [0.0] * _size(point[v][0])) if tn.requires_grad else None)
    back = _backward_graph(tens, outs, names)
    out0 = tens[graph.outputs[0]]
    value = out0.detach().tolist() if isinstance(out0, torch.Tensor) else float(out0)
    return AutogradResult(dtype, torch.__version__, gradient, tuple(nodes), back, value)


def _saved(fn: Any, tens: Sequence[Any], graph: Graph) -> tuple[tuple[str, str | None, Any], ...]:
    import torch

    if fn is None:
        return ()
    out: list[tuple[str, str | None, Any]] = []
    for attr in sorted(a for a in dir(fn) if a.startswith("_saved_")):
        try:
            v = getattr(fn, attr)
        except RuntimeError:  # pragma: no cover - freed
            continue
        if isinstance(v, torch.Tensor):
            owner = next((graph.nodes[k].name for k, t in enumerate(tens)
                          if isinstance(t, torch.Tensor) and t.shape == v.shape
                          and t.data_ptr() == v.data_ptr()), None)
            out.append((attr[len("_saved_"):], owner, v.detach().tolist()))
    return tuple(out)


# --- the explanation ------------------------------------------------------------------------
@dataclass(frozen=True)
class TensorExplanation(Explanation):
    """An explanation whose variables may be vectors or matrices.

    ``derivations`` and ``verdict.comparisons`` are per component (``x_0``, …);
    :attr:`gradient` regroups them into the variables' shapes.
    """

    @property
    def gradient(self) -> dict[str, Any]:  # type: ignore[override]
        flat = {v: d.value for v, d in self.derivations.items()}
        out: dict[str, Any] = {}
        for v, info in self.extras["tensor"]["variables"].items():
            if v in self.wrt:
                out[v] = unflatten(tuple(info["shape"]), [flat[c] for c in info["components"]])
        return out


def resolve_tensor_point(graph: Graph, at: Mapping[str, Any] | str | None,
                         allow_nonfinite: bool = False) -> dict[str, tuple[Shape, list[float]]]:
    from diffexplain.pipeline import point_names

    at = point_names(graph, at, allow_nonfinite)
    out = {}
    for k, v in at.items():
        shape, flat = flatten(v, k)
        if not allow_nonfinite and not all(math.isfinite(x) for x in flat):
            raise InputError(_("the value of {name!r} is not finite; pass allow_nonfinite=True "
                               "(--allow-nonfinite) to explain at non-finite points").format(
                                   name=k))
        out[k] = (shape, flat)
    return out


def explain_tensors(graph: Graph, at: Mapping[str, Any] | str | None, *, expression: str = "",
                    wrt: Sequence[str] | None = None, weights: Sequence[float] | None = None,
                    dtype: str = "float64", autograd: bool = True, numeric_check: bool = True,
                    limits: Limits | None = None, allow_nonfinite: bool = False,
                    extras: Mapping[str, Any] | None = None) -> TensorExplanation:
    """:func:`~diffexplain.pipeline.explain` for graphs with vectors, matrices or ``detach``.

    >>> from diffexplain.core.parsing import parse
    >>> explain_tensors(parse("2*dot(x,x)"), {"x": [0, 1, 2, 3]}).gradient
    {'x': [0.0, 4.0, 8.0, 12.0]}
    """
    limits = limits or DEFAULT_LIMITS
    point = resolve_tensor_point(graph, at, allow_nonfinite)
    from diffexplain.pipeline import resolve_wrt

    wrt = resolve_wrt(graph, wrt)
    outs = list(graph.outputs)
    if weights is not None and len(weights) != len(outs):
        raise InputError(_("{weights} weight(s) for {outputs} output(s)").format(
            weights=len(weights), outputs=len(outs)))
    wts = [float(w) for w in weights] if weights is not None else [1.0] * len(outs)
    sc = scalarize(graph, point, limits)
    shapes = sc.shapes
    graph = Graph(tuple(replace(n, shape=shapes[n.id]) for n in graph.nodes), graph.outputs,
                  graph.source)
    cg = sc.graph
    cwrt = [cg.nodes[c].name for v in wrt for c in sc.components[graph[v].id]]
    cseeds = dict(zip(cg.outputs, wts))
    values = numeric.forward(cg, sc.point)
    sym = symbolic.derive(cg, sc.point, values, cwrt, cseeds, limits)
    sym_values = {v: d.value for v, d in sym.derivations.items()}
    auto = None
    auto_flat: dict[str, float | None] | None = None
    if autograd:
        auto = run_torch(graph, point, wrt, dict(zip(outs, wts)), dtype)
        auto_flat = {}
        for v in wrt:
            g = auto.gradient[v]
            flat = flatten(g, v)[1] if g is not None else [None] * len(sc.components[graph[v].id])
            for c, x in zip(sc.components[graph[v].id], flat):
                auto_flat[cg.nodes[c].name] = x
    diffs = None
    if numeric_check:
        diffs = {v: numeric.central_difference(cg, sc.point, v, cseeds, dtype) for v in cwrt}
    verdict = compare(cg, values, sym_values, auto_flat, diffs, dtype, float64_symbolic=sym_values)

    def shaped(nid: int, per_comp: Sequence[float]) -> Any:
        return unflatten(shapes[nid], [per_comp[c] for c in sc.components[nid]])

    detached = {n.id for n in graph.nodes if not n.is_leaf and op_table(n.op).tensor == "detach"}
    nodes = []
    tnodes = auto.nodes if auto is not None else None
    for n in graph.nodes:
        t = tnodes[n.id] if tnodes is not None else None
        grad = None if n.op == "const" or n.id in detached else shaped(n.id, sym.grads)
        nodes.append(NodeInfo(
            id=n.name, op=n.op,
            kind="variable" if n.op == "var" else "constant" if n.op == "const" else "operation",
            expr=graph.describe(n), inputs=tuple(graph.nodes[i].name for i in n.inputs),
            value=shaped(n.id, values), grad=grad, output=n.id in graph.outputs,
            grad_fn=t.grad_fn if t else None, is_leaf=t.is_leaf if t else None,
            requires_grad=t.requires_grad if t else None,
            retains_grad=t.retains_grad if t else None,
            autograd_grad=t.grad if t else None, saved=t.saved if t else ()))
    edges = tuple((graph.nodes[a].name, graph.nodes[b].name) for a, b in graph.edges())
    variables = {n.name: {"shape": list(shapes[n.id]),
                          "components": [cg.nodes[c].name for c in sc.components[n.id]]}
                 for n in graph.nodes if n.op == "var"}
    out0 = graph.outputs[0]
    info: dict[str, Any] = {
        "variables": variables,
        "shapes": {n.name: list(shapes[n.id]) for n in graph.nodes},
        "component_nodes": len(cg.nodes),
        "detached": [graph.nodes[d].name for d in sorted(detached)],
        "reduction": None if sc.reduced is None else {
            "output": graph.nodes[out0].name, "name": sc.reduced,
            "value": values[cg.outputs[0]],
            "vjp": [1.0] * _size(shapes[out0]),
            "why": _("{y} is not a scalar: differentiate {L} = sum({y}); torch runs "
                     "{y}.backward(gradient=torch.ones({n})), the vector-Jacobian product "
                     "1ᵀ·J, which is ∂{L}/∂x").format(y=graph.nodes[out0].name, L=sc.reduced,
                                                      n=_size(shapes[out0]))},
        "gradient": {v: shaped(graph[v].id, sym.grads) for v in wrt},
        "autograd_gradient": None if auto is None else dict(auto.gradient),
        "output_grad_fn": None if tnodes is None else tnodes[out0].grad_fn,
    }
    if sc.reduced is not None and tnodes is not None:
        info["reduction"]["output_grad_fn"] = tnodes[out0].grad_fn
    return TensorExplanation(
        expression=expression or graph.source, point={k: unflatten(*v) for k, v in point.items()},
        outputs=tuple(graph.nodes[o].name for o in outs), weights=tuple(wts),
        value=shaped(out0, values), wrt=tuple(wrt), derivations=sym.derivations,
        adjoints=sym.adjoints, nodes=tuple(nodes), edges=edges, verdict=verdict, dtype=dtype,
        autograd=auto, numeric_steps={v: d.step for v, d in (diffs or {}).items()},
        extras={"tensor": info, **(extras or {})})


def summary_lines(e: Explanation) -> list[str]:
    """Lines for the text/markdown renderers: vector gradients, the reduction, detach, trace."""
    from diffexplain.core.printing import fmt_number

    out: list[str] = []
    trace = e.extras.get("trace")
    if trace:
        out.append(_("Python control flow (traced {function}): the path actually taken").format(
            function=trace["function"]))
        out.extend(f"  {s}" for s in trace["summary"])
        tf = trace.get("torch_function")
        if tf:
            grads = ", ".join(f"{k}.grad = {fmt_number(v)}" for k, v in tf["grad"].items())
            out.append("  " + _("torch ran the same function on tensors: output {value} "
                                "(grad_fn {grad_fn}), {grads}").format(
                                    value=fmt_number(tf["value"]), grad_fn=tf["grad_fn"],
                                    grads=grads))
        out.append("")
    info = e.extras.get("tensor")
    if not info:
        return out
    vectors = {v: i for v, i in info["variables"].items() if i["shape"]}
    red = info.get("reduction")
    if not vectors and not red and not info["detached"]:
        return out
    out.append(_("Vectors"))
    for v, i in vectors.items():
        out.append("  " + _("{v}: shape {shape}, components {components}").format(
            v=v, shape=_fmt_shape(tuple(i["shape"])), components=", ".join(i["components"][:4])
            + (", …" if len(i["components"]) > 4 else "")))
    if red:
        out.append("  " + _("{why}; the ones vector is {ones}").format(
            why=red["why"], ones=fmt_number(red["vjp"])))
    for d in info["detached"]:
        out.append("  " + _("{node} = {expr} is a constant for differentiation (stop-gradient): "
                            "torch's tensor has requires_grad=False and the symbolic side uses "
                            "its value {value}").format(node=d, expr=e.node(d).expr,
                                                        value=fmt_number(e.node(d).value)))
    for v, g in info["gradient"].items():
        a = (info.get("autograd_gradient") or {}).get(v)
        auto = f"   (torch {v}.grad = {fmt_number(a)})" if a is not None else ""
        out.append(f"  ∇{v} = {fmt_number(g)}{auto}")
    out.append("")
    return out
