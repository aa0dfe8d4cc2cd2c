"""Shortcuts taken for speed give exactly what the general code gives.

* The frozen records whose ``__init__`` is written out by hand behave as the dataclass's
  own would: same parameters in field order, same defaults, still frozen.
* The adjoint table's direct spellings of builder names (``a``, ``v12``) equal the general
  :func:`latex_name` / :func:`bar_pair` of any name.
"""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diffexplain.core.printing import bar_pair, fmt_number
from diffexplain.methods.autograd import BackwardNode, TorchNode
from diffexplain.methods.derivation_text import AdjointRow, _name_forms, latex_name
from diffexplain.model import NodeInfo

RECORDS = [TorchNode, BackwardNode, AdjointRow, NodeInfo]


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_init_matches_the_fields(cls: type) -> None:
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields):
        want = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert p.default == want, f.name
        assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_every_field_is_set_and_frozen(cls: type) -> None:
    fields = dataclasses.fields(cls)
    args = {f.name: f"v{k}" for k, f in enumerate(fields)}
    obj = cls(**args)
    assert dataclasses.asdict(obj) == args
    assert obj == cls(*args.values())  # positional and keyword alike
    assert hash(obj) == hash(cls(*args.values()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, fields[0].name, "changed")
    assert dataclasses.replace(obj, **{fields[-1].name: "new"}) != obj
    required = [f for f in fields if f.default is dataclasses.MISSING]
    with pytest.raises(TypeError):
        cls(**{f.name: 1 for f in required[:-1]})  # one missing


@given(st.text(alphabet="avxyzσ_0129²", min_size=1, max_size=6))
def test_name_forms_equal_the_general_functions(name: str) -> None:
    b, bl = bar_pair(name)
    assert _name_forms(name) == (latex_name(name), b, bl + r" \cdot ")


@pytest.mark.parametrize("name", ["a", "v12", "x0", "loss", "a_0_t0", "w_0_1", "1000"])
def test_name_forms_of_typical_names(name: str) -> None:
    b, bl = bar_pair(name)
    assert _name_forms(name) == (latex_name(name), b, bl + r" \cdot ")


@given(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([6, 3, 12]))
def test_fmt_number_fast_path_equals_the_general_one(x: float, digits: int) -> None:
    if x != x:
        want = "nan"
    elif x in (float("inf"), float("-inf")):
        want = "inf" if x > 0 else "-inf"
    elif float(x).is_integer() and abs(x) < 1e15:
        want = str(int(x))
    else:
        want = f"{x:.{digits}g}"
    assert fmt_number(x, digits) == want


def _scalar_ops() -> list[str]:
    from diffexplain.core.functions import FUNCTIONS, OPERATORS

    return sorted(name for name, fn in {**FUNCTIONS, **OPERATORS}.items()
                  if fn.arity in (1, 2) and not fn.tensor and name != "pow")


@pytest.mark.parametrize("op", _scalar_ops())
def test_adjoint_terms_fast_path_equals_the_general_rule(op: str) -> None:
    """Each adjoint term, written from the table's templates and raw float partial, is
    what the general helpers (any slot count, the guarded partial) write."""
    from diffexplain.core.functions import FUNCTIONS, OPERATORS
    from diffexplain.core.graph import GraphBuilder
    from diffexplain.methods import numeric
    from diffexplain.methods.derivation_text import (
        _adjoint_terms,
        _local_partial_text,
        _local_partial_value,
        _Names,
        _wrap,
    )

    fn = {**FUNCTIONS, **OPERATORS}[op]
    b = GraphBuilder()
    ins = [b.var("x"), b.var("w")][: fn.arity]
    b.op(op, ins)
    g = b.build([len(b.nodes) - 1])
    for point in ({"x": 0.7, "w": 1.3}, {"x": -2.0, "w": 0.0}, {"x": 0.0, "w": -0.5}):
        values = numeric.forward(g, point)
        grads = numeric.reverse(g, list(values), {g.outputs[0]: 1.0})
        names = _Names(g, grads)
        out = g.nodes[g.outputs[0]]
        for i in ins:
            text, latex, vals, _value = _adjoint_terms(g, g.nodes[i], [out.id], values, grads,
                                                       names)
            pt = _local_partial_text(g, out, i, "text", names.text)
            pl = _local_partial_text(g, out, i, "latex", names.latex)
            pv = _local_partial_value(out, i, values)
            assert text == f"{names.bar[out.id]}·{_wrap(pt)}"
            assert latex == names.bar_latex[out.id] + _wrap(pl)
            assert vals == f"{_wrap(names.grad_text(out.id))}·{_wrap(fmt_number(pv))}"
