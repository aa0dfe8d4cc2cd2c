"""What the names of a step mean: the explained graph, or free symbols (equations)."""

from __future__ import annotations

from typing import Any

from diffexplain.errors import InputError
from diffexplain.i18n import _

__all__ = ["OUTPUT_ALIASES", "FreeScope", "GraphScope", "Scope"]

#: names a learner uses for "the function" when the exercise does not have them
OUTPUT_ALIASES = ("y", "f", "F", "g", "L")


class Scope:
    """What names mean; subclasses know the exercise."""

    names: frozenset[str] = frozenset()
    wrt: Any = None  # the sympy symbol of the variable primes refer to

    def name(self, name: str) -> tuple[Any, Any] | None:  # (full, shown)
        return None

    def output_derivative(self, var: str | None) -> Any:
        raise InputError(_("there is no function to differentiate here"))

    def is_output(self, name: str) -> bool:
        return False

    def node_derivative(self, name: str) -> Any:
        return None

    def partial(self, p: str, q: str) -> Any:
        return None

    def adjoint(self, name: str) -> Any:
        return None

    def is_variable(self, var: str) -> bool:
        got = self.name(var)
        return got is not None and bool(getattr(got[0], "is_Symbol", False))

    def symbol(self, var: str) -> Any:
        full = self.name(var)
        if full is None or not getattr(full[0], "is_Symbol", False):
            raise InputError(_("cannot differentiate with respect to {name!r}: it is not a "
                               "variable here").format(name=var))
        return full[0]


class FreeScope(Scope):
    """Every name is a real symbol (equations: ``ln(y/(1-y)) = z``)."""

    def __init__(self, names: frozenset[str], positive: frozenset[str] = frozenset()) -> None:
        import sympy as sp

        self.names = names
        self.syms = {n: sp.Symbol(n, real=True) for n in names if n not in ("e", "pi", "E")}

    def name(self, name: str) -> tuple[Any, Any] | None:
        s = self.syms.get(name)
        return None if s is None else (s, s)


class GraphScope(Scope):
    """Names of the explained graph: leaves, intermediates, partials, adjoints."""

    def __init__(self, ex: Any) -> None:
        self.ex = ex
        self.g = ex.g
        self.names = frozenset(n.name for n in ex.g.nodes if n.op != "const")
        self.out = ex.g.nodes[ex.model.out].name
        self.wrt = ex.leaf_syms[ex.wrt]

    def name(self, name: str) -> tuple[Any, Any] | None:
        from diffexplain.core.graph import constant_sympy

        if name not in self.g or self.g[name].op == "const":
            return None
        node = self.g[name]
        return self.ex.model.full[node.id] if node.op != "const" else constant_sympy(node), \
            self.g.symbol(node)

    def is_output(self, name: str) -> bool:
        return name == self.out or (name in OUTPUT_ALIASES and name not in self.g)

    def output_derivative(self, var: str | None) -> Any:
        if var is None or var == self.ex.wrt:
            return self.ex.truth
        return self.ex.model.full[self.ex.model.out].diff(self.symbol(var))

    def node_derivative(self, name: str) -> Any:
        if name in self.g and self.g[name].op != "const":
            return self.ex.model.D[self.g[name].id]
        return None

    def partial(self, p: str, q: str) -> Any:
        import sympy as sp

        g, m = self.g, self.ex.model
        if p not in g or q not in g:
            return None
        pi, qi = g[p].id, g[q].id
        if qi in g.nodes[pi].inputs:  # an edge of the path sum: the local partial
            return m.edge_partial(pi, qi)
        D: dict[int, Any] = {qi: sp.Integer(1)}
        for n in g.nodes[qi + 1: pi + 1]:
            if n.is_leaf:
                continue
            D[n.id] = sp.Add(*[m.partial[n.id][k] * D.get(i, 0) for k, i in enumerate(n.inputs)])
        return D.get(pi, sp.Integer(0))

    def adjoint(self, name: str) -> Any:
        if name not in self.g:
            return None
        return self.partial(self.out, name) if name != self.out else 1
