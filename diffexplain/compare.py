"""Putting the three answers beside the exact one, with stated tolerances and reasons.

The reference is the exact witness (:mod:`~diffexplain.methods.exact`): symbolic's value
in exact or arbitrary-precision arithmetic. Autograd and finite differences are judged
against it by one tolerance policy (:func:`close`, used by every comparison in the package:
Hessians, Jacobians, weighted outputs, checking) and the verdict is one of five states:

* ``agree``: every method is within tolerance of the exact derivative;
* ``disagree``: one is not, with the reasons (overflow, underflow, cancellation, a finite
  difference step that cannot resolve the slope, …);
* ``not_differentiable``: the derivative does not exist at the point (a kink of the output,
  an infinite slope), whatever the methods print;
* ``undefined``: the function has no real value at the point;
* ``inconclusive``: finite differences cannot resolve the derivative to the tolerance.

Only ``agree`` is shown as ✓ and makes ``--check`` exit 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from diffexplain.core.graph import Graph
from diffexplain.core.printing import fmt_number
from diffexplain.core.reasons import Reason, reason
from diffexplain.i18n import _
from diffexplain.methods import evidence
from diffexplain.methods.exact import DerivativeWitness, ExactPass, Real
from diffexplain.methods.numeric import EPS, Difference, dependents, step_for
from diffexplain.methods.tolerance import TOLERANCES, Tolerance, close, tolerance

__all__ = ["STATES", "TOLERANCES", "Comparison", "Tolerance", "Verdict", "close", "compare",
           "tolerance"]

#: verdict states, from best to worst for ordering the overall verdict
STATES = ("agree", "inconclusive", "undefined", "not_differentiable", "disagree")


@dataclass(frozen=True)
class Comparison:
    """One variable's values beside the exact one, its state, and the reasons."""

    wrt: str
    symbolic: float
    autograd: float | None
    numeric: float | None
    numeric_error: float | None
    agree: bool
    reasons: tuple[Reason, ...] = ()
    state: str = "agree"
    exact: Real | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


@dataclass(frozen=True)
class Verdict:
    """The overall state, the tolerance used, and each variable's comparison."""

    state: str
    tolerance: Tolerance
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    floor: float = 0.0
    methods: tuple[str, ...] = ("symbolic", "autograd", "numeric")

    @property
    def agree(self) -> bool:
        return self.state == "agree"

    @property
    def summary(self) -> str:
        """The verdict line in the current language, with the tolerances used."""
        tol = self.tolerance
        bad = ", ".join(v for v, c in self.comparisons.items() if c.state == self.state)
        if self.state == "agree":
            methods = (_("symbolic, autograd and numeric") if len(self.methods) == 3
                       else _("the methods run"))
            return _("{methods} agree (rtol {rtol} symbolic/autograd, rtol {numeric_rtol} or "
                     "{factor}× the error estimate for finite differences; absolute floor "
                     "rtol·|f|/max(1,|x|) = {floor})").format(
                         methods=methods, rtol=f"{tol.rtol:g}",
                         numeric_rtol=f"{tol.numeric_rtol:g}", factor=f"{tol.error_factor:g}",
                         floor=f"{self.floor:.2g}")
        if self.state == "not_differentiable":
            return _("not differentiable with respect to {variables} at this point: "
                     "see the reasons").format(variables=bad)
        if self.state == "undefined":
            return _("undefined: the function has no real derivative with respect to "
                     "{variables} at this point").format(variables=bad)
        if self.state == "inconclusive":
            return _("inconclusive for {variables}: finite differences cannot resolve the "
                     "derivative to rtol {numeric_rtol} here").format(
                         variables=bad, numeric_rtol=f"{tol.numeric_rtol:g}")
        return _("disagreement for {variables} (rtol {rtol} against the exact value): see "
                 "the reasons").format(variables=bad, rtol=f"{tol.rtol:g}")


def compare(graph: Graph, values: Sequence[float], symbolic: Mapping[str, float],
            autograd: Mapping[str, float | None] | None,
            numeric: Mapping[str, Difference] | None, dtype: str = "float64",
            float64_symbolic: Mapping[str, float] | None = None,
            witness: ExactPass | None = None) -> Verdict:
    """Judge each variable against the exact derivative (or symbolic's, without a witness)."""
    tol = tolerance(dtype)
    f = max((abs(values[o]) for o in graph.outputs if math.isfinite(values[o])), default=0.0)
    comps: dict[str, Comparison] = {}
    floor = 0.0
    for v, s in symbolic.items():
        x = values[graph[v].id]
        scale = f / max(1.0, abs(x)) if math.isfinite(x) else 0.0
        floor = max(floor, tol.rtol * scale)
        w = witness.derivatives.get(v) if witness is not None else None
        comps[v] = _judge(graph, values, v, s, w, witness,
                          None if autograd is None else autograd.get(v),
                          None if numeric is None else numeric.get(v), dtype, scale,
                          (float64_symbolic or {}).get(v))
    order = {st: k for k, st in enumerate(STATES)}
    state = max((c.state for c in comps.values()), key=order.__getitem__, default="agree")
    methods = ("symbolic",) + (("autograd",) if autograd is not None else ()) + (
        ("numeric",) if numeric is not None else ())
    return Verdict(state, tol, comps, floor, methods)


def _judge(graph: Graph, values: Sequence[float], v: str, s: float,
           w: DerivativeWitness | None, witness: ExactPass | None, a: float | None,
           d: Difference | None, dtype: str, scale: float, s64: float | None) -> Comparison:
    tol = tolerance(dtype)
    cone = dependents(graph, graph[v].id)
    reasons: list[Reason] = []
    n = None if d is None else d.value
    ref = w.value.value if w is not None else s
    if w is not None:
        facts = evidence.node_facts(graph, values, cone, witness, dtype,
                                    w if w.differentiable else None)
        if w.state == "undefined":
            state = "undefined"
        elif not w.differentiable:
            state = "not_differentiable"
        else:
            state = "agree"
        reasons.extend(evidence.differentiability(w, graph, values, witness)
                       if witness is not None else [])
        reasons.extend(evidence.derivative_range(w, dtype))
    else:
        facts = evidence.node_facts(graph, values, cone, None, dtype)
        state = "agree" if math.isfinite(s) else "disagree" if any(
            r.code in ("overflow", "underflow") for r in facts) else "undefined"
    if a is not None and state in ("agree", "disagree") and not close(a, ref, tol, scale=scale):
        state = "disagree"
        gap = abs(a - ref) / max(abs(ref), 1e-300) if math.isfinite(a - ref) else math.inf
        reasons.append(reason("autograd_differs", autograd=fmt_number(a, 12),
                              exact=w.value.text if w is not None else fmt_number(s, 12),
                              gap=f"{gap:.3g}", rtol=f"{tol.rtol:g}"))
        if w is not None and witness is not None and math.isfinite(a) and not any(
                r.code in ("overflow", "underflow") for r in facts):
            reasons.extend(evidence.cancellation(w, graph, witness, tol.rtol))
    elif (a is not None and w is not None and witness is not None and state == "agree"
          and math.isfinite(a) and not close(a, ref, tol, scale=0.0)):
        # agreement within the floor only: still say how many digits the sum lost
        reasons.extend(evidence.cancellation(w, graph, witness, tol.rtol))
    elif a is not None and w is not None and not w.differentiable and not close(a, s, tol):
        reasons.append(reason("symbolic_differs", symbolic=fmt_number(s, 12),
                              autograd=fmt_number(a, 12), rtol=f"{tol.rtol:g}"))
    if d is not None and n is not None and state in ("agree", "disagree"):
        state, more = _numeric(graph, values, v, ref, n, d, dtype, scale, state)
        reasons.extend(more)
    elif d is not None and d.note is not None:
        reasons.append(d.note)  # how the step was adapted, whatever the verdict
    exact_finite = (w is not None and w.value.defined
                    and w.value.text not in ("inf", "-inf", "nan"))
    if not math.isfinite(s) and state != "agree" and not exact_finite:
        # with a finite exact value, inf is the float's overflow (named by the range reasons)
        reasons.append(reason("nonfinite", value=fmt_number(s)))
    reasons.extend(r for r in facts if r not in reasons)
    if dtype == "float32" and a is not None and s64 is not None and math.isfinite(a):
        exact64 = ref if w is not None else s64
        gap = abs(a - exact64)
        if gap > 0:
            reasons.append(reason("float32_roundoff", gap=f"{gap:.3g}"))
    return Comparison(v, s, a, n, None if d is None else d.error, state == "agree",
                      tuple(reasons), state,
                      # at a kink ``w.value`` is what the rules give, not a derivative
                      w.value if w is not None and w.state != "kink" else None)


def _numeric(graph: Graph, values: Sequence[float], v: str, s: float, n: float,
             d: Difference, dtype: str, scale: float, state: str
             ) -> tuple[str, list[Reason]]:
    """The finite-difference witness against the reference: agree, inconclusive or why not."""
    tol = tolerance(dtype)
    out: list[Reason] = []
    if d.note is not None:
        out.append(d.note)
    # finite differences resolve slopes on the unit scale of f and x at best
    unit = max(abs(s), scale, 1.0 / max(1.0, abs(values[graph[v].id])))
    strict = tol.numeric_rtol * unit
    if not (math.isfinite(n) and math.isfinite(s)):
        if n == s or (math.isnan(n) and math.isnan(s)):
            return state, out
        out.extend(r for r in evidence.numeric_edge(graph, values, v, d) if r not in out)
        return "disagree", out
    off = abs(n - s)
    if off <= strict:
        return state, out
    step = _step_reason(graph, values, v, s, n, d, dtype, strict)
    if step is not None:
        return "disagree", out + [step]
    if d.error > tol.inconclusive * unit and state == "agree":
        return "inconclusive", out + [reason(
            "numeric_inconclusive", error=f"{d.error:.3g}", h=f"{d.step:.3g}",
            allowed=f"{strict:.3g}")]
    if off <= tol.error_factor * d.error:
        return state, out + [reason("numeric_uncertain", error=f"{d.error:.3g}",
                                    h=f"{d.step:.3g}")]
    return "disagree", out + [reason(
        "numeric_off", value=fmt_number(n, 10), off=f"{off:.3g}",
        allowed=f"{max(strict, tol.error_factor * d.error):.3g}", h=f"{d.step:.3g}",
        error=f"{d.error:.3g}")]


def _step_reason(graph: Graph, values: Sequence[float], v: str, s: float, n: float,
                 d: Difference, dtype: str, strict: float) -> Reason | None:
    """Why a finite difference misses: cancellation (h too small) or truncation (too large).

    The round-off of (f(x+h) − f(x−h))/2h is about eps·|f|/h; when that alone exceeds the
    tolerance, the step is too small for the difference to resolve the derivative.
    """
    off = abs(n - s)
    f = max((abs(values[o]) for o in graph.outputs if math.isfinite(values[o])), default=1.0)
    eps = EPS[dtype]
    roundoff = eps * max(f, 1.0) / d.step
    x = values[graph[v].id]
    best = step_for(x, dtype)
    trunc = max(d.error - roundoff, 0.0)
    if roundoff > strict and roundoff >= trunc:
        digits = max(0, round(-math.log10(max(2 * d.step * abs(s), 1e-300) / max(f, 1e-300))))
        return reason("fd_cancellation", h=f"{d.step:.3g}", digits=digits, eps=f"{eps:.2g}",
                      f=fmt_number(f), roundoff=f"{roundoff:.2g}", off=f"{off:.3g}",
                      best=f"{best:.2g}")
    if d.step > 10 * best and trunc >= roundoff:
        return reason("fd_truncation", h=f"{d.step:.3g}", trunc=f"{trunc:.3g}",
                      off=f"{off:.3g}", best=f"{best:.2g}")
    return None
