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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from diffexplain.core.floats import fsum
from diffexplain.core.graph import Graph, Node, op_table
from diffexplain.core.printing import bar, fmt_number, join_terms
from diffexplain.core.printing import latex as p_latex
from diffexplain.core.printing import text as p_text
from diffexplain.i18n import N_, _, rule_text
from diffexplain.limits import DEFAULT_LIMITS, Limits
from diffexplain.methods import exact, identity
from diffexplain.methods.numeric import reverse

if TYPE_CHECKING:  # pragma: no cover
    import sympy

#: largest derivative (in sympy operations) that full ``sympy.simplify`` is tried on
SIMPLIFY_OPS = 12
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


@dataclass(frozen=True)
class Line:
    """One line of a derivation in three notations, with why it follows and how it was checked."""

    text: str
    latex: str
    ascii: str
    rule: str
    check: str


@dataclass(frozen=True)
class Partial:
    """A local partial ∂out/∂inp on one edge, with the rule that gives it."""

    out: str
    inp: str
    text: str
    latex: str
    rule: str
    value: float


@dataclass(frozen=True)
class AdjointRow:
    """One line of reverse accumulation: ``ā = ȳ·∂y/∂a = ȳ·b = 1·2 = 2``."""

    node: str
    formula: str
    formula_latex: str
    values: str
    value: float


@dataclass(frozen=True)
class Derivation:
    """The derivative of the output with respect to one variable."""

    wrt: str
    lhs: str
    lhs_latex: str
    lines: tuple[Line, ...]
    value: float
    method: str  # "path sum" or "reverse accumulation"
    closed_form: str | None = None
    closed_form_text: str | None = None
    closed_form_latex: str | None = None
    partials: tuple[Partial, ...] = ()
    note: str = ""
    #: the value in exact or arbitrary-precision arithmetic (``value`` is its nearest float)
    exact: exact.Real | None = None


@dataclass(frozen=True)
class SymbolicResult:
    derivations: dict[str, Derivation]
    adjoints: tuple[AdjointRow, ...]
    grads: tuple[float, ...] = field(default=())
    #: the exact witness (None for graphs over exact.EXACT_NODES nodes)
    exact: exact.ExactPass | None = None


def latex_name(name: str) -> str:
    """A node name in LaTeX without sympy: ``v12`` → ``v_{12}``, ``w_0_1`` → ``w_{0,1}``."""
    head, _, idx = name.partition("_")
    if idx and head.isalpha() and all(p.isdigit() for p in idx.split("_")):  # components
        return f"{latex_name(head)}_{{{idx.replace('_', ',')}}}"
    head = name.rstrip("0123456789")
    tail = name[len(head):]
    head = head.replace("_", r"\_")
    if len(head) > 1 and not tail:
        head = rf"\mathit{{{head}}}"
    return f"{head}_{{{tail}}}" if tail and head else (head or tail)


def partial_symbol(out: str, inp: str, fmt: str) -> str:
    if fmt == "latex":
        return rf"\frac{{\partial {latex_name(out)}}}{{\partial {latex_name(inp)}}}"
    if fmt == "ascii":
        return f"d{out}/d{inp}"
    return f"∂{out}/∂{inp}"


def _rule_name(graph: Graph, node: Node, inp: int) -> str:
    fn = op_table(node.op)
    if node.op == "pow":
        base, expo = node.inputs
        consts = [graph.nodes[i].op == "const" for i in node.inputs]
        if inp == base and consts[1]:
            return _("power rule")
        if inp == expo and consts[0]:
            return _("exponential rule")
        return _("generalized power rule")
    if node.op == "mul" and any(graph.nodes[i].op == "const" for i in node.inputs):
        return _("constant multiple rule")
    return rule_text(fn.rule)


def derive(graph: Graph, point: Mapping[str, float], values: Sequence[float],
           wrt: Sequence[str], seeds: Mapping[int, float] | None = None,
           limits: Limits = DEFAULT_LIMITS) -> SymbolicResult:
    """Derive ∂(Σ seeds·outputs)/∂v for each v in ``wrt``; see the module docstring."""
    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    grads = reverse(graph, list(values), seeds)
    names = _Names(graph, grads)
    table = _adjoint_table(graph, values, seeds, grads, names)
    small = len(graph.nodes) <= limits.closed_form_nodes and len(seeds) == 1
    witness = exact.witness(graph, point, wrt, seeds)
    refs = {v: w.value for v, w in witness.derivatives.items()} if witness else {}
    out: dict[str, Derivation] = {}
    if small and _trivial(graph) and limits.symbolic_seconds >= TRIVIAL_MIN_BUDGET:
        # E1-sized: in-process, no fork
        out = _closed_forms(graph, point, values, wrt, seeds, grads, limits, refs)
    elif small:
        import sympy  # noqa: F401 - imported before the fork, so the worker inherits it

        from diffexplain.methods.sandbox import MemoryLimit, Timeout, WorkerCrashed, run_with_budget

        try:
            out = run_with_budget(_closed_forms, (graph, dict(point), list(values), list(wrt),
                                                  seeds, tuple(grads), limits, refs),
                                  limits.symbolic_seconds, limits.symbolic_memory_mb)
        except MemoryLimit:
            from diffexplain.errors import LimitExceeded

            raise LimitExceeded(_("the symbolic side needed more than {mb} MiB of memory").format(
                mb=limits.symbolic_memory_mb), _("raise it with --symbolic-memory-mb (API: "
                "limits=Limits(symbolic_memory_mb=…); 0 for no limit)")) from None
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
        if v in refs:
            out[v] = _exact_value(out[v], refs[v])
    return SymbolicResult(out, table, tuple(grads), witness)


def _exact_value(d: Derivation, ref: exact.Real) -> Derivation:
    """The derivation's value from the exact witness, its last line showing it."""
    last = d.lines[-1]
    text = fmt_number(ref.value) if ref.range == "" else ref.text
    line = replace(last, text=text, latex=text,
                   ascii=repr(ref.value) if ref.range == "" else ref.text,
                   check=N_("exact") if ref.exact else N_("arbitrary precision"))
    return replace(d, value=ref.value, exact=ref, lines=d.lines[:-1] + (line,))


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
        except VerificationError:
            bad = next((n for n in graph.nodes if not math.isfinite(values[n.id])), None)
            if bad is None:
                raise
            note = _("not written as a closed form: {node} is undefined at this point, where "
                     "exact and float arithmetic can disagree; showing reverse accumulation "
                     "instead").format(node=graph.describe(bad))
            return {v: replace(_adjoint_derivation(graph, graph[v].id, values, grads), note=note)
                    for v in wrt}

    return wrapper


@_floats_where_undefined
def _closed_forms(graph: Graph, point: Mapping[str, float], values: Sequence[float],
                  wrt: Sequence[str], seeds: Mapping[int, float], grads: Sequence[float],
                  limits: Limits, refs: Mapping[str, exact.Real] | None = None
                  ) -> dict[str, Derivation]:
    """Every sympy step of a small graph, in one function so it can run in a killable worker."""
    ctx = _SympyContext(graph, point, values)
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


def _count_paths(graph: Graph, src: int, dst: int) -> int:
    count = [0] * len(graph.nodes)
    count[dst] = 1
    users = graph._users()
    for n in reversed(graph.nodes[: dst + 1]):
        if n.id != dst:
            count[n.id] = sum(count[u] for u in users[n.id])
    return count[src]


def _paths(graph: Graph, src: int, dst: int) -> list[list[int]]:
    """Every path src → dst as node ids, by an explicit stack (outputs first when printed)."""
    users = graph.users()
    reach = graph.depends_on(src)
    out: list[list[int]] = []
    stack: list[list[int]] = [[src]]
    while stack:
        path = stack.pop()
        last = path[-1]
        if last == dst:
            out.append(path)
            continue
        for u in reversed(users[last]):
            if reach[u] and u <= dst:
                stack.append(path + [u])
    return out


# --- reverse accumulation, no sympy ---------------------------------------------------------
def _local_partial_text(graph: Graph, user: Node, inp: int, fmt: str,
                        all_names: Sequence[str] | None = None) -> str:
    fn = op_table(user.op)
    if all_names is not None:  # every node's name in ``fmt``, precomputed by the caller
        names = [all_names[i] for i in user.inputs]
    else:
        names = [graph.nodes[i].name if fmt != "latex" else latex_name(graph.nodes[i].name)
                 for i in user.inputs]
    if user.op == "pow" and graph.nodes[user.inputs[1]].op == "const" and inp == user.inputs[0]:
        k = graph.nodes[user.inputs[1]].value or 0.0
        lower = fmt_number(k - 1)
        if k - 1 == 0:
            return fmt_number(k)
        power = names[0] if k - 1 == 1 else (
            f"{names[0]}^{{{lower}}}" if fmt == "latex" else f"{names[0]}^{_wrap(lower)}")
        dot = r" \cdot " if fmt == "latex" else "·"
        return power if k == 1 else f"{fmt_number(k)}{dot}{power}"
    tmpl = fn.partial_latex if fmt == "latex" else fn.partial_text
    parts = [tmpl[k].format(*names) for k, i in enumerate(user.inputs) if i == inp]
    s = " + ".join(parts)
    return f"({s})" if len(parts) > 1 else s


def _local_partial_value(user: Node, inp: int, values: Sequence[float]) -> float:
    fn = op_table(user.op)
    args = [values[i] for i in user.inputs]
    return fsum(fn.dmath[k](math, *args) for k, i in enumerate(user.inputs) if i == inp)


def _wrap(s: str) -> str:
    return f"({s})" if (" " in s or "+" in s or "-" in s) and not (
        s.startswith("(") and s.endswith(")")) else s


class _Names:
    """Each node's name, LaTeX name, bars and formatted adjoint, computed once per graph.

    The adjoint table asks for them once per edge; building them once per node
    is what keeps its cost per node flat.
    """

    def __init__(self, graph: Graph, grads: Sequence[float]) -> None:
        self.text = [n.name for n in graph.nodes]
        self.latex = [latex_name(nm) for nm in self.text]
        self.bar = [bar(nm) for nm in self.text]
        self.bar_latex = [rf"\bar{{{ln}}} \cdot " for ln in self.latex]
        self.grads = grads
        self._grad_text: dict[int, str] = {}

    def grad_text(self, u: int) -> str:
        t = self._grad_text.get(u)
        if t is None:
            t = self._grad_text[u] = fmt_number(self.grads[u])
        return t


def _adjoint_terms(graph: Graph, n: Node, users: Sequence[int], values: Sequence[float],
                   grads: Sequence[float], names: _Names | None = None
                   ) -> tuple[str, str, str, float]:
    nm = names if names is not None else _Names(graph, grads)
    texts, latexs, vals = [], [], []
    nodes = graph.nodes
    nid = n.id
    for u in users:
        un = nodes[u]
        ins = un.inputs
        if un.op != "pow" and len(ins) <= 2 and (len(ins) == 1 or ins[0] != ins[1]):
            # one slot holds the input: the rule's template, as _local_partial_text gives it
            fn = op_table(un.op)
            k = 0 if ins[0] == nid else 1
            pt = fn.partial_text[k].format(*[nm.text[i] for i in ins])
            pl = fn.partial_latex[k].format(*[nm.latex[i] for i in ins])
            # one term: fsum would return it unchanged (up to the sign of zero, which
            # fmt_number does not show)
            pv = fn.dmath[k](math, *[values[i] for i in ins])
        else:
            pt = _local_partial_text(graph, un, nid, "text", nm.text)
            pl = _local_partial_text(graph, un, nid, "latex", nm.latex)
            pv = _local_partial_value(un, nid, values)
        texts.append(f"{nm.bar[u]}·{_wrap(pt)}")
        latexs.append(nm.bar_latex[u] + _wrap(pl))
        vals.append(f"{nm.grad_text(u)}·{_wrap(fmt_number(pv))}")
    return " + ".join(texts), " + ".join(latexs), " + ".join(vals), grads[n.id]


def _adjoint_table(graph: Graph, values: Sequence[float], seeds: Mapping[int, float],
                   grads: Sequence[float], names: _Names | None = None
                   ) -> tuple[AdjointRow, ...]:
    users = graph._users()
    nm = names if names is not None else _Names(graph, grads)
    live = [False] * len(graph.nodes)  # nodes some seeded output depends on
    for o in seeds:
        live[o] = True
    for n in reversed(graph.nodes):
        if live[n.id]:
            for i in n.inputs:
                live[i] = True
    rows: list[AdjointRow] = []
    for n in reversed(graph.nodes):
        if not live[n.id] or n.op == "const":
            continue
        us = [u for u in users[n.id] if live[u]]
        if n.id in seeds and not us:
            w = seeds[n.id]
            rows.append(AdjointRow(n.name, "1" if w == 1 else fmt_number(w),
                                   "1" if w == 1 else fmt_number(w), "", w))
            continue
        t, lt, vals, value = _adjoint_terms(graph, n, us, values, grads, nm)
        if n.id in seeds:
            t, lt, vals = f"{fmt_number(seeds[n.id])} + {t}", f"{fmt_number(seeds[n.id])} + {lt}", \
                f"{fmt_number(seeds[n.id])} + {vals}"
        rows.append(AdjointRow(n.name, t, lt, vals, value))
    return tuple(rows)


def _adjoint_derivation(graph: Graph, vid: int, values: Sequence[float],
                        grads: Sequence[float], names: _Names | None = None) -> Derivation:
    n = graph.nodes[vid]
    users = graph._users()[vid]
    y = graph.nodes[graph.outputs[0]].name if len(graph.outputs) == 1 else "L"
    lhs, lhs_latex = partial_symbol(y, n.name, "text"), partial_symbol(y, n.name, "latex")
    t, lt, vals, value = _adjoint_terms(graph, n, users, values, grads, names)
    rule = _("reverse accumulation: the adjoint of a node is the sum over its users u of ū·∂u/∂node")
    lines = [Line(bar(n.name), rf"\bar{{{latex_name(n.name)}}}", f"adj({n.name})", rule,
                  N_("definition"))]
    if users:
        lines.append(Line(t, lt, t, _("adjoints of the users times the local partials"),
                          N_("chain rule")))
        lines.append(Line(vals, vals.replace("·", r" \cdot "), vals.replace("·", "*"),
                          _("values at the point"), N_("float evaluation")))
    lines.append(Line(fmt_number(value), fmt_number(value), repr(value), _("evaluate"),
                      N_("float evaluation")))
    return Derivation(n.name, lhs, lhs_latex, tuple(lines), value, N_("reverse accumulation"),
                      note=_("{n} nodes: the closed form is not built").format(n=len(graph.nodes)))


# --- the sympy side, for small graphs ----------------------------------------------------
class _SympyContext:
    """Sympy objects for a small graph, built once and shared by every variable."""

    def __init__(self, graph: Graph, point: Mapping[str, float],
                 values: Sequence[float]) -> None:
        import sympy as sp

        self.sp = sp
        self.g = graph
        self.values = values
        self.sym = [graph.symbol(n) for n in graph.nodes]
        # leaf expressions: evaluated (for checks and closed forms) and as written (for display)
        self.full: list[Any] = []
        self.shown: list[Any] = []
        for n in graph.nodes:
            if n.is_leaf:
                self.full.append(self.sym[n.id])
                self.shown.append(self.sym[n.id])
                continue
            fn = op_table(n.op)
            self.full.append(fn.sympy(sp, *(self.full[i] for i in n.inputs)))
            with sp.evaluate(False):
                self.shown.append(fn.sympy(sp, *(self.shown[i] for i in n.inputs)))
        self.point = {self.sym[n.id]: float(point[n.name]) for n in graph.nodes if n.op == "var"}
        inter = [n for n in graph.nodes if not n.is_leaf]
        self.to_leaves = {self.sym[n.id]: self.full[n.id] for n in inter}
        self.to_shown = {self.sym[n.id]: self.shown[n.id] for n in inter}
        self.values_text = {s: fmt_number(v) for s, v in self.point.items()}

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

    def closed(self, vid: int, out: int) -> tuple[sympy.Expr, sympy.Expr]:
        """The raw derivative and the shortest of a few cheap rewritings of it.

        Full ``simplify`` (trigsimp above all) can take seconds on a 20-node
        expression, so it is tried only on small ones.
        """
        sp = self.sp
        raw = sp.diff(self.full[out], self.sym[vid])
        size = sp.count_ops(raw)
        cands = [raw, sp.factor_terms(raw)]
        if raw.is_polynomial():
            # expand/factor decide polynomials; simplify would add ~0.2 s of sympy imports
            cands += [sp.expand(raw), sp.factor(raw)] if size <= SIMPLIFY_OPS else []
        elif size <= SIMPLIFY_OPS:
            cands.append(sp.simplify(raw))
        elif size <= 60 and not raw.has(sp.Function):
            cands.append(sp.cancel(raw))
        return raw, min(cands, key=sp.count_ops)

    def path_sum(self, vid: int, out: int, seeds: Mapping[int, float],
                 ref: exact.Real | None) -> Derivation:
        sp, g = self.sp, self.g
        v, y = g.nodes[vid], g.nodes[out]
        paths = [list(reversed(p)) for p in _paths(g, vid, out)]  # output first
        raw, best = self.closed(vid, out)
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
        sym_terms = {fmt_: [[partial_symbol(g.nodes[a].name, g.nodes[b].name, fmt_)
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
                e = g.local_partial(a, b)
                partial_exprs[(a, b)] = e
                ev = identity.evaluate(self.in_leaves(e), self.point)
                partials.append(Partial(g.nodes[a].name, g.nodes[b].name, p_text(e), p_latex(e),
                                        _rule_name(g, g.nodes[a], b), ev))
        terms = [[partial_exprs[e] for e in es] for es in edges]
        products = [sp.Mul(*t) for t in terms]
        line2 = sp.Add(*products)
        rules = _("; ").join(_("{partial} = {formula} ({rule})").format(
            partial=partial_symbol(p.out, p.inp, "text"), formula=p.text, rule=p.rule)
            for p in partials)
        add(terms, _("local partials: {rules}").format(rules=rules), line2,
            self.check(line2, raw, "local partials"))
        shown_products = [[p] for p in products]
        add(shown_products, _("multiply out each path"), line2,
            self.check(line2, raw, "products"))
        inter_used = set().union(*(p.free_symbols for p in products)) & self.to_leaves.keys()
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
        if not big:
            add([[best]], _("simplify (sympy)"), best,
                identity.check_equal(best, raw, self.point, "closed form"), keep_order=False)
        if best.free_symbols and not big:
            subs_names = ", ".join(f"{s} = {fmt_number(val)}" for s, val in
                                   sorted(self.point.items(), key=lambda kv: kv[0].name)
                                   if s in best.free_symbols)
            add(None, _("substitute {values}").format(values=subs_names), None,
                N_("float evaluation"),
                join_terms([[best]], "text", self.values_text, keep_order=False),
                join_terms([[best]], "latex", self.values_text, keep_order=False),
                join_terms([[best]], "ascii", self.values_text, keep_order=False))
        exact.check_closed_form(value, ref, f"∂{y.name}/∂{v.name}")
        add(None, _("evaluate"), None, N_("float evaluation"), fmt_number(value),
            fmt_number(value), repr(value))
        return Derivation(v.name, lhs, lhs_latex, tuple(lines), value, N_("path sum"),
                          closed_form=identity_str(best),
                          closed_form_text=None if big else p_text(best),
                          closed_form_latex=p_latex(best), partials=tuple(partials),
                          note=_("closed form of {n} operations: in the JSON "
                                 "output, not written out").format(n=sp.count_ops(best))
                          if big else "")

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
        raw, best = self.closed(vid, out)
        value = exact.evaluate(best, self.point).value
        extra = [Line(p_text(best), p_latex(best), identity_str(best),
                      _("closed form (sympy), checked against the adjoint value"),
                      identity.check_equal(best, raw, self.point, "closed form"))]
        big = self.sp.count_ops(best) > CLOSED_FORM_OPS
        lines = list(d.lines[:-1]) + ([] if big else extra) + [d.lines[-1]]
        exact.check_closed_form(value, ref, "closed form")
        return Derivation(d.wrt, d.lhs, d.lhs_latex, tuple(lines), d.value, d.method,
                          identity_str(best), None if big else p_text(best), p_latex(best),
                          d.partials, "")


def identity_str(expr: sympy.Expr) -> str:
    from diffexplain.core.printing import ascii as p_ascii

    return p_ascii(expr)
