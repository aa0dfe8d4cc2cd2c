"""Checking a learner's own derivation: each step verified, the first wrong one marked and named.

A derivation is a list of steps written as a learner writes them (see
:mod:`~diffexplain.checking.notation`: ``2x(x-1)``, ``y' =``, ``\\frac{1}{x}``, ``tan²(x)``,
``∂y/∂a·∂a/∂w``, ``ā``, numbers once the point is substituted). A step containing ``=``
is several steps. Steps are parsed, never evaluated as code; names are resolved against
the explained graph (:mod:`~diffexplain.checking.reading`).

Each step is compared with the true derivative as a function, and, after the first
wrong step, with the step before it, so a slip carried on correctly is reported as such
(:mod:`~diffexplain.checking.grading`). The first wrong step is named
(:mod:`~diffexplain.checking.verdict`, :mod:`~diffexplain.checking.mistakes`).
:func:`check` with ``equations=`` checks an algebraic derivation instead
(:mod:`~diffexplain.checking.algebra`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.checking.results import STEP_DEPTH, STEP_NODES, CheckResult, Mistake, StepResult
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _, get_lang, localized
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["STEP_DEPTH", "STEP_NODES", "CheckResult", "Mistake", "StepResult", "check",
           "split_steps"]

#: most steps one derivation may have
MAX_STEPS = 200


# --- splitting a derivation into steps -------------------------------------------------------
_STEP_SEP = re.compile("[;\n；]")
_EQ = re.compile("(?<![=<>!])[=＝](?!=)")


def split_steps(steps: str | Sequence[str]) -> list[str]:
    """Steps from a list or from one text (``;`` or newlines), each chain ``a = b`` split too.

    >>> split_steps("∂y/∂w = b*1 + a*1; b + a = 5")
    ['∂y/∂w', 'b*1 + a*1', 'b + a', '5']
    """
    parts = _STEP_SEP.split(steps) if isinstance(steps, str) else list(steps)
    out: list[str] = []
    for p in parts:
        if not isinstance(p, str):
            raise InputError(_("a step must be text, not {type}").format(type=type(p).__name__))
        for piece in _EQ.split(p):
            if piece.strip():
                out.append(piece.strip())
    return out


@localized
def check(expr: Any = None, wrt: str | None = None, steps: str | Sequence[str] = (),
          at: Mapping[str, Any] | str | None = None, *,
          equations: str | Sequence[str] | None = None,
          limits: Limits | None = None, lang: str | None = None) -> Any:
    """Check a learner's derivation of ∂y/∂wrt step by step (or an algebraic one).

    Args:
        expr: the expression or program (text, sympy expression or Graph).
        wrt: the variable (default: the only variable); with ``equations``, the unknown.
        steps: the learner's lines, a list or one text separated by ``;``/newlines.
        at: the point, ``{"w": 1, "x": 2}`` or ``"w=1,x=2"``.
        equations: instead of ``expr``/``steps``/``at``: equations, each following from the
            one before (``"ln(y/(1-y)) = z; y/(1-y) = e^z"``); returns an
            :class:`~diffexplain.checking.algebra.EquationsResult`.
        limits: the same :class:`~diffexplain.limits.Limits` as :func:`~diffexplain.explain`.
        lang: the language of the reasons and the mistake (``"en"``, ``"zh"``; default: the
            locale's).

    Returns:
        A :class:`CheckResult`; ``first_error`` is the 0-based index of the first
        wrong step (``None`` when all are right) and ``mistake`` names its slip.

    Raises:
        InputError: bad expression, step text or point (exit code 2 in the CLI).
        LimitExceeded: over a limit (exit code 3).

    >>> r = check("(x+w)*(w+1)", wrt="w", steps=["b*1 + a*1", "b + a", "2*w + x"],
    ...           at={"w": 1, "x": 2})
    >>> r.first_error, r.mistake.code
    (2, 'constant')
    """
    from diffexplain.pipeline import build_graph, resolve_point

    if equations is not None:
        if expr is not None or steps or at:
            raise InputError(_("equations are checked on their own: give either equations, or "
                               "an expression with steps and a point"))
        from diffexplain.checking.algebra import check_equations

        return check_equations(equations, wrt)
    if expr is None:
        raise InputError(_("give the expression whose derivative the steps compute"))
    limits = limits or DEFAULT_LIMITS
    text = expr if isinstance(expr, str) else None
    graph = build_graph(expr, None, limits)
    if len(graph.outputs) != 1:
        raise InputError(_("check works on one output; the program has several"))
    if len(graph.nodes) > limits.closed_form_nodes:
        raise LimitExceeded(_("checking a derivation needs the closed form; the graph has "
                              "{nodes} nodes, more than {limit}").format(
                                  nodes=len(graph.nodes), limit=limits.closed_form_nodes),
                            _("raise it with Limits(closed_form_nodes=…)"))
    if wrt is None:
        if len(graph.variables) != 1:
            raise InputError(_("say which variable the derivation is for (--wrt); the "
                               "variables are: {variables}").format(
                                   variables=", ".join(graph.variables) or _("none")))
        wrt = graph.variables[0]
    if wrt not in graph.variables:
        raise InputError(_("cannot differentiate with respect to {name!r}: not a variable "
                           "of the expression ({variables})").format(
                               name=wrt, variables=", ".join(graph.variables) or _("none")))
    point = resolve_point(graph, at)
    items = split_steps(steps)
    if not items:
        raise InputError(_("no steps to check"))
    if len(items) > MAX_STEPS:
        raise LimitExceeded(_("{n} steps, more than {limit}").format(n=len(items), limit=MAX_STEPS),
                            _("split the derivation"))
    from diffexplain.checking.grading import Exercise, exercise
    from diffexplain.checking.verdict import grade

    key = tuple(sorted(point.items()))
    ex = (exercise(text, wrt, key, limits, get_lang()) if text is not None
          else Exercise(graph, wrt, point, limits))
    return grade(ex, text if text is not None else str(expr), items)
