"""The recorded PyTorch operations of the operation table (issue 17).

Tensor operations :mod:`diffexplain.core.recording` maps torch calls onto. Their
``tensor="rule"`` kind means "shape and component rule in :mod:`diffexplain.core.tensor_rules`":
each takes its parameters (a dim, the selected positions of an index, a target shape, class
targets, a reduction) from ``Node.params``. The sympy/float forms are the one-entry meaning
(what a one-entry tensor computes); the torch form is the real call, parameters as keywords.
Ops that need parameters to mean anything (cat, reshape, index, linear, cross_entropy, bce)
go to ``TORCH_OPS``, outside the expression language; mean, softmax, log_softmax and mse_loss
join ``FUNCTIONS`` and may also be written as text. :mod:`diffexplain.core.functions` builds
the entries with its ``_op`` (:func:`table`), so this module imports nothing from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from diffexplain.i18n import N_

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.core.functions import Fn

__all__ = ["table"]


def _mean_torch(t: Any, u: Any) -> Any:
    return t.mean(u)


def _softmax_torch(t: Any, u: Any, dim: int = -1) -> Any:
    return t.softmax(u, dim)


def _log_softmax_torch(t: Any, u: Any, dim: int = -1) -> Any:
    return t.log_softmax(u, dim)


def _mse_torch(t: Any, a: Any, b: Any, reduction: str = "mean") -> Any:
    return t.nn.functional.mse_loss(a, b.expand_as(a) if b.dim() < a.dim() else b,
                                    reduction=reduction)


def _cat_torch(t: Any, a: Any, b: Any, dim: int = 0, shapes: Any = None, shape: Any = None,
               order: Any = None) -> Any:
    # the recorder gives the inputs' shapes as torch saw them (a one-entry tensor is a
    # scalar here, but torch.cat needs at least one dimension)
    sa, sb = shapes if shapes else (a.shape or (1,), b.shape or (1,))
    out = t.cat([a if tuple(a.shape) == tuple(sa) else a.reshape(sa),
                 b if tuple(b.shape) == tuple(sb) else b.reshape(sb)], dim)
    return out if shape is None or tuple(out.shape) == tuple(shape) else out.reshape(shape)


def _reshape_torch(t: Any, u: Any, shape: tuple[int, ...] = ()) -> Any:
    return u.reshape(shape)


def _index_torch(t: Any, u: Any, positions: tuple[int, ...] = (0,),
                 shape: tuple[int, ...] = ()) -> Any:
    # the selected entries by their row-major positions (any torch index becomes these)
    return u.reshape(-1)[list(positions)].reshape(shape)


def _linear_torch(t: Any, x: Any, w: Any, b: Any) -> Any:
    return t.nn.functional.linear(x, w, b if b.dim() else None) + (0 if b.dim() else b)


def _bce_prob(m: Any, p: float, y: float) -> float:
    return -(y * m.log(p) + (1.0 - y) * m.log(1.0 - p))


def _bce_torch(t: Any, p: Any, y: Any, reduction: str = "mean") -> Any:
    return t.nn.functional.binary_cross_entropy(p, y.expand_as(p) if y.dim() < p.dim() else y,
                                                reduction=reduction)


def _ce_torch(t: Any, z: Any, target: tuple[int, ...] = (0,), reduction: str = "mean") -> Any:
    tgt = t.tensor(list(target) if z.dim() == 2 else target[0])
    return t.nn.functional.cross_entropy(z, tgt, reduction=reduction)


#: torch operations that need parameters (Node.params); op_table() looks here too


def table(_op: Callable[..., Fn]) -> tuple[dict[str, Fn], dict[str, Fn]]:
    """The entries for ``FUNCTIONS`` and the parameterized ``TORCH_OPS``, made with ``_op``."""
    functions: dict[str, Fn] = {}
    functions["mean"] = _op("mean", 1, lambda sp, u: u, _mean_torch, lambda m, u: u,
                            (lambda m, u: 1.0,), ("1/n",), (r"\frac{{1}}{{n}}",),
                            N_("mean rule: ∂(Σu/n)/∂uᵢ = 1/n"), text="mean({0})",
                            latex=r"\operatorname{{mean}}\left({0}\right)", tensor="rule")
    functions["softmax"] = _op("softmax", 1, lambda sp, u: sp.exp(u) / sp.exp(u), _softmax_torch,
                               lambda m, u: 1.0, (lambda m, u: 0.0,), ("sᵢ(δᵢⱼ - sⱼ)",),
                               (r"s_i (\delta_{{ij}} - s_j)",),
                               N_("softmax rule: ∂sᵢ/∂uⱼ = sᵢ(δᵢⱼ − sⱼ)"), text="softmax({0})",
                               latex=r"\operatorname{{softmax}}\left({0}\right)", tensor="rule")
    functions["log_softmax"] = _op(
        "log_softmax", 1, lambda sp, u: u - sp.log(sp.exp(u)), _log_softmax_torch,
        lambda m, u: 0.0, (lambda m, u: 0.0,), ("δᵢⱼ - sⱼ",), (r"\delta_{{ij}} - s_j",),
        N_("log-softmax rule: ∂(uᵢ − log Σ eᵘ)/∂uⱼ = δᵢⱼ − softmax(u)ⱼ"), text="log_softmax({0})",
        latex=r"\operatorname{{log\,softmax}}\left({0}\right)", tensor="rule")
    functions["mse_loss"] = _op(
        "mse_loss", 2, lambda sp, a, b: (a - b) ** 2, _mse_torch, lambda m, a, b: (a - b) ** 2,
        (lambda m, a, b: 2.0 * (a - b), lambda m, a, b: -2.0 * (a - b)),
        ("2({0} - {1})", "-2({0} - {1})"), (r"2 ({0} - {1})", r"-2 ({0} - {1})"),
        N_("squared error: ∂(a − b)²/∂a = 2(a − b), averaged over the entries"),
        text="mse_loss({0}, {1})", latex=r"\operatorname{{MSE}}\left({0}, {1}\right)",
        tensor="rule", note=N_("torch averages over the entries (reduction='mean')"))

    def _structural(name: str, arity: int, text: str, latex: str, rule: str,
                    torch: Callable[..., Any]) -> Fn:
        """A wiring op (cat, reshape, index): each output entry *is* an input entry."""
        ones = tuple(lambda m, *a: 1.0 for _ in range(arity))
        return _op(name, arity, lambda sp, *a: a[0], torch, lambda m, *a: a[0], ones,
                   ("1",) * arity, ("1",) * arity, rule, text=text, latex=latex, tensor="rule")

    ops: dict[str, Fn] = {
        "cat": _structural("cat", 2, "cat({0}, {1})", r"\left[{0}; {1}\right]",
                           N_("concatenation: each entry of the result is an entry of an input"),
                           _cat_torch),
        "reshape": _structural("reshape", 1, "{0}.reshape({shape})", r"{0}",
                               N_("reshape: the same entries in another shape"), _reshape_torch),
        "index": _structural("index", 1, "{0}[{where}]", r"{0}_{{{where}}}",
                             N_("indexing: the selected entries, the rest get gradient 0"),
                             _index_torch),
        "linear": _op("linear", 3, lambda sp, x, w, b: x * w + b, _linear_torch,
                      lambda m, x, w, b: x * w + b,
                      (lambda m, x, w, b: w, lambda m, x, w, b: x, lambda m, x, w, b: 1.0),
                      ("{1}", "{0}", "1"), ("{1}", "{0}", "1"),
                      N_("linear layer z = x·Wᵀ + b: ∂z/∂W = x, ∂z/∂b = 1"),
                      text="linear({0}, {1}, {2})", latex=r"{0} {1}^{{\top}} + {2}",
                      tensor="rule"),
        "bce": _op("bce", 2, lambda sp, p, y: -(y * sp.log(p) + (1 - y) * sp.log(1 - p)),
                   _bce_torch, _bce_prob,
                   (lambda m, p, y: (p - y) / (p * (1.0 - p)),
                    lambda m, p, y: m.log(1.0 - p) - m.log(p)),
                   ("({0} - {1})/({0}(1 - {0}))", "log(1 - {0}) - log({0})"),
                   (r"\frac{{{0} - {1}}}{{{0} (1 - {0})}}", r"\log(1 - {0}) - \log {0}"),
                   N_("binary cross-entropy: ∂/∂p [−y·log p − (1 − y)·log(1 − p)] = "
                      "(p − y)/(p(1 − p))"), text="bce({0}, {1})",
                   latex=r"\operatorname{{BCE}}\left({0}, {1}\right)", domain=N_("0 < p < 1"),
                   tensor="rule", note=N_("torch averages over the entries (reduction='mean')")),
        "cross_entropy": _op(
            "cross_entropy", 1, lambda sp, z: z - z, _ce_torch, lambda m, z: 0.0,
            (lambda m, z: 0.0,), ("softmax({0}) - onehot",), (r"\operatorname{{softmax}}({0}) - e_t",),
            N_("cross-entropy with class targets: ∂/∂z [−log softmax(z)ₜ] = softmax(z) − onehot(t)"),
            text="cross_entropy({0}, {target})",
            latex=r"\operatorname{{CE}}\left({0}\right)", tensor="rule",
            note=N_("torch averages over the batch (reduction='mean')")),
    }
    return functions, ops
