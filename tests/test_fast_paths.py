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

from diffexplain.core.printing import bar_pair
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
