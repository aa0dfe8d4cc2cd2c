"""The learner corpus (tests/check_corpus.py) and the lines explain prints, graded by check."""

from __future__ import annotations

import math

import pytest
from check_corpus import CASES, HOMEWORK, score, steps_of

import diffexplain as dx
from diffexplain.checking.homework import check_homework
from diffexplain.checking.mistakes import CODES


def test_corpus_size_and_coverage():
    counts = score(lambda *a, **k: _Never())
    assert counts["steps"] >= 150 and counts["right"] >= 100 and counts["wrong"] >= 50
    named = {c[4] for c in CASES if c[4]}
    assert named == set(CODES), named  # every mistake a teacher names is in it


class _Never:
    def __init__(self) -> None:
        raise ValueError("only counting")


@pytest.mark.parametrize(("expr", "at", "wrt", "steps", "code", "wrong"), CASES,
                         ids=[f"{c[0]}|{c[3][:40]}" for c in CASES])
def test_corpus_case(expr, at, wrt, steps, code, wrong):
    r = dx.check(expr, wrt=wrt, steps=steps, at=at)
    n_right = len(steps_of(steps)) if wrong is None else wrong - 1
    refused = [(s.text, s.reason) for s in r.steps[:n_right] if not s.ok]
    assert not refused, refused
    if wrong is None:
        assert r.ok
        return
    assert r.first_error == wrong - 1, [(s.text, s.ok, s.reason) for s in r.steps]
    assert r.mistake is not None and r.mistake.code == code, r.mistake


def test_corpus_score_is_perfect():
    counts = score(dx.check)
    assert counts["right_accepted"] == counts["right"]
    assert counts["wrong_caught"] == counts["wrong_named"] == counts["wrong"]
    assert counts["refused"] == 0


@pytest.mark.parametrize("k", range(len(HOMEWORK)))
def test_homework_files_english_and_chinese(k):
    text, expected = HOMEWORK[k]
    items = check_homework(text, {}, None)
    got = [(None if i["result"].first_error is None else i["result"].first_error + 1,
            i["result"].mistake.code if i["result"].mistake else None) for i in items]
    assert got == expected


# --- every line explain prints is accepted (text, ASCII and LaTeX) ---------------------------
PRINTED = [
    ("(x+w)*(w+1)", {"w": 1, "x": 2}), ("sigmoid(x)", {"x": 0.3}),
    ("relu(x)*abs(x)", {"x": 0.5}), ("x**1.26", {"x": 1.26}), ("tan(x)", {"x": 0.4}),
    ("atan(x)", {"x": 1}), ("sqrt(x)*log(x)", {"x": 2}), ("softplus(x)", {"x": 1}),
    ("exp(-x)/x", {"x": 2}), ("sin(x**2)", {"x": 0.5}), ("x*exp(x)", {"x": 0.5}),
    ("tanh(2*x) + cosh(x) - sinh(x)", {"x": 0.3}), ("(x+1)**3/(x-2)", {"x": 0.5}),
    ("a = x*w; b = sin(a); y = b*b + a", {"x": 0.5, "w": 1.5}),
    ("pow(x, 3) + 2**x", {"x": 1.5}), ("1e-12*x**2", {"x": 3}), ("x**2 - 3*x + 1", {"x": -2}),
]


@pytest.mark.parametrize(("expr", "at"), PRINTED, ids=[p[0] for p in PRINTED])
@pytest.mark.parametrize("form", ["text", "ascii", "latex"])
def test_every_printed_line_is_accepted(expr, at, form):
    e = dx.explain(expr, at=at, autograd=False, numeric_check=False)
    for v, d in e.derivations.items():
        if not math.isfinite(d.value):
            continue
        lines = [getattr(ln, form) for ln in d.lines]
        r = dx.check(expr, wrt=v, steps=lines, at=at)
        assert r.ok, (v, [(s.expr, s.reason) for s in r.steps if not s.ok])
        # and the first line with its left-hand side, as it is printed
        lhs = d.lhs if form != "latex" else d.lhs_latex
        assert dx.check(expr, wrt=v, steps=[f"{lhs} = {lines[0]}"], at=at).ok
