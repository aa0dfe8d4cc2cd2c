"""The ``diffexplain`` fence (an explanation computed at build time) and its neighbours.

The page itself comes from :func:`diffexplain.render.html.page`, the same renderer the
notebook uses, in English or Chinese alike; the fence only chooses the sections, checks
``expect:`` and adds the commands that reproduce it.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from diffexplain.docsite.common import (
    DEFAULT_SHOW,
    OPTIONS,
    SECTIONS,
    FenceError,
    in_lang,
    lang_of,
    parse_body,
    passthrough,
    split_list,
)
from diffexplain.i18n import _
from diffexplain.render.htmlkit import code, esc, math, table

__all__ = ["format_derivation", "format_explain", "format_options", "reproduce"]


def format_explain(source: str) -> str:
    """The ``diffexplain`` fence: explain() at build time, rendered side by side."""
    from diffexplain.core.points import parse_point
    from diffexplain.pipeline import explain

    expr, opts = parse_body(source, OPTIONS)
    if not expr:
        raise FenceError("the fence has no expression")
    show = tuple(split_list(opts.get("show")) or DEFAULT_SHOW)
    for s in show:
        if s not in SECTIONS:
            raise FenceError(f"unknown section {s!r} in show; known: {', '.join(SECTIONS)}")
    expect = opts.get("expect", "agree")
    if expect not in ("agree", "disagree"):
        raise FenceError(f"expect must be agree or disagree, not {expect!r}")
    point = parse_point(opts["at"]) if opts.get("at") else None
    weights = [float(w) for w in split_list(opts.get("weights")) or []] or None
    kwargs = passthrough(opts.get("options"))
    lang = lang_of(opts)
    if lang:
        kwargs["lang"] = lang
    with in_lang(lang):
        e = explain(expr, point, wrt=split_list(opts.get("wrt")),
                    outputs=split_list(opts.get("outputs")), weights=weights,
                    dtype=opts.get("dtype", "float64"), **kwargs)
    if e.verdict.agree != (expect == "agree"):
        raise FenceError(f"{expr!r}: expected the methods to {expect}, but the verdict is: "
                         f"{e.verdict.summary}")
    return render_page(e, expr, opts, show, kwargs)


def render_page(e: Any, expr: str, opts: Mapping[str, str], show: tuple[str, ...],
                kwargs: Mapping[str, Any], command: str | None = None) -> str:
    """The library's page for ``e`` plus, when asked, the commands that reproduce it."""
    from diffexplain.render.html import page

    body = page(e, tuple(s for s in show if s != "reproduce"), title=opts.get("title"),
                expression=expr)
    if "reproduce" not in show:
        return body
    with in_lang(e.lang):
        tail = reproduce(e, expr, opts, kwargs, command)
    return body[: -len("</div>")] + tail + "</div>"


def reproduce(e: Any, expr: str, opts: Mapping[str, str], kwargs: Mapping[str, Any],
              command: str | None = None) -> str:
    """The CLI command and the Python call that print this explanation again."""
    cmd = command or _cli_command(e, expr, opts)
    if e.lang != "en":
        cmd += f" --lang {e.lang}"
    parts = [f'<p class="dx-label">{esc(_("Reproduce it"))}</p>', code(cmd, "bash")]
    if command is None:
        parts.append(code(_python_call(e, expr, opts, kwargs), "python"))
    return "\n".join(parts)


def _short(v: Any) -> str:
    """A point value as typed: the shortest text that reads back to the same float."""
    if isinstance(v, float):
        return repr(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_short(x) for x in v) + "]"
    return str(v)


def _cli_command(e: Any, expr: str, opts: Mapping[str, str]) -> str:
    cmd = ["diffexplain", "explain", " ".join(expr.split("\n")) if "\n" in expr else expr]
    if e.point:
        chunks = [f"{k}={_short(v)}" for k, v in e.point.items()]
        if any(isinstance(v, (list, tuple)) for v in e.point.values()):
            cmd += [a for c in chunks for a in ("--at", c)]
        else:
            cmd += ["--at", ",".join(chunks)]
    for key in ("wrt", "outputs", "weights"):
        if opts.get(key):
            cmd += [f"--{key}", opts[key].replace(" ", "")]
    if e.dtype != "float64":
        cmd += ["--dtype", e.dtype]
    return " ".join(shlex.quote(c) for c in cmd)


def _python_call(e: Any, expr: str, opts: Mapping[str, str], kwargs: Mapping[str, Any]) -> str:
    point = "{" + ", ".join(f"{k!r}: {_short(v)}" for k, v in e.point.items()) + "}"
    args = [repr(expr), f"at={point}"]
    for key in ("wrt", "outputs"):
        if opts.get(key):
            args.append(f"{key}={split_list(opts[key])!r}")
    if opts.get("weights"):
        args.append(f"weights={[float(w) for w in split_list(opts['weights']) or []]!r}")
    if e.dtype != "float64":
        args.append(f"dtype={e.dtype!r}")
    args += [f"{k}={v!r}" for k, v in kwargs.items()]
    return ("import diffexplain as dx\n\n"
            f"e = dx.explain({', '.join(args)})\n"
            + _("print(e)            # the whole explanation") + "\n"
            + _("print(e.gradient)   # {gradient}").format(gradient=repr(e.gradient)))


def format_options(source: str) -> str:
    """The ``diffexplain-options`` fence: the table of the ``diffexplain`` fence's options."""
    parse_body(source, ())
    rows = [[f"<code>{esc(k)}</code>", esc(v)] for k, v in OPTIONS.items()]
    return table(["option", "meaning"], rows)


def format_derivation(source: str) -> str:
    """The ``diffexplain-derivation`` fence: a verified derivation by name."""
    from diffexplain.checking import equations

    _, opts = parse_body(source, ("derivation", "title", "lang"))
    if not opts.get("derivation"):
        raise FenceError("give the derivation's name: derivation: log-odds")
    lang = lang_of(opts)
    with in_lang(lang):
        d = equations.get(opts["derivation"])
    checks = "".join(f"<li>{esc(s.rule)} <em>(checked: {esc(s.check)})</em></li>" for s in d.steps)
    parts = ['<div class="diffexplain dx-derivation">',
             f'<p class="dx-label">{esc(opts.get("title") or d.title)}</p>', math(d.to_latex()),
             '<details class="note"><summary>'
             + ("每一行为什么成立、如何验证" if lang == "zh" else
                "Why each line holds, and how it was checked")
             + f"</summary><ol>{checks}</ol></details>"]
    if d.note:
        parts.append(f'<p class="dx-small">{esc(d.note)}</p>')
    parts.append("</div>")
    return "\n".join(parts)


