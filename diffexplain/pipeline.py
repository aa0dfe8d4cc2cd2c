"""``explain()``: the one function that runs every stage, in order, once, for every input.

text, sympy or a traced function → graph → point → (vectors: the component graph,
:mod:`~diffexplain.methods.components`) → symbolic / autograd / numeric (each one
loop over the same nodes) → :func:`~diffexplain.compare.compare` → lessons →
:class:`~diffexplain.model.Explanation`, which keeps its graph. Scalars, vectors,
matrices, programs and traced functions take the same path: the symbolic and
numeric sides run on the scalar graph (the graph itself, or its components), torch
on the graph itself (real vector tensors). Nothing after parsing reads the text.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from diffexplain.compare import compare
from diffexplain.core.constant_graph import with_named_variables
from diffexplain.core.graph import Graph, op_table
from diffexplain.core.parsing import parse
from diffexplain.core.points import parse_point, point_names, resolve_point, resolve_values, resolve_wrt
from diffexplain.core.printing import fmt_number
from diffexplain.core.shapes import flatten, needs_tensors, unflatten
from diffexplain.core.sympy_import import from_sympy
from diffexplain.errors import InputError
from diffexplain.i18n import _, localized
from diffexplain.limits import DEFAULT_LIMITS, Limits
from diffexplain.methods import numeric, symbolic
from diffexplain.model import Explanation, NodeInfo

if TYPE_CHECKING:  # scalars never load the component graph's module
    from diffexplain.methods.components import Scalarized

__all__ = ["build_graph", "explain", "explain_recorded", "point_names", "resolve_point",
           "resolve_values", "resolve_wrt", "trace"]

DTYPES = ("float64", "float32")


def build_graph(expr: Any, outputs: Sequence[str] | None = None,
                limits: Limits = DEFAULT_LIMITS) -> Graph:
    """A graph from text, a sympy expression, or an existing graph."""
    if isinstance(expr, Graph):
        return expr
    if isinstance(expr, str):
        return parse(expr, limits, outputs)
    if type(expr).__module__.startswith("sympy"):
        return from_sympy(expr, limits)
    raise InputError(_("cannot explain a {type}: give a string, a sympy expression or a "
                       "Graph").format(type=type(expr).__name__))


_F = TypeVar("_F", bound=Callable[..., Any])


def _without_gc(f: _F) -> _F:
    """Pause the cyclic garbage collector for one call.

    A 100,000-node graph allocates a few hundred thousand small objects that are
    all alive until the explanation is built, so each generational collection
    re-walks all of them for nothing (a third of the time on big graphs).
    Reference counting still frees everything; cycles are collected afterwards.
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not gc.isenabled():
            return f(*args, **kwargs)
        gc.disable()
        try:
            return f(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper  # type: ignore[return-value]


@localized
@_without_gc
def explain(expr: Any, at: Mapping[str, Any] | str | None = None, *,
            wrt: Sequence[str] | str | None = None, outputs: Sequence[str] | None = None,
            weights: Sequence[float] | None = None, dtype: str = "float64",
            autograd: bool = True, numeric_check: bool = True,
            limits: Limits | None = None, allow_nonfinite: bool = False,
            step: float | None = None, order: int = 1, hessian: bool = False,
            backward: int | None = None, zero_grad: bool = False,
            retain_graph: bool | int = False, rebuild: bool = False,
            inplace: Mapping[str, float] | str | None = None, tensors: bool = False,
            limit_table: bool | int = False, lang: str | None = None,
            closed_form: str = "named") -> Explanation:
    """Differentiate ``expr`` at ``at`` symbolically, with torch, and by finite differences.

    Args:
        expr: text (``"(x+w)*(w+1)"`` or ``"a = x + w; b = w + 1; y = a*b"``), a sympy
            expression, a :class:`~diffexplain.core.graph.Graph`, or a torch tensor computed
            under :func:`diffexplain.record` (its recorded graph, point and names).
        at: the point, ``{"w": 1, "x": 2}`` or ``"w=1,x=2"``.
        wrt: variables to differentiate by (default: every variable).
        outputs: names of several outputs of a program, differentiated as their
            weighted sum (``weights``, default all 1), as ``backward(gradient=…)`` does.
        dtype: ``"float64"`` or ``"float32"``, for torch and the finite differences.
        autograd: run torch (``False`` never imports it).
        numeric_check: run the finite-difference witness.
        limits: size, depth and time bounds (:class:`~diffexplain.limits.Limits`).
        step: the finite-difference step h (default ∛eps·max(1, |x|)).
        lang: the language of the prose (rules, reasons, verdict, notes): ``"en"`` or
            ``"zh"``; default: the locale's (``LC_ALL``/``LC_MESSAGES``/``LANG``).
        closed_form: ``"named"`` writes closed forms in the learner's functions (σ(x)(1 − σ(x)));
            ``"exp"`` writes σ, softplus and relu through exp, log and max.

    The autograd lessons (each stored in ``extras`` and shown by every renderer; see
    :func:`diffexplain.lessons.collect`): ``order`` (N-th derivatives, torch's
    ``create_graph`` chain), ``hessian``, ``backward`` passes with ``zero_grad``,
    ``retain_graph`` (bool, or on the first k passes) and ``rebuild``, ``inplace``
    updates (``{"w": 1}`` or ``"w+=1"``), ``tensors`` (leaves, retain_grad and saved
    tensors) and ``limit_table`` (difference quotients over shrinking h; an int sets
    the number of decades). ``expr`` may also be a list of expressions: several
    outputs, weighted by ``weights``.

    Returns:
        An :class:`~diffexplain.model.Explanation`.

    Raises:
        InputError: bad text or values (exit code 2 in the CLI).
        LimitExceeded: the input is over a limit (exit code 3).

    Examples:
        >>> e = explain("(x+w)*(w+1)", at={"w": 1, "x": 2})
        >>> e.gradient
        {'w': 5.0, 'x': 2.0}
        >>> [line.text for line in e.derivations["w"].lines][1:3]
        ['b·1 + a·1', 'b + a']
    """
    limits = limits or DEFAULT_LIMITS
    if closed_form not in symbolic.CLOSED_FORMS:
        raise InputError(_("closed form {name!r}: use one of {names}").format(
            name=closed_form, names=", ".join(symbolic.CLOSED_FORMS)))
    if type(expr).__module__.startswith("torch"):  # a tensor recorded under dx.record()
        from diffexplain.core.recorded import tensor_graph

        return explain_recorded(tensor_graph(expr, limits), at=at, wrt=wrt, dtype=dtype,
                                autograd=autograd, numeric_check=numeric_check, limits=limits,
                                step=step, hessian=hessian, tensors=tensors, lang=lang)
    if dtype not in DTYPES:
        raise InputError(_("unknown dtype {dtype!r}; choose float64 or float32").format(dtype=dtype))
    if isinstance(expr, (list, tuple)):
        from diffexplain.lessons.outputs import join_expressions

        expr, outputs = join_expressions(expr, limits)
    elif (isinstance(expr, str) and outputs is None and weights is not None
          and len(weights) > 1):
        from diffexplain.lessons.outputs import last_statements

        outputs = last_statements(expr, len(weights), limits)
    graph = build_graph(expr, outputs, limits)
    if isinstance(at, str):
        at = parse_point(at, allow_nonfinite=allow_nonfinite, limits=limits)
    graph = with_named_variables(graph, at, wrt, limits)  # "5": nothing to differentiate, or d5/dx = 0
    return _explain(graph, at, expression=expr if isinstance(expr, str) else str(expr), wrt=wrt,
                    weights=weights, dtype=dtype, autograd=autograd,
                    numeric_check=numeric_check, limits=limits,
                    allow_nonfinite=allow_nonfinite, step=step, order=order, hessian=hessian,
                    backward=backward, zero_grad=zero_grad, retain_graph=retain_graph,
                    rebuild=rebuild, inplace=inplace, tensors=tensors, limit_table=limit_table,
                    closed_form=closed_form)


def input_kind(graph: Graph, at: Mapping[str, Any] | None) -> str:
    """``"vector"`` when a value is a vector or matrix or the graph has a tensor operation
    (``dot``, ``sum``, ``@``, ``detach``, …): its symbolic and numeric sides run on the
    component graph; ``"scalar"`` otherwise. Every option works on both."""
    return "vector" if needs_tensors(graph, at) else "scalar"


def _explain(graph: Graph, at: Mapping[str, Any] | None, *, expression: str,
             wrt: Sequence[str] | str | None, weights: Sequence[float] | None, dtype: str,
             autograd: bool, numeric_check: bool, limits: Limits, allow_nonfinite: bool,
             step: float | None = None, order: int = 1, hessian: bool = False,
             backward: int | None = None, zero_grad: bool = False,
             retain_graph: bool | int = False, rebuild: bool = False,
             inplace: Mapping[str, float] | str | None = None, tensors: bool = False,
             limit_table: bool | int = False,
             extras: Mapping[str, Any] | None = None,
             closed_form: str = "named") -> Explanation:
    """Every stage, once, for a graph and its point (see the module docstring)."""
    if not graph.variables:  # a constant: every option would have nothing to work on
        raise InputError(_("nothing to differentiate: the expression has no variables "
                           "(it is the constant {value})").format(
                               value=fmt_number(numeric.forward(graph, {})[graph.outputs[0]])))
    kind = input_kind(graph, at)
    values_at = resolve_values(graph, at, allow_nonfinite) if kind == "vector" else None
    point = resolve_point(graph, at, allow_nonfinite) if values_at is None else {
        k: unflatten(*v) for k, v in values_at.items()}
    wrt = resolve_wrt(graph, wrt)
    outs = list(graph.outputs)
    if weights is not None and len(weights) != len(outs):
        raise InputError(_("{weights} weight(s) for {outputs} output(s)").format(
            weights=len(weights), outputs=len(outs)))
    seeds = {o: float(w) for o, w in zip(outs, weights)} if weights is not None else {
        o: 1.0 for o in outs}
    from diffexplain import lessons

    lessons.validate(graph, autograd=autograd, order=order, backward=backward,
                     inplace=inplace, tensors=tensors, hessian=hessian, limits=limits,
                     step=step, limit_table=limit_table)
    # the scalar graph the symbolic and numeric sides run on: the graph, or its components
    sc: Scalarized | None = None
    cg, cpoint, cwrt, cseeds = graph, point, list(wrt), seeds
    if values_at is not None:
        from diffexplain.methods.components import scalarize

        sc = scalarize(graph, values_at, limits)
        graph = Graph(tuple(replace(n, shape=sc.shapes[n.id]) for n in graph.nodes),
                      graph.outputs, graph.source)
        cg, cpoint = sc.graph, sc.point
        cwrt = [c for v in wrt for c in sc.names(graph[v].id)]
        cseeds = dict(zip(cg.outputs, seeds.values()))
    if numeric_check:  # a dense Jacobian costs n² probes: refuse before any work
        numeric.check_cost(cg, cwrt, limits)
    if order > 1 or hessian:  # the sympy closed forms are bounded: refuse before the work
        from diffexplain.lessons.higher import check_sizes

        check_sizes(cg, limits, order, hessian)
    values = numeric.forward(cg, cpoint)
    weighted = len(seeds) > 1 or any(w != 1 for w in seeds.values())
    # a weighted sum is derived per output (below); its totals come from the adjoints
    sym = symbolic.derive(cg, cpoint, values, cwrt, cseeds,
                          limits.with_(closed_form_nodes=0) if weighted else limits,
                          closed_form=closed_form)
    derivations = sym.derivations
    extras = dict(extras or {})
    if weighted:
        derivations, extras["outputs"] = lessons.weighted(
            cg, cpoint, values, cwrt, cseeds, sym.derivations, limits, dtype, autograd)
    sym_values = {v: d.value for v, d in derivations.items()}

    auto = auto_flat = None
    if autograd:  # torch runs the graph itself: vector nodes are real vector tensors
        from diffexplain.methods import autograd as ag

        auto = ag.run(graph, point, wrt, seeds, dtype, True if sc is None else set(wrt))
        auto_flat = dict(auto.gradient)
        if sc is not None:
            auto_flat = {}
            for v in wrt:
                comps, g = sc.names(graph[v].id), auto.gradient[v]
                flat = flatten(g, v)[1] if g is not None else [None] * len(comps)
                auto_flat.update(zip(comps, flat))
    diffs = None
    if numeric_check:
        base = values if dtype == "float64" else numeric.forward(cg, cpoint, dtype)
        diffs = numeric.central_differences(cg, cpoint, cwrt, cseeds, dtype, step, base=base)
    verdict = compare(cg, values, sym_values, auto_flat, diffs, dtype, float64_symbolic=sym_values,
                      witness=sym.exact)

    def shaped(nid: int, per_component: Sequence[Any]) -> Any:
        return per_component[nid] if sc is None else sc.shaped(nid, per_component)

    detach = {op for op in graph.ops if op_table(op).tensor == "detach"}
    nodes = []
    tnodes = auto.nodes if auto is not None else None
    names = [n.name for n in graph.nodes]
    kinds = {"var": "variable", "const": "constant"}
    grads = sym.grads
    for n in graph.nodes:  # one per node, on every explanation: kept lean
        t = tnodes[n.id] if tnodes is not None else None
        op, k = n.op, n.id
        nodes.append(NodeInfo(
            id=n.name, op=op, kind=kinds.get(op, "operation"), expr=graph.describe(n),
            inputs=tuple([names[i] for i in n.inputs]),
            value=values[k] if sc is None else shaped(k, values),
            grad=None if op == "const" or op in detach else (
                grads[k] if sc is None else shaped(k, grads)),
            output=k in seeds, shape=n.shape,
            grad_fn=t.grad_fn if t else None, is_leaf=t.is_leaf if t else None,
            requires_grad=t.requires_grad if t else None,
            retains_grad=t.retains_grad if t else None,
            autograd_grad=t.grad if t else None, saved=t.saved if t else ()))
    extras.update(lessons.collect(
        cg, cpoint, cwrt, cseeds, dtype, limits, sym_values, autograd=autograd, order=order,
        hessian=hessian, backward=backward, zero_grad=zero_grad, retain_graph=retain_graph,
        rebuild=rebuild, inplace=inplace, tensors=tensors, limit_table=limit_table,
        torch_side=(graph, point, wrt, seeds)))
    if sc is not None:
        from diffexplain.methods.components import tensor_info

        detached = {n.id for n in graph.nodes if n.op in detach}
        extras["tensor"] = tensor_info(graph, sc, values, sym.grads, wrt, detached, auto)
        from diffexplain.methods.vectorform import build as vector_form

        extras["vector_form"] = vector_form(graph, sc, wrt, seeds, sym, limits)
    edges = tuple((names[a], names[b]) for a, b in graph.edges())
    if sc is not None:  # what the gradients of a vector input show (lessons.structure)
        extras.update(lessons.shows(graph, nodes, wrt, verdict, sc, dtype, seeds, extras["tensor"]))
    return Explanation(
        expression=expression or graph.source, point=point,
        outputs=tuple(names[o] for o in outs), weights=tuple(seeds[o] for o in outs),
        value=shaped(outs[0], values), wrt=tuple(wrt), derivations=derivations,
        adjoints=sym.adjoints, nodes=tuple(nodes), edges=edges, verdict=verdict, dtype=dtype,
        autograd=auto, numeric_steps={v: d.step for v, d in (diffs or {}).items()},
        extras=extras, graph=graph, components=sc)


@localized
def trace(f: Callable[..., Any], at: Mapping[str, Any] | str, *,
          wrt: Sequence[str] | str | None = None, dtype: str = "float64",
          autograd: bool = True, numeric_check: bool = True,
          limits: Limits | None = None, lang: str | None = None) -> Explanation:
    """Run ``f`` on traced inputs, build the graph of the path taken, and explain it.

    Args:
        f: a Python function of its inputs (positional parameters named like the point).
            It may use arithmetic, comparisons, ``if``/``while``, ``abs()``, ``.sum()``,
            ``.norm()``, ``.detach()``, ``@`` and :data:`~diffexplain.core.tracing.fn`.
        at: the inputs, ``{"a": 10}`` or ``"a=10"``; vectors as lists.
        lang: the language of the explanation's prose (``"en"``, ``"zh"``; default: the
            locale's).

    The explanation's ``extras["trace"]`` holds the decisions and what torch computed
    when running ``f`` itself on tensors.

    >>> def f(a):
    ...     b = a * 2
    ...     while b.norm() < 1000:
    ...         b = b * 2
    ...     return b if b.sum() > 0 else 100 * b
    >>> trace(f, {"a": 10}).gradient
    {'a': 128.0}
    """
    from diffexplain.core.tracing import record

    limits = limits or DEFAULT_LIMITS
    if dtype not in DTYPES:
        raise InputError(_("unknown dtype {dtype!r}; choose float64 or float32").format(dtype=dtype))
    rec = record(f, at, wrt=wrt, dtype=dtype, autograd=autograd, limits=limits)
    return _explain(rec.graph, rec.point, expression=rec.expression, wrt=rec.wrt, weights=None,
                    dtype=dtype, autograd=autograd, numeric_check=numeric_check, limits=limits,
                    allow_nonfinite=False, extras={"trace": rec.info})


def explain_recorded(r: Any, *, at: Mapping[str, Any] | str | None = None,
                     wrt: Sequence[str] | str | None = None, **kwargs: Any) -> Explanation:
    """:func:`explain` of recorded PyTorch code (:class:`~diffexplain.core.recorded.Recorded`):
    its graph, point, variables, weights and derivative order; the record (source lines,
    opaque calls) is kept in ``extras["recording"]``."""
    from dataclasses import replace

    kwargs.setdefault("order", r.order)
    e = explain(r.graph, r.point if at is None else at, wrt=wrt or list(r.wrt),
                weights=list(r.weights) if r.weights else None, **kwargs)
    return replace(e, expression=r.info.get("expression") or e.expression,
                   extras={**e.extras, "recording": r.info})
