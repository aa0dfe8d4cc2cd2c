"""A sympy expression → the graph (the API's ``dx.explain(sympy_expr)``): sympy's tree, not text."""

from __future__ import annotations

import keyword
from typing import Any

from diffexplain.core.functions import CONSTANTS, lookup
from diffexplain.core.graph import Graph, GraphBuilder
from diffexplain.core.tokens import _NAME
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _
from diffexplain.limits import DEFAULT_LIMITS, Limits

_SYMPY_FUNCS = {"sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log",
                "tanh": "tanh", "Abs": "abs", "atan": "atan", "sinh": "sinh", "cosh": "cosh"}


def from_sympy(expr: object, limits: Limits = DEFAULT_LIMITS) -> Graph:
    """The same graph a user would get by typing the expression (post-order, explicit stack).

    ``a - b`` (``Add(a, Mul(-1, b))``) becomes a subtraction, ``a*b**-1`` a division,
    ``b**(1/2)`` ``sqrt(b)``, ``Max(0, u)`` ``relu(u)``; anything outside the
    function table is an :class:`InputError`.
    """
    import sympy as sp

    if not isinstance(expr, sp.Basic):
        raise InputError(_("not a sympy expression: {type}").format(type=type(expr).__name__))
    b = GraphBuilder(limits, str(expr) if len(expr.args) < 50 else "")
    memo: dict[object, int] = {}
    stack: list[tuple[object, bool]] = [(expr, False)]
    while stack:
        e, done = stack.pop()
        if e in memo:
            continue
        if not done:
            stack.append((e, True))
            stack.extend((a, False) for a in reversed(_operands(sp, e)) if a not in memo)
            continue
        memo[e] = _sympy_node(sp, b, e, memo)
    return b.build([memo[expr]])


def _operands(sp: Any, e: Any) -> list[Any]:
    assert isinstance(e, sp.Basic)
    if e.is_Atom:
        return []
    if isinstance(e, sp.Mul):
        num, den = e.as_numer_denom() if any(
            isinstance(a, sp.Pow) and a.exp.is_negative for a in e.args) else (e, sp.Integer(1))
        if den != 1:
            return [num, den]
        coeff, rest = e.as_coeff_Mul()
        if coeff == -1:
            return [rest]
    if isinstance(e, sp.Pow) and e.exp == sp.Rational(1, 2):
        return [e.base]
    if isinstance(e, sp.Pow) and e.exp.is_negative and e.exp != -1:
        return [sp.Pow(e.base, -e.exp)]
    if isinstance(e, sp.Pow) and e.exp == -1:
        return [e.base]
    return list(e.args)


def _sympy_node(sp: Any, b: GraphBuilder, e: Any, memo: dict[Any, int]) -> int:
    assert isinstance(e, sp.Basic)
    if isinstance(e, sp.Symbol):
        name = e.name
        if not _NAME.fullmatch(name) or name.startswith("_") or keyword.iskeyword(name):
            raise InputError(_("symbol name {name!r} is not a valid identifier").format(name=name))
        if name in CONSTANTS or lookup(name) is not None:
            raise InputError(_("symbol name {name!r} is reserved").format(name=name))
        return b.var(name)
    if e is sp.pi:
        return b.named_constant("pi")
    if e is sp.E:
        return b.named_constant("e")
    if isinstance(e, sp.Integer):
        if len(str(abs(int(e)))) > limits_digits(b):
            raise LimitExceeded(_("integer literal too long"), _("use fewer digits"))
        return b.const(float(e), str(int(e)))
    if isinstance(e, sp.Rational):
        return b.op("div", [b.const(float(e.p), str(e.p)), b.const(float(e.q), str(e.q))])
    if isinstance(e, sp.Float):
        return b.const(float(e))
    ops = [memo[a] for a in _operands(sp, e)]
    if isinstance(e, sp.Add):
        node = ops[0]
        for a in ops[1:]:
            node = b.op("add", [node, a])
        return node
    if isinstance(e, sp.Mul):
        if len(ops) == 2 and any(isinstance(a, sp.Pow) and a.exp.is_negative for a in e.args):
            return b.op("div", ops)
        if len(ops) == 1:
            return b.op("neg", ops)
        node = ops[0]
        for a in ops[1:]:
            node = b.op("mul", [node, a])
        return node
    if isinstance(e, sp.Pow):
        if e.exp == sp.Rational(1, 2):
            return b.op("sqrt", ops)
        if e.exp == -1:
            return b.op("div", [b.const(1.0, "1"), ops[0]])
        if e.exp.is_negative:
            return b.op("div", [b.const(1.0, "1"), ops[0]])
        return b.op("pow", ops)
    if isinstance(e, sp.Max) and len(e.args) == 2 and sp.Integer(0) in e.args:
        other = e.args[1] if e.args[0] == 0 else e.args[0]
        return b.op("relu", [memo[other]])
    name = _SYMPY_FUNCS.get(type(e).__name__)
    if name is None:
        raise InputError(_("sympy {type} is not in diffexplain's function table").format(
            type=type(e).__name__))
    return b.op(name, ops)


def limits_digits(b: GraphBuilder) -> int:
    return b.limits.max_literal_digits
