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
    txt, tex = e12.to_text(), e12.to_latex()
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
