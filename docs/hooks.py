"""MkDocs hooks of this site: Sphinx roles as code, shared generated blocks, the notebooks.

* The package's docstrings use ``:class:`~diffexplain.core.graph.Graph``` (readable in ``help()``
  and in an IDE); mkdocstrings renders them as ``:class:<code>~diffexplain.core.graph.Graph</code>``.
  This turns them into ``<code>Graph</code>`` (the ``~`` form keeps the last name only).
* ``benchmarks/run.py`` writes its results between two markers of ``performance.md``; a
  translated page with the same (empty) markers gets that block at build time.
* The example notebooks (``examples/e*.ipynb``) are served under ``notebooks/`` so the pages
  can link to them; the files in ``examples/`` stay the only copy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):<code>(~?)([\w.]+)</code>")
_BLOCK = re.compile(r"<!-- benchmark results: start -->.*?<!-- benchmark results: end -->", re.S)
NOTEBOOKS = "notebooks"


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return _ROLE.sub(lambda m: f"<code>{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}</code>",
                     html)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    src = Path(page.file.abs_src_path or "")
    if src.name.count(".") < 2 or not _BLOCK.search(markdown):
        return markdown
    twin = src.with_name(src.name.split(".")[0] + ".md")  # performance.zh.md → performance.md
    if not twin.is_file():
        return markdown
    block = _BLOCK.search(twin.read_text(encoding="utf-8"))
    return _BLOCK.sub(lambda _: block[0], markdown) if block else markdown


@event_priority(-200)  # after mkdocs-static-i18n, which keeps only files under docs/
def on_files(files: Files, config: Any) -> Files:
    root = Path(config.config_file_path).resolve().parent / "examples"
    for nb in sorted(root.glob("e*.ipynb")):
        uri = f"{NOTEBOOKS}/{nb.name}"
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, abs_src_path=str(nb)))
    return files
