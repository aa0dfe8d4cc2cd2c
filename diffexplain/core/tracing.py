"""Gradients through Python control flow: trace a function on concrete inputs.

A :class:`Traced` value carries both a number (what ``if``/``while`` decide on)
and a node of a :class:`~diffexplain.core.graph.GraphBuilder` graph, the same kind of
graph parsed text gives. Running the user's function on traced inputs records
the path actually taken (every comparison, with its source line) and builds the
graph of that path, which is then explained like any expression; torch runs the
very same function on real tensors as the automatic side.

Tracing *executes* the function: that is its purpose. Expression text is never
executed anywhere in diffexplain; only ``trace`` (API) and ``diffexplain trace
FILE.py:f`` (CLI, the user's explicit request) run Python code.

>>> def f(a):
...     b = a * 2
...     while b.norm() < 1000:
...         b = b * 2
...     return b if b.sum() > 0 else 100 * b
>>> r = record(f, {"a": 10})
>>> [(d["op"], d["outcome"]) for d in r.info["decisions"]][-2:], len(r.graph.nodes)
([('<', False), ('>', True)], 9)
"""

from __future__ import annotations

import inspect
import linecache
import math
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.core.functions import FUNCTIONS
from diffexplain.core.graph import Graph, GraphBuilder
from diffexplain.core.shapes import Shape, flatten, unflatten, vec_apply
from diffexplain.core.traceload import load_function
from diffexplain.core.tracenames import (
    SourceNames,
    decision_summary,
    describe_names,
    linear_lesson,
    name_nodes,
    record_names,
)
from diffexplain.errors import InputError
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["Decision", "Recording", "Traced", "Tracer", "fn", "load_function", "record"]


@dataclass(frozen=True)
class Decision:
    """One comparison the function made on a traced value, and where."""

    line: int
    source: str
    lhs: Any
    op: str
    rhs: Any
    outcome: bool


class Tracer:
    """Holds the graph being built and the decisions taken while the function runs."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, filename: str | None = None) -> None:
        self.b = GraphBuilder(limits)
        self.values: dict[int, tuple[Shape, list[float]]] = {}
        self.decisions: list[Decision] = []
        self.filename = filename

    def input(self, name: str, value: Any) -> Traced:
        shape, flat = flatten(value, name)
        nid = self.b.var(name)
        self.values[nid] = (shape, flat)
        return Traced(self, nid)

    def lift(self, x: Any) -> int:
        if isinstance(x, Traced):
            if x.tracer is not self:
                raise InputError(_("values from two different traces were mixed"))
            return x.node
        shape, flat = flatten(x, "constant")
        if shape:
            raise InputError(_("a list constant inside a traced function: pass it as an input"))
        nid = self.b.const(flat[0])
        self.values[nid] = ((), flat)
        return nid

    def apply(self, op: str, *args: Any) -> Traced:
        ids = [self.lift(a) for a in args]
        nid = self.b.op(op, ids)
        if nid not in self.values:
            self.values[nid] = vec_apply(op, [self.values[i] for i in ids])
        return Traced(self, nid)

    def decide(self, lhs: Traced, op: str, rhs: Any, outcome: bool) -> bool:
        frame: types.FrameType | None = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename == __file__:
            frame = frame.f_back  # pragma: no cover - defensive
        line = frame.f_lineno if frame is not None else 0
        fname = frame.f_code.co_filename if frame is not None else ""
        src = linecache.getline(fname, line).strip() if fname else ""
        right = rhs.value if isinstance(rhs, Traced) else rhs
        self.decisions.append(Decision(line, src, lhs.value, op, right, bool(outcome)))
        return bool(outcome)

    def node_of(self, value: Any) -> int | None:
        """The node of one of this trace's values (None for anything else)."""
        return value.node if isinstance(value, Traced) and value.tracer is self else None

    def build(self, out: Traced, seen: SourceNames | None = None, params: Sequence[str] = (),
              function: str = "f") -> tuple[Graph, str | None]:
        """The graph of the path taken (only nodes the output depends on), in the source's names.

        Returns the graph and a line saying which graph names are which source variables.
        """
        b = self.b
        live = [False] * len(b.nodes)
        live[out.node] = True
        for n in reversed(b.nodes):
            if live[n.id]:
                for i in n.inputs:
                    live[i] = True
        ops = [n.id for n in b.nodes if live[n.id] and not n.is_leaf]
        names, origin, _out = name_nodes(seen or SourceNames(), ops, out.node, params, function)
        nb = GraphBuilder(b.limits)
        remap: dict[int, int] = {}
        for n in b.nodes:
            if not live[n.id]:
                continue
            if n.op == "var":
                remap[n.id] = nb.var(n.name)
            elif n.op == "const":
                remap[n.id] = nb.const(n.value if n.value is not None else math.nan, n.literal)
            else:
                remap[n.id] = nb.op(n.op, [remap[i] for i in n.inputs])
                nb.name(remap[n.id], names[n.id])
        return nb.build([remap[out.node]]), describe_names(names, origin, out.node, seen)


class Traced:
    """A number (for decisions) and a graph node (for derivatives), like a tiny tensor."""

    __slots__ = ("node", "tracer")
    __array_priority__ = 1000  # numpy scalars on the left defer to us

    def __init__(self, tracer: Tracer, node: int) -> None:
        self.tracer = tracer
        self.node = node

    @property
    def value(self) -> Any:
        """The concrete value on this path: a float, or a list for a vector."""
        shape, flat = self.tracer.values[self.node]
        return unflatten(shape, flat)

    @property
    def shape(self) -> Shape:
        return self.tracer.values[self.node][0]

    def __repr__(self) -> str:
        return f"Traced({self.value!r})"

    # arithmetic builds graph nodes
    def __add__(self, o: Any) -> Traced: return self.tracer.apply("add", self, o)
    def __radd__(self, o: Any) -> Traced: return self.tracer.apply("add", o, self)
    def __sub__(self, o: Any) -> Traced: return self.tracer.apply("sub", self, o)
    def __rsub__(self, o: Any) -> Traced: return self.tracer.apply("sub", o, self)
    def __mul__(self, o: Any) -> Traced: return self.tracer.apply("mul", self, o)
    def __rmul__(self, o: Any) -> Traced: return self.tracer.apply("mul", o, self)
    def __truediv__(self, o: Any) -> Traced: return self.tracer.apply("div", self, o)
    def __rtruediv__(self, o: Any) -> Traced: return self.tracer.apply("div", o, self)
    def __pow__(self, o: Any) -> Traced: return self.tracer.apply("pow", self, o)
    def __rpow__(self, o: Any) -> Traced: return self.tracer.apply("pow", o, self)
    def __matmul__(self, o: Any) -> Traced: return self.tracer.apply("matmul", self, o)
    def __rmatmul__(self, o: Any) -> Traced: return self.tracer.apply("matmul", o, self)
    def __neg__(self) -> Traced: return self.tracer.apply("neg", self)
    def __pos__(self) -> Traced: return self
    def __abs__(self) -> Traced: return self.tracer.apply("abs", self)

    # tensor-like methods
    def sum(self) -> Traced:
        return self.tracer.apply("sum", self)

    def norm(self) -> Traced:
        """Euclidean norm √(Σx²) (for a scalar, |x|), as ``torch.Tensor.norm()``."""
        return self.tracer.apply("sqrt", self.tracer.apply("sum", self * self))

    def abs(self) -> Traced:
        return abs(self)

    def dot(self, o: Any) -> Traced:
        return self.tracer.apply("dot", self, o)

    def detach(self) -> Traced:
        return self.tracer.apply("detach", self)

    def item(self) -> float:
        """The plain number: leaves the graph (as ``tensor.item()`` does)."""
        shape, flat = self.tracer.values[self.node]
        if shape:
            raise InputError(_("item() of a vector"))
        return flat[0]

    def __float__(self) -> float:
        return self.item()

    # comparisons decide on the concrete value and are recorded
    def _cmp(self, o: Any, op: str) -> bool:
        a = self.tracer.values[self.node]
        b = self.tracer.values[o.node] if isinstance(o, Traced) else flatten(o, "operand")
        if a[0] or b[0]:
            raise InputError(_("comparison {op} of a vector is ambiguous: reduce it first "
                               "(.sum(), .norm())").format(op=op))
        x, y = a[1][0], b[1][0]
        res = {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
        return self.tracer.decide(self, op, o, res)

    def __lt__(self, o: Any) -> bool: return self._cmp(o, "<")
    def __le__(self, o: Any) -> bool: return self._cmp(o, "<=")
    def __gt__(self, o: Any) -> bool: return self._cmp(o, ">")
    def __ge__(self, o: Any) -> bool: return self._cmp(o, ">=")

    def __bool__(self) -> bool:
        shape, flat = self.tracer.values[self.node]
        if shape:
            raise InputError(_("the truth value of a vector is ambiguous"))
        return self.tracer.decide(self, "!=", 0, flat[0] != 0)

    __hash__ = object.__hash__

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        """``torch.sin(traced)``: torch cannot record on diffexplain's graph; name the fix."""
        name = getattr(func, "__name__", str(func))
        if name in FUNCTIONS:
            raise InputError(_("torch.{name} was called on a traced value: inside a traced "
                               "function write dx.fn.{name}(…) (import diffexplain as dx), "
                               "which records it on the graph").format(name=name))
        raise InputError(_("torch.{name} was called on a traced value, which diffexplain "
                           "cannot record; the traced functions are dx.fn.{functions}").format(
                               name=name, functions=", dx.fn.".join(sorted(FUNCTIONS))))


class _Namespace:
    """``diffexplain.fn.sin(x)`` works on traced values, torch tensors and plain numbers."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name not in FUNCTIONS:
            raise AttributeError(_("diffexplain.fn has no function {name!r}; the functions "
                                   "are: {functions}").format(
                                       name=name, functions=", ".join(sorted(FUNCTIONS))))
        table = FUNCTIONS[name]

        def call(*args: Any) -> Any:
            if any(isinstance(a, Traced) for a in args):
                tracer = next(a for a in args if isinstance(a, Traced)).tracer
                return tracer.apply(table.name, *args)
            if any(type(a).__module__.startswith("torch") for a in args):
                import torch

                targs = [a if isinstance(a, torch.Tensor) else torch.tensor(float(a))
                         for a in args]
                return table.torch(torch, *targs)
            return table.math(math, *(float(a) for a in args))

        call.__name__ = name
        return call

    def __dir__(self) -> list[str]:
        return sorted(FUNCTIONS)


fn = _Namespace()


@dataclass(frozen=True)
class Recording:
    """The graph of the path ``f`` took, its point, and what the trace saw (decisions, torch)."""

    graph: Graph
    point: dict[str, Any]
    wrt: list[str]
    expression: str
    info: dict[str, Any]


def record(f: Callable[..., Any], at: Mapping[str, Any] | str, *,
           wrt: Sequence[str] | str | None = None, dtype: str = "float64",
           autograd: bool = True, limits: Limits | None = None) -> Recording:
    """Run ``f`` on traced inputs and record the graph of the path taken.

    ``f`` may use arithmetic, comparisons, ``if``/``while``, ``abs()``, ``.sum()``,
    ``.norm()``, ``.detach()``, ``@`` and :data:`fn` (``fn.sin``, …); ``at`` gives its
    inputs (``{"a": 10}`` or ``"a=10"``, vectors as lists). With ``autograd`` torch also
    runs ``f`` itself on tensors (``info["torch_function"]``). The explanation is made by
    :func:`diffexplain.pipeline.trace`, like any other graph's.
    """
    from diffexplain.core.points import parse_point

    limits = limits or DEFAULT_LIMITS
    if isinstance(at, str):
        at = parse_point(at, limits=limits)
    at = dict(at)
    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        raise InputError(_("cannot read the parameters of {f!r}").format(f=f)) from None
    check_arguments(f, params, at)
    tracer = Tracer(limits)
    inputs = [tracer.input(p, at[p]) for p in params]
    with record_names(f, tracer.node_of) as seen:  # the learner's own variable names
        out = _run_user(f, inputs)
    if not isinstance(out, Traced):
        raise InputError(_("{function} returned {value!r}, which does not "
                           "depend on its inputs: nothing to differentiate").format(
                               function=getattr(f, "__name__", "f"), value=out))
    graph, named = tracer.build(out, seen, params, getattr(f, "__name__", "f"))
    if isinstance(wrt, str):
        wrt = [w.strip() for w in wrt.split(",") if w.strip()]
    name = getattr(f, "__qualname__", getattr(f, "__name__", "f"))
    info: dict[str, Any] = {
        "function": f"{name}({', '.join(params)})",
        "decisions": [{"line": d.line, "source": d.source, "lhs": d.lhs, "op": d.op,
                       "rhs": d.rhs, "outcome": d.outcome} for d in tracer.decisions],
        "summary": [*([named] if named else []), *decision_summary(tracer.decisions),
                    *filter(None, [linear_lesson(graph, at)])],
        "graph_nodes": len(graph.nodes),
    }
    if autograd:
        info["torch_function"] = _torch_run(f, params, at, wrt or params, dtype)
    expression = " ; ".join(f"{n.name} = {graph.describe(n)}" for n in graph.nodes
                            if not n.is_leaf)
    return Recording(graph, {p: at[p] for p in params if p in graph.variables},
                     [w for w in (wrt or params) if w in graph.variables],
                     f"{name}: {expression}", info)


def _run_user(f: Callable[..., Any], args: Sequence[Any]) -> Any:
    try:
        return f(*args)
    except InputError:
        raise
    except Exception as err:  # the user's own code failed: report it as input
        raise InputError(_("{function} raised {error}: {message}").format(
            function=getattr(f, "__name__", "f"), error=type(err).__name__,
            message=err)) from err


def _torch_run(f: Callable[..., Any], params: Sequence[str], at: Mapping[str, Any],
               wrt: Sequence[str], dtype: str) -> dict[str, Any]:
    """The same function on real tensors: value, grad_fn and ``.grad`` per input."""
    import torch

    dt = getattr(torch, dtype)
    tens = {p: torch.tensor(unflatten(*flatten(at[p], p)), dtype=dt, requires_grad=p in wrt)
            for p in params}
    out = _run_user(f, [tens[p] for p in params])
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        return {"value": out.tolist() if isinstance(out, torch.Tensor) else out,
                "grad_fn": None, "grad": {}}
    out.backward(torch.ones_like(out))
    return {"value": out.detach().tolist(),
            "grad_fn": type(out.grad_fn).__name__ if out.grad_fn is not None else None,
            "grad": {p: _grad_list(tens[p]) for p in params if p in wrt}}


def _grad_list(t: Any) -> Any:
    """A leaf's ``.grad`` as a list (0.0 when the output never reached it)."""
    return t.grad.tolist() if t.grad is not None else 0.0


def check_arguments(f: Any, params: Sequence[str], at: Mapping[str, Any]) -> None:
    """Every parameter of ``f`` has a value in ``at``, and ``at`` names no other."""
    missing = [p for p in params if p not in at]
    if missing:
        raise InputError(_("no value for {name!r}; {function} takes {params}").format(
            name=missing[0], function=getattr(f, "__name__", "f"), params=", ".join(params)))
    unknown = [k for k in at if k not in params]
    if unknown:
        raise InputError(_("{function} has no parameter {name!r}").format(
            function=getattr(f, "__name__", "f"), name=unknown[0]))
