"""The vector form's model: frozen data the renderers read (:mod:`diffexplain.render.vectorform`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from diffexplain.core.printing import fmt_number
from diffexplain.core.shapes import fmt_value

__all__ = ["VectorDerivation", "VectorForm", "VectorLine", "full_value", "space"]

_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class VectorLine:
    """One ``=`` of a vector derivation: unicode, LaTeX, why it follows, how it was checked."""

    text: str
    latex: str
    rule: str
    check: str


@dataclass(frozen=True)
class VectorDerivation:
    """∇ of the objective with respect to one variable, over whole tensors."""

    wrt: str
    lhs: str
    lhs_latex: str
    shape: tuple[int, ...]
    lines: tuple[VectorLine, ...]
    value: Any  # nested lists of floats, in the variable's shape
    #: the intermediates the lines use, defined with their shapes: (text, LaTeX)
    where: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class VectorForm:
    """The vector derivations of one explanation, or ``note`` saying why there are none."""

    derivations: tuple[VectorDerivation, ...] = ()
    #: the variables' shapes: ("x ∈ ℝ⁴", LaTeX)
    shapes: tuple[tuple[str, str], ...] = ()
    note: str = ""
    objective: str = ""

    @property
    def available(self) -> bool:
        return bool(self.derivations) and not self.note

    def as_dict(self) -> dict[str, Any]:
        return {
            "available": self.available, "note": self.note, "objective": self.objective,
            "shapes": [t for t, _l in self.shapes],
            "derivations": {d.wrt: {
                "lhs": d.lhs, "lhs_latex": d.lhs_latex, "shape": list(d.shape), "value": d.value,
                "lines": [{"text": ln.text, "latex": ln.latex, "rule": ln.rule, "check": ln.check}
                          for ln in d.lines],
                "where": [t for t, _l in d.where]} for d in self.derivations},
        }


def space(shape: Sequence[int], fmt: str = "text") -> str:
    """ℝ⁴, ℝ⁵ˣ³ (``\\mathbb{R}^{5 \\times 3}``), ℝ for a scalar."""
    if fmt == "latex":
        dims = r" \times ".join(map(str, shape))
        return r"\mathbb{R}" + (f"^{{{dims}}}" if shape else "")
    return "ℝ" + "ˣ".join(str(k).translate(_SUP) for k in shape)


#: values with at most this many entries are written out in full in the derivation
FULL_VALUE = 60


def full_value(value: Any, fmt: str = "text") -> str:
    """A value written out (rows of a matrix too) when it is small, else by shape."""
    if not isinstance(value, list):
        return fmt_number(value)
    flat = [x for r in value for x in r] if value and isinstance(value[0], list) else value
    if len(flat) > FULL_VALUE:
        return fmt_value(value).replace("×", r"\times ") if fmt == "latex" else fmt_value(value)
    if fmt == "latex" and isinstance(value, list):
        if value and isinstance(value[0], list):
            rows = r" \\ ".join(" & ".join(fmt_number(x) for x in r) for r in value)
            return rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}"
    return fmt_number(value)  # type: ignore[arg-type]  # fmt_number writes lists too
