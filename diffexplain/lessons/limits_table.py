"""The derivative as a limit: difference quotients over shrinking steps, and where they fail.

(f(x+h) − f(x))/h approaches f'(x) as h shrinks, with an error ≈ f''·h/2 (truncation),
until f(x+h) and f(x) agree in so many leading digits that their difference is mostly
round-off (≈ eps·|f|/h): the error turns and grows again. The central quotient
(f(x+h) − f(x−h))/2h truncates at O(h²), so it is better sooner and ruined sooner.

float64 runs in Python floats over the graph's nodes; float32 runs in real float32
(torch tensors built node by node by :func:`~diffexplain.methods.autograd.execute`, with x ± h
rounded to float32 first, as a learner's float32 tensor would be).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.core.floats import fsum
from diffexplain.core.graph import Graph
from diffexplain.core.printing import fmt_number
from diffexplain.errors import InputError
from diffexplain.i18n import _
from diffexplain.lessons.why import polynomial_degree
from diffexplain.methods.numeric import EPS, forward

__all__ = ["DEFAULT_DECADES", "difference_table"]

#: steps 10⁻¹ … 10⁻ⁿ shown by default
DEFAULT_DECADES = {"float64": 12, "float32": 7}


def _evaluator(graph: Graph, point: Mapping[str, float], var: str,
               seeds: Mapping[int, float], dtype: str) -> tuple[Any, Any, Any]:
    """f at a value of ``var``, plus the dtype's add, subtract and divide."""
    if dtype == "float64":
        def f64(x: float) -> float:
            p = dict(point)
            p[var] = x
            vals = forward(graph, p)
            return fsum(w * vals[o] for o, w in seeds.items())

        return f64, (lambda a, b: a + b), (lambda a, b: a - b)
    import torch

    from diffexplain.methods.autograd import execute

    def f32(x: Any) -> Any:
        p = dict(point)
        p[var] = float(x)
        tens = execute(graph, p, "float32", requires_grad=False)
        total = None
        for o, w in seeds.items():
            t = tens[o] if isinstance(tens[o], torch.Tensor) else torch.tensor(
                tens[o], dtype=torch.float32)
            term = t if w == 1 else t * torch.tensor(w, dtype=torch.float32)
            total = term if total is None else total + term
        return total

    return f32, (lambda a, b: a + b), (lambda a, b: a - b)


def difference_table(graph: Graph, point: Mapping[str, float], var: str, true: float,
                     seeds: Mapping[int, float] | None = None, dtype: str = "float64",
                     decades: int | None = None,
                     steps: Sequence[float] | None = None) -> dict[str, Any]:
    """Forward and central differences for h = 10⁻¹ … 10⁻ⁿ, with the error against ``true``.

    >>> from diffexplain import parse
    >>> t = difference_table(parse("3*x**2 - 4*x"), {"x": 1}, "x", 2.0, decades=5)
    >>> [f"{r['forward']:.5f}" for r in t["rows"]]
    ['2.30000', '2.03000', '2.00300', '2.00030', '2.00003']
    """
    seeds = dict(seeds) if seeds else {graph.outputs[0]: 1.0}
    if steps is None:
        n = DEFAULT_DECADES[dtype] if decades is None else decades
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 20:
            raise InputError(_("--limits takes a number of decades from 1 to 20, not {n!r}").format(
                n=n))
        steps = [10.0 ** -k for k in range(1, n + 1)]
    f, add, sub = _evaluator(graph, point, var, seeds, dtype)
    if dtype == "float32":
        import torch

        def cast(v: float) -> Any:
            return torch.tensor(v, dtype=torch.float32)
    else:
        def cast(v: float) -> Any:
            return float(v)
    x = cast(float(point[var]))
    fx = f(x)
    rows = []
    for h in steps:
        hh = cast(h)
        fwd = float(sub(f(add(x, hh)), fx) / hh)
        cen = float(sub(f(add(x, hh)), f(sub(x, hh))) / (hh + hh))
        rows.append({"h": float(h), "h_actual": float(hh), "forward": fwd, "forward_error": abs(fwd - true),
                     "central": cen, "central_error": abs(cen - true)})
    best_f = min(range(len(rows)), key=lambda k: _key(rows[k]["forward_error"]))
    best_c = min(range(len(rows)), key=lambda k: _key(rows[k]["central_error"]))
    f0 = float(fx)
    eps = EPS[dtype]
    fscale = eps * max(1.0, abs(f0)) / rows[0]["h"]
    if rows[0]["forward_error"] <= 100 * fscale + 1e3 * eps * max(1.0, abs(true)):
        note = _("the difference quotient is exact up to round-off at every h (f is linear in "
                 "{var}: no truncation error); what error there is is round-off, which grows "
                 "like eps·|f|/h ({eps}·{f}/h) as h shrinks.").format(
                     var=var, eps=f"{eps:.1e}", f=fmt_number(abs(f0)))
    else:
        note = (_("the forward error shrinks like h (truncation) down to h = {h}").format(
                    h=f"{rows[best_f]['h']:.0e}")
                + (_(", then grows again: f(x+h) − f(x) keeps only the digits where they "
                     "differ, and the round-off ≈ eps·|f|/h ({eps}·{f}/h) wins").format(
                         eps=f"{eps:.1e}", f=fmt_number(abs(f0)))
                   if best_f < len(rows) - 1 else "")
                + (_(". Central differences are exact here: f is a polynomial of degree 2 in "
                     "{var}, so their truncation error f‴·h²/6 is 0 and what error they show is "
                     "round-off, from the first h on.").format(var=var) if polynomial_degree(graph) == 2 else
                   _(". Central differences (error ~h²) are best at h = {h}.").format(
                       h=f"{rows[best_c]['h']:.0e}")))
    tangent = None
    if len(graph.variables) == 1:
        b = f0 - true * float(point[var])
        sign = "−" if b < 0 else "+"
        tangent = (f"y = {fmt_number(true)}{var} {sign} {fmt_number(abs(b))}" if b != 0 else
                   f"y = {fmt_number(true)}{var}")
    return {"variable": var, "at": float(point[var]), "dtype": dtype, "true": true,
            "f": f0, "rows": rows, "best_forward_h": rows[best_f]["h"],
            "best_central_h": rows[best_c]["h"], "roundoff_from_h": (
                rows[best_f + 1]["h"] if best_f < len(rows) - 1 else None),
            "note": note, "tangent": tangent}


def _key(err: float) -> float:
    return err if math.isfinite(err) else math.inf
