"""More slips of the catalogue: the power rule, constants, and wrong table derivatives.

Each maker takes the :class:`~diffexplain.checking.mistakes.Model` and one node and
returns ``(sentence, slipped derivative, evidence)`` triples (see
:mod:`~diffexplain.checking.mistakes`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from diffexplain.core.printing import text as p_text
from diffexplain.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.checking.mistakes import Made, Model
    from diffexplain.core.graph import Node

__all__ = ["_constant", "_power", "_table"]


def _with(m: Model, n: Node, dn: Any) -> Any:
    return m.propagate({n.id: dn})[m.out]


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
