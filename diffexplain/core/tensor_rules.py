"""Shape and component rules of the recorded torch operations (``tensor="rule"`` entries).

Each rule says what shape an operation gives and how each entry of its result is
built from its inputs' entries with the scalar operations of the table (``add``,
``mul``, ``exp``, ``log``, ``div``, ``bce``, …). One rule serves two passes through an
*emitter*: :func:`apply` runs it on floats (the forward values), and the component
graph (:func:`diffexplain.tensors.scalarize`) runs it on node ids, so the symbolic and
numeric sides see the same arithmetic torch does. Kept apart from the older vector
kinds so that the rules can move with them (to ``core/shapes.py`` and
``methods/components.py``) unchanged.

Shapes have at most two dimensions; a one-entry tensor is a scalar ``()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from diffexplain.errors import InputError
from diffexplain.i18n import _

__all__ = ["RULES", "Emitter", "Rule", "apply", "balanced_sum"]

Shape = tuple[int, ...]
T = TypeVar("T")


class Emitter(Protocol[T]):
    """Builds one scalar operation (``op``) or constant (``const``) of type ``T``."""

    def op(self, name: str, ins: Sequence[T]) -> T: ...
    def const(self, x: float) -> T: ...


def _size(shape: Shape) -> int:
    return math.prod(shape) if shape else 1


def balanced_sum(ids: Sequence[T], add: Callable[[T, T, bool], T]) -> T:
    """Reduce ``ids`` by ``add(left, right, is_last)`` as a balanced binary tree.

    A sequential chain ((t0 + t1) + t2) + … puts t0 n − 1 additions from the total, so
    every term's dependent nodes (what a finite difference recomputes, the chain rule's
    path) grow with n and the whole check is O(n²). The tree puts every term
    ⌊log₂ n⌋ or ⌈log₂ n⌉ additions away, so all paths have (almost) the same length. The
    left half takes the extra term, so up to three terms the order is the sequential one.
    Built with an explicit stack (post-order: left subtree, right subtree, their sum), so
    node ids stay topological and nothing recurses per term.

    >>> balanced_sum([1, 2, 3, 4, 5], lambda a, b, last: f"({a}+{b})")
    '(((1+2)+3)+(4+5))'
    """
    if len(ids) == 1:
        return ids[0]
    done: list[T] = []
    stack: list[tuple[int, int, bool]] = [(0, len(ids), False)]
    while stack:
        lo, hi, joined = stack.pop()
        if hi - lo == 1:
            done.append(ids[lo])
        elif joined:
            right = done.pop()
            done.append(add(done.pop(), right, lo == 0 and hi == len(ids)))
        else:
            mid = (lo + hi + 1) // 2
            stack += [(lo, hi, True), (mid, hi, False), (lo, mid, False)]
    return done[0]


def _total(e: Emitter[T], xs: Sequence[T]) -> T:
    return balanced_sum(xs, lambda a, b, _last: e.op("add", [a, b]))


def _reduce(e: Emitter[T], terms: list[T], reduction: str) -> list[T]:
    if reduction == "none":
        return terms
    s = _total(e, terms)
    if reduction == "sum" or len(terms) == 1:
        return [s]
    return [e.op("div", [s, e.const(float(len(terms)))])]


def _rows(shape: Shape, flat: Sequence[T], dim: int) -> list[list[T]]:
    """The groups of entries a softmax over ``dim`` normalizes (row-major positions)."""
    if len(shape) <= 1:
        return [list(flat)]
    r, c = shape
    if dim in (1, -1):
        return [list(flat[i * c:(i + 1) * c]) for i in range(r)]
    return [[flat[i * c + j] for i in range(r)] for j in range(c)]


def _unrows(shape: Shape, groups: list[list[T]], dim: int) -> list[T]:
    if len(shape) <= 1 or dim in (1, -1):
        return [x for g in groups for x in g]
    r, c = shape
    return [groups[j][i] for i in range(r) for j in range(c)]


# --- the rules ------------------------------------------------------------------------------
def _mean(p: Mapping[str, Any], ins: Sequence[tuple[Shape, list[T]]], e: Emitter[T]) -> list[T]:
    return _reduce(e, list(ins[0][1]), "mean")


def _softmax(log: bool) -> Callable[..., list[Any]]:
    def rule(p: Mapping[str, Any], ins: Sequence[tuple[Shape, list[T]]],
             e: Emitter[T]) -> list[T]:
        shape, flat = ins[0]
        if not shape:
            return [e.const(0.0 if log else 1.0)]
        dim = int(p.get("dim", -1))
        groups = []
        for g in _rows(shape, flat, dim):
            exps = [e.op("exp", [u]) for u in g]
            s = _total(e, exps)
            if log:
                lse = e.op("log", [s])
                groups.append([e.op("sub", [u, lse]) for u in g])
            else:
                groups.append([e.op("div", [x, s]) for x in exps])
        return _unrows(shape, groups, dim)
    return rule


def _pairs(ins: Sequence[tuple[Shape, list[T]]]) -> list[tuple[T, T]]:
    (sa, a), (sb, b) = ins
    n = max(len(a), len(b))
    return [(a[k if sa else 0], b[k if sb else 0]) for k in range(n)]


def _mse(p: Mapping[str, Any], ins: Sequence[tuple[Shape, list[T]]], e: Emitter[T]) -> list[T]:
    terms = [e.op("mse_loss", [a, b]) for a, b in _pairs(ins)]
    return _reduce(e, terms, str(p.get("reduction", "mean")))


def _bce(p: Mapping[str, Any], ins: Sequence[tuple[Shape, list[T]]], e: Emitter[T]) -> list[T]:
    terms = [e.op("bce", [a, b]) for a, b in _pairs(ins)]
    return _reduce(e, terms, str(p.get("reduction", "mean")))


def _cross_entropy(p: Mapping[str, Any], ins: Sequence[tuple[Shape, list[T]]],
                   e: Emitter[T]) -> list[T]:
    shape, flat = ins[0]
    target = tuple(p.get("target", (0,)))
    rows = _rows(shape, flat, -1) if len(shape) == 2 else [list(flat)]
    terms = []
    for r, t in zip(rows, target):
        lse = e.op("log", [_total(e, [e.op("exp", [u]) for u in r])])
        terms.append(e.op("sub", [lse, r[t]]))
    return _reduce(e, terms, str(p.get("reduction", "mean")))


def _cat(p: Mapping[str, Any], ins: Sequence[tuple[Shape, list[T]]], e: Emitter[T]) -> list[T]:
    joint = list(ins[0][1]) + list(ins[1][1])
    order = p.get("order") or range(len(joint))
    return [joint[k] for k in order]


def _reshape(p: Mapping[str, Any], ins: Sequence[tuple[Shape, list[T]]],
             e: Emitter[T]) -> list[T]:
    return list(ins[0][1])


def _index(p: Mapping[str, Any], ins: Sequence[tuple[Shape, list[T]]], e: Emitter[T]) -> list[T]:
    flat = ins[0][1]
    return [flat[k] for k in p.get("positions", (0,))]


def _linear(p: Mapping[str, Any], ins: Sequence[tuple[Shape, list[T]]], e: Emitter[T]) -> list[T]:
    (sx, x), (sw, w), (sb, b) = ins
    n_in = sx[-1] if sx else 1
    n_out = sw[0] if len(sw) == 2 else 1
    rows = sx[0] if len(sx) == 2 else 1
    out = []
    for r in range(rows):
        for o in range(n_out):
            terms = [e.op("mul", [x[r * n_in + i], w[o * n_in + i]]) for i in range(n_in)]
            out.append(e.op("add", [_total(e, terms), b[o if sb else 0]]))
    return out


# --- shapes -----------------------------------------------------------------------------------
def _fmt(shape: Shape) -> str:
    return "×".join(map(str, shape)) or _("scalar")


def _same(op: str, shapes: Sequence[Shape]) -> Shape:
    nonscalar = {s for s in shapes if s}
    if len(nonscalar) > 1:
        raise InputError(_("{op}: shapes {shapes} do not match{at}").format(
            op=op, shapes=_(" and ").join(_fmt(s) for s in shapes), at=""))
    return next(iter(nonscalar), ())


def _loss_shape(op: str) -> Callable[[Mapping[str, Any], Sequence[Shape]], Shape]:
    def shape(p: Mapping[str, Any], shapes: Sequence[Shape]) -> Shape:
        s = _same(op, shapes)
        return s if p.get("reduction", "mean") == "none" else ()
    return shape


def _given_shape(p: Mapping[str, Any], shapes: Sequence[Shape]) -> Shape:
    return tuple(p.get("shape", shapes[0]))


def _cat_shape(p: Mapping[str, Any], shapes: Sequence[Shape]) -> Shape:
    if "shape" in p:
        return tuple(p["shape"])
    return (sum(_size(s) for s in shapes),)


def _linear_shape(p: Mapping[str, Any], shapes: Sequence[Shape]) -> Shape:
    sx, sw, sb = shapes
    n_in = sx[-1] if sx else 1
    if len(sw) != 2 or sw[1] != n_in or (sb and sb != (sw[0],)):
        raise InputError(_("linear: shapes {x}, {w} and {b} do not fit").format(
            x=_fmt(sx), w=_fmt(sw), b=_fmt(sb)))
    out = (sx[0], sw[0]) if len(sx) == 2 else (sw[0],)
    return () if _size(out) == 1 else out


def _ce_shape(p: Mapping[str, Any], shapes: Sequence[Shape]) -> Shape:
    rows = shapes[0][0] if len(shapes[0]) == 2 else 1
    if p.get("reduction", "mean") == "none" and rows > 1:
        return (rows,)
    return ()


@dataclass(frozen=True)
class Rule(Generic[T]):
    """The result shape from the input shapes, and the entries from the input entries."""

    shape: Callable[[Mapping[str, Any], Sequence[Shape]], Shape]
    components: Callable[[Mapping[str, Any], Sequence[tuple[Shape, list[Any]]], Any], list[Any]]


RULES: dict[str, Rule[Any]] = {
    "mean": Rule(lambda p, s: (), _mean),
    "softmax": Rule(lambda p, s: s[0], _softmax(False)),
    "log_softmax": Rule(lambda p, s: s[0], _softmax(True)),
    "mse_loss": Rule(_loss_shape("mse_loss"), _mse),
    "bce": Rule(_loss_shape("bce"), _bce),
    "cross_entropy": Rule(_ce_shape, _cross_entropy),
    "cat": Rule(_cat_shape, _cat),
    "reshape": Rule(_given_shape, _reshape),
    "index": Rule(_given_shape, _index),
    "linear": Rule(_linear_shape, _linear),
}


class _Floats:
    """The float emitter: each scalar op is its table entry's float form."""

    def op(self, name: str, ins: Sequence[float]) -> float:
        from diffexplain.core.graph import op_table

        return op_table(name).math(math, *ins)

    def const(self, x: float) -> float:
        return x


def apply(op: str, params: Mapping[str, Any],
          args: Sequence[tuple[Shape, list[float]]]) -> tuple[Shape, list[float]]:
    """Float forward of one rule op on ``(shape, flat values)`` inputs."""
    rule = RULES[op]
    shape = rule.shape(params, [s for s, _v in args])
    return shape, rule.components(params, args, _Floats())
