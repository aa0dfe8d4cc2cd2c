"""The one exception hierarchy: every failure a user can cause maps to an exit code.

``cli.main`` is the only place that catches these; it prints ``str(error)`` and
returns ``error.exit_code``. Disagreement between the methods is *data* (a
:class:`~diffexplain.model.Verdict`), never an exception.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "EXIT_DISAGREE",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_LIMIT",
    "EXIT_OK",
    "DiffexplainError",
    "InputError",
    "LimitExceeded",
    "ParseError",
    "VerificationError",
]

EXIT_OK = 0
EXIT_DISAGREE = 1
EXIT_INPUT = 2
EXIT_LIMIT = 3
EXIT_INTERNAL = 4

_EXCERPT = 60  # characters of context either side of a caret, so 1 MB inputs stay one screen


def _untranslated(message: str) -> str:
    return message


#: gettext for the errors' own sentences. Identity until :mod:`diffexplain.i18n`, which
#: raises these errors and so sits above them, installs the catalog here on import.
_translate: Callable[[str], str] = _untranslated


class DiffexplainError(Exception):
    """Root of every error diffexplain raises on purpose."""

    exit_code = EXIT_INTERNAL


class InputError(DiffexplainError):
    """The user's text or values are wrong; the message says where.

    ``source``/``pos`` are optional: with them, :meth:`excerpt` draws the
    offending line with a caret under the column.
    """

    exit_code = EXIT_INPUT

    def __init__(self, message: str, source: str | None = None, pos: int | None = None,
                 length: int = 1) -> None:
        self.message = message
        self.source = source
        self.pos = pos
        self.length = max(1, length)
        super().__init__(message)

    @property
    def line(self) -> int | None:
        if self.source is None or self.pos is None:
            return None
        return self.source.count("\n", 0, self.pos) + 1

    @property
    def column(self) -> int | None:
        if self.source is None or self.pos is None:
            return None
        return self.pos - (self.source.rfind("\n", 0, self.pos) + 1) + 1

    def excerpt(self) -> str:
        """Two lines: the offending source line (clipped) and a caret under the column."""
        if self.source is None or self.pos is None:
            return ""
        start = self.source.rfind("\n", 0, self.pos) + 1
        end = self.source.find("\n", self.pos)
        end = len(self.source) if end < 0 else end
        col = self.pos - start
        lo = max(0, col - _EXCERPT)
        hi = min(end - start, col + _EXCERPT)
        text = self.source[start + lo : start + hi]
        prefix = "…" if lo > 0 else ""
        suffix = "…" if hi < end - start else ""
        shown = "".join(ch if ch.isprintable() else "?" for ch in text)
        caret = " " * (len(prefix) + col - lo) + "^" * min(self.length, max(1, hi - col))
        return f"  {prefix}{shown}{suffix}\n  {caret}"

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _translate("{message} (line {line}, column {column})").format(
            message=self.message, line=self.line, column=self.column)


class ParseError(InputError):
    """The text is not an expression of diffexplain's grammar."""


class LimitExceeded(DiffexplainError):
    """Legal input that would cost more than the configured :class:`~diffexplain.limits.Limits`."""

    exit_code = EXIT_LIMIT

    def __init__(self, message: str, hint: str = "", source: str | None = None,
                 pos: int | None = None) -> None:
        self.message = message
        self.hint = hint
        self.source = source
        self.pos = pos
        super().__init__(message)

    def excerpt(self) -> str:
        return InputError("", self.source, self.pos).excerpt()

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class VerificationError(DiffexplainError):
    """A derivation line failed its own check: a bug in diffexplain, never shown as output."""

    exit_code = EXIT_INTERNAL
