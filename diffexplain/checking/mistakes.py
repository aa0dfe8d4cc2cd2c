"""The slip catalogue: derivatives built with one known mistake, each made on the real graph.

A learner's wrong line is named by finding which slipped derivative it equals.
Every slip is made at one node (or one chain-rule path) of the expression's own
graph and then carried through the rest of the graph correctly, so the slips are
exactly the derivatives a student gets who makes that one mistake and nothing else.

The derivative is built by forward accumulation over the nodes in topological
order, ``D[n] = Σ_k ∂n/∂input_k · D[input_k]``, with every expression in the
leaves (sympy), so a slip is a change to one ``D[n]`` (or to one node's value).

Codes are stable strings (:data:`CODES`); ``unknown`` is what
:mod:`~diffexplain.checking` reports when nothing in the catalogue matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from diffexplain.core.graph import Graph, Node, op_table
from diffexplain.core.printing import text as p_text
from diffexplain.i18n import _

__all__ = ["CODES", "Model", "Slip", "catalogue"]

#: every mistake code, in the order slips are tried
CODES = ("arithmetic", "missing-path", "product-rule", "quotient-rule", "chain-rule", "sign",
         "power-rule", "constant", "wrong-table-derivative", "unknown")

_FUNCTIONS_WITH_INNER = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu",
                         "abs", "softplus", "atan", "sinh", "cosh", "pow")


@dataclass(frozen=True)
class Slip:
    """One slipped derivative: ``expr`` is ∂y/∂wrt (in the leaves) with the slip made."""

    code: str
    sentence: str
    expr: Any
    node: str = ""
    evidence: dict[str, str] = field(default_factory=dict)


class Model:
    """The graph's derivative by forward accumulation, in the leaves, ready to be slipped.

    ``full[n]`` is node n as an expression of the leaves, ``partial[n][k]`` the
    local partial of node n with respect to its k-th input slot (in the leaves),
    ``D[n]`` the derivative of node n with respect to ``wrt``.
    """

    def __init__(self, graph: Graph, wrt: str) -> None:
        import sympy as sp

        self.sp = sp
        self.g = graph
        self.v = graph[wrt].id
        self.out = graph.outputs[0]
        self.sym = [graph.symbol(n) for n in graph.nodes]
        self.full: list[Any] = []
        self.partial: list[list[Any]] = []
        self.templates: list[tuple[list[Any], list[Any]]] = []
        for n in graph.nodes:
            if n.is_leaf:
                self.full.append(self.sym[n.id])
                self.partial.append([])
                self.templates.append(([], []))
                continue
            dums = [sp.Dummy(f"u{k}", real=True) for k in range(len(n.inputs))]
            # constants go in before differentiating: d(u**2)/du is 2u, where the generic
            # d(u**v)/du = v·u**v/u would be NaN at u = 0
            args = [self.sym[i] if graph.nodes[i].op == "const" else d
                    for d, i in zip(dums, n.inputs)]
            f = op_table(n.op).sympy(sp, *args)
            parts = [sp.diff(f, d) for d in dums]
            self.templates.append((dums, parts))
            sub = {d: self.full[i] for d, i in zip(dums, n.inputs)}
            self.full.append(f.xreplace(sub))
            self.partial.append([p.xreplace(sub) for p in parts])
        self.D = self.propagate({})

    # --- forward accumulation ---------------------------------------------------------
    def propagate(self, override: dict[int, Any], full: Sequence[Any] | None = None,
                  partial: Sequence[Sequence[Any]] | None = None) -> list[Any]:
        """``D`` for every node, with ``override`` replacing the rule at some nodes."""
        sp = self.sp
        partial = partial if partial is not None else self.partial
        D: list[Any] = []
        for n in self.g.nodes:
            if n.id in override:
                D.append(override[n.id])
            elif n.is_leaf:
                D.append(sp.Integer(1 if n.id == self.v else 0))
            else:
                # a slot whose input does not depend on wrt contributes nothing, even where its
                # partial is undefined (d(a**2)/d2 = a**2·log(a) at a = 0 would give 0·nan)
                D.append(sp.Add(*[partial[n.id][k] * D[i] for k, i in enumerate(n.inputs)
                                  if D[i] != 0]))
        return D

    def with_value(self, node: int, value: Any) -> Any:
        """∂y/∂wrt when node ``node`` is taken to be ``value`` (its derivative kept)."""
        full = list(self.full)
        full[node] = value
        partial = list(self.partial)
        for n in self.g.nodes[node + 1:]:
            if n.is_leaf:
                continue
            dums, parts = self.templates[n.id]
            sub = {d: full[i] for d, i in zip(dums, n.inputs)}
            full[n.id] = op_table(n.op).sympy(self.sp, *dums).xreplace(sub)
            partial[n.id] = [p.xreplace(sub) for p in parts]
        override = {node: self.D[node]}
        return self.propagate(override, full, partial)[self.out]

    @property
    def truth(self) -> Any:
        return self.D[self.out]

    def name(self, i: int) -> str:
        return self.g.nodes[i].name

    def define(self, n: Node) -> str:
        return f"{n.name} = {self.g.describe(n)}"

    def edge_partial(self, user: int, inp: int) -> Any:
        n = self.g.nodes[user]
        return self.sp.Add(*[self.partial[user][k] for k, i in enumerate(n.inputs) if i == inp])

    def show(self, e: Any) -> str:
        return p_text(e)


def _d(out: str, inp: str) -> str:
    return f"∂{out}/∂{inp}"


def catalogue(m: Model, max_paths: int = 12) -> list[Slip]:
    """Every slip of the catalogue that applies to this graph and variable, in priority order.

    >>> from diffexplain.core.parsing import parse
    >>> slips = catalogue(Model(parse("(x+w)*(w+1)"), "w"))
    >>> [s.code for s in slips][:3]
    ['product-rule', 'product-rule', 'product-rule']
    """
    slips: list[Slip] = []
    slips += _missing_paths(m, max_paths)
    for code, maker in _MAKERS:
        for n in m.g.nodes:
            if n.is_leaf or not _reaches(m, n):
                continue
            for sentence, expr, evidence in maker(m, n):
                ev = dict(evidence)
                if expr == m.truth:
                    continue  # the slip changes nothing here
                slips.append(Slip(ev.pop("code", code), sentence, expr, n.name, ev))
    return slips


def _reaches(m: Model, n: Node) -> bool:
    """The slip can change the output: n depends on wrt and the output depends on n."""
    return m.D[n.id] != 0 and _downstream(m)[n.id]


def _downstream(m: Model) -> list[bool]:
    cached = getattr(m, "_down", None)
    if cached is None:
        live = [False] * len(m.g.nodes)
        live[m.out] = True
        for n in reversed(m.g.nodes):
            if live[n.id]:
                for i in n.inputs:
                    live[i] = True
        m._down = live  # type: ignore[attr-defined]
        cached = live
    return cached


# --- chain-rule paths ----------------------------------------------------------------------
def _missing_paths(m: Model, max_paths: int) -> list[Slip]:
    from diffexplain.methods.symbolic import _count_paths, _paths

    if _count_paths(m.g, m.v, m.out) > max_paths:
        return []
    paths = [list(reversed(p)) for p in _paths(m.g, m.v, m.out)]  # output first
    if len(paths) < 2:
        return []
    out: list[Slip] = []
    for p in paths:
        factors = [m.edge_partial(p[k], p[k + 1]) for k in range(len(p) - 1)]
        product = m.sp.Mul(*factors)
        local = m.sp.Mul(*[m.g.local_partial(p[k], p[k + 1]) for k in range(len(p) - 1)])
        symbol = "·".join(_d(m.name(p[k]), m.name(p[k + 1])) for k in range(len(p) - 1))
        route = " → ".join(m.name(i) for i in reversed(p))
        ev = {"path": symbol, "route": route, "term": m.show(local)}
        junction = m.g.nodes[_junction(p, paths)]
        if junction.op in ("mul", "div"):
            # the paths meet at a product (quotient): the lost path is a lost term of its rule
            a, b = (m.name(i) for i in junction.inputs)
            rule = (f"({a}·{b})' = {a}'·{b} + {a}·{b}'" if junction.op == "mul"
                    else f"({a}/{b})' = ({a}'·{b} − {a}·{b}')/{b}²")
            ev["rule"] = rule
            code = "product-rule" if junction.op == "mul" else "quotient-rule"
            sentence = (_("loses a term of the product rule for {node}: the chain-rule path "
                          "{route} ({symbol} = {term}) is left out; {rule}")
                        if junction.op == "mul" else
                        _("loses a term of the quotient rule for {node}: the chain-rule path "
                          "{route} ({symbol} = {term}) is left out; {rule}")).format(
                              node=m.define(junction), route=route, symbol=symbol,
                              term=m.show(local), rule=rule)
            out.append(Slip(code, sentence, m.truth - product, junction.name, ev))
            continue
        sentence = _("leaves out the chain-rule path {route} ({symbol} = {term}): "
                     "{partial} is the sum over all {n} paths").format(
                         route=route, symbol=symbol, term=m.show(local),
                         partial=f"∂{m.name(m.out)}/∂{m.name(m.v)}", n=len(paths))
        out.append(Slip("missing-path", sentence, m.truth - product, "", ev))
    return out


def _junction(p: list[int], paths: list[list[int]]) -> int:
    """Where path ``p`` (output first) leaves the others: the last node it shares with one."""
    best = 0
    for q in paths:
        if q is p:
            continue
        k = 0
        while k < min(len(p), len(q)) and p[k] == q[k]:
            k += 1
        best = max(best, k)
    return p[max(best - 1, 0)]


# --- one maker per code: (model, node) -> [(sentence, slipped derivative, evidence)] -------
Made = list[tuple[str, Any, dict[str, str]]]


def _with(m: Model, n: Node, dn: Any) -> Any:
    return m.propagate({n.id: dn})[m.out]


def _product_rule(m: Model, n: Node) -> Made:
    if n.op != "mul":
        return []
    p, q = n.inputs
    dp, dq = m.D[p], m.D[q]
    if dp == 0 or dq == 0 or p == q:
        return []
    P, Q = m.full[p], m.full[q]
    a, b = m.name(p), m.name(q)
    rule = f"({a}·{b})' = {a}'·{b} + {a}·{b}'"
    ev = {"rule": rule}
    f = {"node": m.define(n), "a": a, "b": b, "rule": rule}
    return [
        (_("multiplies the derivatives of the factors of {node} ({a}'·{b}'): the product "
           "rule is {rule}").format(**f), _with(m, n, dp * dq), ev),
        (_("treats the product {node} like a sum ({a}' + {b}'): the factors {b} and {a} "
           "of the product rule are lost; it is {rule}").format(**f), _with(m, n, dp + dq), ev),
        (_("loses a factor of the product rule for {node}: wrote {a}'·{b} + {b}', "
           "but it is {rule}").format(**f), _with(m, n, dp * Q + dq), ev),
        (_("loses a factor of the product rule for {node}: wrote {a}' + {a}·{b}', "
           "but it is {rule}").format(**f), _with(m, n, dp + P * dq), ev),
    ]


def _quotient_rule(m: Model, n: Node) -> Made:
    if n.op != "div":
        return []
    p, q = n.inputs
    dp, dq = m.D[p], m.D[q]
    if dq == 0:
        return []
    P, Q = m.full[p], m.full[q]
    a, b = m.name(p), m.name(q)
    rule = f"({a}/{b})' = ({a}'·{b} − {a}·{b}')/{b}²"
    ev = {"rule": rule}
    f = {"node": m.define(n), "a": a, "b": b, "rule": rule}
    made = [
        (_("uses the quotient rule for {node} in the wrong order: "
           "({a}·{b}' − {a}'·{b})/{b}², but it is {rule}").format(**f),
         _with(m, n, (P * dq - dp * Q) / Q**2), ev),
        (_("adds instead of subtracting in the quotient rule for {node}: "
           "({a}'·{b} + {a}·{b}')/{b}², but it is {rule}").format(**f),
         _with(m, n, (dp * Q + P * dq) / Q**2), ev),
        (_("forgets to square the denominator in the quotient rule for {node}: "
           "({a}'·{b} − {a}·{b}')/{b}, but it is {rule}").format(**f),
         _with(m, n, (dp * Q - P * dq) / Q), ev),
    ]
    if dp != 0:
        made.append((_("divides the derivatives for {node} ({a}'/{b}'), but it is {rule}").format(
            **f), _with(m, n, dp / dq), ev))
    return made


def _inner(m: Model, n: Node) -> Made:
    """d f(u) written as f'(u): the factor du/dwrt of the chain rule left out."""
    if n.op not in _FUNCTIONS_WITH_INNER:
        return []
    made: Made = []
    if n.op == "exp" and m.g.nodes[n.inputs[0]].op == "neg":
        neg = m.g.nodes[n.inputs[0]]
        made.append((_("writes d exp(−u) as exp(−u) for {node}: the derivative of the "
                       "exponent {exponent} is negative, so d exp(−u) = −exp(−u)·u'").format(
                           node=m.define(n), exponent=m.define(neg)),
                     _with(m, n, m.full[n.id] * -m.D[neg.id]),
                     {"table": "exp(−u)", "code": "wrong-table-derivative"}))
    inputs = [i for i in dict.fromkeys(n.inputs) if m.D[i] != 0]
    if n.op == "pow" and m.g.nodes[n.inputs[1]].op != "const":
        return made
    for i in inputs[:1]:
        if m.D[i] == 1:
            continue
        f = m.sp.Add(*[m.partial[n.id][k] for k, j in enumerate(n.inputs) if j == i])
        u = m.name(i)
        made.append((_("forgets the inner derivative in {node}: wrote {outer} = {outer_value} "
                       "but left out the factor {inner} = {inner_value} of the chain "
                       "rule").format(node=m.define(n), outer=_d(n.name, u),
                                      outer_value=m.show(m.g.local_partial(n, i)),
                                      inner=_d(u, m.name(m.v)), inner_value=m.show(m.D[i])),
                     _with(m, n, f), {"outer": m.show(f), "inner": m.show(m.D[i])}))
    return made


_SIGN = {"sin": ("d sin(u) = cos(u)·u', not −cos(u)·u'", -1),
         "cos": ("d cos(u) = −sin(u)·u', not sin(u)·u'", -1),
         "sinh": ("d sinh(u) = cosh(u)·u', not −cosh(u)·u'", -1),
         "cosh": ("d cosh(u) = sinh(u)·u', not −sinh(u)·u'", -1)}


def _sign(m: Model, n: Node) -> Made:
    if n.op in _SIGN:
        right, wrong = _SIGN[n.op][0].split(", not ")  # formulas stay, "not" is translated
        why = _("{right}, not {wrong}").format(right=right, wrong=wrong)
        return [(_("has a sign slip in the derivative of {node}: {rule}").format(
            node=m.define(n), rule=why),
                 _with(m, n, -m.D[n.id]), {"rule": why})]
    if n.op == "sub":
        p, q = n.inputs
        if m.D[q] == 0:
            return []
        a, b = m.name(p), m.name(q)
        return [(_("has a sign slip in {node}: the derivative of a difference is "
                   "{a}' − {b}', not {a}' + {b}'").format(node=m.define(n), a=a, b=b),
                 _with(m, n, m.D[p] + m.D[q]),
                 {"rule": f"({a} − {b})' = {a}' − {b}'"})]
    if n.op == "neg":
        return [(_("drops the minus sign of {node}: its derivative is −{u}'").format(
            node=m.define(n), u=m.name(n.inputs[0])),
                 _with(m, n, -m.D[n.id]), {"rule": "(−u)' = −u'"})]
    return []


from diffexplain.checking.rules import _constant, _power, _table  # noqa: E402 - uses Made

_MAKERS: list[tuple[str, Callable[[Model, Node], Made]]] = [
    ("product-rule", _product_rule),
    ("quotient-rule", _quotient_rule),
    ("chain-rule", _inner),
    ("sign", _sign),
    ("power-rule", _power),
    ("constant", _constant),
    ("wrong-table-derivative", _table),
]
