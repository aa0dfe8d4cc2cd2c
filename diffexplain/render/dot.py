"""The graph as Graphviz DOT and as a Mermaid flowchart: plain text, no Graphviz binary needed.

Both carry what the drawings carry (kind, definition, value and adjoint of each
node, the local partial of each edge, the paths of the chosen ∂y/∂w), so
people who lay graphs out with ``dot`` or render Mermaid in their docs get the
same picture. Pure functions of an :class:`~diffexplain.model.Explanation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from diffexplain.core.printing import bar, fmt_number
from diffexplain.core.shapes import fmt_value

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["to_dot", "to_mermaid"]

_FILL = {"variable": "#cfe8cf", "constant": "#eeeeee", "operation": "#d6e4f5",
         "output": "#fde3c8"}
_SHAPE = {"variable": "box", "constant": "plaintext", "operation": "box", "output": "box"}
#: above this many nodes, labels are names only (values stay in --format json)
FULL_LABELS = 200


def _q(s: str) -> str:
    """A DOT double-quoted string (backslashes and quotes escaped, newlines as \\n)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _hot(e: Explanation, wrt: str | None) -> set[tuple[str, str]]:
    from diffexplain.render.graphdraw import _on_paths, layered

    if wrt is None and e.wrt:
        wrt = e.wrt[0]
    return _on_paths(layered(e), wrt, e.outputs)


def _label(e: Explanation, name: str, full: bool) -> str:
    from diffexplain.render.graphdraw import _node_label

    return _node_label(e, name, full)


def _edge_label(e: Explanation, a: str, b: str) -> str:
    from diffexplain.render.graphdraw import _partial

    if e.node(a).kind == "constant":
        return ""
    text, value = _partial(e, b, a)
    shown = f"∂{b}/∂{a} = {text}"
    return shown if value is None or text == fmt_number(value) else \
        f"{shown} = {fmt_number(value, 4)}"


def to_dot(e: Explanation, wrt: str | None = None, autograd: bool = False) -> str:
    """Graphviz DOT, left to right; ``autograd=True`` adds torch's grad_fn graph as a cluster.

    >>> from diffexplain import explain
    >>> print(to_dot(explain("x*y", at="x=2,y=3", autograd=False)).splitlines()[0])
    digraph diffexplain {
    """
    full = len(e.nodes) <= FULL_LABELS
    hot = _hot(e, wrt)
    lines = ["digraph diffexplain {", "  rankdir=LR;",
             '  node [fontname="DejaVu Sans", fontsize=10, style="rounded,filled"];',
             '  edge [fontname="DejaVu Sans", fontsize=8, color="#7f8c8d"];',
             f"  label={_q(e.expression if len(e.expression) < 200 else e.expression[:199] + '…')};",
             "  labelloc=t;"]
    for n in e.nodes:
        kind = "output" if n.output else n.kind
        attrs = [f"label={_q(_label(e, n.id, full))}", f"shape={_SHAPE[kind]}",
                 f'fillcolor="{_FILL[kind]}"', f'tooltip={_q(n.kind)}']
        if any(n.id in edge for edge in hot):
            attrs += ['color="#c0392b"', "penwidth=2"]
        lines.append(f"  {_q(n.id)} [{', '.join(attrs)}];")
    for a, b in e.edges:
        attrs = []
        if full:
            lab = _edge_label(e, a, b)
            if lab:
                attrs.append(f"label={_q(lab)}")
        if (a, b) in hot:
            attrs += ['color="#c0392b"', "penwidth=2"]
        lines.append(f"  {_q(a)} -> {_q(b)}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    if autograd and e.autograd is not None:
        lines.append("  subgraph cluster_autograd {")
        lines.append('    label="torch grad_fn graph (next_functions)"; color="#8e44ad";')
        for bn in e.autograd.backward:
            text = bn.name + (f"\n{bn.node}" if bn.node else "")
            lines.append(f"    {_q(f'grad_fn:{bn.id}')} [label={_q(text)}, "
                         'fillcolor="#f3d9f0", shape=box];')
        for bn in e.autograd.backward:
            for nxt in bn.next:
                lines.append(f"    {_q(f'grad_fn:{bn.id}')} -> {_q(f'grad_fn:{nxt}')} "
                             '[color="#8e44ad"];')
        lines.append("  }")
        for bn in e.autograd.backward:
            if bn.node:
                lines.append(f"  {_q(bn.node)} -> {_q(f'grad_fn:{bn.id}')} "
                             '[style=dotted, arrowhead=none, constraint=false];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mid(k: int) -> str:
    return f"n{k}"


def _m(s: str) -> str:
    """Mermaid label text: inside double quotes, where only ``"`` and ``#`` need entities."""
    return s.replace("#", "#35;").replace('"', "#quot;").replace("\n", "<br/>")


def to_mermaid(e: Explanation, wrt: str | None = None) -> str:
    """A Mermaid ``flowchart LR``; node ids are ``n0, n1, …`` so any name is safe.

    >>> from diffexplain import explain
    >>> print(to_mermaid(explain("x*y", at="x=2,y=3", autograd=False)).splitlines()[0])
    flowchart LR
    """
    full = len(e.nodes) <= FULL_LABELS
    hot = _hot(e, wrt)
    ids = {n.id: _mid(k) for k, n in enumerate(e.nodes)}
    lines = ["flowchart LR"]
    for n in e.nodes:
        label = _m(_label(e, n.id, full))
        if n.kind == "variable":
            lines.append(f'  {ids[n.id]}(["{label}"])')
        elif n.kind == "constant":
            lines.append(f'  {ids[n.id]}["{label}"]')
        else:
            lines.append(f'  {ids[n.id]}["{label}"]')
    hot_links = []
    for k, (a, b) in enumerate(e.edges):
        lab = _edge_label(e, a, b) if full else ""
        arrow = f'-->|"{_m(lab)}"|' if lab else "-->"
        lines.append(f"  {ids[a]} {arrow} {ids[b]}")
        if (a, b) in hot:
            hot_links.append(str(k))
    for kind, fill in _FILL.items():
        lines.append(f"  classDef {kind} fill:{fill},stroke:#555")
    for n in e.nodes:
        kind = "output" if n.output else n.kind
        lines.append(f"  class {ids[n.id]} {kind}")
    if hot_links:
        lines.append(f"  linkStyle {','.join(hot_links)} stroke:#c0392b,stroke-width:2px")
    y = e.outputs[0] if len(e.outputs) == 1 else "L"
    if wrt or e.wrt:
        w = wrt or e.wrt[0]
        lines.append(f"  %% red links: the paths of ∂{y}/∂{w}; {bar(w)} = "
                     f"{fmt_value(e.node(w).grad)}")
    return "\n".join(lines) + "\n"
