"""Several outputs with weights: each output's own derivation, then the weighted sum.

``loss = torch.cat([y0, y1]); loss.backward(gradient=torch.tensor([1., 2.]))`` is
what the notes do; it computes Σ wₖ·∂yₖ/∂v. The symbolic side derives each output
on its own (path sums where the graph is small) and combines them in one line per
variable; the torch side really concatenates and seeds the backward with the weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diffexplain.compare import close
from diffexplain.core.graph import Graph
from diffexplain.core.parsing import tokenize
from diffexplain.core.printing import fmt_number
from diffexplain.errors import InputError
from diffexplain.i18n import N_, _
from diffexplain.limits import DEFAULT_LIMITS, Limits
from diffexplain.methods import symbolic
from diffexplain.methods.symbolic import Derivation, Line

__all__ = ["join_expressions", "last_statements", "torch_cat_backward", "weighted_derivations"]


def last_statements(text: str, n: int, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Names of a program's last ``n`` statements (``--weights`` without ``--outputs``)."""
    toks = tokenize(text, limits)
    names: list[str | None] = []
    start = True
    for k, tok in enumerate(toks):
        if tok.kind == "SEP":
            start = True
            continue
        if tok.kind == "EOF":
            break
        if start:
            nxt = toks[k + 1] if k + 1 < len(toks) else None
            names.append(tok.text if tok.kind == "NAME" and nxt is not None
                         and nxt.kind == "ASSIGN" else None)
            start = False
    if n > len(names):
        raise InputError(_("{n} weights but the program has {statements} statement(s); name "
                           "the outputs with --outputs").format(n=n, statements=len(names)))
    chosen = names[-n:]
    if any(c is None for c in chosen):
        raise InputError(_("{n} weights are applied to the last {n} statements, which must "
                           "each be named ('y0 = …; y1 = …')").format(n=n))
    return [c for c in chosen if c is not None]


def join_expressions(exprs: Sequence[str], limits: Limits = DEFAULT_LIMITS) -> tuple[str, list[str]]:
    """One program from a list of expressions, outputs named y0, y1, … (or out0, … on a clash).

    The expressions are tokenized first, so a statement or separator inside one is
    refused instead of silently changing the program.
    """
    used: set[str] = set()
    for e in exprs:
        if not isinstance(e, str):
            raise InputError(_("a list of outputs holds expressions as text, not {type}").format(
                type=type(e).__name__))
        for tok in tokenize(e, limits):
            if tok.kind in ("SEP", "ASSIGN"):
                raise InputError(_("each expression of a list must be a single expression "
                                   "(no ';' or '=')"), e, tok.pos)
            if tok.kind == "NAME":
                used.add(tok.text)
    prefix = next(p for p in ("y", "out", "output_") if not any(
        u.startswith(p) for u in used))
    names = [f"{prefix}{k}" for k in range(len(exprs))]
    return "\n".join(f"{nm} = {e}" for nm, e in zip(names, exprs)), names


def weighted_derivations(graph: Graph, point: Mapping[str, float], values: Sequence[float],
                         wrt: Sequence[str], seeds: Mapping[int, float],
                         totals: Mapping[str, float],
                         limits: Limits = DEFAULT_LIMITS) -> tuple[dict[str, Derivation],
                                                                   dict[str, Any]]:
    """Per-output derivations and, for each variable, the weighted sum of them.

    ``totals`` are the reverse-accumulation values of the weighted sum; each combined
    line is checked against them (a mismatch is a bug and raises).
    """
    from diffexplain.errors import VerificationError

    per: dict[str, dict[str, Derivation]] = {}
    for o in seeds:
        name = graph.nodes[o].name
        per[name] = symbolic.derive(graph, point, values, wrt, {o: 1.0}, limits).derivations
    outs = [graph.nodes[o].name for o in seeds]
    ws = list(seeds.values())
    combined: dict[str, Derivation] = {}
    for v in wrt:
        parts = [per[o][v].value for o in outs]
        total = sum(w * p for w, p in zip(ws, parts))
        if not close(total, totals[v], scale=1.0):  # the one tolerance policy
            raise VerificationError(f"internal check failed: weighted sum {total!r} ≠ "
                                    f"reverse accumulation {totals[v]!r} for ∂L/∂{v}")
        sym = " + ".join(f"{fmt_number(w)}·∂{o}/∂{v}" for o, w in zip(outs, ws))
        sym_l = " + ".join(rf"{fmt_number(w)} \cdot " + symbolic.partial_symbol(o, v, "latex")
                           for o, w in zip(outs, ws))
        nums = " + ".join(f"{fmt_number(w)}·{_wrap(fmt_number(p))}" for w, p in zip(ws, parts))
        lines = (
            Line(sym, sym_l, sym.replace("∂", "d").replace("·", "*"),
                 _("{objective}: the weighted sum of the outputs, as backward(gradient=[{weights}]) "
                   "on cat([{outputs}])").format(
                     objective="L = " + " + ".join(f"{fmt_number(w)}·{o}" for o, w in zip(outs, ws)),
                     weights=", ".join(fmt_number(w) for w in ws), outputs=", ".join(outs)),
                 N_("definition")),
            Line(nums, nums.replace("·", r" \cdot "), nums.replace("·", "*"),
                 _("each output's gradient, derived on its own (below)"),
                 N_("per-output derivations")),
            Line(fmt_number(total), fmt_number(total), repr(total), _("evaluate"),
                 N_("equals reverse accumulation of L")),
        )
        combined[v] = Derivation(v, f"∂L/∂{v}", symbolic.partial_symbol("L", v, "latex"),
                                 lines, total, N_("weighted sum"))
    extras = {
        "outputs": outs, "weights": ws,
        "per_output": {o: {v: {"lhs": d.lhs, "method": d.method, "value": d.value,
                               "lines": [ln.text for ln in d.lines],
                               "rules": [ln.rule for ln in d.lines]}
                           for v, d in per[o].items()} for o in outs},
    }
    return combined, extras


def _float_lit(w: float) -> str:
    """A weight as a float literal (``torch.tensor([1, 2])`` would be int64 and refused)."""
    return f"{w:.0f}." if float(w).is_integer() and abs(w) < 1e15 else repr(float(w))


def _wrap(s: str) -> str:
    return f"({s})" if s.startswith("-") else s


def torch_cat_backward(graph: Graph, point: Mapping[str, float], wrt: Sequence[str],
                       seeds: Mapping[int, float], dtype: str = "float64") -> dict[str, Any]:
    """``torch.cat`` the outputs (each reshaped to one entry) and ``backward(gradient=w)``."""
    import torch

    from diffexplain.methods.autograd import execute

    dt = getattr(torch, dtype)
    tens = execute(graph, point, dtype)
    outs = [tens[o] for o in seeds]
    if not all(isinstance(t, torch.Tensor) and t.requires_grad for t in outs):
        return {"skipped": _("an output does not depend on any variable")}
    loss = torch.cat([t.reshape(1) for t in outs])
    weights = torch.tensor(list(seeds.values()), dtype=dt)
    loss.backward(gradient=weights)
    names = [graph.nodes[o].name for o in seeds]
    grads = {}
    for v in wrt:
        g = tens[graph[v].id].grad
        grads[v] = 0.0 if g is None else float(g)
    return {
        "code": [f"loss = torch.cat([{', '.join(n + '.reshape(1)' for n in names)}])",
                 "loss.backward(gradient=torch.tensor([" + ", ".join(_float_lit(w) for w in seeds.values())
                 + "]))"],
        "loss": [float(x) for x in loss.detach()], "loss_grad_fn": type(loss.grad_fn).__name__,
        "gradient": grads,
    }
