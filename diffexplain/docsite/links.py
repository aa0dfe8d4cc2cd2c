"""Links that survive publishing: every URL relative, one search index per language.

mkdocs-static-i18n writes the home pages' language links as absolute paths (``/``,
``/zh/``), adds ``<link rel="alternate">`` tags that make Material fetch a
``sitemap.xml`` next to every page (two 404s a page), and merges both languages into one
search index. These post-processing steps fix that for any site that uses the plugin:

* :func:`relative_page`: absolute language links become relative to the page, the head's
  alternate links go (``sitemap.xml`` keeps the ``hreflang`` alternates), and a page of a
  language other than the default loads its own language's search index;
* :func:`split_search_index`: ``search/search_index.json`` keeps the default language,
  ``LANG/search/search_index.json`` holds each other one, and no snippet shows raw LaTeX.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CJK_SEPARATOR", "LANGS", "plain_tex", "relative_page", "split_search_index"]

#: the languages other than the default one, as their URL prefix
LANGS = ("zh",)

#: words are runs of letters; Chinese has no spaces, so every CJK character is a search term
CJK_SEPARATOR = (r"[\s\-，。：；、（）“”]+|(?<=[\u4e00-\u9fff])(?=[\u4e00-\u9fff])"
                 r"|(?<=[\u4e00-\u9fff])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[\u4e00-\u9fff])")
_ALTERNATE = re.compile(r'\s*<link rel="alternate" href="[^"]*" hreflang="[\w-]+">')
_ABS_LANG = re.compile(r'href="(/[^"]*)"(\s+hreflang="[\w-]+")')
_HTML_LANG = re.compile(r'<html lang="([\w-]+)"')
_BASE = re.compile(r'("base":\s*")([^"]*)(")')


def _relative(target: str, page_url: str, prefix: str) -> str:
    """``/zh/`` seen from ``examples/e01/`` under ``prefix`` ``/project/``: ``../../zh/``."""
    if prefix and target.startswith(prefix):
        target = "/" + target[len(prefix):]
    depth = len([p for p in page_url.split("/")[:-1] if p]) if page_url else 0
    rel = "../" * depth + target.lstrip("/")
    return rel or "./"


def relative_page(html: str, page_url: str, site_url: str | None) -> str:
    """One built page with relative language links and its language's search index."""
    prefix = urlsplit(site_url or "/").path or "/"
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    html = _ALTERNATE.sub("", html)
    html = _ABS_LANG.sub(lambda m: f'href="{_relative(m[1], page_url, prefix.rstrip("/"))}"{m[2]}',
                         html)
    lang = _HTML_LANG.search(html)
    code = lang[1].split("-")[0] if lang else ""
    if code in LANGS:
        # a trailing slash: Material resolves search/search_index.json against this URL
        html = _BASE.sub(lambda m: m[1] + (m[2].rstrip("/") or ".") + f"/{code}/" + m[3], html,
                         count=1)
    return html


_DISPLAY = re.compile(r"\\\[.*?\\\]", re.S)
_INLINE = re.compile(r"\\\((.*?)\\\)", re.S)
_SYMBOLS = {r"\partial": "∂", r"\cdot": "·", r"\times": "×", r"\sigma": "σ", r"\sum": "∑",
            r"\nabla": "∇", r"\odot": "⊙", r"\top": "ᵀ", r"\ln": "ln", r"\log": "log",
            r"\le": "≤", r"\ge": "≥", r"\infty": "∞", r"\mathcal N": "N", r"\dots": "…",
            r"\qquad": " ", r"\quad": " ", r"\,": " ", r"\ ": " ", r"\alpha": "α",
            r"\mathbf": "", r"\operatorname": "", r"\text": "", r"\left": "", r"\right": "",
            r"\bigl": "", r"\bigr": "", r"\exp": "exp", r"\sin": "sin", r"\cos": "cos"}
_FRAC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")


def plain_tex(tex: str) -> str:
    """LaTeX as plain text for a search snippet: ``\\frac{\\partial y}{\\partial w}`` → ∂y/∂w."""
    s = re.sub(r"\\partial\s+", r"\\partial ", tex)
    s = re.sub(r"\\partial (?=\w)", "∂", s)
    s = _FRAC.sub(lambda m: f"{m[1]}/{m[2]}", s)
    for k in sorted(_SYMBOLS, key=len, reverse=True):
        s = s.replace(k, _SYMBOLS[k])
    s = re.sub(r"\\[A-Za-z]+", "", s).replace("{", "").replace("}", "").replace("\\", "")
    s = s.replace("^", "").replace("_", "")
    return re.sub(r"\s+", " ", s).strip()


def _clean(text: str) -> str:
    text = _DISPLAY.sub(" ", text)
    return _INLINE.sub(lambda m: plain_tex(m[1]), text)


def split_search_index(site_dir: Path) -> None:
    """One index per language (idempotent: run after every language was built)."""
    path = site_dir / "search" / "search_index.json"
    if not path.is_file():
        return
    index: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    docs = index.get("docs", [])
    by_lang: dict[str, list[dict[str, Any]]] = {"": []}
    for d in docs:
        loc = d.get("location", "")
        code = next((c for c in LANGS if loc == c or loc.startswith((f"{c}/", f"{c}#"))), "")
        if code:
            loc = loc[len(code):].lstrip("/")
        entry = {**d, "location": loc, "title": _clean(d.get("title", "")),
                 "text": _clean(d.get("text", ""))}
        by_lang.setdefault(code, []).append(entry)
    config = index.get("config", {})
    for code in LANGS:
        if code not in by_lang:
            continue
        out = site_dir / code / "search" / "search_index.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        # lunr's zh tokenizer needs jieba in the browser: split between CJK characters instead
        zh = {"lang": ["en"], "separator": CJK_SEPARATOR}
        out.write_text(json.dumps({**index, "config": {**config, **zh},
                                   "docs": by_lang[code]}, ensure_ascii=False),
                       encoding="utf-8")
    en = [x for x in config.get("lang", []) if x not in LANGS] or ["en"]
    path.write_text(json.dumps({**index, "config": {**config, "lang": en}, "docs": by_lang[""]},
                               ensure_ascii=False), encoding="utf-8")
