"""Every construct the function table can produce has a numeric rule (issue 14).

Each table entry is differentiated to order 3, alone and composed with every other
entry, and each derivative is evaluated by all three backends of
:mod:`diffexplain.methods.mpeval` at ordinary, kink and edge points: no sympy construct may
reach an evaluator without a rule (that was ``no float rule for Equality``, exit 4).
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

from diffexplain.core.functions import FUNCTIONS, OPERATORS
from diffexplain.methods import mpeval
from diffexplain.methods.exact import evaluate

X = sp.Symbol("x", real=True)
ENTRIES = sorted({f.name: f for f in {**OPERATORS, **FUNCTIONS}.values()}.items())
POINTS = (0.0, 1.0, -1.0, 0.5, 2.0)


def _apply(fn, u):
    if fn.arity == 1:
        return fn.sympy(sp, u)
    return fn.sympy(sp, u, X + sp.Rational(1, 3))


def _all_backends(expr):
    for p in POINTS:
        f = mpeval.run(expr, {X: p}, "float")
        assert isinstance(f, float)
        try:
            mpeval.run(expr, {X: Fraction(p)}, "fraction")
        except (mpeval.NotRational, TypeError, ZeroDivisionError):
            pass
        with mp.workdps(30):
            m = mpeval.run(expr, {X: mp.mpf(p)}, "mp")
        if math.isfinite(f) and mp.isfinite(m) and abs(f) < 1e300:
            assert abs(f - float(m)) <= 1e-6 * max(1.0, abs(f)), (expr, p, f, m)


@pytest.mark.parametrize(("name", "fn"), ENTRIES, ids=[n for n, _ in ENTRIES])
def test_every_entry_to_order_3_composed_with_every_other(name, fn):
    for _other_name, other in ENTRIES:
        expr = _apply(fn, _apply(other, X))
        for _order in range(3):
            expr = sp.diff(expr, X)
            _all_backends(expr)


@pytest.mark.parametrize("expr", [
    sp.sign(X), sp.Heaviside(X), sp.DiracDelta(X), sp.Piecewise((X, X > 0), (-X, True)),
    sp.Abs(X), sp.atan2(X, 1 - X), sp.Max(X, 0) * sp.Min(X, 1), X ** sp.Rational(10**30 + 1, 3),
    sp.Piecewise((sp.nan, sp.Eq(X, 0)), (1 / X, True)),
])
def test_special_constructs(expr):
    _all_backends(expr)
    assert math.isfinite(evaluate(expr, {X: 2.0}).value) or expr.has(sp.DiracDelta) or \
        expr.has(sp.Pow)


def test_huge_rational_power_is_evaluated_exactly_in_logs():
    big = X ** sp.Rational(10**6 + 1, 3)
    r = evaluate(big, {X: 2.0})
    # 2^(1000001/3) = 10^100343.43…: far beyond float64, exact to 30 digits
    assert r.range == "overflow" and r.text.startswith("2.705399002854924919876")
    assert r.text.endswith("e+100343")
