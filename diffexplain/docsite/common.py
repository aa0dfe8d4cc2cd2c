"""What every fence shares: its options, the build's context, languages and error boxes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from diffexplain.errors import DiffexplainError
from diffexplain.render.htmlkit import admonition, esc

log = logging.getLogger("mkdocs.plugins.diffexplain")

#: options of the ``diffexplain`` fence and what they mean (also the docs' table)
OPTIONS: dict[str, str] = {
    "at": "the point, as for --at: w=1,x=2",
    "wrt": "variables to differentiate by: w,x (default all)",
    "outputs": "several outputs of a program: y0,y1",
    "weights": "weights of the outputs: 1,2",
    "dtype": "float64 (default) or float32",
    "expect": "agree (default) or disagree: anything else fails the build",
    "show": "sections, any of: graph, symbolic, adjoints, autograd, saved, extras, figure, "
            "figure-autograd, forward, reverse, jacobian, check, reproduce "
            "(default: symbolic, autograd, extras, check, reproduce)",
    "lang": "en (default) or zh: the library's own prose in that language",
    "title": "a caption above the example",
    "options": "more keyword arguments for explain(): name=value, name=value",
}
DEFAULT_SHOW = ("symbolic", "autograd", "extras", "check", "reproduce")
#: the page's sections (:data:`diffexplain.render.html.SECTIONS`) and the fence's own one
SECTIONS = ("graph", "symbolic", "adjoints", "autograd", "saved", "extras", "figure",
            "figure-autograd", "forward", "reverse", "jacobian", "check", "reproduce")

#: where relative paths (``script:``) are resolved and the current page, set by the plugin
_CONTEXT: dict[str, Any] = {"base_dir": None, "page": None}


class FenceError(DiffexplainError):
    """A fence's own mistake (unknown option, bad value): reported like any input error."""


def set_context(base_dir: str | os.PathLike[str] | None = None, page: str | None = None) -> None:
    """Tell the fences the project directory and the page being built (for messages)."""
    if base_dir is not None:
        _CONTEXT["base_dir"] = str(base_dir)
    _CONTEXT["page"] = page


# --- parsing the fence body -------------------------------------------------------------

def parse_body(source: str, keys: Mapping[str, str] | tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """Split a body into free text and ``key: value`` lines whose key is known.

    Lines whose first word ends in ``:`` but is not a known key are errors, so a
    typo (``wtr: w``) is not silently read as part of the expression.
    """
    text: list[str] = []
    opts: dict[str, str] = {}
    for raw in source.splitlines():
        line = raw.strip()
        if not line:
            continue
        head, sep, rest = line.partition(":")
        if sep and head.strip().isidentifier():
            key = head.strip()
            if key not in keys:
                raise FenceError(f"unknown option {key!r}; known: {', '.join(keys)}")
            if key in opts:
                raise FenceError(f"option {key!r} is given twice")
            opts[key] = rest.strip()
        else:
            text.append(line)
    return "\n".join(text), opts


def split_list(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def _literal(s: str) -> Any:
    """A passthrough value: true/false/none, a number, a [list], else the string itself."""
    s = s.strip()
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    if s.startswith("[") and s.endswith("]"):
        return [_literal(x) for x in s[1:-1].split(",") if x.strip()]
    for cast in (int, float):
        try:
            return cast(s)
        except ValueError:
            pass
    return s.strip("\"'")


def passthrough(s: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not s:
        return out
    depth, start, parts = 0, 0, []
    for k, ch in enumerate(s):  # split on commas outside [...]
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            parts.append(s[start:k])
            start = k + 1
    parts.append(s[start:])
    for part in parts:
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        if not eq or not name.strip().isidentifier():
            raise FenceError(f"options: expected name=value, got {part.strip()!r}")
        out[name.strip()] = _literal(value)
    return out




def lang_of(opts: Mapping[str, str]) -> str | None:
    lang = opts.get("lang")
    if lang and lang not in ("en", "zh"):
        raise FenceError(f"lang must be en or zh, not {lang!r}")
    return lang


@contextmanager
def in_lang(lang: str | None) -> Iterator[None]:
    """English unless the fence asks: never the builder's locale."""
    from diffexplain.i18n import use_lang

    with use_lang(lang or "en"):
        yield


def error_box(language: str, err: BaseException) -> str:
    where = f" in {_CONTEXT['page']}" if _CONTEXT.get("page") else ""
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    log.warning("%s fence%s: %s", language, where, msg)
    return admonition("failure", f"{language} failed", f"<p>{esc(msg)}</p>")


def base_dir() -> str:
    return str(_CONTEXT.get("base_dir") or os.getcwd())
