"""Derivatives and LaTeX in learners' notation: ``dy/dx``, ``d/dx f``, ``∂y/∂w``, ``\\frac``.

Functions of the :class:`~diffexplain.checking.grammar.Parser` (kept apart so each module
stays readable): a derivative is tried with backtracking, so ``dx`` stays a name when it
is not the start of ``dx^3/dx``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from diffexplain.checking.notation import FUNCTIONS, LATEX_FUNCTIONS, Node, Tok
from diffexplain.errors import InputError
from diffexplain.i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.checking.grammar import Parser

__all__ = ["derivative", "group", "latex"]

_GREEK_CMDS = {"pi", "alpha", "beta", "gamma", "delta", "epsilon", "lambda", "mu", "tau",
               "phi", "omega", "eta", "rho"}


def derivative(self: Parser) -> Node | None:
    """``dy/dx``, ``d/dx f``, ``dx^3/dx``, ``∂y/∂w``, ``\\frac{dy}{dx}``: None if not one."""
    save, notes, depth, bars = self.k, list(self.notes), self.depth, self.bars
    try:
        d = _derivative(self)
    except InputError:
        d = None
    if d is None:
        self.k, self.notes, self.depth, self.bars = save, notes, depth, bars
    return d

def _differential(self: Parser, end: str) -> tuple[bool, Node | None]:
    """``d``/``∂`` then what is differentiated (None: nothing written), up to ``end``."""
    tok = self.peek()
    if tok.kind == "PARTIAL" or (tok.kind == "NAME" and tok.text == "d"
                                 and "d" not in self.names):
        self.next()
        if _at_end(self, end):
            return True, None
        return True, self.power()
    if tok.kind == "NAME" and tok.text.startswith("d") and tok.text not in self.names \
            and len(tok.text) > 1:
        self.next()
        of: Node = ("name", tok.text[1:], tok.pos + 1)
        if self.is_op(self.peek(), "^"):
            self.next()
            of = ("bin", "^", of, self.exponent(of))
        elif self.peek().kind == "SUP":
            of = ("bin", "^", of, self.sup(self.next()))
        return True, of
    return False, None

def _at_end(self: Parser, end: str) -> bool:
    tok = self.peek()
    return (self.is_op(tok, "/") if end == "/" else tok.kind == end)

def _variable(self: Parser) -> str | None:
    tok = self.next()
    if tok.kind == "PARTIAL" or (tok.kind == "NAME" and tok.text == "d"
                                 and "d" not in self.names):
        var = self.next()
        return var.text if var.kind == "NAME" else None
    if tok.kind == "NAME" and tok.text.startswith("d") and len(tok.text) > 1 \
            and tok.text not in self.names:
        return tok.text[1:]
    return None

def _derivative(self: Parser) -> Node | None:
    tok = self.peek()
    if tok.kind == "CMD" and tok.text in ("frac", "dfrac", "tfrac"):
        self.next()
        if self.next().kind != "LB":
            return None
        ok, of = _differential(self, "RB")
        if not ok or self.next().kind != "RB" or self.next().kind != "LB":
            return None
        var = _variable(self)
        if var is None or self.next().kind != "RB":
            return None
    else:
        ok, of = _differential(self, "/")
        if not ok or not self.is_op(self.next(), "/"):
            return None
        var = _variable(self)
        if var is None:
            return None
    if of is None and self.starts_factor(self.peek()):
        of = self.power()
    return ("d", of, var, tok.pos)

def group(self: Parser) -> Node:
    tok = self.next()
    if tok.kind != "LB":
        if tok.kind in ("NUM", "NAME"):  # \frac12, \sqrt x
            return ("num", tok.text) if tok.kind == "NUM" else self.name(tok)
        raise self.err(_("expected '{{' after the LaTeX command"), tok)
    inner = self.expr()
    self.close("RB")
    return inner

def latex(self: Parser, tok: Tok) -> Node:
    cmd = tok.text
    if cmd in ("frac", "dfrac", "tfrac"):
        num = group(self)
        return ("bin", "/", num, group(self))
    if cmd == "sqrt":
        n = 2
        if self.peek().kind == "LP" and self.peek().text == "(" and \
                self.raw[self.peek().pos] == "[":
            self.next()
            idx = self.next()
            if idx.kind != "NUM" or not idx.text.isdigit():
                raise self.err(_("\\sqrt[n] needs a whole number n"), idx)
            n = int(idx.text)
            self.close("RP")
        return ("root", n, group(self))
    if cmd in LATEX_FUNCTIONS:
        return self.call(FUNCTIONS.get(cmd, {"arcsin": "asin", "arccos": "acos"}.get(cmd, cmd)),
                         tok)
    if cmd in _GREEK_CMDS:
        return self.name(Tok("NAME", cmd, tok.pos))
    if cmd == "bar":
        inner = group(self)
        if inner[0] != "name":
            raise self.err(_("\\bar{{…}} is an adjoint: put one name in the braces"), tok)
        return ("adj", inner[1], tok.pos)
    raise self.err(_("the LaTeX command \\{cmd} is not part of the notation").format(cmd=cmd),
                   tok)
