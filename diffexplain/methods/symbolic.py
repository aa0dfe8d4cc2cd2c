"""The symbolic derivation: the chain rule over the graph's named intermediates.

Small graphs get the derivation a teacher writes on the board, the sum over
paths of products of local partials::

    ∂y/∂w = ∂y/∂a·∂a/∂w + ∂y/∂b·∂b/∂w = b·1 + a·1 = b + a = (w + 1) + (x + w)
          = 2w + x + 1 = 2·1 + 2 + 1 = 5

Large graphs get reverse accumulation, one adjoint line per node
(v̄ = Σ ū·∂u/∂v), rendered from each operation's rule templates, so the cost
grows with the graph and not with the closed form, which is built only when
the graph is small. Every line is checked by :mod:`~diffexplain.methods.identity`
before it is kept; a failed check raises, it is never shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from diffexplain.core.graph import Graph, Node, op_table
from diffexplain.core.interpret import evaluate
from diffexplain.core.printing import fmt_number, join_terms
from diffexplain.core.printing import latex as p_latex
from diffexplain.core.printing import text as p_text
from diffexplain.i18n import N_, _
from diffexplain.limits import DEFAULT_LIMITS, Limits
from diffexplain.methods import exact, floatrange, identity
from diffexplain.methods.atkink import NOT_SMOOTH, at_kink, exact_value, same_value
from diffexplain.methods.closed_form import Form
from diffexplain.methods.derivation_text import (
    AdjointRow,
    Derivation,
    Line,
    Partial,
    SymbolicResult,
    _adjoint_derivation,
    _adjoint_table,
    _count_paths,
    _Names,
    _paths,
    constant_nodes,
    held_symbol,
    latex_name,
    partial_symbol,
)
from diffexplain.methods.numeric import reverse
from diffexplain.methods.rulecheck import verify_graph_rules
from diffexplain.methods.textbook import Textbook, assigned

if TYPE_CHECKING:  # pragma: no cover
    import sympy

#: how closed forms write the named functions: in the learner's names, or through exp
CLOSED_FORMS = ("named", "exp")
#: closed forms with more operations are kept in JSON but not written out line by line
CLOSED_FORM_OPS = 40

__all__ = [
    "AdjointRow",
    "Derivation",
    "Line",
    "Partial",
    "SymbolicResult",
    "derive",
    "latex_name",
    "partial_symbol",
]


def derive(graph: Graph, point: Mapping[str, float], values: Sequence[float],
           wrt: Sequence[str], seeds: Mapping[int, float] | None = None,
           limits: Limits = DEFAULT_LIMITS, closed_form: str = "named") -> SymbolicResult:
    """Derive ∂(Σ seeds·outputs)/∂v for each v in ``wrt``; see the module docstring.

    ``closed_form="exp"`` writes σ, softplus and relu through their definitions
    (exp, log, Max) in the closed form; the default keeps the learner's names.
    """
    if closed_form not in CLOSED_FORMS:
        from diffexplain.errors import InputError

        raise InputError(_("closed form {name!r}: use one of {names}").format(
            name=closed_form, names=", ".join(CLOSED_FORMS)))
    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    grads = reverse(graph, list(values), seeds)
    names = _Names(graph, grads)
    table = _adjoint_table(graph, values, seeds, grads, names)
    small = len(graph.nodes) <= limits.closed_form_nodes and len(seeds) == 1
    witness = exact.witness(graph, point, wrt, seeds)
    refs = {v: w.value for v, w in witness.derivatives.items()} if witness else {}
    # at a kink the closed form's value is sympy's convention (H(0) = 1/2), not the rules'
    # node-by-node product: both are checked around the point, not against each other
    checked = {v: r for v, r in refs.items() if witness is None or
               witness.derivatives[v].state not in NOT_SMOOTH}
    if witness is not None:
        # the float partials behind the adjoint table, each against sympy.diff of its entry:
        # a wrong rule is refused as a bug; the float pass's round-off is a reason, not a bug
        verify_graph_rules(graph)
    out: dict[str, Derivation] = {}
    if small and _trivial(graph) and limits.symbolic_seconds >= TRIVIAL_MIN_BUDGET:
        # E1-sized: in-process, no fork
        out = _closed_forms(graph, point, values, wrt, seeds, grads, limits, checked,
                            closed_form)
    elif small:
        import sympy  # noqa: F401 - imported before the fork, so the worker inherits it

        from diffexplain.methods.sandbox import (
            MemoryLimit,
            Timeout,
            WorkerCrashed,
            memory_exceeded,
            run_with_budget,
        )

        try:
            out = run_with_budget(_closed_forms, (graph, dict(point), list(values), list(wrt),
                                                  seeds, tuple(grads), limits, checked,
                                                  closed_form),
                                  limits.symbolic_seconds, limits.symbolic_memory_mb)
        except MemoryLimit:
            raise memory_exceeded(limits) from None
        except (Timeout, WorkerCrashed) as err:
            # degrade, never hang: the float-only derivation below costs one pass over the graph
            why = (_("the closed form did not finish within {seconds} s").format(
                       seconds=f"{limits.symbolic_seconds:g}")
                   if isinstance(err, Timeout) else
                   _("the symbolic worker failed ({error})").format(error=err))
            note = _("too complex: {why}; showing reverse accumulation instead (raise the "
                     "budget with --symbolic-seconds / Limits(symbolic_seconds=…))").format(why=why)
            out = {v: replace(_adjoint_derivation(graph, graph[v].id, values, grads), note=note)
                   for v in wrt}
    for v in wrt:
        if v not in out:
            out[v] = _adjoint_derivation(graph, graph[v].id, values, grads, names)
        if v in refs and (v in checked or same_value(out[v].value, refs[v].value)):
            out[v] = exact_value(out[v], refs[v])
        elif v in refs and witness is not None:
            out[v] = at_kink(out[v], witness.derivatives[v])
    return SymbolicResult(out, table, tuple(grads), witness)


#: graphs this small, with no powers beyond these, run sympy in-process (no fork): E1-sized
#: inputs, where sympy's worst case measured is about a second (``(x+y+z)**3*(x+y)``)
TRIVIAL_NODES = 8
TRIVIAL_POWERS = 1
TRIVIAL_EXPONENT = 3.0
#: ...unless the budget is smaller than this: then even those go through the worker
TRIVIAL_MIN_BUDGET = 5.0


def _trivial(graph: Graph) -> bool:
    """Cheap enough for sympy to need no budget: few nodes, few small constant powers.

    Powers are what make sympy's cost explode (``expand((x+y+1)**40)``, nested
    powers multiplying their exponents), so any other power disqualifies.
    """
    if len(graph.nodes) > TRIVIAL_NODES:
        return False
    powers = [n for n in graph.nodes if n.op == "pow"]
    if len(powers) > TRIVIAL_POWERS:
        return False
    if any(not n.is_leaf and all(graph.nodes[i].op == "const" for i in n.inputs)
           for n in graph.nodes):  # 1/(1e-3)**3 is an exact 10**9: cosh(10**9·w) expands
        return False
    for n in powers:
        e = graph.nodes[n.inputs[1]]
        if e.op != "const" or e.value is None or abs(e.value) > TRIVIAL_EXPONENT:
            return False
    return all(n.op != "const" or (n.value is not None and abs(n.value) <= 1e6)
               for n in graph.nodes)


def _floats_where_undefined(fn: Any) -> Any:
    """Where a node is undefined at the point (nan, inf), exact and float arithmetic can
    part ways (sympy takes (-1)**0.5 = i): a line that fails its check there is not a bug,
    so the derivative falls back to reverse accumulation with a note instead."""
    import functools

    @functools.wraps(fn)
    def wrapper(graph: Graph, point: Mapping[str, float], values: Sequence[float],
                wrt: Sequence[str], seeds: Mapping[int, float], grads: Sequence[float],
                limits: Limits, *rest: Any) -> dict[str, Derivation]:
        from diffexplain.errors import VerificationError

        try:
            result: dict[str, Derivation] = fn(graph, point, values, wrt, seeds, grads, limits,
                                               *rest)
            return result
        except (VerificationError, OverflowError, ValueError, ZeroDivisionError):
            # (the exact witness has no number for inf or nan: mpmath and Fraction raise)
            bad = next((n for n in graph.nodes if not math.isfinite(values[n.id])), None)
            if bad is None:
                raise
            note = _("not written as a closed form: {node} is not a finite number at this "
                     "point, where exact and float arithmetic part ways; showing reverse "
                     "accumulation instead").format(node=graph.describe(bad))
            return {v: replace(_adjoint_derivation(graph, graph[v].id, values, grads), note=note)
                    for v in wrt}

    return wrapper


@_floats_where_undefined
def _closed_forms(graph: Graph, point: Mapping[str, float], values: Sequence[float],
                  wrt: Sequence[str], seeds: Mapping[int, float], grads: Sequence[float],
                  limits: Limits, refs: Mapping[str, exact.Real] | None = None,
                  closed_form: str = "named") -> dict[str, Derivation]:
    """Every sympy step of a small graph, in one function so it can run in a killable worker."""
    ctx = _SympyContext(graph, point, values, closed_form)
    out: dict[str, Derivation] = {}
    out_id = next(iter(seeds))
    for v in wrt:
        vid = graph[v].id
        if _count_paths(graph, vid, out_id) <= limits.path_sum_paths:
            out[v] = ctx.path_sum(vid, out_id, seeds, (refs or {}).get(v))
        else:
            out[v] = ctx.with_closed_form(_adjoint_derivation(graph, vid, values, grads),
                                          vid, out_id, (refs or {}).get(v))
    return out

# --- the sympy side, for small graphs ----------------------------------------------------
class _SympyContext(Textbook):
    """Sympy objects for a small graph, built once and shared by every variable."""

    def __init__(self, graph: Graph, point: Mapping[str, float],
                 values: Sequence[float], rewrite: str = "named") -> None:
        import sympy as sp

        self.sp = sp
        self.g = graph
        self.values = values
        self.sym = [graph.symbol(n) for n in graph.nodes]
        # leaf expressions: evaluated (for checks and closed forms) and as written (for display)
        def leaf(n: Node) -> Any:
            return self.sym[n.id]

        self.full: list[Any] = evaluate(graph, leaf,
                                        lambda n, args: op_table(n.op).sympy(sp, *args))
        with sp.evaluate(False):
            self.shown: list[Any] = evaluate(graph, leaf,
                                             lambda n, args: op_table(n.op).sympy(sp, *args))
        self.point = {self.sym[n.id]: float(point[n.name]) for n in graph.nodes if n.op == "var"}
        inter = [n for n in graph.nodes if not n.is_leaf]
        self.to_leaves = {self.sym[n.id]: self.full[n.id] for n in inter}
        self.to_shown = {self.sym[n.id]: self.shown[n.id] for n in inter}
        self.values_text = {s: fmt_number(v) for s, v in self.point.items()}
        self.rewrite = rewrite
        self.forms: dict[Any, Form] = {}  # best forms of shared factors (∂L/∂z for every w)
        self.const = constant_nodes(graph)
        # constant subexpressions (1/3 in x**(1/3)) are numbers to the rules, not intermediates
        self.const_values = {self.sym[n.id]: self.full[n.id] for n in inter if self.const[n.id]}
        floatrange.check_constants(graph, self.full, self.shown, values, self.const)
        # the program's own names (z = w*x + b): closed forms are written back in them
        self.user_named = [n.id for n in inter if not self.const[n.id] and n.id not in
                           graph.outputs and assigned(graph.source, n.name)]

    def in_leaves(self, expr: sympy.Expr) -> sympy.Expr:
        # intermediates may reference earlier intermediates: substitute latest-first
        e = expr
        for _k in range(len(self.g.nodes)):
            if not (e.free_symbols & self.to_leaves.keys()):
                break
            e = e.xreplace(self.to_leaves)
        return e

    def check(self, expr: sympy.Expr, truth: sympy.Expr, what: str) -> str:
        return identity.check_equal(self.in_leaves(expr), truth, self.point, what)

    def path_sum(self, vid: int, out: int, seeds: Mapping[int, float],
                 ref: exact.Real | None) -> Derivation:
        sp, g = self.sp, self.g
        v, y = g.nodes[vid], g.nodes[out]
        paths = [list(reversed(p)) for p in _paths(g, vid, out)]  # output first
        raw, form = self.closed(vid, out)
        best = form.expr
        lines: list[Line] = []

        def add(terms: Sequence[Sequence[Any]] | None, rule: str, expr: sympy.Expr | None,
                check: str, txt: str | None = None, ltx: str | None = None,
                asc: str | None = None, keep_order: bool = True) -> None:
            t = txt if txt is not None else join_terms(terms or [], "text", keep_order=keep_order)
            if lines and lines[-1].text == t:
                return
            lt = ltx if ltx is not None else join_terms(terms or [], "latex",
                                                        keep_order=keep_order)
            a = asc if asc is not None else join_terms(terms or [], "ascii",
                                                       keep_order=keep_order)
            lines.append(Line(t, lt, a, rule, check))

        lhs = partial_symbol(y.name, v.name, "text")
        lhs_latex = partial_symbol(y.name, v.name, "latex")
        if not paths:
            zero = sp.Integer(0)
            add([[zero]], _("{y} does not depend on {v}").format(y=y.name, v=v.name), zero,
                identity.SYMPY)
            return Derivation(v.name, lhs, lhs_latex, tuple(lines), 0.0, N_("path sum"), "0", "0",
                              "0")
        edges = [[(p[k], p[k + 1]) for k in range(len(p) - 1)] for p in paths]
        held = {e: tuple(g.nodes[h].name for h in self.held(*e)) for es in edges for e in es}
        sym_terms = {fmt_: [[held_symbol(g.nodes[a].name, g.nodes[b].name, held[(a, b)], fmt_)
                             for a, b in es] for es in edges]
                     for fmt_ in ("text", "latex", "ascii")}
        npaths = len(paths)
        if not (npaths == 1 and len(edges[0]) == 1):
            why = (_("chain rule: sum over the {n} paths from {v} to {y} of the "
                     "products of local partials") if npaths > 1 else
                   _("chain rule along the path from {v} to {y}")).format(
                       n=npaths, v=v.name, y=y.name)
            add(None, why, None, N_("definition"),
                " + ".join("·".join(t) for t in sym_terms["text"]),
                " + ".join(r" \cdot ".join(t) for t in sym_terms["latex"]),
                " + ".join("*".join(t) for t in sym_terms["ascii"]))
        # local partials, each from the node's rule
        partial_exprs: dict[tuple[int, int], Any] = {}
        partials: list[Partial] = []
        for es in edges:
            for a, b in es:
                if (a, b) in partial_exprs:
                    continue
                e = g.local_partial(a, b).xreplace(self.const_values)
                partial_exprs[(a, b)] = e
                ev = identity.evaluate(self.in_leaves(e), self.point)
                partials.append(Partial(g.nodes[a].name, g.nodes[b].name, p_text(e), p_latex(e),
                                        self.rule(a, b), ev))
        terms = [[partial_exprs[e] for e in es] for es in edges]
        products = [sp.Mul(*t) for t in terms]
        line2 = sp.Add(*products)
        rules = _("; ").join(_("{partial} = {formula} ({rule})").format(
            partial=held_symbol(p.out, p.inp, held[(g[p.out].id, g[p.inp].id)], "text"),
            formula=p.text, rule=p.rule) for p in partials)
        add(terms, _("local partials: {rules}").format(rules=rules), line2,
            self.check(line2, raw, "local partials"))
        shown_products = [[p] for p in products]
        add(shown_products, _("multiply out each path"), line2,
            self.check(line2, raw, "products"))
        inter_used = set().union(*(p.free_symbols for p in products)) & self.to_leaves.keys()
        where = {self.sym[g[h].id] for hs in held.values() for h in hs} | inter_used
        big = sp.count_ops(best) > CLOSED_FORM_OPS
        value = exact.evaluate(best, self.point).value
        if big:
            # the closed form would swell: evaluate the products at the nodes' values instead
            names = {self.sym[n.id]: fmt_number(self.values[n.id]) for n in g.nodes
                     if not n.is_leaf or n.op == "var"}
            add([[p] for p in products], _("substitute the forward values of the nodes"), None,
                N_("float evaluation"), join_terms([[p] for p in products], "text", names),
                join_terms([[p] for p in products], "latex", names),
                join_terms([[p] for p in products], "ascii", names))
        if inter_used and not big:
            expanded = [[self._shown_in_leaves(p)] for p in products]
            defs = ", ".join(f"{s} = {p_text(self.to_shown[s], keep_order=True)}"
                             for s in sorted(inter_used, key=lambda s: g[s.name].id))
            add(expanded, _("substitute the intermediates: {definitions}").format(definitions=defs),
                None, self.check(sp.Add(*[self.in_leaves(p) for p in products]), raw,
                                 "intermediates substituted"))
        folded = self.fold(form)
        if not big:
            add(None, self.how(form, y.name, v.name), best,
                identity.check_equal(best, raw, self.point, "closed form"),
                form.printed("text"), form.printed("latex"), form.printed("ascii"))
            if folded is not form:
                names_used = sorted(self.folded_names(folded), key=lambda s: g[s.name].id)
                where |= set(names_used)
                add(None, _("in the program's names: {definitions}").format(definitions=", ".join(
                    f"{s} = {p_text(self.to_shown[s], keep_order=True)}" for s in names_used)),
                    folded.expr, self.check(folded.expr, raw, "closed form in the program's names"),
                    folded.printed("text"), folded.printed("latex"), folded.printed("ascii"))
        if best.free_symbols and not big:
            subs_names = ", ".join(f"{s} = {fmt_number(val)}" for s, val in
                                   sorted(self.point.items(), key=lambda kv: kv[0].name)
                                   if s in best.free_symbols)
            add(None, _("substitute {values}").format(values=subs_names), None,
                N_("float evaluation"), form.printed("text", self.values_text),
                form.printed("latex", self.values_text), form.printed("ascii", self.values_text))
        exact.check_closed_form(value, ref, f"∂{y.name}/∂{v.name}")
        add(None, _("evaluate"), None, N_("float evaluation"), fmt_number(value),
            fmt_number(value), repr(value))
        return Derivation(v.name, lhs, lhs_latex, tuple(lines), value, N_("path sum"),
                          closed_form=form.printed("ascii"),
                          closed_form_text=None if big else folded.printed("text"),
                          closed_form_latex=folded.printed("latex"), partials=tuple(partials),
                          note=_("closed form of {n} operations: in the JSON "
                                 "output, not written out").format(n=sp.count_ops(best))
                          if big else "", where=self.where(where))

    def _shown_in_leaves(self, expr: sympy.Expr) -> sympy.Expr:
        sp = self.sp
        e = expr
        for _k in range(len(self.g.nodes)):
            if not (e.free_symbols & self.to_shown.keys()):
                break
            with sp.evaluate(False):
                e = e.xreplace(self.to_shown)
        return e

    def with_closed_form(self, d: Derivation, vid: int, out: int,
                         ref: exact.Real | None = None) -> Derivation:
        """An adjoint derivation of a small graph with many paths, plus its closed form."""
        raw, form = self.closed(vid, out)
        best = form.expr
        value = exact.evaluate(best, self.point).value
        extra = [Line(form.printed("text"), form.printed("latex"), form.printed("ascii"),
                      _("closed form (sympy), checked against the adjoint value"),
                      identity.check_equal(best, raw, self.point, "closed form"))]
        big = self.sp.count_ops(best) > CLOSED_FORM_OPS
        lines = list(d.lines[:-1]) + ([] if big else extra) + [d.lines[-1]]
        exact.check_closed_form(value, ref, "closed form")
        return Derivation(d.wrt, d.lhs, d.lhs_latex, tuple(lines), d.value, d.method,
                          form.printed("ascii"), None if big else form.printed("text"),
                          form.printed("latex"), d.partials, "")


def identity_str(expr: sympy.Expr) -> str:
    from diffexplain.core.printing import ascii as p_ascii

    return p_ascii(expr)
