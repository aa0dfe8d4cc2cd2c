"""Sections for the autograd lessons kept in ``Explanation.extras`` (text and Markdown).

Pure functions of the explanation, like every renderer: each key of ``extras``
that :mod:`diffexplain.lessons` fills has one text and one Markdown section;
unknown keys are left to whoever added them (the JSON keeps everything).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from diffexplain.core.printing import fmt_number
from diffexplain.i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["markdown_sections", "text_sections"]


def _n(x: float | None, digits: int = 6) -> str:
    return "—" if x is None else fmt_number(x, digits)


def _clip(s: str, n: int = 60) -> str:
    """Long closed forms are cut in tables (the JSON keeps them whole)."""
    return s if len(s) <= n else s[: n - 1] + "…"


def _b(x: bool | None) -> str:
    return "—" if x is None else str(x)


# --- the data of each section, as (title, intro lines, tables, closing lines) -----------------
Table = tuple[list[str], list[list[str]]]
Section = tuple[str, list[str], list[Table], list[str]]


def _outputs(d: Mapping[str, Any]) -> list[Section]:
    intro = []
    for per in d["per_output"].values():
        for der in per.values():
            width = min(40, max(len(line) for line in der["lines"]))
            rows = [f"{der['lhs'] if k == 0 else ' ' * len(der['lhs'])} = {line.ljust(width)}"
                    + (f"   # {rule}" if rule else "")
                    for k, (line, rule) in enumerate(zip(der["lines"], der["rules"]))]
            intro.extend(rows)
            intro.append("")
    closing = []
    t = d.get("torch")
    if t and "code" in t:
        closing += [f">>> {c}" for c in t["code"]]
        closing.append(f"loss = [{', '.join(_n(x) for x in t['loss'])}], loss.grad_fn = "
                       f"{t['loss_grad_fn']}; " +
                       ", ".join(f"{v}.grad = {_n(g)}" for v, g in t["gradient"].items()))
    return [(_("Each output on its own (the weighted sum above combines them)"), intro, [],
             closing)]


def _higher(d: Mapping[str, Any]) -> list[Section]:
    out: list[Section] = []
    for v, r in d["variables"].items():
        rows = [[s["lhs"], _clip(s["symbolic"]), _n(s["value"], 10), _n(s["autograd"], 10),
                 s["grad_fn"] or "None", _b(s["requires_grad"]),
                 "—" if s.get("agree") is None else ("✓" if s["agree"] else "✗")]
                for s in r["orders"]]
        table = (["", _("symbolic"), _("value"), _("autograd"), "grad_fn", "requires_grad",
                  _("agree")], rows)
        code = [f">>> {s['code']}" for s in r["orders"] if s.get("code")]
        first = r["orders"][0]
        notes = [s["note"] for s in r["orders"] if s["note"]]
        closing = code + notes
        if first.get("grad_fn"):
            closing.append(_("The first derivative is itself a tensor with grad_fn "
                             "{grad_fn}: create_graph=True recorded how it was computed, "
                             "so it can be differentiated again. The last call did not ask for "
                             "a graph, so its result has grad_fn None.").format(
                                 grad_fn=first["grad_fn"]))
        out.append((_("Higher order: derivatives of order 1 to {order} in {v} "
                      "(torch.autograd.grad with create_graph=True)").format(order=d["order"], v=v),
                    [], [table], closing))
    return out


def _hessian(d: Mapping[str, Any]) -> list[Section]:
    vs = d["variables"]
    rows = [[f"∂/∂{a}"] + [f"{d['symbolic'][i][j]} = {_n(d['symbolic_values'][i][j], 10)}"
                           for j in range(len(vs))] for i, a in enumerate(vs)]
    tables: list[Table] = [([""] + [f"∂/∂{b}" for b in vs], rows)]
    closing = []
    if d.get("autograd") is not None:
        tables.append(([f"torch: {d['code']}"] + [f"∂/∂{b}" for b in vs],
                       [[f"∂/∂{a}"] + [_n(x, 10) for x in d["autograd"][i]]
                        for i, a in enumerate(vs)]))
        closing.append(_("symbolic and torch Hessians agree") if d["agree"]
                       else _("symbolic and torch Hessians DIFFER"))
    return [(_("Hessian: the second partials ∂²/∂u∂v (sympy vs torch.autograd.functional.hessian)"),
             [], tables, closing)]


def _backward(d: Mapping[str, Any]) -> list[Section]:
    runs = d["runs"]
    wrt = next((list(r["grad"]) for r in runs if r["grad"]), [])
    rows = []
    for r in runs:
        grads = [_n(r["grad"][v]) for v in wrt] if r["grad"] else ["RuntimeError"] * len(wrt)
        rows.append([str(r["pass"]), "True" if r["retain_graph"] else "False",
                     _("yes") if r["rebuilt"] else _("no"), *grads,
                     _("yes") if r["zeroed"] else _("no"),
                     {True: _("yes"), False: _("no"), None: _("nothing saved")}[r["freed"]]])
    head = [_("pass"), "retain_graph", _("forward rebuilt"), *[f"{v}.grad" for v in wrt],
            _("zeroed after"), _("graph freed")]
    closing = [d["summary"]]
    if d["error"]:
        closing += [_("pass {n} raised RuntimeError: {message}").format(
                        n=d["error"]["pass"], message=d["error"]["message"]),
                    _("why: {why}").format(why=d["error"]["why"])]
    return [(_("Backward {passes} time(s) (zero_grad={zero_grad}, retain_graph={retain_graph}, "
               "rebuild={rebuild})").format(passes=d["passes"], zero_grad=d["zero_grad"],
                                            retain_graph=d["retain_graph"], rebuild=d["rebuild"]),
             [], [(head, rows)], closing)]


def _tensors(d: Mapping[str, Any]) -> list[Section]:
    rows = [[r["node"], str(r["is_leaf"]), str(r["requires_grad"]), r["grad_fn"] or "None",
             _n(r["grad"]) if r["grad_kept"] else "None" + (" (UserWarning)" if r["warned"]
                                                            else ""),
             ", ".join(r["saved"]) or "—", ", ".join(r["saved_by"]) or "—"] for r in d["rows"]]
    head = [_("tensor"), "is_leaf", "requires_grad", "grad_fn", _(".grad (no retain_grad)"),
            _("its node saved"), _("saved by")]
    closing = [d["note"]]
    if d["warning"]:
        closing.append(_("torch's warning on reading a non-leaf's .grad: {warning}").format(
            warning=d["warning"]))
    return [(_("Leaves, grad_fn and saved tensors (one backward, no retain_grad)"), [],
             [(head, rows)], closing)]


def _inplace(d: Sequence[Mapping[str, Any]]) -> list[Section]:
    out: list[Section] = []
    for exp in d:
        lines = [_("backward nodes that saved {node}: {nodes}").format(
            node=exp["node"], nodes=", ".join(exp["saved_by"]) or _("none"))]
        for s in exp["steps"]:
            lines.append(f">>> {s['code']}")
            if s["error"]:
                lines.append(f"RuntimeError: {s['error']}")
            else:
                lines.append(_("ran: {grads}").format(grads=", ".join(
                    f"{v}.grad = {_n(g)}" for v, g in s["result"].items())))
            lines.append(_("why: {why}").format(why=s["why"]))
        title = (_("In-place update of {node} (a leaf) by {amount}") if exp["leaf"]
                 else _("In-place update of {node} (an intermediate) by {amount}"))
        out.append((title.format(node=exp["node"], amount=_n(exp["amount"])), lines, [], []))
    return out


def _limit(d: Sequence[Mapping[str, Any]]) -> list[Section]:
    out: list[Section] = []
    for t in d:
        rows = [[f"{r['h']:.0e}", f"{r['forward']:.5f}", f"{r['forward_error']:.1e}",
                 f"{r['central']:.5f}", f"{r['central_error']:.1e}"] for r in t["rows"]]
        head = ["h", "(f(x+h)−f(x))/h", _("error"), "(f(x+h)−f(x−h))/2h", _("error")]
        closing = [t["note"]]
        if t["tangent"]:
            closing.append(_("tangent at {v} = {at}: {tangent}").format(
                v=t["variable"], at=_n(t["at"]), tangent=t["tangent"]))
        out.append((_("The derivative as a limit: ∂/∂{v} at {v} = {at} is {value} ({dtype})").format(
            v=t["variable"], at=_n(t["at"]), value=_n(t["true"], 10), dtype=t["dtype"]),
            [], [(head, rows)], closing))
    return out


def _recording(d: Mapping[str, Any]) -> list[Section]:
    from diffexplain.render.recorded import recording_sections

    return recording_sections(d)


def _structure(d: Any) -> list[Section]:
    from diffexplain.lessons.structure import CHECKS

    lines = []
    for f in d.findings:
        how = _(CHECKS[f.check]).format(rtol=f"{f.rtol:g}" if f.rtol else "")
        if f.torch is not None:
            how = _("{check}; {torch}").format(check=how, torch=_("torch's .grad too") if f.torch
                                               else _("NOT on torch's .grad"))
        lines.append(_("{sentence} ({how})").format(sentence=f.text, how=how))
    return [(_("What this shows"), [], [], lines)]


_SECTIONS: dict[str, Callable[[Any], list[Section]]] = {
    "structure": _structure,
    "recording": _recording,
    "outputs": _outputs, "higher_order": _higher, "hessian": _hessian, "backward": _backward,
    "tensors": _tensors, "inplace": _inplace, "limit_table": _limit,
}


def _sections(e: Explanation) -> list[Section]:
    out: list[Section] = []
    for key, fn in _SECTIONS.items():
        if key in e.extras:
            out.extend(fn(e.extras[key]))
    return out


def text_sections(e: Explanation) -> list[str]:
    """Lines to put before the side-by-side table of the text output."""
    from diffexplain.render.tables import table

    out: list[str] = []
    for title, intro, tables, closing in _sections(e):
        out.append(title)
        out.extend(f"  {line}".rstrip() for line in intro)
        for head, rows in tables:
            out.append(table(rows, head))
        out.extend(f"  {line}" for line in closing)
        out.append("")
    return out


def markdown_sections(e: Explanation) -> list[str]:
    """Markdown blocks (headings, code for derivations and torch calls, pipe tables)."""
    from diffexplain.render.tables import md_table

    parts: list[str] = []
    for title, intro, tables, closing in _sections(e):
        parts.append(f"### {title}")
        if intro:
            parts.append("```text\n" + "\n".join(intro).rstrip() + "\n```")
        for head, rows in tables:
            parts.append(md_table(head, rows))
        if closing:
            parts.extend(_closing_blocks(closing))
    return parts


def _closing_blocks(closing: Sequence[str]) -> list[str]:
    """Torch calls (``>>> …``) as one code block, the other lines as a list.

    A ``>>>`` line inside a Markdown list item would read as three nested block quotes.
    """
    blocks: list[str] = []
    calls = [line for line in closing if line.startswith(">>> ")]
    if calls:
        blocks.append("```pycon\n" + "\n".join(calls) + "\n```")
    rest = [line for line in closing if not line.startswith(">>> ")]
    if rest:
        blocks.append("\n".join(f"- {line}" for line in rest))
    return blocks
