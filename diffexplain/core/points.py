"""Points: ``--at w=1,x=2``, vectors ``x=[0,1,2]``, matrices, and values written as math (``pi/2``).

A value is a number, or a constant expression read by the same safe parser as
expressions (:mod:`diffexplain.core.constexpr`): never evaluated as Python.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.core.graph import Graph
from diffexplain.core.shapes import Shape, flatten
from diffexplain.core.tokens import _NAME
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

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
        from diffexplain.core.parsing import parse

        return constant_value(s, text, pos, parse, limits)
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


# --- the point against a graph: every variable given, no strangers, the right kinds -------

def point_names(graph: Graph, at: Mapping[str, Any] | str | None,
                allow_nonfinite: bool = False) -> dict[str, Any]:
    """The point as a dict, with exactly the graph's variables: none missing, no strangers."""
    if isinstance(at, str):
        at = parse_point(at, allow_nonfinite=allow_nonfinite)
    at = dict(at or {})
    variables = graph.variables
    unknown = [k for k in at if k not in variables]
    if unknown:
        raise InputError(_("unknown variable {name!r} in the point; the expression's "
                           "variables are: {variables}").format(
                               name=unknown[0], variables=", ".join(variables) or _("none")))
    missing = [v for v in variables if v not in at]
    if missing:
        raise InputError(_("no value for {name!r}; give it with --at {example}").format(
            name=missing[0], example=",".join(f"{m}=…" for m in missing)))
    return at


def resolve_wrt(graph: Graph, wrt: Sequence[str] | str | None) -> list[str]:
    """The variables to differentiate by (``"w,x"`` or a list; default all), each checked."""
    if isinstance(wrt, str):
        wrt = [w.strip() for w in wrt.split(",") if w.strip()]
    wrt = list(wrt) if wrt else list(graph.variables)
    for v in wrt:
        if v not in graph.variables:
            raise InputError(_("cannot differentiate with respect to {name!r}: not a variable "
                               "of the expression ({variables})").format(
                                   name=v, variables=", ".join(graph.variables) or _("none")))
    return wrt


def resolve_point(graph: Graph, at: Mapping[str, Any] | str | None,
                  allow_nonfinite: bool = False) -> dict[str, float]:
    """Check the point against the graph's variables: every one given, no strangers."""
    at = point_names(graph, at, allow_nonfinite)
    point: dict[str, float] = {}
    for k, v in at.items():
        if isinstance(v, (list, tuple)):
            raise InputError(_("{name!r} is a vector, but this expression is scalar").format(name=k))
        if isinstance(v, bool):
            raise InputError(_("the value of {name!r} is a bool, not a number").format(name=k))
        if isinstance(v, str):  # the same strict rule as --at: no '1_0', no '١', no 'infinity'
            from diffexplain.core.points import _value

            v = _value(v.strip(), v, 0, allow_nonfinite)
        if isinstance(v, bool) or not isinstance(v, float):
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise InputError(_("the value of {name!r} is not a number: {value}").format(
                    name=k, value=f"{v!r:.60}")) from None
            except OverflowError:
                raise InputError(_("the value of {name!r} is too large for a float").format(
                    name=k)) from None
        if not math.isfinite(v) and not allow_nonfinite:
            raise InputError(_("the value of {name!r} is {value}; pass allow_nonfinite=True "
                               "(--allow-nonfinite) to explain at non-finite points").format(
                                   name=k, value=v))
        point[k] = float(v)
    return point


def resolve_values(graph: Graph, at: Mapping[str, Any] | str | None,
                   allow_nonfinite: bool = False) -> dict[str, tuple[Shape, list[float]]]:
    """The point with vector and matrix values, each as ``(shape, flat floats)``."""
    at = point_names(graph, at, allow_nonfinite)
    out = {}
    for k, v in at.items():
        shape, flat = flatten(v, k)
        if not allow_nonfinite and not all(math.isfinite(x) for x in flat):
            raise InputError(_("the value of {name!r} is not finite; pass allow_nonfinite=True "
                               "(--allow-nonfinite) to explain at non-finite points").format(
                                   name=k))
        out[k] = (shape, flat)
    return out
