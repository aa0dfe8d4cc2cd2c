"""Reasons under the autograd table, read off the explanation's nodes (pure functions).

* why intermediates have ``requires_grad=True`` (E1): they depend on a leaf that requires it;
* why a retained ``.grad`` is still None (E7): no differentiable path reaches the output,
  because ``detach`` cut it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from diffexplain.i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation, NodeInfo

__all__ = ["grad_cell", "requires_grad_note"]

_LISTED = 6  # names listed in one sentence before "…"


def _names(names: list[str]) -> str:
    return ", ".join(names if len(names) <= _LISTED else [*names[:_LISTED], "…"])


def _leaves_reaching(e: Explanation) -> dict[str, list[str]]:
    """For each node, the leaves with requires_grad=True it depends on (not through detach)."""
    by_id = {n.id: n for n in e.nodes}
    reach: dict[str, list[str]] = {}
    for n in e.nodes:  # topological order
        if n.kind == "variable":
            reach[n.id] = [n.id] if n.requires_grad else []
        elif n.kind == "constant" or n.op == "detach":
            reach[n.id] = []
        else:
            reach[n.id] = list(dict.fromkeys(v for i in n.inputs if i in by_id
                                             for v in reach.get(i, [])))
    return reach


def requires_grad_note(e: Explanation) -> str | None:
    """"a, b, y have requires_grad=True because they depend on x, w, which require it"."""
    reach = _leaves_reaching(e)
    inter = [n.id for n in e.nodes if n.kind == "operation" and n.requires_grad
             and not n.is_leaf and reach.get(n.id)]
    if not inter:
        return None
    leaves = list(dict.fromkeys(v for i in inter for v in reach[i]))
    return _("({nodes}: requires_grad=True without being asked: each depends on a leaf that "
             "requires grad ({leaves}), and torch marks every result computed from such a "
             "tensor)").format(nodes=_names(inter), leaves=_names(leaves))


def _cut_by_detach(e: Explanation, node: NodeInfo) -> str | None:
    """The detach node that stands between ``node`` and every output, or None."""
    users: dict[str, list[NodeInfo]] = {}
    for n in e.nodes:
        for i in n.inputs:
            users.setdefault(i, []).append(n)
    stack, seen, cuts = [node.id], {node.id}, []
    while stack:
        cur = stack.pop()
        if cur in e.outputs:
            return None  # a differentiable path reaches an output
        for u in users.get(cur, []):
            if u.op == "detach":
                cuts.append(u.id)
            elif u.id not in seen:
                seen.add(u.id)
                stack.append(u.id)
    return cuts[0] if cuts else None


def grad_cell(e: Explanation, n: NodeInfo) -> str:
    """The ``.grad`` cell of a node whose torch ``.grad`` is None, with the reason."""
    if n.op == "detach":
        return _("None (detach made it a constant)")
    cut = _cut_by_detach(e, n)
    if cut is not None:
        return _("None (detach at {node} cut its path to {output})").format(
            node=cut, output=", ".join(e.outputs))
    return _("None (not retained)") if not n.is_leaf else "None"
