"""E12: a one-layer network z = x@w + b, loss = bce_with_logits(z, y), every entry checked."""

from __future__ import annotations

import pytest
import torch

import diffexplain as dx
from diffexplain.cli import main

# fixed parameters (torch.manual_seed(0) draws, rounded), x all ones, target zeros
W = [[1.54, -0.29, -2.18], [0.57, -1.08, -1.4], [0.4, 0.84, -0.72], [-0.4, -0.6, 0.18],
     [1.52, 0.35, -1.08]]
B = [-0.2, 0.5, 0.1]
AT = {"x": [1, 1, 1, 1, 1], "w": W, "b": B, "y": [0, 0, 0]}
PROGRAM = "z = x@w + b; loss = bce_with_logits(z, y)"


@pytest.fixture(scope="module", params=["float64", "float32"])
def e12(request):
    return dx.explain(PROGRAM, at=AT, wrt=["w", "b"], dtype=request.param)


def test_e12_grad_fns_and_shapes(e12):
    assert e12.node("a").grad_fn == "SqueezeBackward4"  # torch.matmul(x, w) alone
    assert e12.node("z").grad_fn == "AddBackward0"
    assert e12.node("loss").grad_fn == "BinaryCrossEntropyWithLogitsBackward0"
    assert e12.extras["tensor"]["shapes"]["z"] == [3]
    assert e12.extras["tensor"]["shapes"]["loss"] == []
    assert e12.node("x").requires_grad is False  # data, as in the tutorial
    g = e12.autograd.gradient
    assert len(g["w"]) == 5 and all(len(r) == 3 for r in g["w"]) and len(g["b"]) == 3


def test_e12_torch_gradients_are_the_textbook_ones(e12):
    dt = getattr(torch, e12.dtype)
    x, y = torch.ones(5, dtype=dt), torch.zeros(3, dtype=dt)
    w = torch.tensor(W, dtype=dt, requires_grad=True)
    b = torch.tensor(B, dtype=dt, requires_grad=True)
    z = torch.matmul(x, w) + b
    torch.nn.functional.binary_cross_entropy_with_logits(z, y).backward()
    want_b = (torch.sigmoid(z.detach()) - y) / 3
    assert torch.equal(b.grad, want_b)  # exactly
    assert e12.autograd.gradient["b"] == b.grad.tolist()
    assert e12.autograd.gradient["w"] == w.grad.tolist()
    for row in e12.autograd.gradient["w"]:
        assert row == e12.autograd.gradient["b"]  # x is all ones


def test_e12_symbolic_matches_torch_for_every_entry(e12):
    import math

    sym = e12.gradient
    z = [sum(W[i][j] for i in range(5)) + B[j] for j in range(3)]
    textbook = [1 / (1 + math.exp(-zj)) / 3 for zj in z]
    assert sym["b"] == pytest.approx(textbook, rel=1e-12)
    assert all(row == pytest.approx(textbook, rel=1e-12) for row in sym["w"])
    comps = e12.verdict.comparisons
    assert len(comps) == 18 and all(c.agree for c in comps.values())
    assert e12.verdict.agree


def test_cli_model(capsys):
    w = "[" + ",".join("[" + ",".join(map(str, r)) + "]" for r in W) + "]"
    code = main(["explain", PROGRAM, "--at", "x=[1,1,1,1,1] y=[0,0,0]", "--at", f"w={w}",
                 "--at", "b=[-0.2,0.5,0.1]", "--wrt", "w,b", "--no-numeric", "--check"])
    assert code == 0
    out = capsys.readouterr().out
    assert "BinaryCrossEntropyWithLogitsBackward0" in out and "∇b = [" in out
