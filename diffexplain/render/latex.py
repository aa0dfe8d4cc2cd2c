"""LaTeX: every formula comes from :func:`sympy.latex` (or the rule table's LaTeX templates
for adjoint tables of big graphs); this module only arranges them in ``aligned`` blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from diffexplain.core.printing import bar_latex, fmt_number
from diffexplain.i18n import _, renders_in_lang
from diffexplain.methods.symbolic import latex_name

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["adjoint_block", "derivation_block", "render", "render_display"]


def derivation_block(e: Explanation, wrt: str) -> str:
    """``\\begin{aligned} ∂y/∂w &= … \\\\ &= … \\end{aligned}``"""
    d = e.derivations[wrt]
    rows = [f"{d.lhs_latex} &= {d.lines[0].latex}"]
    rows += [f"&= {line.latex}" for line in d.lines[1:]]
    if d.where:  # every intermediate the lines use, defined
        rows.append(r"&\text{" + _("where") + r"}\ " + r",\ ".join(lt for _t, lt in d.where))
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def adjoint_block(e: Explanation, limit: int = 60) -> str:
    rows = []
    for r in e.adjoints[:limit]:
        cdot = r" \cdot "
        vals = " = " + r.values.replace("·", cdot) if r.values else ""
        # no ``= 1 = 1``: the value is written once when the formula already is it
        result = "" if r.formula_latex == fmt_number(r.value) else f" = {fmt_number(r.value)}"
        rows.append(f"{bar_latex(r.node)} &= {r.formula_latex}{vals}{result}")
    if len(e.adjoints) > limit:
        rows.append("&\\;\\vdots \\quad \\text{" + _("({n} more)").format(
            n=len(e.adjoints) - limit) + "}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def _table(e: Explanation) -> str:
    lines = ["\\begin{tabular}{lrrrc}", "\\hline",
             " & " + " & ".join([_("symbolic"), _("autograd"), _("numeric"), _("agree")])
             + " \\\\", "\\hline"]
    for v, c in e.verdict.comparisons.items():
        auto = fmt_number(c.autograd, 10) if c.autograd is not None else "--"
        num = fmt_number(c.numeric, 10) if c.numeric is not None else "--"
        mark = "\\checkmark" if c.agree else "$\\times$"
        lines.append(f"$\\partial/\\partial {latex_name(v)}$ & {fmt_number(c.symbolic, 10)} & "
                     f"{auto} & {num} & {mark} \\\\")
    lines += ["\\hline", "\\end{tabular}"]
    return "\n".join(lines)


@renders_in_lang
def render(e: Explanation, components: bool = False) -> str:
    """A LaTeX fragment (needs amsmath): derivations (for vectors the vector form unless
    ``components``), adjoints, the comparison table."""
    from diffexplain.render.vectorform import latex_block, shown

    vf = shown(e, components)
    parts = [f"% diffexplain: {e.expression}"]
    point = ", ".join(f"{latex_name(k)} = {fmt_number(v)}" for k, v in e.point.items())
    parts.append("\\noindent " + _("At {point}:").format(point=f"${point}$"))
    for d in vf.derivations if vf is not None else ():
        parts.append("\\[\n" + latex_block(d) + "\n\\]")
    for v in e.derivations if vf is None else ():
        parts.append("\\[\n" + derivation_block(e, v) + "\n\\]")
    if e.adjoints and vf is None:
        parts.append("\\noindent " + _("Reverse accumulation:") + "\n\\[\n" + adjoint_block(e)
                     + "\n\\]")
    parts.append(_table(e))
    parts.append("\\noindent " + (_("Verdict: agree.") if e.verdict.agree
                                   else _("Verdict: disagree.")))
    return "\n\n".join(parts) + "\n"


def render_display(e: Explanation, components: bool = False) -> str:
    """Math only, for Jupyter's ``_repr_latex_`` (MathJax has no ``tabular``)."""
    from diffexplain.render.vectorform import latex_block, shown

    vf = shown(e, components)
    blocks = ([latex_block(d) for d in vf.derivations] if vf is not None
              else [derivation_block(e, v) for v in e.derivations])
    return "$$\n" + "\n\\\\[1em]\n".join(blocks) + "\n$$"
