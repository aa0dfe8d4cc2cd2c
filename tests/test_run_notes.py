"""The notes' own PyTorch scripts (examples/notes/) run through ``diffexplain run``.

Each test runs one script as the notes write it and checks the worked example's numbers
(../shared/worked-examples.md) in the explanation of each backward/grad call, the
learner's names in the derivation, and that the script's own prints still appear.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from diffexplain.cli import main
from diffexplain.runs import CallEvent, Printed, run_script

NOTES = Path(__file__).resolve().parent.parent / "examples" / "notes"


def _run(name: str):
    run = run_script(str(NOTES / name), capture=True)
    calls = [e for e in run.events if isinstance(e, CallEvent)]
    printed = "".join(e.text for e in run.events if isinstance(e, Printed))
    return run, calls, printed


def _lines(e, var):
    return [line.text for line in e.derivations[var].lines]


def test_e1_cli_text_output(capsys):
    assert main(["run", str(NOTES / "e1.py"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "call 1 (backward) at e1.py:11: y.backward(retain_graph=True)" in out
    assert "∂y/∂w = ∂y/∂a·∂a/∂w + ∂y/∂b·∂b/∂w" in out
    for step in ("= b·1 + a·1", "= b + a", "= 2w + x + 1", "= 2·1 + 2 + 1", "= 5"):
        assert step in out
    assert "a       torch.add   AddBackward0  7: a = torch.add(w, x)" in out
    assert "w.grad: None → 5" in out and "x.grad: None → 2" in out
    # the script's own prints come after the explanation, unchanged
    assert out.index("What torch did") < out.index("tensor([5.])") < out.index("tensor([2.])")
    assert "is_leaf: True True False False False" in out


def test_e1_names_and_numbers():
    run, calls, printed = _run("e1.py")
    assert run.error is None and len(calls) == 1
    e = calls[0].explanation
    assert e.gradient == {"w": 5.0, "x": 2.0}
    assert _lines(e, "w")[:4] == ["∂y/∂a·∂a/∂w + ∂y/∂b·∂b/∂w", "b·1 + a·1", "b + a",
                                  "(w + 1) + (w + x)"]
    assert _lines(e, "x")[-1] == "2"
    assert {n.id: n.grad_fn for n in e.nodes} == {
        "w": None, "x": None, "a": "AddBackward0", "1": None, "b": "AddBackward0",
        "y": "MulBackward0"}
    assert calls[0].after == {"w": 5.0, "x": 2.0}
    assert "tensor([5.])" in printed


def test_e2_accumulation_retain_graph_and_the_freed_graph():
    run, calls, printed = _run("e2.py")
    assert run.error is None
    after = [c.after.get("w") for c in calls]
    assert after[:3] == [5.0, 10.0, 15.0]
    assert [c.freed for c in calls[:3]] == [False, False, True]
    fourth = calls[3]
    assert fourth.error.startswith("Trying to backward through the graph a second time")
    assert "freed by call 3" in fourth.why[0]
    assert after[4:8] == [5.0, 10.0, 15.0, 20.0]
    assert after[8:12] == [5.0, 5.0, 5.0, 5.0]
    assert calls[0].explanation.gradient["w"] == 5.0
    assert calls[1].same_as == 1 and calls[1].summary == {"w": 5.0, "x": 2.0}
    assert printed.split("\n")[:3] == ["tensor([5.])", "tensor([10.])", "tensor([15.])"]


def test_e3_weights_of_several_outputs():
    run, calls, printed = _run("e3.py")
    assert run.error is None
    first, second = calls
    assert first.explanation.gradient == {"w": 7.0, "x": 3.0}
    assert second.explanation.gradient == {"w": 9.0, "x": 4.0}
    assert second.options["gradient"] == [1.0, 2.0]
    assert _lines(second.explanation, "w")[1] == "1·5 + 2·2"
    assert second.explanation.outputs == ("y0", "y1")
    assert second.after == {"w": 9.0, "x": 4.0}
    assert "tensor([6., 5.], grad_fn=<CatBackward0>)" in printed


def test_e4_second_derivative_and_grad_fns():
    run, calls, printed = _run("e4.py")
    assert run.error is None
    first, second, third = calls
    assert first.returned == {"x": {"value": 6.0, "grad_fn": "MulBackward0"}}
    ho = second.explanation.extras["higher_order"]
    assert ho["order"] == 2
    assert second.returned == {"x": {"value": 2.0, "grad_fn": None}}
    assert third.returned["x"]["grad_fn"] == "AddBackward0"
    assert first.explanation.gradient == {"x": 6.0}
    assert "(tensor([2.]),)" in printed


def test_e5_the_leaf_rule_with_torchs_own_message(capsys):
    run, calls, _printed = _run("e5.py")
    assert "raised RuntimeError: a leaf Variable that requires grad is being used in an " \
           "in-place operation." in run.error
    (ev,) = calls
    assert ev.kind == "inplace" and ev.line == 11
    assert "w is a leaf that requires grad" in ev.why[0]
    assert any("No recorded node saved w" in w for w in ev.why)
    assert main(["run", str(NOTES / "e5.py")]) == 2  # the script's error: one line, exit 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "e5.py line 11 raised RuntimeError" in err


def test_e5_no_grad_update_and_the_version_check():
    run, calls, printed = _run("e5_saved.py")
    assert run.error is None
    ok, refused = calls
    assert ok.after["w"] == 5.0 and ok.explanation.gradient["w"] == 5.0
    rec = ok.explanation.extras["recording"]
    assert rec["modified"][0]["name"] == "w" and rec["modified"][0]["source"] == "w.add_(1)"
    assert "modified by an inplace operation" in refused.error
    assert any("saved w for backward" in w and w.startswith("y (MulBackward0")
               for w in refused.why)
    assert "tensor([5.])" in printed


def test_e6_vectors_and_the_ones_vector():
    run, calls, printed = _run("e6.py")
    assert run.error is None
    grads = [c.explanation.gradient["x"] for c in calls]
    assert grads == [[0.0, 4.0, 8.0, 12.0], [1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 4.0, 6.0]]
    assert calls[0].explanation.value == 28.0
    assert calls[2].after["x"] == [0.0, 2.0, 4.0, 6.0]
    assert "tensor([True, True, True, True])" in printed


def test_e7_detach_is_a_constant():
    run, calls, printed = _run("e7.py")
    assert run.error is None
    first, second = calls
    assert first.explanation.gradient["x"] == [0.0, 1.0, 4.0, 9.0]
    assert first.explanation.extras["tensor"]["detached"] == ["u"]
    assert any(n.id == "u" and n.expr == "detach(y)" for n in first.explanation.nodes)
    assert second.explanation.gradient["x"] == [0.0, 2.0, 4.0, 6.0]
    assert "x.grad == u: tensor([True, True, True, True])" in printed


def test_e8_control_flow_path_taken():
    run, calls, printed = _run("e8.py")
    assert run.error is None
    (ev,) = calls
    e = ev.explanation
    assert e.gradient == {"a": 128.0} and e.value == 1280.0
    names = [n.id for n in e.nodes]
    assert names[:3] == ["a", "2", "b"] and "b_2" in names and names[-1] == "d"
    assert ev.after == {"a": 128.0}
    assert "tensor([True])" in printed


def test_e12_one_layer_network():
    run, calls, printed = _run("e12.py")
    assert run.error is None
    (ev,) = calls
    e = ev.explanation
    grad_fns = {n["name"]: n["grad_fn"] for n in e.extras["recording"]["nodes"]}
    assert grad_fns["z"] == "AddBackward0"
    assert grad_fns["loss"] == "BinaryCrossEntropyWithLogitsBackward0"
    z = e.node("z").value
    b_grad = e.gradient["b"]
    for zi, gi in zip(z, b_grad):
        assert gi == pytest.approx((1 / (1 + math.exp(-zi)) - 0.0) / 3, rel=1e-9)
    assert all(row == pytest.approx(b_grad, rel=1e-12) for row in e.gradient["w"])
    assert ev.after["b"] == pytest.approx(b_grad, rel=1e-5)  # torch's float32 run
    assert e.verdict.agree
    assert "True\nFalse\nFalse" in printed


def test_run_json_keeps_prints_and_calls_in_order(capsys):
    assert main(["run", str(NOTES / "e1.py"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    kinds = [e["type"] for e in doc["events"]]
    assert kinds == ["call", "print"]
    call = doc["events"][0]
    assert call["explanation"]["gradient"]["w"]["value"] == 5.0
    assert call["grad_after"] == {"w": 5.0, "x": 2.0}
    assert doc["events"][1]["text"].startswith("tensor([5.])")


def test_e11_one_sgd_step_explained_the_training_still_runs():
    run = run_script(str(NOTES / "e11.py"), capture=True, max_calls=1)
    calls = [e for e in run.events if isinstance(e, CallEvent)]
    printed = "".join(e.text for e in run.events if isinstance(e, Printed))
    assert run.error is None and len(calls) == 1 and run.skipped == 540
    e = calls[0].explanation
    assert e.verdict.agree
    assert e.gradient["weight"][0] == pytest.approx(calls[0].after["weight"][0], rel=1e-5)
    assert e.gradient["bias"] == pytest.approx(calls[0].after["bias"], rel=1e-5)
    assert printed.startswith("iteration 540:") and "accuracy 99.5%" in printed
