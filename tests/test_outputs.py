"""E3 on real torch: several outputs, weights, backward(gradient=…) on torch.cat."""

from __future__ import annotations

import json

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.errors import InputError

PROG = "y0 = (x+w)*(w+1); y1 = (x+w)+(w+1)"
AT = {"w": 1, "x": 2}


@pytest.mark.parametrize("weights, w, x", [([1, 1], 7.0, 3.0), ([1, 2], 9.0, 4.0)])
def test_e3_weighted_sum_per_output_and_torch_cat(weights, w, x):
    e = dx.explain(PROG, at=AT, outputs=["y0", "y1"], weights=weights)
    assert e.gradient == {"w": w, "x": x}
    d = e.derivations["w"]
    assert d.method == "weighted sum"
    assert d.lines[0].text == f"1·∂y0/∂w + {weights[1]}·∂y1/∂w"
    assert d.lines[1].text == f"1·5 + {weights[1]}·2"
    out = e.extras["outputs"]
    assert out["per_output"]["y0"]["w"]["value"] == 5.0
    assert out["per_output"]["y0"]["w"]["method"] == "path sum"
    assert out["per_output"]["y0"]["w"]["lines"][1:3] == ["b·1 + a·1", "b + a"]
    assert out["per_output"]["y1"]["w"]["value"] == 2.0
    t = out["torch"]
    assert t["loss_grad_fn"] == "CatBackward0" and t["loss"] == [6.0, 5.0]
    assert t["gradient"] == {"w": w, "x": x}
    assert "torch.cat([y0.reshape(1), y1.reshape(1)])" in t["code"][0]
    assert e.verdict.agree


def test_weights_without_outputs_take_the_last_statements():
    e = dx.explain("a = x + w; y0 = a*(w+1); y1 = a+(w+1)", at=AT, weights=[1, 2])
    assert e.outputs == ("y0", "y1") and e.gradient == {"w": 9.0, "x": 4.0}
    with pytest.raises(InputError, match="must each be named"):
        dx.explain("y0 = x*w; x+w", at=AT, weights=[1, 2])
    with pytest.raises(InputError, match="2 weights but the program has 1"):
        dx.explain("x*w", at=AT, weights=[1, 2])


def test_a_list_of_expressions_is_several_outputs():
    e = dx.explain(["(x+w)*(w+1)", "(x+w)+(w+1)"], at=AT, weights=[1, 2])
    assert e.outputs == ("y0", "y1") and e.gradient == {"w": 9.0, "x": 4.0}
    assert e.node("a").expr == "x + w"  # the shared x + w is one node
    e = dx.explain(["y0*2", "y0+1"], at={"y0": 1})
    assert e.outputs == ("out0", "out1") and e.gradient == {"y0": 3.0}
    with pytest.raises(InputError, match="single expression"):
        dx.explain(["a = x", "x"], at={"x": 1})


def test_cli_weights(capsys):
    assert main(["explain", PROG, "--at", "w=1,x=2", "--weights", "1,2"]) == 0
    out = capsys.readouterr().out
    assert "∂L/∂w = 1·∂y0/∂w + 2·∂y1/∂w" in out and "= 1·5 + 2·2" in out
    assert "∂y0/∂w = ∂y0/∂a·∂a/∂w + ∂y0/∂b·∂b/∂w" in out
    assert "loss.grad_fn = CatBackward0; w.grad = 9, x.grad = 4" in out
    assert main(["explain", PROG, "--at", "w=1,x=2", "--outputs", "y0,y1", "-f", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["gradient"]["w"]["value"] == 7.0 and d["gradient"]["w"]["autograd"] == 7.0
    for fmt in ("latex", "markdown", "html"):
        assert main(["explain", PROG, "--at", "w=1,x=2", "--weights", "1,2", "-f", fmt]) == 0
        assert "9" in capsys.readouterr().out


def test_one_output_with_a_weight():
    e = dx.explain("x*x", at={"x": 3}, weights=[2])
    assert e.gradient == {"x": 12.0} and e.verdict.comparisons["x"].autograd == 12.0
    assert e.derivations["x"].lines[1].text == "2·6"
