"""Tables as plain text (aligned columns) and as Markdown pipe tables.

The one table formatter of every text and Markdown renderer (explanations, lessons,
traces, figures' companions), so they depend on it and not on each other.
"""

from __future__ import annotations

__all__ = ["md_table", "table", "width"]


def width(s: str) -> int:
    """Terminal columns: Chinese characters take two."""
    if s.isascii():
        return len(s)
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(c) in "WF" else 1 for c in s)


def table(rows: list[list[str]], header: list[str] | None = None, indent: str = "  ") -> str:
    """Left-aligned columns separated by two spaces.

    >>> print(table([["x", "2"]], ["node", "value"]))
      node  value
      ────  ─────
      x     2
    """
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
    """A Markdown pipe table; ``|`` inside a cell is escaped."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)
