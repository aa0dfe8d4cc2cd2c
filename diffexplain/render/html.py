"""A self-contained HTML fragment for notebooks: tables plus ``$$`` math for MathJax."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from diffexplain.core.printing import fmt_number
from diffexplain.core.shapes import fmt_value
from diffexplain.i18n import _, renders_in_lang
from diffexplain.render.latex import derivation_block

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["render"]


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _grouped(lines: list[str]) -> list[tuple[str, list[str]]]:
    """summary_lines' sections: a title line, then its items (the indented lines)."""
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if not line.strip():
            continue
        if line.startswith(" ") and out:
            out[-1][1].append(line.strip())
        else:
            out.append((line.strip(), []))
    return out


@renders_in_lang
def render(e: Explanation) -> str:
    point = ", ".join(f"{k} = {fmt_number(v)}" for k, v in e.point.items())
    parts = ["<div class='diffexplain'><p>" + _("{expression} at {point}").format(
        expression=f"<b>{html.escape(e.expression)}</b>", point=html.escape(point)) + "</p>"]
    for v in e.derivations:
        parts.append(f"<div>$$ {html.escape(derivation_block(e, v))} $$</div>")
    rows = [[f"∂/∂{v}", fmt_number(c.symbolic, 10),
             fmt_number(c.autograd, 10) if c.autograd is not None else "—",
             fmt_number(c.numeric, 10) if c.numeric is not None else "—",
             "✓" if c.agree else "✗"] for v, c in e.verdict.comparisons.items()]
    parts.append(_table(["", _("symbolic"), _("autograd"), _("numeric"), _("agree")], rows))
    if e.autograd is not None:
        parts.append(_table([_("tensor"), "grad_fn", "is_leaf", "requires_grad", ".grad"],
                            [[n.id, n.grad_fn or "—", str(n.is_leaf), str(n.requires_grad),
                              fmt_value(n.autograd_grad) if n.autograd_grad is not None
                              else "None"] for n in e.nodes if n.kind != "constant"]))
    if e.extras.get("tensor") or e.extras.get("trace"):  # vectors: shapes, Jacobians, VJP
        from diffexplain.render.vectors import summary_lines

        for title, items in _grouped(summary_lines(e)):
            parts.append(f"<p>{html.escape(title)}</p><ul>"
                         + "".join(f"<li>{html.escape(x)}</li>" for x in items) + "</ul>")
    parts.append(f"<p>{'✓' if e.verdict.agree else '✗'} {html.escape(e.verdict.summary)}</p>")
    return "".join(parts) + "</div>"
