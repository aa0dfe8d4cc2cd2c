"""E1 of shared/worked-examples.md: the numbers and the derivation, line for line."""

from __future__ import annotations

import json

import pytest

import diffexplain as dx
from diffexplain.core.printing import bar

E1 = "(x+w)*(w+1)"
AT = {"w": 1, "x": 2}


@pytest.fixture(scope="module")
def e1():
    return dx.explain(E1, at=AT)


def test_e1_forward_values(e1):
    values = {n.id: n.value for n in e1.nodes}
    assert values == {"x": 2.0, "w": 1.0, "a": 3.0, "1": 1.0, "b": 2.0, "y": 6.0}
    assert e1.value == 6.0


def test_e1_gradients_from_all_three_methods(e1):
    assert e1.gradient == {"w": 5.0, "x": 2.0}
    for var, want in (("w", 5.0), ("x", 2.0)):
        c = e1.verdict.comparisons[var]
        assert c.symbolic == want
        assert c.autograd == want
        assert c.numeric == pytest.approx(want, rel=1e-8)
        assert c.agree
    assert e1.verdict.agree


def test_e1_derivation_reads_like_the_notes(e1):
    lines = [line.text for line in e1.derivations["w"].lines]
    assert e1.derivations["w"].lhs == "∂y/∂w"
    assert lines == [
        "∂y/∂a·∂a/∂w + ∂y/∂b·∂b/∂w",
        "b·1 + a·1",
        "b + a",
        "(w + 1) + (x + w)",
        "2w + x + 1",
        "2·1 + 2 + 1",
        "5",
    ]
    assert [line.text for line in e1.derivations["x"].lines] == [
        "∂y/∂a·∂a/∂x", "b·1", "b", "w + 1", "1 + 1", "2"]


def test_e1_every_line_is_checked(e1):
    for d in e1.derivations.values():
        for line in d.lines:
            assert line.check in {"definition", "sympy", "numeric", "float evaluation", "exact",
                                  "arbitrary precision"}
    assert e1.derivations["w"].lines[1].check == "sympy"
    assert "product rule" in e1.derivations["w"].lines[1].rule


def test_e1_autograd_facts(e1):
    node = {n.id: n for n in e1.nodes}
    assert node["y"].grad_fn == "MulBackward0"
    assert node["a"].grad_fn == "AddBackward0"
    assert node["b"].grad_fn == "AddBackward0"
    assert node["w"].is_leaf is True and node["a"].is_leaf is False
    assert all(node[k].requires_grad for k in "aby")
    assert node["w"].autograd_grad == 5.0 and node["x"].autograd_grad == 2.0
    # MulBackward0 saved a and b (not w), with their values
    saved = {s[0]: (s[1], s[2]) for s in node["y"].saved}
    assert saved == {"self": ("a", 3.0), "other": ("b", 2.0)}


def test_e1_adjoint_table(e1):
    rows = {r.node: (r.formula, r.value) for r in e1.adjoints}
    assert rows["y"] == ("1", 1.0)
    assert rows["a"] == (f"{bar('y')}·b", 2.0)
    assert rows["b"] == (f"{bar('y')}·a", 3.0)
    assert rows["w"] == (f"{bar('a')}·1 + {bar('b')}·1", 5.0)


def test_e1_json_contract(e1):
    d = json.loads(e1.to_json())
    assert {"expression", "point", "value", "gradient", "steps", "graph"} <= d.keys()
    assert d["expression"] == E1 and d["point"] == {"w": 1.0, "x": 2.0} and d["value"] == 6.0
    g = d["gradient"]["w"]
    assert g == {**g, "symbolic": "2*w + x + 1", "value": 5.0, "autograd": 5.0, "agree": True}
    assert g["numeric"] == pytest.approx(5.0)
    assert [s["text"] for s in d["steps"]["w"]][-1] == "5"
    nodes = {n["id"]: n for n in d["graph"]["nodes"]}
    assert nodes["a"]["op"] == "add" and nodes["a"]["expr"] == "x + w"
    assert nodes["a"]["value"] == 3.0 and nodes["a"]["grad"] == 2.0
    assert sorted(d["graph"]["edges"]) == sorted(
        [["x", "a"], ["w", "a"], ["w", "b"], ["1", "b"], ["a", "y"], ["b", "y"]])


def test_e1_program_form_is_the_same_graph():
    e = dx.explain("a = x + w; b = w + 1; y = a*b", at=AT)
    assert e.gradient == {"w": 5.0, "x": 2.0}
    assert [line.text for line in e.derivations["w"].lines][1:4] == [
        "b·1 + a·1", "b + a", "(w + 1) + (x + w)"]


def test_e1_text_golden(e1, golden):
    text = e1.to_text().replace(e1.autograd.torch_version, "TORCH")
    golden("E1.txt", text)


def test_e1_markdown_and_latex_golden(e1, golden):
    golden("E1.md", e1.to_markdown().replace(e1.autograd.torch_version, "TORCH"))
    golden("E1.tex", e1.to_latex())
