"""Higher-order derivatives and Hessians: sympy's N-th derivative next to torch's chain.

Torch differentiates a derivative only if the first ``autograd.grad`` was asked to
record one (``create_graph=True``): the first-order result is then itself a tensor
with a ``grad_fn`` (``MulBackward0`` for ``x**2``, ``AddBackward0`` for ``x*x``), and
differentiating it again gives the second derivative. Both sides run on the same
graph; the results are plain dicts so they sit in ``Explanation.extras`` and every
renderer can show them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.core.graph import Graph, op_table
from diffexplain.core.printing import fmt_number
from diffexplain.core.printing import latex as p_latex
from diffexplain.core.printing import text as p_text
from diffexplain.errors import LimitExceeded
from diffexplain.i18n import N_, _
from diffexplain.lessons.why import grad_fn_reason
from diffexplain.limits import DEFAULT_LIMITS, Limits, check_order
from diffexplain.methods import exact, identity

__all__ = ["check_sizes", "hessian", "higher_order"]

#: sympy ``simplify`` is tried only on derivatives up to this many operations
_SIMPLIFY_OPS = 30


_ORDER_TOO_BIG = N_("higher-order derivatives are built symbolically for graphs of at most "
                    "{limit} nodes; this one has {nodes}")
_HESSIAN_TOO_BIG = N_("the symbolic Hessian is built for graphs of at most {limit} nodes; "
                      "this one has {nodes}")


def check_sizes(graph: Graph, limits: Limits, order: int, hessian: bool) -> None:
    """The size limits of ``order`` and ``hessian``, checked by the pipeline before any work."""
    if order > 1:
        _check_size(graph, limits, _(_ORDER_TOO_BIG))
    if hessian:
        _check_size(graph, limits, _(_HESSIAN_TOO_BIG))


def _check_size(graph: Graph, limits: Limits, message: str) -> None:
    """Both sympy paths (N-th derivatives, Hessian) build closed forms: small graphs only."""
    if len(graph.nodes) > limits.closed_form_nodes:
        raise LimitExceeded(message.format(limit=limits.closed_form_nodes, nodes=len(graph.nodes)),
                            _("raise it with limits=Limits(closed_form_nodes=…)"))


def _objective_sympy(graph: Graph, seeds: Mapping[int, float]) -> Any:
    """The (weighted) output as one sympy expression in the variables."""
    import sympy as sp

    full: list[Any] = []
    for n in graph.nodes:
        if n.is_leaf:
            full.append(graph.symbol(n))
        else:
            full.append(op_table(n.op).sympy(sp, *(full[i] for i in n.inputs)))
    return sp.Add(*(sp.nsimplify(w) * full[o] if w != 1 else full[o] for o, w in seeds.items()))


def _tidy(expr: Any) -> Any:
    import sympy as sp

    cands = [expr, sp.factor_terms(expr)]
    if sp.count_ops(expr) <= _SIMPLIFY_OPS:
        cands.append(sp.simplify(expr))
    return min(cands, key=sp.count_ops)


def _point(graph: Graph, point: Mapping[str, float]) -> dict[Any, float]:
    return {graph.symbol(n): float(point[n.name]) for n in graph.nodes if n.op == "var"}


def _objective_torch(torch: Any, tens: Sequence[Any], seeds: Mapping[int, float]) -> Any:
    terms = [tens[o] * w if w != 1 else tens[o] for o, w in seeds.items()]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _lhs(y: str, v: str, k: int) -> str:
    if k == 1:
        return f"d{y}/d{v}"
    sup = str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"d{sup}{y}/d{v}{sup}"


def higher_order(graph: Graph, point: Mapping[str, float], wrt: Sequence[str], order: int,
                 seeds: Mapping[int, float] | None = None, dtype: str = "float64",
                 limits: Limits = DEFAULT_LIMITS, autograd: bool = True) -> dict[str, Any]:
    """Derivatives of orders 1..``order`` for each variable, by sympy and by torch.

    Torch's side is ``g = autograd.grad(g, x, create_graph=True)`` repeated; the last
    call leaves ``create_graph`` off, as one does when nothing differentiates it further,
    so its result has no ``grad_fn``.

    >>> from diffexplain import parse
    >>> r = higher_order(parse("x**2"), {"x": 3}, ["x"], 2)
    >>> [(s["symbolic"], s["value"], s["autograd"], s["grad_fn"]) for s in r["x"]["orders"]]
    [('2x', 6.0, 6.0, 'MulBackward0'), ('2', 2.0, 2.0, None)]
    """
    check_order(order, limits)
    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    _check_size(graph, limits, _(_ORDER_TOO_BIG))
    result: dict[str, Any] = _bounded(_orders_sympy, (graph, point, wrt, order, seeds, limits),
                                      limits, _("the higher-order derivatives (sympy)"),
                                      _("lower --order or raise --symbolic-seconds"))
    if autograd:
        _torch_chain(graph, point, wrt, order, seeds, dtype, result)
    return result


def _orders_sympy(graph: Graph, point: Mapping[str, float], wrt: Sequence[str], order: int,
                  seeds: Mapping[int, float], limits: Limits) -> dict[str, Any]:
    """sympy's derivatives of orders 1..``order``: run in the bounded worker (they swell)."""
    import sympy as sp

    yname = graph.nodes[graph.outputs[0]].name if len(seeds) == 1 else "L"
    expr = _objective_sympy(graph, seeds)
    at = _point(graph, point)
    result: dict[str, Any] = {}
    start = time.monotonic()
    for v in wrt:
        sym = graph.symbol(graph[v].id)
        rows: list[dict[str, Any]] = []
        cur = expr
        for k in range(1, order + 1):
            spent = time.monotonic() - start
            if spent > limits.symbolic_seconds:
                raise LimitExceeded(
                    _("the symbolic derivatives took {spent} s by order {order} in {v} (limit "
                      "{limit} s): they grow with each order").format(
                          spent=f"{spent:.2g}", order=k, v=v, limit=f"{limits.symbolic_seconds:g}"),
                    _("lower --order or raise --symbolic-seconds"))
            prev = cur
            cur = _tidy(sp.diff(cur, sym))
            check = identity.check_equal(cur, sp.diff(prev, sym), at, f"order {k}")
            rows.append({"order": k, "lhs": _lhs(yname, v, k), "symbolic": p_text(cur),
                         "latex": p_latex(cur), "of": p_text(prev),
                         "value": exact.evaluate(cur, at).value, "check": check,
                         "autograd": None, "grad_fn": None, "requires_grad": None,
                         "create_graph": None, "note": ""})
        result[v] = {"orders": rows}
    return result


def _bounded(fn: Any, args: tuple[Any, ...], limits: Limits, what: str, hint: str = "") -> Any:
    """sympy's side under the symbolic worker's time budget and memory ceiling (exit 3)."""
    import sympy  # noqa: F401 - imported before the fork, so the worker inherits it

    from diffexplain.methods.sandbox import run_bounded

    return run_bounded(fn, args, limits, what, hint)


def _torch_chain(graph: Graph, point: Mapping[str, float], wrt: Sequence[str], order: int,
                 seeds: Mapping[int, float], dtype: str, result: dict[str, Any]) -> None:
    import torch

    from diffexplain.methods.autograd import execute

    yname = graph.nodes[next(iter(seeds))].name if len(seeds) == 1 else "L"
    for v in wrt:
        tens = execute(graph, point, dtype)
        x = tens[graph[v].id]
        g = _objective_torch(torch, tens, seeds)
        for row in result[v]["orders"]:
            k = row["order"]
            create = k < order
            if not (isinstance(g, torch.Tensor) and g.requires_grad):
                row["autograd"] = 0.0
                row["note"] = _("the order-{order} result has no grad_fn (it does not depend on "
                                "{v}), so torch has nothing left to differentiate: 0").format(
                                    order=k - 1, v=v)
                g = torch.zeros((), dtype=getattr(torch, dtype))
                continue
            (d,) = torch.autograd.grad(g, x, create_graph=create, allow_unused=True)
            if d is None:
                d = torch.zeros((), dtype=getattr(torch, dtype))
                row["note"] = _("torch: the order-{order} result does not depend on {v}").format(
                    order=k - 1, v=v)
            row["autograd"] = float(d.detach())
            row["grad_fn"] = type(d.grad_fn).__name__ if d.grad_fn is not None else None
            if k == 1:  # x*x gives AddBackward0, x**2 MulBackward0: say why, from the graph
                row["note"] = row["note"] or grad_fn_reason(graph, v, row["grad_fn"])
            row["requires_grad"] = bool(d.requires_grad)
            row["create_graph"] = create
            row["code"] = (f"d{k}, = torch.autograd.grad({yname if k == 1 else f'd{k - 1}'}, "
                           f"{v}{', create_graph=True' if create else ''})")
            row["agree"] = _close(row["value"], row["autograd"], dtype)
            g = d


def _close(a: float, b: float, dtype: str) -> bool:
    from diffexplain.compare import close

    return close(a, b, dtype)  # the one tolerance policy


def hessian(graph: Graph, point: Mapping[str, float], wrt: Sequence[str],
            seeds: Mapping[int, float] | None = None, dtype: str = "float64",
            limits: Limits = DEFAULT_LIMITS, autograd: bool = True) -> dict[str, Any]:
    """The matrix of second partials ∂²y/∂u∂v, by sympy and by
    ``torch.autograd.functional.hessian`` on the same graph's nodes.

    >>> from diffexplain import parse
    >>> h = hessian(parse("x*x*w"), {"x": 3, "w": 2}, ["w", "x"])
    >>> h["symbolic_values"], h["autograd"]
    ([[0.0, 6.0], [6.0, 4.0]], [[0.0, 6.0], [6.0, 4.0]])
    """
    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    _check_size(graph, limits, _(_HESSIAN_TOO_BIG))
    out: dict[str, Any] = _bounded(_hessian_sympy, (graph, point, wrt, seeds), limits,
                                   _("the symbolic Hessian (sympy)"))
    if autograd and wrt:  # no variable: a 0×0 Hessian, which torch.autograd.functional refuses
        import torch

        from diffexplain.methods.autograd import execute

        dt = getattr(torch, dtype)
        inputs = tuple(torch.tensor(float(point[v]), dtype=dt) for v in wrt)

        def f(*ts: Any) -> Any:
            tens = execute(graph, point, dtype, leaves=dict(zip(wrt, ts)))
            return _objective_torch(torch, tens, seeds)

        h = torch.autograd.functional.hessian(f, inputs)
        out["autograd"] = [[float(h[i][j]) for j in range(len(wrt))] for i in range(len(wrt))]
        out["agree"] = all(_close(a, b, dtype) for ra, rb in
                           zip(out["symbolic_values"], out["autograd"]) for a, b in zip(ra, rb))
        out["code"] = (f"torch.autograd.functional.hessian(f, ({', '.join(wrt)}"
                       f"{',' if len(wrt) == 1 else ''}))")
    return out


def _hessian_sympy(graph: Graph, point: Mapping[str, float], wrt: Sequence[str],
                   seeds: Mapping[int, float]) -> dict[str, Any]:
    """sympy's second partials and their exact values: run in the bounded worker."""
    import sympy as sp

    expr = _objective_sympy(graph, seeds)
    at = _point(graph, point)
    syms = [graph.symbol(graph[v].id) for v in wrt]
    entries = [[_tidy(sp.diff(expr, a, b)) for b in syms] for a in syms]
    return {
        "variables": list(wrt),
        "symbolic": [[p_text(e) for e in row] for row in entries],
        "latex": [[p_latex(e) for e in row] for row in entries],
        "symbolic_values": [[exact.evaluate(e, at).value for e in row] for row in entries],
        "structure": _structure(sp, entries),
        "autograd": None, "agree": None,
    }


def _structure(sp: Any, entries: Sequence[Sequence[Any]]) -> dict[str, str] | None:
    """The Hessian by structure, from sympy's entries (not their values at the point):
    ``4·I`` for 2xᵀx, ``diag(…)`` for a sum of functions of one variable each, ``0`` for a
    linear function. ``None`` for a dense matrix or a single variable."""
    n = len(entries)
    if n < 2:
        return None
    off = all(entries[i][j] == 0 for i in range(n) for j in range(n) if i != j)
    if not off:
        return None
    diag = [entries[i][i] for i in range(n)]
    if all(d == 0 for d in diag):
        return {"kind": "zero", "text": "0", "latex": "0"}
    if all(sp.simplify(d - diag[0]) == 0 for d in diag[1:]):
        c, cl = p_text(diag[0]), p_latex(diag[0])
        one = diag[0] == 1
        return {"kind": "identity", "text": "I" if one else f"{c}·I",
                "latex": "I" if one else rf"{cl}\,I"}
    return {"kind": "diagonal", "text": "diag(" + ", ".join(p_text(d) for d in diag) + ")",
            "latex": r"\operatorname{diag}\left(" + ", ".join(p_latex(d) for d in diag)
            + r"\right)"}


def describe(values: Sequence[Sequence[float]]) -> str:
    """A matrix as one line: ``[[0, 6], [6, 4]]``."""
    return "[" + ", ".join("[" + ", ".join(fmt_number(x) for x in r) + "]" for r in values) + "]"
