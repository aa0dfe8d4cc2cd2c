"""Vector-Jacobian products of the tensor operations, in matrix-calculus notation.

One rule per edge ``inp → node`` of the *tensor* graph: given the node's adjoint ḡ (the
gradient of the objective with respect to the node), the rule gives the input's share,
as a :mod:`~diffexplain.methods.tensor_expr` expression over the named tensors:

* elementwise ``f(u, v)``: ū = ḡ ⊙ ∂f/∂u (a diagonal Jacobian), summed to a scalar input
  that was broadcast;
* ``sum(u)``: ū = ḡ·𝟙; ``mean(u)``: ū = ḡ/n·𝟙; ``dot(u, v)``: ū = ḡ·v (``xᵀx``: 2ḡx);
* ``x @ W`` (x ∈ ℝⁿ, W ∈ ℝⁿˣᵐ): W̄ = x·ḡᵀ, x̄ = W·ḡ; ``A @ x``: Ā = ḡ·xᵀ, x̄ = Aᵀ·ḡ;
  ``A @ B``: Ā = Ḡ·Bᵀ, B̄ = Aᵀ·Ḡ;
* mean losses (BCE with logits, BCE, MSE): z̄ = ḡ·∂ℓ/∂z / n, ℓ the loss of one entry;
* ``softmax``: ū = s ⊙ (ḡ − sᵀḡ); ``log_softmax``: ū = ḡ − exp(s)·Σḡ;
  ``linear(x, W, b)``: x̄ = Wᵀḡ, W̄ = ḡ·xᵀ, b̄ = ḡ;
* ``detach``: no adjoint flows (the detached tensor is a constant).

Every rule is checked where it is used (:mod:`~diffexplain.methods.vectorform` expands
the result into components and compares it with the component graph's derivative), so
a wrong rule is refused, never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from diffexplain.core.graph import Graph, Node, constant_sympy, op_table
from diffexplain.methods import tensor_expr as te

__all__ = ["Local", "NoRule", "definition", "local", "ref", "symbol"]


class NoRule(Exception):
    """The operation has no vector rule (the vector form is not offered for this input)."""


@dataclass(frozen=True)
class Local:
    """One edge's VJP and its Jacobian as a comment (``∂(xᵀx)/∂x = 2x``) in text and LaTeX."""

    vjp: Callable[[te.TExpr], te.TExpr]
    jac: Callable[[str], str]


def symbol(graph: Graph, nid: int) -> Any:
    """The sympy stand-in for a node: its name as a symbol (the whole tensor), a constant's value."""
    import sympy as sp

    n = graph.nodes[nid]
    if n.op == "const":
        return constant_sympy(n)
    return sp.Symbol(n.name, real=True)


def ref(graph: Graph, nid: int) -> te.Ew:
    return te.Ew(graph.nodes[nid].shape, symbol(graph, nid))


def _mean_loss_n(shapes: list[tuple[int, ...]], reduction: str) -> int:
    return 1 if reduction != "mean" else max(te.size(s) for s in shapes)


def _sigmoid(sp: Any, u: Any) -> Any:
    return op_table("sigmoid").sympy(sp, u)


def definition(graph: Graph, n: Node) -> te.TExpr | None:
    """The node in tensor notation (``xᵀx``, ``x·w``, ``u ⊙ x``, ``Σu``), None: its name as called."""
    import sympy as sp

    fn = op_table(n.op)
    ins = [symbol(graph, i) for i in n.inputs]
    if fn.tensor == "" and n.op == "mul":
        return te.Ew(n.shape, sp.Mul(*ins, evaluate=False))
    if fn.tensor == "":
        return te.Ew(n.shape, fn.sympy(sp, *ins))
    if fn.tensor == "sum":
        return te.SumAll((), ref(graph, n.inputs[0]))
    if fn.tensor in ("dot", "matmul") and all(graph.nodes[i].shape for i in n.inputs):
        return te.MatMul(n.shape, ref(graph, n.inputs[0]), ref(graph, n.inputs[1]))
    return None


def local(graph: Graph, n: Node, inp: int, jac_name: Callable[[str, str], str]) -> Local:
    """The VJP of edge ``inp → n``; raises :class:`NoRule`. ``jac_name(out, inp)`` writes
    ∂out/∂inp (text or LaTeX); the Jacobian comment is ``jac_name(...) = …``."""
    import sympy as sp

    fn = op_table(n.op)
    kind = fn.tensor
    shapes = [graph.nodes[i].shape for i in n.inputs]
    args = [symbol(graph, i) for i in n.inputs]
    me = symbol(graph, inp)
    out_shape, in_shape = n.shape, graph.nodes[inp].shape
    params = dict(n.params)

    def summed(t: te.TExpr) -> te.TExpr:  # the adjoint of a scalar broadcast to a tensor
        return te.SumAll((), t) if t.shape and not in_shape else t

    def elementwise(partial: Any, shape: tuple[int, ...]) -> Local:
        def vjp(g: te.TExpr) -> te.TExpr:
            return summed(te.scale(g, partial, shape))

        def jac(fmt: str) -> str:
            head = jac_name(n.name, graph.nodes[inp].name)
            if not shape or not in_shape:
                col = te.Ew(shape if not in_shape else (), partial)
                return f"{head} = {te.show(col, _style(graph, fmt))}"
            if not any(graph[str(s)].shape for s in partial.free_symbols if str(s) in graph):
                shown = "I" if partial == 1 else f"{te.show(te.Ew((), partial), _style(graph, fmt))}I"
                return f"{head} = {shown}"
            inner = te.show(te.Ew(shape, partial), _style(graph, fmt))
            return (rf"{head} = \operatorname{{diag}}\left({inner}\right)" if fmt == "latex"
                    else f"{head} = diag({inner})")
        return Local(vjp, jac)

    def gradient(grad: te.TExpr, vjp: Callable[[te.TExpr], te.TExpr]) -> Local:
        """A scalar-valued node: the comment is its gradient (``∂(xᵀx)/∂x = 2x``)."""
        def jac(fmt: str) -> str:
            return f"{jac_name(n.name, graph.nodes[inp].name)} = {te.show(grad, _style(graph, fmt))}"
        return Local(vjp, jac)

    def matrix(vjp: Callable[[te.TExpr], te.TExpr], formula: Callable[[str], str]) -> Local:
        """A VJP with no Jacobian matrix to write (∂z/∂W is a 3-tensor): state the VJP itself."""
        head = jac_name(n.name, graph.nodes[inp].name)
        return Local(vjp, lambda fmt: f"{head}: {formula(fmt)}")

    if kind == "" or (kind == "matmul" and not (shapes[0] and shapes[1])):
        f = fn.sympy(sp, *args) if kind == "" else args[0] * args[1]
        return elementwise(sp.diff(f, me), out_shape)
    if kind == "sum":
        return gradient(te.Ew(in_shape, sp.Integer(1)), lambda g: te.scale(g, 1, in_shape))
    if n.op == "mean":
        k = sp.Rational(1, te.size(in_shape))
        return gradient(te.Ew(in_shape, k), lambda g: te.scale(g, k, in_shape))
    if kind == "dot" or (kind == "matmul" and len(shapes[0]) == 1 and len(shapes[1]) == 1):
        partial = sp.diff(args[0] * args[1], me)
        return gradient(te.Ew(in_shape, partial), lambda g: te.scale(g, partial, in_shape))
    if kind == "matmul":
        return _matmul(graph, n, inp, matrix)
    if kind == "bce" or n.op in ("bce", "mse_loss"):
        reduction = str(params.get("reduction", "mean"))
        scalar_op = "bce_with_logits" if kind == "bce" else n.op
        per_entry = sp.diff(op_table(scalar_op).sympy(sp, *args), me)
        full = max(shapes, key=len)
        partial = per_entry / _mean_loss_n(shapes, reduction)
        if reduction == "none":
            return elementwise(per_entry, out_shape)
        return gradient(te.Ew(full if in_shape else (), partial),
                        lambda g: summed(te.scale(g, partial, full)))
    if n.op == "softmax" and len(in_shape) == 1:
        s = symbol(graph, n.id)

        def vjp_softmax(g: te.TExpr) -> te.TExpr:
            e, binds = te.ew(g)
            p = te.placeholder()
            dot = te.MatMul((), te.Ew(out_shape, s), g)
            return te.make(s * (e - p), in_shape, (*binds, (p, dot)))
        return Local(vjp_softmax, lambda fmt: _formula(
            fmt, jac_name(n.name, graph.nodes[inp].name),
            f"diag({n.name}) - {n.name}·{n.name}ᵀ",
            rf"\operatorname{{diag}}(\mathbf{{{n.name}}}) - "
            rf"\mathbf{{{n.name}}} \mathbf{{{n.name}}}^{{\top}}"))
    if n.op == "log_softmax" and len(in_shape) == 1:
        s = symbol(graph, n.id)

        def vjp_logsoftmax(g: te.TExpr) -> te.TExpr:
            e, binds = te.ew(g)
            p = te.placeholder()
            return te.make(e - sp.exp(s) * p, in_shape, (*binds, (p, te.SumAll((), g))))
        return Local(vjp_logsoftmax, lambda fmt: _formula(
            fmt, jac_name(n.name, graph.nodes[inp].name), f"I - 𝟙·exp({n.name})ᵀ",
            rf"I - \mathbf{{1}} \exp(\mathbf{{{n.name}}})^{{\top}}"))
    if n.op == "linear" and len(shapes[0]) == 1 and len(shapes[1]) == 2:
        return _linear(graph, n, inp, matrix)
    raise NoRule(n.op)


def _formula(fmt: str, head: str, text: str, latex: str) -> str:
    return f"{head} = {latex if fmt == 'latex' else text}"


def _style(graph: Graph, fmt: str) -> te.Style:
    return te.Style(fmt, {symbol(graph, n.id): n.shape for n in graph.nodes if n.op != "const"})


def _adjoint_name(name: str, fmt: str) -> str:
    if fmt == "latex":
        from diffexplain.methods.derivation_text import latex_name

        return rf"\bar{{{latex_name(name)}}}"
    from diffexplain.core.printing import bar

    return bar(name)


def _vjp_formula(graph: Graph, n: Node, inp: int, text: Callable[[str, str], str]) -> Callable[[str], str]:
    """The comment of a matrix VJP: ``w̄ = x·āᵀ`` (``text(fmt, ḡ)`` writes the right side)."""
    def formula(fmt: str) -> str:
        who = _adjoint_name(graph.nodes[inp].name, fmt)
        return f"{who} = {text(fmt, _adjoint_name(n.name, fmt))}"
    return formula


def _matmul(graph: Graph, n: Node, inp: int, matrix: Callable[..., Local]) -> Local:
    a_id, b_id = n.inputs
    a, b = ref(graph, a_id), ref(graph, b_id)
    sa, sb = a.shape, b.shape

    def name(nid: int, fmt: str) -> str:
        nd = graph.nodes[nid]
        return te.tensor_latex(nd.name, nd.shape) if fmt == "latex" else nd.name

    def t(fmt: str) -> str:
        return r"^{\top}" if fmt == "latex" else "ᵀ"

    def dot(fmt: str) -> str:
        return " " if fmt == "latex" else "·"

    parts: list[tuple[Callable[[te.TExpr], te.TExpr], Callable[[str, str], str]]] = []
    if inp == a_id:
        if len(sa) == 1:  # x @ W: x̄ = W·ḡ
            parts.append((lambda g: te.MatMul(sa, b, g),
                          lambda fmt, g: f"{name(b_id, fmt)}{dot(fmt)}{g}"))
        elif len(sb) == 1:  # A @ x: Ā = ḡ·xᵀ
            parts.append((lambda g: te.Outer(sa, g, b),
                          lambda fmt, g: f"{g}{dot(fmt)}{name(b_id, fmt)}{t(fmt)}"))
        else:  # A @ B: Ā = Ḡ·Bᵀ
            parts.append((lambda g: te.MatMul(sa, g, te.Transpose((sb[1], sb[0]), b)),
                          lambda fmt, g: f"{g}{dot(fmt)}{name(b_id, fmt)}{t(fmt)}"))
    if inp == b_id:
        if len(sa) == 1:  # x @ W: W̄ = x·ḡᵀ
            parts.append((lambda g: te.Outer(sb, a, g),
                          lambda fmt, g: f"{name(a_id, fmt)}{dot(fmt)}{g}{t(fmt)}"))
        else:  # A @ x or A @ B: x̄ = Aᵀ·ḡ
            parts.append((lambda g: te.MatMul(sb, te.Transpose((sa[1], sa[0]), a), g),
                          lambda fmt, g: f"{name(a_id, fmt)}{t(fmt)}{dot(fmt)}{g}"))

    def vjp(g: te.TExpr) -> te.TExpr:
        out: te.TExpr | None = None
        for f, _txt in parts:
            out = te.add(out, f(g))
        assert out is not None
        return out

    def text(fmt: str, g: str) -> str:
        return " + ".join(txt(fmt, g) for _f, txt in parts)

    return matrix(vjp, _vjp_formula(graph, n, inp, text))


def _linear(graph: Graph, n: Node, inp: int, matrix: Callable[..., Local]) -> Local:
    """``linear(x, W, b) = W·x + b`` for a vector x: x̄ = Wᵀḡ, W̄ = ḡ·xᵀ, b̄ = ḡ (Σḡ for a scalar b)."""
    x_id, w_id, b_id = n.inputs
    x, w = ref(graph, x_id), ref(graph, w_id)
    sw = w.shape
    fns: list[Callable[[te.TExpr], te.TExpr]] = []
    texts: list[tuple[str, str]] = []
    if inp == x_id:
        fns.append(lambda g: te.MatMul(x.shape, te.Transpose((sw[1], sw[0]), w), g))
        wn = graph.nodes[w_id].name
        texts.append((f"{wn}ᵀ·{{g}}", rf"\mathbf{{{wn}}}^{{\top}} {{g}}"))
    if inp == w_id:
        fns.append(lambda g: te.Outer(sw, g, x))
        xn = graph.nodes[x_id].name
        texts.append((f"{{g}}·{xn}ᵀ", rf"{{g}} \mathbf{{{xn}}}^{{\top}}"))
    if inp == b_id:
        scalar_b = not graph.nodes[b_id].shape
        fns.append(lambda g: te.SumAll((), g) if scalar_b else g)
        texts.append(("Σ{g}" if scalar_b else "{g}", r"\sum {g}" if scalar_b else "{g}"))

    def vjp(g: te.TExpr) -> te.TExpr:
        out: te.TExpr | None = None
        for f in fns:
            out = te.add(out, f(g))
        assert out is not None
        return out

    def text(fmt: str, g: str) -> str:
        return " + ".join((lt if fmt == "latex" else tt).replace("{g}", g) for tt, lt in texts)

    return matrix(vjp, _vjp_formula(graph, n, inp, text))
