"""Points: ``--at w=1,x=2``, vectors ``x=[0,1,2]``, matrices, and values written as math (``pi/2``).

A value is a number, or a constant expression read by the same safe parser as
expressions (:mod:`diffexplain.core.constexpr`): never evaluated as Python.
"""

from __future__ import annotations

import keyword
import re

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
