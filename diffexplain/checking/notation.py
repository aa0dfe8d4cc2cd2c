"""The notation learners write, read into a small syntax tree (never evaluated).

This is not the strict expression language of ``explain`` (:mod:`diffexplain.core.parsing`):
it reads mathematics as people type it in homework, a chat box or LaTeX:

* juxtaposition multiplies: ``2x(x-1)``, ``(x+1)e^x``, ``x cos(x)``, ``3 x^2``;
* powers of functions ``sin^2(x)``, ``tan²(x)``, ``\\cosh^{2}{\\left(x\\right)}``; ``sin x``;
* primes and Leibniz prefixes: ``y'``, ``f'(x)``, ``d/dx``, ``dy/dx``, ``∂y/∂w``, ``dx^3/dx``;
* a LaTeX subset: ``\\frac``, ``\\sqrt``, ``^{…}``, ``\\cdot``, ``\\times``, ``\\left(``, Greek
  letters, ``\\ln``, ``\\exp``, ``\\operatorname{…}``;
* unicode: ``½ π σ √ ⁻¹ ²``, full-width brackets and operators (``（x）``, ``＋``).

:func:`~diffexplain.checking.grammar.parse` gives a tree of tuples (see :data:`Node`);
:mod:`~diffexplain.checking.reading`
resolves its names against an exercise and builds sympy objects. Nothing here calls
``eval``, ``exec`` or ``sympify``: the text is only tokenized and parsed.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from typing import Any, NamedTuple

from diffexplain.errors import InputError
from diffexplain.i18n import _

__all__ = ["FUNCTIONS", "LATEX_FUNCTIONS", "Tok", "tokenize"]

#: a syntax-tree node: ("num", literal) ("frac", "p/q") ("name", name, pos) ("call", f, args, power)
#: ("bin", op, a, b) ("neg", a) ("abs", a) ("root", n, a) ("prime", inner, k)
#: ("d", of, var, pos) — the derivative of ``of`` (a node, or None: the output) with respect to var
Node = tuple[Any, ...]

#: the functions a step may call (learner spellings included) → the canonical name
FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log", "ln": "log",
    "sqrt": "sqrt", "tanh": "tanh", "sigmoid": "sigmoid", "sigma": "sigmoid", "relu": "relu",
    "ReLU": "relu", "abs": "abs", "Abs": "abs", "softplus": "softplus", "atan": "atan",
    "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "sec": "sec", "csc": "csc", "cot": "cot",
    "asin": "asin", "arcsin": "asin", "acos": "acos", "arccos": "acos", "H": "heaviside",
    "Heaviside": "heaviside", "heaviside": "heaviside", "theta": "heaviside", "sign": "sign",
    "sgn": "sign",
    "Max": "max", "max": "max", "Min": "min", "min": "min", "pow": "pow",
}
#: LaTeX commands that are functions (``\\sin``, ``\\ln``, ``\\sigma``, ``\\theta`` …)
LATEX_FUNCTIONS = {"sin", "cos", "tan", "exp", "ln", "log", "sinh", "cosh", "tanh", "arctan",
                   "arcsin", "arccos", "sec", "csc", "cot", "max", "min", "sigma", "sgn",
                   "theta"}
#: f⁻¹ read as the inverse function
INVERSE = {"sin": "asin", "cos": "acos", "tan": "atan"}
_SUP = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ˣʸⁿʷᵃᵇᵉᵗᵘᵛᶻⁱ", "0123456789+-()xynwabetuvzi"))
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "θ": "theta",
          "λ": "lambda", "μ": "mu", "π": "pi", "σ": "sigma", "τ": "tau", "φ": "phi",
          "ω": "omega", "η": "eta", "ρ": "rho"}
_CHARS = {"·": "*", "⋅": "*", "∗": "*", "×": "*", "✕": "*", "−": "-", "–": "-", "‐": "-",
          "‒": "-", "—": "-", "÷": "/", "∕": "/", "⁄": "/", "′": "'", "’": "'", "[": "(",
          "]": ")", "\u3000": " ", "\u00a0": " "}
_DIGITS = frozenset("0123456789")
_NUM = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SUBSCRIPT = re.compile(r"_[A-Za-z0-9_]+")


def _subscript(text: str, i: int, base: str) -> tuple[int, str]:
    """The subscript printed after a barred base (``_0_t0`` of ``ā_0_t0``) joins its name."""
    m = _SUBSCRIPT.match(text, i)
    return (m.end(), base + m.group()) if m else (i, base)
_CMD = re.compile(r"\\([A-Za-z]+|.)")
_SKIP_CMDS = {",", ";", "!", " ", ":", "left", "right", "big", "Big", "bigl", "bigr", "Bigl",
              "Bigr", "displaystyle", "limits", "mathrm", "mathit", "operatorname", "quad"}
_OP_CMDS = {"cdot": "*", "times": "*", "div": "/", "ast": "*"}
#: most nesting a step may have, and most tokens
MAX_DEPTH = 80
MAX_TOKENS = 1000


class Tok(NamedTuple):
    kind: str  # NUM FRAC NAME OP LP RP LB RB BAR PRIME SUP CMD PARTIAL ROOT EOF
    text: str
    pos: int
    space: bool = False  # whitespace before it


def normalize(text: str) -> str:
    """Full-width forms to ASCII (``（x）`` → ``(x)``), one character for one: positions hold."""
    out = []
    for ch in unicodedata.normalize("NFD", text):
        c = ord(ch)
        if 0xFF01 <= c <= 0xFF5E:
            ch = chr(c - 0xFEE0)
        out.append(_CHARS.get(ch, ch))
    # explain writes an edge's local partial ∂y/∂w|ₐ ("holding a fixed"): read it as ∂y/∂w
    text = _HELD.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))),
                     "".join(out))
    # and in LaTeX \left.\frac{∂y}{∂w}\right|_{a}: the fraction, padded so positions hold
    return _HELD_TEX.sub(lambda m: " " * 6 + m.group(1) + " " * (len(m.group(0)) - 6
                                                               - len(m.group(1))), text)


_HELD_TEX = re.compile(r"\\left\.(\\frac\{\\partial [^{}]+\}\{\\partial [^{}]+\})\\right\|_\{[^{}]*\}")
_HELD = re.compile(r"(∂\w+/∂\w+|d\w+/d\w+)\|(?:[ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₀-₉,]+|\([\w, ]+\))")


def _err(msg: str, text: str, pos: int, length: int = 1) -> InputError:
    return InputError(msg, text, pos, length)


def tokenize(raw: str) -> list[Tok]:
    """Tokens of one step; an unreadable character is an error that speaks to a student."""
    text = normalize(raw)
    toks: list[Tok] = []
    i, n = 0, len(text)
    space = False
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == "$":
            space = True
            i += 1
            continue
        start = i
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUM.match(text, i)
            assert m is not None
            lit = m.group()
            if i + len(lit) < n and text[i + len(lit)] in "eE" and lit[-1] in "eE":
                lit = lit[:-1]
            toks.append(Tok("NUM", lit, i, space))
            i += len(lit)
        elif ch.isascii() and ch.isalpha() and i + 1 < n and text[i + 1] == "\u0305":
            # l̅o̅s̅s̅_t0, as diffexplain prints the adjoint of a longer name
            j = i
            while j + 1 < n and text[j].isascii() and text[j].isalpha() and text[j + 1] == "\u0305":
                j += 2
            i, name = _subscript(text, j, text[start:j].replace("\u0305", ""))
            toks.append(Tok("BARNAME", name, start, space))
        elif (ch.isalpha() and ch.isascii()) or ch == "_":
            m = _NAME.match(text, i)
            assert m is not None
            toks.append(Tok("NAME", m.group(), i, space))
            i = m.end()
            if i < n and text[i] == "\u0304":  # ā: the adjoint of a (ā_0_t0: of a_0_t0)
                i, name = _subscript(text, i + 1, m.group())
                toks[-1] = Tok("BARNAME", name, start, space)
        elif ch in _GREEK:
            toks.append(Tok("NAME", _GREEK[ch], i, space))
            i += 1
        elif ch in _SUP:
            j = i
            while j < n and text[j] in _SUP:
                j += 1
            sup = "".join(_SUP[c] for c in text[i:j])
            # x**1.26 prints as x¹.26: the decimals of an exponent stay on the line
            m = re.match(r"\.[0-9]+", text[j:])
            if m and sup.isdigit():
                sup += m.group()
                j += len(m.group())
            toks.append(Tok("SUP", sup, i, space))
            i = j
        elif unicodedata.category(ch) == "No" and unicodedata.numeric(ch, None) is not None:
            frac = Fraction(unicodedata.numeric(ch)).limit_denominator(100)
            toks.append(Tok("FRAC", f"{frac.numerator}/{frac.denominator}", i, space))
            i += 1
        elif ch in "+-*/^,":
            if ch == "*" and text.startswith("**", i):
                toks.append(Tok("OP", "^", i, space))
                i += 2
            else:
                toks.append(Tok("OP", ch, i, space))
                i += 1
        elif ch in "()":
            toks.append(Tok("LP" if ch == "(" else "RP", ch, i, space))
            i += 1
        elif ch in "{}":
            toks.append(Tok("LB" if ch == "{" else "RB", ch, i, space))
            i += 1
        elif ch == "|":
            toks.append(Tok("BAR", ch, i, space))
            i += 1
        elif ch == "'" and (not toks or toks[-1].kind not in ("NAME", "RP", "PRIME", "BARNAME",
                                                                "SUP", "LB", "RB")):
            raise _err(_("quotes are not part of the notation: write the mathematics "
                         "itself"), raw, i)
        elif ch == "'":
            toks.append(Tok("PRIME", ch, i, space))
            i += 1
        elif ch == "″":
            toks += [Tok("PRIME", "'", i, space), Tok("PRIME", "'", i, False)]
            i += 1
        elif ch == "∂":
            toks.append(Tok("PARTIAL", ch, i, space))
            i += 1
        elif ch in "√∛∜":
            toks.append(Tok("ROOT", str("√∛∜".index(ch) + 2), i, space))
            i += 1
        elif ch == "\\":
            m = _CMD.match(text, i)
            if not m:
                raise _err(_("a '\\' must start a LaTeX command such as \\frac"), raw, i)
            cmd = m.group(1)
            i = m.end()
            if cmd in ("{", "}"):
                toks.append(Tok("LP" if cmd == "{" else "RP", cmd, start, space))
            elif cmd == "|":
                toks.append(Tok("BAR", "|", start, space))
            elif cmd in _OP_CMDS:
                toks.append(Tok("OP", _OP_CMDS[cmd], start, space))
            elif cmd == "partial":
                toks.append(Tok("PARTIAL", "∂", start, space))
            elif cmd in ("mathrm", "operatorname", "mathit", "text") and text.startswith("{", i):
                # \operatorname{sign} is the name sign
                close = text.find("}", i)
                word = text[i + 1:close].strip() if close > 0 else ""
                if close < 0 or not _NAME.fullmatch(word):
                    raise _err(_("\\{cmd} needs a name in braces, such as \\{cmd}{{sign}}").format(
                        cmd=cmd), raw, start)
                toks.append(Tok("NAME", word, start, space))
                i = close + 1
            elif cmd in _SKIP_CMDS:
                pass
            else:
                toks.append(Tok("CMD", cmd, start, space))
        elif ch == "." and toks and toks[-1].kind in ("NAME", "RP"):
            m = _NAME.match(text, i + 1)
            if m:
                method = m.group()
                obj = text[toks[-1].pos:i] if toks[-1].kind == "NAME" else "…"
                raise _err(_("write {method}({obj}), not {obj}.{method}(): a step is "
                             "mathematics, not a method call").format(method=method, obj=obj),
                           raw, i)
            i += 1  # a full stop ends a sentence
        elif ch in ".。":
            i += 1
        elif ch == "!":
            raise _err(_("factorials ('!') are not part of the notation"), raw, i)
        elif ch in "<>≤≥≠":
            raise _err(_("a step is an expression, not a comparison ({ch!r})").format(ch=ch),
                       raw, i)
        elif ch in "\"`":
            raise _err(_("quotes are not part of the notation: write the mathematics "
                         "itself"), raw, i)
        else:
            raise _err(_("the character {ch!r} is not part of the notation").format(ch=ch),
                       raw, i)
        space = False
    toks.append(Tok("EOF", "", len(text), space))
    return toks
