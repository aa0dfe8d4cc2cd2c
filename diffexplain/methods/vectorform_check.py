"""The vector form's check: each entry against the component graph's derivative.

The vector result is expanded into components (:func:`~diffexplain.methods.tensor_expr.entries`
with every named tensor replaced by its components' expressions), and each entry must equal
sympy's derivative of the component graph's objective (:func:`~diffexplain.methods.identity.check_equal`)
and, at the point, the component derivation's exact value. A mismatch raises
:class:`~diffexplain.errors.VerificationError`: the vector form is refused, never shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from diffexplain.core.graph import Node, constant_sympy, op_table
from diffexplain.core.shapes import unflatten
from diffexplain.errors import VerificationError
from diffexplain.i18n import N_
from diffexplain.methods import identity
from diffexplain.methods import tensor_expr as te

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.core.graph import Graph
    from diffexplain.methods.components import Scalarized
    from diffexplain.methods.symbolic import SymbolicResult

__all__ = ["Components", "evaluate_entries", "verify"]


#: (op, arity) → the slots and ∂op/∂slot of the operation's sympy form, built once per op
_PARTIALS: dict[tuple[str, int], tuple[list[Any], list[Any]]] = {}


def _partials(n: Node) -> tuple[list[Any], list[Any]]:
    import sympy as sp

    key = (n.op, len(n.inputs))
    if key not in _PARTIALS:
        slots = [sp.Dummy(f"s{k}") for k in range(len(n.inputs))]
        f = op_table(n.op).sympy(sp, *slots)
        _PARTIALS[key] = (slots, [sp.diff(f, s) for s in slots])
    return _PARTIALS[key]


class Components:
    """The component graph in sympy, built lazily: ``local`` writes each component of a
    tensor node as its own symbol (``z_0``) and expands only the nodes in between (the
    terms and partial sums of a ``dot``); ``full`` writes a component in the variables'
    components. Nothing is built that the check does not read, so a ``dot`` of n entries
    costs O(n), not the O(n²) of n nested sums."""

    def __init__(self, graph: Graph, sc: Scalarized) -> None:
        import sympy as sp

        self.sc = sc
        g = sc.graph
        self.named = {c for n in graph.nodes if n.op != "const" for c in sc.components[n.id]}
        self.symbols = {sp.Symbol(g.nodes[c].name, real=True): c for c in self.named
                        if g.nodes[c].op not in ("var", "const")}
        self._local: dict[int, Any] = {}
        self._full: dict[int, Any] = {}

    def _build(self, c: int, table: dict[int, Any], stop_at_named: bool) -> Any:
        import sympy as sp

        g = self.sc.graph
        stack = [c]
        while stack:
            k = stack[-1]
            if k in table:
                stack.pop()
                continue
            n = g.nodes[k]
            if n.op == "var" or (stop_at_named and k in self.named and n.op != "const"):
                table[k] = sp.Symbol(n.name, real=True)
            elif n.op == "const":
                table[k] = constant_sympy(n)
            else:
                missing = [i for i in n.inputs if i not in table]
                if missing:
                    stack.extend(missing)
                    continue
                table[k] = op_table(n.op).sympy(sp, *(table[i] for i in n.inputs))
            stack.pop()
        return table[c]

    def local(self, c: int) -> Any:
        return self._build(c, self._local, True)

    def full(self, c: int) -> Any:
        return self._build(c, self._full, False)

    def expand(self, expr: Any) -> Any:
        """``expr`` with every intermediate component written in the variables' components."""
        rep = {s: self.full(self.symbols[s]) for s in expr.free_symbols if s in self.symbols}
        return expr.xreplace(rep) if rep else expr

    def gradient(self, weights: Mapping[int, Any]) -> list[Any]:
        """∂(Σ weights·components)/∂ each component node: reverse accumulation over the
        component graph with each operation's own sympy derivative (independent of the
        vector rules)."""
        import sympy as sp

        g = self.sc.graph
        adj: list[Any] = [sp.S.Zero] * len(g.nodes)
        for c, w in weights.items():
            adj[c] += w
        for n in reversed(g.nodes):
            if n.is_leaf or adj[n.id] == 0:
                continue
            slots, derivs = _partials(n)
            need = set().union(*(d.free_symbols for d in derivs))  # a sum's partials are 1
            at = {s: self.local(i) for s, i in zip(slots, n.inputs) if s in need}
            for d, i in zip(derivs, n.inputs):
                adj[i] += adj[n.id] * d.xreplace(at)
        return adj


def verify(graph: Graph, comp: Components, env: Mapping[Any, list[Any]], total: te.TExpr,
           v: int, checker: list[Any], near: Mapping[Any, float]) -> tuple[str, list[Any]]:
    """Each entry of the vector result against the component graph's derivative: the method
    and the entries written in the variables' components."""
    got = te.entries(total, env)
    comps = comp.sc.components[v]
    if len(got) != len(comps):
        raise VerificationError(f"internal check failed: the vector form of "
                                f"{graph.nodes[v].name} has {len(got)} entries, "
                                f"expected {len(comps)}")
    methods = set()
    full = []
    for k, c in enumerate(comps):
        mine = comp.expand(got[k])
        full.append(mine)
        methods.add(identity.check_equal(
            mine, comp.expand(checker[c]), near, what=f"entry {k} of the vector form of "
                                                     f"∇{graph.nodes[v].name}"))
    return (identity.NUMERIC if identity.NUMERIC in methods else identity.SYMPY), full


def evaluate_entries(graph: Graph, got: list[Any], v: int, sc: Scalarized,
                     sym: SymbolicResult, near: Mapping[Any, float]) -> tuple[Any, str]:
    """The exact value of each entry at the point, checked against the component derivations."""
    from diffexplain.methods.reals import evaluate

    witness = sym.exact.derivatives if sym.exact is not None else {}
    vals, exact = [], True
    for k, c in enumerate(sc.components[v]):
        name = sc.graph.nodes[c].name
        r = evaluate(got[k], {s: near[s] for s in got[k].free_symbols if s in near})
        exact = exact and r.exact
        ref = witness[name].value.value if name in witness else sym.grads[c]
        if not identity.close(r.value, ref, rtol=1e-9, atol=1e-12):
            raise VerificationError(f"internal check failed: entry {k} of the vector form of "
                                    f"∇{graph.nodes[v].name} is {r.text}, the component "
                                    f"derivative {ref!r}")
        vals.append(r.value)
    return unflatten(sc.shapes[v], vals), N_("exact") if exact else N_("arbitrary precision")
