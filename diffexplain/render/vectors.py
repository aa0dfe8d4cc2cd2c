"""Sections for vectors and traced functions: shapes, the L = sum(y) reduction, detach, ∇.

Pure functions of an :class:`~diffexplain.model.Explanation` (its extras["tensor"]
and extras["trace"], filled by the pipeline); text, Markdown and the docs fence
all use :func:`summary_lines`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from diffexplain.core.printing import fmt_number
from diffexplain.core.shapes import fmt_shape, fmt_value
from diffexplain.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["jacobian_lines", "summary_lines"]


def summary_lines(e: Explanation) -> list[str]:
    """Lines for the text/markdown renderers: vector gradients, the reduction, detach, trace."""
    out: list[str] = []
    trace = e.extras.get("trace")
    if trace:
        out.append(_("Python control flow (traced {function}): the path actually taken").format(
            function=trace["function"]))
        out.extend(f"  {s}" for s in trace["summary"])
        tf = trace.get("torch_function")
        if tf:
            grads = ", ".join(f"{k}.grad = {fmt_number(v)}" for k, v in tf["grad"].items())
            out.append("  " + _("torch ran the same function on tensors: output {value} "
                                "(grad_fn {grad_fn}), {grads}").format(
                                    value=fmt_number(tf["value"]), grad_fn=tf["grad_fn"],
                                    grads=grads))
        out.append("")
    info = e.extras.get("tensor")
    if not info:
        return out
    vectors = {v: i for v, i in info["variables"].items() if i["shape"]}
    red = info.get("reduction")
    if not vectors and not red and not info["detached"]:
        return out
    out.append(_("Vectors"))
    for v, i in vectors.items():
        out.append("  " + _("{v}: shape {shape}, components {components}").format(
            v=v, shape=fmt_shape(tuple(i["shape"])), components=", ".join(i["components"][:4])
            + (", …" if len(i["components"]) > 4 else "")))
    if red:
        out.append("  " + _("{why}; the ones vector is {ones}").format(
            why=red["why"], ones=fmt_value(red["vjp"])))
        for v, jac in (red.get("jacobians") or {}).items():
            out.extend("  " + line for line in jacobian_lines(v, jac, red["name"]))
    for d in info["detached"]:
        out.append("  " + _("{node} = {expr} is a constant for differentiation (stop-gradient): "
                            "torch's tensor has requires_grad=False and the symbolic side uses "
                            "its value {value}").format(node=d, expr=e.node(d).expr,
                                                        value=fmt_number(e.node(d).value)))
    for v, g in info["gradient"].items():
        a = (info.get("autograd_gradient") or {}).get(v)
        auto = f"   (torch {v}.grad = {fmt_number(a)})" if a is not None else ""
        out.append(f"  ∇{v} = {fmt_number(g)}{auto}")
    out.append("")
    return out


#: Jacobians with at most this many entries are written out row by row
SHOW_ENTRIES = 16

_STRUCTURE = {"zero": N_("zero"), "diagonal": N_("diagonal"), "dense": N_("dense")}


def jacobian_lines(v: str, jac: Mapping[str, Any], reduced: str) -> list[str]:
    """The Jacobian of a vector output (written out when small, else by its structure) and
    the vector-Jacobian product with the seed, which is the gradient shown."""
    m, n = jac["shape"]
    if jac["structure"] is None:
        return [_("Jacobian {lhs} ({shape}): not computed, more than {limit} entries; its "
                  "vector-Jacobian product with the ones seed is the gradient below").format(
                      lhs=f"∂{jac['output']}/∂{v}", shape=f"{m}×{n}", limit=jac["limit"])]
    if jac["structure"] == "diagonal":
        body = f"diag({fmt_number(jac['diagonal'])})"
    elif jac["structure"] == "zero":
        body = "0"
    elif m * n <= SHOW_ENTRIES:
        body = fmt_number(jac["matrix"])
    else:
        body = _("first row {row}, …").format(row=fmt_value(jac["matrix"][0]))
    head = _("Jacobian {lhs} ({shape}, {structure}): {matrix}").format(
        lhs=f"∂{jac['output']}/∂{v}", shape=f"{m}×{n}",
        structure=_(_STRUCTURE[jac["structure"]]), matrix=body)
    vjp = _("vector-Jacobian product with the seed v = {seed}: vᵀ·J = {vjp} = {lhs}").format(
        seed=fmt_value(jac["seed"]), vjp=fmt_value(jac["vjp"]), lhs=f"∂{reduced}/∂{v}")
    return [head, vjp]
