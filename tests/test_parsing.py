"""The parser: grammar, precedence, sharing, names, errors with carets, depth."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffexplain import InputError, LimitExceeded, Limits, ParseError, parse
from diffexplain.core.parsing import tokenize
from diffexplain.core.points import parse_point
from diffexplain.methods.numeric import forward


def value(text: str, **point: float) -> float:
    g = parse(text)
    return forward(g, point)[g.outputs[0]]


@pytest.mark.parametrize(("text", "want"), [
    ("1 + 2 * 3", 7.0), ("(1 + 2) * 3", 9.0), ("2**3**2", 512.0), ("-2**2", -4.0),
    ("2**-1", 0.5), ("10 - 4 - 3", 3.0), ("12 / 3 / 2", 2.0), ("2^3", 8.0),
    ("-x + 1", -2.0), ("2x", 6.0), ("2(x + 1)", 8.0), ("(x+1)(x-1)", 8.0),
    ("3·x − 1", 8.0), ("x²", 9.0), ("pow(x, 2)", 9.0), ("ln(e)", 1.0), ("+x", 3.0),
    ("1e2 * x", 300.0), (".5x", 1.5),
])
def test_precedence_and_spellings(text, want):
    assert value(text, x=3.0) == pytest.approx(want)


def test_shared_subexpressions_are_one_node():
    g = parse("sin(x + w) * (x + w) + (x + w)")
    adds = [n for n in g.nodes if n.op == "add" and {g.nodes[i].name for i in n.inputs} == {"x", "w"}]
    assert len(adds) == 1


def test_generated_names_skip_user_names():
    g = parse("a = x*x; y = a + sin(a)")
    assert [n.name for n in g.nodes if not n.is_leaf] == ["a", "b", "y"]


def test_program_errors_point_at_the_name():
    with pytest.raises(ParseError, match="already defined") as err:
        parse("a = x\na = 2*x")
    assert (err.value.line, err.value.column) == (2, 1)
    with pytest.raises(ParseError, match="function name"):
        parse("sin = x")
    with pytest.raises(ParseError, match="bare expression"):
        parse("x + 1; y = 2")


@pytest.mark.parametrize(("text", "message", "column"), [
    ("x.real", "attribute access", 2),
    ("'a'", "strings", 1),
    ("x[0]", "subscripts", 2),
    ("lambda: 1", "keyword 'lambda'", 1),
    ("(y := 2)", "walrus", 4),
    ("sin(x=1)", "keyword arguments", 6),
    ("foo(x)", "unknown function 'foo'", 1),
    ("*x", "starred", 1),
    ("x +", "end of the input", 4),
    ("x y", "expected an operator", 3),
    ("sin(x, 1)", "takes 1 argument", 1),
    ("(x, 1)", "tuples", 3),
    ("x == 1", "comparisons", 3),
    ("x)", "unmatched", 2),
    ("ｘ + 1", "looks like 'x'", 1),
])
def test_errors_name_the_construct_and_its_column(text, message, column):
    with pytest.raises(ParseError, match=message) as err:
        parse(text)
    assert err.value.column == column
    lines = err.value.excerpt().splitlines()
    assert lines[1].index("^") - lines[0].index(text[0]) == column - 1


def test_deep_nesting_is_legal_to_the_limit_and_refused_past_it():
    depth = 1000
    g = parse("(" * depth + "x" + ")" * depth)
    assert len(g.nodes) == 1
    chain = "x"
    for _ in range(depth):
        chain = f"sin({chain})"
    g = parse(chain)
    assert len(g.nodes) == depth + 1
    with pytest.raises(LimitExceeded, match="nesting deeper"):
        parse("(" * 10_000 + "x" + ")" * 10_000)
    g = parse("(" * 3000 + "x" + ")" * 3000, Limits(max_depth=5000))
    assert len(g.nodes) == 1


def test_exponent_and_literal_limits():
    with pytest.raises(LimitExceeded, match="exponent"):
        parse("9**9**9**9")
    with pytest.raises(LimitExceeded, match="exponent"):
        parse("x**(10**100)")
    with pytest.raises(LimitExceeded, match="digits"):
        parse("1" * 100 + "*x")


def test_parse_point_forms():
    assert parse_point("w=1,x=2") == {"w": 1.0, "x": 2.0}
    assert parse_point("w=1 x=-2.5e1") == {"w": 1.0, "x": -25.0}
    assert parse_point("x=[0, 1, 2]") == {"x": [0.0, 1.0, 2.0]}
    for bad, msg in (("w=abc", "not a number"), ("w=1,w=2", "twice"), ("w", "expected '='"),
                     ("w=nan", "not allowed"), ("=1", "name=value"), ("", "empty")):
        with pytest.raises(InputError, match=msg):
            parse_point(bad)
    assert parse_point("w=inf", allow_nonfinite=True)["w"] == float("inf")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text_raises_only_documented_errors(text):
    try:
        parse(text)
    except (InputError, LimitExceeded):
        pass


_ATOM = st.sampled_from(["x", "w", "1", "2.5", "pi"])
_EXPR = st.recursive(_ATOM, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    st.tuples(st.sampled_from(["sin", "cos", "exp", "tanh"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
    inner.map(lambda s: f"-{s}")), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(_EXPR)
def test_grammar_shaped_text_parses_to_a_valid_graph(text):
    try:
        g = parse(text)
    except InputError as err:  # 1/(1 - 1): a constant part undefined at every point
        assert "has no finite value" in str(err), err
        return
    g.validate()
    assert tokenize(text)[-1].kind == "EOF"
