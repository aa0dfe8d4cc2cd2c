"""The learners' notation reader, --equations, and the teacher's tables: what the corpus does not pin."""

from __future__ import annotations

import json

import pytest

import diffexplain as dx
from diffexplain.checking.batch import grade, summary_table
from diffexplain.checking.grammar import parse
from diffexplain.checking.notation import tokenize
from diffexplain.errors import InputError, LimitExceeded

XY = {"x", "y", "w", "a", "b"}


@pytest.mark.parametrize(("text", "reading"), [
    ("2xy", "read xy as x·y"),
    ("1/2x", "read 1/2x as (1/2)·x"),
    ("e^2x", "read e^2x as e^(2x)"),
    ("sin x", "read sin x as sin(x)"),
    ("tan⁻¹(x)", "read tan⁻¹ as the inverse function atan"),
])
def test_ambiguous_readings_are_said(text, reading):
    _tree, notes = parse(text, XY)
    assert any(n.startswith(reading) for n in notes), notes


def test_a_name_of_the_expression_is_not_split():
    tree, notes = parse("xy", {"x", "y", "xy"})
    assert tree == ("name", "xy", 0) and not notes


@pytest.mark.parametrize(("step", "message"), [
    ("x.sum()", "write sum(x), not x.sum()"),
    ("(x, 2)", "a ',' outside a function's brackets"),
    ("__import__('os')", "quotes are not part of the notation"),
    ("sin", "sin needs its argument in brackets"),
    ("2*(x+1", "a bracket is not closed: ')' is missing"),
    ("x)", "this ')' has no matching '('"),
    ("3!", "factorials"),
    ("x < 2", "not a comparison"),
    (r"\foo{x}", r"the LaTeX command \foo is not part of the notation"),
    ("x^", "the exponent is missing"),
])
def test_errors_speak_to_students(step, message):
    with pytest.raises(InputError, match="step 1") as err:
        dx.check("x**2", steps=[step], at={"x": 3})
    assert message in str(err.value)
    assert "not allowed" not in str(err.value)


def test_nothing_is_evaluated_and_bombs_are_refused():
    with pytest.raises(LimitExceeded, match="exponent"):
        dx.check("x**2", steps=["10^-1000000"], at={"x": 1})
    with pytest.raises(LimitExceeded, match="nested deeper"):
        dx.check("x**2", steps=[r"\frac{" * 100 + "1" + "}{2}" * 100], at={"x": 1})
    with pytest.raises(LimitExceeded, match="primes"):
        dx.check("sin(x**2)", steps=["y" + "'" * 50], at={"x": 1})
    # a dunder or builtin name is only an unknown name
    r = dx.check("x**2", steps=["__class__ + x"], at={"x": 1})
    assert not r.ok and "'__class__'" in r.steps[0].reason


def test_full_width_and_latex_tokens():
    assert [t.kind for t in tokenize("（x＋1）")][:4] == ["LP", "NAME", "OP", "NUM"]
    assert [t.text for t in tokenize(r"\left(x\right)\cdot 2")] == ["(", "x", ")", "*", "2", ""]


def test_readings_are_in_every_format():
    r = dx.check("x**2*y", wrt="x", steps="2xy", at={"x": 1, "y": 2})
    assert r.ok and r.steps[0].notes == ("read xy as x·y",)
    assert "(notation: read xy as x·y)" in r.to_text()
    assert "read xy as x·y" in r.to_markdown()
    assert json.loads(r.to_json())["steps"][0]["readings"] == ["read xy as x·y"]


def test_arithmetic_slip_names_the_step_before():
    r = dx.check("(x+w)*(w+1)", wrt="w", steps="2w+x+1; 2*1+2+1; 4", at={"w": 1, "x": 2})
    assert r.first_error == 2 and r.mistake.code == "arithmetic"
    assert r.mistake.evidence == {"expression": "2·1 + 2 + 1", "value": "5", "wrote": "4"}


def test_product_rule_names_the_lost_path():
    r = dx.check("w*exp(w)", steps="exp(w)", at={"w": 0.5})
    assert r.mistake.code == "product-rule"
    assert r.mistake.evidence["route"] == "w → a → y" and "rule" in r.mistake.evidence


def test_undefined_at_the_point_is_wrong():
    r = dx.check("atan(x)", steps="1/(1-x^2)", at={"x": 1})
    assert not r.ok and "undefined at x = 1" in r.steps[0].reason


# --- equations ------------------------------------------------------------------------------
E10 = "ln(y/(1-y)) = z; y/(1-y) = e^z; y = e^z - y e^z; y(1 + e^z) = e^z; y = e^z/(1 + e^z)"


def test_equations_right_and_every_format():
    r = dx.check(equations=E10)
    assert r.ok and r.unknown == "y" and len(r.steps) == 5
    assert [s.method for s in r.steps] == ["given"] + ["sympy"] * 4
    assert "✓ all 5 steps are right" in r.to_text()
    assert r"\Rightarrow" in r.to_markdown() and r"\begin{enumerate}" in r.to_latex()
    d = json.loads(r.to_json())
    assert d["ok"] and d["steps"][4]["solutions"] == ["y = exp(z)/(exp(z) + 1)"]


def test_equations_first_wrong_step_named_with_its_solutions():
    r = dx.check(equations="ln(y/(1-y)) = z; y/(1-y) = e^z; y = e^z + y e^z; y(1 - e^z) = e^z")
    assert r.first_error == 2 and not r.ok
    assert "does not follow from step 2" in r.steps[2].reason
    assert "gains y = exp(z)/(1 - exp(z))" in r.steps[2].reason
    assert r.steps[3].ok  # the slip carried on correctly


def test_equations_gaining_a_root_is_wrong_and_chains_split():
    r = dx.check(equations="x = 2 ⇒ x^2 = 4", wrt="x")
    assert r.first_error == 1 and "gains x = -2" in r.steps[1].reason
    r = dx.check(equations="y = e^z/(1 + e^z) = 1/(1 + e^{-z})")
    assert r.ok and [s.relation for s in r.steps] == ["", "="]


def test_equations_sympy_is_asked_only_what_it_solves_quickly():
    r = dx.check(equations="sin(y) = y^3; y = 1")
    assert [s.ok for s in r.steps] == [None, None] and not r.ok and r.first_error is None
    assert "? " in r.to_text() and "not decided" in r.steps[0].reason
    r = dx.check(equations="y^(1/3) + y^(1/2) = z; y = z")
    assert r.steps[0].ok is None
    assert dx.check(equations="sqrt(y) = z; y = z^2").ok


def test_equations_refuse_mixing_and_bad_input(run_cli):
    with pytest.raises(InputError, match="on their own"):
        dx.check("x**2", equations="y = 1")
    with pytest.raises(InputError, match="not an equation"):
        dx.check(equations="y + 1")
    out = run_cli("check", "x**2", "--equations", "y = 1")
    assert out.returncode == 2 and "--equations is checked on its own" in out.stderr
    out = run_cli("check", "--equations", E10, "--format", "json")
    assert out.returncode == 0 and json.loads(out.stdout)["ok"]
    out = run_cli("check", "--equations", "x = 2; x^2 = 4", "--wrt", "x")
    assert out.returncode == 1 and "✗" in out.stdout


# --- the teacher's tables ---------------------------------------------------------------------
def test_batch_tables_per_student_and_exercise():
    subs = [{"id": f"{s}-{e}", "student": s, "exercise": e, "expression": expr, "point": at,
             "steps": steps}
            for s, e, expr, at, steps in [
                ("ann", "E1", "x*exp(x)", "x=0.5", "(x+1)e^x"),
                ("ann", "E2", "sin(x**2)", "x=1", "cos(x^2)"),
                ("bob", "E1", "x*exp(x)", "x=0.5", "e^x"),
                ("bob", "E2", "sin(x**2)", "x=1", "2x cos(x²)")]]
    report = grade(subs)
    d = report.to_dict()["summary"]
    students = {s["student"]: s for s in d["students"]}
    assert students["ann"]["right"] == 1 and students["ann"]["mistakes"][0]["code"] == "chain-rule"
    assert students["bob"]["mistakes"][0]["code"] == "product-rule"
    exercises = {e["exercise"]: e for e in d["exercises"]}
    assert exercises["E1"]["right"] == 1 and exercises["E2"]["wrong"] == 1
    table = summary_table(report)
    assert "per student" in table and "per exercise" in table and "ann " in table
