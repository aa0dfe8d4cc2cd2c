"""Hostile inputs: code-injection attempts that diffexplain must refuse without running anything.

Each entry is ``(text, fragment)``: ``text`` may contain ``CANARY`` (replaced by the
path of a file that must never appear) and ``ENVVAR`` (the name of an environment
variable that must never change); ``fragment`` is a piece of the error message,
which must name the construct (case-insensitive). Every entry is a
:class:`~diffexplain.errors.ParseError` with a line, a column and a caret.
"""

from __future__ import annotations

ENV_NAME = "DIFFEXPLAIN_CANARY"
ENV_VALUE = "intact"

_TOUCH = "open('CANARY', 'w')"
_SYSTEM = "__import__('os').system('touch CANARY')"

HOSTILE: list[tuple[str, str]] = [
    # --- the classic sympify/eval payloads ---------------------------------------------------
    (_SYSTEM, "dunder"),
    ("__import__", "dunder"),
    (_TOUCH, "strings"),
    (f'eval("{_TOUCH}")', "strings"),
    (f'exec("{_TOUCH}")', "strings"),
    ("compile(x, y, z)", "unknown function 'compile'"),
    ("getattr(x, y)", "unknown function 'getattr'"),
    ("globals()", "unknown function 'globals'"),
    ("locals()", "unknown function 'locals'"),
    ("vars(x)", "unknown function 'vars'"),
    ("breakpoint()", "unknown function 'breakpoint'"),
    ("input(x)", "unknown function 'input'"),
    ("exit(x)", "unknown function 'exit'"),
    ("print(x)", "unknown function 'print'"),
    ("setattr(x, y, 1)", "unknown function 'setattr'"),
    # sympy's own constructors: sympify('...') would evaluate
    ("sympify(x)", "unknown function 'sympify'"),
    ("Symbol(x)", "unknown function 'Symbol'"),
    ("Function(f)(x)", "unknown function 'Function'"),
    ("S(x)", "unknown function 'S'"),
    # --- attribute access and dunders ----------------------------------------------------------
    ("x.__class__", "attribute access"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
    ("sin.__globals__", "attribute access"),
    ("exp.__code__", "attribute access"),
    ("x.evalf()", "attribute access"),
    ("os.environ.__setitem__('ENVVAR', 'pwned')", "attribute access"),
    ("__builtins__", "dunder"),
    ("_x + 1", "'_'"),
    ("y = __class__", "dunder"),
    ("x...", "attribute access"),
    # --- subscripts, containers, strings -------------------------------------------------------
    ("x[0]", "subscripts"),
    ("x[::-1]", "subscripts"),
    ("[x for x in y]", "subscripts and lists"),
    ("{x}", "dicts, sets"),
    ("{'a': 1}", "dicts, sets"),
    ("'CANARY'", "strings"),
    ('"CANARY"', "strings"),
    ("b'x'", "strings"),
    ("r'x'", "strings"),
    ('"""x"""', "strings"),
    ("f'{x}'", "strings"),
    ("f\"{open('CANARY','w')}\"", "strings"),
    # --- Python statements and keywords --------------------------------------------------------
    ("lambda: " + _TOUCH, "keyword 'lambda'"),
    ("lambda x: x", "keyword 'lambda'"),
    ("import os", "keyword 'import'"),
    ("from os import system", "keyword 'from'"),
    ("x; import os", "keyword 'import'"),
    ("x if x else y", "keyword 'if'"),
    ("x and y", "keyword 'and'"),
    ("not x", "keyword 'not'"),
    ("yield x", "keyword 'yield'"),
    ("await x", "keyword 'await'"),
    ("del x", "keyword 'del'"),
    ("global x", "keyword 'global'"),
    ("assert x", "keyword 'assert'"),
    ("raise x", "keyword 'raise'"),
    ("def f(): pass", "keyword 'def'"),
    ("class A: pass", "keyword 'class'"),
    ("with x: pass", "keyword 'with'"),
    ("match x", "keyword 'match'"),
    ("True", "keyword 'True'"),
    ("None", "keyword 'None'"),
    # --- starred, keyword, walrus and other operator tricks ------------------------------------
    ("*x", "starred"),
    ("sin(*x)", "starred"),
    ("sin(**x)", "starred"),
    ("pow(x, exp=2)", "keyword arguments"),
    ("(y := 1)", "walrus"),
    ("x := 1", "walrus"),
    ("x: int = 1", "':'"),
    ("x += 1", "augmented assignment"),
    ("x == y", "comparisons"),
    ("x < y", "comparisons"),
    ("x % 2", "modulo"),
    ("x | y", "bitwise"),
    ("x & y", "bitwise"),
    ("~x", "bitwise"),
    ("x ** -~x", "bitwise"),
    ("!x", "'!'"),
    ("$x", "'$'"),
    ("`x`", "backticks"),
    ("x, y", "tuples"),
    ("x \\\n + 1", "backslashes"),
    ("x(y)", "unknown function 'x'"),
    ("sin", "is a function"),
    ("(sin)(x)", "is a function"),
    ("sin = 1; sin", "cannot assign to the function name"),
    ("pi = 3; pi", "cannot assign to the constant"),
    ("0x1f", "number prefixes"),
    ("1_000", "unexpected '_'"),
    # --- non-ASCII look-alikes (NFKC would turn them into the forbidden thing) -----------------
    ("ｅｘｅｃ(x)", "looks like 'e'"),
    ("𝐞𝐯𝐚𝐥(x)", "looks like 'e'"),
    ("＿＿import＿＿", "looks like '_'"),
    ("x．__class__", "looks like '.'"),
    ("sin（ｘ）", "looks like 'x'"),
    ("ﬁle(x)", "looks like 'fi'"),
    ("ᵉval(x)", "looks like 'e'"),
    ("ⅰ + x", "looks like 'i'"),
    ("x\u202e + 1", "non-ASCII character"),
    ("x\u200b + 1", "non-ASCII character"),
    ("х + 1", "non-ASCII character"),  # Cyrillic ha
    # --- control characters --------------------------------------------------------------------
    ("x\x00 + 1", "control character"),
    ("x\x1b[2J", "control character"),
    ("x\x08\x08__import__", "control character"),
]
