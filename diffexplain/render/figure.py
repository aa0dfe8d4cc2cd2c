"""Figures of an explanation: the graph alone, or above torch's ``grad_fn`` graph, and files.

The computational graph itself is drawn by :mod:`diffexplain.render.graphdraw`; this
module adds torch's backward graph under it (each backward node placed under its
graph node), and turns figures into SVG, PNG or PDF.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any, cast

from diffexplain.core.printing import bar, fmt_number
from diffexplain.core.shapes import fmt_value
from diffexplain.i18n import _, in_figure_lang
from diffexplain.render.graphdraw import (
    COLORS,
    EDGE,
    FULL_LABELS,
    NAME_LABELS,
    _agg,
    _arrow,
    _box,
    _family,
    _figsize,
    _frame,
    _layout,
    draw,
    layered,
)
from diffexplain.render.labelplace import edge_labels

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from diffexplain.model import Explanation

__all__ = ["FORMATS", "draw", "draw_autograd", "figure", "layered", "save", "svg"]

#: image formats :func:`save` writes, by file extension
FORMATS = ("svg", "png", "pdf")


def _backward_graph(e: Explanation) -> nx.DiGraph:
    """torch's grad_fn graph; ``layer`` follows the symbolic node each backward node belongs to."""
    import networkx as nx

    if e.autograd is None:
        raise ValueError("this explanation has no autograd part (explain(..., autograd=True))")
    sym = layered(e)
    g = nx.DiGraph()
    for b in e.autograd.backward:
        layer = sym.nodes[b.node]["layer"] if b.node in sym else 0
        g.add_node(b.id, name=b.name, node=b.node, layer=layer,
                   kind="accumulate" if b.name == "AccumulateGrad" else "backward")
    for b in e.autograd.backward:
        for nxt in b.next:
            g.add_edge(b.id, nxt)
    return g


def _backward_label(e: Explanation, name: str, node: str | None, full: bool) -> str:
    if not full or node is None:
        return name if full else (node or name)
    info = e.node(node)
    if name == "AccumulateGrad":
        return f"AccumulateGrad\n{node}.grad = {fmt_value(info.autograd_grad, 4)}"
    lines = [name, f"{node} = {info.expr}" if info.kind == "operation" else node]
    for attr, ref, value in info.saved:
        ref_text = f" = {ref}" if ref else ""
        lines.append(_("saved {attr}").format(attr=attr) + f"{ref_text} = {fmt_value(value, 4)}")
    return "\n".join(lines)


def _backward_layout(e: Explanation, g: nx.DiGraph) -> dict[Any, Any]:
    """Each backward node where its graph node is drawn, so the two pictures line up."""
    if not len(g):
        return {}
    nodes = [d["node"] for _, d in g.nodes(data=True)]
    if any(n is None for n in nodes) or len(set(nodes)) != len(nodes):
        return _layout(g)
    sym = _layout(layered(e))
    return {v: sym[d["node"]] for v, d in g.nodes(data=True)}


@in_figure_lang
def draw_autograd(e: Explanation, ax: Axes | None = None, title: bool = True) -> Axes:
    """Draw torch's real backward graph (``grad_fn.next_functions``) with the user's names.

    Each backward node is labelled with the graph node it belongs to and the
    tensors it saved for backward; arrows run the way gradients flow, output to inputs.
    """
    plt = _agg()
    g = _backward_graph(e)
    pos = _backward_layout(e, g)
    full = len(g) <= FULL_LABELS
    if ax is None:
        per_layer, per_row = (3.1, 1.35) if full else (0.9, 0.35)
        _fig, ax = plt.subplots(figsize=_figsize(layered(e), per_layer, per_row))
    if full:
        boxes = {v: _box(ax, pos[v], _backward_label(e, d["name"], d["node"], True), d["kind"], 8.5)
                 for v, d in g.nodes(data=True)}
        labels = {}
        for k, (a, b) in enumerate(g.edges):
            _arrow(ax, boxes[a], boxes[b], EDGE["backward"], 1.2, gid=f"dx-t-edge-{k}")
            src, dst = g.nodes[a]["node"], g.nodes[b]["node"]
            if src is not None and dst is not None and e.node(src).grad is not None:
                local = e.partial(src, dst).value
                labels[(a, b)] = f"{bar(src)}·∂{src}/∂{dst}" + (
                    "" if local is None else f" = {fmt_number((e.node(src).grad or 0.0) * local, 4)}")
        edge_labels(ax, boxes, labels, dict.fromkeys(labels, EDGE["backward"]), 7.5,
                    _family(), graph="t")
    else:
        import networkx as nx

        named = len(g) <= NAME_LABELS
        size = 520.0 if named else max(8.0, 260.0 / math.sqrt(len(g)))
        nx.draw_networkx_edges(g, pos, ax=ax, edge_color="#c9b3d6", width=0.5, arrows=named,
                               node_size=size)
        for kind in ("backward", "accumulate"):
            nodes = [v for v, d in g.nodes(data=True) if d["kind"] == kind]
            if nodes:
                nx.draw_networkx_nodes(g, pos, nodelist=nodes, ax=ax, node_color=COLORS[kind],
                                       edgecolors=EDGE[kind], linewidths=0.6, node_size=size,
                                       label="AccumulateGrad" if kind == "accumulate"
                                       else _("…Backward nodes"))
        if named:  # "Mul\nv9": the operation and the graph node it belongs to
            short = {v: d["name"].replace("Backward", "").rstrip("0123456789")
                     .replace("AccumulateGrad", "Acc") + "\n" + (d["node"] or "")
                     for v, d in g.nodes(data=True)}
            nx.draw_networkx_labels(g, pos, labels=short, ax=ax, font_size=5)
        leg = ax.legend(loc="lower left", fontsize=8, frameon=False, bbox_to_anchor=(0, -0.06),
                        ncol=2)
        for handle in leg.legend_handles:
            handle.set_sizes([40])  # type: ignore[union-attr]
    ax.set_axis_off()
    sym = layered(e)
    aligned = len(g) and all(d["node"] in sym for _, d in g.nodes(data=True))
    _frame(ax, _layout(sym), sym) if aligned else _frame(ax, pos, g)
    if title:
        torch_v = e.autograd.torch_version if e.autograd else ""
        outs = ", ".join(f"{o}.grad_fn" for o in e.outputs)
        ax.set_title(_("torch {version}: {grad_fns} and its next_functions (gradients flow "
                       "right to left)").format(version=torch_v, grad_fns=outs),
                     fontsize=11, loc="left")
    if not len(g):
        ax.text(0.5, 0.5, _("no grad_fn: the output is a leaf, there is nothing to backpropagate "
                            "through"), transform=ax.transAxes, ha="center", fontsize=10, color="#555555")
    return ax


@in_figure_lang
def figure(e: Explanation, wrt: str | None = None, autograd: bool = False) -> Figure:
    """The graph alone, or (``autograd=True``) the graph above torch's backward graph.

    In the combined figure each backward node is drawn exactly where its graph node
    is drawn above, and is labelled with that node's name and definition.
    """
    plt = _agg()
    if not autograd:
        ax = draw(e, wrt=wrt)
        return cast("Figure", ax.figure)
    g = layered(e)
    small = len(g) <= FULL_LABELS
    w, h = _figsize(g, 3.1, 1.35) if small else _figsize(g, 0.9, 0.35)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(w, h * 2.1))
    draw(e, top, wrt=wrt)
    draw_autograd(e, bottom)
    fig.tight_layout()
    return fig


def save(fig: Figure, path: str) -> None:
    """Write ``fig`` to ``path`` atomically in the format its extension names."""
    from diffexplain.files import write_atomic

    write_atomic(path, encode(fig, path))


def encode(fig: Figure, path: str) -> bytes:
    """``fig`` as the bytes of the format ``path``'s extension names (nothing is written)."""
    from diffexplain.errors import InputError

    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if ext not in FORMATS:
        raise InputError(_("cannot draw to {path!r}: use a .svg, .png or .pdf file "
                           "(or .dot / .mmd for text)").format(path=path))
    buf = io.BytesIO()
    big = fig.get_figwidth() * fig.get_figheight() > 200
    fig.savefig(buf, format=ext, dpi=(90 if big else 130) if ext == "png" else None,
                bbox_inches="tight",
                metadata={"Date": None} if ext == "svg" else None)
    return buf.getvalue()


def svg(e: Explanation, wrt: str | None = None, autograd: bool = False) -> str:
    """The drawing as an SVG string (for notebooks and the HTML renderer)."""
    import matplotlib

    plt = _agg()
    fig = figure(e, wrt=wrt, autograd=autograd)
    buf = io.StringIO()
    # text stays text (selectable, searchable, a third of the size); browsers have the fonts
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()
