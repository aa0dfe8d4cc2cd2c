"""The printed alphabet read back: what ``explain`` prints, ``explain`` accepts.

Derivations print ``√(x)``, ``x⁻¹``, ``x²``, and learners typing on a Chinese input
method get full-width ``（x）``. The tokenizer reads them as the ASCII grammar:
``√`` is ``sqrt`` (``√x`` is ``sqrt(x)``), a run of superscripts is a power, and
full-width *operators and brackets* are their ASCII forms. Full-width *letters*,
``＿`` and ``．`` stay refused: they would smuggle names past the identifier rule.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["SUPERSCRIPTS", "fold_operators", "root_tokens", "superscript_tokens"]

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
_SUP = str.maketrans(SUPERSCRIPTS, "0123456789-")
_SUP_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_OPERATORS = "()+-*/^,;="

# one character for one character, so every column (and caret) stays where it was
_FOLD = {cp: unicodedata.normalize("NFKC", chr(cp))
         for cp in list(range(0xFF01, 0xFF5F)) + list(range(0xFE50, 0xFE6C))
         if unicodedata.normalize("NFKC", chr(cp)) in _OPERATORS}
_FOLD[0x3000] = " "  # ideographic space


def fold_operators(text: str) -> str:
    """Full-width and small-form operators and brackets (``（ ） ， ＋ ＊``) to ASCII."""
    if text.isascii():
        return text
    return text.translate(_FOLD)


Tok = tuple[str, str, int]  # (kind, text, pos), as parsing.Token


def superscript_tokens(text: str, i: int) -> tuple[list[Tok], int] | None:
    """``x⁻¹`` → ``x ** - 1``; None when the run is no exponent (e.g. a lone ``⁻``)."""
    m = _SUP_RUN.match(text, i)
    if m is None:
        return None
    digits = m.group().translate(_SUP)
    neg = digits.startswith("-")
    if not digits.lstrip("-").isdigit() or digits.count("-") > 1:
        return None
    toks: list[Tok] = [("OP", "**", i)]
    if neg:
        toks.append(("OP", "-", i))
    toks.append(("NUM", digits.lstrip("-"), i))
    return toks, m.end()


def root_tokens(text: str, i: int) -> tuple[list[Tok], int]:
    """``√(u)`` → ``sqrt(u)``; ``√x`` / ``√2`` → ``sqrt(x)`` / ``sqrt(2)`` (one atom)."""
    toks: list[Tok] = [("NAME", "sqrt", i)]
    j = i + 1
    while j < len(text) and text[j] in " \t":
        j += 1
    m = _NAME.match(text, j) or _NUMBER.match(text, j)
    if m is None or (m.re is _NAME and text.startswith("(", m.end())):
        return toks, i + 1  # '√(' or an error the parser reports at the next token
    kind = "NAME" if m.re is _NAME else "NUM"
    return toks + [("LPAREN", "(", i), (kind, m.group(), j), ("RPAREN", ")", m.end() - 1)], m.end()
