"""The "recorded from your code" section of an explanation made from PyTorch code.

Pure function of ``extras["recording"]`` (see :mod:`diffexplain.core.recorded`): each
node with the torch call and the source line it came from, opaque calls (no rule:
where the symbolic side stops), and leaves changed in place after they were used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from diffexplain.core.printing import fmt_number
from diffexplain.i18n import _

__all__ = ["recording_sections"]

Table = tuple[list[str], list[list[str]]]
Section = tuple[str, list[str], list[Table], list[str]]


def recording_sections(d: Mapping[str, Any]) -> list[Section]:
    rows = []
    for n in d["nodes"]:
        kind = {"leaf": _("leaf"), "opaque": _("opaque"), "derivative": _("derivative")}.get(
            n["kind"], n["call"])
        where = f"{n['line']}: {n['source']}" if n["line"] else ""
        rows.append([n["name"], kind, n["grad_fn"] or "—", where])
    head = [_("tensor"), _("torch call"), "grad_fn", _("line: code")]
    closing = []
    ones = [n["name"] for n in d["nodes"] if n["kind"] == "leaf"
            and n.get("torch_shape") and all(s == 1 for s in n["torch_shape"])]
    if ones:
        closing.append(_("one-entry tensors ({names}) are explained as scalars").format(
            names=", ".join(ones)))
    for o in d["opaque"]:
        if o["kind"] == "derivative":
            closing.append(_("{name} (line {line}) is a gradient returned by torch.autograd.grad; "
                             "it enters this graph as an input").format(
                                 name=o["name"], line=o["line"]))
        else:
            closing.append(_("{name} = {call}(…) (line {line}): the operation table has no rule "
                             "for {call}, so the symbolic side cannot derive through it; it "
                             "treats {name} as an input (torch's gradient through it is shown "
                             "by autograd)").format(name=o["name"], call=o["call"],
                                                    line=o["line"]))
    if d["not_derived"]:
        closing.append(_("not derived symbolically (their path passes through an opaque "
                         "node): {names}; the verdict below covers only the derivatives shown, "
                         "not these").format(names=", ".join(d["not_derived"])))
    out = d.get("output") or "y"
    for n, g in (d.get("torch_gradient") or {}).items():
        closing.append(_("torch's gradient through the opaque node: ∂{output}/∂{name} = "
                         "{value}").format(output=out, name=n,
                                           value=fmt_number(g) if g is not None else "None"))
    for m in d["modified"]:
        closing.append(_("{name} was changed in place after it was used (line {line}: `{source}`)"
                         ": this explanation uses its value when it was used, as the graph "
                         "saw it").format(**m))
    intro = _decisions(d.get("decisions") or [])
    title = _("Recorded from {file}").format(file=os.path.basename(d["file"]) or _("your code"))
    return [(title, intro, [(head, rows)], closing)]


def _decisions(ds: list[Mapping[str, Any]]) -> list[str]:
    """The if/while decisions, grouped by line: a line decided many times is a loop."""
    groups: list[list[Mapping[str, Any]]] = []
    for dec in ds:
        if groups and groups[-1][0]["line"] == dec["line"]:
            groups[-1].append(dec)
        else:
            groups.append([dec])
    out = []
    for g in groups:
        shown = g if len(g) <= 3 else [g[0], g[-1]]
        checks = "; ".join(f"{fmt_number(x['lhs'])} {x['op']} {fmt_number(x['rhs'])} → "
                           f"{x['outcome']}" for x in shown)
        if len(g) > 1:
            out.append(_("line {line}: `{source}` decided {n} times ({checks}): a loop on the "
                         "path taken").format(line=g[0]["line"], source=g[0]["source"],
                                              n=len(g), checks=checks))
        else:
            out.append(_("line {line}: `{source}`: {checks}, the branch taken").format(
                line=g[0]["line"], source=g[0]["source"], checks=checks))
    if out:
        out.append(_("the graph is the path actually taken; other inputs may take other paths"))
    return out
