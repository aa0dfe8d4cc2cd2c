"""The component graph: a vector graph expanded into scalars, so the scalar passes check it.

A graph whose variables hold vectors keeps its nodes (torch runs it natively, so
every real ``grad_fn`` belongs to one node). For the symbolic derivation and the
finite-difference witness it is *scalarized*: each vector node becomes its
components (``x`` → ``x_0 … x_3``, built with the same
:class:`~diffexplain.core.graph.GraphBuilder`), and the scalar passes run on that
component graph, so every component derivative is a checked derivation. The
mapping from components back to vector nodes turns results into vectors again.

Two conventions are explicit rather than hidden:

* a non-scalar output ``y`` is reduced as ``L = sum(y)``; torch runs
  ``y.backward(gradient=ones)``, the vector-Jacobian product 1ᵀ·J, which is ∂L/∂x;
* ``detach(u)`` is a constant: its components enter the component graph as
  constants holding their values at the point, exactly what torch's detached
  tensor is, so symbolic, autograd and finite differences all treat it alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.core.floats import fsum
from diffexplain.core.graph import Graph, GraphBuilder, op_table
from diffexplain.core.shapes import Shape, matmul_index, out_shape, pick, size, unflatten
from diffexplain.core.tensor_rules import balanced_sum
from diffexplain.errors import InputError
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits
from diffexplain.methods.componentsize import check_component_size

__all__ = ["Scalarized", "balanced_sum", "output_jacobians", "scalarize", "tensor_info"]


@dataclass(frozen=True)
class Scalarized:
    """The component graph and, for each vector node, its components' ids in it (row-major)."""

    graph: Graph
    components: tuple[tuple[int, ...], ...]
    shapes: tuple[Shape, ...]
    point: dict[str, float]
    reduced: str | None  # name of the L = sum(y) node added for a non-scalar output

    def names(self, nid: int) -> list[str]:
        """The component names of vector node ``nid`` (row-major)."""
        return [self.graph.nodes[c].name for c in self.components[nid]]

    def shaped(self, nid: int, per_component: Sequence[Any]) -> Any:
        """Per-component results (indexed by component id) as the value of node ``nid``."""
        return unflatten(self.shapes[nid], [per_component[c] for c in self.components[nid]])

    def unreduced(self, outputs: Sequence[int]) -> Graph:
        """The component graph with every component of ``outputs`` as an output, before any
        ``L = sum(y)`` (a prefix of the nodes: the reduction is built last): its Jacobian is
        the Jacobian of ``y`` itself."""
        outs = tuple(c for o in outputs for c in self.components[o])
        last = max(outs)
        return Graph(self.graph.nodes[:last + 1], outs, self.graph.source)


class _Emitter:
    """The component-graph emitter for :mod:`diffexplain.core.tensor_rules`."""

    def __init__(self, op: Any, const: Any) -> None:
        self.op, self.const = op, const


def _component_name(name: str, shape: Shape, k: int) -> str:
    if not shape:
        return name
    if len(shape) == 1:
        return f"{name}_{k}"
    return f"{name}_{k // shape[1]}_{k % shape[1]}"


def scalarize(graph: Graph, point: Mapping[str, tuple[Shape, list[float]]],
              limits: Limits = DEFAULT_LIMITS, outputs: Sequence[int] | None = None) -> Scalarized:
    """Expand the vector graph into scalar components; see the module docstring."""
    check_component_size(graph, point, limits)  # refuse before building anything
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
        value = b.nodes[cid].value
        val[cid] = value if value is not None else x
        return cid

    def name(cid: int, nm: str) -> None:
        if nm not in taken or b.nodes[cid].name == "":
            b.name(cid, nm)
            taken.add(nm)

    def total(ids: Sequence[int], nm: str) -> int:
        """Σ ids as a balanced tree of ``add`` nodes (see :func:`balanced_sum`)."""
        count = [0]

        def add(a: int, c: int, last: bool) -> int:
            s = op("add", [a, c])
            if not last:
                count[0] += 1
                name(s, f"{nm}_acc{count[0]}")
            return s

        return balanced_sum(ids, add)

    for n in graph.nodes:
        if n.op == "var":
            shape, flat = point[n.name]
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
                                         _Emitter(op, const))
        elif kind == "":
            out = [op(n.op, [c[pick(s, k)] for s, c in ins]) for k in range(size(shape))]
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
            terms = [op("bce_with_logits", [z[pick(sz, k)], y[pick(sy, k)]])
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
                out = [op("mul", [a[pick(sa, k)], c[pick(sb, k)]])
                       for k in range(size(shape))]
            else:
                rows, inner, cols, ia, ib = matmul_index(sa, sb)
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


def tensor_info(graph: Graph, sc: Scalarized, values: Sequence[float],
                 grads: Sequence[float], wrt: Sequence[str], detached: set[int],
                 auto: Any) -> dict[str, Any]:
    """``extras["tensor"]``: shapes, components, the L = sum(y) reduction, detached nodes."""
    out0 = graph.outputs[0]
    tnodes = auto.nodes if auto is not None else None
    info: dict[str, Any] = {
        "variables": {n.name: {"shape": list(sc.shapes[n.id]), "components": sc.names(n.id)}
                      for n in graph.nodes if n.op == "var"},
        "shapes": {n.name: list(sc.shapes[n.id]) for n in graph.nodes},
        "component_nodes": len(sc.graph.nodes),
        "detached": [graph.nodes[d].name for d in sorted(detached)],
        "reduction": None if sc.reduced is None else {
            "output": graph.nodes[out0].name, "name": sc.reduced,
            "value": values[sc.graph.outputs[0]],
            "vjp": [1.0] * size(sc.shapes[out0]),
            "why": _("{y} is not a scalar: differentiate {L} = sum({y}); torch runs "
                     "{y}.backward(gradient=torch.ones({n})), the vector-Jacobian product "
                     "1ᵀ·J, which is ∂{L}/∂x").format(y=graph.nodes[out0].name, L=sc.reduced,
                                                      n=size(sc.shapes[out0]))},
        "gradient": {v: sc.shaped(graph[v].id, grads) for v in wrt},
        "autograd_gradient": None if auto is None else dict(auto.gradient),
        "output_grad_fn": None if tnodes is None else tnodes[out0].grad_fn,
    }
    if sc.reduced is not None:
        info["reduction"]["jacobians"] = output_jacobians(graph, sc, values, wrt)
        if tnodes is not None:
            info["reduction"]["output_grad_fn"] = tnodes[out0].grad_fn
    return info


#: Jacobians of a vector output are computed up to this many entries (m reverse passes)
JACOBIAN_ENTRIES = 10_000


def output_jacobians(graph: Graph, sc: Scalarized, values: Sequence[float],
                     wrt: Sequence[str]) -> dict[str, Any]:
    """For a vector output ``y``: the Jacobian ∂y/∂v of each variable (one float reverse pass
    per component of ``y``, on the component graph before ``L = sum(y)``), its structure
    (zero, diagonal, dense), and the vector-Jacobian product with the ones seed, which is
    ∂L/∂v, the gradient shown.

    >>> from diffexplain.core.parsing import parse
    >>> g = parse("x*x")
    >>> sc = scalarize(g, {"x": ((3,), [1.0, 2.0, 3.0])})
    >>> from diffexplain.methods.numeric import forward
    >>> j = output_jacobians(g, sc, forward(sc.graph, sc.point), ["x"])["x"]
    >>> j["structure"], j["diagonal"], j["vjp"]
    ('diagonal', [2.0, 4.0, 6.0], [2.0, 4.0, 6.0])
    """
    from diffexplain.methods.numeric import reverse

    out0 = graph.outputs[0]
    ys = sc.components[out0]
    part = sc.unreduced([out0])
    vals = list(values[:len(part.nodes)])
    result: dict[str, Any] = {}
    cols = {v: sc.components[graph[v].id] for v in wrt}
    if len(ys) * sum(len(c) for c in cols.values()) > JACOBIAN_ENTRIES:  # stated, not run
        return {v: {"output": graph.nodes[out0].name, "shape": [len(ys), len(comps)],
                    "structure": None, "limit": JACOBIAN_ENTRIES} for v, comps in cols.items()}
    rows = [reverse(part, vals, {y: 1.0}) for y in ys]
    for v, comps in cols.items():
        mat = [[row[c] if c < len(row) else 0.0 for c in comps] for row in rows]
        m, n = len(mat), len(comps)
        if all(x == 0.0 for r in mat for x in r):
            structure = "zero"
        elif m == n and all(mat[i][k] == 0.0 for i in range(m) for k in range(n) if i != k):
            structure = "diagonal"
        else:
            structure = "dense"
        result[v] = {
            "output": graph.nodes[out0].name, "shape": [m, n], "structure": structure,
            "matrix": mat, "diagonal": [mat[i][i] for i in range(m)]
            if structure == "diagonal" else None,
            "seed": [1.0] * m,
            "vjp": unflatten(sc.shapes[graph[v].id],
                             [fsum(mat[i][k] for i in range(m)) for k in range(n)]),
        }
    return result
