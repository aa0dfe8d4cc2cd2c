"""Shapes of values: scalars, vectors and matrices as ``(shape, flat list)``, and shape rules.

A value is a float (shape ``()``), a list (shape ``(n,)``) or a list of rows (shape
``(m, n)``). Every stage keeps the flat row-major form; :func:`unflatten` gives the
nested lists people and torch read. :func:`out_shape` is the one shape rule per
operation, :func:`vec_apply` the float forward of one operation on shaped values
(the tracer's numbers for ``if``/``while``), and :func:`fmt_value` how renderers
write a value: short vectors in full, long ones by shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.core.floats import fsum
from diffexplain.core.graph import Graph, op_table
from diffexplain.core.printing import fmt_number
from diffexplain.errors import InputError
from diffexplain.i18n import _

__all__ = [
    "Shape",
    "flatten",
    "fmt_shape",
    "fmt_value",
    "needs_tensors",
    "out_shape",
    "size",
    "unflatten",
    "vec_apply",
]

Shape = tuple[int, ...]

#: values with at most this many entries are written out in full by :func:`fmt_value`
SHORT_VALUE = 8


# --- values: nested lists <-> (shape, flat list) ------------------------------------------
def flatten(value: Any, name: str = "value") -> tuple[Shape, list[float]]:
    """A number, (nested) list, numpy array or torch tensor as ``(shape, flat floats)``."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
    if isinstance(value, bool):
        raise InputError(_("the value of {name!r} is not a number: {value!r}").format(
            name=name, value=value))
    if isinstance(value, (int, float)):
        return (), [float(value)]
    if not isinstance(value, (list, tuple)) or not value:
        raise InputError(_("the value of {name!r} is not a number or a non-empty list: "
                           "{value}").format(name=name, value=repr(value)[:200]))
    parts = [flatten(v, name) for v in value]
    inner = parts[0][0]
    if any(p[0] != inner for p in parts):
        raise InputError(_("the rows of {name!r} have different lengths").format(name=name))
    if len(inner) > 1:
        raise InputError(_("{name!r} has more than 2 dimensions; vectors and matrices only").format(
            name=name))
    return (len(parts), *inner), [x for p in parts for x in p[1]]


def unflatten(shape: Shape, flat: Sequence[Any]) -> Any:
    """The inverse of :func:`flatten`: a float, a list, or a list of rows."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    cols = shape[1]
    return [list(flat[r * cols:(r + 1) * cols]) for r in range(shape[0])]


def size(shape: Shape) -> int:
    """Number of entries of a value of this shape (1 for a scalar)."""
    return math.prod(shape) if shape else 1


def fmt_shape(shape: Shape) -> str:
    return _("scalar") if not shape else "×".join(map(str, shape))


def _shape_of(value: Any) -> Shape:
    if not isinstance(value, (list, tuple)):
        return ()
    if value and isinstance(value[0], (list, tuple)):
        return (len(value), len(value[0]))
    return (len(value),)


def fmt_value(value: Any, digits: int = 6) -> str:
    """A value as renderers show it: ``5``, ``[0, 1, 4, 9]``, or ``5×3 [1, 2, 3, …]`` when long.

    >>> fmt_value([[1.0, 2.0, 3.0]] * 5)
    '5×3 [1, 2, 3, …]'
    """
    shape = _shape_of(value)
    if size(shape) <= SHORT_VALUE:
        return fmt_number(value, digits)
    flat = [x for row in value for x in row] if len(shape) == 2 else list(value)
    head = ", ".join(fmt_number(x, digits) for x in flat[:3])
    return f"{fmt_shape(shape)} [{head}, …]"


# --- shape rules ----------------------------------------------------------------------------
def out_shape(op: str, shapes: Sequence[Shape], where: str = "",
              params: Sequence[tuple[str, Any]] = ()) -> Shape:
    """The result shape of ``op`` on inputs of these shapes; InputError if they do not fit."""
    kind = op_table(op).tensor
    if kind == "rule":  # recorded torch ops: diffexplain.core.tensor_rules
        from diffexplain.core.tensor_rules import RULES

        return RULES[op].shape(dict(params), shapes)
    at = _(" in {where}").format(where=where) if where else ""
    if kind in ("", "detach", "bce"):
        nonscalar = {s for s in shapes if s}
        if len(nonscalar) > 1:
            raise InputError(_("{op}: shapes {shapes} do not match{at}").format(
                op=op, shapes=_(" and ").join(fmt_shape(s) for s in shapes), at=at))
        if kind == "bce":
            return ()
        return next(iter(nonscalar), ())
    if kind == "sum":
        return ()
    if kind == "dot":
        a, b = shapes
        if len(a) != 1 or a != b:
            raise InputError(_("dot needs two vectors of the same length, got "
                               "{a} and {b}{at}").format(a=fmt_shape(a), b=fmt_shape(b), at=at))
        return ()
    if kind == "matmul":
        a, b = shapes
        if not a or not b:
            return a or b
        if a[-1] != b[0]:
            raise InputError(_("@: shapes {a} and {b} do not fit ({m} ≠ {n}){at}").format(
                a=fmt_shape(a), b=fmt_shape(b), m=a[-1], n=b[0], at=at))
        return a[:-1] + b[1:]
    raise NotImplementedError(f"no shape rule for {op!r}")  # pragma: no cover


def pick(shape: Shape, k: int) -> int:
    """Index of the component of an input that meets output component ``k`` (broadcast)."""
    return 0 if not shape else k


def matmul_index(a: Shape, b: Shape) -> tuple[int, int, int, Any, Any]:
    """(rows, inner, cols, index into a, index into b) with vectors as 1-row/1-col matrices."""
    rows = a[0] if len(a) == 2 else 1
    inner = a[-1]
    cols = b[1] if len(b) == 2 else 1

    def ia(r: int, i: int) -> int:
        return r * inner + i if len(a) == 2 else i

    def ib(i: int, c: int) -> int:
        return i * cols + c if len(b) == 2 else i

    return rows, inner, cols, ia, ib


def vec_apply(op: str, args: Sequence[tuple[Shape, list[float]]],
              params: Sequence[tuple[str, Any]] = ()) -> tuple[Shape, list[float]]:
    """Float forward of one op on shaped values (the tracer's numbers for if/while)."""
    fn = op_table(op)
    if fn.tensor == "rule":
        from diffexplain.core.tensor_rules import apply

        return apply(op, dict(params), args)
    shapes = [s for s, _v in args]
    shape = out_shape(op, shapes)
    kind = fn.tensor
    if kind in ("", "detach"):
        n = size(shape)
        return shape, [fn.math(math, *(v[pick(s, k)] for s, v in args)) for k in range(n)]
    if kind == "sum":
        return (), [fsum(args[0][1])]
    if kind == "dot":
        return (), [fsum(a * b for a, b in zip(args[0][1], args[1][1]))]
    if kind == "bce":
        (sz, z), (sy, y) = args
        n = max(len(z), len(y))
        return (), [fsum(fn.math(math, z[pick(sz, k)], y[pick(sy, k)])
                              for k in range(n)) / n]
    (sa, a), (sb, b) = args
    if not sa or not sb:
        return vec_apply("mul", args)
    rows, inner, cols, ia, ib = matmul_index(sa, sb)
    return shape, [fsum(a[ia(r, i)] * b[ib(i, c)] for i in range(inner))
                   for r in range(rows) for c in range(cols)]


def needs_tensors(graph: Graph, at: Mapping[str, Any] | None) -> bool:
    """Whether the graph must be expanded into components: a non-scalar value or a tensor op."""
    for v in (at or {}).values():
        if isinstance(v, (list, tuple)) or (hasattr(v, "shape") and tuple(v.shape)):
            return True
    return any(op_table(op).tensor for op in graph.ops)
