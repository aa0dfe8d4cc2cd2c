"""The JSON contract scripts and the docs build rely on (keys listed in docs/json.md).

Non-finite floats become the strings ``"nan"``, ``"inf"``, ``"-inf"`` so the
output stays valid JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.model import Explanation

__all__ = ["SCHEMA_VERSION", "render", "to_dict", "to_json"]

SCHEMA_VERSION = 1


def _num(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, (list, tuple)):  # vector and matrix values
        return [_num(v) for v in x]
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _plain(x: Any) -> Any:
    """Extras as JSON: non-finite floats as strings, tuples as lists, all the way down."""
    if isinstance(x, float):
        return _num(x)
    if hasattr(x, "as_dict") and not isinstance(x, type):  # typed extras (lessons.structure)
        return _plain(x.as_dict())
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def to_dict(e: Explanation) -> dict[str, Any]:
    """Top-level keys: expression, point, value, gradient, steps, graph (+ details)."""
    from diffexplain._version import __version__

    gradient = {}
    for v, d in e.derivations.items():
        c = e.verdict.comparisons.get(v)
        gradient[v] = {
            "symbolic": d.closed_form,
            "value": _num(d.value),
            "autograd": _num(c.autograd) if c else None,
            "numeric": _num(c.numeric) if c else None,
            "numeric_error": _num(c.numeric_error) if c else None,
            "agree": bool(c.agree) if c else None,
            "reasons": [str(r) for r in c.reasons] if c else [],
            "reason_codes": [r.as_dict() for r in c.reasons] if c else [],
            "state": c.state if c else None,
            # the exact witness: a decimal string that may lie outside float64's range
            "exact": ({**c.exact.as_dict(), "float": _num(c.exact.value)}  # nan: strict JSON
                      if c and c.exact else None),
            "method": d.method,
            "note": d.note or None,
        }
    steps = {v: [{"lhs": d.lhs if k == 0 else "", "text": line.text, "latex": line.latex,
                  "ascii": line.ascii, "rule": line.rule, "check": line.check}
                 for k, line in enumerate(d.lines)]
             for v, d in e.derivations.items()}
    nodes = []
    for n in e.nodes:
        nodes.append({
            "id": n.id, "op": n.op, "kind": n.kind, "expr": n.expr, "inputs": list(n.inputs),
            "value": _num(n.value), "grad": _num(n.grad), "output": n.output,
            "grad_fn": n.grad_fn, "is_leaf": n.is_leaf, "requires_grad": n.requires_grad,
            "retains_grad": n.retains_grad, "autograd_grad": _num(n.autograd_grad),
            "saved": [{"name": s[0], "node": s[1], "value": _num(s[2])} for s in n.saved],
        })
    auto = None
    if e.autograd is not None:
        auto = {"dtype": e.autograd.dtype, "torch": e.autograd.torch_version,
                "backward": [asdict(b) for b in e.autograd.backward]}
    return {
        "schema": SCHEMA_VERSION,
        "diffexplain": __version__,
        "expression": e.expression,
        "point": {k: _num(v) for k, v in e.point.items()},
        "outputs": list(e.outputs),
        "weights": list(e.weights),
        "value": _num(e.value),
        "dtype": e.dtype,
        "lang": e.lang,  # the language of the free-text fields (rules, reasons, notes)
        "gradient": gradient,
        "steps": steps,
        "adjoints": [{"node": r.node, "formula": r.formula, "latex": r.formula_latex,
                      "values": r.values, "value": _num(r.value)} for r in e.adjoints],
        "graph": {"nodes": nodes, "edges": [list(edge) for edge in e.edges]},
        "autograd": auto,
        "verdict": {"agree": e.verdict.agree, "state": e.verdict.state,
                    "summary": e.verdict.summary,
                    "tolerance": e.verdict.tolerance.as_dict()},
        **({"extras": _plain({k: v for k, v in e.extras.items() if k != "vector_form"})}
           if e.extras else {}),
        # the derivation over whole tensors (vector and matrix inputs; absent for scalars)
        **({"vector_form": _plain(e.extras["vector_form"].as_dict())}
           if "vector_form" in e.extras else {}),
    }


def to_json(e: Explanation, indent: int | None = 2) -> str:
    return json.dumps(to_dict(e), indent=indent, ensure_ascii=False, allow_nan=False)


def render(e: Explanation, components: bool = False) -> str:
    """JSON holds both views (``steps`` per component, ``vector_form``): ``components`` is moot."""
    return to_json(e)
