"""Homework files: exercises under headings, each graded, headings echoed, a summary.

Homework format (Markdown-friendly; one exercise per heading)::

    ## Exercise 1
    expression: (x+w)*(w+1)
    wrt: w
    at: w=1, x=2
    - b*1 + a*1
    - b + a
    - 2w + x + 1

``expression:``, ``wrt:`` and ``at:`` lines set the exercise (in Chinese homework
``表达式：``, ``变量：``/``对：`` and ``点：``/``在：``; a full-width colon is fine); list
items (``- ``, ``* ``, ``1. ``) and lines starting with ``=`` are the learner's steps;
every other line is prose and ignored. Without headings the file is one exercise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.errors import DiffexplainError, InputError
from diffexplain.i18n import _, ngettext
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["check_homework", "homework_summary", "read_homework"]

_KEY = re.compile(r"^\s*(expression|expr|wrt|at|point|表达式|函数|变量|对|点|在)\s*[:：]\s*(.*)$",
                  re.IGNORECASE)
_KEYS = {"expr": "expression", "point": "at", "表达式": "expression", "函数": "expression",
         "变量": "wrt", "对": "wrt", "点": "at", "在": "at"}
_ITEM = re.compile(r"^\s*(?:[-*+•]\s+|\d+[.)、]\s*|[=＝]\s*)(.+)$")
_HEAD = re.compile(r"^\s*#{1,6}\s+(.*)$")


def read_homework(text: str) -> list[dict[str, Any]]:
    """Exercises of a homework file (format in the module docstring), in order.

    >>> read_homework("expression: x**2\\nat: x=3\\n- 2x\\n")
    [{'id': 'exercise 1', 'expression': 'x**2', 'wrt': None, 'point': 'x=3', 'steps': ['2x'], 'line': 1}]
    """
    exercises: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    fence = False

    def start(title: str, line: int) -> dict[str, Any]:
        ex: dict[str, Any] = {"id": title or f"exercise {len(exercises) + 1}",
                              "expression": None, "wrt": None, "point": None, "steps": [],
                              "line": line}
        exercises.append(ex)
        return ex

    for k, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith("```"):
            fence = not fence
            continue
        head = _HEAD.match(line)
        if head and not fence:
            cur = start(head.group(1).strip(), k)
            continue
        key = _KEY.match(line)
        if key:
            cur = cur or start("", k)
            name = _KEYS.get(key.group(1).lower(), key.group(1).lower())
            value = key.group(2).strip().strip("`")
            cur["point" if name == "at" else name] = value or None
            continue
        item = _ITEM.match(line)
        if item and cur is not None:
            cur["steps"].append(item.group(1).strip().strip("`"))
    exercises = [e for e in exercises if e["expression"] or e["steps"]]
    for e in exercises:
        if not e["expression"]:
            raise InputError(_("{id} (line {line}) has steps but no 'expression:' line").format(
                id=e["id"], line=e["line"]))
    if not exercises:
        raise InputError(_("no exercise found: write 'expression: …', 'at: …' and the steps as "
                           "'- …' lines (see diffexplain check --help)"))
    return exercises


def check_homework(text: str, point: Mapping[str, float], wrt: str | None,
                   limits: Limits = DEFAULT_LIMITS) -> list[dict[str, Any]]:
    """Every exercise of a homework file graded: ``{"id", "line", "result"}`` or, when it
    cannot be graded (bad notation, no point), ``{"id", "line", "error"}``; never raises
    for one exercise."""
    from diffexplain.checking import check
    from diffexplain.core.points import parse_point

    out: list[dict[str, Any]] = []
    for ex in read_homework(text):
        item: dict[str, Any] = {"id": ex["id"], "line": ex["line"]}
        try:
            at: dict[str, Any] = dict(point)
            at.update(parse_point(ex["point"]) if ex["point"] else {})
            item["result"] = check(ex["expression"], wrt=ex["wrt"] or wrt, steps=ex["steps"],
                                   at=at or None, limits=limits)
        except DiffexplainError as err:
            item["error"] = str(err)
        out.append(item)
    return out


def homework_summary(items: Sequence[Mapping[str, Any]]) -> str:
    """``3 of 4 exercises right; 1 could not be graded; most common mistakes: …``."""
    results = [i["result"] for i in items if "result" in i]
    right = sum(r.ok for r in results)
    errors = len(items) - len(results)
    text = ngettext("{right} of {n} exercise right", "{right} of {n} exercises right",
                    len(items)).format(right=right, n=len(items))
    sep = _("; ")
    if errors:
        text += sep + ngettext("{n} could not be graded", "{n} could not be graded",
                                errors).format(n=errors)
    codes = Counter(r.mistake.code for r in results if r.mistake is not None)
    if codes:
        text += sep + _("most common mistakes: {list}").format(
            list=", ".join(f"{c} ×{n}" for c, n in codes.most_common(5)))
    return text
