"""Why the methods part ways, as data: a code plus parameters, put into words when shown.

Tests assert codes; one explanation renders in English or Chinese, because the sentence is
looked up in the current language only when :func:`str` is called (the renderers do that
inside the explanation's language). Numbers in the parameters are already formatted
(numbers are never translated); parameters that are themselves messages (a domain, a
note) are :class:`Msg` and translated with the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diffexplain.i18n import N_, _

__all__ = ["MESSAGES", "Msg", "Reason", "reason"]


class Msg(str):
    """A parameter that is a message id: translated when the reason is rendered."""


#: every reason's sentence, by code
MESSAGES: dict[str, str] = {
    "autograd_differs": N_("autograd {autograd} differs from the exact {exact} by {gap} "
                           "(relative), more than rtol {rtol}"),
    "symbolic_differs": N_("symbolic {symbolic} and autograd {autograd} differ by more "
                           "than rtol {rtol}"),
    "nonfinite": N_("the derivative is {value} at this point"),
    "numeric_off": N_("finite differences give {value}, off by {off} (allowed {allowed}; "
                      "step h = {h}, error estimate {error})"),
    "numeric_uncertain": N_("finite differences are uncertain here (error estimate {error} "
                            "at h = {h})"),
    "numeric_inconclusive": N_("finite differences are inconclusive: their error estimate "
                               "{error} at h = {h} is larger than the tolerance {allowed}, "
                               "so agreement or disagreement would prove nothing"),
    "fd_cancellation": N_("cancellation in finite differences: with h = {h}, f(x+h) and "
                          "f(x−h) agree in their first ~{digits} significant digits, so their "
                          "difference keeps mostly round-off: the error ≈ eps·|f|/h = "
                          "{eps}·{f}/{h} ≈ {roundoff}, and the estimate is off by {off}. A "
                          "step near ∛eps·max(1,|x|) ≈ {best} balances round-off and "
                          "truncation"),
    "fd_truncation": N_("truncation in finite differences: h = {h} is large, and the central "
                        "difference is exact only for quadratics: its error grows like h² "
                        "(Richardson estimate {trunc}, off by {off}). A step near "
                        "∛eps·max(1,|x|) ≈ {best} balances round-off and truncation"),
    "fd_edge": N_("finite differences evaluate f at {v} {sign} h = {x}, where {node} = {expr} "
                  "is {value} (domain: {domain}): the point is at the edge of the domain, so "
                  "the difference quotient is undefined"),
    "fd_overflow": N_("finite differences evaluate f at {v} {sign} h = {x}, where {node} = "
                      "{expr} is {exact} exactly, beyond {dtype}'s largest finite value "
                      "{limit}: an overflow, so float arithmetic gives {value} and the "
                      "difference quotient is not finite"),
    "fd_underflow": N_("finite differences evaluate f at {v} {sign} h = {x}, where {node} = "
                       "{expr} is {exact} exactly, below {dtype}'s smallest positive value "
                       "{limit}: an underflow to 0, after which {then} is {value}, so the "
                       "difference quotient is not finite"),
    "fd_adapted": N_("finite differences: the step h = {h0} would reach {where}; {action}"),
    "kink": N_("kink: {node} = {expr} at {arg} = {kink}, where the derivative does not "
               "exist"),
    "kink_note": N_("kink: {node} = {expr} at {arg} = {kink}, where the derivative does not "
                    "exist ({note})"),
    "kink_smooth": N_("{node} = {expr} is at its kink {arg} = {kink}, but the one-sided "
                      "derivatives of f agree ({value}): f is differentiable here"),
    "one_sided": N_("not differentiable: the derivative from the left is {left}, from the "
                    "right {right}"),
    "infinite_slope": N_("not differentiable: the slope grows without bound ({value}) at "
                         "this point"),
    "edge": N_("edge of the domain: f has real values on one side only; the one-sided "
               "derivative is {value}"),
    "domain": N_("outside the domain: {node} = {expr} is {value} at {where} (domain: "
                 "{domain}): f has no real value here, so its derivative is undefined "
                 "whatever number a derivative rule evaluates to"),
    "overflow": N_("overflow: {node} = {expr} is {exact} exactly, beyond {dtype}'s largest "
                   "finite value {limit}, so float arithmetic gives {value}"),
    "underflow": N_("underflow: {node} = {expr} is {exact} exactly, below {dtype}'s smallest "
                    "positive value {limit}, so float arithmetic gives 0"),
    "derivative_overflow": N_("the exact derivative {exact} is beyond {dtype}'s largest "
                              "finite value {limit}: no float can hold it"),
    "derivative_underflow": N_("the exact derivative {exact} is below {dtype}'s smallest "
                               "positive value {limit}: a float holds it as 0"),
    "cancellation": N_("cancellation at {node}: terms of total size {scale} sum to {value} "
                       "(condition number {kappa}), so about {digits} of float64's 16 "
                       "significant digits are lost"),
    "float32_roundoff": N_("float32 round-off: autograd in float32 is {gap} away from the "
                           "exact value"),
}


@dataclass(frozen=True)
class Reason:
    """One cause, e.g. ``Reason("overflow", (("node", "a"), ("exact", "2.2e308"), …))``."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.params)

    def __str__(self) -> str:
        plain = {k: v for k, v in self.params if not isinstance(v, Msg)}
        words = {k: _(v) for k, v in self.params if isinstance(v, Msg)}
        # a message parameter may use the other parameters: "shrunk to h = {h}"
        values = {**plain, **{k: w.format(**plain, **words) for k, w in words.items()}}
        return _(MESSAGES[self.code]).format(**values)

    def __contains__(self, text: str) -> bool:  # ``"kink" in reason`` reads the sentence
        return text in str(self)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": {k: str(v) for k, v in self.params},
                "text": str(self)}


def reason(code: str, **params: Any) -> Reason:
    """A :class:`Reason`; the keyword order is kept, so equal reasons compare equal."""
    if code not in MESSAGES:
        raise KeyError(code)
    return Reason(code, tuple(params.items()))
