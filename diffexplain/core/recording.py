"""Record real PyTorch code as it runs: ``with dx.record(): …`` then ``dx.explain(tensor)``.

The recorder is a :class:`torch.overrides.TorchFunctionMode`
(:mod:`diffexplain.core.torchmode`). A function mode sees every
Python-level torch call — ``torch.add``, ``Tensor.__mul__``, ``Tensor.__getitem__``,
``F.binary_cross_entropy_with_logits``, the functional call inside ``nn.Linear`` — with
its real arguments (Python numbers, ``dim=``, ``reduction=``, class targets) *before* torch
decomposes it, so each call maps 1:1 onto one entry of the operation table and its source
line is the user's line. A dispatch mode (``TorchDispatchMode``) would see the aten
decomposition instead (``BCEWithLogits`` as a dozen aten ops, ``Linear`` as ``addmm`` of a
transpose), and its frames would point inside torch. The mode also sees ``backward()``,
``torch.autograd.grad`` and in-place calls, which is what :mod:`diffexplain.runs`
hooks to explain each call while the script runs.

Each recorded tensor becomes a :class:`Rec`: a leaf (a snapshot of its value at first use,
renewed when an in-place update bumps its version), an operation of the table, an opaque
call (no rule: the graph is cut there and the op named), or a derivative returned by
``torch.autograd.grad(..., create_graph=True)``. Intermediates are named after the
variables they were assigned to, read from the calling frames' locals at the next call.
:func:`graph_of` turns the records behind one tensor into a :class:`~diffexplain.core.graph.Graph`
plus the point, which the one pipeline (:func:`diffexplain.pipeline.explain`) explains.

Recording *runs* the user's code; nothing here evaluates text.
"""

from __future__ import annotations

import linecache
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from diffexplain.core.torchmap import Mapped, canon
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["Rec", "Recorder", "canon", "find_record", "record"]

Shape = tuple[int, ...]

_SKIP_DIRS: tuple[str, ...] = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))),)


def _skip_dirs() -> tuple[str, ...]:
    global _SKIP_DIRS
    if len(_SKIP_DIRS) == 1:
        import torch

        _SKIP_DIRS = (*_SKIP_DIRS, os.path.dirname(os.path.abspath(torch.__file__)),
                      os.path.dirname(os.path.abspath(os.__file__)))
    return _SKIP_DIRS


@dataclass(eq=False)
class Rec:
    """One recorded tensor: how it was made, its value then, and where in the code."""

    seq: int
    kind: str  # "leaf", "op", "opaque", "derivative"
    op: str  # table op; for opaque the torch call; for leaves ""
    inputs: tuple[Rec | float, ...] = ()
    params: tuple[tuple[str, Any], ...] = ()
    shape: Shape = ()
    torch_shape: Shape = ()
    value: list[float] | None = None
    requires_grad: bool = False
    line: int = 0
    file: str = ""
    source: str = ""
    call: str = ""
    grad_fn: str | None = None
    name: str | None = None
    version: int = 0
    ref: Any = None  # weakref to the tensor
    order: int = 0  # derivative: which order
    of: Rec | None = None  # derivative: of which output
    wrt: tuple[Rec, ...] = ()
    modified: list[tuple[int, str]] = field(default_factory=list)  # in-place updates (line, src)
    aliases: set[str] = field(default_factory=set)  # every variable name bound to it

    def tensor(self) -> Any:
        return self.ref() if self.ref is not None else None


class Recorder:
    """Holds the records of one ``record()`` block; see the module docstring."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.records: list[Rec] = []
        self._live: dict[int, Rec] = {}
        #: called for backward()/autograd.backward/autograd.grad: (recorder, func, kind,
        #: args, kwargs) -> result; the script runner explains the call there
        self.on_autograd: Callable[..., Any] | None = None
        #: called when an in-place call raised: (recorder, name, target, error)
        self.on_inplace_error: Callable[..., Any] | None = None
        self.overflow = False
        #: if/while decisions on recorded tensors: seq (records so far), line, source,
        #: lhs, op, rhs, outcome
        self.decisions: list[dict[str, Any]] = []
        self._pending: dict[int, tuple[float, str, Any]] = {}

    # --- where in the user's code -----------------------------------------------------------
    def user_frames(self, limit: int = 8) -> list[Any]:
        skip = _skip_dirs()
        out: list[Any] = []
        f: Any = sys._getframe(1)
        while f is not None and len(out) < limit:
            fn = f.f_code.co_filename
            if not fn.startswith("<frozen") and not fn.startswith(skip):
                out.append(f)
            f = f.f_back
        return out

    def where(self) -> tuple[str, int, str]:
        frames = self.user_frames(1)
        if not frames:
            return "", 0, ""
        f = frames[0]
        return f.f_code.co_filename, f.f_lineno, linecache.getline(
            f.f_code.co_filename, f.f_lineno).strip()

    def scan_names(self) -> None:
        """Name recorded tensors after the variables now bound to them (first name wins)."""
        import torch

        for f in self.user_frames():
            for k, v in list(f.f_locals.items()):
                if k.startswith("_"):
                    continue
                if isinstance(v, torch.Tensor):
                    r = self.lookup(v)
                    if r is not None:
                        r.aliases.add(k)
                        if r.name is None:
                            r.name = k
                elif isinstance(v, torch.nn.Module) and not isinstance(v, type):
                    for pname, p in v.named_parameters():
                        r = self.lookup(p)
                        if r is not None and r.name is None:
                            r.name = pname.rsplit(".", 1)[-1]

    # --- records ----------------------------------------------------------------------------
    def lookup(self, t: Any) -> Rec | None:
        r = self._live.get(id(t))
        if r is not None and r.tensor() is t:
            return r
        return None

    def rec_of(self, t: Any) -> Rec:
        """The record of a tensor argument; a leaf snapshot if unseen or changed in place."""
        r = self.lookup(t)
        if r is not None and (r.kind != "leaf" or r.version == t._version):
            return r
        return self.leaf(t, previous=r)

    def _bind(self, t: Any, r: Rec) -> None:
        key = id(t)
        if key not in self._live:
            weakref.finalize(t, self._live.pop, key, None)
        self._live[key] = r
        r.ref = weakref.ref(t)

    def _new(self, **kw: Any) -> Rec:
        if len(self.records) >= self.limits.max_nodes:
            self.overflow = True  # from here on nothing is recorded: see graph_of
            kw["kind"] = "overflow"
        r = Rec(seq=len(self.records), **kw)
        if not self.overflow:
            self.records.append(r)
        return r

    def leaf(self, t: Any, previous: Rec | None = None) -> Rec:
        file, line, src = self.where()
        r = self._new(kind="leaf", op="", shape=canon(t.shape), torch_shape=tuple(t.shape),
                      value=_values(t, self.limits), requires_grad=bool(t.requires_grad),
                      line=line, file=file, source=src, version=int(t._version),
                      name=previous.name if previous is not None else None)
        self._bind(t, r)
        return r

    def op(self, m: Mapped, result: Any, call: str) -> Rec:
        file, line, src = self.where()
        ins = tuple(self._arg(a, call, (file, line, src)) for a in m.args)
        shape = canon(result.shape)
        kind = "op" if m.op and len(shape) <= 2 else "opaque"
        fn = result.grad_fn
        r = self._new(kind=kind, op=m.op if kind == "op" else call, inputs=ins,
                      params=m.params, shape=shape, torch_shape=tuple(result.shape),
                      value=_values(result, self.limits),
                      requires_grad=bool(result.requires_grad), line=line, file=file,
                      source=src, call=call, grad_fn=type(fn).__name__ if fn is not None else None)
        self._bind(result, r)
        return r

    def _arg(self, a: Any, call: str, where: tuple[str, int, str]) -> Rec | float:
        import torch

        if isinstance(a, torch.Tensor):
            return self.rec_of(a)
        if isinstance(a, Mapped):  # an inner step, e.g. cat of 3 tensors = two binary cats
            return self._new(kind="op", op=a.op, inputs=tuple(self._arg(x, call, where)
                                                              for x in a.args),
                             params=a.params, shape=canon(a.shape), torch_shape=a.shape,
                             file=where[0], line=where[1], source=where[2], call=call,
                             requires_grad=True)
        return float(a)

    def derivative(self, t: Any, of: Rec, wrt: Rec) -> Rec:
        file, line, src = self.where()
        base = of.of if of.kind == "derivative" and of.of is not None else of
        order = of.order + 1 if of.kind == "derivative" else 1
        ws = (*of.wrt, wrt) if of.kind == "derivative" else (wrt,)
        fn = t.grad_fn
        r = self._new(kind="derivative", op="grad", shape=canon(t.shape),
                      torch_shape=tuple(t.shape), value=_values(t, self.limits),
                      requires_grad=bool(t.requires_grad), line=line, file=file, source=src,
                      call="torch.autograd.grad", order=order, of=base, wrt=ws,
                      grad_fn=type(fn).__name__ if fn is not None else None)
        self._bind(t, r)
        return r

    def compared(self, result: Any, lhs: Any, op: str, rhs: Any) -> None:
        """A comparison of a recorded tensor: its truth value may decide an if/while."""
        if len(self._pending) > 64:
            self._pending.clear()
        right = float(rhs.detach().reshape(-1)[0]) if hasattr(rhs, "numel") else float(rhs)
        self._pending[id(result)] = (float(lhs.detach().reshape(-1)[0]), op, right)

    def decided(self, t: Any, outcome: bool) -> None:
        """``bool(t)`` ran (an if/while): keep the decision with its line."""
        p = self._pending.pop(id(t), None)
        if p is None:
            if not self.tracked(t) or t.numel() != 1:
                return
            p = (float(t.detach().reshape(-1)[0]), "!=", 0.0)
        _file, line, src = self.where()
        self.decisions.append({"seq": len(self.records), "line": line, "source": src,
                               "lhs": p[0], "op": p[1], "rhs": p[2], "outcome": bool(outcome)})

    def tracked(self, t: Any) -> bool:
        return bool(t.requires_grad) or self.lookup(t) is not None


def _values(t: Any, limits: Limits) -> list[float] | None:
    if t.numel() > limits.max_vector or t.is_complex():
        return None
    return [float(x) for x in t.detach().reshape(-1).tolist()]


# --- the public entry points ------------------------------------------------------------------
_RECENT: list[Recorder] = []


@contextmanager
def record(limits: Limits | None = None) -> Iterator[Recorder]:
    """Record the torch operations run inside the block; explain a result with ``dx.explain``.

    >>> import torch, diffexplain as dx
    >>> with dx.record():
    ...     w = torch.tensor([1.], requires_grad=True)
    ...     x = torch.tensor([2.], requires_grad=True)
    ...     a = torch.add(w, x)
    ...     b = torch.add(w, 1)
    ...     y = torch.mul(a, b)
    >>> dx.explain(y).gradient
    {'w': 5.0, 'x': 2.0}
    """
    rec = Recorder(limits or DEFAULT_LIMITS)
    _RECENT.append(rec)
    del _RECENT[:-4]  # the last few recordings stay explainable after their block
    from diffexplain.core.torchmode import mode_class

    with mode_class()(rec):
        yield rec
    rec.scan_names()


def find_record(t: Any) -> tuple[Recorder, Rec]:
    """The recording and record of a tensor computed under :func:`record`."""
    for rec in reversed(_RECENT):
        r = rec.lookup(t)
        if r is not None:
            return rec, r
    full = next((rec for rec in reversed(_RECENT) if rec.overflow), None)
    if full is not None:
        raise LimitExceeded(_("more than {limit} tensors were recorded; recording stopped "
                              "there, so this tensor was not recorded").format(
                                  limit=full.limits.max_nodes), _("raise it with --max-nodes"))
    raise InputError(_("this tensor was not computed under diffexplain.record(): wrap the code "
                       "that computes it in `with dx.record():`"))

