"""Bounds on the work one explanation may do, so hostile or huge input ends cleanly.

Every limit is a field of the frozen :class:`Limits`; the API takes ``limits=``
and the CLI has one flag per field. Exceeding one raises
:class:`~diffexplain.errors.LimitExceeded` (exit code 3) before the costly work starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import _

__all__ = ["DEFAULT_LIMITS", "Limits", "check_order", "check_work"]


@dataclass(frozen=True)
class Limits:
    """Configurable ceilings; the defaults admit every worked example and the benchmarks.

    Attributes:
        max_length: characters of input text.
        max_nodes: nodes of the computational graph.
        max_depth: nesting depth of parentheses and calls (1,000 must stay legal).
        max_exponent: largest absolute constant exponent, so ``9**9**9**9`` is refused.
        max_literal_digits: digits in one number literal.
        max_order: highest derivative order.
        max_vector: entries of one vector variable.
        symbolic_seconds: wall-time budget of the symbolic side (closed forms, simplification),
            enforced by running it in a worker process that is killed when the time is up;
            the explanation then shows reverse accumulation with a "too complex" note.
            ``math.inf`` runs it in-process without a budget.
        closed_form_nodes: largest graph whose closed form is built and shown.
        path_sum_paths: most chain-rule paths written out as a sum of products.
        max_work: node visits of the repeated passes (passes × nodes): ``--backward N``
            (with or without ``--rebuild``), the ``--mode`` traces and the ``--jacobian``;
            and the nodes the finite differences recompute, summed over the variables
            (a dense Jacobian of n entries costs n²).
        symbolic_memory_mb: address space of the symbolic worker process, in MiB (0: no
            limit); sympy past it fails like the time budget (a "too complex" note),
            and a memory error in the worker is exit code 3, never a machine out of memory.
    """

    max_length: int = 1_000_000
    max_nodes: int = 200_000
    max_depth: int = 2_000
    max_exponent: int = 1_000
    max_literal_digits: int = 40
    max_order: int = 10
    max_vector: int = 100_000
    symbolic_seconds: float = 20.0
    closed_form_nodes: int = 60
    path_sum_paths: int = 12
    max_work: int = 2_000_000
    symbolic_memory_mb: int = 2048

    def __post_init__(self) -> None:
        # a zero or negative ceiling would refuse everything with a confusing message
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "symbolic_seconds":
                if not (isinstance(value, (int, float)) and value > 0 and not math.isnan(value)):
                    raise InputError(_("symbolic_seconds must be a positive number of seconds "
                                       "(inf for no budget), not {value!r}").format(value=value))
            elif isinstance(value, bool) or not isinstance(value, int) or value < _FLOOR.get(f.name, 1):
                msg = (_("{name} must be a whole number ≥ 0, not {value!r}") if f.name in _FLOOR
                       else _("{name} must be a positive whole number, not {value!r}"))
                raise InputError(msg.format(name=f.name, value=value))

    def with_(self, **changes: object) -> Limits:
        """A copy with some fields changed; unknown names are a :class:`TypeError`."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown limit(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)  # type: ignore[arg-type]


#: display thresholds where 0 is meaningful ("never write closed forms / path sums")
_FLOOR = {"closed_form_nodes": 0, "path_sum_paths": 0, "symbolic_memory_mb": 0}

DEFAULT_LIMITS = Limits()


def check_order(order: int, limits: Limits = DEFAULT_LIMITS) -> int:
    """Validate a derivative order before any differentiation starts.

    Raises:
        InputError: the order is not a whole number ≥ 1.
        LimitExceeded: the order is above ``limits.max_order`` (each order can
            multiply the size of a closed form).

    >>> check_order(2)
    2
    """
    if isinstance(order, bool) or not isinstance(order, int):
        raise InputError(_("the derivative order must be a whole number, not {order!r}").format(
            order=order))
    if order < 1:
        raise InputError(_("the derivative order must be at least 1, not {order}").format(
            order=order))
    if order > limits.max_order:
        raise LimitExceeded(_("derivative order {order} exceeds the limit of {limit}").format(
            order=order, limit=limits.max_order),
            _("raise it with --max-order (API: limits=Limits(max_order=…))"))
    return order


def check_work(passes: int, nodes: int, what: str, flag: str,
               limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse ``passes`` repeated passes over ``nodes`` nodes above ``limits.max_work``.

    Called before the passes start, so ``--backward 1000 --rebuild`` on a 50,000-node chain
    or a forward-mode trace over 3,000 variables ends in a moment with exit code 3.

    Raises:
        LimitExceeded: ``passes × nodes`` is above the limit.

    >>> check_work(4, 6, "backward", "--backward")
    """
    if passes * nodes > limits.max_work:
        raise LimitExceeded(
            _("{option}: {passes} passes over {nodes} nodes ({what}) is {work} node visits, "
              "more than the limit of {limit}").format(
                option=flag, passes=passes, nodes=nodes, what=_(what), work=passes * nodes,
                limit=limits.max_work),
            _("raise it with --max-work (API: limits=Limits(max_work=…))"))
