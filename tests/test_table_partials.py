"""Every derivative the operation table writes by hand agrees with sympy's (issue 13).

Each entry carries its local partials four times: as a sympy definition (which
``sympy.diff`` differentiates), as float functions (``dmath``), and as text and
LaTeX templates for adjoint tables of any size. The three hand-written ones are
checked here against ``sympy.diff`` of the entry's sympy form at random points:
the text template is read by diffexplain's own parser, the LaTeX template by the
small reader below (it knows exactly the LaTeX the table uses).
"""

from __future__ import annotations

import math
import random
import re

import pytest
import sympy as sp

from diffexplain.core.functions import FUNCTIONS, OPERATORS
from diffexplain.core.parsing import parse
from diffexplain.methods.identity import evaluate
from diffexplain.methods.numeric import forward

#: the scalar entries (the vector rules of softmax, mean, … are written over indices: sᵢ, δᵢⱼ)
ENTRIES = {fn.name: fn for fn in [*OPERATORS.values(), *FUNCTIONS.values()] if fn.tensor != "rule"}
#: points inside each entry's domain (u, v); kinks and poles avoided
DOMAIN = {"log": (0.2, 3.0), "sqrt": (0.2, 3.0), "pow": (0.2, 3.0), "div": (0.3, 3.0),
          "tan": (-1.2, 1.2)}


def _group(s: str, i: int) -> tuple[str, int]:
    """The text of the brace group opening at s[i] and the index after it."""
    assert s[i] == "{", (s, i)
    depth = 0
    for j in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return s[i + 1: j], j + 1
    raise ValueError(s)


def _parens(s: str, i: int) -> tuple[str, int]:
    r"""The text inside ``\left( … \right)`` opening at s[i] and the index after it."""
    assert s.startswith(r"\left(", i)
    depth, j = 0, i
    while j < len(s):
        if s.startswith(r"\left(", j):
            depth, j = depth + 1, j + 6
        elif s.startswith(r"\right)", j):
            depth, j = depth - 1, j + 7
            if depth == 0:
                return s[i + 6: j - 7], j
        else:
            j += 1
    raise ValueError(s)


_NAMES = {"sigma": "sigmoid", "theta": "heaviside"}


def latex_to_text(s: str) -> str:
    r"""``\frac{1}{2 \sqrt{u}}`` → ``((1)/(2 *sqrt(u)))``: the table's LaTeX as parser input."""
    out: list[str] = []
    i = 0

    def operand() -> None:
        """LaTeX multiplies by juxtaposition (``2 \\sqrt{u}``); the parser needs ``*``."""
        done = "".join(out).rstrip()
        if done and (done[-1].isalnum() or done[-1] == ")"):
            out.append("*")

    while i < len(s):
        if s.startswith((r"\frac", r"\sqrt", r"\left("), i) or (
                s[i] == "\\" and not s.startswith(r"\cdot", i)):
            operand()
        if s.startswith(r"\frac", i):
            a, i = _group(s, i + 5)
            b, i = _group(s, i)
            out.append(f"(({latex_to_text(a)})/({latex_to_text(b)}))")
        elif s.startswith(r"\sqrt", i):
            a, i = _group(s, i + 5)
            out.append(f"sqrt({latex_to_text(a)})")
        elif s.startswith(r"\left(", i):
            a, i = _parens(s, i)
            out.append(f"({latex_to_text(a)})")
        elif s.startswith(r"\cdot", i):
            out.append("*")
            i += 5
        elif s[i] == "\\":
            m = re.match(r"\\(?:operatorname\{(\w+)\}|(\w+))", s[i:])
            assert m, s[i:]
            name = _NAMES.get(m.group(1) or m.group(2), m.group(1) or m.group(2))
            i += m.end()
            power = ""
            if s.startswith("^", i):
                power, i = _group(s, i + 1)
            if s.startswith("{", i):
                arg, i = _group(s, i)
            else:
                arg, i = _parens(s, i)
            call = f"{name}({latex_to_text(arg)})"
            out.append(f"{call}**({latex_to_text(power)})" if power else call)
        elif s.startswith("e^", i) and (i == 0 or not s[i - 1].isalnum()):
            a, i = _group(s, i + 2)
            out.append(f"exp({latex_to_text(a)})")
        elif s[i] == "^":
            a, i = _group(s, i + 1)
            out.append(f"**({latex_to_text(a)})")
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _text_value(template: str, env: dict[str, float]) -> float:
    """A template filled with u, v, read by diffexplain's parser and evaluated in floats."""
    text = template.format("u", "v").replace("σ(", "sigmoid(").replace("H(", "heaviside(")
    g = parse(text)
    point = {n.name: env[n.name] for n in g.nodes if n.op == "var"}
    return forward(g, point)[g.outputs[0]]


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_every_hand_written_partial_is_sympys(name):
    fn = ENTRIES[name]
    u, v = sp.Symbol("u", real=True), sp.Symbol("v", real=True)
    syms = [u, v][: fn.arity]
    expr = fn.sympy(sp, *syms)
    lo, hi = DOMAIN.get(name, (-2.0, 2.0))
    rng = random.Random(name)
    for _ in range(5):
        vals = [rng.uniform(lo, hi) for _ in syms]
        if name in ("relu", "abs", "heaviside", "sign"):
            vals = [x if abs(x) > 0.1 else 0.5 for x in vals]  # away from the kink
        env = dict(zip(["u", "v"], vals))
        for k, s in enumerate(syms):
            truth = evaluate(sp.diff(expr, s), dict(zip(syms, vals)))
            assert fn.dmath[k](math, *vals) == pytest.approx(truth, rel=1e-10, abs=1e-12), k
            assert _text_value(fn.partial_text[k], env) == pytest.approx(
                truth, rel=1e-10, abs=1e-12), (k, fn.partial_text[k])
            latex_as_text = latex_to_text(fn.partial_latex[k].format("u", "v"))
            assert _text_value(latex_as_text, env) == pytest.approx(
                truth, rel=1e-10, abs=1e-12), (k, fn.partial_latex[k], latex_as_text)


def test_the_latex_reader_is_not_vacuous():
    assert latex_to_text(r"\frac{1}{2 \sqrt{u}}") == "((1)/(2 *sqrt(u)))"
    assert latex_to_text(r"1 - \tanh^{2}{\left(u\right)}") == "1 - tanh((u))**(2)"
    assert latex_to_text(r"\sigma\left(u\right) \left(1 - \sigma\left(u\right)\right)") == \
        "sigmoid(u) *(1 - sigmoid(u))"
    # a wrong template is caught: 1 + tanh² is not tanh′
    env = {"u": 0.3}
    assert _text_value(latex_to_text(r"1 + \tanh^{2}{\left({0}\right)}"), env) != \
        pytest.approx(1 - math.tanh(0.3) ** 2)


def test_entries_are_written_by_keyword():
    import ast
    import inspect

    import diffexplain.core.functions as table

    tree = ast.parse(inspect.getsource(table))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id in ("_op", "_fn")]
    assert len(calls) >= len(ENTRIES) - 1
    assert all(len(c.args) == 1 for c in calls)  # the name; every form by keyword
