"""Suggestions for Python/PyTorch habits the expression language spells differently.

``x.sum()`` and ``torch.sin(x)`` are refused (no attribute access in expressions), but
the learner meant ``sum(x)`` and ``sin(x)``: say so, with their own arguments.
"""

from __future__ import annotations

import re

from diffexplain.i18n import _

__all__ = ["attribute_hint"]

_NAME_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*$")
_NAME_AFTER = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")
#: prefixes that name a module, not a value: torch.sin(x) means sin(x)
_MODULES = frozenset({"torch", "np", "numpy", "math", "F", "nn", "functional", "sympy", "sp",
                      "dx", "diffexplain", "fn", "cmath", "scipy", "special"})
_SHOWN = 40  # longest argument text repeated in a hint


def attribute_hint(text: str, i: int) -> str | None:
    """The fix for a '.' at ``text[i]`` that is a method or module call, or None."""
    from diffexplain.core.functions import lookup

    after = _NAME_AFTER.match(text, i + 1)
    if after is None:
        return None
    attr = after.group(1)
    fn = lookup(attr)
    if fn is None:
        return None
    args, end = _call_args(text, after.end())
    obj_m = _NAME_BEFORE.search(text[max(0, i - 80):i])
    if obj_m is not None and obj_m.group(1) in _MODULES:
        written = f"{obj_m.group(1)}.{attr}({args})" if end else f"{obj_m.group(1)}.{attr}"
        fix = f"{fn.name}({args or '…'})"
    else:
        obj = obj_m.group(1) if obj_m is not None else _paren_before(text, i)
        if obj is None:
            return None
        rest = f", {args}" if args and fn.arity > 1 else ""
        written = f"{obj}.{attr}({args})" if end else f"{obj}.{attr}"
        fix = f"{fn.name}({obj[1:-1] if obj.startswith('(') else obj}{rest})"
    return _("attribute access ('.') is not allowed: write {fix} instead of {written}").format(
        fix=fix, written=written)


def _call_args(text: str, j: int) -> tuple[str, int]:
    """The argument text of a call starting at ``text[j]`` ('(' … ')'), and its end (0: none)."""
    while j < len(text) and text[j] in " \t":
        j += 1
    if j >= len(text) or text[j] != "(":
        return "", 0
    depth = 0
    for k in range(j, min(len(text), j + 200)):
        depth += (text[k] == "(") - (text[k] == ")")
        if depth == 0:
            inner = text[j + 1:k].strip()
            return (inner if len(inner) <= _SHOWN and inner.isprintable() else "…"), k + 1
    return "…", len(text)


def _paren_before(text: str, i: int) -> str | None:
    """``(x+1).exp()`` → ``(x+1)``: the bracketed value just before the dot."""
    k = i - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    if k < 0 or text[k] != ")":
        return None
    depth = 0
    for s in range(k, max(-1, k - 200), -1):
        depth += (text[s] == ")") - (text[s] == "(")
        if depth == 0:
            inner = text[s:k + 1]
            return inner if len(inner) <= _SHOWN + 2 and inner.isprintable() else "(…)"
    return None
