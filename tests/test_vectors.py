"""E6 and E7: vector inputs, non-scalar outputs (VJP with ones) and detach, on real torch."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.core.points import parse_point
from diffexplain.errors import InputError

X = {"x": [0, 1, 2, 3]}


@pytest.fixture(scope="module")
def dot2():
    return dx.explain("2*dot(x,x)", at=X)


def test_e6_dot(dot2):
    assert dot2.value == 28.0
    assert dot2.gradient == {"x": [0.0, 4.0, 8.0, 12.0]}
    assert dot2.autograd.gradient["x"] == [0.0, 4.0, 8.0, 12.0]
    assert dot2.node("a").grad_fn == "DotBackward0"
    assert dot2.node("y").grad_fn == "MulBackward0"
    assert dot2.verdict.agree
    # each component is its own checked derivation, with the closed form 4·x_i
    assert set(dot2.derivations) == {"x_0", "x_1", "x_2", "x_3"}
    assert dot2.derivations["x_2"].closed_form == "4*x_2"
    assert dot2.derivations["x_2"].method == "path sum"


def test_e6_sum():
    e = dx.explain("sum(x)", at=X)
    assert e.gradient == {"x": [1.0, 1.0, 1.0, 1.0]}
    assert e.node("y").grad_fn == "SumBackward0"
    assert e.autograd.gradient["x"] == [1.0, 1.0, 1.0, 1.0]
    assert e.verdict.agree


def test_e6_nonscalar_output_is_a_vjp_with_ones():
    e = dx.explain("x*x", at="x=[0,1,2,3]")
    assert e.value == [0.0, 1.0, 4.0, 9.0]
    assert e.gradient == {"x": [0.0, 2.0, 4.0, 6.0]}
    assert e.autograd.gradient["x"] == [0.0, 2.0, 4.0, 6.0]
    red = e.extras["tensor"]["reduction"]
    assert red["name"] == "L" and red["vjp"] == [1.0, 1.0, 1.0, 1.0]
    assert red["output_grad_fn"] == "MulBackward0"
    assert "y.backward(gradient=torch.ones(4))" in red["why"]
    # the ones vector is visible as the output's gradient, and torch agrees
    assert e.node("y").grad == [1.0, 1.0, 1.0, 1.0] == e.node("y").autograd_grad
    text = e.to_text()
    assert "∇x = [0, 2, 4, 6]" in text and "the ones vector is [1, 1, 1, 1]" in text


def test_e7_detach_is_a_constant():
    prog = "y = x*x; u = detach(y); z = u*x"
    e = dx.explain(prog, at=X)
    assert e.gradient == {"x": [0.0, 1.0, 4.0, 9.0]}
    assert e.autograd.gradient["x"] == [0.0, 1.0, 4.0, 9.0]
    u = e.node("u")
    assert u.requires_grad is False and u.grad_fn is None and u.value == [0.0, 1.0, 4.0, 9.0]
    assert e.verdict.agree  # finite differences hold u fixed too
    assert "stop-gradient" in e.to_text()
    ey = dx.explain(prog, at=X, outputs=["y"])
    assert ey.gradient == {"x": [0.0, 2.0, 4.0, 6.0]}


def test_detach_for_scalars():
    e = dx.explain("y = x*x; u = detach(y); z = u*x", at={"x": 2})
    assert e.gradient == {"x": 4.0}  # u = 4 is a constant: d(u·x)/dx = u
    assert e.autograd.gradient["x"] == 4.0
    assert e.verdict.agree


def test_elementwise_functions_and_broadcast_constants():
    e = dx.explain("sum(sin(x) * 3 + x^2)", at={"x": [0.5, -1.0]})
    import math

    want = [3 * math.cos(v) + 2 * v for v in (0.5, -1.0)]
    assert e.gradient["x"] == pytest.approx(want, rel=1e-12)
    assert e.autograd.gradient["x"] == pytest.approx(want, rel=1e-12)
    assert e.verdict.agree


def test_json_and_markdown_show_vectors(dot2):
    d = json.loads(dot2.to_json())
    assert d["point"]["x"] == [0.0, 1.0, 2.0, 3.0]
    assert d["extras"]["tensor"]["gradient"]["x"] == [0.0, 4.0, 8.0, 12.0]
    node = next(n for n in d["graph"]["nodes"] if n["id"] == "x")
    assert node["autograd_grad"] == [0.0, 4.0, 8.0, 12.0]
    assert "∇x = [0, 4, 8, 12]" in dot2.to_markdown()


def test_shape_errors_are_input_errors():
    with pytest.raises(InputError, match="dot needs two vectors of the same length"):
        dx.explain("dot(x, w)", at={"x": [1, 2], "w": [1, 2, 3]})
    with pytest.raises(InputError, match="do not match"):
        dx.explain("x + w", at={"x": [1, 2], "w": [1, 2, 3]})
    with pytest.raises(InputError, match="different lengths"):
        parse_point("w=[[1,2],[3]]")


def test_matrix_point_parsing():
    assert parse_point("w=[[1, 2], [3, 4]], b=[5,6] c=7") == {
        "w": [[1.0, 2.0], [3.0, 4.0]], "b": [5.0, 6.0], "c": 7.0}


def test_cli_vectors(capsys):
    assert main(["explain", "2*dot(x,x)", "--at", "x=[0,1,2,3]", "--check"]) == 0
    out = capsys.readouterr().out
    assert "∇x = [0, 4, 8, 12]" in out and "DotBackward0" in out
    assert main(["explain", "x*x", "--at", "x=[0,1,2,3]", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["extras"]["tensor"]["gradient"]["x"] == [0.0, 2.0, 4.0, 6.0]


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(-2, 2).map(lambda v: round(v, 3)), min_size=1, max_size=3),
       st.sampled_from(["sum(sin(x)*x)", "dot(x, exp(x))", "sum(tanh(x)^2) + dot(x, x)",
                        "sum(sigmoid(2*x - 1))", "y = x*x; z = sum(detach(y)*x + y)"]))
def test_vector_methods_agree(vals, expr):
    e = dx.explain(expr, at={"x": vals})
    assert e.verdict.agree, e.verdict.summary
    assert e.autograd.gradient["x"] == pytest.approx(e.gradient["x"], rel=1e-9, abs=1e-12)
