"""What the gradients of a vector or matrix input show, detected on the finished results.

The pipeline has, per tensor of the graph the user wrote, its value, its symbolic
gradient (checked component by component) and torch's ``.grad``. Structure in them is
the lesson a learner should take away, so it is *found*, never written in advance:

* a matrix gradient whose rows (columns) are all equal, and the gradient they equal;
* the vector-Jacobian product of a matmul ``a = x @ w``: ``w.grad = x·āᵀ``, an outer
  product (rank one) when ``x`` is a vector, which explains the equal rows when ``x``
  is constant;
* a bias added to ``z`` gets ``∂loss/∂z`` itself, which is ``(σ(z) − y)/n`` when ``loss``
  is the mean BCE-with-logits of ``z`` over ``n`` entries;
* a gradient equal to a detached tensor (the constant factor of a product);
* an all-elementwise graph, whose Jacobian is diagonal.

Each relation is checked entry by entry before it is stated: against the exact witness
where both sides have one (equal decimal expansions), else by the one tolerance policy
(:func:`diffexplain.methods.tolerance.close`), and again on torch's ``.grad``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from diffexplain.core.graph import Graph, op_table
from diffexplain.core.printing import fmt_number
from diffexplain.core.shapes import flatten, fmt_value
from diffexplain.i18n import N_, _
from diffexplain.methods.tolerance import close, tolerance

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.compare import Verdict
    from diffexplain.methods.components import Scalarized
    from diffexplain.model import NodeInfo

__all__ = ["Finding", "Structure", "detect"]


@dataclass(frozen=True)
class Finding:
    """One relation between gradients and values, stated in one sentence.

    ``kind`` is one of ``equal_rows``, ``equal_columns``, ``matmul``, ``bias``,
    ``detached``, ``diagonal``; ``tensors`` names the gradient it is about first;
    ``check`` says how it was verified (``exact`` witness or ``tolerance``) and
    ``torch`` whether torch's ``.grad`` satisfies it too (None without torch).
    """

    kind: str
    tensors: tuple[str, ...]
    text: str
    check: str
    rtol: float | None = None
    torch: bool | None = None


@dataclass(frozen=True)
class Structure:
    """``extras["structure"]``: the findings, most telling first."""

    findings: tuple[Finding, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"findings": [asdict(f) for f in self.findings]}


#: how a finding was verified, as the renderers say it
CHECKS = {"exact": N_("checked against the exact witness"),
          "tolerance": N_("checked entry by entry, rtol {rtol}"),
          "jacobian": N_("checked on the computed Jacobian"),
          "graph": N_("from the graph's operations")}


def _flat(x: Any) -> list[float]:
    return [] if x is None else flatten(x)[1]


class _Ctx:
    """The tensor graph's values and gradients, by node name, and the comparisons."""

    def __init__(self, graph: Graph, nodes: Sequence[NodeInfo], wrt: Sequence[str],
                 verdict: Verdict, sc: Scalarized, dtype: str, objective: str) -> None:
        self.graph, self.wrt, self.dtype, self.objective = graph, list(wrt), dtype, objective
        self.info = {n.id: n for n in nodes}
        self.exact: dict[str, list[str | None]] = {}
        for v in wrt:
            reals = [verdict.comparisons[c].exact if c in verdict.comparisons else None
                     for c in sc.names(graph[v].id)]
            self.exact[v] = [r.text if r is not None and r.defined else None for r in reals]
        self.rtol = tolerance("float64").rtol
        self._grads: dict[tuple[str, bool], list[float] | None] = {}

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.graph[name].shape)

    def value(self, name: str) -> list[float]:
        return _flat(self.info[name].value)

    def grad(self, name: str, auto: bool = False) -> list[float] | None:
        key = (name, auto)
        if key not in self._grads:  # flattened once: the checks read them entry by entry
            n = self.info[name]
            g = n.autograd_grad if auto else n.grad
            self._grads[key] = None if g is None else _flat(g)
        return self._grads[key]

    def same(self, pairs: Sequence[tuple[tuple[str, int], tuple[str, int]]]) -> str | None:
        """Do the gradient entries (name, index) pair up equal? ``exact`` when every pair has
        the exact witness on both sides, ``tolerance`` when the floats agree, None if not."""
        witnessed = all(a in self.exact and b in self.exact and self.exact[a][i] is not None
                        and self.exact[b][j] is not None for (a, i), (b, j) in pairs)
        if witnessed:
            return "exact" if all(self.exact[a][i] == self.exact[b][j]
                                  for (a, i), (b, j) in pairs) else None
        ga = {n: self.grad(n) for (n, _i), _b in pairs} | {n: self.grad(n) for _a, (n, _j) in pairs}
        if any(g is None or not all(map(math.isfinite, g)) for g in ga.values()):
            return None
        ok = all(close(ga[a][i], ga[b][j], "float64")  # type: ignore[index]
                 for (a, i), (b, j) in pairs)
        return "tolerance" if ok else None

    def holds(self, name: str, expected: Sequence[float], auto: bool = False) -> bool | None:
        """Does the gradient of ``name`` (symbolic, or torch's) equal ``expected`` entry by entry?"""
        g = self.grad(name, auto)
        if g is None or len(g) != len(expected) or not all(map(math.isfinite, [*g, *expected])):
            return None  # nan = nan is no structure worth stating
        tol = self.dtype if auto else "float64"
        return all(close(a, b, tol) for a, b in zip(g, expected))

    def finding(self, kind: str, tensors: tuple[str, ...], text: str, check: str,
                torch: bool | None) -> Finding:
        return Finding(kind, tensors, text, check, self.rtol if check == "tolerance" else None,
                       torch)

    def named_gradient(self, target: Sequence[float], exclude: str) -> str | None:
        """A variable whose gradient is ``target`` (tolerance policy): how to name ``target``."""
        for v in self.wrt:
            g = self.grad(v)
            if v != exclude and g is not None and len(g) == len(target) and all(
                    close(a, b, "float64") for a, b in zip(g, target)):
                return f"{v}.grad"
        return None


def _mv(cols: int, x: Sequence[float]) -> Callable[[int, int], float]:
    return lambda i, j: x[i * cols + j]


@dataclass
class _Matmul:
    var: str  # the variable whose gradient it is
    node: str  # the matmul node
    other: str  # the other factor
    formula: str  # e.g. "x·b.gradᵀ"
    outer: bool  # an outer product of two vectors: rank one
    constant: float | None  # the other factor's one value when it is a constant vector
    along: str  # "rows" or "columns": what a constant other factor makes equal
    adjoint: str  # how ā is named ("b.grad" or "∂loss/∂a")
    check: str
    torch: bool | None


def _matmuls(c: _Ctx) -> list[_Matmul]:
    """``a = p @ q`` with a variable as p or q: its gradient is the matmul's VJP."""
    out: list[_Matmul] = []
    for n in c.graph.nodes:
        if n.is_leaf or op_table(n.op).tensor != "matmul" or len(n.inputs) != 2:
            continue
        p, q = (c.graph.nodes[i] for i in n.inputs)
        if p.id == q.id or not p.shape or not q.shape:
            continue
        adj = c.grad(n.name)
        if adj is None:
            continue
        sp, sq = tuple(p.shape), tuple(q.shape)
        rows = sp[0] if len(sp) == 2 else 1
        inner = sp[-1]
        cols = sq[1] if len(sq) == 2 else 1
        pv, qv = c.value(p.name), c.value(q.name)
        pm, qm, gm = _mv(inner, pv), _mv(cols, qv), _mv(cols, adj)
        named = c.named_gradient(adj, "") or f"(∂{c.objective}/∂{n.name})"
        for side, var, other in (("right", q, p), ("left", p, q)):
            if var.op != "var" or var.name not in c.wrt:
                continue
            if side == "right":
                expected = [math.fsum(pm(r, i) * gm(r, j) for r in range(rows))
                            for i in range(inner) for j in range(cols)]
                vec = len(sp) == 1
                formula = (f"{other.name}·{named}ᵀ" if vec and len(sq) == 2 else
                           f"{other.name}·{named}" if vec else f"{other.name}ᵀ·{named}")
                along = "rows"
            else:
                expected = [math.fsum(gm(r, j) * qm(i, j) for j in range(cols))
                            for r in range(rows) for i in range(inner)]
                vec = len(sq) == 1
                formula = (f"{named}·{other.name}ᵀ" if vec and len(sp) == 2 else
                           f"{other.name}·{named}" if len(sp) == 1 else f"{named}·{other.name}ᵀ")
                along = "columns"
            if not c.holds(var.name, expected):
                continue
            ov = c.value(other.name)
            constant = ov[0] if vec and len(ov) > 1 and all(x == ov[0] for x in ov) else None
            outer = vec and len(sp) + len(sq) == 3
            out.append(_Matmul(var.name, n.name, other.name, formula, outer, constant, along,
                               named, "tolerance", c.holds(var.name, expected, True)
                               if c.info[var.name].autograd_grad is not None else None))
    return out


def _bias(c: _Ctx) -> list[tuple[str, str, str, str, bool | None, str]]:
    """``z = a + b`` with the variable b of z's shape: b.grad = ∂loss/∂z, and its closed form
    when z is the input of the output's mean BCE-with-logits. (b, z, sentence, check, torch,
    closed form)"""
    out = []
    users = c.graph.users()
    for n in c.graph.nodes:
        if n.op != "add" or len(n.inputs) != 2:
            continue
        for b in (c.graph.nodes[i] for i in n.inputs):
            if b.op != "var" or b.name not in c.wrt or tuple(b.shape) != tuple(n.shape) \
                    or not b.shape or n.inputs[0] == n.inputs[1]:
                continue
            zg = c.grad(n.name)
            if zg is None or not c.holds(b.name, zg):
                continue
            torch = (c.holds(b.name, zg, True) if c.info[b.name].autograd_grad is not None
                     else None)
            form = ""
            loss = [u for u in users[n.id] if op_table(c.graph.nodes[u].op).tensor == "bce"]
            if len(users[n.id]) == 1 and loss and c.graph.nodes[loss[0]].inputs[0] == n.id \
                    and c.graph.outputs == (loss[0],):
                ln = c.graph.nodes[loss[0]]
                y = c.graph.nodes[ln.inputs[1]]
                zs, ys = c.value(n.name), c.value(y.name)
                m = max(len(zs), len(ys))
                mean = [(_sigmoid(zs[k if len(zs) > 1 else 0]) - ys[k if len(ys) > 1 else 0]) / m
                        for k in range(m)]
                if c.holds(b.name, mean):
                    form = f"(σ({n.name}) − {y.name})/{m}" if m > 1 else f"σ({n.name}) − {y.name}"
            out.append((b.name, n.name, form, "tolerance", torch, c.objective))
    return out


def _sigmoid(z: float) -> float:
    """σ(z) without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    ez = math.exp(z)
    return ez / (1.0 + ez)


def _equal_lines(c: _Ctx, v: str) -> tuple[str, list[float], str] | None:
    """("rows" | "columns", the repeated line, check) for a matrix gradient."""
    sh = c.shape(v)
    g = c.grad(v)
    if len(sh) != 2 or g is None:
        return None
    r, k = sh
    if r > 1:
        check = c.same([((v, i * k + j), (v, j)) for i in range(1, r) for j in range(k)])
        if check:
            return "rows", g[:k], check
    if k > 1:
        check = c.same([((v, i * k + j), (v, i * k)) for i in range(r) for j in range(1, k)])
        if check:
            return "columns", [g[i * k] for i in range(r)], check
    return None


def detect(graph: Graph, nodes: Sequence[NodeInfo], wrt: Sequence[str], verdict: Verdict,
           sc: Scalarized, dtype: str, objective: str,
           jacobians: Mapping[str, Any] | None = None) -> Structure:
    """The structure of a vector explanation's gradients (see the module docstring)."""
    c = _Ctx(graph, nodes, wrt, verdict, sc, dtype, objective)
    findings: list[Finding] = []
    mms = _matmuls(c)
    biases = _bias(c)
    forms = {b: (z, f) for b, z, f, *_rest in biases}
    for v in wrt:
        eq = _equal_lines(c, v)
        if eq is None:
            continue
        along, line, check = eq
        torch_g = c.grad(v, True)
        mm = next((m for m in mms if m.var == v and m.constant is not None
                   and m.along == along), None)
        target = mm.adjoint if mm else c.named_gradient(line, v)
        coef = "" if mm is None or mm.constant == 1 else f"{fmt_number(mm.constant)}·"
        if target and not coef and target.endswith(".grad") and forms.get(target[:-5], ("", ""))[1]:
            target = f"{target} = {forms[target[:-5]][1]}"  # b.grad = (σ(z) − y)/3
        torch = _torch_lines(torch_g, c.shape(v), along, dtype)
        if mm is not None or " = " in (target or ""):  # the reason was checked in floats
            check = "tolerance"
        if mm is not None:
            why = (_("{m}.grad = {formula} and {x} is all ones") if mm.constant == 1 else
                   _("{m}.grad = {formula} and every entry of {x} is {value}")).format(
                m=v, formula=mm.formula, x=mm.other, value=fmt_number(mm.constant))
            text = (_("Each row of {v}.grad equals {coef}{target}, because {why}.") if along ==
                    "rows" else _("Each column of {v}.grad equals {coef}{target}, because "
                                  "{why}.")).format(v=v, coef=coef, target=target, why=why)
        elif target:
            text = (_("Each row of {v}.grad equals {target}.") if along == "rows" else
                    _("Each column of {v}.grad equals {target}.")).format(v=v, target=target)
        else:
            text = (_("All rows of {v}.grad are the same vector {line}.") if along == "rows" else
                    _("All columns of {v}.grad are the same vector {line}.")).format(
                        v=v, line=fmt_value(line))
        findings.append(c.finding("equal_" + along, (v,), text, check, torch))
    for b, z, form, check, torch, loss in biases:
        text = (_("{b}.grad = ∂{loss}/∂{z} = {form}: {b} is added to {z}, so it gets {z}'s "
                  "gradient, and {loss} is the mean BCE-with-logits over {n} entries, whose "
                  "derivative in each entry is σ − target, divided by {n}.") if form else
                _("{b}.grad = ∂{loss}/∂{z}: {b} is added to {z}, so it gets {z}'s gradient "
                  "unchanged.")).format(b=b, loss=loss, z=z, form=form,
                                        n=c.shape(z)[0] if c.shape(z) else 1)
        findings.append(c.finding("bias", (b, z), text, check, torch))
    for m in mms:
        if m.outer:
            text = _("{v}.grad = {formula} is an outer product (rank one): in {a} = {expr}, "
                     "∂{loss}/∂{v} has one entry per pair of an entry of {x} and of "
                     "∂{loss}/∂{a}.").format(v=m.var, formula=m.formula, a=m.node,
                                             expr=graph.describe(graph[m.node]),
                                             loss=objective, x=m.other)
        else:
            text = _("{v}.grad = {formula}: the vector-Jacobian product of {a} = {expr}.").format(
                v=m.var, formula=m.formula, a=m.node, expr=graph.describe(graph[m.node]))
        findings.append(c.finding("matmul", (m.var, m.node, m.other), text, m.check, m.torch))
    findings.extend(_detached(c))
    findings.extend(_diagonal(c, jacobians or {}))
    return Structure(tuple(findings))


def _torch_lines(g: list[float] | None, shape: tuple[int, ...], along: str,
                 dtype: str) -> bool | None:
    """Are torch's rows (columns) of a matrix gradient equal too, in its dtype's tolerance?"""
    if g is None:
        return None
    r, k = shape
    if along == "rows":
        return all(close(g[i * k + j], g[j], dtype) for i in range(r) for j in range(k))
    return all(close(g[i * k + j], g[i * k], dtype) for i in range(r) for j in range(k))


def _detached(c: _Ctx) -> list[Finding]:
    """A gradient equal to a detached tensor: the constant factor of a product."""
    out = []
    for n in c.graph.nodes:
        if n.is_leaf or op_table(n.op).tensor != "detach":
            continue
        u = c.value(n.name)
        src = c.graph.nodes[n.inputs[0]].name
        factors = {frozenset(m.inputs) for m in c.graph.nodes if m.op == "mul"}
        for v in c.wrt:
            if frozenset((n.id, c.graph[v].id)) not in factors or c.shape(v) != tuple(n.shape) \
                    or not c.holds(v, u):
                continue
            torch = c.holds(v, u, True) if c.info[v].autograd_grad is not None else None
            text = _("{v}.grad = {u} = {value}: {u} = detach({src}) is a constant for "
                     "differentiation, so it enters as a fixed factor and no gradient flows "
                     "back through {src}.").format(v=v, u=n.name, value=fmt_value(u), src=src)
            out.append(c.finding("detached", (v, n.name), text, "tolerance", torch))
    return out


def _diagonal(c: _Ctx, jacobians: Mapping[str, Any]) -> list[Finding]:
    """Only elementwise operations: the Jacobian of the output is diagonal."""
    ops = [n for n in c.graph.nodes if not n.is_leaf]
    out0 = c.graph.nodes[c.graph.outputs[0]]
    if not ops or any(op_table(n.op).tensor not in ("", "detach") for n in ops) \
            or not out0.shape:
        return []
    out = []
    for v in c.wrt:
        jac = jacobians.get(v)
        if c.shape(v) != tuple(out0.shape) or (jac is not None and jac.get("structure")
                                               not in ("diagonal", None)):
            continue
        diag = jac.get("diagonal") if jac else None
        entries = _(" (entries {diagonal})").format(diagonal=fmt_value(diag)) if diag else ""
        text = _("Every operation is elementwise, so the Jacobian ∂{y}/∂{v} is diagonal"
                 "{entries}: each {y}ᵢ depends on {v}ᵢ alone, and the gradient of the sum is "
                 "that diagonal.").format(y=out0.name, v=v, entries=entries)
        out.append(c.finding("diagonal", (v, out0.name), text,
                             "jacobian" if jac and jac.get("structure") else "graph", None))
    return out
