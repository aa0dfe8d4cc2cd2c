"""The textbook side of a small graph's derivation: rules, notation and closed forms.

A mixin of :class:`~diffexplain.methods.symbolic._SympyContext`, kept apart so the
derivation's control flow (``symbolic``) and how each line is named and written
(here) each stay readable: which rule gives a local partial (with the power
rule's n), the held partial ``∂y/∂w|ₐ`` of a direct edge, the ``where`` line, the
chain rule through a bottleneck, and the program's own names in the closed form.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from diffexplain.core.graph import Graph, op_table
from diffexplain.core.printing import latex as p_latex
from diffexplain.core.printing import text as p_text
from diffexplain.i18n import N_, _
from diffexplain.methods.closed_form import REWRITE_OPS, Form, best_form, in_exp
from diffexplain.methods.derivation_text import _paths, _rule_name, latex_name, partial_symbol

if TYPE_CHECKING:  # pragma: no cover
    import sympy

__all__ = ["MAX_SPLITS", "Textbook"]

#: bottleneck nodes tried for the chain-rule-through-z closed form
MAX_SPLITS = 4


class Textbook:
    """Rules, notation and closed forms; the attributes are :class:`_SympyContext`'s."""

    sp: Any
    g: Graph
    sym: list[Any]
    full: list[Any]
    const: list[bool]
    const_values: dict[Any, Any]
    to_leaves: dict[Any, Any]
    to_shown: dict[Any, Any]
    user_named: list[int]
    rewrite: str
    forms: dict[Any, Form]

    def closed(self, vid: int, out: int) -> tuple[sympy.Expr, Form]:
        """The raw derivative and its most readable form (see :mod:`.closed_form`)."""
        sp = self.sp
        raw = sp.diff(self.full[out], self.sym[vid])
        if self.rewrite == "exp":
            raw = in_exp(raw)
        allowed = {type(f).__name__ for f in (self.full[out].atoms(sp.Function)
                                              | raw.atoms(sp.Function))}
        if self.rewrite == "exp":
            allowed = {type(f).__name__ for f in raw.atoms(sp.Function)}
        splits = []
        if sp.count_ops(raw) <= REWRITE_OPS and self.rewrite != "exp":
            for z in self.bottlenecks(vid, out)[:MAX_SPLITS]:
                outer, inner = self.through(z, out), sp.diff(self.full[z], self.sym[vid])
                splits.append((self.g.nodes[z].name, outer, inner))
        return raw, best_form(raw, allowed, splits, self.forms)

    def bottlenecks(self, vid: int, out: int) -> list[int]:
        """Nodes on every path from the variable to the output, nearest the output first."""
        paths = _paths(self.g, vid, out)
        common = set(paths[0][1:-1]) if paths else set()
        for p in paths[1:]:
            common &= set(p)
        return sorted((z for z in common if not self.const[z]), reverse=True)

    def through(self, z: int, out: int) -> sympy.Expr:
        """∂out/∂z with z an independent symbol, then written in the leaves."""
        sp = self.sp
        full: list[Any] = []
        for n in self.g.nodes:
            if n.is_leaf or n.id == z:
                full.append(self.sym[n.id])
            else:
                full.append(op_table(n.op).sympy(sp, *(full[i] for i in n.inputs)))
        return sp.diff(full[out], self.sym[z]).xreplace({self.sym[z]: self.full[z]})


    def held(self, a: int, b: int) -> tuple[int, ...]:
        """Inputs of ``a`` other than ``b`` that depend on ``b``: held fixed along the edge."""
        n = self.g.nodes[a]
        if b not in n.inputs:
            return ()
        reach = self.g.depends_on(b)
        return tuple(dict.fromkeys(i for i in n.inputs if i != b and reach[i]))

    def rule(self, a: int, b: int) -> str:
        n = self.g.nodes[a]
        expo = ""
        if n.op == "pow" and self.const[n.inputs[1]]:
            expo = p_text(self.full[n.inputs[1]])
        why = _rule_name(self.g, n, b, self.const, expo)
        hs = self.held(a, b)
        if hs:
            why = _("{rule}, holding {names} fixed").format(
                rule=why, names=", ".join(self.g.nodes[h].name for h in hs))
        return why

    def how(self, form: Form, y: str, v: str) -> str:
        if form.how.startswith("chain through "):
            z = form.how[len("chain through "):]
            return _("chain rule through {z}: {lhs} = {outer}·{inner}, each factor "
                     "simplified").format(z=z, lhs=partial_symbol(y, v, "text"),
                                          outer=partial_symbol(y, z, "text"),
                                          inner=partial_symbol(z, v, "text"))
        return _(_HOW.get(form.how, N_("simplify (sympy)")))

    def fold(self, form: Form) -> Form:
        """The closed form with the program's named intermediates written back (σ(z), not
        σ(w·x + b)), where a function's argument or a repeated sum is exactly one."""
        sp = self.sp
        if not self.user_named:
            return form
        sub = {self.full[i]: self.sym[i] for i in reversed(self.user_named)
               if not self.full[i].is_Atom}
        if not sub:
            return form
        factors = tuple(f.xreplace(sub) for f in form.factors)
        if factors == form.factors:
            return form
        return Form(sp.Mul(*factors), factors, form.how)

    def folded_names(self, form: Form) -> set[Any]:
        return set().union(*(f.free_symbols for f in form.factors)) & self.to_leaves.keys()

    def where(self, symbols: set[Any]) -> tuple[tuple[str, str], ...]:
        """``where a = exp(w)``: each intermediate the lines use, defined as written, in the
        leaves and the other intermediates the lines use (``z = w·x + b``, ``c = σ(z)``)."""
        sp, g = self.sp, self.g
        used = {s for s in symbols if s in self.to_shown and s not in self.const_values}

        def build(nid: int, top: bool) -> Any:
            n = g.nodes[nid]
            if n.is_leaf or self.const[nid] or (not top and self.sym[nid] in used):
                return self.full[nid] if self.const[nid] else self.sym[nid]
            args = [build(i, False) for i in n.inputs]
            with sp.evaluate(False):
                return op_table(n.op).sympy(sp, *args)

        out = []
        for s in sorted(used, key=lambda s: g[s.name].id):
            d = build(g[s.name].id, True)
            out.append((f"{s} = {p_text(d, keep_order=True)}",
                        f"{latex_name(s.name)} = {p_latex(d, keep_order=True)}"))
        return tuple(out)


#: what each closed-form candidate (:mod:`.closed_form`) did, as the line's reason
_HOW = {
    "factor_terms": N_("simplify: take out the common factors"),
    "together": N_("simplify: one fraction"),
    "cancel": N_("simplify: cancel common factors"),
    "factor": N_("simplify: factor"),
    "expanded over factored": N_("simplify: one fraction, numerator expanded, denominator "
                                 "factored"),
    "collect": N_("simplify: collect the terms of each function"),
    "expand": N_("simplify: expand"),
}


def assigned(source: str, name: str) -> bool:
    """Whether the program text assigns ``name`` (a name the learner chose, not a generated one)."""
    return bool(source) and re.search(rf"(?:^|[;\n])\s*{re.escape(name)}\s*=(?!=)", source) is not None


