"""Derivations written over the tensors the user named: ∇ₓ(2xᵀx) = 4x, not one per component.

For an input with vectors or matrices, the gradient of the objective with respect to each
variable is derived on the *tensor* graph, one vector-Jacobian product per edge
(:mod:`~diffexplain.methods.vjp_rules`), path by path, in matrix-calculus notation::

    ∇ₓy = (∂a/∂x)ᵀ·∂y/∂a     # chain rule over tensors
        = 2x·2               # ∂a/∂x = 2x; ∂y/∂a = 2
        = 4x                 # simplify
        = 4·[0, 1, 2, 3]     # substitute
        = [0, 4, 8, 12]      # evaluate

Verified (nothing is shown unchecked): the result is expanded into its components and each
entry is compared with the component graph's own derivative (sympy's derivative of the
component graph, :func:`~diffexplain.methods.identity.check_equal`) and, at the point, with
the component derivation's exact value. An operation with no vector rule, or a rule that
fails its check, leaves the vector form out with one line saying why; the component
derivations stand in.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from diffexplain.core.graph import Graph, op_table
from diffexplain.core.printing import fmt_number
from diffexplain.core.shapes import fmt_value
from diffexplain.errors import VerificationError
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits
from diffexplain.methods import tensor_expr as te
from diffexplain.methods.derivation_text import latex_name
from diffexplain.methods.vectorform_check import Components, evaluate_entries, verify
from diffexplain.methods.vectorform_model import (
    VectorDerivation,
    VectorForm,
    VectorLine,
    full_value,
    space,
)
from diffexplain.methods.vjp_rules import NoRule, definition, local, symbol

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.methods.components import Scalarized
    from diffexplain.methods.symbolic import SymbolicResult

__all__ = ["VectorDerivation", "VectorForm", "VectorLine", "build"]

#: component graphs with more nodes get no vector form (its check expands every entry)
VF_NODES = 5000
#: component graphs up to this size are derived in-process; bigger ones in a worker that is
#: stopped after min(Limits.symbolic_seconds, VF_SECONDS) (a dense Jacobian such as softmax's
#: makes the check O(n²))
VF_INLINE_NODES = 300
VF_SECONDS = 5.0
#: paths from a variable to the output written out; more leave the vector form out
MAX_PATHS = 8

_SUB = str.maketrans("aehijklmnoprstuvx0123456789", "ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₀₁₂₃₄₅₆₇₈₉")


def _nabla(name: str, obj: tuple[str, str], shape: Sequence[int]) -> tuple[str, str]:
    lat = te.tensor_latex(name, tuple(shape))
    if not shape:
        return f"∂{obj[0]}/∂{name}", rf"\frac{{\partial {obj[1]}}}{{\partial {lat}}}"
    low = name.translate(_SUB)
    sub = low if all(c != d for c, d in zip(low, name)) else f"_{name} "
    return f"∇{sub}{obj[0]}", rf"\nabla_{{{lat}}} {obj[1]}"


def _jac_name(graph: Graph, style: Mapping[str, te.Style]) -> Any:
    """``∂(xᵀx)/∂x``: the node written out where it has a tensor notation, else ``∂a/∂x``."""
    def name(fmt: str) -> Any:
        def f(out: str, inp: str) -> str:
            d = definition(graph, graph[out])
            top = te.show(d, style[fmt]) if d is not None else None
            if fmt == "latex":
                top = rf"\left({top}\right)" if top is not None else _lname(graph, out)
                return rf"\frac{{\partial {top}}}{{\partial {_lname(graph, inp)}}}"
            return f"∂({top})/∂{inp}" if top is not None else f"∂{out}/∂{inp}"
        return f
    return name


def _lname(graph: Graph, name: str) -> str:
    return te.tensor_latex(name, graph[name].shape) if name in graph else latex_name(name)


def build(graph: Graph, sc: Scalarized, wrt: Sequence[str], seeds: Mapping[int, float],
          sym: SymbolicResult, limits: Limits = DEFAULT_LIMITS) -> VectorForm:
    """The vector form of every variable in ``wrt``; see the module docstring."""
    if len(sc.graph.nodes) <= VF_INLINE_NODES:
        return _build_or_say_why(graph, sc, wrt, seeds, sym)
    import sympy  # noqa: F401 - imported before the fork, so the worker inherits it

    from diffexplain.methods.sandbox import MemoryLimit, Timeout, WorkerCrashed, run_with_budget

    seconds = min(limits.symbolic_seconds, VF_SECONDS)
    try:
        result: VectorForm = run_with_budget(_build_or_say_why, (graph, sc, wrt, seeds, sym),
                                             seconds, limits.symbolic_memory_mb)
        return result
    except (Timeout, WorkerCrashed, MemoryLimit):
        return VectorForm((), _shapes(graph), _("no vector form: its check did not finish "
                                                "within {seconds} s; the component derivations "
                                                "are shown instead").format(
                                                    seconds=f"{seconds:g}"))


def _shapes(graph: Graph) -> tuple[tuple[str, str], ...]:
    return tuple((f"{graph[v].name} ∈ {space(graph[v].shape)}",
                  f"{te.tensor_latex(v, graph[v].shape)} \\in {space(graph[v].shape, 'latex')}")
                 for v in graph.variables)


def _build_or_say_why(graph: Graph, sc: Scalarized, wrt: Sequence[str],
                      seeds: Mapping[int, float], sym: SymbolicResult) -> VectorForm:
    shapes = _shapes(graph)
    if len(sc.graph.nodes) > VF_NODES:
        return VectorForm((), shapes, _("no vector form: the component graph has {n} nodes, "
                                        "more than {limit}").format(n=len(sc.graph.nodes),
                                                                    limit=VF_NODES))
    try:
        return _build(graph, sc, wrt, seeds, sym, shapes)
    except NoRule as err:
        return VectorForm((), shapes, _("no vector form: {op} has no vector rule yet; the "
                                        "component derivations are shown instead").format(
                                            op=str(err)))
    except _TooManyPaths as err:
        return VectorForm((), shapes, _("no vector form: more than {n} paths from {name} to "
                                        "the output; the component derivations are shown "
                                        "instead").format(n=MAX_PATHS, name=str(err)))
    except VerificationError as err:
        return VectorForm((), shapes, _("no vector form: a vector rule failed its check "
                                        "against the component derivatives ({error}); the "
                                        "component derivations are shown instead").format(
                                            error=str(err)))
    except (ArithmeticError, TypeError, ValueError, NotImplementedError, RecursionError) as err:
        # a bug here must not cost the user the rest of the explanation: said, not hidden
        return VectorForm((), shapes, _("no vector form: internal error ({error}); please "
                                        "report it; the component derivations are shown "
                                        "instead").format(error=f"{type(err).__name__}: {err}"))


class _TooManyPaths(Exception):
    pass


@dataclass
class _Ctx:
    graph: Graph
    style: dict[str, te.Style]
    seeds: dict[int, te.TExpr]
    obj: tuple[str, str]  # the objective's name: text, LaTeX
    obj_is_output: bool  # the objective is the (scalar) output itself
    env: dict[Any, list[Any]] = field(default_factory=dict)
    values: dict[Any, str] = field(default_factory=dict)
    values_latex: dict[Any, str] = field(default_factory=dict)
    comp: Any = None  # the component graph in sympy (vectorform_check.Components)


def _objective(graph: Graph, sc: Scalarized, seeds: Mapping[int, float]) -> tuple[
        dict[int, te.TExpr], tuple[str, str], bool, list[tuple[str, str]]]:
    import sympy as sp

    outs = list(seeds)
    if len(outs) == 1 and seeds[outs[0]] == 1:
        o = graph.nodes[outs[0]]
        if not o.shape:
            return {o.id: te.Ew((), sp.Integer(1))}, (o.name, _lname(graph, o.name)), True, []
        return ({o.id: te.Ew(o.shape, sp.Integer(1))},
                (f"Σ{o.name}", rf"\sum {te.tensor_latex(o.name, o.shape)}"), False, [])
    w = {o: sp.Rational(Fraction(repr(float(seeds[o])))) for o in outs}
    name = sc.reduced or "L"
    terms = " + ".join(f"{fmt_number(seeds[o])}·{graph.nodes[o].name}" for o in outs)
    lterms = " + ".join(f"{fmt_number(seeds[o])} {_lname(graph, graph.nodes[o].name)}"
                        for o in outs)
    return ({o: te.Ew((), w[o]) for o in outs}, (name, latex_name(name)), False,
            [(f"{name} = {terms}", f"{latex_name(name)} = {lterms}")])


def _paths(graph: Graph, v: int, outs: set[int]) -> list[list[int]]:
    users = graph.users()
    found: list[list[int]] = []
    stack: list[list[int]] = [[v]]
    while stack:
        path = stack.pop()
        last = path[-1]
        if last in outs and len(path) > 1:
            found.append(path)
        for u in users[last]:
            if op_table(graph.nodes[u].op).tensor == "detach":
                continue  # no adjoint flows into a detached tensor
            stack.append([*path, u])
            if len(stack) + len(found) > 10 * MAX_PATHS:
                raise _TooManyPaths(graph.nodes[v].name)
    if len(found) > MAX_PATHS:
        raise _TooManyPaths(graph.nodes[v].name)
    return sorted(found)


def _build(graph: Graph, sc: Scalarized, wrt: Sequence[str], seeds: Mapping[int, float],
           sym: SymbolicResult, shapes: tuple[tuple[str, str], ...]) -> VectorForm:
    import sympy as sp

    seed_te, obj, obj_is_output, obj_where = _objective(graph, sc, seeds)
    tensors = {symbol(graph, n.id): n.shape for n in graph.nodes if n.op != "const"}
    ctx = _Ctx(graph, {f: te.Style(f, tensors) for f in ("text", "latex")}, seed_te, obj,
               obj_is_output)
    comp = Components(graph, sc)
    for n in graph.nodes:
        if n.op != "const":
            ctx.env[symbol(graph, n.id)] = [comp.local(c) for c in sc.components[n.id]]
    ctx.comp = comp
    # the checker's side: the component graph's own gradient of the objective
    objective = comp.gradient({c: seed_te[o].expr  # type: ignore[attr-defined]
                               for o in seeds for c in sc.components[o]})
    near = {sp.Symbol(k, real=True): v for k, v in sc.point.items()}
    node_values = _node_values(graph, sc, sym)
    for s, val in node_values.items():
        ctx.values[s] = fmt_value(val)
        ctx.values_latex[s] = fmt_value(val).replace("×", r"\times ")
    out = tuple(_derive(ctx, graph[v].id, sc, objective, near, sym, obj_where) for v in wrt)
    return VectorForm(out, shapes, "", obj[0])


def _node_values(graph: Graph, sc: Scalarized, sym: SymbolicResult) -> dict[Any, Any]:
    from diffexplain.methods.numeric import forward

    vals = forward(sc.graph, sc.point)
    return {symbol(graph, n.id): sc.shaped(n.id, vals) for n in graph.nodes if n.op != "const"}


def _derive(ctx: _Ctx, v: int, sc: Scalarized, objective: Any, near: Mapping[Any, float],
            sym: SymbolicResult, obj_where: list[tuple[str, str]]) -> VectorDerivation:
    import sympy as sp

    graph = ctx.graph
    vn = graph.nodes[v]
    lhs, lhs_latex = _nabla(vn.name, ctx.obj, vn.shape)
    paths = _paths(graph, v, set(ctx.seeds))
    jac = _jac_name(graph, ctx.style)
    chain_t, chain_l, rules_t, rules_l, notes = [], [], [], [], []
    total: te.TExpr | None = None
    for path in paths:
        ft, fl = _chain_factors(ctx, path)
        chain_t.append(ft)
        chain_l.append(fl)
        g: te.TExpr = ctx.seeds[path[-1]]
        seed_is_one = ctx.obj_is_output
        gt = {f: te.show(g, ctx.style[f]) for f in ("text", "latex")}
        comments: list[tuple[str, str]] = []
        for j in range(len(path) - 2, -1, -1):
            node, inp = graph.nodes[path[j + 1]], path[j]
            loc = local(graph, node, inp, lambda o, i: "")
            h = te.placeholder()
            held = loc.vjp(te.Ew(node.shape, h))
            for f in ("text", "latex"):
                if isinstance(held, te.Ew) and held.expr == h and held.shape == node.shape:
                    # ḡ passes unchanged (∂z/∂a = I)
                    continue
                if seed_is_one:
                    gt[f] = te.show(loc.vjp(g), ctx.style[f])
                else:
                    st = ctx.style[f]
                    shown = gt[f] if te._atomic(gt[f]) else te._paren(gt[f], f)
                    gt[f] = te.show(held, te.Style(f, {**st.tensors, h: node.shape},
                                                   held={h: shown}))
            seed_is_one = False
            g = loc.vjp(g)
            comments.append((local(graph, node, inp, jac("text")).jac("text"),
                             local(graph, node, inp, jac("latex")).jac("latex")))
        total = te.add(total, g)
        rules_t.append(gt["text"])
        rules_l.append(gt["latex"])
        for c in reversed(comments):
            if c not in notes:
                notes.append(c)
    if total is None:  # no path: the objective does not depend on v (or only through detach)
        total = te.Ew(vn.shape, sp.Integer(0))
    detached = _detached_on_the_way(graph, v)
    check, full = verify(graph, ctx.comp, ctx.env, total, v, objective, near)
    lines: list[VectorLine] = []
    if paths:
        chain_rule = _("chain rule over tensors")
        if detached:
            chain_rule += "; " + _("no gradient flows through {names} (detach: a constant)").format(
                names=", ".join(detached))
        lines.append(VectorLine(" + ".join(chain_t), " + ".join(chain_l), chain_rule, check))
        many = len(rules_t) > 1
        lines.append(VectorLine(
            " + ".join(r if not many or te._atomic(r) else f"({r})" for r in rules_t),
            " + ".join(r if not many or te._atomic(r) else rf"\left({r}\right)" for r in rules_l),
            "; ".join(t for t, _l in notes), check))
    simple = VectorLine(te.show(total, ctx.style["text"]), te.show(total, ctx.style["latex"]),
                        _("simplify"), check)
    _append(lines, simple)
    if any(s in ctx.values for s in _symbols(total)):
        sub = VectorLine(te.show(total, te.Style("text", ctx.style["text"].tensors, ctx.values)),
                         te.show(total, te.Style("latex", ctx.style["latex"].tensors,
                                                 ctx.values_latex)),
                         _("substitute") + _detached_values(ctx, total), check)
        _append(lines, sub)
    value, exact_check = evaluate_entries(graph, full, v, sc, sym, near)
    _append(lines, VectorLine(full_value(value), full_value(value, "latex"), _("evaluate"), exact_check))
    if not paths:
        lines.insert(0, VectorLine("0", "0", _("{objective} does not depend on {name}").format(
            objective=ctx.obj[0], name=vn.name), check))
    return VectorDerivation(vn.name, lhs, lhs_latex, vn.shape, tuple(lines), value,
                            tuple(obj_where) + _where(ctx, paths, total))


def _detached_values(ctx: _Ctx, total: te.TExpr) -> str:
    """`` u = [0, 1, 4, 9] (a constant: …)`` for each detached tensor the line substitutes."""
    graph = ctx.graph
    names = [s for s in sorted(_symbols(total), key=str) if str(s) in graph
             and not graph[str(s)].is_leaf and op_table(graph[str(s)].op).tensor == "detach"]
    return "".join(f" {s} = {ctx.values[s]} " + _("(a constant: detach stops the gradient)")
                   for s in names)


def _append(lines: list[VectorLine], line: VectorLine) -> None:
    if not lines or lines[-1].text != line.text:
        lines.append(line)


def _symbols(t: te.TExpr) -> set[Any]:
    if isinstance(t, te.Ew):
        out = set(t.expr.free_symbols) if hasattr(t.expr, "free_symbols") else set()
        for _p, sub in t.binds:
            out |= _symbols(sub)
        return out
    return set().union(*(_symbols(getattr(t, k)) for k in ("a", "b") if hasattr(t, k)))


def _chain_factors(ctx: _Ctx, path: list[int]) -> tuple[str, str]:
    """``(∂a/∂x)ᵀ·∂y/∂a`` for one path (Jacobians transposed, the output's gradient last)."""
    graph = ctx.graph
    ft, fl = [], []
    edges = list(itertools.pairwise(path))
    for k, (a, b) in enumerate(edges):
        na, nb = graph.nodes[a], graph.nodes[b]
        last = k == len(edges) - 1
        if last and ctx.obj_is_output:
            ft.append(f"∂{ctx.obj[0]}/∂{na.name}")
            fl.append(rf"\frac{{\partial {ctx.obj[1]}}}{{\partial {_lname(graph, na.name)}}}")
            continue
        t = "ᵀ" if na.shape or nb.shape else ""
        lt = r"^{\top}" if na.shape or nb.shape else ""
        ft.append(f"(∂{nb.name}/∂{na.name}){t}" if t else f"∂{nb.name}/∂{na.name}")
        fl.append(rf"\left(\frac{{\partial {_lname(graph, nb.name)}}}{{\partial "
                  rf"{_lname(graph, na.name)}}}\right){lt}")
    if not ctx.obj_is_output:
        o = graph.nodes[path[-1]]
        ft.append(f"∂{ctx.obj[0]}/∂{o.name}")
        fl.append(rf"\frac{{\partial {ctx.obj[1]}}}{{\partial {_lname(graph, o.name)}}}")
    return "·".join(ft), r" \cdot ".join(fl)


def _detached_on_the_way(graph: Graph, v: int) -> list[str]:
    reach = graph.depends_on(v)
    return [n.name for n in graph.nodes
            if not n.is_leaf and op_table(n.op).tensor == "detach" and reach[n.inputs[0]]]


def _where(ctx: _Ctx, paths: list[list[int]], total: te.TExpr) -> tuple[tuple[str, str], ...]:
    """Every intermediate the lines name, defined in tensor notation with its shape."""
    graph = ctx.graph
    names = {n for p in paths for n in p[1:]} | {
        graph[str(s)].id for s in _symbols(total) if str(s) in graph}
    todo = sorted(names)
    seen: set[int] = set()
    while todo:  # the definitions' own intermediates too
        nid = todo.pop()
        if nid in seen or graph.nodes[nid].is_leaf:
            continue
        seen.add(nid)
        todo.extend(i for i in graph.nodes[nid].inputs if i not in seen)
    out = []
    for nid in sorted(seen):
        n = graph.nodes[nid]
        d = definition(graph, n)
        fn = op_table(n.op)
        text = te.show(d, ctx.style["text"]) if d is not None else graph.describe(n)
        lat = te.show(d, ctx.style["latex"]) if d is not None else fn.latex.format(
            *(_lname(graph, graph.nodes[i].name) for i in n.inputs), **dict(n.params)) \
            if fn.latex else rf"\operatorname{{{n.op}}}"
        extra, lextra = "", ""
        if op_table(n.op).tensor == "detach":
            extra = " = " + ctx.values[symbol(graph, nid)] + " " + _(
                "(a constant: detach stops the gradient)")
            lextra = r" = " + ctx.values_latex[symbol(graph, nid)]
        out.append((f"{n.name} = {text} ∈ {space(n.shape)}{extra}",
                    f"{_lname(graph, n.name)} = {lat} \\in {space(n.shape, 'latex')}{lextra}"))
    return tuple(out)
