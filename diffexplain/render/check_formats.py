"""A checked derivation as text, Markdown, LaTeX and JSON: pure functions of a CheckResult."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from diffexplain.core.printing import fmt_number
from diffexplain.i18n import _, ngettext, renders_in_lang

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.checking import CheckResult

__all__ = ["FORMATS", "latex", "markdown", "render", "text", "to_dict"]


def _point(r: CheckResult) -> str:
    return ", ".join(f"{k} = {fmt_number(v)}" for k, v in r.point.items())


def _summary(r: CheckResult) -> str:
    if r.first_error is None:
        if len(r.steps) == 1:  # not "the 1 step is right"
            return _("the only step is right")
        return ngettext("the {n} step is right", "all {n} steps are right",
                        len(r.steps)).format(n=len(r.steps))
    code = r.mistake.code if r.mistake else "unknown"
    return _("step {k} of {n} is wrong ({code})").format(k=r.first_error + 1, n=len(r.steps),
                                                         code=code)


@renders_in_lang
def to_dict(r: CheckResult) -> dict[str, Any]:
    """The JSON contract: steps, first_error, mistake, correct (see docs/check.md)."""
    d = r.correct
    return {
        "expression": r.expression,
        "wrt": r.wrt,
        "output": r.output,
        "point": dict(r.point),
        "ok": r.ok,
        "steps": [{"index": s.index, "expr": s.expr, "ok": s.ok, "method": s.method,
                   "reason": s.reason, "follows": s.follows, "value": _num(s.value),
                   "text": s.text, "latex": s.latex, "readings": list(s.notes)}
                  for s in r.steps],
        "first_error": r.first_error,
        "mistake": None if r.mistake is None else {
            "code": r.mistake.code, "sentence": r.mistake.sentence, "step": r.mistake.step,
            "evidence": dict(r.mistake.evidence)},
        "correct": {"lhs": d.lhs, "value": _num(d.value), "closed_form": d.closed_form,
                    "lines": [{"text": ln.text, "latex": ln.latex, "ascii": ln.ascii,
                               "rule": ln.rule, "check": ln.check} for ln in d.lines]},
        "derivative": r.derivative,
        "value": _num(r.value),
        "summary": _summary(r),
    }


def _num(x: float | None) -> float | str | None:
    if x is None:
        return None
    return x if x == x and x not in (float("inf"), float("-inf")) else str(x)


@renders_in_lang
def text(r: CheckResult) -> str:
    """✓/✗ per step, the reason under the first ✗ (and under later wrong steps)."""
    out = ["diffexplain check: " + (_("{lhs} of {expression} at {point}") if r.point
                                    else _("{lhs} of {expression}")).format(
        lhs=r.lhs, expression=r.expression, point=_point(r))]
    width = max(_width(s.text or s.expr) for s in r.steps)
    for s in r.steps:
        mark = "✓" if s.ok else "✗"
        shown = s.text or s.expr
        pad = " " * (width - _width(shown))
        line = f"  {mark} {s.index + 1:>2}  {shown}{pad}  ({_(s.method)})"
        out.append(line.rstrip())
        for note in s.notes:
            out.append("        " + _("(notation: {reading})").format(reading=note))
        if not s.ok or (r.first_error is not None and s.index > r.first_error):
            out.append(f"        {s.reason}")
    if r.mistake is not None:
        out.append("")
        out.append(_("Mistake [{code}]: {sentence}").format(code=r.mistake.code,
                                                             sentence=r.mistake.sentence))
    out.append("")
    out.append(_("Correct derivation ({method}, every line checked):").format(
        method=_(r.correct.method)))
    pad = " " * len(r.correct.lhs)
    for k, ln in enumerate(r.correct.lines):
        out.append(f"  {r.correct.lhs if k == 0 else pad} = {ln.text}")
    out.append("")
    out.append(("✓ " if r.ok else "✗ ") + _summary(r))
    return "\n".join(out) + "\n"


def _width(s: str) -> int:
    """Columns on a terminal: combining marks (the bar of ā) take none."""
    import unicodedata

    return sum(not unicodedata.combining(c) for c in s)


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


@renders_in_lang
def markdown(r: CheckResult) -> str:
    """A feedback section: a table of the steps, the mistake, the correct derivation."""
    parts = ["### " + (_("Checking {lhs} of {expression} at {point}") if r.point
                       else _("Checking {lhs} of {expression}")).format(
        lhs=f"${_lhs_latex(r)}$", expression=f"`{r.expression}`", point=_point(r))]
    rows = ["| | " + _("step") + " | " + _("checked by") + " | |", "|---|---|---|---|"]
    for s in r.steps:
        note = "" if s.ok and (r.first_error is None or s.index < r.first_error) else s.reason
        if s.notes:
            note = "; ".join([*(_("(notation: {reading})").format(reading=n) for n in s.notes),
                              *([note] if note else [])])
        rows.append(f"| {'✓' if s.ok else '✗'} {s.index + 1} | ${s.latex or s.expr}$ | "
                    f"{_(s.method)} | {_md_cell(note)} |")
    parts.append("\n".join(rows))
    if r.mistake is not None:
        parts.append(_("**Mistake (`{code}`):** {sentence}").format(code=r.mistake.code,
                                                                    sentence=r.mistake.sentence))
    parts.append(_("**Correct derivation:**"))
    parts.append("$$\n" + _derivation_lines(r.correct) + "\n$$")
    parts.append(_("**Result:** {mark} {summary}").format(mark="✓" if r.ok else "✗",
                                                          summary=_summary(r)))
    return "\n\n".join(parts) + "\n"


def _derivation_lines(d: Any) -> str:
    rows = [f"{d.lhs_latex} &= {d.lines[0].latex}"] + [f"&= {ln.latex}" for ln in d.lines[1:]]
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def _lhs_latex(r: CheckResult) -> str:
    return r.correct.lhs_latex


def _tex_escape(s: str) -> str:
    repl = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}
    return "".join(repl.get(c, c) for c in s)


@renders_in_lang
def latex(r: CheckResult) -> str:
    """A LaTeX fragment (needs amsmath): the steps as an enumerate, then the correct derivation."""
    title = (_("Checking {lhs} of {expression} at {point}") if r.point
             else _("Checking {lhs} of {expression}")).format(
        lhs=f"${_lhs_latex(r)}$", expression=rf"\texttt{{{_tex_escape(r.expression)}}}",
        point=f"${_tex_escape(_point(r))}$")
    out = [rf"\paragraph{{{title}}}", r"\begin{enumerate}"]
    for s in r.steps:
        mark = r"$\checkmark$" if s.ok else r"$\times$"
        line = rf"  \item[{mark} {s.index + 1}.] ${s.latex or _tex_escape(s.expr)}$"
        if not s.ok or (r.first_error is not None and s.index > r.first_error):
            line += rf" \\ \emph{{{_tex_escape(s.reason)}}}"
        out.append(line)
    out.append(r"\end{enumerate}")
    if r.mistake is not None:
        out.append(r"\noindent\textbf{" + _("Mistake ({code}):").format(
            code=rf"\texttt{{{r.mistake.code}}}") + "} " + _tex_escape(r.mistake.sentence))
    out.append(r"\noindent\textbf{" + _("Correct derivation:") + "}")
    out.append(r"\[" + "\n" + _derivation_lines(r.correct) + "\n" + r"\]")
    return "\n".join(out) + "\n"


#: format name → renderer
FORMATS = {"text": text, "markdown": markdown, "md": markdown, "latex": latex}


def render(r: CheckResult, fmt: str = "text") -> str:
    if fmt == "json":
        return r.to_json()
    if fmt not in FORMATS:
        raise KeyError(f"unknown format {fmt!r}; choose from json, {', '.join(FORMATS)}")
    return FORMATS[fmt](r)


# --- algebraic derivations (checking.algebra.EquationsResult) --------------------------------
def _mark(ok: bool | None) -> str:
    return "✓" if ok else ("?" if ok is None else "✗")


def _eq_summary(r: Any) -> str:
    if r.first_error is not None:
        return _("step {k} of {n} does not follow").format(k=r.first_error + 1, n=len(r.steps))
    undecided = sum(s.ok is None for s in r.steps)
    if undecided:
        return ngettext("{n} step could not be decided", "{n} steps could not be decided",
                        undecided).format(n=undecided)
    return ngettext("the {n} step is right", "all {n} steps are right",
                    len(r.steps)).format(n=len(r.steps))


@renders_in_lang
def equations_dict(r: Any) -> dict[str, Any]:
    """The JSON contract of ``check --equations`` (see docs/check.md)."""
    return {"unknown": r.unknown, "ok": r.ok, "first_error": r.first_error,
            "readings": list(r.notes),
            "steps": [{"index": s.index, "expr": s.expr, "ok": s.ok, "method": s.method,
                       "reason": s.reason, "relation": s.relation,
                       "solutions": list(s.solutions), "text": s.text, "latex": s.latex}
                      for s in r.steps],
            "summary": _eq_summary(r)}


@renders_in_lang
def equations_text(r: Any) -> str:
    """One line per equation (⇒ or = in front), ✓/✗/? and the reason under it."""
    out = ["diffexplain check: " + _("an algebraic derivation, solved for {u}").format(
        u=r.unknown)]
    width = max(_width(s.text) for s in r.steps)
    for s in r.steps:
        rel = s.relation if s.relation == "⇒" else " "
        out.append(f"  {_mark(s.ok)} {s.index + 1:>2}  {rel} {s.text}"
                   f"{' ' * (width - _width(s.text))}  ({_(s.method)})")
        out.append(f"          {s.reason}")
    for note in r.notes:
        out.append("  " + _("(notation: {reading})").format(reading=note))
    out.append("")
    out.append(("✓ " if r.ok else "✗ ") + _eq_summary(r))
    return "\n".join(out) + "\n"


@renders_in_lang
def equations_markdown(r: Any) -> str:
    rows = ["| | " + _("equation") + " | " + _("checked by") + " | |", "|---|---|---|---|"]
    for s in r.steps:
        rel = {"⇒": r"\Rightarrow\ ", "=": "=\\ "}.get(s.relation, "")
        rows.append(f"| {_mark(s.ok)} {s.index + 1} | ${rel}{s.latex}$ | {_(s.method)} | "
                    f"{_md_cell(s.reason)} |")
    title = "### " + _("Checking an algebraic derivation, solved for {u}").format(
        u=f"${r.unknown}$")
    return "\n\n".join([title, "\n".join(rows), _("**Result:** {mark} {summary}").format(
        mark="✓" if r.ok else "✗", summary=_eq_summary(r))]) + "\n"


@renders_in_lang
def equations_latex(r: Any) -> str:
    out = [r"\paragraph{" + _("Checking an algebraic derivation, solved for {u}").format(
        u=f"${r.unknown}$") + "}", r"\begin{enumerate}"]
    for s in r.steps:
        mark = {True: r"$\checkmark$", False: r"$\times$", None: "?"}[s.ok]
        rel = {"⇒": r"\Rightarrow ", "=": "= "}.get(s.relation, "")
        out.append(rf"  \item[{mark} {s.index + 1}.] ${rel}{s.latex}$ \\ \emph{{"
                   + _tex_escape(s.reason) + "}")
    out.append(r"\end{enumerate}")
    return "\n".join(out) + "\n"


def render_equations(r: Any, fmt: str = "text") -> str:
    if fmt == "json":
        return r.to_json()
    table = {"text": equations_text, "markdown": equations_markdown, "md": equations_markdown,
             "latex": equations_latex}
    if fmt not in table:
        raise KeyError(f"unknown format {fmt!r}; choose from json, {', '.join(table)}")
    return table[fmt](r)


# --- homework files (checking.homework.check_homework) ----------------------------------------
def homework(items: Sequence[Mapping[str, Any]], summary: str, fmt: str = "text") -> str:
    """Each exercise under its own heading (as the file has it), then the summary
    (:func:`~diffexplain.checking.homework.homework_summary`)."""
    if fmt == "json":
        import json

        return json.dumps({"exercises": [
            {"id": i["id"], "line": i["line"],
             "result": i["result"].to_dict() if "result" in i else None,
             "error": i.get("error")} for i in items], "summary": summary},
            indent=2, ensure_ascii=False) + "\n"
    parts = []
    for i in items:
        body = render(i["result"], fmt) if "result" in i else None
        if fmt == "text":
            head = f"── {i['id']} " + "─" * max(3, 60 - _width(str(i["id"])))
            parts.append(head + "\n" + (body or _("could not be graded: {error}").format(
                error=i["error"]) + "\n"))
        elif fmt in ("markdown", "md"):
            parts.append(f"## {i['id']}\n\n" + (body or "> " + _md_cell(
                _("could not be graded: {error}").format(error=i["error"])) + "\n"))
        else:
            parts.append(rf"\subsection*{{{_tex_escape(str(i['id']))}}}" + "\n" + (
                body or _tex_escape(_("could not be graded: {error}").format(
                    error=i["error"])) + "\n"))
    if fmt == "text":
        parts.append("═" * 64 + "\n" + summary + "\n")
    elif fmt in ("markdown", "md"):
        parts.append(_("**Summary:** {summary}").format(summary=summary) + "\n")
    else:
        parts.append(r"\noindent\textbf{" + _tex_escape(summary) + "}\n")
    return "\n".join(parts)
