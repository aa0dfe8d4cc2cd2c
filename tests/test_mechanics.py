"""E2 and E5 on real torch: accumulation, retain_graph, leaves, in-place updates, saved tensors."""

from __future__ import annotations

import json

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.errors import InputError

E1 = "(x+w)*(w+1)"
AT = {"w": 1, "x": 2}
FREED = "Trying to backward through the graph a second time (or directly access saved tensors"
LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
VERSION = "one of the variables needed for gradient computation has been modified by an " \
          "inplace operation"


def _w(e: dx.Explanation) -> list[float | None]:
    return [None if r["grad"] is None else r["grad"]["w"] for r in e.extras["backward"]["runs"]]


def test_e2_rebuilt_graph_accumulates_or_is_zeroed():
    assert _w(dx.explain(E1, at=AT, backward=4, rebuild=True)) == [5, 10, 15, 20]
    e = dx.explain(E1, at=AT, backward=4, rebuild=True, zero_grad=True)
    assert _w(e) == [5, 5, 5, 5]
    assert "zeroed after each pass" in e.extras["backward"]["summary"]


def test_e2_retain_graph_twice_then_plain_then_the_real_error():
    e = dx.explain(E1, at=AT, backward=4, retain_graph=2)
    b = e.extras["backward"]
    assert _w(e) == [5, 10, 15, None]
    assert [r["retain_graph"] for r in b["runs"]] == [True, True, False, False]
    assert [r["freed"] for r in b["runs"][:3]] == [False, False, True]  # the third frees it
    assert b["error"]["pass"] == 4
    assert b["error"]["message"].startswith(FREED)  # torch's own words, verbatim
    assert "pass 3 ran backward without retain_graph" in b["error"]["why"]
    assert "MulBackward0 of y saved" in b["error"]["why"]


def test_e2_without_retain_graph_the_second_pass_fails():
    e = dx.explain(E1, at=AT, backward=2)
    assert _w(e) == [5, None]
    assert e.extras["backward"]["error"]["message"].startswith(FREED)


def test_a_graph_that_saved_nothing_can_be_walked_twice():
    # AddBackward0 saves no tensor: torch has nothing to free, a second backward works
    e = dx.explain("x + w", at=AT, backward=2)
    assert _w(e) == [1, 2]
    assert e.extras["backward"]["error"] is None
    assert e.extras["backward"]["runs"][0]["freed"] is None


def test_e5_leaf_rule_and_no_grad_update_of_unsaved_leaf():
    (exp,) = dx.explain(E1, at=AT, inplace={"w": 1}).extras["inplace"]
    plain, no_grad = exp["steps"]
    assert plain["error"] == LEAF
    assert "fresh leaf" in plain["why"] and "it raised too" in plain["why"]
    assert no_grad["error"] is None and no_grad["result"] == {"w": 5.0, "x": 2.0}
    assert exp["saved_by"] == []  # MulBackward0 saved a and b, not w
    assert "self = a" in no_grad["why"] and "other = b" in no_grad["why"]


def test_e5_saved_leaf_trips_the_version_counter():
    (exp,) = dx.explain("w*x", at=AT, inplace="w+=1").extras["inplace"]
    plain, no_grad = exp["steps"]
    assert plain["error"] == LEAF
    assert no_grad["error"].startswith(VERSION)
    assert "is at version 1; expected version 0 instead" in no_grad["error"]
    assert exp["saved_by"] == ["MulBackward0 of y (self)"]
    assert "version from 0 to 1" in no_grad["why"]


def test_inplace_on_a_saved_intermediate():
    (exp,) = dx.explain(E1, at=AT, inplace={"a": 1}).extras["inplace"]
    (step,) = exp["steps"]
    assert not exp["leaf"]
    assert "output 0 of Add" in step["error"] and step["error"].startswith(VERSION)


def test_tensor_table_shows_leaves_grads_and_saved_tensors():
    t = dx.explain(E1, at=AT, tensors=True).extras["tensors"]
    rows = {r["node"]: r for r in t["rows"]}
    assert rows["w"]["is_leaf"] and rows["w"]["grad"] == 5.0
    assert not rows["a"]["is_leaf"] and rows["a"]["requires_grad"]
    assert rows["a"]["grad_fn"] == "AddBackward0" and rows["y"]["grad_fn"] == "MulBackward0"
    assert rows["b"]["grad_kept"] is False and rows["b"]["warned"]  # b.grad: None + warning
    assert sorted(rows["y"]["saved"]) == ["other = b", "self = a"]
    assert rows["a"]["saved_by"] == ["MulBackward0 of y (self)"]
    assert "retain_grad" in t["warning"]


@pytest.mark.parametrize("kwargs, match", [
    ({"inplace": "q+=1"}, "not a tensor of the graph"),
    ({"inplace": "w*=2"}, "NAME\\+=NUMBER"),
    ({"inplace": {"1": 1}}, "not a tensor of the graph"),
    ({"inplace": "w+=1e999"}, "must be finite"),
    ({"inplace": "w+=abc"}, "not a number"),
    ({"inplace": "+=1"}, "names no tensor"),
    ({"backward": 0}, "from 1 to 1000"),
    ({"backward": 2, "autograd": False}, "drop --no-autograd"),
])
def test_bad_mechanics_options(kwargs, match):
    with pytest.raises(InputError, match=match):
        dx.explain(E1, at=AT, **kwargs)


def test_cli_backward_and_inplace(capsys):
    assert main(["explain", E1, "--at", "w=1,x=2", "--backward", "4", "--retain-graph", "2",
                 "--inplace", "w+=1", "--tensors"]) == 0
    out = capsys.readouterr().out
    assert "Backward 4 time(s)" in out and "pass 4 raised RuntimeError: " + FREED in out
    assert "RuntimeError: " + LEAF in out
    assert "with torch.no_grad(): w.add_(1)" in out
    assert "Leaves, grad_fn and saved tensors" in out
    assert main(["explain", E1, "--at", "w=1,x=2", "--backward", "4", "--rebuild",
                 "--zero-grad", "-f", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [r["grad"]["w"] for r in d["extras"]["backward"]["runs"]] == [5, 5, 5, 5]
    assert main(["explain", E1, "--at", "w=1,x=2", "--backward", "2", "--retain-graph",
                 "-f", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "### Backward 2 time(s)" in md and "| 2 | True |" in md
