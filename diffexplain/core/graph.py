"""The computational graph: one immutable DAG that all three differentiators walk.

Nodes are stored in topological order (inputs before users), so every pass is one
flat loop over ``graph.nodes`` with an environment list: nothing recurses per
nesting level, and a 10,000-deep expression costs what 10,000 siblings cost.

A :class:`GraphBuilder` is the one way graphs are made (the parser, the sympy
importer and the Python tracer all use it): it shares repeated subexpressions,
names intermediates, and enforces :class:`~diffexplain.limits.Limits`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from diffexplain.core.functions import CONSTANTS, FUNCTIONS, OPERATORS, TORCH_OPS, Fn
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx
    import sympy

__all__ = ["Graph", "GraphBuilder", "Node", "op_table"]

#: Letters handed out to unnamed intermediates, in order (e/i/j/l/o and the usual
#: variable letters are skipped: they read as constants, indices or digits).
_LETTERS = "abcdfghkmnpqrstuvz"


def op_table(op: str) -> Fn:
    """The :class:`~diffexplain.core.functions.Fn` behind an operation name."""
    fn = OPERATORS.get(op) or FUNCTIONS.get(op) or TORCH_OPS.get(op)
    if fn is None:
        raise NotImplementedError(f"no rule for operation {op!r}")
    return fn


@dataclass(frozen=True)
class Node:
    """One vertex: a variable (``op='var'``), a constant (``op='const'``) or an operation.

    ``id`` is the node's index in :attr:`Graph.nodes`; ``inputs`` are ids of
    earlier nodes. ``literal`` keeps a constant as written, so the symbolic side
    stays exact (``0.1`` is 1/10, not a float).
    """

    id: int
    name: str
    op: str
    inputs: tuple[int, ...] = ()
    value: float | None = None
    literal: str | None = None
    shape: tuple[int, ...] = ()
    #: an operation's parameters as (key, value) pairs, e.g. (("dim", 0),) for a recorded cat
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def is_leaf(self) -> bool:
        return self.op in ("var", "const")


@dataclass(frozen=True)
class Graph:
    """An immutable DAG of :class:`Node` in topological order, with its output ids."""

    nodes: tuple[Node, ...]
    outputs: tuple[int, ...]
    source: str = ""
    _index: dict[str, int] = field(default_factory=dict, init=False, compare=False, repr=False)
    #: per-graph memo of derived tables (users, float plans, variables); the graph never
    #: changes, and a copy made by ``dataclasses.replace`` starts with an empty one
    _cache: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({n.name: n.id for n in self.nodes})

    # --- structure ---------------------------------------------------------------------
    @property
    def variables(self) -> tuple[str, ...]:
        """Names of the variable leaves, sorted, which is the order gradients are shown in."""
        got = self._cache.get("variables")
        if got is None:  # asked per variable by several stages: one walk per graph
            got = self._cache["variables"] = tuple(sorted(n.name for n in self.nodes
                                                          if n.op == "var"))
        return got

    @property
    def ops(self) -> frozenset[str]:
        """The operation names the graph uses (leaves excluded), for table-wide questions."""
        got = self._cache.get("ops")
        if got is None:
            got = self._cache["ops"] = frozenset(n.op for n in self.nodes
                                                 if n.op not in ("var", "const"))
        return got

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, key: int | str) -> Node:
        return self.nodes[self._index[key] if isinstance(key, str) else key]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def users(self) -> list[list[int]]:
        """For each node, the ids of the nodes that take it as an input (each once)."""
        return [list(u) for u in self._users()]

    def _users(self) -> tuple[tuple[int, ...], ...]:
        # memoised, read-only form of users() for the passes that ask once per node
        cached = self._cache.get("users")
        if cached is None:
            out: list[list[int]] = [[] for _ in self.nodes]
            for n in self.nodes:
                ins = n.inputs
                if len(ins) == 1 or (len(ins) == 2 and ins[0] != ins[1]):
                    for i in ins:
                        out[i].append(n.id)
                else:
                    for i in dict.fromkeys(ins):
                        out[i].append(n.id)
            cached = self._cache["users"] = tuple(tuple(u) for u in out)
        return cached

    def edges(self) -> list[tuple[int, int]]:
        """``(input, user)`` pairs, each once even where a node uses an input twice."""
        return [(i, n.id) for n in self.nodes for i in dict.fromkeys(n.inputs)]

    def depends_on(self, leaf: int) -> list[bool]:
        """Which nodes the leaf reaches, so the path-sum and traces can skip the rest."""
        reach = [False] * len(self.nodes)
        reach[leaf] = True
        for n in self.nodes[leaf + 1:]:  # topological order: nothing earlier depends on it
            for i in n.inputs:
                if reach[i]:
                    reach[n.id] = True
                    break
        return reach

    def fn(self, node: Node | int) -> Fn:
        """The rule table entry of an operation node."""
        n = self.nodes[node] if isinstance(node, int) else node
        return op_table(n.op)

    def validate(self) -> None:
        """Check the invariants every pass relies on; raises ``ValueError`` if one breaks."""
        seen: set[str] = set()
        arity = {"var": 0, "const": 0}  # per operation name: a table lookup per node is slow
        for k, n in enumerate(self.nodes):
            if n.id != k:
                raise ValueError(f"node {n.name!r} has id {n.id}, expected {k}")
            if n.name in seen:
                raise ValueError(f"duplicate node name {n.name!r}")
            seen.add(n.name)
            ins = n.inputs
            if ins and (max(ins) >= k or min(ins) < 0):
                raise ValueError(f"node {n.name!r} is not in topological order")
            a = arity.get(n.op)
            if a is None:
                a = arity[n.op] = op_table(n.op).arity
            if len(ins) != a and not n.is_leaf:
                raise ValueError(f"node {n.name!r}: {n.op} takes {a} inputs")
        if not self.outputs:
            raise ValueError("graph has no output")

    # --- sympy views (built on demand: each sympy object costs ~100 µs) ------------------
    def symbol(self, node: Node | int) -> sympy.Expr:
        """The symbol standing for a node in derivations (constants are their value)."""
        import sympy as sp

        n = self.nodes[node] if isinstance(node, int) else node
        if n.op == "const":
            return constant_sympy(n)
        return sp.Symbol(n.name, real=True)

    def local_expr(self, node: Node | int) -> sympy.Expr:
        """The node's operation applied to its direct inputs' symbols (never deep)."""
        import sympy as sp

        n = self.nodes[node] if isinstance(node, int) else node
        if n.is_leaf:
            return self.symbol(n)
        return op_table(n.op).sympy(sp, *(self.symbol(i) for i in n.inputs))

    def local_partial(self, node: Node | int, inp: int) -> sympy.Expr:
        """∂node/∂input in the inputs' symbols, summed over every slot the input fills."""
        import sympy as sp

        n = self.nodes[node] if isinstance(node, int) else node
        expr = self.local_expr(n)
        return sp.diff(expr, self.symbol(inp))

    def to_networkx(self, values: Sequence[float] | None = None,
                    grads: Sequence[float] | None = None) -> nx.DiGraph:
        """A ``networkx.DiGraph`` keyed by node name with op, inputs, value and grad attributes."""
        import networkx as nx

        g = nx.DiGraph()
        for n in self.nodes:
            g.add_node(n.name, id=n.id, op=n.op, inputs=[self.nodes[i].name for i in n.inputs],
                       value=None if values is None else values[n.id],
                       grad=None if grads is None else grads[n.id],
                       kind="variable" if n.op == "var" else
                       "constant" if n.op == "const" else "operation",
                       output=n.id in self.outputs)
        for a, b in self.edges():
            g.add_edge(self.nodes[a].name, self.nodes[b].name)
        return g

    def describe(self, node: Node | int) -> str:
        """One-line definition of a node in its inputs' names, e.g. ``a = x + w``."""
        n = self.nodes[node] if isinstance(node, int) else node
        if n.is_leaf:
            return n.name
        fn = op_table(n.op)
        args = [self.nodes[i].name for i in n.inputs]
        if not fn.text:
            return f"{n.op}({', '.join(args)})"
        return fn.text.format(*args, **dict(n.params)) if n.params else fn.text.format(*args)


def constant_sympy(node: Node) -> sympy.Expr:
    """A constant exactly as written: ``0.1`` becomes 1/10, ``pi`` becomes π."""
    import sympy as sp

    lit = node.literal or repr(node.value)
    if lit == "pi":
        return sp.pi
    if lit == "e":
        return sp.E
    neg = lit.startswith("-")
    body = lit[1:] if neg else lit
    if body in ("pi", "e"):
        val = sp.pi if body == "pi" else sp.E
    else:
        try:
            frac = Fraction(body)
            val = sp.Rational(frac.numerator, frac.denominator)
        except (ValueError, ZeroDivisionError):
            val = sp.Float(float(node.value or 0.0))
    return -val if neg else val


class GraphBuilder:
    """Makes a :class:`Graph` node by node, sharing repeated subexpressions.

    The builder checks limits as it goes, so a hostile input stops at the node
    that crosses a limit instead of after the whole graph was built.
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS, source: str = "") -> None:
        self.limits = limits
        self.source = source
        self.nodes: list[Node] = []
        self._key: dict[tuple[Any, ...], int] = {}
        self._const_value: list[float | None] = []  # value of constant-only subtrees
        self._names: dict[str, int] = {}
        self._pos: list[int | None] = []

    # -- leaves --------------------------------------------------------------------------
    def var(self, name: str, shape: tuple[int, ...] = ()) -> int:
        key = ("var", name)
        if key in self._key:
            return self._key[key]
        return self._add(Node(len(self.nodes), name, "var", shape=shape), key, None)

    def const(self, value: float, literal: str | None = None, pos: int | None = None) -> int:
        lit = literal if literal is not None else _literal(value)
        key = ("const", lit)
        if key in self._key:
            return self._key[key]
        name = lit
        return self._add(Node(len(self.nodes), name, "const", value=float(value), literal=lit),
                         key, float(value), pos)

    def named_constant(self, name: str) -> int:
        return self.const(CONSTANTS[name], name)

    # -- operations ----------------------------------------------------------------------
    def op(self, op: str, inputs: Iterable[int], pos: int | None = None,
           params: tuple[tuple[str, Any], ...] = ()) -> int:
        ins = tuple(inputs)
        fn = op_table(op)
        if len(ins) != fn.arity:
            raise InputError(_("{op}() takes {arity} argument(s), got {n}").format(
                op=op, arity=fn.arity, n=len(ins)), self.source, pos)
        cvals = [self._const_value[i] for i in ins]  # None: not constant
        if op == "pow" and cvals[1] is not None:
            self._check_exponent(cvals[1], pos)
        if op == "neg" and self.nodes[ins[0]].op == "const":
            c = self.nodes[ins[0]]
            lit = c.literal or _literal(c.value or 0.0)
            return self.const(-(c.value or 0.0), lit[1:] if lit.startswith("-") else "-" + lit,
                              pos)
        key = (op, ins, params) if params else (op, ins)
        if key in self._key:
            return self._key[key]
        value = None
        if None not in cvals and fn.tensor != "rule":  # rule: no 1-entry fold
            consts = cast("list[float]", cvals)
            value = fn.math(math, *consts)
            if op == "pow":
                self._check_constant_power(consts[0], consts[1], value, pos)
            if not math.isfinite(value) and all(math.isfinite(c) for c in consts):
                # 1/0, 0**-2, log(0): undefined whatever the point, and exact arithmetic
                # would cancel the infinities the float passes cannot (inf - inf)
                raise InputError(_("the constant part {op}({args}) has no finite value ({value}): "
                                   "the expression is undefined at every point").format(
                                       op=op, args=", ".join(_literal(c) for c in consts),
                                       value=value), self.source, pos)
        return self._add(Node(len(self.nodes), "", op, ins, params=params), key, value, pos)

    def _check_exponent(self, value: float, pos: int | None) -> None:
        lim = self.limits.max_exponent
        if not math.isfinite(value) or abs(value) > lim:
            shown = "too large to compute" if not math.isfinite(value) else f"{value:g}"
            raise LimitExceeded(_("exponent {value} exceeds the limit of {limit}").format(
                value=shown, limit=lim),
                _("raise it with --max-exponent (API: limits=Limits(max_exponent=…))"),
                self.source, pos)

    def _check_constant_power(self, base: float, expo: float, value: float,
                              pos: int | None) -> None:
        # sympy evaluates a power of exact numbers exactly: (10**300)**1000 would be a
        # 300,000-digit integer, and one more power hangs. A float that overflows or
        # underflows is the cheap sign of that, checked before sympy ever sees the node.
        if base == 0 or value != value:
            return
        if math.isinf(value) or value == 0:
            msg = (_("the constant power {power} overflows a float (its exact value would have "
                     "an enormous number of digits)") if math.isinf(value) else
                   _("the constant power {power} underflows a float (its exact value would have "
                     "an enormous number of digits)"))
            raise LimitExceeded(msg.format(power=f"{_literal(base)}**{_literal(expo)}"),
                                _("use smaller constants (or a variable)"), self.source, pos)

    def _add(self, node: Node, key: tuple[Any, ...], const_value: float | None,
             pos: int | None = None) -> int:
        if len(self.nodes) >= self.limits.max_nodes:
            raise LimitExceeded(_("the graph has more than {limit} nodes").format(
                limit=self.limits.max_nodes), _("raise it with --max-nodes"), self.source, pos)
        self.nodes.append(node)
        self._key[key] = node.id
        self._const_value.append(const_value)
        self._pos.append(pos)
        return node.id

    # -- names ---------------------------------------------------------------------------
    def name(self, node_id: int, name: str) -> None:
        """Give an intermediate the user's name (the first name given wins)."""
        n = self.nodes[node_id]
        if n.name == "":
            self.nodes[node_id] = Node(n.id, name, n.op, n.inputs, n.value, n.literal, n.shape,
                                       n.params)
        self._names[name] = node_id

    def build(self, outputs: Sequence[int], output_names: Sequence[str] | None = None) -> Graph:
        """Finish: name the output(s) and every unnamed intermediate, then validate."""
        taken = {n.name for n in self.nodes if n.name} | set(FUNCTIONS) | set(CONSTANTS)
        for k, out in enumerate(outputs):
            if self.nodes[out].name:
                continue
            wanted = output_names[k] if output_names and k < len(output_names) else None
            for cand in ([wanted] if wanted else []) + (["y"] if len(outputs) == 1 else
                                                        [f"y{k}"]) + ["out", f"out{k}"]:
                if cand and cand not in taken:
                    self.name(out, cand)
                    taken.add(cand)
                    break
        unnamed = [n.id for n in self.nodes if not n.name]
        letters = [c for c in _LETTERS if c not in taken]
        if len(unnamed) <= len(letters):
            names = letters[: len(unnamed)]
        else:
            names, k = [], 1
            while len(names) < len(unnamed):
                if f"v{k}" not in taken:
                    names.append(f"v{k}")
                k += 1
        for nid, nm in zip(unnamed, names):
            self.name(nid, nm)
        g = Graph(tuple(self.nodes), tuple(outputs), self.source)
        g.validate()
        return g

    def lookup(self, name: str) -> int | None:
        return self._names.get(name)


def _literal(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def point_values(graph: Graph, point: Mapping[str, float]) -> list[float]:
    """Leaf values as a list indexed by node id (operations left NaN), for the float passes."""
    vals = [math.nan] * len(graph.nodes)
    for n in graph.nodes:
        if n.op == "var":
            vals[n.id] = float(point[n.name])
        elif n.op == "const":
            vals[n.id] = float(n.value if n.value is not None else math.nan)
    return vals
