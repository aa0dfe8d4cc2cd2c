"""The computational graph drawn with matplotlib and networkx: layout, boxes, arrows, labels.

The layout is networkx's own: each node gets a ``layer`` (its longest-path depth
from the inputs) and :func:`networkx.multipartite_layout` puts the layers left to
right, inputs on the left and the output on the right. Styling only encodes what
the explanation already holds: the kind of each node (variable, constant,
operation, output), its forward value and adjoint, each edge's local partial, and
the paths that make up the chosen ∂y/∂w.

Labels shrink with the graph: full boxes up to :data:`FULL_LABELS` nodes, names
only up to :data:`NAME_LABELS`, then coloured dots, so a 1,000-node graph is a
readable picture in about a second. matplotlib is imported inside the functions
and always with the Agg backend, so nothing needs a display.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from diffexplain.core.printing import bar, fmt_number
from diffexplain.core.shapes import fmt_value
from diffexplain.i18n import _, in_figure_lang
from diffexplain.render.labelplace import edge_labels

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx
    from matplotlib.axes import Axes

    from diffexplain.model import Explanation

__all__ = ["COLORS", "EDGE", "FULL_LABELS", "HIGHLIGHT", "NAME_LABELS", "draw", "layered"]

#: graphs up to this many nodes get full labels (definition, value, adjoint, edge partials)
FULL_LABELS = 40
#: graphs up to this many nodes get their names written on the nodes
NAME_LABELS = 150

COLORS = {"variable": "#cfe8cf", "constant": "#eeeeee", "operation": "#d6e4f5",
          "output": "#fde3c8", "backward": "#f3d9f0", "accumulate": "#cfe8cf"}
EDGE = {"variable": "#2e7d32", "constant": "#9e9e9e", "operation": "#1f5fa8",
        "output": "#d35400", "backward": "#8e44ad", "accumulate": "#2e7d32"}
HIGHLIGHT = "#c0392b"


def _agg() -> Any:
    """pyplot on the Agg backend, except inside a Jupyter kernel, whose inline backend stays."""
    import sys

    import matplotlib

    if "ipykernel" not in sys.modules and matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def layered(e: Explanation) -> nx.DiGraph:
    """The explanation's graph with a ``layer`` attribute = longest-path depth from the inputs.

    Constants sit one layer before their first user, so they do not crowd the input column.

    >>> from diffexplain import explain
    >>> g = layered(explain("(x+w)*(w+1)", at={"w": 1, "x": 2}, autograd=False))
    >>> sorted((g.nodes[n]["layer"], n) for n in g)
    [(0, '1'), (0, 'w'), (0, 'x'), (1, 'a'), (1, 'b'), (2, 'y')]
    """
    import networkx as nx

    g = nx.DiGraph()
    depth: dict[str, int] = {}
    for n in e.nodes:
        depth[n.id] = 1 + max((depth[i] for i in n.inputs), default=-1)
        kind = "output" if n.output else n.kind
        g.add_node(n.id, kind=kind, op=n.op, expr=n.expr, value=n.value, grad=n.grad)
    for a, b in e.edges:
        g.add_edge(a, b)
    for n in e.nodes:
        users = [depth[u] for u in g.successors(n.id)]
        if n.kind == "constant" and users:
            depth[n.id] = max(0, min(users) - 1)
    nx.set_node_attributes(g, depth, "layer")
    return _ordered(g)


def _ordered(g: nx.DiGraph) -> nx.DiGraph:
    """The same graph with nodes inserted layer by layer in barycentric order.

    :func:`networkx.multipartite_layout` stacks a layer's nodes in insertion order;
    ordering each layer by the mean rank of its neighbours (two sweeps, the classic
    Sugiyama heuristic) removes most edge crossings of small graphs.
    """
    import networkx as nx

    layers: dict[int, list[Any]] = {}
    for v, d in g.nodes(data=True):
        layers.setdefault(d["layer"], []).append(v)
    keys = sorted(layers)
    rank = {v: k for layer in layers.values() for k, v in enumerate(layer)}

    def sweep(order: list[int], neighbours: Any) -> None:
        for key in order:
            def bary(v: Any) -> float:
                ns = [rank[u] for u in neighbours(v)]
                return sum(ns) / len(ns) if ns else rank[v]

            layers[key].sort(key=bary)
            rank.update({v: k for k, v in enumerate(layers[key])})

    sweep(keys[1:], g.predecessors)
    sweep(keys[::-1][1:], g.successors)
    sweep(keys[1:], g.predecessors)
    out = nx.DiGraph()
    for key in keys:
        out.add_nodes_from((v, g.nodes[v]) for v in layers[key])
    out.add_edges_from(g.edges(data=True))
    return out


def _partial(e: Explanation, out: str, inp: str) -> tuple[str, float | None]:
    """∂out/∂inp as the explanation holds it (text, and value unless on a vector node)."""
    p = e.partial(out, inp)
    return p.text, p.value


def _on_paths(g: nx.DiGraph, wrt: str | None, outputs: Sequence[str]) -> set[tuple[str, str]]:
    """Edges on some path wrt → output: the terms of the chain-rule sum for ∂y/∂wrt."""
    import networkx as nx

    if not wrt or wrt not in g:
        return set()
    down = nx.descendants(g, wrt) | {wrt}
    up: set[str] = set()
    for o in outputs:
        up |= nx.ancestors(g, o) | {o}
    keep = down & up
    return {(a, b) for a, b in g.edges if a in keep and b in keep}


def _node_label(e: Explanation, name: str, full: bool) -> str:
    n = e.node(name)
    if not full:
        return name
    y = e.outputs[0] if len(e.outputs) == 1 else "L"
    head = f"{name} = {n.expr}" if n.kind == "operation" else name
    if n.kind == "constant":
        return f"{name}\n" + _("constant")
    tag = _("input") if n.kind == "variable" else n.op
    lines = [head, _("{kind} · value {value}").format(kind=tag, value=fmt_value(n.value, 4))]
    if n.grad is not None:
        lines.append(f"{bar(name)} = ∂{y}/∂{name} = {fmt_value(n.grad, 4)}")
    return "\n".join(lines)


def _figsize(g: nx.DiGraph, per_layer: float, per_row: float) -> tuple[float, float]:
    from collections import Counter

    layers = Counter(d["layer"] for _, d in g.nodes(data=True))
    cap_w, cap_h = (40.0, 30.0) if len(g) <= FULL_LABELS else (24.0, 16.0)
    width = min(cap_w, max(6.0, per_layer * (len(layers) + 0.6)))
    height = min(cap_h, max(3.5, per_row * (max(layers.values()) + 0.6)))
    return width, height


def _layout(g: nx.DiGraph) -> dict[str, Any]:
    import networkx as nx

    # a dict of lists keeps each layer's order (a "layer" attribute would be grouped
    # into sets); multipartite_layout stacks upwards, so reverse to read top-down
    layers: dict[int, list[Any]] = {}
    for v, d in g.nodes(data=True):
        layers.setdefault(d["layer"], []).append(v)
    return nx.multipartite_layout(g, subset_key={k: vs[::-1] for k, vs in layers.items()},
                                  align="vertical", scale=1.0)


def _frame(ax: Axes, pos: dict[Any, Any], g: nx.DiGraph) -> None:
    """Fit the axes to the layout: text boxes do not grow data limits by themselves."""
    if not pos:
        return
    xs = sorted({float(p[0]) for p in pos.values()})
    ys = [float(p[1]) for p in pos.values()]
    dx = min((b - a for a, b in itertools.pairwise(xs)), default=1.0)
    span_y = max(ys) - min(ys)
    rows = max(1, max(sum(1 for _, d in g.nodes(data=True) if d["layer"] == layer)
                      for layer in {d["layer"] for _, d in g.nodes(data=True)}))
    dy = span_y / max(1, rows - 1) if span_y > 0 else 0.5
    ax.set_xlim(xs[0] - 0.5 * dx, xs[-1] + 0.5 * dx)
    ax.set_ylim(min(ys) - 0.55 * dy, max(ys) + 0.55 * dy)


def _family() -> Any:
    """DejaVu Sans, followed by a CJK font while a Chinese figure is drawn (i18n.figure_rc)."""
    import matplotlib

    fam = matplotlib.rcParams["font.family"]
    return list(fam) if len(fam) > 1 and fam[0] == "DejaVu Sans" else "DejaVu Sans"


def _box(ax: Axes, xy: Any, text: str, kind: str, size: float, bold: bool = False,
         emphasis: bool = False) -> Any:
    return ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=size, zorder=3,
                   fontweight="bold" if bold else "normal", family=_family(),
                   bbox=dict(boxstyle="round,pad=0.45", fc=COLORS[kind],
                             ec=HIGHLIGHT if emphasis else EDGE[kind],
                             lw=2.2 if emphasis else 1.2))


def _arrow(ax: Axes, a: Any, b: Any, color: str, width: float, style: str = "-|>",
           gid: str | None = None) -> None:
    ann = ax.annotate("", xy=b.get_position(), xytext=a.get_position(), zorder=4,
                      arrowprops=dict(arrowstyle=style, color=color, lw=width, shrinkA=1,
                                      shrinkB=1, patchA=a.get_bbox_patch(),
                                      patchB=b.get_bbox_patch(), mutation_scale=14,
                                      connectionstyle="arc3,rad=0"))
    if gid and ann.arrow_patch is not None:
        ann.arrow_patch.set_gid(gid)  # findable in the SVG (the overlap test measures it)


@in_figure_lang
def draw(e: Explanation, ax: Axes | None = None, wrt: str | None = None,
         title: bool = True) -> Axes:
    """Draw the computational graph of ``e`` on ``ax`` (a new figure if None).

    Args:
        e: the explanation.
        ax: matplotlib axes to draw on.
        wrt: highlight the paths that make up ∂y/∂wrt (default: the first variable
            differentiated by, when there are several inputs).
        title: write the expression and point above the graph.

    Returns:
        The axes, so a notebook can keep styling it.
    """
    plt = _agg()
    g = layered(e)
    pos = _layout(g)
    big = len(g) > FULL_LABELS
    if ax is None:
        per_layer, per_row = (3.1, 1.35) if not big else (0.9, 0.35)
        _fig, ax = plt.subplots(figsize=_figsize(g, per_layer, per_row))
    if wrt is None and e.wrt:
        wrt = e.wrt[0]
    hot = _on_paths(g, wrt, e.outputs)
    if big:
        _draw_big(ax, g, pos, hot, e)
    else:
        _draw_small(ax, g, pos, hot, e, wrt)
    ax.set_axis_off()
    _frame(ax, pos, g)
    if title:
        point = ", ".join(f"{k} = {fmt_value(v)}" for k, v in e.point.items())
        lead = _("{expression}   at {point}").format(expression=e.expression, point=point)
        lead = lead if len(lead) <= 90 else lead[:87] + "…"
        sub = _("red: the paths that make up {partial}").format(
            partial=f"∂{_y(e)}/∂{wrt}") if hot else ""
        if hot and wrt in e.gradient:
            sub += f" = {fmt_value(e.gradient[wrt])}"
        ax.set_title(lead + ("\n" + sub if sub else ""), fontsize=11, loc="left")
    return ax


def _y(e: Explanation) -> str:
    return e.outputs[0] if len(e.outputs) == 1 else "L"


def _draw_small(ax: Axes, g: nx.DiGraph, pos: dict[str, Any], hot: set[tuple[str, str]],
                e: Explanation, wrt: str | None) -> None:
    boxes = {}
    hot_nodes = {a for a, _ in hot} | {b for _, b in hot}
    for name, data in g.nodes(data=True):
        boxes[name] = _box(ax, pos[name], _node_label(e, name, True), data["kind"], 9,
                           bold=data["kind"] == "output", emphasis=name in hot_nodes)
    labels = {}
    for k, (a, b) in enumerate(g.edges):
        hot_edge = (a, b) in hot
        _arrow(ax, boxes[a], boxes[b], HIGHLIGHT if hot_edge else "#7f8c8d",
               2.2 if hot_edge else 1.1, gid=f"dx-g-edge-{k}")
        if g.nodes[a]["kind"] != "constant":
            text, value = _partial(e, b, a)
            shown = f"∂{b}/∂{a} = {text}"
            if value is not None and text != fmt_number(value):
                shown += f" = {fmt_number(value, 4)}"
            labels[(a, b)] = shown
    edge_labels(ax, boxes, labels, {edge: HIGHLIGHT for edge in hot}, 7.5, _family())
    # a legend of kinds, drawn as proxy patches
    from matplotlib.patches import Patch

    kinds = [k for k in ("variable", "constant", "operation", "output")
             if any(d["kind"] == k for _, d in g.nodes(data=True))]
    handles = [Patch(fc=COLORS[k], ec=EDGE[k], label=_KINDS[k]()) for k in kinds]
    if hot:
        handles.append(Patch(fc="white", ec=HIGHLIGHT, lw=2, label=_("on a path of {partial}").format(
            partial=f"∂{_y(e)}/∂{wrt}")))
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False,
              ncol=len(handles), bbox_to_anchor=(0, -0.08))


#: legend names of the node kinds (translated when drawn)
_KINDS = {"variable": lambda: _("variable"), "constant": lambda: _("constant"),
          "operation": lambda: _("operation"), "output": lambda: _("output")}


def _draw_big(ax: Axes, g: nx.DiGraph, pos: dict[str, Any], hot: set[tuple[str, str]],
              e: Explanation) -> None:
    import networkx as nx

    n = len(g)
    size = 330.0 if n <= NAME_LABELS else max(8.0, 260.0 / math.sqrt(n))
    cold = [edge for edge in g.edges if edge not in hot]
    arrows = n <= NAME_LABELS
    nx.draw_networkx_edges(g, pos, edgelist=cold, ax=ax, edge_color="#b0b8bf",
                           width=0.5 if n > NAME_LABELS else 0.8, arrows=arrows,
                           node_size=size, **({"arrowsize": 7} if arrows else {}))
    nx.draw_networkx_edges(g, pos, edgelist=list(hot), ax=ax, edge_color=HIGHLIGHT,
                           width=1.2, arrows=arrows, node_size=size,
                           **({"arrowsize": 7} if arrows else {}))
    for kind in ("variable", "constant", "operation", "output"):
        nodes = [v for v, d in g.nodes(data=True) if d["kind"] == kind]
        if nodes:
            nx.draw_networkx_nodes(g, pos, nodelist=nodes, ax=ax, node_color=COLORS[kind],
                                   edgecolors=EDGE[kind], linewidths=0.6,
                                   node_size=size * (3 if kind == "output" else 1),
                                   label=f"{_KINDS[kind]()} ({len(nodes)})")
    if n <= NAME_LABELS:
        nx.draw_networkx_labels(g, pos, ax=ax, font_size=6)
    else:  # only the inputs and the output are named
        keep = {v: v for v, d in g.nodes(data=True) if d["kind"] in ("variable", "output")}
        if len(keep) <= 60:
            nx.draw_networkx_labels(g, pos, labels=keep, ax=ax, font_size=7)
    leg = ax.legend(loc="lower left", fontsize=8, frameon=False, ncol=4,
                    bbox_to_anchor=(0, -0.06))
    for handle in leg.legend_handles:
        handle.set_sizes([40])  # type: ignore[union-attr]
    ax.text(1.0, -0.04, _("{n} nodes, {m} edges: labels collapsed (values and adjoints are in "
                          "--format json)").format(n=n, m=g.number_of_edges()),
            transform=ax.transAxes,
            ha="right", fontsize=8, color="#555555")


# --- torch's backward graph -------------------------------------------------------------------
