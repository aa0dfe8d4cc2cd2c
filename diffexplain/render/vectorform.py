"""The vector form (:mod:`diffexplain.methods.vectorform`) in text, LaTeX, Markdown and HTML.

For vector and matrix inputs it is the default symbolic section; the per-component
derivations (``x_0``, ``a_t0``, …) are shown instead with ``components=True``
(``--components`` on the command line), or when the input has no vector form, which a
one-line note then says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from diffexplain.i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.methods.vectorform import VectorDerivation, VectorForm
    from diffexplain.model import Explanation

__all__ = ["html_blocks", "latex_block", "markdown_parts", "note", "shown", "text_lines"]


def shown(e: Explanation, components: bool = False) -> VectorForm | None:
    """The vector form to show instead of the component derivations, or None."""
    vf = e.extras.get("vector_form")
    if components or vf is None or not vf.available:
        return None
    return vf


def note(e: Explanation) -> str:
    """Why a vector input has no vector form ("" when it has one or is scalar)."""
    vf = e.extras.get("vector_form")
    return vf.note if vf is not None and not vf.available else ""


def _footer() -> str:
    return _("(each entry checked against the component derivatives; --components shows "
             "them one by one)")


def _rows(text: str) -> list[str]:
    """A matrix value ``[[…], […]]`` as one row per line."""
    if not text.startswith("[["):
        return [text]
    rows = text[1:-1].split("], [")
    return [("[" if k == 0 else " ") + ("" if r.startswith("[") else "[") + r
            + ("" if r.endswith("]") else "]") + ("]" if k == len(rows) - 1 else ",")
            for k, r in enumerate(rows)]


def text_lines(e: Explanation, vf: VectorForm) -> list[str]:
    out: list[str] = []
    for d in vf.derivations:
        out.append(_("Vector form: {lhs} ({shapes})").format(
            lhs=d.lhs, shapes=", ".join(t for t, _l in vf.shapes)))
        texts: list[tuple[str, str]] = []
        for line in d.lines:
            rows = _rows(line.text)
            texts.append((rows[0], line.rule))
            texts.extend((r, "") for r in rows[1:])
        width = min(60, max(len(t) for t, _r in texts))
        pad = " " * len(d.lhs)
        first = True
        for k, (t, rule) in enumerate(texts):
            cont = k > 0 and not rule and k < len(texts) and t.startswith(" ")
            lead = f"  {d.lhs} = " if first else (f"  {pad}   " if cont else f"  {pad} = ")
            first = False
            why = f"   # {rule}" if rule else ""
            out.append(f"{lead}{t.ljust(width)}{why}".rstrip())
        if d.where:
            out.append("  " + _("where {definitions}").format(
                definitions=", ".join(t for t, _l in d.where)))
        out.append("")
    out.insert(len(out) - 1, "  " + _footer())
    return out


def latex_block(d: VectorDerivation) -> str:
    """``\\begin{aligned} \\nabla_{\\mathbf{x}} y &= … \\end{aligned}``"""
    rows = [f"{d.lhs_latex} &= {d.lines[0].latex}"]
    rows += [f"&= {line.latex}" for line in d.lines[1:]]
    if d.where:
        rows.append(r"&\text{" + _("where") + r"}\ " + r",\ ".join(lt for _t, lt in d.where))
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def markdown_parts(vf: VectorForm) -> list[str]:
    parts: list[str] = []
    for d in vf.derivations:
        parts.append(_("### Vector form: {lhs}").format(lhs=d.lhs))
        parts.append(", ".join(f"${lt}$" for _t, lt in vf.shapes))
        parts.append("$$\n" + latex_block(d) + "\n$$")
        parts.append("\n".join(_("{k}. {rule} *(checked: {check})*").format(
            k=k + 1, rule=line.rule, check=_(line.check)) for k, line in enumerate(d.lines)))
    parts.append(_footer())
    return parts


def html_blocks(vf: VectorForm) -> list[str]:
    from diffexplain.render.htmlkit import esc, math

    out: list[str] = []
    label = _("Vector form (matrix calculus), checked against the component derivatives")
    out.append(f'<p class="dx-label">{esc(label)}</p>')
    out.append('<p class="dx-small">' + ", ".join(
        esc(t) for t, _l in vf.shapes) + "</p>")
    checked = esc(_("checked"))
    for d in vf.derivations:
        out.append(math(latex_block(d)))
        why = "".join(f"<li>{esc(line.rule)} <em>({checked}: {esc(_(line.check))})</em></li>"
                      for line in d.lines)
        summary = esc(_("Why each line of {lhs} holds").format(lhs=d.lhs))
        out.append(f'<details class="note"><summary>{summary}</summary><ol>{why}</ol></details>')
    return out


def as_json(e: Explanation) -> dict[str, Any] | None:
    vf = e.extras.get("vector_form")
    return None if vf is None else vf.as_dict()
