"""The grammar of learners' notation: recursive descent over :mod:`~.notation`'s tokens.

Precedence, loosest first: ``+ −``; ``* /`` and juxtaposition (same level, left to right,
so ``1/2x`` is ``(1/2)·x``, and the reading is said); unary ``−``; powers ``^ ** ²``
(right-associative, ``-x^2`` is ``−(x²)``); primes; then numbers, names, calls, groups
``( ) [ ] { }``, ``|x|``, roots and derivatives. Depth is bounded (:data:`MAX_DEPTH`).
"""

from __future__ import annotations

from typing import Any

from diffexplain.checking.notation import (
    FUNCTIONS,
    INVERSE,
    LATEX_FUNCTIONS,
    MAX_DEPTH,
    MAX_TOKENS,
    Node,
    Tok,
    tokenize,
)
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _

__all__ = ["Parser", "parse"]

_LATEX_FUNCS = LATEX_FUNCTIONS
#: most primes on one name (y'' is a second derivative)
MAX_PRIMES = 3
_CONSTANTS = {"e", "E", "pi"}


class Parser:
    def __init__(self, raw: str, toks: list[Tok], names: frozenset[str]) -> None:
        self.raw = raw
        self.t = toks
        self.k = 0
        self.names = names
        self.notes: list[str] = []
        self.depth = 0
        self.bars = 0

    # --- helpers -----------------------------------------------------------------------
    def peek(self, o: int = 0) -> Tok:
        return self.t[min(self.k + o, len(self.t) - 1)]

    def next(self) -> Tok:
        tok = self.t[self.k]
        if tok.kind != "EOF":
            self.k += 1
        return tok

    def err(self, msg: str, tok: Tok) -> InputError:
        return InputError(msg, self.raw, tok.pos, max(1, len(tok.text)))

    def is_op(self, tok: Tok, ops: str) -> bool:
        return tok.kind == "OP" and tok.text in ops

    def note(self, msg: str) -> None:
        if msg not in self.notes:
            self.notes.append(msg)

    def _in(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitExceeded(_("the step is nested deeper than {limit} levels").format(
                limit=MAX_DEPTH), _("a step is one line of a derivation"))

    def text_between(self, a: int, b: int) -> str:
        end = self.t[b - 1].pos + len(self.t[b - 1].text) if b > a else self.t[a].pos
        return self.raw[self.t[a].pos:end].strip()

    def starts_factor(self, tok: Tok) -> bool:
        if tok.kind in ("NUM", "FRAC", "NAME", "BARNAME", "LP", "ROOT", "PARTIAL", "LB"):
            return True
        if tok.kind == "BAR":
            return self.bars == 0
        return tok.kind == "CMD" and tok.text not in ("right",)

    def is_function(self, tok: Tok) -> bool:
        if tok.kind == "CMD":
            return tok.text in _LATEX_FUNCS or tok.text in ("sqrt",)
        return (tok.kind == "NAME" and tok.text in FUNCTIONS
                and (tok.text not in self.names or self.peek(1).kind == "LP"))

    # --- the grammar -------------------------------------------------------------------
    def step(self) -> Node:
        if self.peek().kind == "EOF":
            raise self.err(_("the step is empty"), self.peek())
        tree = self.expr()
        tok = self.peek()
        if tok.kind != "EOF":
            if tok.kind == "RP":
                raise self.err(_("this '{ch}' has no matching '('").format(ch=tok.text), tok)
            if self.is_op(tok, ","):
                raise self.err(_("a ',' outside a function's brackets: write one expression "
                                 "per step (steps are separated by ';')"), tok)
            raise self.err(_("unexpected {what} here").format(what=_describe(tok)), tok)
        return tree

    def expr(self) -> Node:
        self._in()
        left = self.term()
        while self.is_op(self.peek(), "+-"):
            op = self.next().text
            left = ("bin", op, left, self.term())
        self.depth -= 1
        return left

    def term(self) -> Node:
        start = self.k
        left = self.unary()
        after_div = -1
        while True:
            tok = self.peek()
            if self.is_op(tok, "*/"):
                self.next()
                if self.peek().kind == "EOF":
                    raise self.err(_("the step ends with '{op}': something is missing after "
                                     "it").format(op=tok.text), tok)
                left = ("bin", tok.text, left, self.unary())
                after_div = self.k if tok.text == "/" else -1
            elif self.starts_factor(tok):
                if after_div == self.k and not tok.space:
                    shown = self.text_between(start, self.k)
                    factor = self.power()
                    self.note(_("read {text}{factor} as ({text})·{factor} (write the "
                                "denominator in brackets for the other reading)").format(
                                    text=shown, factor=self.text_between(after_div, self.k)))
                    left = ("bin", "*", left, factor)
                else:
                    left = ("bin", "*", left, self.power())
                after_div = -1
            else:
                return left

    def unary(self) -> Node:
        tok = self.peek()
        if self.is_op(tok, "+-"):
            self.next()
            self._in()
            operand = self.unary()
            self.depth -= 1
            return ("neg", operand) if tok.text == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        tok = self.peek()
        if self.is_op(tok, "^"):
            self.next()
            return ("bin", "^", base, self.exponent(base))
        if tok.kind == "SUP":
            self.next()
            return ("bin", "^", base, self.sup(tok))
        return base

    def sup(self, tok: Tok) -> Node:
        sub = Parser(tok.text, tokenize(tok.text), self.names)
        sub.depth = self.depth
        tree = sub.step()
        for n in sub.notes:
            self.note(n)
        return tree

    def exponent(self, base: Node) -> Node:
        self._in()
        tok = self.peek()
        if tok.kind == "EOF":
            raise self.err(_("the step ends with '^': the exponent is missing"), tok)
        if self.is_op(tok, "+-"):
            self.next()
            inner = self.exponent(base)
            self.depth -= 1
            return ("neg", inner) if tok.text == "-" else inner
        start = self.k
        e = self.power()
        nxt = self.peek()
        if base[0] == "name" and base[1] == "e" and e[0] == "num" and nxt.kind == "NAME" \
                and not nxt.space and "e" not in self.names:
            e = ("bin", "*", e, self.power())  # e^2x is e^(2x)
            self.note(_("read e^{text} as e^({text})").format(
                text=self.text_between(start, self.k)))
        self.depth -= 1
        return e

    def primes(self) -> int:
        """Primes after a name; more than :data:`MAX_PRIMES` is refused (each one is a
        derivative sympy would have to take)."""
        n = 0
        while self.peek().kind == "PRIME":
            self.next()
            n += 1
            if n > MAX_PRIMES:
                raise LimitExceeded(_("more than {limit} primes: a step of a first derivative "
                                      "needs one").format(limit=MAX_PRIMES),
                                    _("a step is one line of a derivation"))
        return n

    def postfix(self) -> Node:
        node = self.primary()
        primes = self.primes()
        if not primes:
            return node
        if node[0] == "name" and self.peek().kind == "LP":
            self.next()
            args = self.args()
            return ("primecall", node[1], args, primes, node[2])
        return ("prime", node, primes)

    def args(self) -> list[Node]:
        out = [self.expr()]
        while self.is_op(self.peek(), ","):
            self.next()
            out.append(self.expr())
        self.close("RP")
        return out

    def close(self, kind: str) -> None:
        tok = self.peek()
        if tok.kind != kind:
            want = {"RP": ")", "RB": "}", "BAR": "|"}[kind]
            if tok.kind == "EOF":
                raise self.err(_("a bracket is not closed: '{ch}' is missing").format(ch=want),
                               tok)
            if self.is_op(tok, ","):
                raise self.err(_("a ',' outside a function's brackets: write one expression "
                                 "per step (steps are separated by ';')"), tok)
            raise self.err(_("expected '{ch}' but found {what}").format(
                ch=want, what=_describe(tok)), tok)
        self.next()

    def primary(self) -> Node:
        tok = self.peek()
        if tok.kind in ("NAME", "PARTIAL", "CMD"):
            d = self.derivative()
            if d is not None:
                return d
        tok = self.next()
        kind = tok.kind
        if kind == "NUM":
            return ("num", tok.text)
        if kind == "FRAC":
            return ("frac", tok.text)
        if kind == "LP":
            inner = self.expr()
            self.close("RP")
            return ("group", inner)
        if kind == "LB":
            inner = self.expr()
            self.close("RB")
            return inner
        if kind == "BAR":
            self.bars += 1
            inner = self.expr()
            self.bars -= 1
            self.close("BAR")
            return ("abs", inner)
        if kind == "ROOT":
            return ("root", int(tok.text), self.postfix())
        if kind == "BARNAME":
            return ("adj", tok.text, tok.pos)
        if kind == "NAME":
            if tok.text == "adj" and "adj" not in self.names and self.peek().kind == "LP":
                self.next()
                args = self.args()
                if len(args) != 1 or args[0][0] != "name":
                    raise self.err(_("adj(…) is an adjoint: put one name in the brackets"), tok)
                return ("adj", args[0][1], tok.pos)
            if self.is_function(tok):
                return self.call(FUNCTIONS[tok.text], tok)
            return self.name(tok)
        if kind == "CMD":
            return self.latex(tok)
        if kind == "EOF":
            raise self.err(_("the step ends too early: a number, a name or '(' is missing"),
                           tok)
        if kind == "PRIME":
            raise self.err(_("a prime (') must follow a name, as in y' or f'(x)"), tok)
        raise self.err(_("expected a number, a name or '(' but found {what}").format(
            what=_describe(tok)), tok)

    def name(self, tok: Tok) -> Node:
        text = tok.text
        if text in self.names or text in _CONSTANTS or not self.names:
            return ("name", text, tok.pos)
        parts = _split(text, self.names | _CONSTANTS, self.peek().kind == "LP")
        if parts is None:
            return ("name", text, tok.pos)
        self.note(_("read {text} as {product}").format(text=text, product="·".join(parts)))
        nodes: list[Node] = [("name", p, tok.pos) for p in parts]
        if parts[-1] in FUNCTIONS and parts[-1] not in self.names:
            nodes[-1] = self.call(FUNCTIONS[parts[-1]], tok)
        out = nodes[0]
        for n in nodes[1:]:
            out = ("bin", "*", out, n)
        return out

    def call(self, fname: str, tok: Tok) -> Node:
        power: Node | None = None
        nxt = self.peek()
        if self.is_op(nxt, "^") and fname not in ("max", "min", "pow"):
            self.next()
            power = self.exponent(("name", ""))
        elif nxt.kind == "SUP":
            self.next()
            power = self.sup(nxt)
        primes = self.primes()
        if power in (("neg", ("num", "1")),) and fname in INVERSE:
            self.note(_("read {f}⁻¹ as the inverse function {g}").format(
                f=tok.text, g=INVERSE[fname]))
            fname, power = INVERSE[fname], None
        nxt = self.peek()
        if nxt.kind == "LP":
            self.next()
            args = self.args()
        elif nxt.kind == "LB":
            self.next()
            args = [self.expr()]
            self.close("RB")
        elif self.starts_factor(nxt) and not self.is_function(nxt):
            start = self.k
            arg = self.power()
            while self.starts_factor(self.peek()) and not self.is_function(self.peek()) \
                    and self.peek().kind not in ("LP", "LB"):
                arg = ("bin", "*", arg, self.power())
            self.note(_("read {f} {arg} as {f}({arg})").format(
                f=tok.text, arg=self.text_between(start, self.k)))
            args = [arg]
        else:
            raise self.err(_("{f} needs its argument in brackets: {f}(x)").format(f=tok.text),
                           tok)
        node: Node = ("call", fname, args, tok.pos, tok.text)
        if primes:
            node = ("fprime", fname, args, primes, tok.pos)
        return ("bin", "^", node, power) if power is not None else node

    # --- derivatives and LaTeX (checking.leibniz) ----------------------------------------
    def derivative(self) -> Node | None:
        from diffexplain.checking.leibniz import derivative

        return derivative(self)

    def latex(self, tok: Tok) -> Node:
        from diffexplain.checking.leibniz import latex

        return latex(self, tok)

    def group(self) -> Node:
        from diffexplain.checking.leibniz import group

        return group(self)


def _split(text: str, names: frozenset[str], call: bool) -> list[str] | None:
    """``xy`` → ``[x, y]`` when both are names (fewest parts); a function may end it."""
    from diffexplain.checking.notation import FUNCTIONS as F

    best: list[list[str] | None] = [None] * (len(text) + 1)
    best[0] = []
    for i in range(len(text)):
        if best[i] is None:
            continue
        for j in range(i + 1, len(text) + 1):
            piece = text[i:j]
            ok = piece in names or (call and j == len(text) and piece in F)
            cand = best[i] + [piece] if ok else None  # type: ignore[operator]
            if cand is not None and (best[j] is None or len(cand) < len(best[j])):  # type: ignore[arg-type]
                best[j] = cand
    out = best[len(text)]
    return out if out and len(out) > 1 else None


def _describe(tok: Tok) -> str:
    if tok.kind == "EOF":
        return _("the end of the step")
    if tok.kind == "NAME":
        return _("the name {name!r}").format(name=tok.text)
    if tok.kind == "NUM":
        return _("the number {num}").format(num=tok.text)
    return repr(tok.text)


def free_names(tree: Any) -> set[str]:
    """Every name in a tree (for reading an equation's names before splitting ``xy``)."""
    out: set[str] = set()
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            if n and n[0] == "name":
                out.add(n[1])
            else:
                stack.extend(n[1:])
        elif isinstance(n, list):
            stack.extend(n)
    return out


def parse(raw: str, names: Any = ()) -> tuple[Node, list[str]]:
    """The tree of one step and the readings taken where the notation is ambiguous.

    ``names`` are the names of the exercise (``xy`` is ``x·y`` when ``x`` and ``y`` are
    names and ``xy`` is not).

    >>> parse("2x(x-1)", {"x"})[0][0]
    'bin'
    """
    toks = tokenize(raw)
    if len(toks) > MAX_TOKENS:
        raise LimitExceeded(_("the step has more than {limit} nodes").format(limit=MAX_TOKENS),
                            _("a step is one line of a derivation"))
    p = Parser(raw, toks, frozenset(names))
    tree = p.step()
    return tree, p.notes
