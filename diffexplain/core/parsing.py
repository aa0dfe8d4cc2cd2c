"""Text to :class:`~diffexplain.core.graph.Graph`: a tokenizer and an operator-precedence parser.

The parser is shunting-yard with explicit stacks, not recursive descent, so a
1,000-deep expression costs no Python stack and depth is bounded only by
:attr:`Limits.max_depth`. Untrusted text is data: nothing here (or anywhere
downstream) hands text to ``eval``, ``exec``, ``ast`` or ``sympify``. Every
error names the offending token and points at it with a caret.

Grammar (statements separated by ``;`` or newlines, ``#`` starts a comment)::

    program   := statement (SEP statement)*
    statement := NAME '=' expr | expr            (only the last may be a bare expr)
    expr      := expr ('+'|'-') expr | expr ('*'|'/') expr | ('-'|'+') expr
               | expr ('**'|'^') expr | NAME '(' expr (',' expr)* ')' | '(' expr ')'
               | NUMBER | NAME

``**`` binds tighter than unary minus and is right-associative, as in Python
(``-x**2`` is ``-(x**2)``, ``2**3**2`` is 512). A number directly followed by
a name or ``(`` multiplies (``2w``, ``3(x+1)``), as do ``)(``. ``·``, ``×``,
``−``, ``√`` and superscripts (``x²``, ``x⁻¹``) are accepted so printed derivations can be
pasted back, and full-width operators and brackets (``（x）``) read as ASCII.
Identifiers are ASCII: a letter, then letters, digits or ``_``.
"""

from __future__ import annotations

import keyword
import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from diffexplain.core.alphabet import SUPERSCRIPTS, fold_operators, root_tokens, superscript_tokens
from diffexplain.core.functions import CONSTANTS, FUNCTIONS, OPERATORS, lookup
from diffexplain.core.graph import Graph, GraphBuilder
from diffexplain.core.hints import attribute_hint
from diffexplain.errors import InputError, LimitExceeded, ParseError
from diffexplain.i18n import N_, _
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["Token", "parse", "tokenize"]


class Token(NamedTuple):
    """A NamedTuple, not a frozen dataclass: a 1 MB input is ~500,000 of them, 4x cheaper."""

    kind: str  # NUM NAME OP LPAREN RPAREN COMMA ASSIGN SEP EOF
    text: str
    pos: int


_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DIGITS = frozenset("0123456789")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
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
        toks = self._toks
        while len(toks) <= k:
            toks.append(next(self._it, None) or toks[-1])  # past the end: EOF again
        return toks[k]

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
        if ch in " \t\r":
            i += 1
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
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _NAME.match(text, i)
            assert m is not None
            name = m.group()
            _check_name(name, text, i)
            yield Token("NAME", name, i)
            last = "NAME"
            i = m.end()
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
        if ch in "+-/^@":
            yield Token("OP", ch, i)
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
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ParseError(_("Python keyword {name!r} is not allowed: expressions are data, not "
                           "code").format(name=name), text, pos, len(name))


def parse(text: str, limits: Limits = DEFAULT_LIMITS,
          outputs: Sequence[str] | None = None) -> Graph:
    """Parse an expression or a program of ``name = expr`` statements into a graph.

    Args:
        text: the user's text (untrusted).
        limits: size and depth bounds.
        outputs: names of the outputs; default the last statement.

    Raises:
        ParseError: the text is not in the grammar (message with line, column, caret).
        LimitExceeded: the text is legal but larger than ``limits`` allow.

    Examples:
        >>> g = parse("(x+w)*(w+1)")
        >>> [(n.name, n.op) for n in g.nodes]
        [('x', 'var'), ('w', 'var'), ('a', 'add'), ('1', 'const'), ('b', 'add'), ('y', 'mul')]
    """
    parser = _Parser(text, limits)
    try:
        return parser.program(outputs)
    except InputError:
        parser.toks.drain()  # a construct outside the grammar, anywhere, is named first
        raise


class _Parser:
    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.toks = _Lazy(text, limits)
        self.k = 0
        self.b = GraphBuilder(limits, text)
        self.defined: dict[str, int] = {}
        self.leaves_used: dict[str, int] = {}

    def err(self, msg: str, tok: Token) -> ParseError:
        return ParseError(msg, self.text, tok.pos, max(1, len(tok.text)))

    def program(self, outputs: Sequence[str] | None) -> Graph:
        statements: list[tuple[str | None, int, Token]] = []
        while True:
            while self.toks[self.k].kind == "SEP":
                self.k += 1
            tok = self.toks[self.k]
            if tok.kind == "EOF":
                break
            if statements and statements[-1][0] is None:
                raise self.err(_("only the last statement may be a bare expression; name it "
                               "with 'name = …'"), statements[-1][2])
            name = None
            if tok.kind == "NAME" and self.toks[self.k + 1].kind == "ASSIGN":
                name = tok.text
                self._check_target(tok)
                self.k += 2
            start = self.toks[self.k]
            node = self.expression()
            if name is not None:
                if name in self.leaves_used:  # 'y = y + x': the name is its own input
                    raise ParseError(_("{name!r} is used in its own definition; an assignment "
                                       "cannot read the name it defines (call the input "
                                       "variable something else)").format(name=name),
                                     self.text, self.leaves_used[name], len(name))
                self.defined[name] = node
                self.b.name(node, name)
            statements.append((name, node, start))
        if not statements:
            raise ParseError(_("empty expression: nothing to differentiate"), self.text, 0)
        if outputs:
            outs = []
            for o in outputs:
                if o not in self.defined:
                    raise InputError(_("output {name!r} is not defined by a statement").format(
                        name=o))
                outs.append(self.defined[o])
            return self.b.build(outs, list(outputs))
        return self.b.build([statements[-1][1]], [statements[-1][0] or ""])

    def _check_target(self, tok: Token) -> None:
        name = tok.text
        if lookup(name) is not None or name in OPERATORS:
            raise self.err(_("cannot assign to the function name {name!r}").format(name=name), tok)
        if name in CONSTANTS:
            raise self.err(_("cannot assign to the constant {name!r}").format(name=name), tok)
        if name in self.defined:
            raise self.err(_("{name!r} is already defined; each name is assigned once").format(
                name=name), tok)
        if name in self.leaves_used:
            raise self.err(_("{name!r} was used as an input variable before this "
                             "assignment").format(name=name), tok)

    def expression(self) -> int:
        """One expression up to SEP/EOF, by shunting-yard with explicit stacks."""
        out: list[int] = []
        # operator stack entries: (kind, payload, prec, right_assoc, token)
        ops: list[tuple[str, object, int, bool, Token]] = []
        args: list[int] = []  # argument counts of open calls (parallel to 'call' entries)
        depth = 0
        expect_operand = True
        b = self.b

        def reduce() -> None:
            kind, payload, _prec, _right, tok = ops.pop()
            name = str(payload)
            if kind == "unary":
                out.append(b.op("neg", [out.pop()], tok.pos))
                return
            rhs = out.pop()
            lhs = out.pop()
            if name not in OPERATORS:
                raise self.err(_("operator {op!r} needs vector/matrix variables, which "
                                 "plain expressions do not have").format(op=tok.text), tok)
            out.append(b.op(name, [lhs, rhs], tok.pos))

        while True:
            tok = self.toks[self.k]
            if expect_operand:
                if tok.kind == "NUM":
                    out.append(b.const(_number(tok.text), tok.text, tok.pos))
                    expect_operand = False
                elif tok.kind == "NAME":
                    nxt = self.toks[self.k + 1]
                    if nxt.kind == "ASSIGN" and any(o[0] == "call" for o in ops):
                        raise self.err(_("keyword arguments are not allowed"), nxt)
                    if nxt.kind == "LPAREN":
                        fn = lookup(tok.text)
                        if fn is None:
                            raise self.err(_unknown_function(tok.text), tok)
                        depth += 1
                        self._depth(depth, nxt)
                        if self.toks[self.k + 2].kind == "RPAREN":
                            raise self.err(_("{function}() needs {arity} argument(s)").format(
                                function=fn.name, arity=fn.arity), tok)
                        ops.append(("call", fn.name, 0, False, tok))
                        args.append(1)
                        self.k += 1  # the '(' is consumed with the name
                    else:
                        out.append(self._leaf(tok))
                        expect_operand = False
                elif tok.kind == "LPAREN":
                    depth += 1
                    self._depth(depth, tok)
                    ops.append(("paren", "(", 0, False, tok))
                elif tok.kind == "OP" and tok.text in "+-":
                    if tok.text == "-":
                        ops.append(("unary", "neg", _UNARY_PREC, True, tok))
                elif tok.kind == "OP" and tok.text in ("*", "**"):
                    raise self.err(_("starred expressions are not allowed"), tok)
                elif tok.kind == "ASSIGN":
                    prev = self.toks[self.k - 1] if self.k else None
                    if prev is not None and prev.kind == "OP" and prev.pos + len(prev.text) == tok.pos:
                        raise ParseError(_("augmented assignment ('{op}=') is not allowed").format(
                            op=prev.text),
                                         self.text, prev.pos, len(prev.text) + 1)
                    raise self.err(_("'=' must follow a name at the start of a statement"), tok)
                else:
                    raise self.err(_expected(_("a number, a name or '('"), tok), tok)
            else:
                if tok.kind == "OP":
                    name, prec, right = _BINARY[tok.text]
                    while ops and ops[-1][0] in ("binary", "unary") and (
                            ops[-1][2] > prec or (ops[-1][2] == prec and not right)):
                        reduce()
                    ops.append(("binary", name, prec, right, tok))
                    expect_operand = True
                elif tok.kind == "RPAREN":
                    while ops and ops[-1][0] in ("binary", "unary"):
                        reduce()
                    if not ops:
                        raise self.err(_("unmatched ')'"), tok)
                    kind, payload, _prec, _right, open_tok = ops.pop()
                    depth -= 1
                    if kind == "call":
                        count = args.pop()
                        fn = FUNCTIONS[str(payload)]
                        if count != fn.arity:
                            raise self.err(_("{function}() takes {arity} argument(s), got "
                                             "{n}").format(function=open_tok.text,
                                                           arity=fn.arity, n=count), open_tok)
                        ins = out[len(out) - count:]
                        del out[len(out) - count:]
                        out.append(b.op(fn.name, ins, open_tok.pos))
                elif tok.kind == "COMMA":
                    while ops and ops[-1][0] in ("binary", "unary"):
                        reduce()
                    if not ops or ops[-1][0] != "call":
                        raise self.err(_("a comma may only separate a function's arguments "
                                       "(tuples are not allowed)"), tok)
                    args[-1] += 1
                    expect_operand = True
                elif tok.kind in ("SEP", "EOF"):
                    while ops:
                        if ops[-1][0] in ("paren", "call"):  # caret under the '(' itself
                            opened = ops[-1][4]
                            at = (fold_operators(self.text).find("(", opened.pos)
                                  if ops[-1][0] == "call" else -1)
                            raise ParseError(_("'(' is never closed"), self.text,
                                             opened.pos if at < 0 else at)
                        reduce()
                    return out[-1]
                elif tok.kind == "ASSIGN":
                    inside_call = any(o[0] == "call" for o in ops)
                    raise self.err(_("keyword arguments are not allowed") if inside_call else
                                   _("'=' must follow a name at the start of a statement"), tok)
                elif tok.kind == "LPAREN":
                    raise self.err(_("only functions can be called; write '*' to multiply"), tok)
                else:
                    raise self.err(_expected(_("an operator"), tok), tok)
            self.k += 1

    def _depth(self, depth: int, tok: Token) -> None:
        if depth > self.limits.max_depth:
            raise LimitExceeded(_("nesting deeper than {limit} levels").format(
                limit=self.limits.max_depth),
                                _("raise it with --max-depth"), self.text, tok.pos)

    def _leaf(self, tok: Token) -> int:
        name = tok.text
        if name in self.defined:
            return self.defined[name]
        if name in CONSTANTS:
            return self.b.named_constant(name)
        if lookup(name) is not None:
            raise self.err(_("{name!r} is a function; call it as {call}").format(
                name=name, call=f"{name}(…)"), tok)
        self.leaves_used.setdefault(name, tok.pos)
        return self.b.var(name)


def _number(lit: str) -> float:
    try:
        return float(lit)
    except OverflowError:  # pragma: no cover - float() returns inf rather than raising
        return float("inf")


def _unknown_function(name: str) -> str:
    known = ", ".join(sorted(FUNCTIONS))
    return _("unknown function {name!r}; the functions are: {known}").format(name=name, known=known)


def _expected(what: str, tok: Token) -> str:
    found = _("the end of the input") if tok.kind == "EOF" else (
        _("the end of the statement") if tok.kind == "SEP" else repr(tok.text))
    return _("expected {what} but found {found}").format(what=what, found=found)


_VALUE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NONFINITE = {"nan": float("nan"), "inf": float("inf"), "+inf": float("inf"),
              "-inf": float("-inf")}


def parse_point(text: str, allow_nonfinite: bool = False,
                limits: Limits = DEFAULT_LIMITS) -> dict[str, float | list[float]]:
    """``"w=1,x=2"``, ``"w=1 x=2"``, ``"x=[0,1,2,3]"`` or ``"w=[[1,2],[3,4]]"`` to a dict.

    Values are decimal numbers; ``nan``/``inf`` only with ``allow_nonfinite``.
    """
    out: dict[str, float | list[float]] = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " ,;\t":
            i += 1
        if i >= n:
            break
        m = _NAME.match(text, i)
        if not m or not text[i].isascii():
            raise InputError(_("expected 'name=value' in the point"), text, i)
        name = m.group()
        if name.startswith("_") or keyword.iskeyword(name):
            raise InputError(_("{name!r} is not a valid variable name").format(name=name), text, i,
                             len(name))
        i = m.end()
        while i < n and text[i] == " ":
            i += 1
        if i >= n or text[i] != "=":
            raise InputError(_("expected '=' after {name!r} in the point").format(name=name), text,
                             min(i, n))
        i += 1
        while i < n and text[i] == " ":
            i += 1
        if name in out:
            raise InputError(_("{name!r} is given twice in the point").format(name=name), text,
                             m.start(),
                             len(name))
        if i < n and text[i] == "[" and text[i + 1:].lstrip().startswith("["):
            out[name], i = _matrix(text, i, allow_nonfinite, limits)  # type: ignore[assignment]
        elif i < n and text[i] == "[":
            out[name], i = _vector(text, i, allow_nonfinite, limits)
        else:
            j, depth = i, 0
            while j < n and (depth or text[j] not in " ,;\t"):  # pow(2, 3) is one value
                depth += (text[j] == "(") - (text[j] == ")")
                j += 1
            out[name] = _value(text[i:j], text, i, allow_nonfinite, limits)
            i = j
    if not out:
        raise InputError(_("the point is empty; write e.g. w=1,x=2"))
    return out


def _vector(text: str, i: int, allow_nonfinite: bool,
            limits: Limits) -> tuple[list[float], int]:
    """``[0, 1, 2]`` starting at ``text[i]``; returns the values and the index after ']'."""
    j = text.find("]", i)
    if j < 0:
        raise InputError(_("'[' is never closed"), text, i)
    items = [s.strip() for s in text[i + 1:j].split(",")]
    if items == [""]:
        raise InputError(_("empty vector"), text, i)
    if len(items) > limits.max_vector:
        raise LimitExceeded(_("vector of {n} entries exceeds the limit of {limit}").format(
            n=len(items), limit=limits.max_vector), _("raise it with --max-vector"))
    vec = []
    pos = i + 1
    for item in items:
        vec.append(_value(item, text, text.find(item, pos), allow_nonfinite, limits))
        pos = text.find(item, pos) + len(item)
    return vec, j + 1


def _matrix(text: str, i: int, allow_nonfinite: bool,
            limits: Limits) -> tuple[list[list[float]], int]:
    """``[[1, 2], [3, 4]]`` (rows of equal length) starting at ``text[i]``."""
    rows: list[list[float]] = []
    k = i + 1
    while True:
        while k < len(text) and text[k] in " ,":
            k += 1
        if k >= len(text):
            raise InputError(_("'[' is never closed"), text, i)
        if text[k] == "]":
            break
        if text[k] != "[":
            raise InputError(_("expected '[' starting a row of the matrix"), text, k)
        row, k = _vector(text, k, allow_nonfinite, limits)
        if rows and len(row) != len(rows[0]):
            raise InputError(_("matrix rows have different lengths ({a} and {b})").format(
                a=len(rows[0]), b=len(row)), text, k - 1)
        rows.append(row)
        if len(rows) * len(row) > limits.max_vector:
            raise LimitExceeded(_("matrix of more than {limit} entries").format(
                limit=limits.max_vector),
                                _("raise it with --max-vector"))
    return rows, k + 1


def _value(s: str, text: str, pos: int, allow_nonfinite: bool,
           limits: Limits = DEFAULT_LIMITS) -> float:
    if not s:
        raise InputError(_("a value is missing after '='"), text, pos)
    low = s.lower()
    if low in _NONFINITE:
        if not allow_nonfinite:
            raise InputError(_("{value!r} is not allowed as a value unless --allow-nonfinite is "
                               "given").format(value=s), text, pos, len(s))
        return _NONFINITE[low]
    if not _VALUE.fullmatch(s):  # pi/2, 1/2, -e: constants and arithmetic, never eval
        from diffexplain.core.constexpr import constant_value

        return constant_value(s, text, pos, limits)
    digits = sum(c.isdigit() for c in s)
    if digits > limits.max_literal_digits:
        raise LimitExceeded(_("value with {digits} digits exceeds the limit of {limit}").format(
            digits=digits, limit=limits.max_literal_digits), _("raise it with --max-literal-digits"),
                            text, pos)
    v = float(s)
    if v != v or v in (float("inf"), float("-inf")):
        if not allow_nonfinite:
            raise InputError(_("{value!r} overflows to {result}").format(value=s, result=v), text,
                             pos, len(s))
    if v == 0 and any(c in "123456789" for c in low.split("e")[0]):
        raise InputError(_("{value!r} underflows to 0 (the smallest float is about 5e-324); "
                           "write 0 if you mean zero").format(value=s), text, pos, len(s))
    return v


# --- sympy expressions -------------------------------------------------------------------
_SYMPY_FUNCS = {"sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log",
                "tanh": "tanh", "Abs": "abs", "atan": "atan", "sinh": "sinh", "cosh": "cosh"}


def from_sympy(expr: object, limits: Limits = DEFAULT_LIMITS) -> Graph:
    """The same graph a user would get by typing the expression (post-order, explicit stack).

    ``a - b`` (``Add(a, Mul(-1, b))``) becomes a subtraction, ``a*b**-1`` a division,
    ``b**(1/2)`` ``sqrt(b)``, ``Max(0, u)`` ``relu(u)``; anything outside the
    function table is an :class:`InputError`.
    """
    import sympy as sp

    if not isinstance(expr, sp.Basic):
        raise InputError(_("not a sympy expression: {type}").format(type=type(expr).__name__))
    b = GraphBuilder(limits, str(expr) if len(expr.args) < 50 else "")
    memo: dict[object, int] = {}
    stack: list[tuple[object, bool]] = [(expr, False)]
    while stack:
        e, done = stack.pop()
        if e in memo:
            continue
        if not done:
            stack.append((e, True))
            stack.extend((a, False) for a in reversed(_operands(sp, e)) if a not in memo)
            continue
        memo[e] = _sympy_node(sp, b, e, memo)
    return b.build([memo[expr]])


def _operands(sp: object, e: object) -> list[object]:
    import sympy as sp

    assert isinstance(e, sp.Basic)
    if e.is_Atom:
        return []
    if isinstance(e, sp.Mul):
        num, den = e.as_numer_denom() if any(
            isinstance(a, sp.Pow) and a.exp.is_negative for a in e.args) else (e, sp.Integer(1))
        if den != 1:
            return [num, den]
        coeff, rest = e.as_coeff_Mul()
        if coeff == -1:
            return [rest]
    if isinstance(e, sp.Pow) and e.exp == sp.Rational(1, 2):
        return [e.base]
    if isinstance(e, sp.Pow) and e.exp.is_negative and e.exp != -1:
        return [sp.Pow(e.base, -e.exp)]
    if isinstance(e, sp.Pow) and e.exp == -1:
        return [e.base]
    return list(e.args)


def _sympy_node(sp: object, b: GraphBuilder, e: object, memo: dict[object, int]) -> int:
    import sympy as sp

    assert isinstance(e, sp.Basic)
    if isinstance(e, sp.Symbol):
        name = e.name
        if not _NAME.fullmatch(name) or name.startswith("_") or keyword.iskeyword(name):
            raise InputError(_("symbol name {name!r} is not a valid identifier").format(name=name))
        if name in CONSTANTS or lookup(name) is not None:
            raise InputError(_("symbol name {name!r} is reserved").format(name=name))
        return b.var(name)
    if e is sp.pi:
        return b.named_constant("pi")
    if e is sp.E:
        return b.named_constant("e")
    if isinstance(e, sp.Integer):
        if len(str(abs(int(e)))) > limits_digits(b):
            raise LimitExceeded(_("integer literal too long"), _("use fewer digits"))
        return b.const(float(e), str(int(e)))
    if isinstance(e, sp.Rational):
        return b.op("div", [b.const(float(e.p), str(e.p)), b.const(float(e.q), str(e.q))])
    if isinstance(e, sp.Float):
        return b.const(float(e))
    ops = [memo[a] for a in _operands(sp, e)]
    if isinstance(e, sp.Add):
        node = ops[0]
        for a in ops[1:]:
            node = b.op("add", [node, a])
        return node
    if isinstance(e, sp.Mul):
        if len(ops) == 2 and any(isinstance(a, sp.Pow) and a.exp.is_negative for a in e.args):
            return b.op("div", ops)
        if len(ops) == 1:
            return b.op("neg", ops)
        node = ops[0]
        for a in ops[1:]:
            node = b.op("mul", [node, a])
        return node
    if isinstance(e, sp.Pow):
        if e.exp == sp.Rational(1, 2):
            return b.op("sqrt", ops)
        if e.exp == -1:
            return b.op("div", [b.const(1.0, "1"), ops[0]])
        if e.exp.is_negative:
            return b.op("div", [b.const(1.0, "1"), ops[0]])
        return b.op("pow", ops)
    if isinstance(e, sp.Max) and len(e.args) == 2 and sp.Integer(0) in e.args:
        other = e.args[1] if e.args[0] == 0 else e.args[0]
        return b.op("relu", [memo[other]])
    name = _SYMPY_FUNCS.get(type(e).__name__)
    if name is None:
        raise InputError(_("sympy {type} is not in diffexplain's function table").format(
            type=type(e).__name__))
    return b.op(name, ops)


def limits_digits(b: GraphBuilder) -> int:
    return b.limits.max_literal_digits
