"""The docs site builds with ``mkdocs build --strict``, from generated content only.

The repository's site is built once per test run (shared with the browser test); the
failure cases build tiny sites in a temporary directory.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from _docs_site import EXAMPLE_PAGES, ROOT, Build, mkdocs_build, shared_build, site_base


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return shared_build(site_base(tmp_path_factory.getbasetemp()))


def page(build: Build, path: str) -> str:
    return (build.site / path / "index.html").read_text(encoding="utf-8")


def test_strict_build_passes(build: Build) -> None:
    assert build.returncode == 0, build.log[-3000:]
    assert "WARNING" not in build.log


@pytest.mark.parametrize("name", EXAMPLE_PAGES)
def test_every_worked_example_is_generated(build: Build, name: str) -> None:
    html = page(build, f"examples/{name}")
    assert '<div class="diffexplain' in html
    assert "admonition failure" not in html


@pytest.mark.parametrize("lang", ["", "zh/"])
@pytest.mark.parametrize("name", EXAMPLE_PAGES)
def test_every_worked_example_opens_with_its_pytorch_code(build: Build, name: str,
                                                          lang: str) -> None:
    """Code first: a short intro, then the PyTorch code and the ``diffexplain run`` command
    that explains it (the page's first section and first generated block), then the rest."""
    html = page(build, f"{lang}examples/{name}")
    body = html[html.find("<article"):html.find("</article>")]
    intro = body[body.find("</h1>"):body.find("<h2")]
    assert "<p>" in intro and '<div class="diffexplain' not in intro, "no short intro first"
    first = re.search(r'<div class="diffexplain ([\w-]+)', body)
    assert first and first[1] == "dx-torch", "the first block is not the PyTorch code"
    torch = body[first.start():]
    blocks = list(re.finditer(r'<div class="highlight">.*?</div>', torch, flags=re.S))
    command = re.sub(r"<[^>]+>", "", blocks[1][0]).strip()
    assert "torch" in re.sub(r"<[^>]+>", "", blocks[0][0]), "the first block is not the code"
    assert command.startswith("diffexplain run "), command
    call = torch.find('<p class="dx-label">')
    assert call == -1 or blocks[1].end() < call, "the command comes after the explained calls"


def test_seed_example_numbers_on_the_home_page(build: Build) -> None:
    html = (build.site / "index.html").read_text(encoding="utf-8")
    assert "&amp;= 5" in html  # ∂y/∂w = … = 5, computed during the build
    assert "<code>MulBackward0</code>" in html
    assert 'class="dx-columns"' in html


def test_logistic_regression_page_is_computed(build: Build) -> None:
    html = page(build, "examples/logistic-regression")
    assert html.count('src="data:image/png;base64,') == 2  # boundary + curves, generated
    assert "accuracy &gt; 0.99 reached at iteration" in html
    assert "solved for y: same solutions" in html  # E10, each ⇒ checked
    # the BCE gradient, derived by explain() at build time, not written by hand
    assert r"\left(\sigma\left(z\right) - t\right) \cdot x" in html


def test_cli_reference_is_argparse_output(build: Build) -> None:
    html = page(build, "reference/cli")
    assert "usage: diffexplain explain" in html
    assert "--wrt" in html


def test_api_reference_is_rendered(build: Build) -> None:
    html = page(build, "reference/api")
    assert 'id="diffexplain.pipeline.explain"' in html


def test_nothing_is_loaded_from_elsewhere(build: Build) -> None:
    """Scripts, stylesheets, fonts and images are files of the site (or data: URIs)."""
    external = re.compile(r'<(?:script|img|link|iframe)\b[^>]*\b(?:src|href)="(?:https?:)?//')
    for path in build.site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for m in external.finditer(text):
            tag = text[m.start():text.find(">", m.start()) + 1]
            assert 'rel="canonical"' in tag or 'rel="alternate"' in tag, (path, tag)
    css = (build.site / "assets/katex/katex.min.css").read_text(encoding="utf-8")
    assert "url(fonts/KaTeX_Main-Regular.woff2)" in css
    assert (build.site / "assets/katex/fonts/KaTeX_Main-Regular.woff2").is_file()
    assert (build.site / "assets/diffexplain/katex-render.js").is_file()


def _tiny_site(tmp: Path, page_text: str, extensions: str = "  - pymdownx.superfences\n") -> Path:
    (tmp / "docs" / "assets" / "katex").mkdir(parents=True)
    for name in ("katex.min.js", "katex.min.css"):
        (tmp / "docs" / "assets" / "katex" / name).write_bytes(
            (ROOT / "docs" / "assets" / "katex" / name).read_bytes())
    (tmp / "docs" / "index.md").write_text(page_text, encoding="utf-8")
    cfg = tmp / "mkdocs.yml"
    cfg.write_text(f"site_name: t\nmarkdown_extensions:\n{extensions}plugins:\n  - diffexplain\n",
                   encoding="utf-8")
    return cfg


def test_a_failing_example_fails_the_strict_build(tmp_path: Path) -> None:
    cfg = _tiny_site(tmp_path, textwrap.dedent("""\
        # Oops

        ```diffexplain
        (x+w*(w+1)
        at: w=1,x=2
        ```
        """))
    b = mkdocs_build(tmp_path / "site", cfg, cwd=tmp_path)
    assert b.returncode != 0
    assert "index.md" in b.log and "never closed" in b.log
    assert "Traceback" not in b.log


def test_plugin_needs_superfences(tmp_path: Path) -> None:
    cfg = _tiny_site(tmp_path, "# Hi\n", extensions="  - admonition\n")
    b = mkdocs_build(tmp_path / "site", cfg, cwd=tmp_path)
    assert b.returncode != 0
    assert "pymdownx.superfences" in b.log
    assert "Traceback" not in b.log
