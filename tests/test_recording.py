"""dx.record() / dx.explain(tensor): torch calls mapped onto the operation table.

Every op the recorder maps is checked against torch's own gradient of the very same
run; an op without a rule (torch.erf, torch.cumsum) becomes an opaque node. Graphs
stay small (see the note on freeing deep graphs under the cyclic GC).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.core.torchmap import COVERED
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.limits import Limits


def _explained(build):
    with dx.record():
        out, leaves = build()
    e = dx.explain(out)
    out.backward()
    return e, leaves


def _same(a, b):
    return np.allclose(np.asarray(a, dtype=float).reshape(-1),
                       np.asarray(b, dtype=float).reshape(-1), rtol=1e-5, atol=1e-6)


def test_e1_through_the_api():
    with dx.record():
        w = torch.tensor([1.], requires_grad=True)
        x = torch.tensor([2.], requires_grad=True)
        a = torch.add(w, x)
        b = torch.add(w, 1)
        y = torch.mul(a, b)
    e = dx.explain(y)
    assert e.gradient == {"w": 5.0, "x": 2.0}
    assert e.expression == "a = w + x; b = w + 1; y = a·b"
    nodes = e.extras["recording"]["nodes"]
    assert [(n["name"], n["call"], n["source"]) for n in nodes[2:]] == [
        ("a", "torch.add", "a = torch.add(w, x)"), ("b", "torch.add", "b = torch.add(w, 1)"),
        ("y", "torch.mul", "y = torch.mul(a, b)")]
    assert "Recorded from test_recording.py" in str(e)


def _linear_bce():
    torch.manual_seed(1)
    x = torch.randn(2, 2)
    t = torch.tensor([0., 1.])
    model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    loss = nn.BCELoss()(model(x).squeeze(), t)
    return loss, {"weight": model[0].weight, "bias": model[0].bias}


def _softmax_family():
    torch.manual_seed(2)
    z = torch.randn(2, 3, requires_grad=True)
    p = torch.softmax(z, dim=1)
    q = F.log_softmax(z, dim=0)
    return (p * q).sum() + p[0, 1] + q.reshape(6)[2:5].mean(), {"z": z}


def _cross_entropy():
    torch.manual_seed(3)
    z = torch.randn(3, 4, requires_grad=True)
    return F.cross_entropy(z, torch.tensor([0, 3, 1])), {"z": z}


def _mse_and_cat():
    a = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    b = torch.tensor([[1.5], [-0.5]], requires_grad=True)
    c = torch.cat([a, b, a], dim=1)
    target = torch.ones(2, 5)
    return F.mse_loss(c, target) + F.mse_loss(c, target, reduction="sum"), {"a": a, "b": b}


def _elementwise():
    x = torch.tensor([0.3, -1.2, 2.0], requires_grad=True)
    y = (torch.exp(x).sum() + torch.log(x.abs() + 1).sum() + torch.sin(x)[0] + torch.cos(x)[1]
         + torch.tanh(x).mean() + torch.sigmoid(x).sum() + torch.relu(x).sum()
         + torch.sqrt(x * x + 1).sum() + (x ** 3).sum() + (2 ** x).sum() + (1 / (x + 3)).sum()
         + (5 - x).sum() + x @ x + torch.dot(x, x) + torch.pow(x, 2).sum() + x.view(3, 1).sum())
    return y, {"x": x}


def _bce_logits_matmul():
    torch.manual_seed(4)
    x = torch.ones(5)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    return F.binary_cross_entropy_with_logits(z, torch.zeros(3)), {"w": w, "b": b}


@pytest.mark.parametrize("build", [_linear_bce, _softmax_family, _cross_entropy, _mse_and_cat,
                                   _elementwise, _bce_logits_matmul])
def test_each_mapped_op_agrees_with_torchs_own_run(build):
    e, leaves = _explained(build)
    assert e.verdict.agree
    for name, t in leaves.items():
        assert _same(e.gradient[name], t.grad), name
    assert not e.extras["recording"]["opaque"]


def test_covered_names_include_the_issue_list():
    for name in ("add", "mul", "__mul__", "__rpow__", "pow", "exp", "log", "sin", "cos", "tanh",
                 "sigmoid", "relu", "abs", "sqrt", "sum", "mean", "dot", "matmul",
                 "__matmul__", "cat", "detach", "__getitem__", "reshape", "view", "linear",
                 "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss",
                 "softmax", "log_softmax", "cross_entropy"):
        assert name in COVERED


@pytest.mark.parametrize("op", ["erf", "cumsum"])
def test_an_op_without_a_rule_is_an_opaque_node(op):
    with dx.record():
        x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
        c = torch.erf(x) if op == "erf" else torch.cumsum(x, 0)
        y = (c * c).sum()
    e = dx.explain(y)
    rec = e.extras["recording"]
    assert rec["opaque"] == [{"name": "c", "call": f"torch.{op}", "line": rec["opaque"][0]["line"],
                              "source": rec["opaque"][0]["source"], "kind": "opaque"}]
    assert rec["not_derived"] == ["x"]
    assert e.wrt == ("c",)  # the symbolic side stops at the opaque node …
    assert _same(e.gradient["c"], 2 * c.detach())
    y.backward()
    assert _same(rec["torch_gradient"]["x"], x.grad)  # … torch's gradient goes through it
    text = str(e)
    assert f"no rule for torch.{op}" in text and "not derived symbolically" in text


def test_second_derivative_of_a_recorded_gradient():
    with dx.record():
        x = torch.tensor([3.], requires_grad=True)
        y = x ** 2
        (g,) = torch.autograd.grad(y, x, create_graph=True)
    e = dx.explain(g)
    assert e.extras["higher_order"]["order"] == 2
    assert e.gradient == {"x": 6.0}


def test_backward_with_a_vector_gradient_weights_the_output():
    with dx.record():
        x = torch.tensor([1., 2., 3.], requires_grad=True)
        y = x * x
    from diffexplain.core.recorded import graph_of
    from diffexplain.core.recording import find_record
    from diffexplain.pipeline import explain_recorded

    _rec, r = find_record(y)
    e = explain_recorded(graph_of([r], gradient=[[1.0, 0.5, 2.0]]))
    assert e.gradient["x"] == [2.0, 2.0, 12.0]


def test_refusals_are_input_errors():
    with pytest.raises(InputError, match=r"not computed under diffexplain\.record"):
        dx.explain(torch.ones(2, requires_grad=True) * 2)
    with dx.record():
        w = torch.tensor([1.], requires_grad=True)
        z = w.detach() * 2
    with pytest.raises(InputError):
        dx.explain(w)
    with pytest.raises(InputError):
        dx.explain(z)  # nothing in it requires grad


def test_recording_is_bounded():
    with dx.record(Limits(max_nodes=5)):
        x = torch.tensor(1.0, requires_grad=True)
        y = x
        for _ in range(10):
            y = y * 2
    with pytest.raises(LimitExceeded):
        dx.explain(y)


def test_run_help_says_it_executes_the_script(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "executes FILE.py" in capsys.readouterr().out


def test_run_missing_file_and_script_errors(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.py")]) == 2
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nx = torch.ones(2, requires_grad=True)\nx.sum().backward()\n"
                   "raise ValueError('boom')\n")
    assert main(["run", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert "bad.py line 4 raised ValueError: boom" in err and "∂/∂x_0" in out


def test_run_in_chinese(tmp_path, capsys):
    assert main(["run", str(tmp_path / ".." / tmp_path.name / "x.py"), "--lang", "zh"]) == 2
    from pathlib import Path

    notes = Path(__file__).resolve().parent.parent / "examples" / "notes" / "e1.py"
    assert main(["run", str(notes), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "链式法则" in out and "tensor([5.])" in out


def test_recording_does_not_leak_the_mode():
    with dx.record():
        pass
    from torch.overrides import _get_current_function_mode_stack

    assert not _get_current_function_mode_stack()
    assert math.isfinite(float(torch.ones(1).sum()))
    assert "diffexplain.core.recording" in sys.modules


def test_trace_accepts_a_function_that_calls_torch(tmp_path, capsys):
    src = tmp_path / "model.py"
    src.write_text("import torch\n\n\ndef f(a):\n    b = torch.mul(a, 2)\n"
                   "    while b.norm() < 1000:\n        b = b * 2\n"
                   "    c = b if b.sum() > 0 else 100 * b\n    return torch.sin(c / 1000)\n")
    assert main(["trace", f"{src}:f", "--at", "a=10", "--format", "json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["gradient"]["a"]["value"] == pytest.approx(math.cos(1.28) * 128 / 1000)
    decisions = doc["extras"]["recording"]["decisions"]
    assert [d["outcome"] for d in decisions] == [True] * 6 + [False, True]
    assert decisions[0]["source"] == "while b.norm() < 1000:"
    # c is the user's alias of b_7: the unnamed c / 1000 must not be called c
    assert "c = " not in doc["expression"] and doc["expression"].endswith("y = sin(d)")
