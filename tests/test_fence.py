"""The docs fences, rendered by Python-Markdown directly (no MkDocs).

Goldens pair ``tests/golden/fence/NAME.md`` with ``NAME.html``; ``--update-goldens``
rewrites the HTML, and every case still asserts the numbers it must contain.
"""

from __future__ import annotations

import html as html_module
import logging
import re
from pathlib import Path

import markdown
import pytest

from diffexplain.docsite import fence

CASES = Path(__file__).resolve().parent / "golden" / "fence"


def render(text: str) -> str:
    md = markdown.Markdown(extensions=["pymdownx.superfences"],
                           extension_configs={"pymdownx.superfences":
                                              {"custom_fences": fence.custom_fences()}})
    return md.convert(text)


MUST_CONTAIN = {
    "e1": ["\\frac{\\partial y}{\\partial w}", "&amp;= 5", "<code>MulBackward0</code>",
           "<code>AddBackward0</code>", "Verdict: they agree",
           "diffexplain explain '(x+w)*(w+1)' --at w=1,x=2", 'class="dx-columns"'],
    "e3-weights": ["<td>∂/∂w</td><td>9</td><td>9</td><td>9</td>",
                   "<td>∂/∂x</td><td>4</td><td>4</td><td>4</td>",
                   "--outputs y0,y1 --weights 1,2", "E3 with weights [1, 2]"],
    "saved": ["What each grad_fn saved", "self = w (1)", "other = x (2)"],
    "log-odds": ["\\Rightarrow", "solved for y: same solutions", "f{\\left(W X + b \\right)}"],
    "kink": ["Verdict: they disagree", 'class="admonition warning"'],
}


@pytest.mark.parametrize("name", sorted(MUST_CONTAIN))
def test_golden(name: str, golden, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.diffexplain"):
        html = render((CASES / f"{name}.md").read_text(encoding="utf-8"))
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    text = html_module.unescape(re.sub(r"<[^>]+>", "", html))
    for piece in MUST_CONTAIN[name]:
        assert piece in html or piece in text, piece
    golden(f"fence/{name}.html", html + "\n")


@pytest.mark.parametrize(("body", "message"), [
    ("(x+w\nat: w=1,x=2", "never closed"),  # a parse error in the expression
    ("x**2\nat: x=3\nwtr: x", "unknown option 'wtr'"),
    ("x**2\nat: y=3", "unknown variable 'y'"),
    ("x**2\nat: x=3\nshow: pictures", "unknown section 'pictures'"),
    ("x**2\nat: x=3\nexpect: disagree", "expected the methods to disagree"),
    ("x**2\nat: x=3\noptions: colour=red", "unexpected keyword argument 'colour'"),
    ("at: x=3", "no expression"),
])
def test_failure_is_a_warning_and_a_box(body: str, message: str,
                                        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.diffexplain"):
        html = render(f"```diffexplain\n{body}\n```\n")
    assert len(caplog.records) == 1
    assert message in caplog.records[0].getMessage()
    assert 'class="admonition failure"' in html
    assert "Traceback" not in html


def test_options_in_the_header_are_refused(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.diffexplain"):
        html = render('```{ .diffexplain at="x=1" }\nx**2\n```\n')
    assert "not in its header" in caplog.records[0].getMessage()
    assert "admonition failure" in html


def test_passthrough_reaches_explain() -> None:
    html = render("```diffexplain\nx**2\nat: x=3\noptions: autograd=false, numeric_check=false\n```\n")
    assert "Autograd (torch" not in html  # autograd=False: torch never ran
    text = html_module.unescape(re.sub(r"<[^>]+>", "", html))
    assert "autograd=False, numeric_check=False" in text  # and the Python call says so


def test_other_fences_are_untouched() -> None:
    html = render("```python\nprint(1)\n```\n")
    assert "diffexplain" not in html and "print" in html


def test_cli_fence_is_argparse_help() -> None:
    from diffexplain.cli import main_parser

    html = render("```diffexplain-cli\ncommand: explain\n```\n")
    assert "usage: diffexplain explain" in html
    assert "--wrt" in html and "--format" in html
    assert "diffexplain-options" not in html
    with pytest.raises(SystemExit):
        main_parser().parse_args(["explain", "--help"])


def test_options_table_lists_every_option() -> None:
    html = render("```diffexplain-options\n```\n")
    for key in fence.OPTIONS:
        assert f"<code>{key}</code>" in html


def test_run_fence_reports_a_missing_script(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    fence.set_context(base_dir=tmp_path)
    try:
        with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.diffexplain"):
            render("```diffexplain-run\nscript: nowhere.py\n```\n")
    finally:
        fence.set_context(base_dir=Path.cwd())
    assert "no such script" in caplog.records[0].getMessage()


def test_run_fence_embeds_figures_and_checks_ok(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    script = tmp_path / "make.py"
    script.write_text(
        "import json, sys, pathlib\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1])\n"
        "ok = '--fail' not in sys.argv\n"
        # a 1×1 PNG
        "out.joinpath('dot.png').write_bytes(bytes.fromhex("
        "'89504e470d0a1a0a0000000d4948445200000001000000010806000000'"
        "'1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef'"
        "'0000000049454e44ae426082'))\n"
        "out.joinpath('summary.json').write_text(json.dumps({'ok': ok, 'message': 'made it',"
        " 'results': {'answer': 42}, 'figures': [{'file': 'dot.png', 'caption': 'a dot'}]}))\n")
    fence.set_context(base_dir=tmp_path)
    try:
        html = render("```diffexplain-run\nscript: make.py\n```\n")
        with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.diffexplain"):
            bad = render("```diffexplain-run\nscript: make.py\nargs: --fail\n```\n")
    finally:
        fence.set_context(base_dir=Path.cwd())
    assert 'src="data:image/png;base64,iVBOR' in html
    assert "<figcaption>a dot</figcaption>" in html and "<td>42</td>" in html
    assert "admonition failure" in bad and "made it" in caplog.records[0].getMessage()


def test_parse_body_and_literals() -> None:
    text, opts = fence.parse_body("a = x + w\nb = w + 1\n\ny = a*b\nat: w=1, x=2\n",
                                  fence.OPTIONS)
    assert text == "a = x + w\nb = w + 1\ny = a*b"
    assert opts == {"at": "w=1, x=2"}
    assert fence._passthrough("order=2, weights=[1, 2.5], name='w', flag=true, none=None") == {
        "order": 2, "weights": [1, 2.5], "name": "w", "flag": True, "none": None}
    with pytest.raises(fence.FenceError, match="given twice"):
        fence.parse_body("x\nat: x=1\nat: x=2", fence.OPTIONS)
