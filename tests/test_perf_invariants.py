"""What keeps diffexplain fast, asserted as facts, never as wall-clock times.

* start-up: ``--help``/``--version`` import no heavy library (read off ``python -X importtime``);
  ``--no-autograd`` never imports torch;
* big graphs: the derivation of a 10,000-node graph never imports sympy, so it builds
  no sympy object per node;
* the fast float passes (raw table forms, incremental finite differences, memoised
  tables) give the same bits as the straightforward loops they replace.
"""

from __future__ import annotations

import gc
import math
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import diffexplain as dx
from diffexplain.core.graph import op_table, point_values
from diffexplain.methods import numeric
from diffexplain.methods.numeric import EPS, Difference, step_for

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sympy", "torch", "matplotlib", "numpy", "networkx")


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)


def _imported(stderr: str) -> set[str]:
    return {line.split("|")[-1].strip() for line in stderr.splitlines() if "|" in line}


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_nothing_heavy(flag):
    r = _python("-X", "importtime", "-m", "diffexplain", flag)
    assert r.returncode == 0, r.stderr[-500:]
    mods = _imported(r.stderr)
    assert "diffexplain.cli" in mods  # the table really is the real run's
    assert not {m for m in mods if m.split(".")[0] in HEAVY}


def test_no_autograd_run_imports_neither_torch_nor_numpy():
    r = _python("-X", "importtime", "-m", "diffexplain", "explain", "(x+w)*(w+1)", "--at",
                "w=1,x=2", "--no-autograd")
    assert r.returncode == 0, r.stderr[-500:]
    mods = {m.split(".")[0] for m in _imported(r.stderr)}
    assert "sympy" in mods  # a small graph: closed forms come from sympy
    assert "torch" not in mods and "numpy" not in mods and "matplotlib" not in mods


def _chain(d: int) -> str:
    lines, prev = [], "x"
    for k in range(1, d + 1):
        lines.append(f"e{k} = " + (f"sin({prev} + w)" if k % 2 else f"{prev}*w + 1"))
        prev = f"e{k}"
    return "; ".join(lines)


def test_big_graph_derivation_never_imports_sympy():
    # 10,003 nodes, explained with the adjoint table and finite differences, in a fresh
    # interpreter: had any step built a sympy object, sympy would be in sys.modules
    code = (f"import sys\nimport diffexplain as dx\ntext = {_chain(5000)!r}\n"
            "e = dx.explain(text, at={'w': 0.5, 'x': 0.3}, autograd=False)\n"
            "assert len(e.nodes) > 10_000, len(e.nodes)\n"
            "assert e.derivations['w'].method == 'reverse accumulation'\n"
            "assert e.verdict.agree\n"
            "print(sorted(m for m in ('sympy', 'torch', 'numpy') if m in sys.modules))\n")
    r = _python("-c", code)
    assert r.returncode == 0, r.stderr[-1000:]
    assert r.stdout.strip() == "[]"


# --- the fast float passes against the plain loops ---------------------------------------
EXPRS = [
    "(x+w)*(w+1)",
    "sin(w*2 + x)*exp(-y*2/1000) + sin(w*3 + x)*exp(-y*3/1000)",
    "log(x - 5) + sqrt(-x) + 1/(x - x) + exp(1000*x)",
    "x**0.5 + (x - 10)**1.5 + 0**(x - 7) + relu(x - 2) + abs(w)",
    "a = x*w; b = a*a; c = b/(w - 1); y = tanh(c) + sigmoid(-c) + softplus(a) + atan(b)",
    "x*x*x + cosh(w)*sinh(x) + tan(x)**2",
]
POINT = {"x": 2.0, "w": 1.0, "y": 0.7}


def _bits(v: float) -> bytes:
    return struct.pack("d", v)


def _ref_forward(graph, point, dtype="float64"):
    vals = point_values(graph, point)
    r32 = dtype == "float32"
    if r32:
        vals = [numeric._round32(v) for v in vals]
    for n in graph.nodes:
        if n.is_leaf:
            continue
        v = op_table(n.op).math(math, *(vals[i] for i in n.inputs))
        vals[n.id] = numeric._round32(v) if r32 else v
    return vals


def _ref_reverse(graph, values, seeds):
    adj = [0.0] * len(graph.nodes)
    for out, w in seeds.items():
        adj[out] += w
    for n in reversed(graph.nodes):
        a = adj[n.id]
        if n.is_leaf or a == 0.0:
            continue
        fn = op_table(n.op)
        args = [values[i] for i in n.inputs]
        for k, i in enumerate(n.inputs):
            if graph.nodes[i].op != "const":
                adj[i] += a * fn.dmath[k](math, *args)
    return adj


def _ref_central(graph, point, var, seeds, dtype):
    def f(v):
        p = dict(point)
        p[var] = v
        vals = _ref_forward(graph, p, dtype)
        return math.fsum(w * vals[o] for o, w in seeds.items())

    x = float(point[var])
    h = step_for(x, dtype)
    d1 = (f(x + h) - f(x - h)) / (2 * h)
    d2 = (f(x + 2 * h) - f(x - 2 * h)) / (4 * h)
    err = abs(d1 - d2) / 3.0 + EPS[dtype] * max(abs(f(x)), 1.0) / h
    return Difference(d1, h, err if math.isfinite(err) else math.inf)


@pytest.mark.parametrize("text", EXPRS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fast_passes_give_the_same_bits(text, dtype):
    g = dx.parse(text)
    point = {v: POINT[v] for v in g.variables}
    vals = numeric.forward(g, point, dtype)
    assert list(map(_bits, vals)) == list(map(_bits, _ref_forward(g, point, dtype)))
    seeds = {g.outputs[0]: 1.0}
    assert list(map(_bits, numeric.reverse(g, vals, seeds))) == list(
        map(_bits, _ref_reverse(g, vals, seeds)))
    for v in g.variables:
        got = numeric.central_difference(g, point, v, seeds, dtype)
        given = numeric.central_difference(g, point, v, seeds, dtype, base=vals)
        want = _ref_central(g, point, v, seeds, dtype)
        for d in (got, given):
            assert (_bits(d.value), _bits(d.step), _bits(d.error)) == (
                _bits(want.value), _bits(want.step), _bits(want.error))


def test_domain_errors_still_give_nan_and_inf():
    g = dx.parse("a = log(x - 5); b = 1/(x - x); c = exp(1000*x); y = sqrt(-x)")
    vals = numeric.forward(g, {"x": 2.0})
    assert math.isnan(vals[g["a"].id]) and vals[g["b"].id] == math.inf
    assert vals[g["c"].id] == math.inf and math.isnan(vals[g["y"].id])


def test_users_stay_fresh_lists_while_memoised():
    g = dx.parse("(x+w)*(w+1)")
    first = g.users()
    first[g["w"].id].append(999)
    assert 999 not in g.users()[g["w"].id]
    assert g.users() == [list(u) for u in g._users()]


def test_explain_restores_the_garbage_collector():
    assert gc.isenabled()
    dx.explain("x*x", at={"x": 3}, autograd=False, numeric_check=False)
    assert gc.isenabled()
    gc.disable()
    try:
        dx.explain("x*x", at={"x": 3}, autograd=False, numeric_check=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(dx.InputError):
        dx.explain("x*", at={"x": 3})
    assert gc.isenabled()
