"""Evaluation-trace and Jacobian tables (:mod:`diffexplain.methods.modes`) as text, LaTeX, Markdown, JSON.

Pure functions of a :class:`~diffexplain.methods.modes.Trace` or
:class:`~diffexplain.methods.jacobian.Jacobian`; long tables keep their head and tail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from diffexplain.core.printing import fmt_number
from diffexplain.i18n import _, ngettext
from diffexplain.render.tables import md_table, table

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.methods.jacobian import Jacobian
    from diffexplain.methods.modes import Pass, Trace, TraceRow

__all__ = ["jacobian_dict", "jacobian_latex", "jacobian_markdown", "jacobian_text", "latex",
           "markdown", "text", "to_dict"]

#: rows of one table shown before it is shortened (head and tail are kept)
MAX_ROWS = 40
#: passes written out in full; the rest are summarized by their results
MAX_PASSES = 4


def _limit(rows: Sequence[Any]) -> tuple[list[Any], int]:
    if len(rows) <= 2 * MAX_ROWS:
        return list(rows), 0
    return list(rows[:MAX_ROWS]) + list(rows[-MAX_ROWS:]), len(rows) - 2 * MAX_ROWS


def _point(t: Trace) -> str:
    return ", ".join(f"{k} = {fmt_number(v)}" for k, v in t.point.items())


def _title(t: Trace, k: int, p: Pass) -> str:
    if t.mode == "forward":
        return _("Forward tangent trace, pass {k} of {n}: seed {seed} (in evaluation "
                 "order)").format(k=k + 1, n=len(t.passes), seed=p.seed)
    return _("Reverse adjoint trace, pass {k} of {n}: seed {seed} (in reverse order)").format(
        k=k + 1, n=len(t.passes), seed=p.seed)


def _result(t: Trace, p: Pass, fmt: str = "text") -> str:
    parts = []
    for key, val in p.result.items():
        if t.mode == "forward":
            out, inp = key, p.seed.split(" = ")[0][:1] + p.seed.split(" = ")[0][2:]
        else:
            out, inp = p.seed.split(" = ")[0][:1] + p.seed.split(" = ")[0][2:], key
        parts.append(f"∂{out}/∂{inp} = {fmt_number(val)}" if fmt == "text" else
                     rf"\frac{{\partial {out}}}{{\partial {inp}}} = {fmt_number(val)}")
    return ", ".join(parts)


def _skip_values(r: TraceRow) -> bool:
    return not r.values or r.values == fmt_number(r.value) or r.values == r.formula


def _text_rows(rows: Sequence[TraceRow]) -> str:
    shown, hidden = _limit(rows)
    out = []
    for r in shown:
        out.append([r.var, f"= {r.formula}", "" if _skip_values(r) else f"= {r.values}",
                    f"= {fmt_number(r.value)}", r.definition])
    if hidden:
        out.insert(len(shown) // 2, ["…", _("{n} more rows").format(n=hidden), "", "", ""])
    return table(out)


def text(t: Trace) -> str:
    """The trace as aligned unicode columns: ``v₁ = log(v₋₁) = log(2) = 0.693147``."""
    parts = [_("Primal trace (forward evaluation) at {point}").format(point=_point(t)),
             _text_rows(t.primal)]
    outs = ", ".join(f"{o} = {t.names[o]}" for o in t.outputs)
    parts.append("  " + _("output: {outputs}").format(outputs=outs))
    for k, p in enumerate(t.passes):
        if k >= MAX_PASSES:
            parts.append("\n" + _("Pass {k} of {n}: seed {seed}: {result}").format(
                k=k + 1, n=len(t.passes), seed=p.seed, result=_result(t, p)))
            continue
        parts.append("")
        parts.append(_title(t, k, p))
        parts.append(_text_rows(p.rows))
        parts.append("  " + _("result: {result}").format(result=_result(t, p)))
    parts.append("")
    parts.append(t.summary())
    return "\n".join(parts) + "\n"


def _md_rows(rows: Sequence[TraceRow]) -> str:
    shown, hidden = _limit(rows)
    body = [[f"${r.var_latex}$", f"${r.formula_latex}$",
             "" if _skip_values(r) else f"`{r.values}`", fmt_number(r.value),
             f"`{r.definition}`" if r.definition else ""] for r in shown]
    if hidden:
        body.insert(len(shown) // 2, ["…", _("{n} more rows").format(n=hidden), "", "", ""])
    return md_table(["", _("formula"), _("values"), _("value"), _("graph node")], body)


def markdown(t: Trace) -> str:
    """Pipe tables with ``$…$`` math, one per pass."""
    parts = ["### " + _("Primal trace at {point}").format(point=_point(t)), _md_rows(t.primal)]
    for k, p in enumerate(t.passes):
        if k >= MAX_PASSES:
            parts.append("- " + _("pass {k}: seed {seed}: {result}").format(
                k=k + 1, seed=p.seed, result=_result(t, p)))
            continue
        parts.append("### " + _title(t, k, p))
        parts.append(_md_rows(p.rows))
        parts.append(_("Result: {result}").format(result=_result(t, p)))
    parts.append(_("**Passes:** {summary}").format(summary=t.summary()))
    return "\n\n".join(parts) + "\n"


def _latex_rows(rows: Sequence[TraceRow]) -> str:
    shown, hidden = _limit(rows)
    out = []
    for r in shown:
        vals = "" if _skip_values(r) else " &= " + r.values.replace("·", r" \cdot ").replace(
            "²", "^{2}")
        out.append(f"{r.var_latex} &= {r.formula_latex}{vals or ' &'} &= {fmt_number(r.value)}")
    if hidden:
        out.insert(len(shown) // 2, r"&\;\vdots \quad \text{" + _("({n} more rows)").format(
            n=hidden) + "}")
    return "\\begin{aligned}\n" + " \\\\\n".join(out) + "\n\\end{aligned}"


def latex(t: Trace) -> str:
    """One ``aligned`` block per trace, each under a ``\\paragraph``."""
    parts = [r"\paragraph{" + _("Primal trace at {point}").format(point=f"${_point(t)}$") + "}",
             "\\[", _latex_rows(t.primal), "\\]"]
    for k, p in enumerate(t.passes):
        if k >= MAX_PASSES:
            parts.append(_("Pass {k}: {seed}: {result}").format(
                k=k + 1, seed=f"${p.seed_latex}$", result=f"${_result(t, p, 'latex')}$") + r"\par")
            continue
        title = (_("Forward tangent trace, pass {k} of {n}, {seed}") if t.mode == "forward"
                 else _("Reverse adjoint trace, pass {k} of {n}, {seed}")).format(
            k=k + 1, n=len(t.passes), seed=f"${p.seed_latex}$")
        parts += [r"\paragraph{" + title + "}",
                  "\\[", _latex_rows(p.rows), "\\]", f"${_result(t, p, 'latex')}$\\par"]
    parts.append(t.summary().replace("→", r"$\to$").replace("×", r"$\times$") + "\\par")
    return "\n".join(parts) + "\n"


def _num(x: float) -> float | str:
    return x if math.isfinite(x) else ("nan" if x != x else ("inf" if x > 0 else "-inf"))


def to_dict(t: Trace) -> dict[str, Any]:
    def rows(rs: Sequence[TraceRow]) -> list[dict[str, Any]]:
        return [{"var": r.var, "latex": r.var_latex, "formula": r.formula,
                 "formula_latex": r.formula_latex, "values": r.values, "value": _num(r.value),
                 "node": r.node} for r in rs]

    return {"mode": t.mode, "inputs": list(t.inputs), "outputs": list(t.outputs),
            "names": dict(t.names), "primal": rows(t.primal),
            "passes": [{"seed": p.seed, "rows": rows(p.rows),
                        "result": {k: _num(v) for k, v in p.result.items()}} for p in t.passes],
            "pass_count": t.pass_count, "summary": t.summary()}


# --- Jacobian ---------------------------------------------------------------------------------
def _matrices(j: Jacobian) -> list[tuple[str, Any]]:
    mats: list[tuple[str, Any]] = [
        (ngettext("forward mode ({n} pass, one column each)",
                  "forward mode ({n} passes, one column each)", j.forward_passes).format(
            n=j.forward_passes), j.forward),
        (ngettext("reverse mode ({n} pass, one row each)",
                  "reverse mode ({n} passes, one row each)", j.reverse_passes).format(
            n=j.reverse_passes), j.reverse)]
    if j.symbolic_value is not None:
        mats.append((_("symbolic (sympy)"), j.symbolic_value))
    if j.torch is not None:
        mats.append(("torch.autograd.functional.jacobian", j.torch))
    return mats


def jacobian_text(j: Jacobian) -> str:
    head = [""] + [f"∂/∂{v}" for v in j.inputs]
    parts = [_("Jacobian {jacobian}, {m}×{n}").format(
        jacobian=f"∂({', '.join(j.outputs)})/∂({', '.join(j.inputs)})", m=len(j.outputs),
        n=len(j.inputs))]
    if j.symbolic is not None:
        parts.append("  " + _("symbolic:"))
        parts.append(table([[o, *row] for o, row in zip(j.outputs, j.symbolic)], head,
                           indent="    "))
    for title, m in _matrices(j):
        parts.append(f"  {title}:")
        parts.append(table([[o, *(fmt_number(x, 10) for x in row)]
                            for o, row in zip(j.outputs, m)], head, indent="    "))
    parts.append((_("✓ all methods agree") if j.agree else _("✗ the methods disagree")) +
                 _("; forward mode needs {f} pass(es) (one per input), reverse mode {r} (one "
                   "per output)").format(f=j.forward_passes, r=j.reverse_passes))
    return "\n".join(parts) + "\n"


def jacobian_markdown(j: Jacobian) -> str:
    head = [""] + [f"∂/∂{v}" for v in j.inputs]
    parts = ["### " + _("Jacobian ({m}×{n})").format(m=len(j.outputs), n=len(j.inputs))]
    if j.symbolic is not None:
        parts += [_("symbolic:"), md_table(head, [[o, *(f"`{c}`" for c in row)]
                                                for o, row in zip(j.outputs, j.symbolic)])]
    for title, m in _matrices(j):
        parts += [f"{title}:", md_table(head, [[o, *(fmt_number(x, 10) for x in row)]
                                                for o, row in zip(j.outputs, m)])]
    parts.append("**" + (_("✓ all methods agree") if j.agree else _("✗ the methods disagree"))
                 + "**")
    return "\n\n".join(parts) + "\n"


def jacobian_latex(j: Jacobian) -> str:
    parts = []
    for title, m in _matrices(j):
        body = " \\\\ ".join(" & ".join(fmt_number(x, 10) for x in row) for row in m)
        parts.append(rf"\paragraph{{{title}}} $J = \begin{{pmatrix}} {body} \end{{pmatrix}}$")
    return "\n".join(parts) + "\n"


def jacobian_dict(j: Jacobian) -> dict[str, Any]:
    def mat(m: Any) -> Any:
        return None if m is None else [[_num(x) for x in row] for row in m]

    return {"inputs": list(j.inputs), "outputs": list(j.outputs), "forward": mat(j.forward),
            "reverse": mat(j.reverse), "symbolic": None if j.symbolic is None else
            [list(r) for r in j.symbolic], "symbolic_value": mat(j.symbolic_value),
            "torch": mat(j.torch), "forward_passes": j.forward_passes,
            "reverse_passes": j.reverse_passes, "agree": j.agree}
