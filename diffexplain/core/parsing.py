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

from collections.abc import Sequence

from diffexplain.core.alphabet import fold_operators
from diffexplain.core.functions import CONSTANTS, FUNCTIONS, OPERATORS, lookup
from diffexplain.core.graph import Graph, GraphBuilder
from diffexplain.core.tokens import _BINARY, _UNARY_PREC, Token, _Lazy
from diffexplain.core.tokens import tokenize as tokenize  # the public name's old home
from diffexplain.errors import InputError, LimitExceeded, ParseError
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits


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

        lazy = self.toks
        toks = lazy.scanned
        while True:
            k = self.k
            if k + 2 >= len(toks):  # the two tokens of lookahead below are scanned
                lazy.fill(k + 2)
            tok = toks[k]
            if expect_operand:
                if tok.kind == "NUM":
                    out.append(b.const(_number(tok.text), tok.text, tok.pos))
                    expect_operand = False
                elif tok.kind == "NAME":
                    nxt = toks[k + 1]
                    if nxt.kind == "ASSIGN" and any(o[0] == "call" for o in ops):
                        raise self.err(_("keyword arguments are not allowed"), nxt)
                    if nxt.kind == "LPAREN":
                        fn = lookup(tok.text)
                        if fn is None:
                            raise self.err(_unknown_function(tok.text), tok)
                        depth += 1
                        self._depth(depth, nxt)
                        if toks[k + 2].kind == "RPAREN":
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


