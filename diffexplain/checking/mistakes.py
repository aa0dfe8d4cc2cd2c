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
from diffexplain.i18n import N_, _

__all__ = ["CODES", "Model", "Slip", "catalogue"]

#: every mistake code, in the order slips are tried
CODES = ("missing-path", "product-rule", "quotient-rule", "lost-inner-derivative", "sign",
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
    ['missing-path', 'missing-path', 'product-rule']
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
        sentence = _("leaves out the chain-rule path {route} ({symbol} = {term}): "
                     "{partial} is the sum over all {n} paths").format(
                         route=route, symbol=symbol, term=m.show(local),
                         partial=f"∂{m.name(m.out)}/∂{m.name(m.v)}", n=len(paths))
        out.append(Slip("missing-path", sentence, m.truth - product, "",
                        {"path": symbol, "route": route, "term": m.show(local)}))
    return out


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
        u = m.g.nodes[n.inputs[0]]
        made.append((_("writes d exp(−u) as exp(−u) for {node}: the derivative of the "
                       "exponent {exponent} is negative, so d exp(−u) = −exp(−u)·u'").format(
                           node=m.define(n), exponent=m.define(u)),
                     _with(m, n, m.full[n.id] * -m.D[u.id]),
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


def _power(m: Model, n: Node) -> Made:
    sp = m.sp
    if n.op == "sqrt":
        u = n.inputs[0]
        U, du = m.full[u], m.D[u]
        rule = "d √u = u'/(2√u)"
        return [
            (_("applies the power rule to {node} = {u}^(1/2) without lowering "
               "the exponent (½·u^(1/2)): {rule}").format(node=m.define(n), u=m.name(u), rule=rule),
             _with(m, n, sp.sqrt(U) / 2 * du), {"rule": rule}),
            (_("drops the factor ½ of the power rule in {node}: {rule}").format(
                node=m.define(n), rule=rule),
             _with(m, n, du / sp.sqrt(U)), {"rule": rule}),
        ]
    if n.op != "pow":
        return []
    b, e = n.inputs
    B, E = m.full[b], m.full[e]
    db, de = m.D[b], m.D[e]
    nb, ne = m.name(b), m.name(e)
    const_exp = m.g.nodes[e].op == "const"
    if const_exp and db != 0:
        k = E
        us = sp.Symbol("u")
        rule = f"d(u^{p_text(k)}) = {p_text(k * us ** (k - 1))}·u'"
        ev = {"rule": rule}
        f = {"node": m.define(n), "k": p_text(k), "base": nb, "rule": rule}
        return [
            (_("is off by one in the power rule for {node}: the exponent was not lowered "
               "({k}·{base}^{k}); {rule}").format(**f), _with(m, n, k * B**k * db), ev),
            (_("is off by one in the power rule for {node}: the exponent was raised "
               "instead of lowered ({k}·{base}^{k1}); {rule}").format(k1=p_text(k + 1), **f),
             _with(m, n, k * B**(k + 1) * db), ev),
            (_("loses the factor {k} of the power rule for {node}: {rule}").format(**f),
             _with(m, n, B**(k - 1) * db), ev),
        ]
    if m.g.nodes[b].op == "const" and de != 0:
        return [(_("uses the power rule on the exponential {node} "
                   "({e}·{base}^({e} − 1)): d a^u = a^u·ln(a)·u'").format(
                       node=m.define(n), e=ne, base=nb),
                 _with(m, n, E * B**(E - 1) * de), {"rule": "d a^u = a^u·ln(a)·u'"})]
    if db != 0 and de != 0:
        return [(_("treats the exponent of {node} as a constant ({e}·{base}^({e} − 1)·"
                   "{base}'): the term {base}^{e}·ln({base})·{e}' is missing").format(
                       node=m.define(n), e=ne, base=nb),
                 _with(m, n, E * B**(E - 1) * db), {"rule": "d u^v = v·u^(v−1)·u' + u^v·ln(u)·v'"})]
    return []


def _constant(m: Model, n: Node) -> Made:
    made: Made = []
    consts = [i for i in n.inputs if m.g.nodes[i].op == "const"]
    if not consts:
        return made
    c = consts[0]
    others = [i for i in n.inputs if i != c]
    cname = m.name(c)
    C = m.full[c]
    if n.op in ("add", "sub") and others:
        o = others[0]
        sign = -1 if n.op == "sub" and n.inputs[1] == c else 1
        made.append((_("keeps the constant {c} of {node} in its derivative: the "
                       "derivative of a constant is 0").format(c=cname, node=m.define(n)),
                     _with(m, n, m.D[n.id] + sign * C),
                     {"constant": cname}))
        if m.D[n.id] != 0 and (n.op == "add" or n.inputs[1] == c):
            made.append((_("drops the constant {c} from {node} (uses {name} = {other})").format(
                c=cname, node=m.define(n), name=n.name, other=m.name(o)),
                m.with_value(n.id, m.full[o]), {"constant": cname}))
    if n.op == "mul" and others:
        o = others[0]
        made.append((_("drops the constant factor {c} of {node}: (c·u)' = c·u'").format(
            c=cname, node=m.define(n)), _with(m, n, m.D[o]), {"constant": cname}))
    if n.op == "div" and n.inputs[1] == c and others:
        made.append((_("drops the constant divisor {c} of {node}: (u/c)' = u'/c").format(
            c=cname, node=m.define(n)),
                     _with(m, n, m.D[others[0]]), {"constant": cname}))
    return made


# d f(u) confused with a wrong table entry (u' kept): name -> [(written, f(sp, u))]
_TABLE: dict[str, list[tuple[str, Callable[[Any, Any], Any]]]] = {
    "exp": [(N_("u·exp(u − 1) (the power rule used on e^u)"), lambda sp, u: u * sp.exp(u - 1))],
    "log": [(N_("exp(u) (the derivative of the inverse function)"), lambda sp, u: sp.exp(u)),
            (N_("u·log(u) − u (an antiderivative, not the derivative)"),
             lambda sp, u: u * sp.log(u) - u)],
    "sigmoid": [("σ(u)·(1 − u)", lambda sp, u: (1 / (1 + sp.exp(-u))) * (1 - u)),
                (N_("σ(u) (as if it were exp)"), lambda sp, u: 1 / (1 + sp.exp(-u))),
                ("σ(u)·(1 + σ(u))", lambda sp, u: (1 / (1 + sp.exp(-u))) * (1 + 1 / (1 + sp.exp(-u))))],
    "tanh": [(N_("1 + tanh²(u) (the rule of tan)"), lambda sp, u: 1 + sp.tanh(u) ** 2),
             (N_("1 − tanh(u) (the square lost)"), lambda sp, u: 1 - sp.tanh(u))],
    "tan": [("1 − tan²(u)", lambda sp, u: 1 - sp.tan(u) ** 2),
            (N_("1/cos(u) (the square lost)"), lambda sp, u: 1 / sp.cos(u))],
    "atan": [("1/(1 − u²)", lambda sp, u: 1 / (1 - u**2)),
             (N_("1/(1 + u) (the square lost)"), lambda sp, u: 1 / (1 + u))],
    "softplus": [("exp(u)", lambda sp, u: sp.exp(u)),
                 ("1/(1 + exp(u))", lambda sp, u: 1 / (1 + sp.exp(u)))],
    "sqrt": [("1/√u", lambda sp, u: 1 / sp.sqrt(u))],
}
_TRUE = {"exp": "exp(u)", "log": "1/u", "sigmoid": "σ(u)·(1 − σ(u))", "tanh": "1 − tanh²(u)",
         "tan": "1 + tan²(u)", "atan": "1/(1 + u²)", "softplus": "σ(u)", "sqrt": "1/(2√u)"}


def _table(m: Model, n: Node) -> Made:
    entries = _TABLE.get(n.op, [])
    if not entries:
        return []
    u = n.inputs[0]
    made: Made = []
    for written, f in entries:
        wrong = f(m.sp, m.full[u])
        made.append((_("uses a wrong derivative for {node}: {rule}, not {written}").format(
            node=m.define(n), rule=f"d {n.op}(u) = {_TRUE[n.op]}", written=_(written)),
            _with(m, n, wrong * m.D[u]),
                     {"wrote": written, "rule": f"d {n.op}(u) = {_TRUE[n.op]}"}))
    return made


_MAKERS: list[tuple[str, Callable[[Model, Node], Made]]] = [
    ("product-rule", _product_rule),
    ("quotient-rule", _quotient_rule),
    ("lost-inner-derivative", _inner),
    ("sign", _sign),
    ("power-rule", _power),
    ("constant", _constant),
    ("wrong-table-derivative", _table),
]
