"""``diffexplain run lesson.py``: run a PyTorch script and explain each autograd call in it.

The script runs as ``python lesson.py`` would (``runpy``, ``__name__ == "__main__"``)
under :func:`~diffexplain.core.recording.record`. At every ``backward()``,
``torch.autograd.backward`` and ``torch.autograd.grad`` the recorder hands the call here
first: the graph behind the tensor is explained by the one pipeline
(:func:`~diffexplain.pipeline.explain_recorded`) with the call's own ``gradient=``,
``inputs`` and ``create_graph`` (a derivative tensor is explained one order higher), then
torch runs the call itself, and what it did is reported: each leaf's ``.grad`` before and
after (accumulation), the graph kept or freed (``retain_graph``), the returned gradients
and their ``grad_fn``. When torch refuses a call or an in-place update, its own message is
shown with the reason (:mod:`diffexplain.runs.refusals`) and the error goes on to
the script, as it would without diffexplain. The script's own prints appear in between.

Running a script executes it with the user's permissions: that is the point of ``run``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diffexplain.errors import DiffexplainError, InputError
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["CallEvent", "Printed", "ScriptRun", "run_script", "trace_torch", "uses_torch"]


@dataclass(frozen=True)
class CallEvent:
    """One autograd call of the script (or a refused in-place update), explained."""

    index: int
    kind: str  # "backward", "grad" or "inplace"
    file: str
    line: int
    source: str
    options: dict[str, Any]
    explanation: Any = None  # diffexplain.model.Explanation
    same_as: int | None = None
    not_explained: str | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    returned: dict[str, Any] = field(default_factory=dict)
    freed: bool = False
    error: str | None = None
    why: tuple[str, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Printed:
    """Text the script printed (kept for the JSON output; the terminal shows it live)."""

    text: str


@dataclass(frozen=True)
class ScriptRun:
    path: str
    events: tuple[CallEvent | Printed, ...]
    error: str | None = None
    #: calls that ran fine after --max-calls was reached (not reported one by one)
    skipped: int = 0
    #: the class name of the exception the script raised (``error`` is its one line)
    error_type: str | None = None
    #: an internal error of diffexplain while explaining a call (a bug; the script ran on)
    internal: str | None = None


def _flat(t: Any) -> Any:
    """A tensor's value as the explanation shows it: a float for one entry, else lists."""
    if t is None:
        return None
    v = t.detach()
    return float(v.reshape(-1)[0]) if v.numel() == 1 else v.tolist()


class _Runner:
    def __init__(self, path: str, lang: str | None, limits: Limits, dtype: str,
                 emit: Callable[[CallEvent | Printed], None], max_calls: int) -> None:
        self.max_calls = max_calls
        self.explained = 0
        self.skipped = 0
        self._over = False
        self.internal: str | None = None  # the first internal error (the CLI exits 4)
        self.path = path
        self.lang = lang
        self.limits = limits
        self.dtype = dtype
        self.emit = emit
        self.events: list[CallEvent | Printed] = []
        self.count = 0
        self.signatures: dict[Any, int] = {}
        self.summaries: dict[int, dict[str, Any]] = {}
        self.freed_by: dict[int, tuple[int, int, str]] = {}  # id(op rec) -> (call, line, src)

    def _push(self, ev: CallEvent | Printed) -> None:
        self.events.append(ev)
        self.emit(ev)

    # --- the hooks ----------------------------------------------------------------------------
    def on_autograd(self, rec: Any, func: Any, kind: str, args: Sequence[Any],
                    kwargs: Mapping[str, Any]) -> Any:
        from diffexplain.runs.refusals import explain_error

        self.count += 1
        call = _parse_call(func, kind, args, kwargs)
        file, line, src = rec.where()
        options = {k: v for k, v in call.items() if k in ("retain_graph", "create_graph")
                   and v}
        if call["gradient"] is not None and any(g is not None for g in call["gradient"]):
            grads = [_flat(g) for g in call["gradient"]]
            options["gradient"] = grads[0] if len(grads) == 1 else grads
        self._over = False
        recorded, explanation, same_as, why_not = self._explain(rec, call)
        leaves = list(recorded.leaves) if recorded is not None else []
        before = {n: _flat(r.tensor().grad) for n, r in leaves if r.tensor() is not None}
        base = dict(index=self.count, kind=kind, file=file, line=line, source=src,
                    options=options, explanation=explanation, same_as=same_as,
                    not_explained=why_not, before=before,
                    summary=_summary(explanation) if same_as is None else
                    self.summaries.get(same_as, {}))
        if explanation is not None:
            self.summaries[self.count] = base["summary"]
        try:
            result = func(*args, **kwargs)
        except RuntimeError as err:
            self._push(CallEvent(**base, error=str(err).strip(),
                                 why=tuple(explain_error(err, rec, recorded, self.freed_by))))
            raise
        after = {n: _flat(r.tensor().grad) for n, r in leaves if r.tensor() is not None}
        returned: dict[str, Any] = {}
        if kind == "grad":
            names = [_name_in_frames(rec, t) or f"inputs[{k}]"
                     for k, t in enumerate(call["inputs"])]
            returned = {n: {"value": _flat(g), "grad_fn": type(g.grad_fn).__name__
                            if g is not None and g.grad_fn is not None else None}
                        for n, g in zip(names, result)}
        keep = call["retain_graph"] if call["retain_graph"] is not None else call["create_graph"]
        freed = not keep and recorded is not None
        if freed:
            for r in recorded.ops:
                self.freed_by.setdefault(id(r), (self.count, line, src))
        if self._over:  # past --max-calls: counted, not reported (a failure still is)
            self.skipped += 1
            return result
        self._push(CallEvent(**base, after=after if kind != "grad" else {},
                             returned=returned, freed=freed))
        return result

    def on_inplace_error(self, rec: Any, name: str, target: Any, err: RuntimeError) -> None:
        from diffexplain.runs.refusals import explain_inplace

        self.count += 1
        file, line, src = rec.where()
        self._push(CallEvent(index=self.count, kind="inplace", file=file, line=line,
                             source=src, options={"method": name}, error=str(err).strip(),
                             why=tuple(explain_inplace(rec, target))))

    # --- the explanation ----------------------------------------------------------------------
    def _explain(self, rec: Any, call: Mapping[str, Any]) -> tuple[Any, Any, int | None,
                                                                    str | None]:
        from diffexplain.core.recorded import graph_of
        from diffexplain.pipeline import explain_recorded

        try:
            roots = [rec.rec_of(t) for t in call["tensors"]]
            ins = [rec.rec_of(t) for t in call["inputs"]] if call["inputs"] else None
            order = 1
            if len(roots) == 1 and roots[0].kind == "derivative" and roots[0].of is not None:
                d = roots[0]
                if len({id(w) for w in d.wrt}) > 1 or (ins and any(i is not d.wrt[0]
                                                                   for i in ins)):
                    raise InputError(_("a mixed derivative (∂²/∂x∂w): only ∂ⁿ/∂xⁿ of one "
                                       "variable is explained"))
                roots, ins, order = [d.of], list(d.wrt[:1]), d.order + 1
            names = [_name_in_frames(rec, t) for t in call["tensors"]] if order == 1 else None
            grads = call["gradient"]
            gradient = None if grads is None else [
                None if g is None else [float(x) for x in g.detach().reshape(-1).tolist()]
                for g in grads]
            recorded = graph_of(roots, gradient=gradient, inputs=ins, names=names,
                                limits=self.limits, decisions=rec.decisions)
            if order > 1:
                from dataclasses import replace

                recorded = replace(recorded, order=order)
        except DiffexplainError as err:
            return None, None, None, str(err)
        g = recorded.graph
        sig = (tuple((n.name, n.op, n.inputs, n.params, n.value) for n in g.nodes), g.outputs,
               repr(sorted(recorded.point.items())), recorded.wrt, recorded.weights,
               recorded.order)
        if sig in self.signatures:
            return recorded, None, self.signatures[sig], None
        if self.explained >= self.max_calls:
            self._over = True
            return recorded, None, None, _(
                "{n} calls were explained already (--max-calls {n}); torch still runs this "
                "one").format(n=self.max_calls)
        self.explained += 1
        try:
            e = explain_recorded(recorded, lang=self.lang, limits=self.limits, dtype=self.dtype)
        except DiffexplainError as err:
            return recorded, None, None, str(err)
        except Exception as err:  # noqa: BLE001 - a bug of ours must not stop the user's script
            self.internal = self.internal or f"{type(err).__name__}: {err}"
            return recorded, None, None, _("internal error: {error} (a bug: please report "
                                           "it)").format(error=f"{type(err).__name__}: {err}")
        self.signatures[sig] = self.count
        return recorded, e, None, None


def _summary(e: Any) -> dict[str, Any]:
    """The gradient per variable (and its order), for the short form of a repeated call."""
    if e is None:
        return {}
    ho = e.extras.get("higher_order")
    if ho:
        return {v: d["values"][-1] if isinstance(d, dict) and "values" in d else d
                for v, d in ho["variables"].items()}
    return dict(e.gradient)


def _parse_call(func: Any, kind: str, args: Sequence[Any],
                kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``backward``/``autograd.backward``/``autograd.grad`` arguments, one shape for all."""
    import torch

    def arg(k: int, key: str, default: Any = None) -> Any:
        return args[k] if len(args) > k else kwargs.get(key, default)

    def as_list(x: Any) -> list[Any] | None:
        if x is None:
            return None
        return [x] if isinstance(x, torch.Tensor) else list(x)

    if func is torch.Tensor.backward:
        tensors, grads = [args[0]], as_list(arg(1, "gradient"))
        retain, create, inputs = arg(2, "retain_graph"), arg(3, "create_graph", False), None
    elif kind == "backward":
        tensors = as_list(arg(0, "tensors")) or []
        grads = as_list(arg(1, "grad_tensors"))
        retain, create = arg(2, "retain_graph"), arg(3, "create_graph", False)
        inputs = as_list(kwargs.get("inputs"))
    else:
        tensors = as_list(arg(0, "outputs")) or []
        inputs = as_list(arg(1, "inputs"))
        grads = as_list(arg(2, "grad_outputs"))
        retain, create = arg(3, "retain_graph"), arg(4, "create_graph", False)
    return {"tensors": tensors, "gradient": grads, "retain_graph": retain,
            "create_graph": bool(create), "inputs": inputs}


def _name_in_frames(rec: Any, t: Any) -> str | None:
    for f in rec.user_frames(3):
        for k, v in f.f_locals.items():
            if v is t and not k.startswith("_"):
                return str(k)
    return None


class _Tee:
    """The script's stdout: passed through live, and kept as Printed events when asked."""

    def __init__(self, runner: _Runner, passthrough: Any) -> None:
        self.runner = runner
        self.passthrough = passthrough

    def write(self, s: str) -> int:
        if self.passthrough is not None:
            return int(self.passthrough.write(s))
        if s:
            evs = self.runner.events
            if evs and isinstance(evs[-1], Printed):
                evs[-1] = Printed(evs[-1].text + s)
            else:
                evs.append(Printed(s))
        return len(s)

    def flush(self) -> None:
        if self.passthrough is not None:
            self.passthrough.flush()


def run_script(path: str, *, emit: Callable[[CallEvent | Printed], None] | None = None,
               capture: bool = False, lang: str | None = None,
               limits: Limits | None = None, dtype: str = "float64",
               max_calls: int = 10, argv: Sequence[str] = ()) -> ScriptRun:
    """Run ``path`` under recording; ``emit`` gets each event as it happens.

    At most ``max_calls`` different calls are explained (a training loop makes one per
    step); later ones are still reported. With ``capture`` the script's prints become
    :class:`Printed` events instead of going to stdout (for JSON output). An exception
    the script raises ends the run: ``ScriptRun.error`` is one line (where, which error, its message).
    """
    import runpy

    if not os.path.isfile(path):
        raise InputError(_("no such file: {path}").format(path=path))
    from diffexplain.core.recording import record

    if isinstance(max_calls, bool) or not isinstance(max_calls, int) or max_calls < 0:
        raise InputError(_("--max-calls takes a number ≥ 0, not {value!r}").format(
            value=max_calls))
    runner = _Runner(path, lang, limits or DEFAULT_LIMITS, dtype, emit or (lambda ev: None),
                     max_calls)
    old_out, old_argv, old_path = sys.stdout, sys.argv, list(sys.path)
    sys.stdout = _Tee(runner, None if capture else old_out)
    sys.argv = [path, *argv]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    error = None
    error_type = None
    try:
        with record(runner.limits) as rec:
            rec.on_autograd = runner.on_autograd
            rec.on_inplace_error = runner.on_inplace_error
            runpy.run_path(path, run_name="__main__")
    except SystemExit as ex:
        if ex.code not in (None, 0):
            error = _("{path} exited with code {code}").format(path=path, code=ex.code)
    except BrokenPipeError:  # our reader went away (| head): not the script's error
        raise
    except Exception as err:  # noqa: BLE001 - the script's own error: where + message
        error, error_type = _where(path, err), type(err).__name__
    finally:
        sys.stdout, sys.argv = old_out, old_argv
        sys.path[:] = old_path
    return ScriptRun(path, tuple(runner.events), error, runner.skipped, error_type,
                     runner.internal)


def _where(path: str, err: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if os.path.abspath(f.filename) == os.path.abspath(path)]
    msg = str(err).strip().splitlines()[0] if str(err).strip() else ""
    if frames:
        return _("{path} line {line} raised {error}: {message}").format(
            path=path, line=frames[-1].lineno, error=type(err).__name__, message=msg)
    return _("{path} raised {error}: {message}").format(path=path, error=type(err).__name__,
                                                        message=msg)


def uses_torch(f: Callable[..., Any]) -> bool:
    """Whether ``f`` calls torch (a global name of its code, or of a nested function's, is
    torch or comes from it): then ``trace`` records real tensors instead of tracing values."""
    code = getattr(f, "__code__", None)
    if code is None:
        return False
    names: set[str] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if hasattr(k, "co_names"))
    g = getattr(f, "__globals__", {})
    for n in names:
        v = g.get(n)
        mod = getattr(v, "__name__", "") if isinstance(v, type(sys)) else getattr(
            v, "__module__", "") or ""
        if mod == "torch" or mod.startswith("torch."):
            return True
    return False


def trace_torch(f: Callable[..., Any], at: Mapping[str, Any], *, wrt: Sequence[str] | None = None,
                dtype: str = "float64", limits: Limits | None = None,
                lang: str | None = None, **kwargs: Any) -> Any:
    """``diffexplain trace FILE.py:f`` for a function that calls torch: run it on tensors
    (``requires_grad`` for ``wrt``) under recording and explain its result, with the
    if/while decisions of the path it took."""
    import inspect

    import torch

    from diffexplain.core.recorded import tensor_graph
    from diffexplain.core.recording import record
    from diffexplain.core.tracing import check_arguments
    from diffexplain.pipeline import explain_recorded

    params = [p.name for p in inspect.signature(f).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    check_arguments(f, params, at)
    want = list(wrt) if wrt else params
    tens = [torch.tensor(at[p], dtype=getattr(torch, dtype), requires_grad=p in want)
            for p in params]
    limits = limits or DEFAULT_LIMITS
    with record(limits):
        try:
            out = f(*tens)
        except DiffexplainError:
            raise
        except Exception as err:
            raise InputError(_("{function} raised {error}: {message}").format(
                function=getattr(f, "__name__", "f"), error=type(err).__name__,
                message=err)) from err
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        raise InputError(_("{function} returned {value!r}, which does not depend on its "
                           "inputs: nothing to differentiate").format(
                               function=getattr(f, "__name__", "f"), value=out))
    return explain_recorded(tensor_graph(out, limits), wrt=wrt, dtype=dtype, limits=limits,
                            lang=lang, **kwargs)
