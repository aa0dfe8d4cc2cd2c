"""The tokenizer: text → tokens, lazily, with the limits checked as characters are read.

Unicode the library prints (·, ×, −, √, superscripts, full-width brackets) is folded to
ASCII operators here, so the parser sees one alphabet; forbidden Python syntax is named.
"""

from __future__ import annotations

import keyword
import math
import re
import unicodedata
from collections.abc import Iterator
from itertools import islice
from typing import NamedTuple

from diffexplain.core.alphabet import SUPERSCRIPTS, fold_operators, root_tokens, superscript_tokens
from diffexplain.core.hints import attribute_hint
from diffexplain.errors import LimitExceeded, ParseError
from diffexplain.i18n import N_, _
from diffexplain.limits import DEFAULT_LIMITS, Limits


class Token(NamedTuple):
    """A NamedTuple, not a frozen dataclass: a 1 MB input is ~500,000 of them, 4x cheaper."""

    kind: str  # NUM NAME OP LPAREN RPAREN COMMA ASSIGN SEP EOF
    text: str
    pos: int


_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DIGITS = frozenset("0123456789")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
_TRANSLATE = {"·": "*", "×": "*", "⋅": "*", "∗": "*", "−": "-", "÷": "/"}
_FORBIDDEN = {
    ".": N_("attribute access ('.') is not allowed"),
    "'": N_("strings are not allowed"),
    '"': N_("strings are not allowed"),
    "[": N_("subscripts and lists ('[') are not allowed in expressions"),
    "]": N_("subscripts and lists (']') are not allowed in expressions"),
    "{": N_("dicts, sets and f-string fields ('{') are not allowed"),
    "}": N_("dicts, sets and f-string fields ('}') are not allowed"),
    "\\": N_("backslashes are not allowed"),
    "`": N_("backticks are not allowed"),
    "$": N_("'$' is not allowed"),
    "?": N_("'?' is not allowed"),
    "!": N_("'!' is not allowed (factorials and negation are not supported)"),
    "&": N_("bitwise operators ('&') are not allowed"),
    "|": N_("bitwise operators ('|') are not allowed; write abs(x)"),
    "~": N_("bitwise operators ('~') are not allowed"),
    "%": N_("the modulo operator ('%') is not supported"),
    "<": "comparisons ('<') are not allowed",
    ">": "comparisons ('>') are not allowed",
}
_BINARY = {"+": ("add", 10, False), "-": ("sub", 10, False), "*": ("mul", 20, False),
           "/": ("div", 20, False), "@": ("matmul", 20, False), "**": ("pow", 40, True),
           "^": ("pow", 40, True)}
_UNARY_PREC = 30


def tokenize(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Token]:
    """Split text into tokens, refusing every construct outside the grammar by name."""
    return list(_scan(text, limits))


class _Lazy:
    """The tokens of a text, scanned only as far as the parser has looked.

    The parser builds (and counts) nodes as it reads, so an input over ``max_nodes`` is
    refused after reading about as much text as the limit allows, not after scanning all
    of it first.
    """

    def __init__(self, text: str, limits: Limits) -> None:
        self._it = _scan(text, limits)
        self._toks: list[Token] = []

    def __getitem__(self, k: int) -> Token:
        try:
            return self._toks[k]
        except IndexError:
            self.fill(k)
            return self._toks[k]

    @property
    def scanned(self) -> list[Token]:
        """The tokens scanned so far: the parser's hot loop indexes this list directly,
        after :meth:`fill` (a method call per token would cost as much as the parse)."""
        return self._toks

    def fill(self, k: int) -> None:
        """Scan until token ``k`` exists (past the end: EOF again)."""
        toks = self._toks
        if k < len(toks):
            return
        # in chunks: one generator step per token costs as much as the parse itself
        toks.extend(islice(self._it, max(256, k + 1 - len(toks))))
        while len(toks) <= k:
            toks.append(toks[-1])

    def drain(self) -> None:
        """Scan the rest of the text, so its first lexical error (if any) is raised."""
        for _tok in self._it:
            pass


def _scan(text: str, limits: Limits) -> Iterator[Token]:
    if len(text) > limits.max_length:
        raise LimitExceeded(_("the input has {n} characters, more than {limit}").format(
            n=len(text), limit=limits.max_length),
                            _("raise it with --max-length"))
    last = ""  # the kind of the previous token, for the implicit product (x+1)(x+2)
    text = fold_operators(text)  # （x） is (x): what a Chinese input method types
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        # the common characters first: no branch below them takes a blank, an ASCII letter
        # or these operators
        if ch in " \t\r":
            i += 1
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _NAME.match(text, i)
            assert m is not None
            name = m.group()
            _check_name(name, text, i)
            yield Token("NAME", name, i)
            last = "NAME"
            i = m.end()
            continue
        if ch in "+-/^@":
            yield Token("OP", ch, i)
            last = "OP"
            i += 1
            continue
        if ch == "√" or ch in SUPERSCRIPTS:  # what derivations print: √(x), x⁻¹
            got = root_tokens(text, i) if ch == "√" else superscript_tokens(text, i)
            if got is not None:
                for t in got[0]:
                    tok = _unicode_token(t, text, limits)
                    yield tok
                    last = tok.kind
                i = got[1]
                continue
        if ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch in "\n;":
            yield Token("SEP", ch, i)
            last = "SEP"
            i += 1
            continue
        if ch in _TRANSLATE:
            sub = _TRANSLATE[ch]
            if sub.startswith("**"):
                yield Token("OP", "**", i)
                last = "OP"
                yield Token("NUM", sub[2:], i)
                last = "NUM"
            else:
                yield Token("OP", sub, i)
                last = "OP"
            i += 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            assert m is not None
            lit = m.group()
            digits = sum(c in _DIGITS for c in lit)
            if digits > limits.max_literal_digits:
                raise LimitExceeded(_("number literal with {digits} digits exceeds the limit of "
                                      "{limit}").format(digits=digits,
                                                        limit=limits.max_literal_digits),
                                    _("raise it with "
                                    "--max-literal-digits"), text, i)
            _check_float_range(lit, text, i, limits)
            yield Token("NUM", lit, i)
            last = "NUM"
            i = m.end()
            if lit == "0" and i < n and text[i] in "xXoObB" and i + 1 < n and text[i + 1].isalnum():
                raise ParseError(_("Python number prefixes ('0{letter}…') are not supported; "
                                   "write decimal numbers").format(letter=text[i]), text, i - 1, 2)
            if i < n and (text[i] == "_" or text[i].isalpha() or text[i] == "("):
                if text[i] == "_" or (not text[i].isascii()):
                    raise ParseError(_("unexpected {char!r} after the number {number}").format(
                        char=text[i], number=lit), text, i)
                yield Token("OP", "*", i)  # implicit product: 2w, 3(x+1)
                last = "OP"
            elif i < n and text[i] == "√":
                yield Token("OP", "*", i)  # 2√(x), as derivations print it
                last = "OP"
            continue
        if ch == "*":
            if text.startswith("**", i):
                yield Token("OP", "**", i)
                last = "OP"
                i += 2
            else:
                yield Token("OP", "*", i)
                last = "OP"
                i += 1
            continue
        if ch == "(":
            if last == "RPAREN":
                yield Token("OP", "*", i)  # (x+1)(x+2)
                last = "OP"
            yield Token("LPAREN", ch, i)
            last = "LPAREN"
            i += 1
            continue
        if ch == ")":
            yield Token("RPAREN", ch, i)
            last = "RPAREN"
            i += 1
            continue
        if ch == ",":
            yield Token("COMMA", ch, i)
            last = "COMMA"
            i += 1
            continue
        if ch == ":":
            what = (_("the walrus operator ':=' is not allowed") if text.startswith(":=", i)
                    else _("':' (lambdas, slices, annotations) is not allowed"))
            raise ParseError(what, text, i, 2 if text.startswith(":=", i) else 1)
        if ch == "=":
            if text.startswith("==", i):
                raise ParseError(_("comparisons ('==') are not allowed"), text, i, 2)
            yield Token("ASSIGN", ch, i)
            last = "ASSIGN"
            i += 1
            continue
        if ch in _FORBIDDEN:
            hint = attribute_hint(text, i) if ch == "." else None  # x.sum() → sum(x)
            raise ParseError(hint or _(_FORBIDDEN[ch]), text, i)
        raise ParseError(_unknown_char(ch), text, i)
    yield Token("EOF", "", n)


def _unicode_token(t: tuple[str, str, int], text: str, limits: Limits) -> Token:
    """A token read from √ or superscripts, checked like its ASCII spelling."""
    kind, lit, pos = t
    if kind == "NAME":
        _check_name(lit, text, pos)
    elif kind == "NUM":
        if sum(c in _DIGITS for c in lit) > limits.max_literal_digits:
            raise LimitExceeded(_("number literal with {digits} digits exceeds the limit of "
                                  "{limit}").format(digits=sum(c in _DIGITS for c in lit),
                                                    limit=limits.max_literal_digits),
                                _("raise it with --max-literal-digits"), text, pos)
        _check_float_range(lit, text, pos, limits)
    return Token(kind, lit, pos)


def _check_float_range(lit: str, text: str, pos: int, limits: Limits) -> None:
    # 1e400 would be inf, and an exact 1e-99999999999 a 10**11-digit denominator: both are
    # refused here, before anything converts the literal exactly
    value = float(lit)
    mantissa = lit.lower().split("e")[0]
    if math.isinf(value) or (value == 0 and mantissa.strip("0.")):
        msg = (_("the number {number} overflows a float (floats span about 1e-308 to 1e308)")
               if math.isinf(value) else
               _("the number {number} underflows a float (floats span about 1e-308 to 1e308)"))
        raise LimitExceeded(msg.format(number=lit),
                            _("write a smaller number"), text, pos)


def _unknown_char(ch: str) -> str:
    if not ch.isascii():
        norm = unicodedata.normalize("NFKC", ch)
        code = f"U+{ord(ch):04X}"
        if norm != ch and norm.isascii() and norm.strip():
            return _("non-ASCII character {char!r} ({code}) looks like {ascii!r}; identifiers "
                     "and operators must be ASCII").format(char=ch, code=code, ascii=norm)
        return _("non-ASCII character {char!r} ({code}) is not allowed; identifiers are "
                 "ASCII").format(char=ch, code=code)
    if not ch.isprintable():
        return _("control character {code} is not allowed").format(code=f"U+{ord(ch):04X}")
    return _("unexpected character {char!r}").format(char=ch)


def _check_name(name: str, text: str, pos: int) -> None:
    if name.startswith("_"):
        raise ParseError(_("names may not start with '_' ({name!r}): dunder and private names "
                           "are not allowed").format(name=name), text, pos, len(name))
    if name in _KEYWORDS:
        raise ParseError(_("Python keyword {name!r} is not allowed: expressions are data, not "
                           "code").format(name=name), text, pos, len(name))


