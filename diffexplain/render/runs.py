"""What ``diffexplain run`` prints for each autograd call of a script (pure functions).

Text, Markdown and LaTeX render one event at a time (the terminal shows them while
the script runs, between its own prints); JSON renders the whole run at the end,
prints included, so a program can read it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from diffexplain.core.printing import fmt_number
from diffexplain.i18n import _, renders_in_lang

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.runs import CallEvent, ScriptRun

__all__ = ["render_event", "render_run", "short_line", "torch_lines"]


def _n(x: Any) -> str:
    return "None" if x is None else fmt_number(x)


def _entries(x: Any) -> list[float]:
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _entries(item)]
    return [float(x)]


def _call_text(ev: CallEvent) -> str:
    return ev.source or ev.kind


def _options(ev: CallEvent) -> str:
    return ", ".join(f"{k}={_n(v) if k == 'gradient' else v}" for k, v in ev.options.items())


def torch_lines(ev: CallEvent) -> list[str]:
    """What torch did in this call: .grad before → after, returned tensors, kept or freed."""
    out: list[str] = []
    if ev.error is not None:
        out.append(_("torch raised RuntimeError: {message}").format(message=ev.error))
        out.extend(ev.why)
        return out
    for name, after in ev.after.items():
        before = ev.before.get(name)
        line = f"{name}.grad: {_n(before)} → {_n(after)}"
        if before is not None and any(v != 0 for v in _entries(before)):
            line += "  " + _("(accumulated: .grad is added to, not replaced; zero it with "
                             "{name}.grad.zero_())").format(name=name)
        elif before is not None:
            line += "  " + _("(.grad was zero: it now holds this call's gradient)")
        out.append(line)
    for name, r in ev.returned.items():
        fn = r["grad_fn"]
        out.append(_("returned ∂/∂{name} = {value}, grad_fn {grad_fn}").format(
            name=name, value=_n(r["value"]), grad_fn=fn or "None") + (
            "  " + _("(create_graph=True: the gradient is itself differentiable)") if fn else ""))
    if ev.kind != "inplace":
        out.append(_("the graph was freed (no retain_graph=True): a second backward through it "
                     "raises") if ev.freed else
                   _("the graph is kept (retain_graph/create_graph): it can be used again"))
    return out


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$",
                  "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def escape_text(s: str) -> str:
    """Plain text (code, torch's messages) inside LaTeX prose."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in s)


def _head(ev: CallEvent) -> str:
    opts = _options(ev)
    where = f"{os.path.basename(ev.file)}:{ev.line}" if ev.file else ""
    return _("call {index} ({kind}) at {where}: {call}").format(
        index=ev.index, kind=ev.kind, where=where, call=_call_text(ev)) + (
        f"  [{opts}]" if opts else "")


def short_line(ev: CallEvent) -> str:
    """One line for a call explained earlier, or why a call is not explained."""
    if ev.same_as is None:
        return _("not explained: {reason}").format(reason=ev.not_explained)
    grads = ", ".join(f"∂/∂{k} = {_n(v)}" for k, v in ev.summary.items())
    return _("same graph and point as call {index}: {gradients}").format(
        index=ev.same_as, gradients=grads)


@renders_in_lang
def render_event(ev: CallEvent, fmt: str = "text") -> str:
    """One event in ``text``, ``markdown`` or ``latex``."""
    from diffexplain.render import render

    body = None
    if ev.explanation is not None:
        body = render(ev.explanation, "markdown" if fmt == "markdown" else fmt)
    elif ev.same_as is not None:
        body = short_line(ev)
    elif ev.not_explained:
        body = _("not explained: {reason}").format(reason=ev.not_explained)
    lines = torch_lines(ev)
    if fmt == "markdown":
        parts = [f"## {_head(ev)}"]
        if body:
            parts.append(body if ev.explanation is not None else f"*{body}*")
        parts.append("**" + _("What torch did") + "**\n\n" +
                     "\n".join(f"- {line}" for line in lines))
        return "\n\n".join(parts) + "\n"
    if fmt == "latex":
        parts = [r"\subsection*{" + escape_text(_head(ev)) + "}"]
        if body:
            parts.append(body if ev.explanation is not None else escape_text(body))
        parts.append(r"\begin{itemize}" + "".join(
            r"\item " + escape_text(line) for line in lines) + r"\end{itemize}")
        return "\n".join(parts) + "\n"
    bar = "═" * 4
    out = [f"{bar} {_head(ev)}"]
    if body:
        out.append(body.rstrip("\n"))
    out.append(_("What torch did"))
    out.extend(f"  {line}" for line in lines)
    out.append(f"{bar} " + (_("the script continues") if ev.error is None else
                            _("the error goes on to the script")))
    return "\n".join(out) + "\n"


def _event_dict(ev: CallEvent) -> dict[str, Any]:
    from diffexplain.render.jsonable import to_dict

    return {"type": "call", "index": ev.index, "kind": ev.kind, "file": ev.file,
            "line": ev.line, "source": ev.source, "options": ev.options,
            "explanation": to_dict(ev.explanation) if ev.explanation is not None else None,
            "same_as": ev.same_as, "gradient": ev.summary, "not_explained": ev.not_explained,
            "grad_before": ev.before, "grad_after": ev.after, "returned": ev.returned,
            "graph_freed": ev.freed, "error": ev.error, "why": list(ev.why)}


def render_run(run: ScriptRun) -> str:
    """The whole run as one JSON document (calls and prints in order)."""
    events: list[Mapping[str, Any]] = []
    for ev in run.events:
        if hasattr(ev, "index"):
            events.append(_event_dict(ev))  # type: ignore[arg-type]
        else:
            events.append({"type": "print", "text": getattr(ev, "text", "")})
    return json.dumps({"script": run.path, "events": events, "error": run.error,
                       "calls_not_reported": run.skipped},
                      ensure_ascii=False, indent=2, default=str) + "\n"
