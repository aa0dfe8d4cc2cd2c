"""The learner's own names for traced values, and what the traced path says.

While the traced function runs, a line tracer on *its* frame (only that one) notes
which local variable holds which graph node, and from which source line. The graph
then names nodes after the source: a variable bound once keeps its name (``y`` stays
``y``), the copies a loop makes of one variable are indexed in order (``b_0``,
``b_1``, …), the returned value takes the name it is returned under (``c``), and the
letters handed to unnamed intermediates skip every name the source uses.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from diffexplain.core.functions import CONSTANTS, FUNCTIONS
from diffexplain.i18n import _, ngettext

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.core.tracing import Decision

__all__ = ["Binding", "SourceNames", "decision_summary", "linear_lesson", "name_nodes",
           "record_names"]

#: letters for unnamed intermediates (as the graph builder's, minus what reads as a constant)
_LETTERS = "abcdfghkmnpqrstuvz"


@dataclass(frozen=True)
class Binding:
    """A source variable bound to a node at a line (the line of the assignment)."""

    node: int
    var: str
    line: int


@dataclass
class SourceNames:
    """What the line tracer saw: bindings in order, and every local name of the function."""

    bindings: list[Binding] = field(default_factory=list)
    locals: set[str] = field(default_factory=set)
    return_line: int | None = None  # where the (outermost) call returned


@contextmanager
def record_names(f: Callable[..., Any], node_of: Callable[[Any], int | None]
                 ) -> Iterator[SourceNames]:
    """Record which local of ``f`` holds which traced node while the block runs.

    ``node_of(value)`` is the node id of a traced value (None for anything else).
    Only ``f``'s own frames are traced; any tracer already installed (a debugger,
    coverage) is restored afterwards.
    """
    seen = SourceNames()
    code = getattr(f, "__code__", None)
    if not isinstance(code, types.CodeType):
        yield seen
        return
    seen.locals.update(code.co_varnames + code.co_cellvars)

    def local(frame: types.FrameType, event: str, arg: Any) -> Any:
        if event in ("line", "return"):
            held = frame.f_locals
            bound = current.setdefault(id(frame), {})
            for var, value in held.items():
                nid = node_of(value)
                if nid is not None and bound.get(var) != nid:
                    bound[var] = nid
                    seen.bindings.append(Binding(nid, var, last_line.get(id(frame),
                                                                         frame.f_lineno)))
            last_line[id(frame)] = frame.f_lineno
            if event == "return":
                seen.return_line = frame.f_lineno
        return local

    def calls(frame: types.FrameType, event: str, arg: Any) -> Any:
        return local if event == "call" and frame.f_code is code else None

    current: dict[int, dict[str, int]] = {}
    last_line: dict[int, int] = {}
    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield seen
    finally:
        sys.settrace(previous)


def _usable(var: str) -> bool:
    return (var.isidentifier() and var.isascii() and not var.startswith("_")
            and var not in FUNCTIONS and var not in CONSTANTS)


def name_nodes(seen: SourceNames, live: Sequence[int], output: int, params: Sequence[str],
               function: str) -> tuple[dict[int, str], dict[int, Binding], str]:
    """Names for the live operation nodes, the binding each comes from, and the output's name.

    Returns ``(names, origin, output_name)``; nodes without a source binding get letters
    that no source name uses (nor the function's own name).
    """
    live_set = set(live)
    first: dict[int, Binding] = {}
    last: dict[int, Binding] = {}
    for b in seen.bindings:
        if b.node in live_set and b.var not in params and _usable(b.var):
            first.setdefault(b.node, b)
            last[b.node] = b
    origin = {n: first[n] for n in first}
    if output in last:
        origin[output] = last[output]  # `return c`: the output is c, even if it was b first
    by_var: dict[str, list[int]] = {}
    for nid in sorted(origin):
        by_var.setdefault(origin[nid].var, []).append(nid)
    reserved = set(seen.locals) | set(params) | {function} | set(FUNCTIONS) | set(CONSTANTS)
    names: dict[int, str] = {}
    for var, nodes in by_var.items():
        if len(nodes) == 1:
            names[nodes[0]] = var
            continue
        k = 0
        for nid in nodes:  # copies of one variable, e.g. a loop's: b_0, b_1, …
            while f"{var}_{k}" in reserved:
                k += 1
            names[nid] = f"{var}_{k}"
            reserved.add(names[nid])
            k += 1
    reserved |= set(names.values())
    out_name = names.get(output) or next(
        c for c in ["y", "out", *(f"out_{k}" for k in range(1, len(reserved) + 2))]
        if c not in reserved)
    reserved.add(out_name)
    names[output] = out_name
    letters = iter([c for c in _LETTERS if c not in reserved]
                   + [f"v{k}" for k in range(1, len(live) + len(reserved) + 2)
                      if f"v{k}" not in reserved])
    for nid in live:
        if nid not in names:
            names[nid] = next(letters)
    return names, origin, out_name


def describe_names(names: Mapping[int, str], origin: Mapping[int, Binding],
                   output: int, seen: SourceNames | None = None) -> str | None:
    """One line: which graph names are which source variables, and where they were bound."""
    groups: list[tuple[str, int, list[str]]] = []  # (var, line, graph names)
    for nid in sorted(origin):
        b = origin[nid]
        if nid == output:
            continue
        if groups and groups[-1][0] == b.var and groups[-1][1] == b.line:
            groups[-1][2].append(names[nid])
        else:
            groups.append((b.var, b.line, [names[nid]]))
    parts = []
    for var, line, shown in groups:
        span = shown[0] if len(shown) == 1 else (
            f"{shown[0]}, {shown[1]}" if len(shown) == 2 else f"{shown[0]} … {shown[-1]}")
        if len(shown) > 1:
            parts.append(_("{names} are the {n} values of {var} made at line {line}").format(
                names=span, n=len(shown), var=var, line=line))
        elif shown[0] != var:
            parts.append(_("{name} is {var} at line {line}").format(
                name=shown[0], var=var, line=line))
        else:
            parts.append(_("{name} at line {line}").format(name=shown[0], line=line))
    if output in origin:
        b = origin[output]
        earlier = next((e for e in (seen.bindings if seen else []) if e.node == output
                        and e.var != b.var), None)
        parts.append(_("{name} (line {line}) is the returned value, the last value of "
                       "{var} (line {var_line})").format(
                           name=names[output], line=b.line, var=earlier.var,
                           var_line=earlier.line) if earlier else
                     _("{name} (line {line}) is the returned value").format(
                         name=names[output], line=b.line))
    elif parts and seen is not None and seen.return_line is not None:
        parts.append(_("{name} (line {line}) is the returned value").format(
            name=names[output], line=seen.return_line))
    if not parts:
        return None
    return _("names from the source: {parts}").format(parts=_("; ").join(parts))


def linear_lesson(graph: Any, point: Mapping[str, Any]) -> str | None:
    """"On the path taken, c = 128·a is linear in a, so a.grad = c/a": when the graph says so.

    Each node is classified from its operation and inputs: a constant, a homogeneous
    linear form ``Σ kᵢ·xᵢ`` of the (scalar) inputs with exact coefficients, or neither.
    Only an output that is such a form gets the sentence; nothing is keyed on an example.
    """
    from diffexplain.core.printing import fmt_number

    if any(isinstance(v, (list, tuple)) for v in point.values()):
        return None
    const: dict[int, float] = {}
    lin: dict[int, dict[str, float]] = {}
    for n in graph.nodes:
        ins = n.inputs
        if n.op == "var":
            lin[n.id] = {n.name: 1.0}
        elif n.op == "const":
            const[n.id] = float(n.value)
        elif all(i in const for i in ins):
            import math

            from diffexplain.core.graph import op_table

            const[n.id] = float(op_table(n.op).math(math, *(const[i] for i in ins)))
        elif n.op in ("add", "sub") and all(i in lin for i in ins):
            sign = 1.0 if n.op == "add" else -1.0
            form = dict(lin[ins[0]])
            for v, k in lin[ins[1]].items():
                form[v] = form.get(v, 0.0) + sign * k
            lin[n.id] = form
        elif n.op in ("mul", "dot", "matmul") and len(ins) == 2 and (
                (ins[0] in const and ins[1] in lin) or (ins[1] in const and ins[0] in lin)):
            c, form = (const[ins[0]], lin[ins[1]]) if ins[0] in const else (const[ins[1]],
                                                                            lin[ins[0]])
            lin[n.id] = {v: c * k for v, k in form.items()}
        elif n.op == "div" and ins[0] in lin and ins[1] in const and const[ins[1]] != 0:
            lin[n.id] = {v: k / const[ins[1]] for v, k in lin[ins[0]].items()}
        elif n.op in ("neg", "sum") and ins[0] in lin:
            s = -1.0 if n.op == "neg" else 1.0
            lin[n.id] = {v: s * k for v, k in lin[ins[0]].items()}
    out = graph.nodes[graph.outputs[0]]
    found = lin.get(out.id)
    if not found or out.op == "var":
        return None
    form = found
    terms = " + ".join(f"{fmt_number(k)}·{v}" for v, k in sorted(form.items()))
    if len(form) == 1:
        (v, k), = form.items()
        x = float(point[v])
        if x == 0:
            return _("on the path taken, {out} = {terms} is linear in {var}: {var}.grad is the "
                     "constant {k}").format(out=out.name, terms=terms, var=v, k=fmt_number(k))
        return _("on the path taken, {out} = {terms} is linear in {var}, so {var}.grad = "
                 "{out}/{var} = {value}/{x} = {k}").format(
                     out=out.name, terms=terms, var=v, value=fmt_number(k * x),
                     x=fmt_number(x), k=fmt_number(k))
    return _("on the path taken, {out} = {terms} is linear in its inputs, so each input's "
             ".grad is its constant coefficient").format(out=out.name, terms=terms)


def decision_summary(decisions: Sequence[Decision]) -> list[str]:
    """Group decisions by source line: a line taken many times is a loop."""
    from diffexplain.core.printing import fmt_number

    groups: list[list[Decision]] = []
    for d in decisions:
        if groups and groups[-1][0].line == d.line:
            groups[-1].append(d)
        else:
            groups.append([d])
    out = []
    for g in groups:
        d0, last = g[0], g[-1]
        where = (_("line {line}: `{source}`") if d0.source else _("line {line}")).format(
            line=d0.line, source=d0.source)
        if d0.source.startswith("while") or len(g) > 1:
            turns = sum(d.outcome for d in g)
            checks = _("; ").join(_("{lhs} {op} {rhs} is {outcome}").format(
                lhs=fmt_number(d.lhs), op=d.op, rhs=fmt_number(d.rhs), outcome=d.outcome)
                for d in (g if len(g) <= 4 else [g[0], g[-1]]))
            out.append(ngettext("{where} checked {n} times ({checks}): the loop body ran "
                                "{turns} time", "{where} checked {n} times ({checks}): the loop "
                                "body ran {turns} times", turns).format(
                                    where=where, n=len(g), checks=checks, turns=turns) +
                       ("" if not last.outcome else _(", still True at the end")))
        else:
            msg = (_("{where}: {lhs} {op} {rhs} is {outcome}, so the true branch was taken")
                   if d0.outcome else
                   _("{where}: {lhs} {op} {rhs} is {outcome}, so the false branch was taken"))
            out.append(msg.format(where=where, lhs=fmt_number(d0.lhs), op=d0.op,
                                  rhs=fmt_number(d0.rhs), outcome=d0.outcome))
    if not out:
        out.append(_("no decision depended on the inputs"))
    out.append(_("the graph above is the path actually taken; other paths give other gradients"))
    return out
