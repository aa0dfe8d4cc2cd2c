"""Autograd mechanics run for real: accumulation, retain_graph, leaves, in-place, saved tensors.

Each function builds the graph's tensors with :func:`~diffexplain.methods.autograd.execute`
(the same nodes as every other side), does what a learner would type, and records
what torch did, including its real ``RuntimeError`` messages verbatim, with an
explanation drawn from the evidence (which backward node saved which tensor,
which pass freed the graph). Results are plain dicts for ``Explanation.extras``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.core.graph import Graph
from diffexplain.core.printing import fmt_number
from diffexplain.core.shapes import fmt_value
from diffexplain.errors import InputError
from diffexplain.i18n import _

__all__ = ["backward_passes", "inplace_experiments", "parse_inplace", "tensor_table"]


def _build(graph: Graph, point: Mapping[str, float], dtype: str,
           leaves: Mapping[str, Any] | None = None) -> list[Any]:
    """The forward pass: one tensor per node (constants stay Python numbers)."""
    from diffexplain.methods.autograd import execute

    return execute(graph, point, dtype, leaves=leaves, owned=True)  # freed output-first


def _saved_map(graph: Graph, tens: Sequence[Any]) -> dict[str, list[tuple[str, str]]]:
    """For each graph node: the backward nodes that saved its tensor, as (owner, attribute)."""
    import torch

    from diffexplain.methods.autograd import _saved, tensor_ptrs

    ptrs = tensor_ptrs(graph, tens)
    out: dict[str, list[tuple[str, str]]] = {n.name: [] for n in graph.nodes}
    for n, t in zip(graph.nodes, tens):
        if isinstance(t, torch.Tensor) and t.grad_fn is not None:
            for attr, node, _val in _saved(t.grad_fn, ptrs):
                if node is not None:
                    out[node].append((_("{grad_fn} of {node}").format(grad_fn=type(t.grad_fn).__name__,
                                                                       node=n.name), attr))
    return out


def _saved_rows(graph: Graph, tens: Sequence[Any]) -> dict[str, list[str]]:
    """For each node: what its own backward node saved, e.g. ``["self = a", "other = b"]``."""
    import torch

    from diffexplain.methods.autograd import _saved, tensor_ptrs

    ptrs = tensor_ptrs(graph, tens)
    out: dict[str, list[str]] = {}
    for n, t in zip(graph.nodes, tens):
        if isinstance(t, torch.Tensor) and t.grad_fn is not None:
            out[n.name] = [f"{attr} = {node}" if node else f"{attr} = {fmt_value(val)}"
                           for attr, node, val in _saved(t.grad_fn, ptrs)]
    return out


def _held(graph: Graph, tens: Sequence[Any]) -> str:
    """Which tensors each backward node saved, e.g. ``MulBackward0 of y saved self = a, other = b``."""
    import torch

    from diffexplain.methods.autograd import _saved, tensor_ptrs

    ptrs = tensor_ptrs(graph, tens)
    parts = []
    for n, t in zip(graph.nodes, tens):
        if isinstance(t, torch.Tensor) and t.grad_fn is not None:
            held = [f"{attr} = {node}" for attr, node, _val in _saved(t.grad_fn, ptrs) if node]
            if held:
                parts.append(_("{grad_fn} of {node} saved {tensors}").format(
                    grad_fn=type(t.grad_fn).__name__, node=n.name, tensors=", ".join(held)))
    return "; ".join(parts) or _("no node saved a tensor")


def _seeded_backward(torch: Any, tens: Sequence[Any], seeds: Mapping[int, float], dtype: str,
                     retain_graph: bool = False) -> None:
    from diffexplain.methods.autograd import seed_tensors

    if not all(isinstance(tens[o], torch.Tensor) and tens[o].requires_grad for o in seeds):
        return  # a constant output (no variable): there is nothing to differentiate
    torch.autograd.backward([tens[o] for o in seeds],
                            grad_tensors=seed_tensors(torch, tens, seeds, dtype),
                            retain_graph=retain_graph)


def _read(t: Any) -> Any:
    from diffexplain.methods.autograd import read

    return read(t)


def _graph_freed(torch: Any, tens: Sequence[Any]) -> bool | None:
    """Whether the saved tensors are gone (None: no node saved a tensor, nothing to free)."""
    from diffexplain.methods.autograd import saved_slots

    any_saved = False
    for t in tens:
        fn = getattr(t, "grad_fn", None) if isinstance(t, torch.Tensor) else None
        if fn is None:
            continue
        for _name, val in saved_slots(fn):
            if isinstance(val, RuntimeError):
                return True
            if isinstance(val, torch.Tensor):
                any_saved = True
    return False if any_saved else None


def backward_passes(graph: Graph, point: Mapping[str, float], wrt: Sequence[str], passes: int,
                    seeds: Mapping[int, float] | None = None, zero_grad: bool = False,
                    retain_graph: bool | int = False, rebuild: bool = False,
                    dtype: str = "float64") -> dict[str, Any]:
    """Call backward ``passes`` times and record every leaf's ``.grad`` after each.

    Args:
        retain_graph: ``True`` on every pass, ``False`` on none, or an int k: on the
            first k passes only (``k = 2`` with 4 passes is E2: 5, 10, 15, then the error).
        zero_grad: ``leaf.grad.zero_()`` after each pass (else gradients accumulate).
        rebuild: run the forward pass again before each pass, on the same leaves.

    >>> from diffexplain import parse
    >>> r = backward_passes(parse("(x+w)*(w+1)"), {"w": 1, "x": 2}, ["w"], 4, rebuild=True)
    >>> [p["grad"]["w"] for p in r["runs"]]
    [5.0, 10.0, 15.0, 20.0]
    """
    import torch

    if isinstance(passes, bool) or not isinstance(passes, int) or passes < 1:
        raise InputError(_("the number of backward passes must be a whole number ≥ 1, "
                           "not {value!r}").format(value=passes))
    if passes > 1000:
        raise InputError(_("{passes} backward passes: at most 1000").format(passes=passes))
    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    tens = _build(graph, point, dtype)
    leaves = {n.name: tens[n.id] for n in graph.nodes if n.op == "var"}
    saved_rows = _saved_rows(graph, tens)
    held = _held(graph, tens)
    runs: list[dict[str, Any]] = []
    error = None
    last_plain = None
    for k in range(1, passes + 1):
        rebuilt = rebuild and k > 1
        if rebuilt:
            tens = _build(graph, point, dtype, leaves)
        retain = bool(retain_graph) if isinstance(retain_graph, bool) else k <= retain_graph
        try:
            _seeded_backward(torch, tens, seeds, dtype, retain)
        except RuntimeError as err:
            error = {"pass": k, "message": str(err),
                     "why": _why_second_backward(last_plain, held)}
            runs.append({"pass": k, "retain_graph": retain, "rebuilt": rebuilt, "grad": None,
                         "zeroed": False, "freed": True, "error": str(err).split("\n")[0]})
            break
        if not retain:
            last_plain = k
        grads = {v: None if leaves[v].grad is None else _read(leaves[v].grad) for v in wrt}
        freed = _graph_freed(torch, tens)
        if zero_grad:
            for v in leaves.values():
                if v.grad is not None:
                    v.grad.zero_()
        runs.append({"pass": k, "retain_graph": retain, "rebuilt": rebuilt, "grad": grads,
                     "zeroed": zero_grad, "freed": freed, "error": None})
    return {"passes": passes, "zero_grad": zero_grad, "retain_graph": retain_graph,
            "rebuild": rebuild, "runs": runs, "error": error,
            "saved": saved_rows, "summary": _summary(runs, zero_grad, rebuild, wrt)}


def _why_second_backward(last_plain: int | None, held: str) -> str:
    return _("pass {last} ran backward without retain_graph, so torch freed the tensors "
             "the backward nodes had saved for it ({held}). A later backward "
             "through the same graph needs them, so torch refuses. Keep them with "
             "retain_graph=True on the earlier pass, or run the forward pass again to build a "
             "new graph (--rebuild).").format(last=last_plain, held=held)


def _summary(runs: Sequence[Mapping[str, Any]], zero_grad: bool, rebuild: bool,
             wrt: Sequence[str]) -> str:
    ok = [r for r in runs if r["grad"] is not None]
    if not ok:
        return _("no backward pass succeeded")
    v = wrt[0] if wrt else None
    if len(ok) == 1 and v:
        return _("{v}.grad after pass 1: {grad}").format(v=v, grad=fmt_number(ok[0]["grad"][v]))
    seq = ", ".join(fmt_number(r["grad"][v]) for r in ok) if v else ""
    if zero_grad:
        why = _(".grad was zeroed after each pass, so every pass shows one gradient")
    else:
        why = _("backward adds into .grad (it never overwrites it), so the gradients accumulate: "
                "zero them between passes (w.grad.zero_(), optimizer.zero_grad())")
    return _("{v}.grad after each pass: {grads}; {why}").format(v=v, grads=seq, why=why) if v else why


def tensor_table(graph: Graph, point: Mapping[str, float],
                 seeds: Mapping[int, float] | None = None,
                 dtype: str = "float64") -> dict[str, Any]:
    """Every node's is_leaf, requires_grad, grad_fn, what its node saved, and its .grad
    after a backward pass *without* ``retain_grad()`` (None for non-leaves, with torch's
    real UserWarning on reading it)."""
    import torch

    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    tens = _build(graph, point, dtype)
    saved = _saved_rows(graph, tens)
    saved_by = _saved_map(graph, tens)
    _seeded_backward(torch, tens, seeds, dtype)
    rows = []
    warning = None
    for n, t in zip(graph.nodes, tens):
        if n.op == "const":
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            g = t.grad
        if caught and warning is None:
            warning = str(caught[0].message)
        rows.append({
            "node": n.name, "is_leaf": bool(t.is_leaf), "requires_grad": bool(t.requires_grad),
            "grad_fn": type(t.grad_fn).__name__ if t.grad_fn is not None else None,
            "grad_kept": g is not None, "grad": None if g is None else _read(g),
            "warned": bool(caught), "saved": saved.get(n.name, []),
            "saved_by": [f"{owner} ({attr})" for owner, attr in saved_by.get(n.name, [])],
        })
    return {"rows": rows, "warning": warning,
            "note": _("a leaf keeps .grad after backward; a non-leaf keeps it only after "
                      "retain_grad() (reading it otherwise gives None and a UserWarning). Saved "
                      "tensors are what each backward node needs later: they are version-checked "
                      "and freed by a backward without retain_graph.")}


def parse_inplace(spec: str) -> dict[str, float]:
    """``"w+=1,a+=0.5"`` → ``{"w": 1.0, "a": 0.5}`` (``-=`` subtracts)."""
    from diffexplain.core.parsing import _number

    out: dict[str, float] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        for op, sign in (("+=", 1.0), ("-=", -1.0)):
            if op in part:
                name, _sep, num = part.partition(op)
                name = name.strip()
                try:
                    out[name] = sign * _number(num.strip())
                except (ValueError, OverflowError):
                    raise InputError(_("--inplace: {text!r} is not a number").format(
                        text=num.strip())) from None
                if not math.isfinite(out[name]):
                    raise InputError(_("--inplace: the amount for {name!r} must be finite").format(
                        name=name))
                if not name:
                    raise InputError(_("--inplace: {part!r} names no tensor (e.g. w+=1)").format(part=part))
                break
        else:
            raise InputError(_("--inplace: {part!r} is not NAME+=NUMBER (e.g. w+=1)").format(part=part))
    if not out:
        raise InputError(_("--inplace: nothing to update; write e.g. w+=1"))
    return out


def inplace_experiments(graph: Graph, point: Mapping[str, float], wrt: Sequence[str],
                        updates: Mapping[str, float], seeds: Mapping[int, float] | None = None,
                        dtype: str = "float64") -> list[dict[str, Any]]:
    """Update a node in place after the forward pass and record what torch does.

    A leaf gets two experiments: ``w.add_(k)`` (refused unconditionally, shown on a
    fresh leaf too) and ``with torch.no_grad(): w.add_(k)`` then backward (refused only
    if some backward node saved ``w``: the version counter). An intermediate gets
    ``a.add_(k)`` then backward.
    """
    import torch

    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    y = graph.nodes[next(iter(seeds))].name if len(seeds) == 1 else "L"
    out = []
    for name, amount in updates.items():
        if name not in graph:
            raise InputError(_("--inplace: {name!r} is not a node of the graph ({nodes})").format(
                name=name, nodes=", ".join(n.name for n in graph.nodes if n.op != "const")))
        node = graph[name]
        if node.op == "const":
            raise InputError(_("--inplace: {name!r} is a constant, not a tensor").format(name=name))
        k = fmt_number(amount)
        tens = _build(graph, point, dtype)
        saved_by = _saved_map(graph, tens)[name]
        kept = _held(graph, tens)
        holders = ", ".join(_("{owner} saved it as {attr}").format(owner=o, attr=a)
                            for o, a in saved_by)
        exp: dict[str, Any] = {"node": name, "amount": float(amount), "leaf": node.op == "var",
                               "saved_by": [f"{o} ({a})" for o, a in saved_by], "steps": []}
        if node.op == "var":
            t = tens[node.id]
            msg = _try(t.add_, amount)
            fresh = torch.tensor(point[name], dtype=getattr(torch, dtype),
                                 requires_grad=True)
            fresh_msg = _try(fresh.add_, amount)
            exp["steps"].append({
                "code": f"{name}.add_({k})", "error": msg, "result": None,
                "why": (_("torch refuses any in-place change of a leaf that requires grad, "
                          "whether or not a graph uses it: the same error on a fresh leaf "
                          "with no graph") + (_(" (checked: it raised too)") if fresh_msg == msg
                                              else _(" (a fresh leaf gave: {message})").format(
                                                  message=fresh_msg)) +
                        _(". Update leaves under torch.no_grad(), as optimizers do."))})
            tens = _build(graph, point, dtype)
            t = tens[node.id]
            before = t._version
            with torch.no_grad():
                t.add_(amount)
            code = f"with torch.no_grad(): {name}.add_({k})  # version {before} → {t._version}"
        else:
            t = tens[node.id]
            before = t._version
            t.add_(amount)
            code = f"{name}.add_({k})  # version {before} → {t._version}"
        try:
            _seeded_backward(torch, tens, seeds, dtype)
            leaves = {v: tens[graph[v].id] for v in wrt}
            grads = {v: None if leaves[v].grad is None else _read(leaves[v].grad) for v in wrt}
            why = _("no backward node saved {name} ({kept}), so the "
                    "version check has nothing to object to; the gradient is computed from the "
                    "values saved at the forward pass, i.e. at the point before the update: "
                    "a stale gradient that torch cannot detect").format(name=name, kept=kept)
            if saved_by:
                why = _("backward ran although {holders}").format(holders=holders)
            exp["steps"].append({"code": code + f"; {y}.backward()", "error": None,
                                 "result": grads, "why": why})
        except RuntimeError as err:
            exp["steps"].append({
                "code": code + f"; {y}.backward()", "error": str(err), "result": None,
                "why": _("{holders}: backward needs that value as it was in the forward "
                         "pass, and every tensor counts its in-place changes (its version). "
                         "The update raised {name}'s version from {before} to {after}, so "
                         "the saved copy is stale and torch refuses instead of returning a "
                         "wrong gradient.").format(holders=holders, name=name, before=before,
                                                   after=before + 1)})
        out.append(exp)
    return out


def _try(fn: Any, *args: Any) -> str | None:
    try:
        fn(*args)
    except RuntimeError as err:
        return str(err)
    return None
