"""E11: train the notes' logistic regression, and check its gradient against the textbook.

The five steps of the notes: data, model, loss, optimizer, iterate (forward, loss,
backward, step, zero_grad). Two classes of 100 points around (±1.7 + bias); the model
nn.Linear(2, 1) + Sigmoid; BCELoss; SGD (lr 0.01, momentum 0.9); up to 1000 iterations,
stopping when the accuracy, checked every 20 iterations as in the notes, exceeds 0.99.

At step 0 the gradient autograd computes is compared with the textbook formula
∂L/∂w = mean((σ(z) − t)·x), ∂L/∂b = mean(σ(z) − t), and with the derivative that
diffexplain derives symbolically (``diffexplain.checking.equations.bce_sigmoid_gradient``),
evaluated on the same batch.

Run it::

    python examples/logistic_regression.py --out figures/ [--lang zh]

Everything it writes or prints for a reader (the summary, the tables, the figures' labels)
goes through diffexplain's ``_()``: ``--lang zh`` (or a Chinese ``LANG``) gives Chinese.

It writes ``decision_boundary.png``, ``curves.png`` and ``summary.json`` (what the docs
site shows) and exits with 1 if the gradients disagree or the accuracy is not reached.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from diffexplain.errors import InputError
from diffexplain.i18n import _, figure_rc, get_lang, normalize, use_lang

#: autograd vs the textbook formula, both float32 means over 200 samples (~80 ulps of 1.0)
GRAD_TOL = 1e-5


def make_data(seed: int, bias: float, n: int = 100) -> tuple[Any, Any]:
    import torch

    torch.manual_seed(seed)
    n_data = torch.ones(n, 2)
    x0 = torch.normal(1.7 * n_data, 1) + bias  # class 0
    y0 = torch.zeros(n)
    x1 = torch.normal(-1.7 * n_data, 1) + bias  # class 1
    y1 = torch.ones(n)
    return torch.cat((x0, x1), 0), torch.cat((y0, y1), 0)


def gradient_check(x: Any, t: Any, weight: Any, bias: Any, grad_w: Any, grad_b: Any) -> dict[str, Any]:
    """Autograd's step-0 gradient vs the textbook formula vs the library's derivation."""
    from diffexplain.checking.equations import bce_sigmoid_gradient
    from diffexplain.methods.identity import evaluate

    d = bce_sigmoid_gradient()
    z_sym, t_sym, dl_dz = d.objects["z"], d.objects["t"], d.objects["dL_dz"]
    xs = x.double().tolist()
    ts = t.double().tolist()
    w = weight.double().reshape(-1).tolist()
    b = float(bias.double().reshape(-1)[0])
    n = len(xs)
    derived = [0.0, 0.0, 0.0]  # w0, w1, b: the symbolic ∂L/∂z times ∂z/∂θ, averaged
    textbook = [0.0, 0.0, 0.0]
    for (xa, xb), tt in zip(xs, ts):
        z = w[0] * xa + w[1] * xb + b
        g = evaluate(dl_dz, {z_sym: z, t_sym: tt})
        s = 1.0 / (1.0 + math.exp(-z))
        for k, xi in enumerate((xa, xb, 1.0)):
            derived[k] += g * xi / n
            textbook[k] += (s - tt) * xi / n
    import torch

    # the textbook formula as the notes compute it: float32 tensors, BCELoss's mean
    zz = x @ weight.reshape(-1) + bias.reshape(-1)[0]
    r = torch.sigmoid(zz) - t
    tb32 = [*(r[:, None] * x).mean(0).tolist(), float(r.mean())]
    auto = [*grad_w.double().reshape(-1).tolist(), float(grad_b.double().reshape(-1)[0])]
    return {"names": ["∂L/∂w0", "∂L/∂w1", "∂L/∂b"], "autograd": auto, "textbook": tb32,
            "textbook64": textbook, "derived": derived,
            "max_diff": max(abs(a - c) for a, c in zip(auto, tb32)),
            "max_diff_derived": max(abs(a - c) for a, c in zip(derived, textbook))}


def train(seed: int = 1, bias: float = 1.0, max_iter: int = 1000, check_every: int = 20) -> dict[str, Any]:
    import torch
    from torch import nn

    x, t = make_data(seed, bias)  # step 1: the data (seeds torch once, as the notes do)
    model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())  # step 2: the model
    loss_fn = nn.BCELoss()  # step 3: the loss
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)  # step 4: the optimizer
    losses: list[float] = []
    accs: list[float] = []
    check = None
    stop = None
    for it in range(max_iter):  # step 5: iterate
        y = model(x).squeeze(1)
        loss = loss_fn(y, t)
        loss.backward()
        if it == 0:
            lin = model[0]
            check = gradient_check(x, t, lin.weight.detach(), lin.bias.detach(),
                                   lin.weight.grad, lin.bias.grad)
        opt.step()
        opt.zero_grad()
        correct = int(((y.detach() >= 0.5).float() == t).sum())
        acc = correct / t.numel()
        losses.append(loss.item())
        accs.append(acc)
        if it % check_every == 0 and acc > 0.99:  # the notes' check, on 0-based iterations
            stop = it
            break
    lin = model[0]
    w0, w1 = (float(v) for v in lin.weight.detach().reshape(-1))
    return {"x": x, "t": t, "losses": losses, "accuracies": accs, "stopped_at": stop,
            "iterations": len(losses), "w0": w0, "w1": w1, "b": float(lin.bias.detach()[0]),
            "loss": losses[-1], "accuracy": accs[-1], "check": check,
            "torch": torch.__version__}


def boundary_figure(result: dict[str, Any]) -> Any:
    """Both classes and the line w0·x₁ + w1·x₂ + b = 0: labelled axes, a legend beside no point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    x = np.asarray(result["x"])
    t = np.asarray(result["t"]).reshape(-1)
    fig, ax = plt.subplots(figsize=(5.2, 4.9), dpi=110)
    ax.scatter(x[t == 0, 0], x[t == 0, 1], s=14, c="tab:red", label=_("class 0"))
    ax.scatter(x[t == 1, 0], x[t == 1, 1], s=14, c="tab:green", label=_("class 1"))
    w0, w1, b = result["w0"], result["w1"], result["b"]
    xs = np.linspace(x[:, 0].min() - 0.5, x[:, 0].max() + 0.5, 50)
    ax.plot(xs, -(w0 * xs + b) / w1, c="tab:blue", lw=2, label="w0·x₁ + w1·x₂ + b = 0")
    ax.set_xlim(x[:, 0].min() - 0.5, x[:, 0].max() + 0.5)
    ax.set_ylim(x[:, 1].min() - 0.5, x[:, 1].max() + 0.5)
    ax.set_xlabel(_("x₁ (first feature)"))
    ax.set_ylabel(_("x₂ (second feature)"))
    it = result["stopped_at"] if result["stopped_at"] is not None else result["iterations"] - 1
    ax.set_title(_("iteration {iteration}: loss {loss}, accuracy {accuracy}").format(
        iteration=it, loss=f"{result['loss']:.4f}", accuracy=f"{result['accuracy']:.1%}")
        + f"\nw0 {w0:.4f}, w1 {w1:.4f}, b {b:.4f}", fontsize=9)
    # below the axes: inside, "best" still sits on a point when the classes fill the corners
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3,
              frameon=False)
    fig.tight_layout()
    return fig


def plot(result: dict[str, Any], out: Path) -> list[dict[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    lang, rc = figure_rc(get_lang())  # a CJK font for Chinese labels (English if none)
    with use_lang(lang), matplotlib.rc_context(rc):
        fig = boundary_figure({**result, "x": result["x"].numpy(), "t": result["t"].numpy()})
        fig.savefig(out / "decision_boundary.png")
        plt.close(fig)

        fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.2, 3.0), dpi=110)
        its = np.arange(1, len(result["losses"]) + 1)
        a1.plot(its, result["losses"], c="tab:blue")
        a1.set_xlabel(_("iteration"))
        a1.set_ylabel(_("BCE loss"))
        a1.set_title(_("loss"), fontsize=9)
        a2.plot(its, result["accuracies"], c="tab:orange")
        a2.axhline(0.99, c="grey", ls="--", lw=1)
        a2.set_xlabel(_("iteration"))
        a2.set_ylabel(_("accuracy"))
        a2.set_title(_("accuracy (stop above 0.99)"), fontsize=9)
        fig.tight_layout()
        fig.savefig(out / "curves.png")
        plt.close(fig)
    return [{"file": "decision_boundary.png",
             "caption": _("Both classes and the learned decision boundary w0·x₁ + w1·x₂ + b = 0")},
            {"file": "curves.png", "caption": _("Loss and accuracy per iteration")}]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("figures"), help=_("output directory"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bias", type=float, default=1.0,
                   help=_("offset of both classes (notes: 1 or 1.5)"))
    p.add_argument("--max-iter", type=int, default=1000)
    p.add_argument("--lang", default=None,
                   help=_("language of the summary and the figures: en or zh (default: LANG)"))
    args = p.parse_args(argv)
    try:
        lang = normalize(args.lang) if args.lang else None
    except InputError as exc:  # an unknown language: one line, exit 2
        p.error(exc.message)
    with use_lang(lang):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    r = train(args.seed, args.bias, args.max_iter)
    figures = plot(r, args.out)
    c = r["check"]
    ok_grad = c["max_diff"] < GRAD_TOL and c["max_diff_derived"] < 1e-12
    ok_acc = r["stopped_at"] is not None
    sentences = [
        _("Trained with torch {torch} (seed {seed}, bias {bias}):").format(
            torch=r["torch"], seed=args.seed, bias=f"{args.bias:g}"),
        _("accuracy > 0.99 reached at iteration {iteration}.").format(iteration=r["stopped_at"])
        if ok_acc else _("accuracy > 0.99 NOT reached in {n} iterations.").format(n=args.max_iter),
        _("At step 0 autograd and the textbook formula (float32) differ by at most {diff} "
          "(tolerance {tol}, float32 round-off); diffexplain's symbolic derivative and the "
          "textbook formula (float64) by {diff64}.").format(
            diff=f"{c['max_diff']:.1e}", tol=f"{GRAD_TOL:g}", diff64=f"{c['max_diff_derived']:.1e}")]
    message = ("" if get_lang() == "zh" else " ").join(sentences)
    summary = {
        "ok": ok_grad and ok_acc,
        "message": message,
        "results": {_("stopped at iteration"): r["stopped_at"],
                    _("iterations run"): r["iterations"], _("loss"): f"{r['loss']:.4f}",
                    _("accuracy"): f"{r['accuracy']:.1%}", "w0": f"{r['w0']:.4f}",
                    "w1": f"{r['w1']:.4f}", "b": f"{r['b']:.4f}"},
        "tables": [{"title": _("Step 0: the gradient of the BCE loss through the sigmoid"),
                    "header": ["", _("autograd (float32)"),
                               _("textbook mean((σ(z) − t)·x), float32"),
                               _("|autograd − textbook|"), _("symbolic ∂L/∂z·∂z/∂θ, float64")],
                    "rows": [[n, f"{a:.8f}", f"{tb:.8f}", f"{abs(a - tb):.1e}", f"{d:.8f}"]
                             for n, a, tb, d in zip(c["names"], c["autograd"], c["textbook"],
                                                    c["derived"])]}],
        "figures": figures,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False),
                                           encoding="utf-8")
    print(message)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
