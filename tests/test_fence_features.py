"""The fence sections and fences for the merged features: extras, figures, traces, E8's
traced function, E9's plot, swell, check, and ``lang: zh`` (generated, never pasted)."""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

import pytest

from diffexplain.docsite import fence

ROOT = Path(__file__).resolve().parent.parent


def _fmt(lang: str, body: str) -> str:
    fence._DONE.clear()
    return fence.formatter(body, lang, lang, {}, None)


def _text(h: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", h))


def test_backward_passes_show_torchs_freed_graph_error() -> None:
    h = _text(_fmt("diffexplain", "(x+w)*(w+1)\nat: w=1,x=2\nwrt: w\n"
                   "options: backward=4, retain_graph=2\nshow: extras"))
    assert "5, 10, 15" in h and "Trying to backward through the graph a second time" in h


def test_order_two_and_vectors_and_detach() -> None:
    h = _text(_fmt("diffexplain", "x**2\nat: x=3\noptions: order=2\nshow: extras"))
    assert "MulBackward0" in h and "6" in h and "2" in h
    h = _text(_fmt("diffexplain", "y = x*x; u = detach(y); z = u*x\nat: x=[0,1,2,3]\n"
                   "show: extras, check"))
    assert "[0, 1, 4, 9]" in h


def test_figure_is_an_embedded_svg_and_chinese_has_a_cjk_label() -> None:
    h = _fmt("diffexplain", "(x+w)*(w+1)\nat: w=1,x=2\nlang: zh\nshow: figure")
    svg = base64.b64decode(re.search(r"data:image/svg\+xml;base64,([^\"]+)", h)[1]).decode()
    assert "常数" in svg and "<svg" in svg  # "constant", a label of the drawing
    assert "计算图" in _text(h)  # the library's own Chinese prose


def test_forward_and_reverse_trace_tables() -> None:
    h = _text(_fmt("diffexplain", "(x+w)*(w+1)\nat: w=1,x=2\nshow: forward, reverse"))
    assert "v̄" in h and "v̇" in h


def test_trace_fence_runs_the_real_function() -> None:
    fence.set_context(base_dir=ROOT)
    h = _text(_fmt("diffexplain-trace", "function: examples/control.py:f\nat: a=10"))
    assert "1280" in h and "128" in h and "loop body ran 6 times" in h


@pytest.mark.parametrize("lang, body, message", [
    ("diffexplain-check", "x**2 + 5\nat: x=2\nsteps: 2x + 5\nexpect: sign", "expected mistake"),
    ("diffexplain-swell", "max_n: 20", "max_n must be"),
    ("diffexplain", "x\nat: x=1\nlang: fr", "lang must be"),
])
def test_fence_mistakes_fail_the_build(lang: str, body: str, message: str,
                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.diffexplain"):
        h = _fmt(lang, body)
    assert "admonition failure" in h and message in caplog.text


def test_check_fence_names_the_mistake() -> None:
    h = _text(_fmt("diffexplain-check", "x**2 + 5\nat: x=2\nsteps: 2x + 5\nexpect: constant"))
    assert "constant" in h


def test_plot_fence_draws_and_tabulates() -> None:
    h = _fmt("diffexplain-plot", "3*x**2 - 4*x\nat: x=1")
    assert "data:image/png;base64," in h and "2.02999" in h
