"""The ``diffexplain`` MkDocs plugin: registers the build-time fences and serves KaTeX locally.

Enable it in ``mkdocs.yml`` (``pymdownx.superfences`` must be enabled too)::

    markdown_extensions:
      - pymdownx.superfences
      - pymdownx.arithmatex:
          generic: true
    plugins:
      - search
      - diffexplain:
          katex_dir: assets/katex   # KaTeX's dist files inside docs/, or false

``on_config`` adds the fences of :mod:`diffexplain.docsite.fence` to superfences'
``custom_fences`` (a :class:`~mkdocs.exceptions.PluginError` if superfences is not
enabled) and links KaTeX's CSS and JavaScript, the renderer for arithmatex's
output, and the fences' stylesheet, all served by the site itself: no CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files

from diffexplain.docsite import fence, links
from diffexplain.docsite.assets import FENCE_CSS, FIGURES_JS, RENDER_JS

__all__ = ["DiffexplainPlugin"]

ASSETS = "assets/diffexplain"

class DiffexplainConfig(Config):
    #: KaTeX's ``katex.min.js``/``katex.min.css``/``fonts/`` inside ``docs_dir``; ``false``: none
    katex_dir = config_options.Type((str, bool), default="assets/katex")


class DiffexplainPlugin(BasePlugin[DiffexplainConfig]):
    """Registers the fences and the locally served assets."""

    def on_config(self, config: Any) -> Any:
        if "pymdownx.superfences" not in config.markdown_extensions:
            raise PluginError("the diffexplain plugin needs the 'pymdownx.superfences' markdown "
                              "extension: add it to markdown_extensions in mkdocs.yml")
        sf = config.mdx_configs.setdefault("pymdownx.superfences", {})
        ours = fence.custom_fences()
        names = {f["name"] for f in ours}
        sf["custom_fences"] = [f for f in sf.get("custom_fences", [])
                               if f.get("name") not in names] + ours
        fence.set_context(base_dir=Path(config.config_file_path or ".").resolve().parent)
        katex = self.config.katex_dir
        if katex:
            if katex is True:
                katex = "assets/katex"
            root = Path(config.docs_dir) / str(katex)
            missing = [f for f in ("katex.min.js", "katex.min.css") if not (root / f).is_file()]
            if missing:
                raise PluginError(f"KaTeX not found: {root / missing[0]} is missing. Vendor it "
                                  "(npm pack katex; copy dist/katex.min.js, dist/katex.min.css "
                                  "and dist/fonts there) or set katex_dir: false")
            katex = str(katex).strip("/")
            _add(config.extra_css, f"{katex}/katex.min.css")
            _add(config.extra_javascript, f"{katex}/katex.min.js")
            _add(config.extra_javascript, f"{ASSETS}/katex-render.js")
        _add(config.extra_css, f"{ASSETS}/diffexplain.css")
        _add(config.extra_javascript, f"{ASSETS}/figures.js")
        self._katex = bool(katex)
        return config

    # after mkdocs-static-i18n (priority -100), which expects every file to have a source path
    @event_priority(-200)
    def on_files(self, files: Files, config: Any) -> Files:
        files.append(File.generated(config, f"{ASSETS}/diffexplain.css", content=FENCE_CSS))
        files.append(File.generated(config, f"{ASSETS}/figures.js", content=FIGURES_JS))
        if self._katex:
            files.append(File.generated(config, f"{ASSETS}/katex-render.js", content=RENDER_JS))
        return files

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Any) -> str:
        fence.set_context(page=page.file.src_uri)
        return markdown

    def on_post_page(self, output: str, page: Any, config: Any) -> str:
        fence.set_context(page=None)
        return links.relative_page(output, page.url, config.site_url)

    # after mkdocs-static-i18n, which rewrites one search index for every language
    @event_priority(-200)
    def on_post_build(self, config: Any) -> None:
        links.split_search_index(Path(config.site_dir))


def _add(seq: list[Any], path: str) -> None:
    if not any(str(x) == path for x in seq):
        seq.append(path)
