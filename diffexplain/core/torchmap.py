"""Which torch call is which entry of the operation table, with its arguments and parameters.

:func:`map_call` reads one call the recorder saw (its Python name, real arguments and
result) and returns the table operation, the inputs in the table's order (tensors or
Python numbers) and the parameters the entry needs (``dim``, the selected positions of an
index, a target shape, class targets, a reduction). A call it has no rule for, or a
variant it cannot represent exactly (``add`` with ``alpha``, ``sum(dim=…)``, a weighted
loss), maps to ``op=None``: the recorder keeps it as an opaque node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["COVERED", "Mapped", "canon", "map_call"]


def canon(shape: Sequence[int]) -> tuple[int, ...]:
    """A one-entry tensor is explained as a scalar (the notes' ``torch.tensor([1.])``)."""
    n = 1
    for d in shape:
        n *= int(d)
    return () if n == 1 else tuple(int(d) for d in shape)


@dataclass(frozen=True)
class Mapped:
    """A call as the table sees it (``op=None``: no rule, an opaque node)."""

    op: str | None
    args: tuple[Any, ...]
    params: tuple[tuple[str, Any], ...] = ()
    shape: tuple[int, ...] = ()


_BINARY = {
    "add": "add", "__add__": "add", "__radd__": "add", "__iadd__": "add",
    "sub": "sub", "__sub__": "sub", "__isub__": "sub", "subtract": "sub",
    "mul": "mul", "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul", "multiply": "mul",
    "div": "div", "true_divide": "div", "divide": "div", "__truediv__": "div",
    "__itruediv__": "div", "__div__": "div",
    "pow": "pow", "__pow__": "pow", "__ipow__": "pow", "float_power": "pow",
    "matmul": "matmul", "__matmul__": "matmul", "mm": "matmul", "mv": "matmul",
    "dot": "dot", "inner": "dot",
}
_SWAPPED = {"__rsub__": "sub", "rsub": "sub", "__rtruediv__": "div", "__rdiv__": "div",
            "__rpow__": "pow", "__rmatmul__": "matmul"}
_UNARY = {
    "exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh",
    "sigmoid": "sigmoid", "relu": "relu", "abs": "abs", "__abs__": "abs", "absolute": "abs",
    "sqrt": "sqrt", "neg": "neg", "__neg__": "neg", "negative": "neg", "atan": "atan",
    "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "detach": "detach",
}
_RESHAPE = {"reshape", "view", "flatten", "ravel", "squeeze", "unsqueeze", "view_as",
            "reshape_as"}
_CAT = {"cat", "concat", "concatenate"}

#: every torch name mapped onto the table (for the docs and the closing note)
COVERED = tuple(sorted({*_BINARY, *_SWAPPED, *_UNARY, *_RESHAPE, *_CAT, "sum", "mean",
                        "__getitem__", "linear", "softplus", "binary_cross_entropy",
                        "binary_cross_entropy_with_logits", "mse_loss", "softmax",
                        "log_softmax", "cross_entropy"}))


def _opaque(args: Sequence[Any], kwargs: dict[str, Any]) -> Mapped:
    import torch

    ts = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
    for a in args:
        if isinstance(a, (list, tuple)):
            ts.extend(x for x in a if isinstance(x, torch.Tensor))
    return Mapped(None, tuple(ts))


def _arg(args: Sequence[Any], kwargs: dict[str, Any], k: int, key: str, default: Any) -> Any:
    return args[k] if len(args) > k else kwargs.get(key, default)


def _number_or_tensor(x: Any) -> bool:
    import torch

    return isinstance(x, (torch.Tensor, int, float)) and not isinstance(x, bool)


def map_call(name: str, func: Any, args: Sequence[Any], kwargs: dict[str, Any],
             result: Any) -> Mapped:
    """The table operation behind one torch call (see the module docstring)."""
    import torch

    args = tuple(args)
    if name in _BINARY or name in _SWAPPED:
        if len(args) < 2 or not all(_number_or_tensor(a) for a in args[:2]):
            return _opaque(args, kwargs)
        if name in ("add", "sub") and _arg(args, kwargs, 2, "alpha", 1) != 1:
            return _opaque(args, kwargs)
        if name == "div" and kwargs.get("rounding_mode") is not None:
            return _opaque(args, kwargs)
        if name in _SWAPPED:
            return Mapped(_SWAPPED[name], (args[1], args[0]))
        return Mapped(_BINARY[name], args[:2])
    if name in _UNARY:
        if len(args) != 1 or kwargs.get("inplace"):
            return _opaque(args, kwargs)
        return Mapped(_UNARY[name], args)
    if name == "softplus":
        if _arg(args, kwargs, 1, "beta", 1) != 1 or _arg(args, kwargs, 2, "threshold", 20) != 20:
            return _opaque(args, kwargs)
        return Mapped("softplus", args[:1])
    if name in ("sum", "mean"):
        if len(args) != 1 or kwargs.get("dim") is not None:
            return _opaque(args, kwargs)
        return Mapped(name, args)
    x = args[0] if args else None
    if name in _RESHAPE and isinstance(x, torch.Tensor):
        shape = canon(result.shape)
        return Mapped("reshape", (x,), (("shape", shape),))
    if name == "__getitem__" and isinstance(x, torch.Tensor):
        return _index(x, args[1], result)
    if name in _CAT:
        return _cat(args, kwargs)
    if name == "linear":
        w = _arg(args, kwargs, 1, "weight", None)
        b = _arg(args, kwargs, 2, "bias", None)
        if not isinstance(w, torch.Tensor) or w.dim() != 2:
            return _opaque(args, kwargs)
        return Mapped("linear", (x, w, 0.0 if b is None else b))
    if name in ("softmax", "log_softmax"):
        dim = _arg(args, kwargs, 1, "dim", None)
        if dim is None or not isinstance(x, torch.Tensor) or x.dim() > 2:
            return _opaque(args, kwargs)
        nd = len(canon(x.shape))
        dim = 0 if nd == 0 else (int(dim) % x.dim() if x.dim() == nd else -1)
        return Mapped(name, (x,), (("dim", dim),))
    if name in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss"):
        return _loss(name, args, kwargs)
    if name == "cross_entropy":
        return _cross_entropy(args, kwargs)
    return _opaque(args, kwargs)


def _reduction(kwargs: dict[str, Any]) -> str | None:
    if kwargs.get("size_average") is not None or kwargs.get("reduce") is not None:
        return None  # the deprecated spellings: kept opaque rather than guessed
    return str(kwargs.get("reduction", "mean"))


def _loss(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Mapped:
    x = args[0]
    y = _arg(args, kwargs, 1, "target", None)
    red = _reduction(kwargs)
    weighted = _arg(args, kwargs, 2, "weight", None) is not None or (
        kwargs.get("pos_weight") is not None)
    if red is None or weighted or y is None:
        return _opaque(args, kwargs)
    if name == "binary_cross_entropy_with_logits":
        if red != "mean":
            return _opaque(args, kwargs)
        return Mapped("bce_with_logits", (x, y))
    op = "bce" if name == "binary_cross_entropy" else "mse_loss"
    return Mapped(op, (x, y), (("reduction", red),))


def _cross_entropy(args: Sequence[Any], kwargs: dict[str, Any]) -> Mapped:
    import torch

    x = args[0]
    t = _arg(args, kwargs, 1, "target", None)
    red = _reduction(kwargs)
    if (red is None or not isinstance(t, torch.Tensor) or t.is_floating_point()
            or x.dim() not in (1, 2) or kwargs.get("weight") is not None
            or kwargs.get("label_smoothing", 0.0) != 0.0 or (t == -100).any()):
        return _opaque(args, kwargs)
    target = tuple(int(v) for v in t.reshape(-1).tolist())
    return Mapped("cross_entropy", (x,), (("target", target if x.dim() == 2 else target[:1]),
                                          ("reduction", red)))


def _where(idx: Any) -> str:
    import torch

    parts = idx if isinstance(idx, tuple) else (idx,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            out.append(":".join("" if v is None else str(v) for v in (p.start, p.stop))
                       + (f":{p.step}" if p.step is not None else ""))
        elif isinstance(p, torch.Tensor):
            out.append("…")
        elif p is Ellipsis:
            out.append("...")
        else:
            out.append(str(p))
    return ", ".join(out)


def _index(x: Any, idx: Any, result: Any) -> Mapped:
    """Any torch index, as the row-major positions it selects (so any index is one rule)."""
    import torch

    try:
        pos = torch.arange(x.numel()).reshape(x.shape)[idx].reshape(-1).tolist()
    except (IndexError, RuntimeError, TypeError):
        return Mapped(None, (x,))
    return Mapped("index", (x,), (("positions", tuple(int(p) for p in pos)),
                                  ("shape", canon(result.shape)), ("where", _where(idx))))


def _cat(args: Sequence[Any], kwargs: dict[str, Any]) -> Mapped:
    import torch

    ts = args[0] if args else kwargs.get("tensors")
    dim = int(_arg(args, kwargs, 1, "dim", 0))
    if not isinstance(ts, (list, tuple)) or len(ts) < 2 or not all(
            isinstance(t, torch.Tensor) for t in ts):
        return _opaque(args, kwargs)
    acc: Any = ts[0]
    shape_acc = tuple(ts[0].shape)
    for t in ts[1:]:
        sa, sb = shape_acc, tuple(t.shape)
        na = 1
        for d in sa:
            na *= d
        joint = torch.cat([torch.arange(na).reshape(sa),
                           torch.arange(na, na + t.numel()).reshape(sb)], dim)
        shape_acc = tuple(joint.shape)
        m = Mapped("cat", (acc, t), (("dim", dim), ("shapes", (sa, sb)),
                                     ("order", tuple(joint.reshape(-1).tolist())),
                                     ("shape", canon(shape_acc))), shape_acc)
        acc = m
    return Mapped(acc.op, acc.args, acc.params)
