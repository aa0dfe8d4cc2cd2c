"""Bounds on the work one explanation may do, so hostile or huge input ends cleanly.

Every limit is a field of the frozen :class:`Limits`; the API takes ``limits=``
and the CLI has one flag per field. Exceeding one raises
:class:`~diffexplain.errors.LimitExceeded` (exit code 3) before the costly work starts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True)
class Limits:
    """Configurable ceilings; the defaults admit every worked example and the benchmarks.

    Attributes:
        max_length: characters of input text.
        max_nodes: nodes of the computational graph.
        max_depth: nesting depth of parentheses and calls (1,000 must stay legal).
        max_exponent: largest absolute constant exponent, so ``9**9**9**9`` is refused.
        max_literal_digits: digits in one number literal.
        max_order: highest derivative order.
        max_vector: entries of one vector variable.
        symbolic_seconds: wall-time budget of the symbolic side (closed forms, simplification).
        closed_form_nodes: largest graph whose closed form is built and shown.
        path_sum_paths: most chain-rule paths written out as a sum of products.
    """

    max_length: int = 2_000_000
    max_nodes: int = 1_000_000
    max_depth: int = 2_000
    max_exponent: int = 1_000
    max_literal_digits: int = 40
    max_order: int = 10
    max_vector: int = 100_000
    symbolic_seconds: float = 20.0
    closed_form_nodes: int = 60
    path_sum_paths: int = 12

    def with_(self, **changes: object) -> Limits:
        """A copy with some fields changed; unknown names are a :class:`TypeError`."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown limit(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_LIMITS = Limits()
