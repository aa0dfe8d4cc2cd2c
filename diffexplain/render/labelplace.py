"""Edge labels placed beside their edge, clear of the node boxes, the other labels and arrows.

A label written on the middle of its edge is crossed by its own arrow, and on a mid-size
graph (the 16-node binary cross-entropy graph) it lands on node boxes and on other labels.
Each label here is placed greedily, then improved in a second pass: the candidates are
points along the visible part of the edge, on either side of it, just far enough that the
line does not touch the label; the cost counts, in screen pixels, the label's overlap with
node boxes, arrowheads, labels already placed and the axes' border, and the length of every
arrow that runs through it, plus a small preference for the middle of the edge.

The placement runs at draw time, from an invisible artist drawn after the node boxes and
before the labels, so it measures the figure exactly as it is being drawn or saved
(``tight_layout``, a notebook's own axes, any size) and costs no extra layout pass. The SVG
keeps each piece findable by id (``dx-<graph>-node-<k>``, ``dx-<graph>-label-<k>``,
``dx-<graph>-edge-<k>``), which the docs' overlap test measures in a browser.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.text import Text

__all__ = ["edge_labels"]

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in display pixels

#: fractions of the visible edge tried, best first
_ALONG = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88)
#: distances from the edge, in units of the label's own half-extent across it (+ a gap)
_AWAY = (1.0, 1.9, 2.8, 4.0, 5.5, 7.0)
#: every candidate as (preference penalty, fraction along, distance, side), cheapest first
_CANDIDATES = sorted((rank * 0.6 + (away - 1) * 3.0 + (side < 0) * 0.3, frac, away, side)
                     for rank, frac in enumerate(_ALONG) for away in _AWAY for side in (1, -1))
_GAP = 3.0  # px between a label and the line it sits beside (lines are up to 2.2 pt wide)
_HEAD = 8.0  # px: half the side of the box kept clear around an arrow's tip


def edge_labels(ax: Axes, boxes: Mapping[Any, Text], labels: Mapping[tuple[Any, Any], str],
                colors: Mapping[tuple[Any, Any], str], size: float, family: Any,
                graph: str = "g") -> dict[tuple[Any, Any], Text]:
    """Write each edge's label (on white, above the arrows), placed whenever it is drawn."""
    for k, t in enumerate(boxes.values()):
        t.set_gid(f"dx-{graph}-node-{k}")
    texts = {}
    for k, ((a, b), text) in enumerate(labels.items()):
        (xa, ya), (xb, yb) = boxes[a].get_position(), boxes[b].get_position()
        texts[(a, b)] = ax.text(
            (xa + xb) / 2, (ya + yb) / 2, text, fontsize=size, ha="center", va="center",
            color=colors.get((a, b), "#333333"), family=family, zorder=5,
            gid=f"dx-{graph}-label-{k}",
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))
    if texts:
        placer = _placer()(dict(boxes), texts)
        placer.set_zorder(4.95)  # after the boxes (3) and arrows (4), before the labels (5)
        placer.set_in_layout(False)  # it has no extent: keep it out of tight bounding boxes
        ax.add_artist(placer)
    return texts


@functools.cache
def _placer() -> Any:
    """The placing artist's class (matplotlib is imported only when a figure is drawn)."""
    from matplotlib.artist import Artist

    class Placer(Artist):
        def __init__(self, boxes: dict[Any, Text], labels: dict[tuple[Any, Any], Text]) -> None:
            super().__init__()
            self.boxes, self.labels = boxes, labels

        def draw(self, renderer: Any) -> None:
            if self.axes is not None and self.get_visible():
                _place(self.axes, self.boxes, self.labels, renderer)

    return Placer


def _place(ax: Any, boxes: Mapping[Any, Text], labels: Mapping[tuple[Any, Any], Text],
           renderer: Any) -> None:
    """Move the labels to their best positions for the layout being drawn."""
    nodes = {name: _extent(t, renderer) for name, t in boxes.items()}
    centre = {name: ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for name, b in nodes.items()}
    frame = ax.get_window_extent(renderer)
    frame_box = (frame.x0, frame.y0, frame.x1, frame.y1)
    segments = [(centre[a], centre[b]) for a, b in labels]
    # arrowheads are wider than the line: keep labels off a box around each tip
    obstacles = list(nodes.values()) + [_head(nodes[b], p, q) for (_a, b), (p, q)
                                        in zip(labels, segments)]
    sizes = {edge: _size(t, renderer) for edge, t in labels.items()}
    placed: dict[tuple[Any, Any], Box] = {}
    order = sorted(labels, key=lambda e: -sizes[e][0])  # the widest first: fewest fits
    for _round in range(2):
        for edge in order:
            placed.pop(edge, None)
            placed[edge] = _best(edge, centre, nodes, obstacles, sizes[edge],
                                 list(placed.values()), segments, frame_box)
    inverse = ax.transData.inverted()
    for edge, (x0, y0, x1, y1) in placed.items():
        x, y = inverse.transform(((x0 + x1) / 2, (y0 + y1) / 2))
        labels[edge].set_position((float(x), float(y)))


def _extent(t: Text, renderer: Any) -> Box:
    patch = t.get_bbox_patch()
    if patch is not None:
        t.update_bbox_position_size(renderer)  # the box around the text where it is now
    e = (patch if patch is not None else t).get_window_extent(renderer)
    return (e.x0, e.y0, e.x1, e.y1)


def _size(t: Text, renderer: Any) -> tuple[float, float]:
    x0, y0, x1, y1 = _extent(t, renderer)
    return x1 - x0, y1 - y0


def _head(target: Box, p: tuple[float, float], q: tuple[float, float]) -> Box:
    """A box around the arrow's tip, where the line p→q enters the target box."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    u = (-dx / length, -dy / length)
    s = _leave(target, q, u)
    x, y = q[0] + u[0] * s, q[1] + u[1] * s
    return (x - _HEAD, y - _HEAD, x + _HEAD, y + _HEAD)


def _best(edge: tuple[Any, Any], centre: Mapping[Any, tuple[float, float]],
          nodes: Mapping[Any, Box], obstacles: Sequence[Box], size: tuple[float, float],
          labels: Sequence[Box],
          segments: Sequence[tuple[tuple[float, float], tuple[float, float]]],
          frame: Box) -> Box:
    (ax_, ay), (bx, by) = centre[edge[0]], centre[edge[1]]
    dx, dy = bx - ax_, by - ay
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    ux, uy = dx / length, dy / length
    nx_, ny = -uy, ux  # the left normal
    if ny < 0 or (ny == 0 and nx_ < 0):
        nx_, ny = -nx_, -ny  # "above" first
    t0 = _leave(nodes[edge[0]], (ax_, ay), (ux, uy))
    t1 = length - _leave(nodes[edge[1]], (bx, by), (-ux, -uy))
    if t1 <= t0:  # the boxes touch: the label goes beside the gap between them
        t0 = t1 = (t0 + t1) / 2
    w, h = size
    half = (abs(nx_) * w + abs(ny) * h) / 2
    best: tuple[float, Box] | None = None
    for penalty, frac, away, side in _CANDIDATES:
        if best is not None and penalty >= best[0]:
            break  # every candidate left costs at least its penalty: none can do better
        s = t0 + frac * (t1 - t0)
        d = side * (away * half + _GAP)
        cx, cy = ax_ + ux * s + nx_ * d, ay + uy * s + ny * d
        box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        cost = _cost(box, obstacles, labels, segments, frame) + penalty
        if best is None or cost < best[0]:
            best = (cost, box)
    assert best is not None
    return best[1]


def _cost(box: Box, obstacles: Sequence[Box], labels: Sequence[Box],
          segments: Sequence[tuple[tuple[float, float], tuple[float, float]]],
          frame: Box) -> float:
    cost = 0.0
    for b in obstacles:
        cost += 40.0 * _area(box, _grow(b, 2.0))
    for b in labels:
        cost += 40.0 * _area(box, _grow(b, 1.0))
    for p, q in segments:
        cost += 25.0 * _inside(_grow(box, 1.0), p, q)
    w, h = box[2] - box[0], box[3] - box[1]
    cost += 40.0 * (w * h - _area(box, frame))  # outside the axes: into the title or legend
    return cost


def _grow(b: Box, by: float) -> Box:
    return (b[0] - by, b[1] - by, b[2] + by, b[3] + by)


def _area(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _leave(b: Box, start: tuple[float, float], u: tuple[float, float]) -> float:
    """How far a ray from ``start`` (inside ``b``) along the unit ``u`` runs before leaving ``b``."""
    ts = []
    for lo, hi, p, d in ((b[0], b[2], start[0], u[0]), (b[1], b[3], start[1], u[1])):
        if d > 1e-12:
            ts.append((hi - p) / d)
        elif d < -1e-12:
            ts.append((lo - p) / d)
    return max(0.0, min(ts)) if ts else 0.0


def _inside(b: Box, p: tuple[float, float], q: tuple[float, float]) -> float:
    """Length of the segment p–q inside the box (Liang–Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for pk, qk in ((-dx, p[0] - b[0]), (dx, b[2] - p[0]), (-dy, p[1] - b[1]), (dy, b[3] - p[1])):
        if pk == 0:
            if qk < 0:
                return 0.0
            continue
        r = qk / pk
        if pk < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return 0.0
    return (t1 - t0) * (dx * dx + dy * dy) ** 0.5
