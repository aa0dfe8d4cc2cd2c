"""The graph figures the site shows: no edge label on a node box, on another label, or on an arrow.

Each figure is drawn exactly as the site embeds it (:func:`diffexplain.render.htmlkit.svg`,
the graph above torch's ``grad_fn`` graph, in English and in Chinese) and measured twice:

* in matplotlib's own geometry (every text's window extent as laid out for saving), which
  needs nothing but matplotlib;
* in Chromium, as a reader sees it: the SVG is put in a page and every node box, edge label
  and arrow the drawing code tagged (``dx-<graph>-node|label|edge-<k>``) is measured with
  ``getBoundingClientRect`` and ``getPointAtLength`` — the browser's fonts, not matplotlib's.

The graphs: E1 (6 nodes, and its torch graph), the 16-node binary cross-entropy graph of
logistic regression, E12's 12-node one-neuron graph and its 7-node vector layer. The figures'
smallest text stays at least 9 px on screen at 390 px (the minimum width the page gives it).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import diffexplain as dx
from diffexplain.core.points import parse_point
from diffexplain.render.htmlkit import MIN_FONT_PX, img, svg

CHROMIUM = os.environ.get("DIFFEXPLAIN_CHROMIUM", "/usr/bin/chromium")

#: (name, expression, point, wrt, language, with torch's grad_fn graph)
CASES = [
    ("e1", "a = x + w; b = w + 1; y = a*b", "w=1,x=2", None, "en", True),
    ("e1-zh", "a = x + w; b = w + 1; y = a*b", "w=1,x=2", None, "zh", True),
    ("tutorial", "(x+w)*(w+1)", "w=1,x=2", None, "en", False),
    ("bce16", "z = w*x + b; L = -(t*log(sigmoid(z)) + (1-t)*log(1-sigmoid(z)))",
     "w=0.5,x=2,b=-1,t=1", ["w", "b"], "en", True),
    ("bce16-zh", "z = w*x + b; L = -(t*log(sigmoid(z)) + (1-t)*log(1-sigmoid(z)))",
     "w=0.5,x=2,b=-1,t=1", ["w", "b"], "zh", False),
    ("e12", "z = w1 + w2 + w3 + w4 + w5 + b; loss = softplus(z)",
     "w1=0.1,w2=-0.2,w3=0.3,w4=0.05,w5=-0.1,b=0.2", None, "en", True),
    ("e12-layer", "z = x@w + b; loss = bce_with_logits(z, y)",
     "x=[1,1,1,1,1] y=[0,0,0] b=[-0.2,0.5,0.1] w=[[1.54,-0.29,-2.18],[0.57,-1.08,-1.4],"
     "[0.4,0.84,-0.72],[-0.4,-0.6,0.18],[1.52,0.35,-1.08]]", ["w", "b"], "en", True),
]
IDS = [c[0] for c in CASES]
TOL = 1.0  # px: anti-aliasing and rounding, not a real overlap


@cache
def _explained(expr: str, at: str, wrt: tuple[str, ...] | None, lang: str) -> Any:
    return dx.explain(expr, at=parse_point(at), wrt=list(wrt) if wrt else None, lang=lang)


def _svg(case: tuple[Any, ...]) -> str:
    return _svg_of(case[0])


@cache
def _svg_of(name: str) -> str:
    """The SVG the site embeds for this case (drawn once per test process)."""
    _name, expr, at, wrt, lang, autograd = next(c for c in CASES if c[0] == name)
    e = _explained(expr, at, tuple(wrt) if wrt else None, lang)
    return svg(e, autograd=autograd)


def _overlaps(nodes: dict[str, list[float]], labels: dict[str, list[float]],
              edges: dict[str, list[list[float]]]) -> list[str]:
    """Every collision, named: label × node box, label × label, arrow through a label."""
    def meet(a: list[float], b: list[float]) -> bool:
        return (min(a[2], b[2]) - max(a[0], b[0]) > TOL
                and min(a[3], b[3]) - max(a[1], b[1]) > TOL)

    found = []
    names = sorted(labels)
    for i, name in enumerate(names):
        box = labels[name]
        found += [f"{name} on {n}" for n, b in nodes.items() if meet(box, b)]
        found += [f"{name} on {other}" for other in names[i + 1:] if meet(box, labels[other])]
        inner = [box[0] + TOL, box[1] + TOL, box[2] - TOL, box[3] - TOL]
        for edge, points in edges.items():
            if any(inner[0] < x < inner[2] and inner[1] < y < inner[3] for x, y in points):
                found.append(f"{edge} through {name}")
    return found


def test_overlap_measure_finds_overlaps() -> None:
    """The measure itself: each kind of collision is reported, a clear layout is not."""
    nodes = {"n0": [0.0, 0.0, 50.0, 20.0]}
    clear = {"l0": [60.0, 0.0, 90.0, 10.0]}
    assert _overlaps(nodes, clear, {"e0": [[55.0, 5.0], [100.0, 30.0]]}) == []
    assert _overlaps(nodes, {"l0": [45.0, 5.0, 70.0, 15.0]}, {}) == ["l0 on n0"]
    assert _overlaps({}, {"l0": [0, 0, 10, 10], "l1": [5, 5, 15, 15]}, {}) == ["l0 on l1"]
    assert _overlaps({}, clear, {"e0": [[75.0, 5.0]]}) == ["e0 through l0"]


# --- in matplotlib's geometry ----------------------------------------------------------------

def _mpl_geometry(case: tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    import matplotlib
    import matplotlib.pyplot as plt

    from diffexplain.i18n import figure_rc, use_lang
    from diffexplain.render.figure import figure

    _name, expr, at, wrt, lang, autograd = case
    e = _explained(expr, at, tuple(wrt) if wrt else None, lang)
    lang, rc = figure_rc(lang)
    with use_lang(lang), matplotlib.rc_context(rc):
        fig = figure(e, autograd=autograd)
        fig.draw_without_rendering()
        r = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        nodes, labels, edges = {}, {}, {}
        for ax in fig.axes:
            for t in ax.texts:
                gid = t.get_gid() or ""
                patch = t.get_bbox_patch()
                ext = (patch if patch is not None else t).get_window_extent(r)
                box = [ext.x0, ext.y0, ext.x1, ext.y1]
                if "-node-" in gid:
                    nodes[gid] = box
                elif "-label-" in gid:
                    labels[gid] = box
                arrow = getattr(t, "arrow_patch", None)  # an annotation's arrow
                if arrow is not None and "-edge-" in (arrow.get_gid() or ""):
                    path = arrow.get_path().interpolated(50)
                    edges[arrow.get_gid()] = arrow.get_transform().transform(
                        path.vertices).tolist()
        plt.close(fig)
    return nodes, labels, edges


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_labels_clear_of_boxes_labels_and_arrows_in_matplotlib(case: tuple[Any, ...]) -> None:
    nodes, labels, edges = _mpl_geometry(case)
    assert nodes and labels and edges, "the drawing no longer tags its boxes, labels and arrows"
    assert _overlaps(nodes, labels, edges) == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_figure_text_reads_on_a_phone(case: tuple[Any, ...]) -> None:
    """The page gives the SVG a minimum width at which its smallest text (the edge labels)
    is 9 px: on a 390 px phone it scrolls sideways instead of shrinking below that."""
    html = img(_svg(case), "image/svg+xml", "graph")
    width = float(re.search(r"min-width: (\d+)px", html)[1])  # type: ignore[index]
    vbw = float(re.search(r'data-dx-vbw="([\d.]+)"', html)[1])  # type: ignore[index]
    font = float(re.search(r'data-dx-font="([\d.]+)"', html)[1])  # type: ignore[index]
    assert width > 390  # wider than the phone: shown at this width, in a scroll box
    assert font * width / vbw >= MIN_FONT_PX - 0.05


# --- in the browser ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium is not installed at {CHROMIUM}", pytrace=False)
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("playwright is not installed", pytrace=False)
        pytest.skip("playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser.new_page(viewport={"width": 1280, "height": 900})
        browser.close()


MEASURE = """(svg) => {
  document.body.style.margin = '0';
  document.body.innerHTML = svg;
  const rect = el => { const r = el.getBoundingClientRect();
                       return [r.left, r.top, r.right, r.bottom]; };
  const nodes = {}, labels = {}, edges = {};
  for (const g of document.querySelectorAll('g[id^="dx-"]')) {
    if (g.id.includes('-node-')) nodes[g.id] = rect(g);
    else if (g.id.includes('-label-')) labels[g.id] = rect(g);
    else if (g.id.includes('-edge-')) {
      const pts = [];
      for (const p of g.querySelectorAll('path')) {
        const m = p.getScreenCTM(), n = p.getTotalLength();
        for (let i = 0; i <= 200; i++) {
          const q = p.getPointAtLength(n * i / 200).matrixTransform(m);
          pts.push([q.x, q.y]);
        }
      }
      edges[g.id] = pts;
    }
  }
  return [nodes, labels, edges];
}"""


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_labels_clear_of_boxes_labels_and_arrows_in_the_browser(page: Any,
                                                                case: tuple[Any, ...]) -> None:
    nodes, labels, edges = page.evaluate(MEASURE, _svg(case))
    assert nodes and labels and edges, "the SVG no longer tags its boxes, labels and arrows"
    assert _overlaps(nodes, labels, edges) == []
