"""The explanation as HTML: one renderer for the notebook, the docs page and every language.

``page(e, show)`` builds the sections a reader asked for; the notebook's
``_repr_html_`` and the docs fence both call it, so an English and a Chinese page
have the same structure, only the words differ (every label goes through ``_()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from diffexplain.core.printing import fmt_number
from diffexplain.core.shapes import fmt_value
from diffexplain.i18n import _, renders_in_lang
from diffexplain.render.htmlkit import admonition, code, esc, markdown_html, math, svg, table

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["NOTEBOOK_SHOW", "SECTIONS", "page", "render"]

#: every section a page may show, in the order they appear
SECTIONS = ("graph", "symbolic", "adjoints", "autograd", "saved", "extras", "figure",
            "figure-autograd", "forward", "reverse", "jacobian", "check", "components")
#: what a notebook cell shows
NOTEBOOK_SHOW = ("symbolic", "autograd", "extras", "check")


def _num(x: float | None) -> str:
    return fmt_number(x, 10) if x is not None else "—"


def _objective(e: Explanation) -> tuple[str, str]:
    """The name of what is differentiated (y, or L for weighted outputs) and its value line."""
    values = ", ".join(f"{o} = {fmt_value(e.node(o).value)}" for o in e.outputs)
    weighted = len(e.outputs) > 1 or any(w != 1 for w in e.weights)
    if not weighted:
        return ", ".join(e.outputs), values
    values += "; L = " + " + ".join(f"{fmt_number(w)}·{o}" for o, w in zip(e.outputs, e.weights))
    return "L", values


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


def _figures(e: Explanation, show: tuple[str, ...]) -> str:
    from diffexplain.render.htmlkit import img

    figs = []
    if "figure" in show:
        figs.append(img(svg(e), "image/svg+xml", _("computational graph"),
                        _("The computational graph: values (forward pass) and adjoints "
                          "(backward)")))
    if "figure-autograd" in show and e.autograd is not None:
        figs.append(img(svg(e, autograd=True), "image/svg+xml", _("grad_fn graph"),
                        _("The graph above torch's real grad_fn graph (saved tensors, .grad)")))
    return f'<div class="dx-figures">{"".join(figs)}</div>' if figs else ""


def _graph_table(e: Explanation, out: str) -> str:
    rows = [[f"<code>{esc(n.id)}</code>", f"<code>{esc(n.expr)}</code>"
             if n.kind == "operation" else esc(_(n.kind)), esc(fmt_value(n.value)),
             "" if n.grad is None else esc(fmt_value(n.grad))] for n in e.nodes]
    label = _("Computational graph (forward pass)")
    return (f'<p class="dx-label">{esc(label)}</p>'
            + table([esc(_("node")), esc(_("definition")), esc(_("value")),
                     f"∂{esc(out)}/∂{esc(_('node'))}"], rows))


def _symbolic(e: Explanation, show: tuple[str, ...]) -> list[str]:
    from diffexplain.render.latex import adjoint_block, derivation_block
    from diffexplain.render.vectorform import html_blocks, note, shown

    left: list[str] = []
    vf = shown(e, "components" in show)  # vectors: the vector form unless "components"
    if "symbolic" in show and vf is not None:
        left.extend(html_blocks(vf))
    elif "symbolic" in show:
        if note(e):
            left.append(f'<p class="dx-small">{esc(note(e))}</p>')
        label_sym = _("Symbolic (sympy): the chain rule")
        left.append(f'<p class="dx-label">{esc(label_sym)}</p>')
        for v, d in e.derivations.items():
            left.append(math(derivation_block(e, v)))
            checked = esc(_("checked"))
            why = "".join(f"<li>{esc(line.rule)} <em>({checked}: {esc(line.check)})</em></li>"
                          for line in d.lines)
            summary = esc(_("Why each line of {lhs} holds").format(lhs=d.lhs))
            left.append(f'<details class="note"><summary>{summary}</summary><ol>{why}</ol></details>')
    if "adjoints" in show and e.adjoints and vf is None:
        label_rev = _("Reverse accumulation")
        left.append(f'<p class="dx-label">{esc(label_rev)}</p>')
        left.append(math(adjoint_block(e)))
    if left:
        left.append(_where(e))
    if "symbolic" in show and e.components is not None and vf is None:  # the component view
        from diffexplain.render.components import html as component_nodes

        left.append(component_nodes(e))
    return left


#: above this many definitions the "where" line lists the first ones and says how many more
WHERE_MAX = 40


def _where(e: Explanation) -> str:
    """"where: a = x + w, b = w + 1, y = a·b": every name a derivation uses, defined."""
    defs = [f"<code>{esc(n.id)} = {esc(n.expr)}</code>" for n in e.nodes
            if n.kind == "operation" and n.id != n.expr]
    if not defs:
        return ""
    more = len(defs) - WHERE_MAX
    text = ", ".join(defs[:WHERE_MAX]) + (f", … (+{more})" if more > 0 else "")
    return f'<p class="dx-small dx-where">{esc(_("where:"))} {text}</p>'


def _autograd(e: Explanation, show: tuple[str, ...]) -> list[str]:
    right: list[str] = []
    a = e.autograd
    if a is None:
        return right
    if "autograd" in show:
        head = _("Autograd (torch {version}, {dtype})").format(version=a.torch_version,
                                                               dtype=a.dtype)
        right.append(f'<p class="dx-label">{esc(head)}</p>')
        rows = [[f"<code>{esc(n.id)}</code>", f"<code>{esc(n.grad_fn)}</code>" if n.grad_fn
                 else "—", esc(n.is_leaf), esc(n.requires_grad),
                 esc(fmt_value(n.autograd_grad)) if n.autograd_grad is not None else "None"]
                for n in e.nodes if n.kind != "constant"]
        right.append(table([esc(_("tensor")), "grad_fn", "is_<wbr>leaf", "requires_<wbr>grad",
                            ".grad"], rows))

        def label(b: Any) -> str:
            return f"{b.name} ({b.node})" if b.node else b.name

        chain = []
        for b in a.backward:
            nxt = ", ".join(label(a.backward[k]) for k in b.next)
            owner = f" ({esc(b.node)})" if b.node else ""
            chain.append(f"<li><code>{esc(b.name)}</code>{owner}"
                         + (f" → {esc(nxt)}" if nxt else "") + "</li>")
        lead = _("The backward graph, from the output, through grad_fn.next_functions:")
        right.append(f'<p class="dx-small">{esc(lead)}</p><ul>{"".join(chain)}</ul>')
        if any(not n.is_leaf for n in e.nodes if n.kind != "constant"):
            note = _("(intermediates called retain_grad(); without it a non-leaf's .grad stays None)")
            right.append(f'<p class="dx-small">{esc(note)}</p>')
    if "saved" in show:
        rows = [[f"<code>{esc(n.id)}</code>", f"<code>{esc(n.grad_fn)}</code>",
                 ", ".join(f"<code>{esc(arg)}</code> = " + (f"{esc(node)} ({esc(fmt_value(v))})"
                                                            if node else esc(fmt_value(v)))
                           for arg, node, v in n.saved)]
                for n in e.nodes if n.saved]
        label_saved = _("What each grad_fn saved for backward")
        right.append(f'<p class="dx-label">{esc(label_saved)}</p>')
        right.append(table([esc(_("tensor")), "grad_fn", esc(_("saved"))], rows))
    return right


def _traces(e: Explanation, show: tuple[str, ...]) -> list[str]:
    parts = []
    for mode in ("forward", "reverse"):
        if mode in show:
            parts.append(code(e.trace(mode).to_text(), "text"))
    if "jacobian" in show:
        parts.append(markdown_html(e.jacobian().to_markdown()))
    return parts


def _check(e: Explanation) -> list[str]:
    rows = []
    for v, c in e.verdict.comparisons.items():
        step = e.numeric_steps.get(v)
        rows.append([f"∂/∂{esc(v)}", esc(_num(c.symbolic)), esc(_num(c.autograd)),
                     esc(_num(c.numeric)), esc(f"{step:.2g}") if step else "—",
                     "✓" if c.agree else "✗"])
    reasons = "".join(f"<li>∂/∂{esc(v)}: {esc(str(r))}</li>" for v, c in
                      e.verdict.comparisons.items() for r in c.reasons)
    body = f"<p>{esc(e.verdict.summary)}</p>" + (f"<ul>{reasons}</ul>" if reasons else "")
    title = _("Verdict: they agree") if e.verdict.agree else _("Verdict: they disagree")
    label = _("Side by side: symbolic, autograd, finite differences")
    return [f'<p class="dx-label">{esc(label)}</p>',
            table(["", esc(_("symbolic")), esc(_("autograd")), esc(_("numeric")),
                   esc(_("step h")), esc(_("agree"))], rows),
            admonition("success" if e.verdict.agree else "warning", title, body)]


@renders_in_lang
def page(e: Explanation, show: tuple[str, ...] = NOTEBOOK_SHOW, *, title: str | None = None,
         expression: str | None = None) -> str:
    """The sections ``show`` (see :data:`SECTIONS`) of one explanation, as one HTML block."""
    unknown = [s for s in show if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown section {unknown[0]!r}; known: {', '.join(SECTIONS)}")
    point = ", ".join(f"{k} = {fmt_value(v)}" for k, v in e.point.items())
    out, values = _objective(e)
    lang = getattr(e, "lang", "en")
    parts = [f'<div class="diffexplain" lang="{esc(lang)}">']
    if title:
        parts.append(f'<p class="dx-title">{esc(title)}</p>')
    parts.append('<p class="dx-head">' + esc(_("{expression} at {point}: {values}")).format(
        expression=f"<code>{esc(expression or e.expression)}</code>", point=esc(point),
        values=esc(values)) + "</p>")
    parts.append(_figures(e, show))
    if "graph" in show:
        parts.append(_graph_table(e, out))
    left, right = _symbolic(e, show), _autograd(e, show)
    if right and not left:  # the autograd tables name the nodes: define them here instead
        right.append(_where(e))
    if left and right:
        parts.append('<div class="dx-columns">'
                     f'<div class="dx-col dx-symbolic">{"".join(left)}</div>'
                     f'<div class="dx-col dx-autograd">{"".join(right)}</div></div>')
    elif left or right:  # one side only: full width
        parts.append(f'<div class="dx-single">{"".join(left or right)}</div>')
    if "extras" in show and (e.extras.get("tensor") or e.extras.get("trace")):
        from diffexplain.render.vectors import summary_lines

        for head, items in _grouped(summary_lines(e)):  # vectors: shapes, Jacobians, VJP
            parts.append(f'<p class="dx-label">{esc(head)}</p><ul>'
                         + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>")
    if "extras" in show and e.extras:
        from diffexplain.render.extras import markdown_sections

        secs = markdown_sections(e)
        if secs:
            parts.append(markdown_html("\n\n".join(secs).replace("### ", "#### ")))
    parts.extend(_traces(e, show))
    if "check" in show:
        parts.extend(_check(e))
    parts.append("</div>")
    return "\n".join(p for p in parts if p)


def render(e: Explanation, components: bool = False) -> str:
    """The notebook fragment (``_repr_html_``): derivations, autograd, the side-by-side check."""
    return page(e, (*NOTEBOOK_SHOW, "components") if components else NOTEBOOK_SHOW)
