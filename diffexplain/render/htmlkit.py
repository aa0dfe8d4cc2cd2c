"""The HTML pieces every HTML renderer shares: escaping, math, tables, code, figures.

One place builds them, so the notebook fragment and the docs page look alike and
Material for MkDocs styles both (its table wrappers, admonitions, highlighted code).
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any

__all__ = ["MIN_FONT_PX", "admonition", "code", "esc", "img", "markdown_html", "math", "svg",
           "svg_min_width", "table"]


def esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def math(tex: str) -> str:
    """Display math in the form pymdownx.arithmatex (generic) emits; KaTeX or MathJax render it."""
    return f'<div class="arithmatex">\\[{esc(tex)}\\]</div>'


def table(header: list[str], rows: list[list[str]]) -> str:
    """A table as Material styles Markdown tables, inside a scroll container for narrow screens.

    Cells are HTML already (callers escape what they put in).
    """
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return (f'<div class="md-typeset__scrollwrap"><div class="md-typeset__table dx-scroll"><table>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></div>")


_HIGHLIGHTER: list[Any] = []


def code(src: str, lang: str) -> str:
    """A highlighted code block (pymdownx.highlight when the docs extra is installed)."""
    try:
        import markdown
    except ImportError:  # a notebook without the docs extra: a plain block
        return f'<pre><code class="language-{esc(lang)}">{esc(src)}</code></pre>'
    if not _HIGHLIGHTER:
        import markdown

        _HIGHLIGHTER.append(markdown.Markdown(extensions=["pymdownx.highlight",
                                                          "pymdownx.superfences"]))
    md = _HIGHLIGHTER[0]
    md.reset()
    return str(md.convert(f"```{lang}\n{src}\n```"))


_MD: list[Any] = []


def markdown_html(text: str) -> str:
    """Markdown made by the library's own renderers (tables, code, $$ math) as HTML."""
    try:
        import markdown
    except ImportError:
        return f"<pre>{esc(text)}</pre>"
    if not _MD:
        import markdown

        _MD.append(markdown.Markdown(extensions=[
            "tables", "pymdownx.highlight", "pymdownx.superfences",
            "pymdownx.arithmatex"], extension_configs={"pymdownx.arithmatex": {"generic": True}}))
    md = _MD[0]
    md.reset()
    return f'<div class="dx-md">{md.convert(text)}</div>'


#: the smallest text a figure may show on screen, in CSS px (readable on a phone)
MIN_FONT_PX = 9.0

_SVG_WIDTH = re.compile(r'<svg[^>]*\bwidth="([\d.]+)(pt|px)?"')
_VIEWBOX = re.compile(r'viewBox="[\d.\-]+ [\d.\-]+ ([\d.]+) [\d.]+"')
_FONT = re.compile(r"font(?:-size)?:\s*(?:[a-z]+\s+)*([\d.]+)px")


def svg_min_width(svg_text: str, min_font: float = MIN_FONT_PX) -> tuple[float, float] | None:
    """The CSS width (px) at which an SVG's smallest text is ``min_font`` px, and that text's size.

    Text size on screen = font size × shown width ÷ viewBox width, so a figure shown at
    least this wide never has text below ``min_font``; ``None`` if the SVG has no text.
    """
    vb = _VIEWBOX.search(svg_text)
    sizes = [float(x) for x in _FONT.findall(svg_text)]
    if not vb or not sizes:
        return None
    small = min(sizes)
    return float(vb[1]) * min_font / small, small


def img(data: bytes | str, mime: str, alt: str, caption: str = "") -> str:
    """A figure embedded as a data: URI (generated when rendered, never a file to ship).

    An SVG gets a minimum width at which its smallest text reads at :data:`MIN_FONT_PX`,
    inside a box that scrolls sideways when the column is narrower.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    b64 = base64.b64encode(raw).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    style = ""
    if mime == "image/svg+xml":
        fit = svg_min_width(raw.decode("utf-8"))
        if fit:
            style = (f' style="min-width: {fit[0]:.0f}px" data-dx-vbw="{_vb_width(raw):.1f}"'
                     f' data-dx-font="{fit[1]:g}"')
    return (f'<figure class="dx-figure"><div class="dx-figure-scroll"><img src="data:{mime};'
            f'base64,{b64}" alt="{esc(alt)}"{style}></div>{cap}</figure>')


def _vb_width(raw: bytes) -> float:
    vb = _VIEWBOX.search(raw.decode("utf-8"))
    return float(vb[1]) if vb else 0.0


def admonition(kind: str, title: str, body: str) -> str:
    return (f'<div class="admonition {kind}"><p class="admonition-title">{esc(title)}</p>'
            f"{body}</div>")


def svg(e: Any, autograd: bool = False) -> str:
    """The graph drawing as SVG (text kept as text), labelled in the explanation's language."""
    import io

    import matplotlib
    import matplotlib.pyplot as plt

    from diffexplain.i18n import figure_rc, use_lang
    from diffexplain.render.figure import figure

    lang, rc = figure_rc(getattr(e, "lang", None) or "en")
    with use_lang(lang), matplotlib.rc_context({**rc, "svg.fonttype": "none"}):
        fig = figure(e, autograd=autograd)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
    return buf.getvalue()
