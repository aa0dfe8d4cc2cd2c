"""Evaluation traces: the two modes of automatic differentiation, written out line by line.

The tables follow the AD literature (Griewank & Walther; Baydin et al., "Automatic
differentiation in machine learning: a survey"): inputs are ``v₋ₙ₊₁ … v₀``, operations
``v₁ … vₖ`` in evaluation order, constants stay inline.

* the **primal trace** evaluates each ``vᵢ`` once;
* **forward mode** carries a tangent ``v̇ᵢ = Σⱼ ∂vᵢ/∂vⱼ·v̇ⱼ`` alongside, seeded with
  ``ẋ = 1`` for one input: one pass per input gives one *column* of the Jacobian;
* **reverse mode** sweeps back with adjoints ``v̄ᵢ = Σⱼ v̄ⱼ·∂vⱼ/∂vᵢ``, seeded with
  ``ȳ = 1`` for one output: one pass per output gives one *row* of the Jacobian.

Everything is computed from the rule table's float partials (``dmath``) and printed
from its partial templates, so a trace costs one loop over the graph per pass, at
any size. :func:`jacobian` adds the symbolic Jacobian (small graphs) and
``torch.autograd.functional.jacobian`` as witnesses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diffexplain.core.floats import fsum
from diffexplain.core.graph import Graph, Node, op_table
from diffexplain.core.printing import bar, bar_latex, fmt_number
from diffexplain.errors import InputError
from diffexplain.i18n import _, ngettext
from diffexplain.methods.numeric import forward
from diffexplain.methods.symbolic import latex_name

__all__ = ["MODES", "Pass", "Trace", "TraceRow", "trace"]

MODES = ("forward", "reverse")

_SUB = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def _dot(name: str) -> str:
    return name[0] + "\u0307" + name[1:]


def _bar(name: str) -> str:
    return name[0] + "\u0304" + name[1:]


@dataclass(frozen=True)
class TraceRow:
    """One line: ``var = formula = values = value``, with the graph node it belongs to."""

    var: str  # text, e.g. "v₋₁", "v̇₁", "v̄₂"
    var_latex: str
    formula: str
    formula_latex: str
    values: str  # the formula with numbers substituted ("" when it adds nothing)
    value: float
    node: str  # the user's name of the node, e.g. "a"
    definition: str = ""  # the node in the user's names, e.g. "a = x + w"


@dataclass(frozen=True)
class Pass:
    """One forward (tangent) or reverse (adjoint) sweep with its seed and what it yields."""

    seed: str
    seed_latex: str
    rows: tuple[TraceRow, ...]
    result: Mapping[str, float]  # forward: ∂out/∂seeded input; reverse: ∂seeded out/∂input


@dataclass(frozen=True)
class Trace:
    """The primal trace and the derivative passes of one mode."""

    mode: str
    point: Mapping[str, float]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    names: Mapping[str, str]  # node → trace variable (text)
    primal: tuple[TraceRow, ...]
    passes: tuple[Pass, ...]
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def pass_count(self) -> int:
        """Forward: one per input; reverse: one per output."""
        return len(self.passes)

    def summary(self) -> str:
        """Why the pass count is what it is, for this expression."""
        n, m = len(self.inputs), len(self.outputs)
        def passes(k: int) -> str:
            return ngettext("{k} pass", "{k} passes", k).format(k=k)

        if self.mode == "forward":
            return _("Forward mode: one tangent pass per input: {inputs} ({names}) → {passes}; "
                     "each pass gives the derivatives of {outputs} with respect to one input "
                     "(one column of the {m}×{n} Jacobian). Reverse mode would need "
                     "{other}.").format(
                         inputs=ngettext("{k} input", "{k} inputs", n).format(k=n),
                         names=", ".join(self.inputs), passes=passes(n),
                         outputs=ngettext("the output", "all {k} outputs", m).format(k=m),
                         m=m, n=n, other=passes(m))
        return _("Reverse mode: one adjoint pass per output: {outputs} ({names}) → {passes}; "
                 "each pass gives the derivatives of one output with respect to {inputs} (one "
                 "row of the {m}×{n} Jacobian). Forward mode would need {other}.").format(
                     outputs=ngettext("{k} output", "{k} outputs", m).format(k=m),
                     names=", ".join(self.outputs), passes=passes(m),
                     inputs=ngettext("the input", "all {k} inputs", n).format(k=n),
                     m=m, n=n, other=passes(n))

    def to_text(self) -> str:
        from diffexplain.render.tracetables import text

        return text(self)

    def to_latex(self) -> str:
        from diffexplain.render.tracetables import latex

        return latex(self)

    def to_markdown(self) -> str:
        from diffexplain.render.tracetables import markdown

        return markdown(self)

    def to_dict(self) -> dict[str, Any]:
        from diffexplain.render.tracetables import to_dict

        return to_dict(self)

    def __str__(self) -> str:
        return self.to_text()


# --- naming -----------------------------------------------------------------------------------
def _numbering(graph: Graph, inputs: Sequence[str]) -> dict[int, int]:
    """Node id → literature index: inputs 1-n … 0, operations 1 … k; constants none."""
    idx = {graph[v].id: k - len(inputs) + 1 for k, v in enumerate(inputs)}
    k = 0
    for n in graph.nodes:
        if not n.is_leaf:
            k += 1
            idx[n.id] = k
    return idx


def _fmt(x: float) -> str:
    s = fmt_number(x)
    return f"({s})" if s.startswith("-") else s


def _wrap(s: str) -> str:
    """Parenthesize a compound operand; names (``v₋₁``), numbers and calls stay bare."""
    if not any(c in s for c in " +-·/^*") or (s.startswith("(") and s.endswith(")")):
        return s
    head = s.split("(", 1)[0]
    if head.isalpha() and s.endswith(")") and s.count("(") == 1:
        return s
    return f"({s})"


class _Names:
    """Text and LaTeX names of every node in the trace, and of their values."""

    def __init__(self, graph: Graph, inputs: Sequence[str], values: Sequence[float]) -> None:
        self.g = graph
        self.idx = _numbering(graph, inputs)
        self.values = values

    def var(self, nid: int, fmt: str, deco: str = "") -> str:
        n = self.g.nodes[nid]
        if nid not in self.idx:  # a constant (or an unused variable) stays as written
            return n.name if fmt == "text" else (
                rf"\mathrm{{{n.name}}}" if n.op == "var" else n.name.replace("pi", r"\pi"))
        k = self.idx[nid]
        if fmt == "latex":
            inner = "v" if not deco else rf"\{deco}{{v}}"
            return f"{inner}_{{{k}}}"
        base = "v" + str(k).translate(_SUB)
        return {"": base, "dot": _dot(base), "bar": _bar(base)}[deco]

    def inputs(self, n: Node, fmt: str) -> list[str]:
        return [self.var(i, fmt) for i in n.inputs]

    def numbers(self, n: Node) -> list[str]:
        return [_fmt(self.values[i]) for i in n.inputs]


def _definition(fn_template: str, args: Sequence[str], op: str) -> str:
    if op == "pow" and not fn_template:
        return f"{args[0]}^{args[1]}"
    return fn_template.format(*(_wrap(a) for a in args)) if fn_template else \
        f"{op}({', '.join(args)})"


def _partial(g: Graph, n: Node, slot: int, args: Sequence[str], fmt: str) -> str:
    """∂n/∂(input in ``slot``) from the rule templates, with a readable power rule."""
    fn = op_table(n.op)
    if n.op == "pow" and slot == 0 and g.nodes[n.inputs[1]].op == "const":
        k = g.nodes[n.inputs[1]].value or 0.0
        if k == 1:
            return "1"
        if k - 1 == 1:
            return f"{fmt_number(k)}·{args[0]}" if fmt == "text" else \
                rf"{fmt_number(k)} \cdot {args[0]}"
        lower = fmt_number(k - 1)
        power = f"{_wrap(args[0])}^{lower if k - 1 >= 0 else '(' + lower + ')'}" \
            if fmt == "text" else f"{args[0]}^{{{lower}}}"
        return f"{fmt_number(k)}·{power}" if fmt == "text" else rf"{fmt_number(k)} \cdot {power}"
    tmpl = (fn.partial_text if fmt == "text" else fn.partial_latex)[slot]
    return tmpl.format(*args)


def _term(first: str, partial: str, fmt: str) -> str:
    """``first·partial`` simplified for 1, −1 and 1/u, so it reads as people write it."""
    mul = "·" if fmt == "text" else r" \cdot "
    if partial == "1":
        return first
    if partial == "-1":
        return "-" + first
    if fmt == "text" and partial.startswith("1/"):
        return f"{first}/{partial[2:]}"
    if partial.startswith("-") and not partial.startswith("-("):
        return "-" + first + mul + _wrap(partial[1:]) if fmt == "text" else \
            "-" + first + mul + partial[1:]
    return first + mul + (_wrap(partial) if fmt == "text" else partial)


def _join(terms: Sequence[str]) -> str:
    if not terms:
        return "0"
    out = terms[0]
    for t in terms[1:]:
        out += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
    return out


def _slots(g: Graph, n: Node) -> list[int]:
    return [k for k, i in enumerate(n.inputs) if g.nodes[i].op != "const"]


# --- the passes -------------------------------------------------------------------------------
def _primal(g: Graph, names: _Names, inputs: Sequence[str], values: Sequence[float]
            ) -> tuple[TraceRow, ...]:
    rows = []
    for v in inputs:
        nid = g[v].id
        rows.append(TraceRow(names.var(nid, "text"), names.var(nid, "latex"), v,
                             latex_name(v), "", values[nid], v, v))
    for n in g.nodes:
        if n.is_leaf:
            continue
        fn = op_table(n.op)
        f_text = _definition(fn.text, names.inputs(n, "text"), n.op)
        f_latex = fn.latex.format(*names.inputs(n, "latex")) if fn.latex else f_text
        vals = _definition(fn.text, names.numbers(n), n.op)
        rows.append(TraceRow(names.var(n.id, "text"), names.var(n.id, "latex"), f_text, f_latex,
                             vals, values[n.id], n.name, f"{n.name} = {g.describe(n)}"))
    return tuple(rows)


def _tangent_pass(g: Graph, names: _Names, inputs: Sequence[str], values: Sequence[float],
                  seed: str) -> Pass:
    dots = [0.0] * len(g.nodes)
    rows = []
    for v in inputs:
        nid = g[v].id
        dots[nid] = 1.0 if v == seed else 0.0
        rows.append(TraceRow(names.var(nid, "text", "dot"), names.var(nid, "latex", "dot"),
                             _dot(v), rf"\dot{{{latex_name(v)}}}", "", dots[nid], v, v))
    for n in g.nodes:
        if n.is_leaf:
            continue
        fn = op_table(n.op)
        args = [values[i] for i in n.inputs]
        t_terms, l_terms, v_terms, total = [], [], [], []
        for k in _slots(g, n):
            i = n.inputs[k]
            d = fn.dmath[k](math, *args)
            t_terms.append(_term(names.var(i, "text", "dot"),
                                 _partial(g, n, k, names.inputs(n, "text"), "text"), "text"))
            l_terms.append(_term(names.var(i, "latex", "dot"),
                                 _partial(g, n, k, names.inputs(n, "latex"), "latex"), "latex"))
            v_terms.append(_term(_fmt(dots[i]), _partial(g, n, k, names.numbers(n), "text"),
                                 "text"))
            total.append(d * dots[i])
        dots[n.id] = fsum(total) if total else 0.0
        rows.append(TraceRow(names.var(n.id, "text", "dot"), names.var(n.id, "latex", "dot"),
                             _join(t_terms), _join(l_terms), _join(v_terms), dots[n.id], n.name,
                             f"{n.name} = {g.describe(n)}"))
    result = {g.nodes[o].name: dots[o] for o in g.outputs}
    return Pass(f"{_dot(seed)} = 1" + "".join(f", {_dot(v)} = 0" for v in inputs if v != seed),
                rf"\dot{{{latex_name(seed)}}} = 1", tuple(rows), result)


def _adjoint_pass(g: Graph, names: _Names, inputs: Sequence[str], values: Sequence[float],
                  out: int) -> Pass:
    users = g.users()
    adj = [0.0] * len(g.nodes)
    rows = []
    input_ids = {g[v].id for v in inputs}
    yname = g.nodes[out].name
    for n in reversed(g.nodes):
        if n.op == "const" or (n.op == "var" and n.id not in input_ids):
            continue
        t_terms, l_terms, v_terms, total = [], [], [], []
        if n.id == out:
            t_terms.append(bar(yname))
            l_terms.append(bar_latex(yname))
            v_terms.append("1")
            total.append(1.0)
        for u in users[n.id]:
            un = g.nodes[u]
            fn = op_table(un.op)
            args = [values[i] for i in un.inputs]
            for k, i in enumerate(un.inputs):
                if i != n.id:
                    continue
                t_terms.append(_term(names.var(u, "text", "bar"),
                                     _partial(g, un, k, names.inputs(un, "text"), "text"), "text"))
                l_terms.append(_term(names.var(u, "latex", "bar"),
                                     _partial(g, un, k, names.inputs(un, "latex"), "latex"),
                                     "latex"))
                v_terms.append(_term(_fmt(adj[u]), _partial(g, un, k, names.numbers(un), "text"),
                                     "text"))
                total.append(adj[u] * fn.dmath[k](math, *args))
        adj[n.id] = fsum(total) if total else 0.0
        vals = _join(v_terms)
        rows.append(TraceRow(names.var(n.id, "text", "bar"), names.var(n.id, "latex", "bar"),
                             _join(t_terms), _join(l_terms), vals, adj[n.id], n.name,
                             n.name if n.is_leaf else f"{n.name} = {g.describe(n)}"))
    result = {v: adj[g[v].id] for v in inputs}
    others = "".join(f", {bar(g.nodes[o].name)} = 0" for o in g.outputs if o != out)
    return Pass(f"{bar(yname)} = 1{others}", bar_latex(yname) + " = 1", tuple(rows), result)


def trace(graph: Graph, point: Mapping[str, float], mode: str = "reverse",
          wrt: Sequence[str] | None = None) -> Trace:
    """The primal trace and the tangent (forward) or adjoint (reverse) passes.

    Args:
        graph: the computational graph.
        point: a value for every variable.
        mode: ``"forward"`` (one pass per input) or ``"reverse"`` (one pass per output).
        wrt: the inputs, in order (default: every variable of the graph).

    >>> from diffexplain.core.parsing import parse
    >>> t = trace(parse("(x+w)*(w+1)"), {"w": 1, "x": 2}, "forward")
    >>> t.pass_count, [p.result["y"] for p in t.passes]
    (2, [5.0, 2.0])
    """
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; choose forward or reverse")
    inputs = tuple(wrt) if wrt else graph.variables
    for v in inputs:
        if v not in graph.variables:
            raise InputError(f"{v!r} is not a variable of the expression")
    values = forward(graph, point)
    names = _Names(graph, inputs, values)
    primal = _primal(graph, names, inputs, values)
    if mode == "forward":
        passes = tuple(_tangent_pass(graph, names, inputs, values, v) for v in inputs)
    else:
        passes = tuple(_adjoint_pass(graph, names, inputs, values, o) for o in graph.outputs)
    return Trace(mode, dict(point), inputs, tuple(graph.nodes[o].name for o in graph.outputs),
                 {graph.nodes[i].name: names.var(i, "text") for i in names.idx}, primal, passes)


# --- the Jacobian by both modes and its witnesses --------------------------------------------

