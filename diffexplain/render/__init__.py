"""Renderers: pure functions of an :class:`~diffexplain.model.Explanation`.

``render(explanation, "text")`` looks the format up in :data:`FORMATS` and
imports only that renderer, so showing JSON never imports matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["FORMATS", "render"]

#: format name → module of this package with a ``render(explanation) -> str``
FORMATS = {"text": "text", "json": "jsonable", "latex": "latex", "markdown": "markdown",
           "md": "markdown", "html": "html"}


def render(explanation: Explanation, fmt: str = "text", components: bool = False) -> str:
    """The explanation in one format; ``KeyError`` names the formats on a typo.

    ``components``: for vector inputs, the per-component derivations instead of the
    vector form."""
    if fmt not in FORMATS:
        raise KeyError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    return str(module.render(explanation, components=components))
