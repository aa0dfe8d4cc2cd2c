"""Hypothesis strategies that write text from diffexplain's grammar, and the one check.

Unlike ``test_properties`` (which stays inside every domain so the methods must agree),
these strategies write anything the grammar admits: logs of negatives, quotients by
zero, huge and tiny literals, implicit products, printed notation (``·``, ``−``, ``²``),
comments, programs with named intermediates, and points from 0 to ±1e300 (and, with
``--allow-nonfinite``, ±inf and nan). :func:`check_one` runs the whole pipeline
(symbolic, torch autograd, finite differences, every renderer) and allows only a result
or a documented error (exit code 2 or 3). Used by ``tests/test_fuzz_pipeline.py`` (a
fixed-seed run) and ``benchmarks/fuzz_long.py`` (the long run).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hypothesis import strategies as st

VARIABLES = ("x", "w", "z")
UNARY = ("abs", "atan", "cos", "cosh", "exp", "log", "relu", "sigmoid", "sin", "sinh",
         "softplus", "sqrt", "tan", "tanh", "ln")
NUMBERS = st.one_of(
    st.integers(0, 12).map(str),
    st.sampled_from(["0", "1", "2", "0.5", ".5", "1.5", "1e-3", "2.5e2", "1e-300", "1e300",
                     "3.141592653589793", "1e-8", "100"]),
    st.sampled_from(["pi", "e"]))
LEAF = st.one_of(st.sampled_from(VARIABLES), NUMBERS)


def _node(inner: Any) -> Any:
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", " + ", "·", "−", "×"]), inner)
        .map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        st.tuples(inner, st.sampled_from(["2", "3", "-1", "0.5", "-2", "0", "10"]))
        .map(lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"pow({t[0]}, {t[1]})"),
        st.tuples(inner, st.sampled_from(["²", "³"])).map(lambda t: f"({t[0]}){t[1]}"),
        inner.map(lambda a: f"-({a})"),
        st.tuples(st.sampled_from(["2", "3"]), st.sampled_from(VARIABLES))
        .map(lambda t: f"{t[0]}{t[1]}"),  # implicit product
        st.tuples(inner, inner).map(lambda t: f"({t[0]})({t[1]})"))


EXPRESSIONS = st.recursive(LEAF, _node, max_leaves=8)


@st.composite
def programs(draw: Any) -> str:
    """An expression, or a program of up to three named statements with a comment."""
    if draw(st.booleans()):
        return draw(EXPRESSIONS)
    names = ["a", "b", "c"][: draw(st.integers(1, 3))]
    lines = []
    for k, name in enumerate(names):
        body = draw(EXPRESSIONS)
        if k:
            body = f"({body})*{names[k - 1]} + {names[k - 1]}"
        lines.append(f"{name} = {body}")
    last = f"y = {names[-1]} * ({draw(EXPRESSIONS)})"
    sep = draw(st.sampled_from(["; ", "\n", "  # note\n"]))
    return sep.join([*lines, last])


FINITE = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 1e-8, 1e300, -1e300]),
                   st.floats(-10, 10, allow_nan=False))
NONFINITE = st.sampled_from([float("inf"), float("-inf"), float("nan")])


@st.composite
def points(draw: Any) -> tuple[dict[str, float], bool]:
    """A value for every variable the strategies use, and whether non-finite ones are allowed."""
    nonfinite = draw(st.integers(0, 9)) == 0
    values = st.one_of(FINITE, NONFINITE) if nonfinite else FINITE
    return {v: draw(values) for v in VARIABLES}, nonfinite


def check_one(text: str, point: dict[str, float], allow_nonfinite: bool) -> Counter[str]:
    """The whole pipeline on one input: a result, or a documented error (exit code 2 or 3).

    Returns what was reached (``symbolic``, ``autograd``, ``numeric`` or the error's
    exit code), so a run can show the fuzzing reached all three methods.
    """
    import diffexplain as dx
    from diffexplain.errors import EXIT_INPUT, EXIT_LIMIT, DiffexplainError
    from diffexplain.limits import Limits

    reached: Counter[str] = Counter()
    try:
        at = {v: point[v] for v in dx.parse(text).variables}
        e = dx.explain(text, at, allow_nonfinite=allow_nonfinite,
                       limits=Limits(symbolic_seconds=10.0))
    except DiffexplainError as err:
        if err.exit_code not in (EXIT_INPUT, EXIT_LIMIT):
            raise AssertionError(f"exit code {err.exit_code} on {text!r} at {point}: {err}") from err
        reached[f"exit {err.exit_code}"] += 1
        return reached
    reached["explained"] += 1
    reached["symbolic"] += bool(e.derivations)
    reached["autograd"] += e.autograd is not None
    reached["numeric"] += bool(e.numeric_steps)
    e.to_text()
    e.to_markdown()
    e.to_latex()
    json.loads(e.to_json())  # strict JSON: no NaN/Infinity literals
    return reached


def random_program(rng: Any, leaves: int = 6) -> str:
    """The same grammar drawn with :mod:`random` (for the soak: fast, no hypothesis engine)."""

    def expr(budget: int) -> str:
        if budget <= 1 or rng.random() < 0.25:
            return rng.choice([*VARIABLES, "2", "0.5", "3", "pi", "1e-3"])
        kind = rng.randrange(5)
        if kind == 0:
            return f"{rng.choice(UNARY)}({expr(budget - 1)})"
        if kind == 1:
            return f"({expr(budget // 2)}){rng.choice('+-*/')}({expr(budget - budget // 2)})"
        if kind == 2:
            return f"({expr(budget - 1)})**{rng.choice(['2', '3', '-1', '0.5'])}"
        if kind == 3:
            return f"-({expr(budget - 1)})"
        return f"a = {expr(budget // 2)}; y = a*({expr(budget - budget // 2)}) + a"

    text = expr(leaves)
    while text.count("a = ") > 1 or ("a = " in text and not text.startswith("a = ")):
        text = expr(leaves)  # a program only at the top
    return text
