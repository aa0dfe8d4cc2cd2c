"""The built site in a real browser: Playwright drives the system's Chromium on localhost.

The site is served under a sub-path (``/project/``, as GitHub Pages publishes a project
site; nothing is served at the root), and every page of both languages is opened at
1280 px and at 390 px (a phone). On each: the math is typeset by the site's own KaTeX with
no error and no raw TeX left, every image has loaded, no console error and no failed
request, no request leaves the site, nothing overflows sideways outside a scroll container,
and the figures' smallest text is at least 9 px on screen. Then every in-site link is
followed, the language switcher is clicked, and the search is tried in both languages.
Screenshots go to ``artifacts/``.

Under ``CI=true`` a missing Chromium or Playwright is a failure; elsewhere a skip.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import pytest
from _docs_site import ROOT, Build, serve, shared_build, site_base, site_pages

CHROMIUM = os.environ.get("DIFFEXPLAIN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
PAGES = [p for path in site_pages() for p in (path, f"zh/{path}")]
RAW_TEX = ("\\frac", "\\begin{", "\\partial", "\\(", "\\[", "$$")
MIN_FONT_PX = 9.0
WIDTHS = (1280, 390)
#: pages whose screenshots are kept (full page, both widths)
SHOTS = ("", "zh/", "examples/e01-graph/", "zh/examples/e01-graph/", "examples/e06-vectors/",
         "zh/examples/e06-vectors/", "examples/logistic-regression/",
         "zh/examples/logistic-regression/", "examples/e12-network/", "zh/examples/e12-network/",
         "gradcheck/")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the browser test must run in CI, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    b: Build = shared_build(site_base(tmp_path_factory.getbasetemp()))
    assert b.returncode == 0, b.log[-3000:]
    with serve(b.site, prefix="project") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, "
                     "or set DIFFEXPLAIN_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


class Tab:
    """One page in one browser context, recording requests, failures and console errors."""

    def __init__(self, browser: Any, width: int) -> None:
        self.ctx = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.ctx.new_page()
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(
            f"{r.status} {r.url}"))
        self.page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "")
                     and self.failed.append(f"failed {r.url}: {r.failure}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def clear(self) -> None:
        self.requests.clear()
        self.failed.clear()
        self.errors.clear()

    def goto(self, url: str) -> None:
        self.page.goto(url, wait_until="load")
        # typeset (or failed) and every image settled
        self.page.wait_for_function("""() => [...document.images].every(i => i.complete) &&
            [...document.querySelectorAll('.arithmatex')].every(e => e.dataset.dxKatex)""",
                                    timeout=20000)

    def close(self) -> None:
        self.ctx.close()


@pytest.fixture(scope="module")
def tab(browser: Any) -> Iterator[Tab]:
    """One reused tab: each page is loaded once and checked at both widths (a resize, not a
    reload), so ~50 page loads cost one browser and one context."""
    t = Tab(browser, WIDTHS[0])
    yield t
    t.close()


def _width(tab: Tab, width: int) -> None:
    if tab.page.viewport_size["width"] != width:
        tab.page.set_viewport_size({"width": width, "height": 900})
        tab.page.wait_for_timeout(150)  # layout, then the scroll cues' resize handler


def _outside(requests: list[str], base: str) -> list[str]:
    return [r for r in requests if not (r.startswith(base) or r.startswith("data:")
                                        or r.startswith("about:") or r.startswith("blob:"))]


#: every check on one loaded page, in one evaluate (cheap, and one place to read)
PAGE_FACTS = """() => {
  const vw = window.innerWidth;
  const els = [...document.querySelectorAll('.arithmatex')];
  const figures = [...document.querySelectorAll('.dx-figure img[data-dx-font]')].map(i => {
    const shown = i.getBoundingClientRect().width;
    const px = parseFloat(i.dataset.dxFont) * shown / parseFloat(i.dataset.dxVbw);
    return {alt: i.alt, px: px, shown: shown};
  });
  // an element wider than the viewport must sit inside something that scrolls sideways
  const overflow = [];
  for (const el of document.querySelectorAll('article *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1) continue;
    let p = el.parentElement, clipped = false;
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)) { clipped = true; break; }
      p = p.parentElement;
    }
    if (!clipped) overflow.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  }
  return {
    title: document.title,
    lang: document.documentElement.lang,
    total: els.length,
    typeset: els.filter(e => e.querySelector('.katex')).length,
    katexErrors: document.querySelectorAll('.katex-error').length,
    scrollWidth: document.documentElement.scrollWidth,
    vw: vw,
    images: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
                                .map(i => i.src.slice(0, 60)),
    failures: document.querySelectorAll('.admonition.failure').length,
    figures: figures,
    overflow: overflow.slice(0, 5),
    text: (() => {  // what a reader sees as prose: code and typeset math (its TeX source) left out
      const a = document.querySelector('article');
      if (!a) return '';
      const c = a.cloneNode(true);
      c.querySelectorAll('code, pre, .katex').forEach(e => e.remove());
      return c.textContent;
    })(),
  };
}"""


def _shot(tab: Tab, path: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = (path.strip("/").replace("/", "-") or "home")
    tab.page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("path", PAGES)
def test_page(site: str, tab: Tab, path: str) -> None:
    _width(tab, WIDTHS[0])
    tab.clear()
    tab.goto(site + path)
    for width in WIDTHS:
        _width(tab, width)
        f = tab.page.evaluate(PAGE_FACTS)
        where = f"{path or 'home'} at {width} px"
        assert f["title"], "the page has no title"
        assert f["lang"].startswith("zh" if path.startswith("zh/") else "en"), f["lang"]
        assert f["typeset"] == f["total"] and f["katexErrors"] == 0, (where, f["typeset"],
                                                                      f["total"])
        for tex in RAW_TEX:
            assert tex not in f["text"], f"{where}: raw TeX {tex!r} is visible"
        assert f["images"] == [], where
        assert f["failures"] == 0, where
        assert f["scrollWidth"] <= f["vw"], f"{where}: scrolls sideways ({f['scrollWidth']} px)"
        assert f["overflow"] == [], (where, f["overflow"])
        small = [g for g in f["figures"] if g["px"] < MIN_FONT_PX - 0.05]
        assert small == [], (where, small)
        if path in SHOTS:
            _shot(tab, path, width)
    assert tab.failed == [], tab.failed
    assert tab.errors == [], tab.errors
    assert _outside(tab.requests, site) == []


def test_every_link_resolves(site: str, tab: Tab,
                             tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every in-site link of every page, resolved as the browser does under the sub-path,
    answers 200 (the pages' own links, the nav, the footer and the language switcher)."""
    built = shared_build(site_base(tmp_path_factory.getbasetemp())).site
    links: set[str] = set()
    for path in PAGES:
        html = (built / path / "index.html").read_text(encoding="utf-8")
        for href in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', html):
            url = urldefrag(urljoin(site + path, unescape(href)))[0]
            if url.startswith(site):
                links.add(url)
    assert any(u.endswith(".ipynb") for u in links), "no notebook is linked"
    request = tab.page.request
    bad = [f"{r.status} {u}" for u in sorted(links) if (r := request.get(u)).status != 200]
    assert bad == []


@pytest.mark.parametrize(("start", "lang", "expected"), [
    ("", "zh", "zh/"),
    ("zh/", "en", ""),
    ("examples/e01-graph/", "zh", "zh/examples/e01-graph/"),
    ("zh/examples/logistic-regression/", "en", "examples/logistic-regression/"),
])
def test_language_switcher(site: str, tab: Tab, start: str, lang: str, expected: str) -> None:
    _width(tab, 1280)
    tab.clear()
    tab.goto(site + start)
    link = tab.page.locator(f'a.md-select__link[hreflang="{lang}"]')
    href = link.get_attribute("href")
    assert href and not href.startswith("/"), href
    tab.page.locator(".md-header__option .md-select").first.hover()
    link.click()
    tab.page.wait_for_load_state("load")
    assert tab.page.url == site + expected
    assert tab.failed == [] and tab.errors == []


def _search(tab: Tab, query: str) -> list[str]:
    tab.page.click(".md-search__input") if tab.page.is_visible(".md-search__input") else \
        tab.page.click("label.md-header__button[for=__search]")
    tab.page.keyboard.type(query, delay=10)
    tab.page.keyboard.press("End")  # CJK text is inserted without key events: one keyup
    tab.page.wait_for_selector(".md-search-result__item", timeout=15000)
    return tab.page.eval_on_selector_all(".md-search-result__item > a",
                                         "as => as.map(a => a.href)")


def test_search_in_each_language(site: str, browser: Any) -> None:
    tab = Tab(browser, 1280)
    try:
        tab.goto(site)
        hrefs = _search(tab, "autograd")
        assert hrefs and not [h for h in hrefs if h.startswith(site + "zh/")], hrefs[:5]
        tab.goto(site + "zh/")
        hrefs = _search(tab, "计算图")
        assert hrefs and all(h.startswith(site + "zh/") for h in hrefs), hrefs[:5]
        first = hrefs[0]
        snippets = tab.page.inner_text(".md-search-result")
        for tex in RAW_TEX:
            assert tex not in snippets, tex
        tab.page.locator(".md-search-result__item > a").first.click()
        tab.page.wait_for_load_state("load")
        assert tab.page.url.split("?")[0].split("#")[0] == first.split("?")[0].split("#")[0]
        assert tab.page.evaluate("document.documentElement.lang").startswith("zh")
        assert tab.failed == [] and tab.errors == []
        assert _outside(tab.requests, site) == []
    finally:
        tab.close()


def _boxes(page: Any) -> tuple[dict[str, float], dict[str, float]]:
    cols = page.locator(".dx-columns").first
    left = cols.locator(".dx-col").nth(0).bounding_box()
    right = cols.locator(".dx-col").nth(1).bounding_box()
    assert left and right
    return left, right


@pytest.mark.parametrize("home", ["", "zh/"])
def test_columns_side_by_side_then_stacked(site: str, tab: Tab, home: str) -> None:
    _width(tab, 1280)
    tab.goto(site + home)
    left, right = _boxes(tab.page)
    assert right["x"] >= left["x"] + left["width"] - 1, (left, right)  # beside
    assert abs(right["y"] - left["y"]) < 20, (left, right)  # same row
    _width(tab, 390)
    left, right = _boxes(tab.page)
    assert right["y"] >= left["y"] + left["height"] - 1, (left, right)  # below
    assert abs(right["x"] - left["x"]) < 2, (left, right)  # same column


def test_figure_enlarges_on_tap_and_tables_show_more(site: str, tab: Tab) -> None:
    _width(tab, 390)
    tab.goto(site + "examples/e01-graph/")
    img = tab.page.locator(".dx-figure img").first
    img.click()
    box = tab.page.locator(".dx-lightbox")
    assert box.count() == 1
    shown = box.locator("img").bounding_box()
    assert shown and shown["width"] > 390  # bigger than the phone: scroll around in it
    tab.page.keyboard.press("Escape")
    assert tab.page.locator(".dx-lightbox").count() == 0
    # a table wider than the phone fades on the side that hides more
    cues = tab.page.evaluate("""() => [...document.querySelectorAll('.md-typeset__scrollwrap')]
        .filter(e => e.scrollWidth > e.clientWidth + 2)
        .map(e => e.classList.contains('dx-more-right'))""")
    assert cues and all(cues), cues


def test_dark_mode_toggle(site: str, tab: Tab) -> None:
    _width(tab, 1280)
    tab.goto(site)
    scheme = tab.page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    tab.page.locator("form[data-md-component=palette] label").first.click()
    tab.page.wait_for_timeout(200)
    assert tab.page.evaluate("document.body.getAttribute('data-md-color-scheme')") != scheme
    tab.page.locator("form[data-md-component=palette] label:visible").first.click()


def test_chinese_figure_has_cjk_text(site: str, tab: Tab) -> None:
    """The drawing on a Chinese page is labelled in Chinese as text, in a CJK font the
    browser has (so no tofu boxes)."""
    _width(tab, 1280)
    tab.goto(site + "zh/examples/e01-graph/")
    text = tab.page.inner_text("article")
    for word in ("计算图", "叶子节点", "链式法则", "梯度"):
        assert word in text, word
    svgs = tab.page.evaluate("""() => [...document.querySelectorAll('.dx-figure img')]
        .filter(i => i.src.startsWith('data:image/svg+xml'))
        .map(i => ({w: i.naturalWidth, svg: atob(i.src.split(',')[1])}))""")
    assert svgs and all(s["w"] > 100 for s in svgs)
    raw = bytes(ord(c) for c in svgs[0]["svg"]).decode("utf-8")
    title = [line for line in raw.splitlines() if "常数" in line]  # "constant"
    assert title, "the drawing has no Chinese label as text"
    family = re.search(r"font-family:([^;\"]+)", title[0])[1]
    cjk = [f.strip(" '") for f in family.split(",") if "CJK" in f or "Hei" in f]
    assert cjk, f"the Chinese label names no CJK font: {family}"
    assert tab.page.evaluate("f => document.fonts.check(`12px '${f}'`, '常数')", cjk[0])
