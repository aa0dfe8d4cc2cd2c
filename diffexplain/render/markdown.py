"""Markdown with ``$$`` math (arithmatex/KaTeX/MathJax style) and pipe tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from diffexplain.core.printing import fmt_number
from diffexplain.core.shapes import fmt_value
from diffexplain.i18n import _, renders_in_lang
from diffexplain.render.latex import adjoint_block, derivation_block
from diffexplain.render.tables import md_table, objective_name
from diffexplain.render.why import grad_cell

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["autograd_table", "comparison_table", "nodes_table", "render"]


def nodes_table(e: Explanation) -> str:
    kinds = {"variable": _("variable"), "constant": _("constant")}
    rows = [[f"`{n.id}`", f"`{n.expr}`" if n.kind == "operation" else kinds.get(n.kind, n.kind),
             fmt_value(n.value), "" if n.grad is None else fmt_value(n.grad)]
            for n in e.nodes]
    return md_table([_("node"), _("definition"), _("value"),
                     _("∂{output}/∂node").format(output=objective_name(e))], rows)


def autograd_table(e: Explanation) -> str:
    rows = [[f"`{n.id}`", f"`{n.grad_fn}`" if n.grad_fn else "—", str(n.is_leaf),
             str(n.requires_grad),
             fmt_value(n.autograd_grad) if n.autograd_grad is not None else grad_cell(e, n)]
            for n in e.nodes if n.kind != "constant"]
    return md_table([_("tensor"), "grad_fn", "is_leaf", "requires_grad", ".grad"], rows)


def comparison_table(e: Explanation) -> str:
    rows = []
    for v, c in e.verdict.comparisons.items():
        rows.append([f"∂/∂{v}", fmt_number(c.symbolic, 10),
                     fmt_number(c.autograd, 10) if c.autograd is not None else "—",
                     fmt_number(c.numeric, 10) if c.numeric is not None else "—",
                     "✓" if c.agree else "✗"])
    return md_table(["", _("symbolic"), _("autograd"), _("numeric"), _("agree")], rows)


@renders_in_lang
def render(e: Explanation, components: bool = False) -> str:
    """Markdown; for vectors the vector form unless ``components``."""
    from diffexplain.render.vectorform import markdown_parts, note, shown

    vf = shown(e, components)
    point = ", ".join(f"{k} = {fmt_number(v)}" for k, v in e.point.items())
    parts = [_("## `{expression}` at {point}").format(expression=e.expression, point=point),
             _("### Computational graph"), nodes_table(e)]
    if vf is not None:
        parts.extend(markdown_parts(vf))
    elif note(e):
        parts.append(note(e))
    for v, d in e.derivations.items() if vf is None else ():
        parts.append(_("### Symbolic: {lhs}").format(lhs=d.lhs))
        parts.append("$$\n" + derivation_block(e, v) + "\n$$")
        parts.append("\n".join(_("{k}. {rule} *(checked: {check})*").format(
            k=k + 1, rule=line.rule, check=_(line.check)) for k, line in enumerate(d.lines)))
    if e.adjoints and vf is None:
        parts.append(_("### Reverse accumulation"))
        parts.append("$$\n" + adjoint_block(e) + "\n$$")
        if e.components is not None:  # the component view: define the nodes used above
            from diffexplain.render.components import markdown as component_nodes

            parts.append(component_nodes(e))
    if e.autograd is not None:
        parts.append(_("### Autograd (torch {version}, {dtype})").format(
            version=e.autograd.torch_version, dtype=e.autograd.dtype))
        parts.append(autograd_table(e))
    if e.extras.get("tensor") or e.extras.get("trace"):
        from diffexplain.render.vectors import summary_lines

        lines = [ln.strip() for ln in summary_lines(e) if ln.strip()]
        parts.append("\n".join(f"- {ln}" if k else f"### {ln}" for k, ln in enumerate(lines)))
    if e.extras:
        from diffexplain.render.extras import markdown_sections

        parts.extend(markdown_sections(e))
    parts.append(_("### Side by side"))
    parts.append(comparison_table(e))
    reasons = [f"- ∂/∂{v}: {r}" for v, c in e.verdict.comparisons.items() for r in c.reasons]
    if reasons:
        parts.append("\n".join(reasons))
    parts.append(_("**Verdict:** {mark} {summary}").format(
        mark="✓" if e.verdict.agree else "✗", summary=e.verdict.summary))
    return "\n\n".join(parts) + "\n"
