"""The component view's "where" block: every component node a derivation uses, defined.

The per-component derivations of a vector input run through nodes the learner never
wrote (``a_t0``, ``a_acc1``, ``z_1``): the component graph that
:mod:`diffexplain.methods.components` built. Here each of them is defined by the
graph's own definition, grouped under the tensor operation it came from, one line per
kind of node (the products ``a_t0 = x_0·x_0``, the running sums ``a_acc1 = a_t0 + a_t1``,
the components ``z_1 = a_1 + b_1``). Large kinds show their first definitions, ``…``,
the last one and how many there are. Pure functions of the explanation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from diffexplain.i18n import _, ngettext

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["groups", "html", "markdown", "text_lines"]

#: a kind of node with more definitions than this shows the first SHOWN, "…" and the last
MAX_LISTED = 4
SHOWN = 2

_DIGITS = re.compile(r"[0-9]+")
_ACC = re.compile(r"_acc[0-9]+$")


def groups(e: Explanation) -> list[tuple[str, list[str]]]:
    """(the tensor operation, e.g. ``a = x @ w``, its lines of definitions), in graph order;
    the ``L = sum(y)`` reduction of a vector output last. Empty for a scalar input."""
    sc, g = e.components, e.graph
    if sc is None or g is None:
        return []
    cg = sc.graph
    # (heading, the last component id made for it, its components)
    bounds: list[tuple[str, int, tuple[int, ...]]] = []
    for n in g.nodes:
        if n.is_leaf:
            continue
        comps = sc.components[n.id]
        bounds.append((f"{n.name} = {g.describe(n)}", max(comps), comps))
    if sc.reduced:
        out = g.nodes[g.outputs[0]].name
        bounds.append((f"{sc.reduced} = sum({out})", len(cg.nodes) - 1, (len(cg.nodes) - 1,)))
    result: list[tuple[str, list[str]]] = []
    start = 0
    ops = [n for n in cg.nodes if not n.is_leaf]
    for head, last, comps in bounds:
        mine = [n for n in ops if start <= n.id <= last]
        start = max(start, last + 1)
        if not mine or (len(mine) == 1 and f"{mine[0].name} = {cg.describe(mine[0])}" == head):
            continue  # a scalar node: its component is itself
        kinds: dict[str, list[str]] = {}
        for n in mine:  # a_0_t1, a_2_t4 are one kind: the same name up to its indices
            kinds.setdefault(_DIGITS.sub("#", n.name), []).append(f"{n.name} = {cg.describe(n)}")
        lines = [_compact(defs) for defs in kinds.values()]
        whole = _unrolled(e, comps[0], len(comps))
        if whole:
            lines.append(whole)
        result.append((head, lines))
    return result


def _unrolled(e: Explanation, cid: int, count: int) -> str:
    """A running sum written out: ``a_0 = x_0·w_0_0 + x_1·w_1_0 + … + x_4·w_4_0``, the
    component as one sum of its terms (the acc nodes are the partial sums of its
    balanced reduction tree)."""
    assert e.components is not None
    cg = e.components.graph
    terms: list[int] = []
    stack = [cid]  # the reduction is a balanced tree of adds: its leaves, left to right
    while stack:
        node = cg.nodes[stack.pop()]
        if ((node.id == cid or _ACC.search(node.name)) and node.op == "add"
                and len(node.inputs) == 2):
            stack.extend(reversed(node.inputs))
        else:
            terms.append(node.id)
    if len(terms) < 3:
        return ""
    shown = [cg.describe(cg.nodes[t]) if not cg.nodes[t].is_leaf else cg.nodes[t].name
             for t in terms]
    if len(shown) > 2 * SHOWN + 1:
        shown = [*shown[:SHOWN], "…", shown[-1]]
    text = f"⇒ {cg.nodes[cid].name} = " + " + ".join(shown)
    return text + ("  " + ngettext("(the other component alike)",
                                   "(the other {n} components alike)", count - 1).format(
                                       n=count - 1) if count > 1 else "")


def _compact(defs: list[str]) -> str:
    if len(defs) <= MAX_LISTED:
        return ", ".join(defs)
    return ", ".join(defs[:SHOWN]) + ", …, " + defs[-1] + "  " + _("({n} in all)").format(
        n=len(defs))


def _title() -> str:
    return _("Where (the component nodes used above)")


def text_lines(e: Explanation) -> list[str]:
    """The block for the terminal: a heading per tensor operation, its definitions indented."""
    gs = groups(e)
    if not gs:
        return []
    out = [_title()]
    for head, lines in gs:
        if len(lines) == 1 and len(head) + len(lines[0]) < 90:
            out.append(f"  {head}:  {lines[0]}")
        else:
            out.append(f"  {head}:")
            out.extend(f"    {line}" for line in lines)
    return [*out, ""]


def markdown(e: Explanation) -> str:
    """The block as Markdown: a heading and a nested list of code spans."""
    gs = groups(e)
    if not gs:
        return ""
    items = []
    for head, lines in gs:
        items.append(f"- `{head}`")
        items.extend(f"    - `{line}`" for line in lines)
    return f"### {_title()}\n\n" + "\n".join(items)


def html(e: Explanation) -> str:
    """The block as HTML (the docs page and the notebook)."""
    from diffexplain.render.htmlkit import esc

    gs = groups(e)
    if not gs:
        return ""
    body = "".join(f"<li><code>{esc(head)}</code><ul>"
                   + "".join(f"<li><code>{esc(line)}</code></li>" for line in lines)
                   + "</ul></li>" for head, lines in gs)
    return f'<p class="dx-label">{esc(_title())}</p><ul class="dx-small dx-where">{body}</ul>'
