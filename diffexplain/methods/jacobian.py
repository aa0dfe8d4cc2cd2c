"""The Jacobian of a graph's outputs, three ways: forward mode (a column per pass), reverse
mode (a row per pass), and the witnesses sympy (small graphs) and
``torch.autograd.functional.jacobian``. The traces themselves are :mod:`diffexplain.methods.modes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.core.graph import Graph, Node, op_table
from diffexplain.core.interpret import evaluate
from diffexplain.limits import DEFAULT_LIMITS, Limits
from diffexplain.methods.modes import trace

__all__ = ["Jacobian", "jacobian"]


@dataclass(frozen=True)
class Jacobian:
    """∂outputs/∂inputs computed four ways; ``None`` where a method was not run."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    forward: tuple[tuple[float, ...], ...]
    reverse: tuple[tuple[float, ...], ...]
    symbolic: tuple[tuple[str, ...], ...] | None
    symbolic_value: tuple[tuple[float, ...], ...] | None
    torch: tuple[tuple[float, ...], ...] | None
    forward_passes: int
    reverse_passes: int

    @property
    def agree(self) -> bool:
        mats = [m for m in (self.reverse, self.symbolic_value, self.torch) if m is not None]
        from diffexplain.methods.tolerance import close

        return all(close(a, b) for m in mats for ra, rb in zip(self.forward, m) for a, b in zip(ra, rb))

    def to_text(self) -> str:
        from diffexplain.render.tracetables import jacobian_text

        return jacobian_text(self)

    def to_latex(self) -> str:
        from diffexplain.render.tracetables import jacobian_latex

        return jacobian_latex(self)

    def to_markdown(self) -> str:
        from diffexplain.render.tracetables import jacobian_markdown

        return jacobian_markdown(self)

    def to_dict(self) -> dict[str, Any]:
        from diffexplain.render.tracetables import jacobian_dict

        return jacobian_dict(self)


def _torch_jacobian(graph: Graph, point: Mapping[str, float], inputs: Sequence[str]
                    ) -> list[list[float]]:
    import torch

    dt = torch.float64

    def f(*xs: Any) -> Any:
        given = dict(zip(inputs, xs))

        def leaf(n: Node) -> Any:
            if n.op == "var":
                return given.get(n.name, torch.tensor(float(point[n.name]), dtype=dt))
            return torch.tensor(float(n.value or 0.0), dtype=dt)

        env = evaluate(graph, leaf, lambda n, args: op_table(n.op).torch(torch, *args))
        return torch.stack([torch.as_tensor(env[o], dtype=dt).reshape(()) for o in graph.outputs])

    xs = tuple(torch.tensor(float(point[v]), dtype=dt) for v in inputs)
    jac = torch.autograd.functional.jacobian(f, xs)
    return [[float(jac[k][j]) for k in range(len(inputs))] for j in range(len(graph.outputs))]


def _tidy(sp: Any, expr: Any) -> Any:
    # full simplify (trigsimp) can take seconds on mid-sized expressions: small ones only
    return sp.simplify(expr) if sp.count_ops(expr) <= 12 else sp.factor_terms(expr)


def _symbolic(graph: Graph, point: Mapping[str, float], inputs: Sequence[str]
              ) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[float, ...], ...]]:
    """sympy's Jacobian and its values: run in the bounded worker (closed forms can swell)."""
    import sympy as sp

    from diffexplain.core.printing import text as p_text

    full = evaluate(graph, graph.symbol, lambda n, args: op_table(n.op).sympy(sp, *args))
    subs = {graph.symbol(graph[v].id): point[v] for v in graph.variables}
    exprs = [[_tidy(sp, sp.diff(full[o], graph.symbol(graph[v].id))) for v in inputs]
             for o in graph.outputs]
    return (tuple(tuple(p_text(e) for e in row) for row in exprs),
            tuple(tuple(float(e.evalf(subs=subs)) for e in row) for row in exprs))


def jacobian(graph: Graph, point: Mapping[str, float], wrt: Sequence[str] | None = None,
             use_torch: bool = True, symbolic_nodes: int = 60,
             limits: Limits | None = None) -> Jacobian:
    """The Jacobian by forward mode (a column per pass) and reverse mode (a row per pass).

    Witnesses: the symbolic Jacobian (sympy, graphs up to ``symbolic_nodes`` nodes, or
    ``limits.closed_form_nodes``; in the symbolic worker under ``limits``' time budget and
    memory ceiling) and ``torch.autograd.functional.jacobian`` over the same nodes.

    >>> from diffexplain.core.parsing import parse
    >>> g = parse("y0 = (x+w)*(w+1); y1 = (x+w)+(w+1)", outputs=["y0", "y1"])
    >>> jacobian(g, {"w": 1, "x": 2}, use_torch=False).reverse
    ((5.0, 2.0), (2.0, 1.0))
    """
    fw = trace(graph, point, "forward", wrt)
    rv = trace(graph, point, "reverse", wrt)
    inputs, outputs = fw.inputs, fw.outputs
    j_fw = tuple(tuple(fw.passes[k].result[o] for k in range(len(inputs))) for o in outputs)
    j_rv = tuple(tuple(p.result[v] for v in inputs) for p in rv.passes)
    sym = sym_val = None
    if len(graph.nodes) <= (symbolic_nodes if limits is None else limits.closed_form_nodes):
        import sympy  # noqa: F401 - imported before the fork, so the worker inherits it

        from diffexplain.i18n import _
        from diffexplain.methods.sandbox import run_bounded

        sym, sym_val = run_bounded(_symbolic, (graph, point, inputs), limits or DEFAULT_LIMITS,
                                   _("the symbolic Jacobian (sympy)"))
    tj = None
    if use_torch and inputs:  # no input: no column, which torch.autograd.functional refuses
        tj = tuple(tuple(r) for r in _torch_jacobian(graph, point, inputs))
    return Jacobian(inputs, outputs, j_fw, j_rv, sym, sym_val, tj, len(inputs), len(outputs))
