"""Both languages alike, and links that survive publishing, checked on the built site.

Every English page and its Chinese twin have the same sections (h2/h3), the same
generated blocks (fences, side-by-side columns, figures, tables), and every page in the
nav has a Chinese source. The built HTML has no absolute language link, the sitemap no
``None``, each language its own search index, and no LaTeX in a search snippet.
"""

from __future__ import annotations

import json
import re

import pytest
from _docs_site import ROOT, Build, shared_build, site_base, site_pages

DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    b = shared_build(site_base(tmp_path_factory.getbasetemp()))
    assert b.returncode == 0, b.log[-3000:]
    return b


PAGES = site_pages()

#: what the structure is made of: sections and the generated blocks the reader sees
COUNTS = {
    "h2": re.compile(r"<h2\b"),
    "h3": re.compile(r"<h3\b"),
    "fences": re.compile(r'<div class="diffexplain\b'),
    "columns": re.compile(r'<div class="dx-columns"'),
    "figures": re.compile(r'<figure class="dx-figure"'),
    "tables": re.compile(r"<table\b"),
    "math": re.compile(r'class="arithmatex"'),
    "code": re.compile(r'<div class="highlight"'),
}


def _article(html: str) -> str:
    start = html.find("<article")
    return html[start:html.find("</article>", start)]


def structure(html: str) -> dict[str, int]:
    body = _article(html)
    return {k: len(p.findall(body)) for k, p in COUNTS.items()}


def test_every_page_has_a_chinese_source() -> None:
    missing = [md.relative_to(DOCS).as_posix() for md in DOCS.rglob("*.md")
               if md.name.count(".") == 1 and not md.with_suffix(".zh.md").is_file()]
    assert missing == []


@pytest.mark.parametrize("path", PAGES)
def test_chinese_twin_has_the_same_structure(build: Build, path: str) -> None:
    en = (build.site / path / "index.html").read_text(encoding="utf-8")
    zh = (build.site / "zh" / path / "index.html").read_text(encoding="utf-8")
    assert 'lang="zh' in zh[:300], "the Chinese page is a fallback copy of the English one"
    assert structure(zh) == structure(en)
    if path.startswith("examples/") and path != "examples/":
        assert structure(en)["fences"] > 0


def test_chinese_fences_are_chinese(build: Build) -> None:
    """A fence on a Chinese page speaks Chinese (``lang: zh``): no English library labels."""
    for path in PAGES:
        zh = _article((build.site / "zh" / path / "index.html").read_text(encoding="utf-8"))
        for label in ("Verdict: they agree", "Symbolic (sympy): the chain rule", "Reproduce it",
                      "Grade your derivation"):
            assert label not in zh, (path, label)


def test_language_links_are_relative(build: Build) -> None:
    for page in build.site.rglob("*.html"):
        if page.name == "404.html":  # served at any depth, so its links are absolute by design
            continue
        html = page.read_text(encoding="utf-8")
        for m in re.finditer(r'href="([^"]*)"\s+hreflang="[\w-]+"', html):
            assert not m[1].startswith("/"), (page, m[1])
        assert '<link rel="alternate"' not in html, page  # Material would fetch a sitemap.xml


def test_sitemap_has_real_urls(build: Build) -> None:
    sitemap = (build.site / "sitemap.xml").read_text(encoding="utf-8")
    assert "None" not in sitemap
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locs and all(re.match(r"https?://[^/]+/", u) for u in locs)


def _index(build: Build, lang: str = "") -> list[dict[str, str]]:
    path = build.site / lang / "search" / "search_index.json"
    return json.loads(path.read_text(encoding="utf-8"))["docs"]


def test_one_search_index_per_language(build: Build) -> None:
    en, zh = _index(build), _index(build, "zh")
    assert en and zh
    assert not [d for d in en if d["location"].startswith("zh/")]
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert not [d["location"] for d in en if cjk.search(d["title"])]
    # a Chinese location is relative to zh/ and names a page that exists
    for d in zh:
        page = d["location"].split("#")[0]
        assert (build.site / "zh" / page / "index.html").is_file(), d["location"]
    html = (build.site / "zh" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'"base":\s*"[^"]*zh/"', html), "Chinese pages must load zh/search"


def test_no_latex_in_search_snippets(build: Build) -> None:
    for lang in ("", "zh"):
        for d in _index(build, lang):
            text = re.sub(r"<code>.*?</code>", "", d["text"], flags=re.S)  # TeX named as code
            for tex in ("\\frac", "\\partial", "\\(", "\\[", "\\begin", "\\cdot"):
                assert tex not in text and tex not in d["title"], (d["location"], tex)


def test_no_unused_images_ship(build: Build) -> None:
    html = "".join(p.read_text(encoding="utf-8") for p in build.site.rglob("*.html"))
    for img in (build.site / "img").glob("*"):
        assert img.name in html, f"{img.name} is shipped but no page uses it"


def test_notebooks_are_served_and_linked(build: Build) -> None:
    for name in ("e01-e05", "e06-e08", "e09-e12"):
        assert (build.site / "notebooks" / f"{name}.ipynb").is_file()
    html = (build.site / "examples" / "index.html").read_text(encoding="utf-8")
    assert html.count(".ipynb") >= 3
