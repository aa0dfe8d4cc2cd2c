"""Fences that put torch's own tools beside diffexplain, and the exercises of each page.

* ``diffexplain-exercise``: an exercise's ``diffexplain check`` command, and its answer
  (computed by this build, folded away) — the page's prose asks the question.
* ``diffexplain-gradcheck``: ``torch.autograd.gradcheck`` (and ``gradgradcheck``) run on
  the expression's graph now, next to diffexplain's verdict on the same point.
* ``diffexplain-jvp``: torch's forward mode (``torch.func.jvp`` and
  ``torch.autograd.forward_ad``) on the graph, one tangent per input, beside the
  forward trace table.

The torch function is the graph itself, run by the same executor autograd uses
(:func:`diffexplain.methods.autograd.execute`); the code shown is that computation in
plain torch, and only expressions whose functions are ``torch.<name>`` are accepted,
so the code shown and the code run agree.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from typing import Any

from diffexplain.docsite.common import FenceError, in_lang, lang_of, parse_body, split_list
from diffexplain.render.htmlkit import code, esc, table

__all__ = ["format_exercise", "format_gradcheck", "format_jvp"]


def _words(lang: str | None, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def _short(v: float) -> str:
    return repr(int(v)) if float(v).is_integer() and abs(v) < 1e16 else f"{v:.6g}"


def _explained(expr: str, at: str, wrt: list[str] | None, lang: str | None) -> Any:
    from diffexplain.core.points import parse_point
    from diffexplain.pipeline import explain

    with in_lang(lang):
        return explain(expr, parse_point(at), wrt=wrt, lang=lang or "en")


def format_exercise(source: str) -> str:
    """The ``diffexplain-exercise`` fence: the grading command and the answer of one exercise."""
    expr, opts = parse_body(source, ("at", "wrt", "lang"))
    if not expr or not opts.get("at"):
        raise FenceError("give an expression and at: x=1")
    lang = lang_of(opts)
    wrt = split_list(opts.get("wrt"))
    if wrt is not None and len(wrt) != 1:
        raise FenceError("an exercise asks for one derivative: wrt: w")
    e = _explained(expr, opts["at"], wrt, lang)
    if not e.verdict.agree:
        raise FenceError(f"{expr!r}: the methods disagree, not an exercise: {e.verdict.summary}")
    var = wrt[0] if wrt else next(iter(e.gradient))
    value = e.gradient[var]
    steps = _words(lang, "your steps; separated; by semicolons", "你的推导；用分号；分隔")
    cmd = ["diffexplain", "check", expr]
    if wrt or len(e.gradient) > 1:
        cmd += ["--wrt", var]
    cmd += ["--at", opts["at"].replace(" ", ""), "--steps", steps]
    if lang == "zh":
        cmd += ["--lang", "zh"]
    d = e.derivations.get(var)
    lines = "".join(f"<li><code>{esc(line.text)}</code></li>" for line in d.lines) if d else ""
    answer = _words(lang, "Answer", "答案")
    body = (f"<p>∂{esc(', '.join(e.outputs))}/∂{esc(var)} = {esc(_short(value))}</p>"
            + (f"<ol>{lines}</ol>" if lines else ""))
    lead = _words(lang, "Grade your derivation:", "批改你的推导：")
    return ('<div class="diffexplain dx-exercise">'
            f'<p class="dx-small">{esc(lead)}</p>'
            + code(" ".join(shlex.quote(c) for c in cmd), "bash")
            + f'<details class="tip"><summary>{esc(answer)}</summary>{body}</details></div>')


# --- torch's own tools ------------------------------------------------------------------

def _torch_function(e: Any) -> tuple[Callable[..., Any], list[str]]:
    """The explanation's graph as a torch function of its variables (float64 scalars)."""
    import torch

    from diffexplain.methods.autograd import execute

    g = e.scalar_graph()[0]
    names = [n.name for n in g.nodes if n.op == "var"]
    missing = [f for f in _functions(e.expression) if not hasattr(torch, f)]
    if missing:
        raise FenceError(f"{missing[0]} is not torch.{missing[0]}: the code shown would differ")

    def f(*xs: Any) -> Any:
        vals = execute(g, {}, leaves=dict(zip(names, xs)))
        return sum(torch.as_tensor(vals[o], dtype=torch.float64) for o in g.outputs)

    return f, names


def _functions(g: Any) -> list[str]:
    """The function names the expression calls (``sin(`` …), as written."""
    import re

    return re.findall(r"([A-Za-z_]\w*)\s*\(", g)


def _code_prelude(e: Any, names: Sequence[str], fns: Sequence[str]) -> str:
    imports = ", ".join(sorted(set(fns)))
    args = ", ".join(names)
    return ("import torch\n" + (f"from torch import {imports}\n" if imports else "") + "\n"
            f"def f({args}):\n    return {e.expression}\n\n"
            + "\n".join(f"{n} = torch.tensor({_short(float(e.point[n]))}, dtype=torch.float64)"
                        for n in names))


def _scalar_point(e: Any) -> None:
    if any(isinstance(v, (list, tuple)) for v in e.point.values()) or "\n" in e.expression \
            or ";" in e.expression or "=" in e.expression:
        raise FenceError("these fences take one scalar expression (no program, no vectors)")


def format_gradcheck(source: str) -> str:
    """The ``diffexplain-gradcheck`` fence: torch.autograd.gradcheck beside the verdict."""
    import torch

    expr, opts = parse_body(source, ("at", "lang", "expect"))
    if not expr or not opts.get("at"):
        raise FenceError("give an expression and at: x=1")
    lang = lang_of(opts)
    e = _explained(expr, opts["at"], None, lang)
    _scalar_point(e)
    f, names = _torch_function(e)
    xs = tuple(torch.tensor(float(e.point[n]), dtype=torch.float64, requires_grad=True)
               for n in names)
    first = bool(torch.autograd.gradcheck(f, xs, raise_exception=False))
    second = bool(torch.autograd.gradgradcheck(f, xs, raise_exception=False))
    expect = opts.get("expect")
    if expect and expect not in ("pass", "fail"):
        raise FenceError(f"expect must be pass or fail, not {expect!r}")
    if expect and (expect == "pass") != first:
        raise FenceError(f"{expr!r}: gradcheck was expected to {expect}, it returned {first}")
    prelude = _code_prelude(e, names, _functions(e.expression))
    src = (prelude.replace("float64)", "float64, requires_grad=True)")
           + f"\n\ntorch.autograd.gradcheck(f, ({', '.join(names)},))       # {first}"
           + f"\ntorch.autograd.gradgradcheck(f, ({', '.join(names)},))   # {second}")
    yes, no = _words(lang, "passes", "通过"), _words(lang, "fails", "不通过")
    head = [_words(lang, "check", "检查"), _words(lang, "result", "结果")]
    rows = [["<code>torch.autograd.gradcheck</code>", esc(yes if first else no)],
            ["<code>torch.autograd.gradgradcheck</code>", esc(yes if second else no)],
            [esc(_words(lang, "diffexplain's verdict", "diffexplain 的结论")),
             ("✓ " if e.verdict.agree else "✗ ") + esc(e.verdict.summary)
             + "".join(f"<br>∂/∂{esc(v)}: {esc(r)}" for v, c in e.verdict.comparisons.items()
                       for r in c.reasons)]]
    cmd = f"diffexplain explain {shlex.quote(expr)} --at {opts['at']}"
    return ('<div class="diffexplain dx-gradcheck">' + code(src, "python") + table(head, rows)
            + code(cmd + (" --lang zh" if lang == "zh" else ""), "bash") + "</div>")


def format_jvp(source: str) -> str:
    """The ``diffexplain-jvp`` fence: torch.func.jvp and forward_ad, one tangent per input."""
    import torch
    import torch.autograd.forward_ad as fwAD
    from torch.func import jvp

    expr, opts = parse_body(source, ("at", "lang"))
    if not expr or not opts.get("at"):
        raise FenceError("give an expression and at: x=1")
    lang = lang_of(opts)
    e = _explained(expr, opts["at"], None, lang)
    _scalar_point(e)
    f, names = _torch_function(e)
    primal = tuple(torch.tensor(float(e.point[n]), dtype=torch.float64) for n in names)
    rows = []
    for k, n in enumerate(names):
        seed = tuple(torch.tensor(1.0 if j == k else 0.0, dtype=torch.float64)
                     for j in range(len(names)))
        t1 = jvp(f, primal, seed)[1]
        with fwAD.dual_level():
            duals = [fwAD.make_dual(p, s) for p, s in zip(primal, seed)]
            t2 = fwAD.unpack_dual(f(*duals)).tangent
        grad = e.gradient.get(n)
        rows.append([f"<code>{esc(n)}</code>", esc(_short(float(t1))), esc(_short(float(t2))),
                     esc(_short(grad)) if grad is not None else "—",
                     "✓" if grad is not None and abs(float(t1) - grad) <= 1e-9 * max(1, abs(grad))
                     and float(t1) == float(t2) else "✗"])
    if any(r[-1] != "✓" for r in rows):
        raise FenceError(f"{expr!r}: forward mode and diffexplain's gradient differ")
    pre = _code_prelude(e, names, _functions(e.expression))
    duals = [f"fwAD.make_dual({n}, torch.tensor({1.0 if j == 0 else 0.0}))"
             for j, n in enumerate(names)]
    seeds = ", ".join("torch.tensor(1.)" if j == 0 else "torch.tensor(0.)"
                      for j in range(len(names)))
    src = (pre + "\n\n# " + _words(lang, f"one forward pass per input: the tangent of {names[0]}",
                                   f"每个输入一次前向传播：{names[0]} 方向的切向量")
           + f"\nvalue, tangent = torch.func.jvp(f, ({', '.join(names)},), ({seeds},))\n\n"
           "import torch.autograd.forward_ad as fwAD\nwith fwAD.dual_level():\n"
           f"    out = f({', '.join(duals)})\n"
           "    tangent = fwAD.unpack_dual(out).tangent")
    head = [_words(lang, "seed", "种子"), "torch.func.jvp", "forward_ad",
            _words(lang, "diffexplain's gradient", "diffexplain 的梯度"), ""]
    return ('<div class="diffexplain dx-jvp">' + code(src, "python") + table(head, rows) + "</div>")

