"""The ``diffexplain-torch`` fence: plain PyTorch code, run and explained at build time.

The fence's body is a PyTorch script exactly as a learner writes it. While the site
builds, :func:`~diffexplain.lessons.scripts.run_script` runs it with its torch
operations recorded; the page shows the code, then, in order, the script's own output
and the explanation of each ``backward()``/``autograd.grad()`` call (the same
explanation ``diffexplain run`` prints). Options are leading ``#: key: value`` lines:
``lang`` (en or zh) and ``expect-error`` (the script is meant to stop with this
exception, e.g. E5's in-place error; any other failure fails the build).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from diffexplain.docsite.fence import (
    LANGUAGES,
    FenceError,
    _admonition,
    _code,
    _e,
    _in_lang,
    _render_explanation,
    _render_localized,
)

__all__ = ["format_torch"]

_OPTIONS = ("lang", "expect-error", "title")
_SHOW = ("symbolic", "autograd", "extras", "check")


def _options(source: str) -> tuple[str, dict[str, str]]:
    opts: dict[str, str] = {}
    lines = source.splitlines()
    while lines and lines[0].startswith("#:"):
        key, sep, value = lines.pop(0)[2:].partition(":")
        if not sep or key.strip() not in _OPTIONS:
            raise FenceError(f"unknown option line {key.strip()!r}; known: {', '.join(_OPTIONS)}")
        opts[key.strip()] = value.strip()
    return "\n".join(lines) + "\n", opts


def format_torch(source: str) -> str:
    """Run the fence's PyTorch code and show each autograd call explained (see module)."""
    from diffexplain.lessons.scripts import CallEvent, run_script
    from diffexplain.render.runs import short_line, torch_lines

    code, opts = _options(source)
    lang = opts.get("lang") or "en"
    with tempfile.TemporaryDirectory(prefix="diffexplain-torch-") as tmp:
        path = os.path.join(tmp, "lesson.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(code)
        with _in_lang(lang):
            run = run_script(path, capture=True, lang=lang)
    want = opts.get("expect-error")
    if run.error is not None and not (want and f"raised {want}" in run.error):
        raise FenceError(f"the code failed: {run.error}")
    if want and run.error is None:
        raise FenceError(f"the code was expected to raise {want}, but it ran to the end")
    parts = [f'<div class="diffexplain dx-torch" lang="{_e(lang)}">']
    if opts.get("title"):
        parts.append(f'<p class="dx-title">{_e(opts["title"])}</p>')
    parts.append(_code(code.rstrip(), "python"))
    for ev in run.events:
        if not isinstance(ev, CallEvent):
            parts.append(_code(ev.text.rstrip("\n"), "text"))
            continue
        head = f"line {ev.line}: {ev.source}"
        parts.append(f'<p class="dx-label">{_e(head)}</p>')
        if ev.explanation is None and (ev.same_as is not None or ev.not_explained):
            with _in_lang(lang):
                parts.append(f"<p>{_e(short_line(ev))}</p>")
        if ev.explanation is not None:
            e: Any = ev.explanation
            with _in_lang(lang):
                if lang == "zh":
                    parts.append(_render_localized(e, e.expression, {}, _SHOW, {}))
                else:
                    parts.append(_render_explanation(e, e.expression, {}, _SHOW, {}))
        with _in_lang(lang):
            lines = torch_lines(ev)
            title = "torch 做了什么" if lang == "zh" else "What torch did"
        body = "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"
        parts.append(_admonition("failure" if ev.error else "info", title, body))
    if run.error is not None:
        parts.append(_code(run.error, "text"))
    parts.append(_code("diffexplain run lesson.py" + (" --lang zh" if lang == "zh" else ""),
                       "bash"))
    parts.append("</div>")
    return "\n".join(parts)


LANGUAGES["diffexplain-torch"] = format_torch  # registered when the plugin imports this module
