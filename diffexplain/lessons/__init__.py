"""The optional autograd lessons an explanation can carry, run on the same graph.

:func:`validate` checks every option before any work starts (bad input fails in
one line, nothing half-done); :func:`collect` runs the asked-for lessons and
returns plain data for ``Explanation.extras``: ``higher_order``, ``hessian``,
``backward``, ``inplace``, ``tensors`` and ``limit_table``. Several weighted
outputs get :func:`weighted` (``extras["outputs"]``), vector inputs :func:`shows`
(``extras["structure"]``, what their gradients show).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.core.graph import Graph
from diffexplain.errors import InputError
from diffexplain.i18n import N_, _
from diffexplain.limits import Limits
from diffexplain.methods.symbolic import Derivation

__all__ = ["collect", "shows", "validate", "weighted"]


def _inplace(inplace: Mapping[str, float] | str | None) -> dict[str, float] | None:
    if inplace is None:
        return None
    if isinstance(inplace, str):
        from diffexplain.lessons.mechanics import parse_inplace

        return parse_inplace(inplace)
    out = {}
    for k, v in dict(inplace).items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InputError(_("inplace: the amount for {name!r} must be a finite number, not "
                               "{value!r}").format(name=k, value=v))
        out[str(k)] = float(v)
    if not out:
        raise InputError(_("inplace: nothing to update; give e.g. {example}").format(
            example="{'w': 1}"))
    return out


def validate(graph: Graph, *, autograd: bool, order: int, backward: int | None,
             inplace: Mapping[str, float] | str | None, tensors: bool, hessian: bool,
             limits: Limits, step: float | None = None,
             limit_table: bool | int = False) -> None:
    """Refuse bad or contradictory options before anything runs."""
    from diffexplain.limits import check_order

    check_order(order, limits)
    if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float))
                             or not math.isfinite(step) or step <= 0):
        raise InputError(_("the finite-difference step must be a positive number, not "
                           "{step!r}").format(step=step))
    if not isinstance(limit_table, bool) and (
            not isinstance(limit_table, int) or not 1 <= limit_table <= 20):
        raise InputError(_("the limit table takes 1 to 20 decades, not {value!r}").format(
            value=limit_table))
    needs_torch = [name for name, on in (("--backward", backward is not None),
                                         ("--inplace", inplace is not None),
                                         ("--tensors", tensors)) if on]
    if needs_torch and not autograd:
        raise InputError(_("{option} runs torch: drop --no-autograd (autograd=False)").format(
            option=needs_torch[0]))
    if backward is not None and (isinstance(backward, bool) or not isinstance(backward, int)
                                 or not 1 <= backward <= 1000):
        raise InputError(_("--backward takes a number of passes from 1 to 1000, not "
                           "{value!r}").format(value=backward))
    if backward is not None:
        from diffexplain.limits import check_work

        check_work(backward, len(graph.nodes), N_("backward passes"), "--backward", limits)
    updates = _inplace(inplace)
    for name in updates or {}:
        if name not in graph or graph[name].op == "const":
            nodes = ", ".join(n.name for n in graph.nodes if n.op != "const")
            raise InputError(_("inplace: {name!r} is not a tensor of the graph ({nodes})").format(
                name=name, nodes=nodes))


def weighted(graph: Graph, point: Mapping[str, float], values: Sequence[float],
             wrt: Sequence[str], seeds: Mapping[int, float],
             adjoint: Mapping[str, Derivation], limits: Limits, dtype: str,
             autograd: bool) -> tuple[dict[str, Derivation], dict[str, Any]]:
    """Each output's derivation, the weighted sum per variable, and torch's cat + backward."""
    from diffexplain.lessons.outputs import torch_cat_backward, weighted_derivations

    combined, data = weighted_derivations(graph, point, values, wrt, seeds,
                                          {v: d.value for v, d in adjoint.items()}, limits)
    if autograd:
        data["torch"] = torch_cat_backward(graph, point, wrt, seeds, dtype)
    return combined, data


def collect(graph: Graph, point: Mapping[str, float], wrt: Sequence[str],
            seeds: Mapping[int, float], dtype: str, limits: Limits,
            gradient: Mapping[str, float], *, autograd: bool = True, order: int = 1,
            hessian: bool = False, backward: int | None = None, zero_grad: bool = False,
            retain_graph: bool | int = False, rebuild: bool = False,
            inplace: Mapping[str, float] | str | None = None, tensors: bool = False,
            limit_table: bool | int = False,
            torch_side: tuple[Graph, Mapping[str, Any], Sequence[str], Mapping[int, float]]
            | None = None) -> dict[str, Any]:
    """Run the lessons asked for; each becomes one key of ``Explanation.extras``.

    ``graph`` is the scalar graph (a vector graph's components); the lessons about
    torch's own tensors (``backward``, ``tensors``, ``inplace``) run on ``torch_side``
    (graph, point, wrt, seeds), the graph torch executes, when it differs.
    """
    out: dict[str, Any] = {}
    tg, tpoint, twrt, tseeds = torch_side or (graph, point, wrt, seeds)
    if order > 1:
        from diffexplain.lessons.higher import higher_order

        out["higher_order"] = {"order": order, "dtype": dtype, "variables": higher_order(
            graph, point, wrt, order, seeds, dtype, limits, autograd)}
    if hessian:
        from diffexplain.lessons.higher import hessian as hess

        out["hessian"] = hess(graph, point, wrt, seeds, dtype, limits, autograd)
    if backward is not None:
        from diffexplain.lessons.mechanics import backward_passes

        out["backward"] = backward_passes(tg, tpoint, twrt, backward, tseeds, zero_grad,
                                          retain_graph, rebuild, dtype)
    if tensors:
        from diffexplain.lessons.mechanics import tensor_table

        out["tensors"] = tensor_table(tg, tpoint, tseeds, dtype)
    updates = _inplace(inplace)
    if updates:
        from diffexplain.lessons.mechanics import inplace_experiments

        out["inplace"] = inplace_experiments(tg, tpoint, twrt, updates, tseeds, dtype)
    if limit_table is not False:
        from diffexplain.lessons.limits_table import difference_table

        decades = None if limit_table is True else int(limit_table)
        out["limit_table"] = [difference_table(graph, point, v, gradient[v], seeds, dtype,
                                               decades) for v in wrt]
    return out


def shows(graph: Graph, nodes: Sequence[Any], wrt: Sequence[str], verdict: Any, sc: Any,
              dtype: str, seeds: Mapping[int, float], tensor: Mapping[str, Any]) -> dict[str, Any]:
    """``{"structure": …}`` when the gradients of a vector input show structure (equal rows,
    an outer product, a bias, a detached factor, a diagonal Jacobian), else nothing."""
    from diffexplain.lessons.structure import detect

    if len(seeds) != 1 or any(w != 1 for w in seeds.values()):
        return {}  # a weighted sum of outputs: its gradients mix several lessons
    red = tensor.get("reduction") or {}
    objective = red.get("name") or graph.nodes[graph.outputs[0]].name
    found = detect(graph, nodes, wrt, verdict, sc, dtype, objective, red.get("jacobians"))
    return {"structure": found} if found.findings else {}
