"""The HTML pieces every HTML renderer shares: escaping, math, tables, code, figures.

One place builds them, so the notebook fragment and the docs page look alike and
Material for MkDocs styles both (its table wrappers, admonitions, highlighted code).
"""

from __future__ import annotations

import base64
import html
from typing import Any

__all__ = ["admonition", "code", "esc", "img", "markdown_html", "math", "svg", "table"]


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


def img(data: bytes | str, mime: str, alt: str, caption: str = "") -> str:
    """A figure embedded as a data: URI (generated when rendered, never a file to ship)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    b64 = base64.b64encode(raw).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (f'<figure class="dx-figure"><img src="data:{mime};base64,{b64}" alt="{esc(alt)}">'
            f"{cap}</figure>")


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
