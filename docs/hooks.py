"""MkDocs hook of this site: show the Sphinx-style roles of the docstrings as code.

The package's docstrings use ``:class:`~diffexplain.core.graph.Graph``` (readable in ``help()``
and in an IDE); mkdocstrings renders them as ``:class:<code>~diffexplain.core.graph.Graph</code>``.
This turns them into ``<code>Graph</code>`` (the ``~`` form keeps the last name only).
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):<code>(~?)([\w.]+)</code>")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return _ROLE.sub(lambda m: f"<code>{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}</code>",
                     html)
