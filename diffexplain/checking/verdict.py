"""The verdict on a derivation: each step against ∂y/∂wrt and the step before, the mistake named."""

from __future__ import annotations

from typing import Any

from diffexplain.checking import precise
from diffexplain.checking.grading import (
    Exercise,
    Step,
    cheap,
    finite_value,
    grade_error,
    read_step,
    same,
)
from diffexplain.checking.results import STEP_DEPTH, STEP_NODES, CheckResult, Mistake, StepResult
from diffexplain.core.printing import fmt_number
from diffexplain.core.printing import text as p_text
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _

__all__ = ["grade"]


def grade(ex: Exercise, text: str, items: list[str]) -> Any:
    y = ex.g.nodes[ex.model.out].name
    lhs = f"∂{y}/∂{ex.wrt}"
    results: list[StepResult] = []
    first: int | None = None
    mistake: Mistake | None = None
    prev: Step | None = None
    for k, raw in enumerate(items):
        try:
            st = read_step(ex, raw, lhs)
        except (InputError, LimitExceeded) as err:
            raise grade_error(k, raw, err, STEP_NODES, STEP_DEPTH) from None
        ok, reason = st.ok, st.reason
        follows = None
        if prev is not None and not st.unknown and not prev.unknown:
            follows = bool(same(st.vals, prev.vals, prev.const or st.const,
                                st.bound if st.const else 0.0))
        if first is not None:
            if follows and not ok:
                reason = _("consistent with step {n}: the slip is carried on correctly").format(
                    n=first + 1)
            elif ok:
                reason = _("right again, but it does not follow from step {n}").format(n=k) \
                    if not follows else reason
            else:
                reason = _("does not follow from step {n} and is not {lhs} either: "
                           "{reason}").format(n=k, lhs=lhs, reason=reason)
        elif not ok:
            first = k
            if not st.unknown:
                mistake, body = name(ex, k, raw, st, lhs, prev, results[-1] if results else None)
                if mistake.code != "unknown":
                    reason = _("{reason}; it {slip}").format(reason=reason,
                                                              slip=body.rstrip(".。"))
        results.append(StepResult(k, raw, ok, st.method, reason, follows,
                                  finite_value(st.vals[0]) if st.vals else None, st.text,
                                  st.latex, st.notes))
        prev = st
    if first is not None and mistake is None:
        mistake = Mistake("unknown", _("step {n} cannot be read as {lhs}: {reason}").format(
            n=first + 1, lhs=lhs, reason=results[first].reason), first, {})
    return CheckResult(text, ex.wrt, y, dict(ex.point), tuple(results), first, mistake,
                       ex.correct, p_text(ex.truth), precise.to_float(ex.truth_vals[0]))


def name(ex: Exercise, k: int, raw: str, st: Step, lhs: str, prev: Step | None,
         prev_result: Any) -> tuple[Any, str]:
    """The first wrong step's mistake: arithmetic, a catalogued slip, or unknown."""
    if st.const and prev is not None and prev.ok and not prev.label and not prev.unknown \
            and precise.finite(prev.vals[0]) and precise.finite(st.vals[0]):
        right, wrote = _apart(precise.to_float(prev.vals[0]), precise.to_float(st.vals[0]))
        body = _("is an arithmetic slip: step {m} ({expression}) is right, and its value at "
                 "{at} is {value}, not {wrote}.").format(
                     m=k, expression=prev_result.text or prev_result.expr, at=ex.at(),
                     value=right, wrote=wrote)
        return Mistake("arithmetic", _("Step {n} {slip}").format(n=k + 1, slip=body), k,
                       {"expression": prev_result.text or prev_result.expr, "value": right,
                        "wrote": wrote}), body
    hit = ex.named.get(raw)
    if hit is None:
        hit = _match(ex, st, lhs)
        if len(ex.named) < 4096:
            ex.named[raw] = hit
    code, body, evidence = hit
    return Mistake(code, _("Step {n} {slip}").format(n=k + 1, slip=body), k, dict(evidence)), body


def _match(ex: Exercise, st: Step, lhs: str) -> tuple[str, str, dict[str, str]]:
    import sympy as sp

    vals, const = st.vals, st.const
    for slip, svals in zip(ex.slips, ex.slip_values):
        if same(svals, ex.truth_vals, False):
            continue
        if same(vals, svals, const, max(st.bound, 1e-9 * abs(precise.to_float(svals[0])))
                if const else 0.0):
            ev = dict(slip.evidence)
            if slip.node:
                ev["node"] = slip.node
            ev["slipped"] = p_text(slip.expr)
            ev["value"] = fmt_number(precise.to_float(svals[0]))
            return slip.code, _("{sentence}.").format(sentence=slip.sentence), ev
    k = next((i for i, (v, t) in enumerate(zip(vals, ex.truth_vals))
              if precise.finite(v) and precise.finite(t) and not precise.agree(v, t)), 0)
    if const:
        k = 0
    truth0 = precise.to_float(ex.truth_vals[k])
    value0 = precise.to_float(vals[k])
    where = ", ".join(f"{s.name} = {fmt_number(x)}" for s, x in ex.envs[k].items())
    shown = _apart(value0, truth0)
    if const:
        diff_text = fmt_number(precise.to_float(vals[0] - ex.truth_vals[0]))
    else:
        d = st.expr - ex.truth
        try:
            if cheap(sp, d):
                d = sp.factor_terms(sp.expand(d))
        except Exception:  # noqa: BLE001 - showing the raw difference is fine
            pass
        diff_text = p_text(d)
        if len(diff_text) > 160:
            diff_text = diff_text[:159] + "…"
    body = _("matches no known slip: it differs from {lhs} = {truth} by {difference} (at "
             "{at}: {value} instead of {correct}).").format(
                 lhs=lhs, truth=p_text(ex.truth), difference=diff_text, at=where,
                 value=shown[0], correct=shown[1])
    return "unknown", body, {"difference": diff_text, "value": shown[0], "correct": shown[1]}


def _apart(a: float, b: float) -> tuple[str, str]:
    """Two numbers printed with enough digits to look different (6, up to 17)."""
    for digits in (6, 10, 17):
        sa, sb = fmt_number(a, digits), fmt_number(b, digits)
        if sa != sb:
            break
    return sa, sb
