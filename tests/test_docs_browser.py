"""The built site in a real browser: Playwright drives the system's Chromium on localhost.

Checks what a reader sees: every page loads, the math is typeset by the site's own
KaTeX (no raw TeX left), every image has loaded, the two columns sit side by side at
1280 px and stack at 400 px, and no request leaves localhost. Screenshots of the home
page, the logistic-regression page and the Chinese E1 page are saved under ``artifacts/``.

Under ``CI=true`` a missing Chromium or Playwright is a failure; elsewhere a skip.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _docs_site import EXAMPLE_PAGES, ROOT, Build, serve, shared_build, site_base

CHROMIUM = os.environ.get("DIFFEXPLAIN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
PAGES = ["", "tutorial/", "concepts/", "examples/", "check/", "glossary/", "safety/",
         *[f"examples/{p}/" for p in EXAMPLE_PAGES],
         "zh/", "zh/tutorial/", "zh/glossary/", *[f"zh/examples/{p}/" for p in EXAMPLE_PAGES]]
RAW_TEX = ("\\frac", "\\begin{", "\\partial", "\\(", "\\[", "$$")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the browser test must run in CI, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    b: Build = shared_build(site_base(tmp_path_factory.getbasetemp()))
    assert b.returncode == 0, b.log[-3000:]
    with serve(b.site) as url:
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


def _open(browser: Any, url: str, width: int) -> tuple[Any, Any, list[str]]:
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _goto(page, url)
    return ctx, page, requests


def _goto(page: Any, url: str) -> None:
    page.goto(url, wait_until="load")
    # typeset (or failed) and every image settled
    page.wait_for_function("""() => [...document.images].every(i => i.complete) &&
        [...document.querySelectorAll('.arithmatex')].every(e => e.dataset.dxKatex)""",
                           timeout=15000)


@pytest.fixture(scope="module")
def wide(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """One 1280-px tab for the page checks, with every request it makes recorded."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    yield page, requests
    ctx.close()


def _outside(requests: list[str], base: str) -> list[str]:
    return [r for r in requests if not (r.startswith(base) or r.startswith("data:")
                                        or r.startswith("about:"))]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_typeset_and_local(site: str, wide: tuple[Any, list[str]], path: str) -> None:
    page, requests = wide
    requests.clear()
    _goto(page, site + path)
    assert page.title(), "the page has no title"
    math = page.evaluate("""() => {
        const els = [...document.querySelectorAll('.arithmatex')];
        return {total: els.length,
                typeset: els.filter(e => e.querySelector('.katex')).length,
                errors: document.querySelectorAll('.katex-error').length};
    }""")
    assert math["typeset"] == math["total"], math
    assert math["errors"] == 0, math
    visible = page.inner_text("article")
    for tex in RAW_TEX:
        assert tex not in visible, f"raw TeX {tex!r} is visible"
    images = page.evaluate("""() => [...document.images].map(
        i => ({src: i.src.slice(0, 60), ok: i.complete && i.naturalWidth > 0}))""")
    assert all(i["ok"] for i in images), [i for i in images if not i["ok"]]
    assert not page.query_selector(".admonition.failure")
    assert _outside(requests, site) == []


def test_math_on_the_seed_example(site: str, wide: tuple[Any, list[str]]) -> None:
    page, _ = wide
    _goto(page, site)
    # the two derivations of the live example, typeset as display math
    assert page.locator(".diffexplain .katex-display").count() >= 2
    # logistic regression: two generated figures, really decoded
    _goto(page, site + "examples/logistic-regression/")
    widths = page.evaluate("[...document.querySelectorAll('.dx-figure img')].map(i => i.naturalWidth)")
    assert len(widths) == 2 and min(widths) > 100, widths


def _boxes(page: Any) -> tuple[dict[str, float], dict[str, float]]:
    cols = page.locator(".dx-columns").first
    left = cols.locator(".dx-col").nth(0).bounding_box()
    right = cols.locator(".dx-col").nth(1).bounding_box()
    assert left and right
    return left, right


def test_columns_side_by_side_then_stacked(site: str, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for path, shot in (("", "home"), ("examples/logistic-regression/", "logistic-regression")):
        ctx, page, requests = _open(browser, site + path, 1280)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{shot}-1280.png"), full_page=True)
            assert _outside(requests, site) == []
        finally:
            ctx.close()
    ctx, page, _ = _open(browser, site, 1280)
    try:
        left, right = _boxes(page)
        assert right["x"] >= left["x"] + left["width"] - 1, (left, right)  # beside
        assert abs(right["y"] - left["y"]) < 20, (left, right)  # same row
    finally:
        ctx.close()
    ctx, page, _ = _open(browser, site, 400)
    try:
        page.screenshot(path=str(ARTIFACTS / "home-400.png"), full_page=True)
        left, right = _boxes(page)
        assert right["y"] >= left["y"] + left["height"] - 1, (left, right)  # below
        assert abs(right["x"] - left["x"]) < 2, (left, right)  # same column
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the page scrolls sideways at 400 px ({width} px wide)"
    finally:
        ctx.close()


def test_dark_mode_toggle_and_search_are_local(site: str, browser: Any) -> None:
    ctx, page, requests = _open(browser, site, 1280)
    try:
        scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        page.locator("form[data-md-component=palette] label").first.click()
        page.wait_for_timeout(200)
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") != scheme
        page.click(".md-search__input")
        page.keyboard.type("autograd", delay=10)
        page.wait_for_selector(".md-search-result__item", timeout=15000)
        assert _outside(requests, site) == []
    finally:
        ctx.close()


def test_chinese_page(site: str, browser: Any) -> None:
    """A Chinese page: Chinese prose from the library, math typeset, the drawing labelled in
    Chinese as text in a CJK font the browser has (so no tofu boxes)."""
    ARTIFACTS.mkdir(exist_ok=True)
    ctx, page, requests = _open(browser, site + "zh/examples/e01-graph/", 1280)
    try:
        page.screenshot(path=str(ARTIFACTS / "zh-e01-graph-1280.png"), full_page=True)
        assert page.evaluate("document.documentElement.lang").startswith("zh")
        text = page.inner_text("article")
        for word in ("计算图", "叶子节点", "链式法则", "梯度"):
            assert word in text, word
        assert page.locator(".diffexplain .katex-display").count() >= 2
        assert page.locator(".katex-error").count() == 0
        svgs = page.evaluate("""async () => {
            const out = [];
            for (const img of document.querySelectorAll('.dx-figure img')) {
                if (!img.src.startsWith('data:image/svg+xml')) continue;
                out.push({w: img.naturalWidth, svg: atob(img.src.split(',')[1])});
            }
            return out;
        }""")
        assert svgs and all(s["w"] > 100 for s in svgs)
        raw = bytes(ord(c) for c in svgs[0]["svg"]).decode("utf-8")
        title = [line for line in raw.splitlines() if "常数" in line]  # "constant"
        assert title, "the drawing has no Chinese label as text"
        family = re.search(r"font-family:([^;\"]+)", title[0])[1]
        cjk = [f.strip(" '") for f in family.split(",") if "CJK" in f or "Hei" in f]
        assert cjk, f"the Chinese label names no CJK font: {family}"
        assert page.evaluate("f => document.fonts.check(`12px '${f}'`, '常数')", cjk[0])
        assert _outside(requests, site) == []
    finally:
        ctx.close()
