"""The derivation's model and its text: lines, local partials, reverse accumulation.

What a derivation *is* (:class:`Line`, :class:`Partial`, :class:`Derivation`) and
how the parts that need no sympy are written: partial symbols, rule names and
the adjoint table of reverse accumulation (one line per node, from each
operation's rule templates, so its cost grows with the graph and not with the
closed form). :mod:`~diffexplain.methods.symbolic` adds the sympy side.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diffexplain.core.floats import fsum
from diffexplain.core.functions import FLOAT_ERRORS, raw_form
from diffexplain.core.graph import Graph, Node, op_table
from diffexplain.core.printing import bar, bar_latex, bar_pair, fmt_number
from diffexplain.i18n import N_, _, rule_text
from diffexplain.methods import exact

__all__ = [
    "AdjointRow",
    "Derivation",
    "Line",
    "Partial",
    "SymbolicResult",
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


@dataclass(frozen=True, init=False)
class AdjointRow:
    """One line of reverse accumulation: ``ā = ȳ·∂y/∂a = ȳ·b = 1·2 = 2``."""

    node: str
    formula: str
    formula_latex: str
    values: str
    value: float

    def __init__(self, node: str, formula: str, formula_latex: str, values: str,
                 value: float) -> None:
        d = self.__dict__  # written out, as model.NodeInfo's: one row per node
        d["node"] = node
        d["formula"] = formula
        d["formula_latex"] = formula_latex
        d["values"] = values
        d["value"] = value


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
    #: the intermediates the lines use, defined: (``a = exp(w)``, its LaTeX)
    where: tuple[tuple[str, str], ...] = ()
    #: the value in exact or arbitrary-precision arithmetic (``value`` is its nearest float)
    exact: exact.Real | None = None


@dataclass(frozen=True)
class SymbolicResult:
    derivations: dict[str, Derivation]
    adjoints: tuple[AdjointRow, ...]
    grads: tuple[float, ...] = field(default=())
    #: the exact witness (None for graphs over exact.EXACT_NODES nodes)
    exact: exact.ExactPass | None = None


#: one index of a component name: ``0``, or a generated term/sum index ``t1``, ``acc2``
_INDEX = re.compile(r"[a-z]*[0-9]+")


def latex_name(name: str) -> str:
    """A node name in LaTeX without sympy: ``v12`` → ``v_{12}``, ``w_0_1`` → ``w_{0,1}``,
    the component graph's ``a_0_t1`` → ``a_{0,t1}``."""
    head, _, idx = name.partition("_")
    if idx and head.isalpha() and all(_INDEX.fullmatch(p) for p in idx.split("_")):  # components
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


_SUBSCRIPT = str.maketrans("aehijklmnoprstuvx0123456789", "ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₀₁₂₃₄₅₆₇₈₉")


def held_symbol(out: str, inp: str, held: Sequence[str], fmt: str) -> str:
    """The local partial along a direct edge when other paths exist: ``∂y/∂w|ₐ`` holds a fixed.

    Written as plain ``∂y/∂w`` it would read as the total derivative on the left
    of the same line. ASCII keeps ``dy/dw``: :func:`diffexplain.check` reads a partial
    along an edge as the local one.
    """
    if not held or fmt == "ascii":
        return partial_symbol(out, inp, fmt)
    if fmt == "latex":
        sub = ", ".join(latex_name(h) for h in held)
        return rf"\left.{partial_symbol(out, inp, fmt)}\right|_{{{sub}}}"
    sub = ",".join(held)
    low = sub.translate(_SUBSCRIPT)
    return f"∂{out}/∂{inp}|{low if all(c in _SUBSCRIPT_CHARS for c in low) else '(' + sub + ')'}"


_SUBSCRIPT_CHARS = frozenset("ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₀₁₂₃₄₅₆₇₈₉,")


def constant_nodes(graph: Graph) -> list[bool]:
    """Which nodes depend on no variable (``1/3``, ``2*pi``): constants for the rules."""
    const = [False] * len(graph.nodes)
    for n in graph.nodes:
        const[n.id] = n.op == "const" or (not n.is_leaf and all(const[i] for i in n.inputs))
    return const


def _rule_name(graph: Graph, node: Node, inp: int, const: Sequence[bool] | None = None,
               exponent: str = "") -> str:
    """The rule that gives ∂node/∂inp, named for what it is (a table lookup is not the chain rule).

    ``exponent`` is the constant exponent as printed, so the power rule says its n.
    """
    fn = op_table(node.op)
    const = const if const is not None else constant_nodes(graph)
    consts = [const[i] for i in node.inputs]
    if node.op == "pow":
        base, expo = node.inputs
        if inp == base and consts[1]:
            return (_("power rule, n = {n}").format(n=exponent) if exponent
                    else _("power rule"))
        if inp == expo and consts[0]:
            return _("exponential rule")
        return _("generalized power rule")
    if node.op == "mul" and any(consts):
        return _("constant multiple rule")
    if node.op == "div" and consts[1] and inp == node.inputs[0]:
        return _("constant multiple rule")
    return rule_text(fn.rule)


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
        self.latex, self.bar, self.bar_latex = [], [], []
        for nm in self.text:
            lt, b, bl = _name_forms(nm)
            self.latex.append(lt)
            self.bar.append(b)
            self.bar_latex.append(bl)
        self.grads = grads
        self._grad_text: dict[int, str] = {}
        #: per operation name: its partial templates and float partials (see _rule_forms)
        self.rules: dict[str, tuple[Any, ...]] = {}

    def grad_text(self, u: int) -> str:
        t = self._grad_text.get(u)
        if t is None:
            t = self._grad_text[u] = fmt_number(self.grads[u])
        return t


def _name_forms(name: str) -> tuple[str, str, str]:
    """:func:`latex_name`, :func:`bar` and :func:`bar_latex` (with its ``·``) of a name.

    The names the builder hands out (``a``, ``v12``) are written directly: the general
    functions split each name again, and this runs once per node of every graph.
    """
    if name.isascii() and name[:1].isalpha():
        if len(name) == 1:
            return name, name + "\u0304", f"\\bar{{{name}}} \\cdot "
        if name[1:].isdigit():
            head, sub = name[0], name[1:]
            return (f"{head}_{{{sub}}}", f"{head}\u0304{sub}",
                    f"\\bar{{{head}}}_{{{sub}}} \\cdot ")
    b, bl = bar_pair(name)
    return latex_name(name), b, bl + r" \cdot "


def _rule_forms(op: str) -> tuple[Any, ...]:
    """(text templates, LaTeX templates, raw float partials, guarded float partials) of an
    operation, or ``()`` for ``pow``, whose partial depends on its exponent node."""
    if op == "pow":
        return ()
    fn = op_table(op)
    return (fn.partial_text, fn.partial_latex,
            tuple(raw_form(d) for d in fn.dmath), fn.dmath)


def _adjoint_terms(graph: Graph, n: Node, users: Sequence[int], values: Sequence[float],
                   grads: Sequence[float], names: _Names | None = None
                   ) -> tuple[str, str, str, float]:
    nm = names if names is not None else _Names(graph, grads)
    texts, latexs, vals = [], [], []
    nodes = graph.nodes
    nid = n.id
    text, latex, rules = nm.text, nm.latex, nm.rules
    for u in users:
        un = nodes[u]
        ins = un.inputs
        rule = rules.get(un.op)
        if rule is None:
            rule = rules[un.op] = _rule_forms(un.op)
        if rule and (len(ins) == 1 or (len(ins) == 2 and ins[0] != ins[1])):
            # one slot holds the input: the rule's template, as _local_partial_text gives it
            ptx, plx, raw, safe = rule
            k = 0 if ins[0] == nid else 1
            args: tuple[float, ...]
            if len(ins) == 1:
                a = ins[0]
                pt, pl, args = ptx[0].format(text[a]), plx[0].format(latex[a]), (values[a],)
            else:
                a, b = ins
                pt, pl = ptx[k].format(text[a], text[b]), plx[k].format(latex[a], latex[b])
                args = (values[a], values[b])
            # one term: fsum would return it unchanged (up to the sign of zero, which
            # fmt_number does not show); the raw form first, the guarded one on a float error
            try:
                pv = raw[k](math, *args)
            except FLOAT_ERRORS:
                pv = safe[k](math, *args)
        else:
            pt = _local_partial_text(graph, un, nid, "text", nm.text)
            pl = _local_partial_text(graph, un, nid, "latex", nm.latex)
            pv = _local_partial_value(un, nid, values)
        texts.append(f"{nm.bar[u]}·{_wrap(pt)}")
        latexs.append(nm.bar_latex[u] + _wrap(pl))
        vals.append(f"{_wrap(nm.grad_text(u))}·{_wrap(fmt_number(pv))}")
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
    lines = [Line(bar(n.name), bar_latex(n.name), f"adj({n.name})", rule,
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

