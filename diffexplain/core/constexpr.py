"""Point values written as math (``pi/2``, ``1/2``, ``-e``, ``sqrt(2)``): a safe constant evaluator.

The text goes through the expression parser (never ``eval``): the graph it builds
may hold numbers, ``pi``, ``e``, arithmetic and the function table, but no variable.
Its value is the float rule of each operation, node by node, as the numeric side uses.
"""

from __future__ import annotations

import math
import re

from diffexplain.errors import InputError, ParseError
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["constant_value"]


def constant_value(s: str, text: str, pos: int, limits: Limits = DEFAULT_LIMITS) -> float:
    """The float value of a constant expression ``s`` found at ``text[pos:]``.

    Errors point into ``text`` (the whole point) at the offending token.
    """
    from diffexplain.core.graph import op_table
    from diffexplain.core.parsing import parse

    # one expression, not a program; '--1' is more likely a typo than a double negation
    if any(c in s for c in "=;\n#") or re.match(r"\s*[+-]\s*[+-]", s):
        raise InputError(_("{value!r} is not a number").format(value=s), text, pos,
                         max(1, len(s)))
    try:
        graph = parse(s, limits)
    except ParseError as err:
        where = pos + (err.pos or 0)
        raise InputError(_("{value!r} is not a number nor a constant expression: "
                           "{reason}").format(value=s, reason=err.message), text, where,
                         err.length) from None
    names = [n.name for n in graph.nodes if n.op == "var"]
    if names:
        raise InputError(_("{value!r} is not a number: a point value may use numbers, pi, e, "
                           "arithmetic and functions, but not the variable {name!r}").format(
                               value=s, name=names[0]), text, pos, max(1, len(s)))
    vals: list[float] = []
    for n in graph.nodes:
        if n.op == "const":
            vals.append(float(n.value if n.value is not None else math.nan))
            continue
        args = [vals[i] for i in n.inputs]
        try:
            v = float(op_table(n.op).math(math, *args))
        except (ZeroDivisionError, OverflowError, ValueError):
            v = math.nan
        vals.append(v)
    value = vals[graph.outputs[0]]
    if not math.isfinite(value):
        raise InputError(_("{value!r} has no finite real value ({result})").format(
            value=s, result=value), text, pos, max(1, len(s)))
    return value

