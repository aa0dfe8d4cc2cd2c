"""A derivation at a kink, where sympy's closed form and the rules' product part ways.

At a kink the value "the rules give" is a convention: sympy's H(0) = 1/2 and sign(0) = 0.
Conventions do not compose. ``relu(relu(u))`` is ``relu(u)`` to sympy, so its closed form
gives H(0)·u′ = u′/2, while the local partials multiplied node by node give
H(relu(0))·H(0)·u′ = u′/4. Both are right on both sides of the kink and neither is a
derivative at it. The derivation's lines are therefore checked around the point
(:func:`diffexplain.methods.identity.on_kink`), and its value is settled here from the
exact witness's one-sided derivatives:

* ``kink`` (the one-sided derivatives differ): no derivative exists; the derivation keeps
  the closed form's value at the point and a note gives both conventions;
* ``limits`` / ``edge`` (they agree, or only one side exists): the derivative exists and is
  that limit; the lines that substituted the point into the closed form (a convention)
  give way to one line with the limit, checked exactly.
"""

from __future__ import annotations

from dataclasses import replace

from diffexplain.core.printing import fmt_number
from diffexplain.i18n import N_, _
from diffexplain.methods.derivation_text import Derivation, Line
from diffexplain.methods.exact import DerivativeWitness, Real
from diffexplain.methods.identity import close

__all__ = ["NOT_SMOOTH", "at_kink", "exact_value", "same_value"]

#: witness states where an operation on the way is not smooth at its input
NOT_SMOOTH = ("kink", "limits", "edge")

#: the lines that evaluate the closed form at the point (their check is this)
_POINT_CHECK = "float evaluation"


def same_value(a: float, b: float) -> bool:
    """The closed form's value and the exact witness's agree (to the closed-form check's rtol)."""
    return close(a, b, rtol=1e-12, atol=1e-300)


def at_kink(d: Derivation, w: DerivativeWitness) -> Derivation:
    """``d`` with its value at the point settled by the witness ``w`` (state in NOT_SMOOTH)."""
    where = w.culprit or w.wrt
    conv = fmt_number(d.value)
    if w.state == "kink":
        note = _("no derivative here ({node} is at its kink): the lines hold on both sides "
                 "of the point and are checked there; at the point itself the closed form "
                 "gives {value} by the conventions H(0) = 1/2 and sign(0) = 0, the local "
                 "partials multiplied node by node give {chain}").format(
                     node=where, value=conv, chain=w.value.text)
        return replace(d, note=_join(d.note, note))
    lines = list(d.lines)
    while len(lines) > 1 and lines[-1].check == _POINT_CHECK:
        lines.pop()
    ref = w.value
    text = fmt_number(ref.value) if ref.range == "" else ref.text
    left = w.left.text if w.left is not None else "—"
    right = w.right.text if w.right is not None else "—"
    rule = (_("the derivative is the common limit of the one-sided derivatives (left {left}, "
              "right {right}); at the kink of {node} the closed form itself gives {value} "
              "by convention") if w.state == "limits" else
            _("only one side is defined (left {left}, right {right}): the derivative is "
              "that side's; at the point the closed form itself gives {value} by "
              "convention")).format(left=left, right=right, node=where, value=conv)
    lines.append(Line(text, text, repr(ref.value) if ref.range == "" else ref.text, rule,
                      N_("exact") if ref.exact else N_("arbitrary precision")))
    return replace(d, value=ref.value, exact=ref, lines=tuple(lines))


def exact_value(d: Derivation, ref: Real) -> Derivation:
    """The derivation's value from the exact witness, its last line showing it."""
    last = d.lines[-1]
    text = fmt_number(ref.value) if ref.range == "" else ref.text
    line = replace(last, text=text, latex=text,
                   ascii=repr(ref.value) if ref.range == "" else ref.text,
                   check=N_("exact") if ref.exact else N_("arbitrary precision"))
    return replace(d, value=ref.value, exact=ref, lines=d.lines[:-1] + (line,))


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
