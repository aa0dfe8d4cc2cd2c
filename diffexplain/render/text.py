"""The terminal explanation: unicode math, aligned columns, nothing that needs a GUI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from diffexplain.core.printing import bar, fmt_number
from diffexplain.core.shapes import fmt_value
from diffexplain.i18n import _, renders_in_lang
from diffexplain.render.tables import objective_name, table
from diffexplain.render.why import grad_cell, requires_grad_note

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["render", "table"]

#: adjoint rows shown before the table is shortened (the JSON keeps them all)
MAX_ROWS = 40


def _point(e: Explanation) -> str:
    return ", ".join(f"{k} = {fmt_number(v)}" for k, v in e.point.items())


@renders_in_lang
def render(e: Explanation, components: bool = False) -> str:
    """The explanation; for vectors the vector form unless ``components`` (``--components``)."""
    from diffexplain.render.vectorform import note, text_lines
    from diffexplain.render.vectorform import shown as vector_form

    out: list[str] = []
    out.append(f"diffexplain: {e.expression}")
    out.append(_("at {point}").format(point=_point(e)) if e.point else "")
    weighted = len(e.outputs) > 1 or any(w != 1 for w in e.weights)  # the table shows ∂L/∂node
    if weighted:
        weights = " + ".join(f"{fmt_number(w)}·{o}" for o, w in zip(e.outputs, e.weights))
        out.append(_("objective: {objective}").format(objective=f"L = {weights}"))
    out.append("")
    out.append(_("Computational graph (forward pass)"))
    rows = []
    for n in e.nodes:
        kind = _("variable") if n.kind == "variable" else (_("constant") if n.kind == "constant"
                                                           else n.op)
        definition = f"{n.id} = {n.expr}" if n.kind == "operation" else n.id
        grad = "" if n.grad is None else fmt_value(n.grad)
        rows.append([definition, fmt_value(n.value), grad,
                     kind + (_(" (output)") if n.output else "")])
    top = objective_name(e)
    head = [_("node"), _("value"), _("∂{output}/∂node").format(output=top), _("kind")]
    if len(rows) <= MAX_ROWS * 2:
        out.append(table(rows, head))
    else:
        out.append(table(rows[:MAX_ROWS] + [["…", _("{n} more").format(n=len(rows) - MAX_ROWS * 2),
                                              "", ""]]
                         + rows[-MAX_ROWS:], head))
    out.append("")
    vf = vector_form(e, components)
    if vf is not None:
        out.extend(text_lines(e, vf))
    elif note(e):
        out.extend([note(e), ""])
    for d in e.derivations.values() if vf is None else ():
        out.append(_("Symbolic: {lhs} ({method})").format(lhs=d.lhs, method=_(d.method)))
        width = min(60, max(len(line.text) for line in d.lines))
        pad = " " * len(d.lhs)
        for k, line in enumerate(d.lines):
            lead = f"  {d.lhs} = " if k == 0 else f"  {pad} = "
            why = f"   # {line.rule}" if line.rule else ""
            out.append(f"{lead}{line.text.ljust(width)}{why}".rstrip())
        if d.closed_form_text:
            out.append("  " + _("closed form: {formula}").format(formula=d.closed_form_text))
        if d.where:
            out.append("  " + _("where {definitions}").format(
                definitions=", ".join(t for t, _l in d.where)))
        if d.note:
            out.append(f"  ({d.note})")
        out.append("")
    if e.adjoints and vf is None:
        out.append(_("Reverse accumulation (one adjoint per node, output first)"))
        rows = []
        for r in e.adjoints:
            vals = f" = {r.values}" if r.values and r.values != fmt_number(r.value) else ""
            result = "" if r.formula == fmt_number(r.value) else f" = {fmt_number(r.value)}"
            rows.append([f"{bar(r.node)} = {r.formula}{vals}{result}"])
        if len(rows) > MAX_ROWS * 2:
            skipped = [_("… {n} more rows (all in --format json)").format(n=len(rows) - 2 * MAX_ROWS)]
            rows = [*rows[:MAX_ROWS], skipped, *rows[-MAX_ROWS:]]
        out.append(table(rows))
        out.append("")
        if e.components is not None:  # the component view: define the nodes used above
            from diffexplain.render.components import text_lines as component_nodes

            out.extend(component_nodes(e))
    if e.autograd is not None:
        a = e.autograd
        out.append(_("Autograd (torch {version}, {dtype}): one backward pass over the "
                     "same nodes").format(version=a.torch_version, dtype=a.dtype))
        rows = []
        for n in e.nodes:
            if n.kind == "constant":
                continue
            grad = fmt_value(n.autograd_grad) if n.autograd_grad is not None else (
                grad_cell(e, n))  # says when detach, not retain_grad, left it None
            rows.append([n.id, n.grad_fn or "—", str(n.is_leaf), str(n.requires_grad), grad])
        shown = rows if len(rows) <= MAX_ROWS * 2 else rows[:MAX_ROWS] + rows[-MAX_ROWS:]
        out.append(table(shown, [_("tensor"), "grad_fn", "is_leaf", "requires_grad", ".grad"]))
        out.append("  " + _("(intermediates called retain_grad(); without it a non-leaf's .grad "
                            "stays None)"))
        out.extend("  " + note for note in [requires_grad_note(e)] if note)
        out.append("")
    if e.extras.get("tensor") or e.extras.get("trace"):
        from diffexplain.render.vectors import summary_lines

        out.extend(summary_lines(e))
    if e.extras:
        from diffexplain.render.extras import text_sections

        out.extend(text_sections(e))
    out.append(_("Side by side"))
    rows = []
    for v, c in e.verdict.comparisons.items():
        step = e.numeric_steps.get(v)
        rows.append([f"∂/∂{v}", fmt_number(c.symbolic, 10),
                     fmt_number(c.autograd, 10) if c.autograd is not None else "—",
                     fmt_number(c.numeric, 10) if c.numeric is not None else "—",
                     f"{step:.2g}" if step else "—", "✓" if c.agree else "✗"])
    out.append(table(rows, ["", _("symbolic"), _("autograd"), _("numeric"), _("step h"),
                            _("agree")]))
    reasons = [(v, r) for v, c in e.verdict.comparisons.items() for r in c.reasons]
    for v, reason in reasons:
        out.append(f"  ∂/∂{v}: {reason}")
    out.append("")
    mark = "✓" if e.verdict.agree else "✗"
    out.append(_("Verdict {mark} {summary}").format(mark=mark, summary=e.verdict.summary))
    return "\n".join(out) + "\n"
