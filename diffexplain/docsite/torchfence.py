"""The ``diffexplain-torch`` fence: plain PyTorch code, run and explained at build time.

The fence's body is a PyTorch script exactly as a learner writes it. While the site
builds, :func:`~diffexplain.runs.run_script` runs it with its torch
operations recorded; the page shows the code and the ``diffexplain run`` command that
explains it, then, in order, the script's own output
and the explanation of each ``backward()``/``autograd.grad()`` call (the same
explanation ``diffexplain run`` prints). Options are leading ``#: key: value`` lines:
``lang`` (en or zh), ``file`` (run a script of the repository instead of the
body, e.g. ``examples/notes/e1.py``, so the page shows the very file the tests run),
``max-calls`` (as ``run --max-calls``: a training loop's first steps only) and
``expect-error`` (the script is meant to stop with this
exception, e.g. E5's in-place error; any other failure fails the build).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from diffexplain.docsite.common import FenceError, base_dir, in_lang
from diffexplain.render.htmlkit import admonition, code, esc

__all__ = ["format_torch"]

_OPTIONS = ("lang", "expect-error", "title", "file", "max-calls")
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
    from diffexplain.i18n import _
    from diffexplain.render.html import page
    from diffexplain.render.runs import short_line, torch_lines
    from diffexplain.runs import CallEvent, run_script

    source_code, opts = _options(source)
    if opts.get("file"):
        if source_code.strip():
            raise FenceError("give the code either in the fence or with file:, not both")
        path = os.path.join(base_dir(), opts["file"])
        if not os.path.isfile(path):
            raise FenceError(f"no such file: {opts['file']}")
        with open(path, encoding="utf-8") as fh:
            source_code = fh.read()
    lang = opts.get("lang") or "en"
    try:
        max_calls = int(opts.get("max-calls", "10"))
    except ValueError:
        raise FenceError(f"max-calls must be a number, not {opts['max-calls']!r}") from None
    with tempfile.TemporaryDirectory(prefix="diffexplain-torch-") as tmp:
        path = os.path.join(tmp, "lesson.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(source_code)
        with in_lang(lang):
            run = run_script(path, capture=True, lang=lang, max_calls=max_calls)
    want = opts.get("expect-error")
    if run.error is not None and not (want and run.error_type == want):
        raise FenceError(f"the code failed: {run.error}")
    if want and run.error is None:
        raise FenceError(f"the code was expected to raise {want}, but it ran to the end")
    parts = [f'<div class="diffexplain dx-torch" lang="{esc(lang)}">']
    if opts.get("title"):
        parts.append(f'<p class="dx-title">{esc(opts["title"])}</p>')
    parts.append(code(source_code.rstrip(), "python"))
    # the command right under the code it explains: code first, then what it printed
    shown = opts.get("file") or "lesson.py"
    flags = (f" --max-calls {max_calls}" if "max-calls" in opts else "") + (
        " --lang zh" if lang == "zh" else "")
    with in_lang(lang):
        lead = _("Run it, each autograd call explained:")
    parts.append(f'<p class="dx-small">{esc(lead)}</p>')
    parts.append(code(f"diffexplain run {shown}{flags}", "bash"))
    for ev in run.events:
        if not isinstance(ev, CallEvent):
            parts.append(code(ev.text.rstrip("\n"), "text"))
            continue
        with in_lang(lang):
            where = _("line {line}").format(line=ev.line)
            sep = "：" if lang == "zh" else ": "
            parts.append(f'<p class="dx-label">{esc(where + sep + ev.source)}</p>')
            if ev.explanation is None and (ev.same_as is not None or ev.not_explained):
                parts.append(f"<p>{esc(short_line(ev))}</p>")
            if ev.explanation is not None:
                e: Any = ev.explanation
                parts.append(page(e, _SHOW, expression=e.expression))
            lines = torch_lines(ev)
            title = _("What torch did")
        body = "<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>"
        parts.append(admonition("warning" if ev.error else "info", title, body))
    if run.error is not None:
        parts.append(code(run.error, "text"))
    if run.skipped:
        with in_lang(lang):
            more = _("{n} more autograd calls ran without an explanation (--max-calls "
                     "{limit})").format(n=run.skipped, limit=max_calls)
        parts.append(f"<p>{esc(more)}</p>")
    parts.append("</div>")
    return "\n".join(parts)

