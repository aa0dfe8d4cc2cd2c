"""E8: gradients through Python control flow, traced on concrete inputs and run on real torch."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.core.tracing import Traced, Tracer, load_function
from diffexplain.errors import InputError

#: E8 as shipped: the example the README and the docs trace
E8_FILE = Path(__file__).resolve().parent.parent / "examples" / "control.py"


@pytest.fixture(scope="module")
def e8_file():
    return E8_FILE


@pytest.fixture(scope="module")
def e8(e8_file):
    return dx.trace(load_function(f"{e8_file}:f"), {"a": 10})


def test_e8_value_and_gradient(e8):
    assert e8.value == 1280.0
    assert e8.gradient == {"a": 128.0}
    assert e8.autograd.gradient["a"] == 128.0
    assert e8.verdict.agree
    # torch ran the user's function itself on a tensor, through the same if/while
    tf = e8.extras["trace"]["torch_function"]
    assert tf["value"] == 1280.0 and tf["grad"] == {"a": 128.0} and tf["grad_fn"] == "MulBackward0"
    # the graph is the path taken: a·2 then six doublings, nothing else
    assert [n.op for n in e8.nodes if n.kind == "operation"] == ["mul"] * 7


def test_e8_explanation_names_the_branch_and_the_loop_turns(e8):
    decisions = e8.extras["trace"]["decisions"]
    source = E8_FILE.read_text(encoding="utf-8").splitlines()
    while_line = 1 + next(k for k, ln in enumerate(source) if "while b.norm()" in ln)
    if_line = 1 + next(k for k, ln in enumerate(source) if "if b.sum() > 0" in ln)
    loop = [d for d in decisions if d["line"] == while_line]
    assert [d["outcome"] for d in loop] == [True] * 6 + [False]
    assert loop[0]["lhs"] == 20.0 and loop[-1]["lhs"] == 1280.0
    branch = [d for d in decisions if d["line"] == if_line]
    assert branch == [{"line": if_line, "source": "c = b if b.sum() > 0 else 100 * b", "lhs": 1280.0,
                       "op": ">", "rhs": 0, "outcome": True}]
    text = e8.to_text()
    assert "the loop body ran 6 times" in text
    assert "1280 > 0 is True, so the true branch was taken" in text


def test_e8_other_branch(e8_file):
    e = dx.trace(load_function(f"{e8_file}:f"), "a=-10")
    assert e.value == -128000.0
    assert e.gradient == {"a": 12800.0}
    assert e.extras["trace"]["torch_function"]["grad"] == {"a": 12800.0}
    assert "is False, so the false branch was taken" in e.to_text()


def test_math_namespace_abs_and_vectors():
    def g(x, w):
        s = dx.fn.sin(x) * w
        if abs(w) > 1:
            s = s * 3
        return s.sum()

    e = dx.trace(g, {"x": [0.5, 1.0], "w": 2})
    want_x = [3 * 2 * math.cos(v) for v in (0.5, 1.0)]
    assert e.gradient["x"] == pytest.approx(want_x, rel=1e-12)
    assert e.gradient["w"] == pytest.approx(3 * (math.sin(0.5) + math.sin(1.0)), rel=1e-12)
    assert e.extras["trace"]["torch_function"]["grad"]["x"] == pytest.approx(want_x, rel=1e-12)
    assert e.verdict.agree
    # dx.fn works on plain numbers too
    assert dx.fn.sin(0.0) == 0.0


def test_traced_value_carries_number_and_node():
    t = Tracer()
    a = t.input("a", 3)
    b = a * a + 1
    assert isinstance(b, Traced) and b.value == 10.0
    assert t.b.nodes[b.node].op == "add"
    with pytest.raises(InputError, match="ambiguous"):
        bool(t.input("v", [1, 2]) > 0)


def test_errors():
    with pytest.raises(InputError, match="does not depend on its inputs"):
        dx.trace(lambda a: 3, {"a": 1})
    with pytest.raises(InputError, match="no value for 'b'"):
        dx.trace(lambda a, b: a * b, {"a": 1})
    with pytest.raises(InputError, match="ZeroDivisionError"):
        dx.trace(lambda a: 1 / 0 + a, {"a": 1})


def test_cli_trace(e8_file, capsys):
    assert main(["trace", f"{e8_file}:f", "--at", "a=10", "--check"]) == 0
    out = capsys.readouterr().out
    assert "the loop body ran 6 times" in out and "a.grad = 128" in out
    assert main(["trace", f"{e8_file}:f", "--at", "a=10", "-f", "json", "--no-numeric"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["gradient"]["a"]["value"] == 128.0 and d["value"] == 1280.0
    assert main(["trace", f"{e8_file}:nope", "--at", "a=10"]) == 2
    assert "defines no function 'nope'" in capsys.readouterr().err
