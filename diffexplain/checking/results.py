"""The result objects of :func:`~diffexplain.checking.check` (kept apart so the modules that
build them do not import the package)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STEP_DEPTH", "STEP_NODES", "CheckResult", "Mistake", "StepResult"]

#: a step's nodes and nesting depth (deeper sympy trees overflow the printers' stack)
STEP_NODES = 1000
STEP_DEPTH = 80


@dataclass(frozen=True)
class StepResult:
    """One step: as written, whether it is right, how that was decided, and why."""

    index: int
    expr: str
    ok: bool
    method: str  # sympy | numeric | value | none
    reason: str
    follows: bool | None = None  # equals the step before it (None for the first step)
    value: float | None = None  # at the point
    text: str = ""
    latex: str = ""
    #: how an ambiguous notation was read ("read xy as x·y")
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mistake:
    """The named slip of the first wrong step: a stable ``code`` and a sentence with evidence."""

    code: str
    sentence: str
    step: int
    evidence: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a derivation; ``correct`` is diffexplain's own verified derivation."""

    expression: str
    wrt: str
    output: str
    point: Mapping[str, float]
    steps: tuple[StepResult, ...]
    first_error: int | None
    mistake: Mistake | None
    correct: Any  # symbolic.Derivation
    derivative: str  # closed form, unicode
    value: float
    lang: str = "en"  # the language of the reasons and the mistake's sentence

    @property
    def ok(self) -> bool:
        return self.first_error is None and bool(self.steps)

    @property
    def lhs(self) -> str:
        return f"∂{self.output}/∂{self.wrt}"

    def to_dict(self) -> dict[str, Any]:
        from diffexplain.render.check_formats import to_dict

        return to_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self) -> str:
        from diffexplain.render.check_formats import text

        return text(self)

    def to_markdown(self) -> str:
        from diffexplain.render.check_formats import markdown

        return markdown(self)

    def to_latex(self) -> str:
        from diffexplain.render.check_formats import latex

        return latex(self)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()
