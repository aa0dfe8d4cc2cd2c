"""The :class:`torch.overrides.TorchFunctionMode` behind :func:`~diffexplain.core.recording.record`.

Every Python-level torch call of the recorded block passes through ``__torch_function__``
here: an operation whose result requires grad becomes a record (:func:`~diffexplain.core.torchmap.map_call`
says which table entry), ``backward()``/``autograd.grad`` go to the recorder's hook, in-place
calls are followed through the version counter, and comparisons whose truth value decides an
``if``/``while`` are kept as decisions. Inside the handler torch disables the mode, so the
calls torch makes internally are not seen: one user call, one record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from diffexplain.core.torchmap import map_call

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.core.recording import Recorder

__all__ = ["mode_class"]


# --- the torch function mode ------------------------------------------------------------------
def mode_class() -> type:
    """The TorchFunctionMode subclass, made on first use so importing this module needs no torch."""
    import torch
    from torch.overrides import TorchFunctionMode

    backward_fns = {torch.Tensor.backward: "backward", torch.autograd.backward: "backward",
                    torch.autograd.grad: "grad"}
    quiet = {"__get__", "__set__", "__repr__", "__format__", "__str__", "size", "dim", "numel",
             "item", "tolist", "__len__", "_set_grad_enabled", "retain_grad",
             "__hash__", "__eq__", "__iter__", "numpy", "__array__", "zero_", "is_floating_point"}

    class _Mode(TorchFunctionMode):
        def __init__(self, rec: Recorder) -> None:
            super().__init__()
            self.rec = rec

        def __torch_function__(self, func: Any, types: Any, args: Any = (),
                               kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            rec = self.rec
            kind = backward_fns.get(func)
            if kind is not None:
                return _autograd_call(rec, func, kind, args, kwargs)
            name = getattr(func, "__name__", "")
            if name in quiet or rec.overflow:
                return func(*args, **kwargs)
            if name == "__bool__":
                out = func(*args, **kwargs)
                rec.decided(args[0], out)
                return out
            if name in _COMPARE:
                out = func(*args, **kwargs)
                if (len(args) == 2 and isinstance(out, torch.Tensor) and out.numel() == 1
                        and isinstance(args[0], torch.Tensor) and rec.tracked(args[0])
                        and args[0].numel() == 1 and (not isinstance(args[1], torch.Tensor)
                                                      or args[1].numel() == 1)):
                    rec.compared(out, args[0], _COMPARE[name], args[1])
                return out
            if (name.endswith("_") and not name.startswith("__")) or name.startswith("__i"):
                return _inplace(rec, func, name, args, kwargs)
            result = func(*args, **kwargs)
            if not isinstance(result, torch.Tensor):
                return result
            tensors = _tensor_args(args, kwargs)
            if result.requires_grad and result.grad_fn is None and not tensors:
                rec.leaf(result)  # torch.tensor(..., requires_grad=True): its line is known
                return result
            if not any(rec.tracked(t) for t in tensors):
                return result
            if not result.requires_grad and name != "detach":
                return result
            m = map_call(name, func, args, kwargs, result)
            rec.op(m, result, _call_name(func))
            rec.scan_names()  # earlier results are bound by now, and new input leaves too
            return result

    return _Mode


_COMPARE = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=",
            "__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">=", "__eq__": "==",
            "__ne__": "!=", "less": "<", "greater": ">"}


def _call_name(func: Any) -> str:
    qual = getattr(func, "__qualname__", "") or getattr(func, "__name__", "?")
    mod = getattr(func, "__module__", None) or ""
    qual = qual.replace("_VariableFunctionsClass.", "").replace("TensorBase.", "Tensor.")
    if mod.startswith("torch.nn.functional"):
        return "F." + qual
    if qual.startswith("Tensor."):
        return qual
    return f"torch.{qual}" if "." not in qual else qual


def _tensor_args(args: Sequence[Any], kwargs: dict[str, Any]) -> list[Any]:
    import torch

    out = []
    for a in (*args, *kwargs.values()):
        if isinstance(a, torch.Tensor):
            out.append(a)
        elif isinstance(a, (list, tuple)):
            out.extend(x for x in a if isinstance(x, torch.Tensor))
    return out


def _inplace(rec: Recorder, func: Any, name: str, args: Any, kwargs: Any) -> Any:
    import torch

    target = args[0] if args and isinstance(args[0], torch.Tensor) else None
    before = rec.lookup(target) if target is not None else None
    if name == "requires_grad_":
        out = func(*args, **kwargs)
        if target is not None and target.requires_grad and target.grad_fn is None:
            rec.leaf(target, previous=before)
        return out
    try:
        out = func(*args, **kwargs)
    except RuntimeError as err:
        if rec.on_inplace_error is not None and target is not None:
            rec.scan_names()
            rec.on_inplace_error(rec, name, target, err)
        raise
    if target is None or before is None:
        return out
    _file, line, src = rec.where()
    if before.kind == "leaf":
        before.modified.append((line, src))
        return out
    if target.requires_grad and torch.is_grad_enabled():  # a += 1 on an intermediate
        m = map_call(name.strip("_").removeprefix("i") if name.startswith("__i") else
                     name.rstrip("_"), func, args, kwargs, target)
        rec.op(m, target, _call_name(func))
    return out


def _autograd_call(rec: Recorder, func: Any, kind: str, args: Any, kwargs: Any) -> Any:
    import torch

    rec.scan_names()
    if rec.on_autograd is not None:
        result = rec.on_autograd(rec, func, kind, args, kwargs)
    else:
        result = func(*args, **kwargs)
    if kind == "grad" and kwargs.get("create_graph", False):
        outs = args[0] if args else kwargs.get("outputs")
        ins = args[1] if len(args) > 1 else kwargs.get("inputs")
        outs = [outs] if isinstance(outs, torch.Tensor) else list(outs)
        ins = [ins] if isinstance(ins, torch.Tensor) else list(ins)
        if len(outs) == 1:
            of = rec.rec_of(outs[0])
            for t, x in zip(result, ins):
                if isinstance(t, torch.Tensor) and t.requires_grad:
                    rec.derivative(t, of, rec.rec_of(x))
    return result
