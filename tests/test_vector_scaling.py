"""Finite differences and the verdict on vectors cost the nodes a component affects, not n².

Timings live in ``benchmarks/vector_scaling.py``; these tests count work instead (node
evaluations, nodes looked at), which does not depend on the machine.
"""

from __future__ import annotations

import math
import random
import struct

import pytest

import diffexplain as dx
from diffexplain import compare as compare_mod
from diffexplain.cli import main
from diffexplain.core.parsing import parse
from diffexplain.core.tensor_rules import balanced_sum
from diffexplain.methods import evidence, numeric
from diffexplain.methods.components import scalarize
from diffexplain.methods.componentsize import component_floor
from diffexplain.methods.numeric import Difference, step_for


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _component(text: str, values: list[float]):
    g = parse(text)
    sc = scalarize(g, {"x": ((len(values),), values)}, dx.Limits(max_nodes=10**7))
    return sc.graph, sc.point, sc.names(g["x"].id), {o: 1.0 for o in sc.graph.outputs}


def _full_pass_difference(graph, point, var, seeds):
    """The reference: a whole forward pass per probe, nothing reused."""

    def f(v: float) -> float:
        p = dict(point)
        p[var] = v
        vals = numeric.forward(graph, p)
        return math.fsum(w * vals[o] for o, w in seeds.items())

    x = float(point[var])
    h = step_for(x)
    d1 = (f(x + h) - f(x - h)) / (2 * h)
    d2 = (f(x + 2 * h) - f(x - 2 * h)) / (4 * h)
    err = abs(d1 - d2) / 3.0 + numeric.EPS["float64"] * max(abs(f(x)), 1.0) / h
    return Difference(d1, h, err)


@pytest.mark.parametrize("text", ["dot(x,x)", "sum(sin(x)*x)", "x*x", "2*dot(x,x) + sum(exp(x))",
                                  "bce_with_logits(x, x*x)"])
def test_cone_differences_are_the_full_pass_bit_for_bit(text):
    rng = random.Random(7)
    values = [rng.uniform(-2, 2) for _ in range(37)]
    g, point, comps, seeds = _component(text, values)
    got = numeric.central_differences(g, point, comps, seeds)
    for v in comps:
        want = _full_pass_difference(g, point, v, seeds)
        d = got[v]
        assert (_bits(d.value), _bits(d.step), _bits(d.error)) == (
            _bits(want.value), _bits(want.step), _bits(want.error)), v


def test_e6_finite_differences_are_unchanged():
    e = dx.explain("2*dot(x,x)", at={"x": [0, 1, 2, 3]})
    fd = [e.verdict.comparisons[f"x_{k}"].numeric for k in range(4)]
    assert fd == pytest.approx([0.0, 4.0, 8.0, 12.0], abs=1e-9)
    assert e.gradient == {"x": [0.0, 4.0, 8.0, 12.0]} and e.verdict.state == "agree"


def test_e7_and_e12_verdicts_agree():
    e7 = dx.explain("y = x*x; u = detach(y); z = u*x", at={"x": [0, 1, 2, 3]})
    assert e7.gradient == {"x": [0.0, 1.0, 4.0, 9.0]} and e7.verdict.state == "agree"
    w = [[1.54, -0.29, -2.18], [0.57, -1.08, -1.4], [0.4, 0.84, -0.72], [-0.4, -0.6, 0.18],
         [1.52, 0.35, -1.08]]
    e12 = dx.explain("z = x@w + b; loss = bce_with_logits(z, y)",
                     at={"x": [1] * 5, "w": w, "b": [-0.2, 0.5, 0.1], "y": [0, 0, 0]},
                     wrt=["w", "b"], autograd=False)
    assert e12.verdict.state == "agree" and len(e12.verdict.comparisons) == 18
    assert all(c.numeric == pytest.approx(c.symbolic, rel=1e-7)
               for c in e12.verdict.comparisons.values())


def _evaluations_per_component(text: str, n: int, monkeypatch) -> float:
    g, point, comps, seeds = _component(text, [0.1 + k / n for k in range(n)])
    base = numeric.forward(g, point)
    count = [0]
    run = numeric._run

    def counting(plan, vals, r32):
        count[0] += len(plan)
        run(plan, vals, r32)

    monkeypatch.setattr(numeric, "_run", counting)
    numeric.central_differences(g, point, comps, seeds, base=base)
    monkeypatch.setattr(numeric, "_run", run)
    return count[0] / n


@pytest.mark.parametrize("text", ["dot(x,x)", "sum(sin(x)*x)", "x*x"])
def test_finite_difference_work_per_component_does_not_grow_with_n(text, monkeypatch):
    small = _evaluations_per_component(text, 10, monkeypatch)
    big = _evaluations_per_component(text, 1000, monkeypatch)
    # 4 probes, each over the component's own nodes and its path up the balanced sum tree:
    # log₂(1000) − log₂(10) ≈ 7 more additions per probe at most, never a factor of 100
    assert small > 0
    assert big <= small + 4 * (math.ceil(math.log2(1000)) - math.floor(math.log2(10)))


def test_verdict_work_per_component_does_not_grow_with_n(monkeypatch):
    def looked_at(n: int) -> float:
        g, point, comps, _seeds = _component("sum(sin(x)*x)", [0.1 + k / n for k in range(n)])
        values = numeric.forward(g, point)
        seen = [0]
        facts = evidence.node_facts

        def counting(graph, vals, cone, *a, **k):
            seen[0] += len(cone)
            return facts(graph, vals, cone, *a, **k)

        monkeypatch.setattr(evidence, "node_facts", counting)
        v = compare_mod.compare(g, values, {c: 0.0 for c in comps}, None, None)
        monkeypatch.setattr(evidence, "node_facts", facts)
        assert len(v.comparisons) == n
        return seen[0] / n

    assert looked_at(1000) <= looked_at(10) + math.ceil(math.log2(1000))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 13, 100])
def test_balanced_sum_keeps_every_term_within_log2_n(n):
    depth: dict[object, int] = {k: 0 for k in range(n)}

    def add(a, b, last):
        node = object()
        depth[node] = 1 + max(depth[a], depth[b])
        kids.setdefault(node, (a, b))
        return node

    kids: dict[object, tuple[object, object]] = {}
    root = balanced_sum(list(range(n)), add)
    levels = {}
    stack = [(root, 0)]
    while stack:
        node, d = stack.pop()
        if node in kids:
            stack += [(c, d + 1) for c in kids[node]]
        else:
            levels[node] = d
    assert sorted(levels) == list(range(n))
    assert max(levels.values()) == math.ceil(math.log2(n))
    assert max(levels.values()) - min(levels.values()) <= 1


def test_every_component_has_a_path_of_the_same_length():
    e = dx.explain("2*dot(x,x)", at={"x": [0, 1, 2, 3]}, autograd=False, numeric_check=False)
    lines = [e.derivations[f"x_{k}"].lines[0].text for k in range(4)]
    assert len({ln.count("·") for ln in lines}) == 1


def test_component_floor_is_a_lower_bound():
    rng = random.Random(3)
    for text in ["dot(x,x)", "sum(sin(x)*x)", "x*x", "dot(x,x) + sum(x*x)",
                 "y = x*x; u = detach(y); z = u*x", "sum(x) + sum(x)"]:
        n = rng.randint(2, 40)
        g = parse(text)
        sc = scalarize(g, {"x": ((n,), [rng.uniform(1, 2) for _ in range(n)])})
        assert component_floor(g, {"x": ((n,), [0.0] * n)}) <= len(sc.graph.nodes), text
    for text in ["y = x@w", "a = detach(w); y = x@a", "y = sum(x@w)"]:  # a merged side
        point = {"x": ((3,), [1.0] * 3), "w": ((3, 4), [1.0] * 12)}
        g = parse(text)
        assert component_floor(g, point) <= len(scalarize(g, point).graph.nodes), text


def test_an_oversized_vector_is_one_line_exit_3_before_the_work(capsys):
    x = "x=[" + ",".join("1" for _ in range(600)) + "]"
    assert main(["explain", "dot(x,x)", "--at", x, "--max-nodes", "1000", "--no-autograd"]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "at least 1799 nodes" in err and "--max-nodes" in err
    assert main(["explain", "dot(x,x)", "--at", x, "--max-vector", "500"]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "600 entries" in err


def test_raised_limits_admit_the_vector(capsys):
    x = "x=[" + ",".join("1" for _ in range(600)) + "]"
    assert main(["explain", "dot(x,x)", "--at", x, "--max-nodes", "2000", "--no-autograd",
                 "--check", "--format", "json"]) == 0


def test_the_benchmark_runs_and_its_differences_match_the_gradient():
    """One small cell of benchmarks/vector_scaling.py, so the script does not rot (no time
    is asserted: only that it ran and the differences matched the reverse pass)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "vector_scaling.py"
    spec = importlib.util.spec_from_file_location("vector_scaling", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    seconds, nodes, state = mod.cell("sum(sin(x)*x)", 50, "fd", 300.0)
    assert seconds is not None and nodes == 4 * 50 - 1 and state == "agree"
