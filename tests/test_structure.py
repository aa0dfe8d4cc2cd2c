"""Structure lessons ("what this shows"), the component view's definitions, adjoint names,
and the 1/n of the mean BCE partial (issue 18)."""

from __future__ import annotations

import math

import pytest

import diffexplain as dx
from diffexplain.core.printing import bar, bar_latex

E12_AT = ("x=[1,1,1,1,1] y=[0,0,0] b=[-0.2,0.5,0.1] w=[[1.54,-0.29,-2.18],[0.57,-1.08,-1.4],"
          "[0.4,0.84,-0.72],[-0.4,-0.6,0.18],[1.52,0.35,-1.08]]")
E12 = "z = x@w + b; loss = bce_with_logits(z, y)"


@pytest.fixture(scope="module")
def e12() -> dx.Explanation:
    return dx.explain(E12, at=E12_AT, wrt="w,b", lang="en")


def _component_view(e: dx.Explanation, fmt: str = "text") -> str:
    """The per-component view of a vector explanation (``--components`` where it is an option)."""
    import inspect

    render = getattr(e, f"to_{fmt}")
    if "components" in inspect.signature(render).parameters:
        return str(render(components=True))
    return str(render())


# --- adjoint names ------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "text", "latex"), [
    ("w", "w̄", r"\bar{w}"),
    ("v12", "v̄12", r"\bar{v}_{12}"),
    ("a_t0", "a\u0304_t0", r"\bar{a}_{t0}"),
    ("a_0_t0", "a\u0304_0_t0", r"\bar{a}_{0,t0}"),
    ("loss", "l̅o̅s̅s̅", r"\overline{\mathrm{loss}}"),
    ("loss_t0", "l̅o̅s̅s̅_t0", r"\overline{\mathrm{loss}}_{t0}"),
])
def test_adjoint_names(name: str, text: str, latex: str) -> None:
    assert bar(name) == text
    assert bar_latex(name) == latex


def test_adjoint_names_in_the_outputs(e12: dx.Explanation) -> None:
    txt, tex = _component_view(e12), _component_view(e12, "latex")
    assert "l̅o̅s̅s̅_sum = l̅o̅s̅s̅·1/3" in txt and "l̅o̅s̅s̅_t0 = " in txt and "l̄oss" not in txt
    assert r"\overline{\mathrm{loss}}_{t0}" in tex and r"\bar{a}_{0,t0}" in tex
    assert r"_\bar" not in tex and r"\bar{a\_" not in tex and r"\bar{loss" not in tex


def test_a_printed_adjoint_reads_back() -> None:
    from diffexplain.checking.notation import tokenize

    kinds = [(t.kind, t.text) for t in tokenize("l̅o̅s̅s̅_t0 + a\u0304_0_t0 + w̄")]
    assert [k for k in kinds if k[0] == "BARNAME"] == [
        ("BARNAME", "loss_t0"), ("BARNAME", "a_0_t0"), ("BARNAME", "w")]


# --- the mean BCE partial -----------------------------------------------------------------
@pytest.mark.parametrize("at", [E12_AT, "x=[0.5,-1] y=[1,0] b=[0.3,-0.1] w=[[1,2],[3,-4]]"])
def test_mean_bce_partial_has_its_one_over_n(at: str) -> None:
    e = dx.explain(E12, at=at, wrt="w,b")
    z = e.node("z")
    n = len(z.value)
    p = e.partial("loss", "z")
    assert p.text == f"(σ(z) - y)/{n}"
    assert e.partial("loss", "y").text == f"-z/{n}"
    assert p.gradient is not None
    for got, torch_grad in zip(p.gradient, z.autograd_grad):  # the label's value is z.grad
        assert math.isclose(got, torch_grad, rel_tol=1e-12, abs_tol=1e-15)
    ys = e.node("y").value
    for got, zi, yi in zip(p.gradient, z.value, ys):
        assert math.isclose(got, (1 / (1 + math.exp(-zi)) - yi) / n, rel_tol=1e-12)


def test_one_entry_bce_has_no_division() -> None:
    e = dx.explain("loss = bce_with_logits(z, y)", at="z=[0.3] y=[1]")
    assert e.partial("loss", "z").text == "σ(z) - y"


# --- what this shows ----------------------------------------------------------------------
E12_SENTENCE = ("Each row of w.grad equals b.grad = (σ(z) − y)/3, because w.grad = x·b.gradᵀ "
                "and x is all ones.")
E12_SENTENCE_ZH = "w.grad 的每一行都等于 b.grad = (σ(z) − y)/3，因为 w.grad = x·b.gradᵀ，而 x 全为 1。"


def _texts(e: dx.Explanation) -> list[str]:
    s = e.extras.get("structure")
    return [f.text for f in s.findings] if s else []


def test_e12_states_its_lesson_in_one_sentence(e12: dx.Explanation) -> None:
    s = e12.extras["structure"]
    kinds = [f.kind for f in s.findings]
    assert kinds[0] == "equal_rows" and s.findings[0].text == E12_SENTENCE
    assert "bias" in kinds and "matmul" in kinds
    assert all(f.torch for f in s.findings)  # torch's .grad has the same structure
    assert any("rank one" in t and "x·b.gradᵀ" in t for t in _texts(e12))
    assert any(t.startswith("b.grad = ∂loss/∂z = (σ(z) − y)/3") for t in _texts(e12))


def test_e12_in_chinese() -> None:
    e = dx.explain(E12, at=E12_AT, wrt="w,b", lang="zh")
    assert _texts(e)[0] == E12_SENTENCE_ZH
    assert "这说明了什么" in e.to_text() and E12_SENTENCE_ZH in e.to_markdown()


def test_e12_in_every_format(e12: dx.Explanation) -> None:
    from diffexplain.render.html import page

    assert "What this shows" in e12.to_text() and E12_SENTENCE in e12.to_text()
    assert "### What this shows" in e12.to_markdown() and E12_SENTENCE in e12.to_markdown()
    assert "What this shows" in page(e12, ("symbolic", "extras"))
    found = e12.to_dict()["extras"]["structure"]["findings"]
    assert found[0]["kind"] == "equal_rows" and found[0]["text"] == E12_SENTENCE
    assert found[0]["check"] in ("exact", "tolerance") and found[0]["torch"] is True


def test_x_not_all_ones_is_still_rank_one_but_rows_differ() -> None:
    e = dx.explain(E12, at="x=[1,2,0.5] y=[0,1] b=[0.1,0.2] w=[[1,2],[3,4],[5,6]]", wrt="w,b")
    kinds = [f.kind for f in e.extras["structure"].findings]
    assert "equal_rows" not in kinds and "matmul" in kinds and "bias" in kinds
    assert any("w.grad = x·b.gradᵀ is an outer product (rank one)" in t for t in _texts(e))
    assert any(t.startswith("b.grad = ∂loss/∂z = (σ(z) − y)/2") for t in _texts(e))


def test_a_constant_input_other_than_one_scales_the_rows() -> None:
    e = dx.explain(E12, at="x=[2,2,2] y=[0,1] b=[0.1,0.2] w=[[1,2],[3,4],[5,6]]", wrt="w,b")
    assert _texts(e)[0] == ("Each row of w.grad equals 2·b.grad, because w.grad = x·b.gradᵀ and "
                            "every entry of x is 2.")


def test_matrix_times_matrix_is_a_vjp_not_rank_one() -> None:
    e = dx.explain("A = X@W; L = sum(A*A)", at="X=[[1,2],[3,4],[5,6]] W=[[1,0],[0,1]]", wrt="W")
    assert _texts(e) == ["W.grad = Xᵀ·(∂L/∂A): the vector-Jacobian product of A = X @ W."]


def test_a_wrong_relation_is_not_stated() -> None:
    """W.grad = (∂L/∂a)·xᵀ holds here; with a second use of W it no longer does."""
    one = dx.explain("a = W@x; L = sum(a)", at="W=[[1,2],[3,4]] x=[1,3]", wrt="W")
    two = dx.explain("a = W@x; L = sum(a) + sum(W*W)", at="W=[[1,2],[3,4]] x=[1,3]", wrt="W")
    assert any(f.kind == "matmul" for f in one.extras["structure"].findings)
    assert not any(f.kind == "matmul" for f in (two.extras.get("structure") or
                                                 type("S", (), {"findings": ()})).findings)


def test_e7_detached_factor_and_diagonal_jacobian() -> None:
    e = dx.explain("y = x*x; u = detach(y); z = u*x", at="x=[0,1,2,3]", lang="en")
    texts = _texts(e)
    assert texts[0].startswith("x.grad = u = [0, 1, 4, 9]: u = detach(y) is a constant")
    assert any("Jacobian ∂z/∂x is diagonal (entries [0, 1, 4, 9])" in t for t in texts)
    plain = dx.explain("y = x*x; z = y*x", at="x=[0,1,2,3]")  # no detach: no such sentence
    assert not any(f.kind == "detached" for f in plain.extras["structure"].findings)


def test_no_structure_no_section() -> None:
    e = dx.explain("2*dot(x,x) + sum(x)", at="x=[0,1,2,3]")
    assert "structure" not in e.extras and "What this shows" not in e.to_text()


# --- the component view defines its nodes ---------------------------------------------------
def test_component_nodes_are_defined(e12: dx.Explanation) -> None:
    from diffexplain.render import components

    txt = _component_view(e12)
    assert "Where (the component nodes used above)" in txt
    assert "a_0_t0 = x_0·w_0_0" in txt and "(15 in all)" in txt
    assert "a_0_acc1 = a_0_t0 + a_0_t1" in txt and "z_1 = a_1 + b_1" in txt
    assert "loss = loss_sum/3" in txt
    assert "⇒ a_0 = x_0·w_0_0 + x_1·w_1_0 + x_2·w_2_0 + x_3·w_3_0 + x_4·w_4_0  (the other 2 " \
        "components alike)" in txt
    md = _component_view(e12, "markdown")
    assert "- `a_0_t0 = x_0·w_0_0, a_0_t1 = x_1·w_1_0, …" in md
    assert "a_0_t0 = x_0·w_0_0" in components.html(e12)
    # every node a shown derivation line names is defined
    defined = {d.split(" = ")[0] for _h, lines in components.groups(e12) for line in lines
               for d in line.split(", ")}
    assert {"a_0_t0", "a_2_t4", "a_1", "z_0", "loss_t2", "loss_sum", "loss"} <= defined


def test_small_dot_lists_every_node() -> None:
    e = dx.explain("2*dot(x,x)", at="x=[0,1,2,3]")
    lines = _component_view(e).split("Where (the component nodes used above)\n")[1]
    assert lines.startswith("  a = dot(x, x):\n    a_t0 = x_0·x_0, a_t1 = x_1·x_1, a_t2 = x_2·x_2, "
                            "a_t3 = x_3·x_3\n    a_acc1 = a_t0 + a_t1, a_acc2 = a_t2 + a_t3\n"
                            "    a = a_acc1 + a_acc2\n    ⇒ a = x_0·x_0 + x_1·x_1 + x_2·x_2 + x_3·x_3\n\n")


def test_scalars_have_no_component_block() -> None:
    assert "component nodes" not in dx.explain("(x+w)*(w+1)", at="w=1,x=2").to_text()


def test_extreme_logits_do_not_overflow() -> None:
    e = dx.explain(E12, at="x=[1,1] y=[0,1] b=[-800,800] w=[[1,2],[3,4]]", wrt="w,b")
    bias = [f for f in e.extras["structure"].findings if f.kind == "bias"]
    assert bias and "(σ(z) − y)/2" in bias[0].text  # σ(−797) computed without overflow


def test_html_defines_component_nodes_only_in_the_component_view(e12: dx.Explanation) -> None:
    from diffexplain.render.html import SECTIONS, page

    title = "Where (the component nodes used above)"
    if "components" in SECTIONS:  # vectors show their vector form unless asked for components
        assert title not in page(e12, ("symbolic",))
        assert title in page(e12, ("symbolic", "components"))
    else:
        assert title in page(e12, ("symbolic",))
