"""The docs machinery's small parts, without a site build: links, search, figures, fences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diffexplain.docsite.links import plain_tex, relative_page, split_search_index
from diffexplain.render.htmlkit import MIN_FONT_PX, img, svg_min_width

HOME = """<html lang="en" class="no-js"><head>
<link rel="alternate" href="/" hreflang="en">
<link rel="alternate" href="/zh/" hreflang="zh">
<script id="__config" type="application/json">{"base": ".", "search": "x.js"}</script>
</head><body><a href="/" hreflang="en" class="md-select__link">English</a>
<a href="/zh/" hreflang="zh" class="md-select__link">中文</a></body></html>"""


@pytest.mark.parametrize(("url", "site_url", "en", "zh"), [
    ("", None, "./", "zh/"),
    ("", "https://example.org/project/", "./", "zh/"),
    ("examples/e01-graph/", None, "../../", "../../zh/"),
])
def test_language_links_become_relative(url: str, site_url: str | None, en: str,
                                        zh: str) -> None:
    html = HOME if not site_url else HOME.replace('href="/', 'href="/project/')
    out = relative_page(html, url, site_url)
    assert f'href="{en}" hreflang="en"' in out
    assert f'href="{zh}" hreflang="zh"' in out
    assert '<link rel="alternate"' not in out  # Material would fetch DIR/sitemap.xml: a 404


def test_a_chinese_page_loads_the_chinese_search_index() -> None:
    zh = HOME.replace('lang="en"', 'lang="zh"').replace('"base": "."', '"base": "../.."')
    assert '"base": "../../zh/"' in relative_page(zh, "zh/tutorial/", None)
    assert '"base": "."' in relative_page(HOME, "", None)


def test_plain_tex() -> None:
    assert plain_tex(r"\frac{\partial y}{\partial w} = b \cdot 1") == "∂y/∂w = b · 1"
    assert "\\" not in plain_tex(r"\operatorname{mean}\bigl((\sigma(z) - t)\,x\bigr)")


def test_split_search_index(tmp_path: Path) -> None:
    (tmp_path / "search").mkdir()
    docs = [{"location": "", "title": "Home", "text": r"<p>y \(\frac{a}{b}\)</p>\[x^2\]"},
            {"location": "zh/", "title": "首页", "text": "计算图"},
            {"location": "zh/tutorial/#_1", "title": "教程", "text": "链式法则"}]
    path = tmp_path / "search" / "search_index.json"
    path.write_text(json.dumps({"config": {"lang": ["en", "zh"]}, "docs": docs}))
    split_search_index(tmp_path)
    split_search_index(tmp_path)  # idempotent
    en = json.loads(path.read_text())
    zh = json.loads((tmp_path / "zh" / "search" / "search_index.json").read_text())
    assert [d["location"] for d in en["docs"]] == [""]
    assert en["docs"][0]["text"] == "<p>y a/b</p> " and en["config"]["lang"] == ["en"]
    assert [d["location"] for d in zh["docs"]] == ["", "tutorial/#_1"]


SVG = ('<svg width="200pt" height="100pt" viewBox="0 0 200 100"><text style="font-size: 5px">'
       'a</text><text style="font: 10px \'DejaVu Sans\'">b</text></svg>')


def test_svg_minimum_width_keeps_text_readable() -> None:
    width, small = svg_min_width(SVG) or (0, 0)
    assert small == 5 and width == pytest.approx(200 * MIN_FONT_PX / 5)
    html = img(SVG, "image/svg+xml", "alt")
    assert f'min-width: {width:.0f}px' in html and 'class="dx-figure-scroll"' in html
    assert svg_min_width("<svg viewBox='0 0 1 1'></svg>") is None


def test_torch_calls_are_code_not_block_quotes() -> None:
    from diffexplain.render.extras import _closing_blocks

    blocks = _closing_blocks([">>> g, = torch.autograd.grad(y, x)", ">>> g.backward()", "note"])
    assert blocks[0].startswith("```pycon\n>>> g, =") and blocks[0].count(">>>") == 2
    assert blocks[1] == "- note"


def test_where_line_defines_every_name() -> None:
    import diffexplain as dx
    from diffexplain.render.html import page

    e = dx.explain("(x+w)*(w+1)", at={"w": 1, "x": 2})
    html = page(e, ("symbolic",))
    assert '<p class="dx-small dx-where">where: <code>a = x + w</code>, <code>b = w + 1</code>' in html


def test_exercise_fence_gives_the_command_and_the_answer() -> None:
    from diffexplain.docsite.fence import LANGUAGES

    html = LANGUAGES["diffexplain-exercise"]("x**3\nat: x=3")
    assert "diffexplain" in html and "check" in html and "--steps" in html
    assert "∂y/∂x = 27" in html
    zh = LANGUAGES["diffexplain-exercise"]("x**3\nat: x=3\nlang: zh")
    assert "答案" in zh and "--lang" in zh


def test_training_example_speaks_chinese() -> None:
    """examples/logistic_regression.py (E11, run on both language pages) says everything through
    diffexplain's _(): each of its messages has a Chinese translation with the same placeholders,
    and babel.cfg extracts it, so a catalog update keeps them."""
    import re

    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
    from babel.messages.pofile import read_po

    from diffexplain.i18n import LOCALE_DIR, _, use_lang

    root = Path(__file__).resolve().parent.parent
    script = "examples/logistic_regression.py"
    assert script in (root / "babel.cfg").read_text(encoding="utf-8")
    ids = {m[1] for m in extract_from_file("python", str(root / script),
                                           keywords=DEFAULT_KEYWORDS)}
    assert len(ids) > 20
    with open(LOCALE_DIR / "zh" / "LC_MESSAGES" / "diffexplain.po", "rb") as fh:
        po = {m.id: m.string for m in read_po(fh) if isinstance(m.id, str)}
    holes = re.compile(r"\{[^{}]*\}")
    for msgid in ids:
        assert po.get(msgid), f"no Chinese for {msgid!r}"
        assert sorted(holes.findall(po[msgid])) == sorted(holes.findall(msgid)), msgid
        with use_lang("zh"):
            assert _(msgid) == po[msgid], f"the .mo is stale for {msgid!r}"
