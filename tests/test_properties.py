"""Property: for generated expressions the three methods agree at random points.

Expressions are built to stay inside their domains (log and sqrt of positive
forms, quotients by positive forms), with shared subexpressions via programs.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import diffexplain as dx

LEAF = st.sampled_from(["x", "w", "z", "0.5", "2", "3"])


def _unary(u: str, kind: str) -> str:
    return {
        "sin": f"sin({u})", "cos": f"cos({u})", "tanh": f"tanh({u})", "exp": f"exp({u}/4)",
        "sigmoid": f"sigmoid({u})", "atan": f"atan({u})", "softplus": f"softplus({u})",
        "log": f"log(1 + ({u})**2)", "sqrt": f"sqrt(2 + sin({u}))", "sq": f"({u})**2",
        "cube": f"({u})**3", "neg": f"-({u})",
    }[kind]


def _binary(a: str, b: str, kind: str) -> str:
    return {"+": f"({a}) + ({b})", "-": f"({a}) - ({b})", "*": f"({a})*({b})",
            "/": f"({a})/(2 + cos({b}))", "^": f"(1 + ({a})**2)**(sin({b}))"}[kind]


EXPR = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["sin", "cos", "tanh", "exp", "sigmoid", "atan",
                                          "softplus", "log", "sqrt", "sq", "cube", "neg"]))
        .map(lambda t: _unary(*t)),
        st.tuples(inner, inner, st.sampled_from(["+", "-", "*", "/", "^"]))
        .map(lambda t: _binary(*t))),
    max_leaves=7)


@st.composite
def programs(draw):
    """Either one expression or 'a = …; y = f(a, …)' so intermediates are shared."""
    body = draw(EXPR)
    if draw(st.booleans()):
        outer = draw(EXPR).replace("z", "a")
        return f"a = {body}; y = ({outer}) * a + sin(a)"
    return body


POINT = st.fixed_dictionaries({v: st.floats(-1.5, 1.5, allow_nan=False) for v in "xwz"})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), POINT)
def test_three_methods_agree(text, point):
    g = dx.parse(text)
    at = {v: point[v] for v in g.variables}
    assume(at)  # constant expressions have no gradient to compare
    e = dx.explain(g, at=at)
    assume(math.isfinite(e.value) and abs(e.value) < 1e6)
    for v, c in e.verdict.comparisons.items():
        assert math.isfinite(c.symbolic), (text, at, v)
        assert c.autograd is not None and abs(c.autograd - c.symbolic) <= 1e-9 * max(1, abs(c.symbolic))
        assert c.agree, (text, at, v, c)
