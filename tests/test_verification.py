"""The promise "every shown = is verified" can fail: wrong identities and broken rules are refused."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

import diffexplain as dx
from diffexplain.core import functions
from diffexplain.errors import VerificationError
from diffexplain.methods import identity

x, w = sp.symbols("x w")


def test_a_true_identity_is_accepted():
    assert identity.check_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2, sp.Integer(1), {x: 0.3}) in (
        identity.SYMPY, identity.NUMERIC)
    assert identity.check_equal((x + w) * (w + 1), x * w + x + w**2 + w, {x: 2.0, w: 1.0})


@pytest.mark.parametrize("lhs, rhs", [
    (x**2, 2 * x),                      # a power-rule slip
    (sp.sin(x), sp.cos(x)),             # a wrong table derivative
    ((x + w) * (w + 1), 2 * w + x),     # a lost term
    (sp.exp(x) * x, sp.exp(x)),         # a lost product-rule term
])
def test_a_wrong_identity_raises(lhs, rhs):
    with pytest.raises(VerificationError, match="internal check failed"):
        identity.check_equal(lhs, rhs, {x: 0.7, w: 1.3}, "a planted line")


def test_every_shown_line_names_its_check():
    e = dx.explain("(x+w)*(w+1)", at={"w": 1, "x": 2}, autograd=False, numeric_check=False)
    for d in e.derivations.values():
        assert d.lines, "a derivation with no lines"
        for line in d.lines:
            assert line.check, f"line {line.text!r} was shown without a check"


def _broken(name: str, **changes: object) -> functions.Fn:
    return dataclasses.replace(functions.FUNCTIONS[name], **changes)


@pytest.mark.parametrize("expr, at, name, changes", [
    # sin′ = sin instead of cos: the float partials of a copy of the table are wrong
    ("sin(x*w)", "x=1,w=2", "sin", {"dmath": (lambda m, u: m.sin(u),)}),
    # exp′ = 2·exp
    ("exp(x)*w", "x=0.5,w=3", "exp", {"dmath": (lambda m, u: 2 * m.exp(u),)}),
])
def test_a_broken_rule_in_a_copy_of_the_table_is_refused(monkeypatch, expr, at, name, changes):
    monkeypatch.setitem(functions.FUNCTIONS, name, _broken(name, **changes))
    with pytest.raises(VerificationError, match="internal check failed"):
        dx.explain(expr, at=at, autograd=False, numeric_check=False)


def test_the_cli_reports_a_refused_derivation_in_one_line(monkeypatch, capsys):
    from diffexplain.cli import main

    monkeypatch.setitem(functions.FUNCTIONS, "sin",
                        _broken("sin", dmath=(lambda m, u: m.sin(u),)))
    code = main(["explain", "sin(x*w)", "--at", "x=1,w=2", "--no-autograd"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 4
    assert len(err) == 1 and "internal check failed" in err[0]


def test_with_the_real_table_the_same_inputs_pass():
    for expr, at in (("sin(x*w)", "x=1,w=2"), ("exp(x)*w", "x=0.5,w=3")):
        e = dx.explain(expr, at=at, autograd=False)
        assert e.verdict.agree
