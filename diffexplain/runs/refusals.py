"""Why torch refused a call of the script: which check, which tensor, which line.

Torch's own message is always shown as it is; these lines add what the recording
knows: the earlier ``backward`` that freed the graph (``retain_graph``), the leaf that
was changed in place and the node that saved it (the version counter), or the leaf
rule for in-place updates, with the nodes that did or did not save the leaf (E5).
"""

from __future__ import annotations

from typing import Any

from diffexplain.i18n import _
from diffexplain.methods.autograd import saved_slots

__all__ = ["explain_error", "explain_inplace", "saved_by"]


def saved_by(rec: Any, target: Any) -> list[tuple[str, str, str]]:
    """The recorded nodes whose ``grad_fn`` saved ``target`` itself: (name, grad_fn, line)."""
    out = []
    for r in rec.records:
        if r.kind != "op" or not any(getattr(i, "ref", None) is not None and i.tensor() is target
                                     for i in r.inputs):
            continue
        t = r.tensor()
        fn = getattr(t, "grad_fn", None)
        if fn is None:
            continue
        for slot_name, v in saved_slots(fn):
            if isinstance(v, RuntimeError):  # a saved tensor changed since: the version check
                slot = {"self": 0, "other": 1}.get(slot_name)
                ins = [i for i in r.inputs if getattr(i, "ref", None) is not None]
                if "inplace" in str(v) and (slot is None or (
                        slot < len(r.inputs) and getattr(r.inputs[slot], "ref", None)
                        is not None and r.inputs[slot].tensor() is target)) and ins:
                    out.append((r.name or "?", type(fn).__name__, f"{r.line}: {r.source}"))
                    break
                continue
            if v is target or (hasattr(v, "data_ptr") and hasattr(v, "shape")
                               and v.shape == target.shape and v.numel()
                               and v.data_ptr() == target.data_ptr()):
                out.append((r.name or "?", type(fn).__name__, f"{r.line}: {r.source}"))
                break
    return out


def explain_inplace(rec: Any, target: Any) -> list[str]:
    """The leaf rule: no in-place update of a leaf that requires grad while grad mode is on."""
    r = rec.lookup(target)
    name = (r.name if r is not None else None) or _("the tensor")
    lines = []
    if target.is_leaf and target.requires_grad:
        lines.append(_("{name} is a leaf that requires grad: torch refuses every in-place "
                       "update of such a leaf while gradients are recorded, whether or not a "
                       "graph uses it yet (even a fresh leaf raises the same error).").format(
                           name=name))
        lines.append(_("To change it, update it inside `with torch.no_grad():` (as optimizers "
                       "do). Whether a later backward still works then depends on a different "
                       "check: did a node save {name} itself?").format(name=name))
        saved = saved_by(rec, target)
        if saved:
            for node, fn, where in saved:
                lines.append(_("{node} ({grad_fn}, line {where}) saved {name}: after an update "
                               "its backward raises the version-counter error").format(
                                   node=node, grad_fn=fn, where=where, name=name))
        else:
            lines.append(_("No recorded node saved {name} itself (they saved other tensors), "
                           "so after a no_grad update backward would still run, with the "
                           "values saved when the graph was built.").format(name=name))
    else:
        lines.append(_("torch refused this in-place update of {name}; its message says "
                       "why.").format(name=name))
    return lines


def explain_error(err: RuntimeError, rec: Any, recorded: Any,
                  freed_by: dict[int, tuple[int, int, str]]) -> list[str]:
    """Reasons for a failed backward/grad call, from what the recording knows."""
    msg = str(err)
    lines: list[str] = []
    if "second time" in msg and recorded is not None:
        hits = sorted({freed_by[id(r)] for r in recorded.ops if id(r) in freed_by})
        for call, line, src in hits[:1]:
            lines.append(_("The graph was freed by call {call} (line {line}: `{source}`), "
                           "which ran without retain_graph=True: backward releases the saved "
                           "tensors as it goes. Pass retain_graph=True to every backward but "
                           "the last, or compute the output again.").format(
                               call=call, line=line, source=src))
    elif "modified by an inplace operation" in msg and recorded is not None:
        for name, r in recorded.leaves:
            t = r.tensor()
            if t is None or t._version == r.version:
                continue
            where = "; ".join(f"line {ln}: `{s}`" for ln, s in r.modified) or "?"
            lines.append(_("{name} was changed in place after the graph was built ({where}): "
                           "its version went from {old} to {new}.").format(
                               name=name, where=where, old=r.version, new=t._version))
            for node, fn, at in saved_by(rec, t):
                lines.append(_("{node} ({grad_fn}, line {where}) saved {name} for backward, "
                               "so the saved value is stale and torch refuses to use it.").format(
                                   node=node, grad_fn=fn, where=at, name=name))
    elif "does not require grad" in msg:
        lines.append(_("No input of this output requires grad: create the leaves with "
                       "requires_grad=True (or call .requires_grad_()) before computing it."))
    elif "only for scalar outputs" in msg:
        lines.append(_("backward() without gradient= needs a scalar output; for a vector y "
                       "pass gradient=torch.ones_like(y) (the vector-Jacobian product) or "
                       "call y.sum().backward()."))
    return lines
