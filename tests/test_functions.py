"""The function table: every entry's float, torch and sympy forms agree, partials included."""

from __future__ import annotations

import math

import pytest
import sympy as sp
import torch

from diffexplain.core.functions import FUNCTIONS, OPERATORS
from diffexplain.methods.identity import evaluate

POINTS = {"log": [0.3, 2.0], "sqrt": [0.3, 2.0], "tan": [0.3, -1.2]}
DEFAULT = [-1.3, 0.4, 2.1]

# detach (stop-gradient) has no value-preserving float sympy form: tested below
ENTRIES = sorted((k, f) for k, f in {**OPERATORS, **FUNCTIONS}.items() if f.tensor != "detach")


@pytest.mark.parametrize(("name", "fn"), ENTRIES)
def test_forms_agree_inside_the_domain(name, fn):
    u, v = sp.Symbol("u", real=True), sp.Symbol("v", real=True)
    syms = [u, v][: fn.arity]
    expr = fn.sympy(sp, *syms)
    points = POINTS.get(name, DEFAULT)
    for p in points:
        args = [p, 1.7][: fn.arity] if name != "pow" else [abs(p) + 0.1, 1.7]
        env = dict(zip(syms, args))
        want = evaluate(expr, env)
        assert fn.math(math, *args) == pytest.approx(want, rel=1e-12, abs=1e-12)
        targs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args]
        out = fn.torch(torch, *targs)
        assert float(out.detach()) == pytest.approx(want, rel=1e-12, abs=1e-12)
        out.backward()
        for k, s in enumerate(syms):
            d = evaluate(sp.diff(expr, s), env)
            assert fn.dmath[k](math, *args) == pytest.approx(d, rel=1e-10, abs=1e-12), (name, k)
            assert float(targs[k].grad) == pytest.approx(d, rel=1e-10, abs=1e-12), (name, k)


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_kinks_are_declared_and_the_methods_differ_there(name):
    fn = FUNCTIONS[name]
    assert fn.kinks == (0.0,)
    x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    fn.torch(torch, x).backward()
    assert float(x.grad) == 0.0  # torch's subgradient at the kink
    u = sp.Symbol("u", real=True)
    sym = evaluate(sp.diff(fn.sympy(sp, u), u), {u: 0.0})
    assert sym == (0.5 if name == "relu" else 0.0)
    assert fn.dmath[0](math, 0.0) == sym


def test_partial_templates_name_every_input():
    for fn in {**OPERATORS, **FUNCTIONS}.values():
        assert len(fn.partial_text) == fn.arity == len(fn.partial_latex) == len(fn.dmath)


def test_detach_is_a_constant_for_every_form():
    fn = FUNCTIONS["detach"]
    u = sp.Symbol("u", real=True)
    assert sp.diff(fn.sympy(sp, u), u) == 0
    assert fn.sympy(sp, sp.Integer(3)) == 3
    assert fn.math(math, 1.5) == 1.5 and fn.dmath[0](math, 1.5) == 0.0
    x = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    out = fn.torch(torch, x)
    assert float(out) == 1.5 and not out.requires_grad and out.grad_fn is None
