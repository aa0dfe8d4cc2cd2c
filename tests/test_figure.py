"""Drawings (SVG/PNG/PDF), the torch grad_fn figure, and the DOT / Mermaid exports."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.render import dot, figure, graphdraw

E1, E1_AT = "(x+w)*(w+1)", {"w": 1, "x": 2}


@pytest.fixture(scope="module")
def e1():
    return dx.explain(E1, at=E1_AT)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_root(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag.endswith("svg")
    return root


def svg_text(root: ET.Element) -> str:
    """Text drawn in a matplotlib SVG (kept as <text> or as a comment-free glyph path list)."""
    return " ".join(t for t in root.itertext())


def test_layers_are_longest_path_depths(e1):
    g = figure.layered(e1)
    assert {n: g.nodes[n]["layer"] for n in g} == {"x": 0, "w": 0, "1": 0, "a": 1, "b": 1,
                                                   "y": 2}
    assert g.nodes["y"]["kind"] == "output" and g.nodes["1"]["kind"] == "constant"


def test_wrt_paths_are_highlighted(e1):
    g = figure.layered(e1)
    assert graphdraw._on_paths(g, "w", ["y"]) == {("w", "a"), ("w", "b"), ("a", "y"), ("b", "y")}
    assert graphdraw._on_paths(g, "x", ["y"]) == {("x", "a"), ("a", "y")}


def test_edge_partials_come_from_the_rule_table(e1):
    assert graphdraw._partial(e1, "y", "a") == ("b", 2.0)
    assert graphdraw._partial(e1, "y", "b") == ("a", 3.0)
    sq = dx.explain("x*x", at={"x": 3}, autograd=False, numeric_check=False)
    assert graphdraw._partial(sq, "y", "x") == ("(x + x)", 6.0)


def test_svg_png_pdf_are_valid(e1, tmp_path: Path):
    fig = figure.figure(e1)
    for ext in ("svg", "png", "pdf"):
        figure.save(fig, str(tmp_path / f"g.{ext}"))
    svg_root((tmp_path / "g.svg").read_text(encoding="utf-8"))
    w, h = png_size((tmp_path / "g.png").read_bytes())
    assert w > 600 and h > 300
    assert (tmp_path / "g.pdf").read_bytes()[:5] == b"%PDF-"
    with pytest.raises(dx.InputError):
        figure.save(fig, str(tmp_path / "g.gif"))
    assert not (tmp_path / "g.gif").exists()


def test_autograd_figure_names_backward_nodes(e1):
    labels = {b.name + ":" + (b.node or ""): figure._backward_label(e1, b.name, b.node, True)
              for b in e1.autograd.backward}
    assert "saved other = b = 2" in labels["MulBackward0:y"]
    assert "saved self = a = 3" in labels["MulBackward0:y"]
    assert labels["AccumulateGrad:w"] == "AccumulateGrad\nw.grad = 5"
    text = figure.svg(e1, autograd=True)
    svg_root(text)


def test_draw_on_given_axes_and_explanation_method(e1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2)
    assert e1.draw(ax=a) is a
    assert e1.draw_autograd(ax=b) is b
    assert any("∂y/∂a = b = 2" in t.get_text() for t in a.texts)
    plt.close(fig)


def test_repr_html_embeds_inline_svg(e1):
    html = e1._repr_html_()
    assert "<svg" in html and "</svg>" in html
    assert "∂y/∂a = b = 2" in html  # labels stay text in the inline SVG


def test_thousand_node_graph_draws(tmp_path: Path):
    expr = " + ".join(f"sin(x*{k} + w)*y" for k in range(1, 170))
    e = dx.explain(expr, at={"w": 1, "x": 0.5, "y": 2}, numeric_check=False, autograd=True)
    assert len(e.nodes) >= 1000
    figure.save(figure.figure(e), str(tmp_path / "big.svg"))
    figure.save(figure.figure(e, autograd=True), str(tmp_path / "big.png"))
    svg_root((tmp_path / "big.svg").read_text(encoding="utf-8"))
    assert png_size((tmp_path / "big.png").read_bytes())[0] > 500
    assert (tmp_path / "big.svg").stat().st_size < 3_000_000
    dot_text = dot.to_dot(e)
    check_dot(dot_text)
    check_mermaid(dot.to_mermaid(e))


# --- DOT and Mermaid: small validators (no Graphviz or Mermaid install needed) ---------------
_Q = r'"(?:[^"\\]|\\.)*"'
_ATTR = rf'\w+=(?:{_Q}|[\w.#]+)'
_ATTRS = rf'(?: \[{_ATTR}(?:, {_ATTR})*\])?'
_DOT_NODE = re.compile(rf'^\s*({_Q}){_ATTRS};$')
_DOT_EDGE = re.compile(rf'^\s*({_Q}) -> ({_Q}){_ATTRS};$')
_DOT_SET = re.compile(rf'^\s*(?:(?:node|edge) \[{_ATTR}(?:, {_ATTR})*\];|\w+={_Q};|\w+=\w+;|'
                      rf'{_ATTR}; {_ATTR};)$')


def check_dot(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    """Parse the DOT subset we write: every statement, balanced braces, declared endpoints."""
    lines = text.strip().splitlines()
    assert lines[0] == "digraph diffexplain {" and lines[-1] == "}"
    depth, nodes, edges = 0, set(), []
    for line in lines:
        if line.endswith("{"):
            depth += 1
            continue
        if line.strip() == "}":
            depth -= 1
            assert depth >= 0
            continue
        if m := _DOT_EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif m := _DOT_NODE.match(line):
            nodes.add(m.group(1))
        else:
            assert _DOT_SET.match(line), f"not a DOT statement: {line!r}"
    assert depth == 0
    assert all(a in nodes and b in nodes for a, b in edges), "edge to an undeclared node"
    return nodes, edges


_MM_NODE = re.compile(r'^  (n\d+)(?:\(\["[^"]*"\]\)|\["[^"]*"\])$')
_MM_LINK = re.compile(r'^  (n\d+) -->(?:\|"[^"]*"\|)? (n\d+)$')


def check_mermaid(text: str) -> int:
    lines = text.strip().splitlines()
    assert lines[0] == "flowchart LR"
    nodes, links = set(), 0
    for line in lines[1:]:
        if m := _MM_NODE.match(line):
            nodes.add(m.group(1))
        elif m := _MM_LINK.match(line):
            assert m.group(1) in nodes and m.group(2) in nodes
            links += 1
        elif line.startswith("  linkStyle "):
            idx = [int(k) for k in line.split()[1].split(",")]
            assert max(idx) < links
        else:
            assert re.match(r"^  (classDef \w+ [\w:#,.-]+|class n\d+ \w+|%% .*)$", line), line
    return links


def test_dot_export(e1):
    nodes, edges = check_dot(dot.to_dot(e1))
    assert nodes == {'"x"', '"w"', '"a"', '"1"', '"b"', '"y"'}
    assert len(edges) == 6
    text = dot.to_dot(e1, autograd=True)
    nodes, edges = check_dot(text)
    assert '"grad_fn:0"' in nodes and 'label="MulBackward0\\ny"' in text
    assert '[label="∂y/∂a = b = 2", color="#c0392b", penwidth=2]' in text


def test_dot_escapes_quotes():
    assert dot._q('say "hi"\\') == '"say \\"hi\\"\\\\"'


def test_mermaid_export(e1):
    text = dot.to_mermaid(e1)
    assert check_mermaid(text) == 6
    assert 'n5["y = a·b<br/>mul · value 6<br/>y\u0304 = ∂y/∂y = 1"]' in text
    assert "linkStyle 1,2,4,5 stroke:#c0392b" in text


def test_cli_graph_files(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["explain", E1, "--at", "w=1,x=2", "--graph", "g.svg", "--graph-autograd",
                 "ga.png", "--wrt", "x"]) == 0
    svg_root((tmp_path / "g.svg").read_text(encoding="utf-8"))
    png_size((tmp_path / "ga.png").read_bytes())
    assert main(["explain", E1, "--at", "w=1,x=2", "--graph", "g.dot"]) == 0
    check_dot((tmp_path / "g.dot").read_text(encoding="utf-8"))
    assert main(["explain", E1, "--at", "w=1,x=2", "--graph", "g.mmd"]) == 0
    check_mermaid((tmp_path / "g.mmd").read_text(encoding="utf-8"))
    capsys.readouterr()
    assert main(["explain", E1, "--at", "w=1,x=2", "--graph", "g.jpeg"]) == 2
    assert "must end in" in capsys.readouterr().err
    assert not (tmp_path / "g.jpeg").exists()
