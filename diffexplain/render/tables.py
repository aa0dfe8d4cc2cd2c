"""Columns for the terminal and tables for Markdown: the two plain-text table formats.

Every renderer that writes a table (the explanation, traces, extras, checks, plots) uses
these, so column widths (CJK characters take two) are computed in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["md_table", "objective_name", "table", "width"]


def width(s: str) -> int:
    """Terminal columns: Chinese characters take two, combining marks (the bar of ā) none."""
    if s.isascii():
        return len(s)
    from unicodedata import combining, east_asian_width

    return sum(0 if combining(c) else 2 if east_asian_width(c) in "WF" else 1 for c in s)


def table(rows: list[list[str]], header: list[str] | None = None, indent: str = "  ") -> str:
    """Left-aligned columns separated by two spaces."""
    allrows = ([header] if header else []) + rows
    widths = [max(width(r[k]) for r in allrows) for k in range(len(allrows[0]))]
    out = []
    for r in allrows:
        out.append(indent + "  ".join(c + " " * (w - width(c)) for c, w in zip(r, widths))
                   .rstrip())
    if header:
        out.insert(1, indent + "  ".join("─" * w for w in widths))
    return "\n".join(out)


def md_table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def objective_name(e: Explanation) -> str:
    """What the graph table's gradients are of: y, L = Σ wᵢ·yᵢ for weights, L = sum(y) for a vector y."""
    red = (e.extras.get("tensor") or {}).get("reduction")
    if red:
        return str(red["name"])
    weighted = len(e.outputs) > 1 or any(w != 1 for w in e.weights)
    return "L" if weighted else ", ".join(e.outputs)
