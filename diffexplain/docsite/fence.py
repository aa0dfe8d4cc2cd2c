"""``pymdownx.superfences`` custom fences that run diffexplain while the docs are built.

A page holds the question; the build computes the answer, so a page cannot show a
number this build did not compute::

    ```diffexplain
    (x+w)*(w+1)
    at: w=1,x=2
    wrt: w
    ```

Each fence is a validator and a formatter (superfences' API); nothing here imports
mkdocs, so any Python-Markdown user can register them (see :func:`custom_fences`).
A fence that fails logs a warning on the ``mkdocs.plugins.diffexplain`` logger, which
makes ``mkdocs build --strict`` fail, and shows a one-line error box, never a traceback.

Languages:

* ``diffexplain``: an expression (or program) and ``key: value`` options, see
  :data:`OPTIONS`: the derivation and the autograd run side by side, the numeric check
  and the verdict, the commands that reproduce it.
* ``diffexplain-derivation``: ``derivation: NAME``, a verified derivation from
  :mod:`diffexplain.checking.equations`.
* ``diffexplain-run``: ``script: PATH`` (relative to the docs' project directory), a
  script run at build time with ``--out DIR``; its ``summary.json`` and figures are shown.
* ``diffexplain-cli``: the ``--help`` of the CLI and of each subcommand, from argparse.
* ``diffexplain-options``: the table of the ``diffexplain`` fence's options.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from diffexplain.errors import DiffexplainError

__all__ = [
    "LANGUAGES",
    "OPTIONS",
    "FenceError",
    "custom_fences",
    "format_check",
    "format_cli",
    "format_derivation",
    "format_explain",
    "format_options",
    "format_plot",
    "format_run",
    "format_swell",
    "format_trace",
    "formatter",
    "parse_body",
    "set_context",
    "validator",
]

log = logging.getLogger("mkdocs.plugins.diffexplain")

#: options of the ``diffexplain`` fence and what they mean (also the docs' table)
OPTIONS: dict[str, str] = {
    "at": "the point, as for --at: w=1,x=2",
    "wrt": "variables to differentiate by: w,x (default all)",
    "outputs": "several outputs of a program: y0,y1",
    "weights": "weights of the outputs: 1,2",
    "dtype": "float64 (default) or float32",
    "expect": "agree (default) or disagree: anything else fails the build",
    "show": "sections, any of: graph, symbolic, adjoints, autograd, saved, extras, figure, "
            "figure-autograd, forward, reverse, jacobian, check, reproduce "
            "(default: symbolic, autograd, extras, check, reproduce)",
    "lang": "en (default) or zh: the library's own prose in that language",
    "title": "a caption above the example",
    "options": "more keyword arguments for explain(): name=value, name=value",
}
DEFAULT_SHOW = ("symbolic", "autograd", "extras", "check", "reproduce")
SECTIONS = ("graph", "symbolic", "adjoints", "autograd", "saved", "extras", "figure",
            "figure-autograd", "forward", "reverse", "jacobian", "check", "reproduce")

#: where relative paths (``script:``) are resolved and the current page, set by the plugin
_CONTEXT: dict[str, Any] = {"base_dir": None, "page": None}


class FenceError(DiffexplainError):
    """A fence's own mistake (unknown option, bad value): reported like any input error."""


def set_context(base_dir: str | os.PathLike[str] | None = None, page: str | None = None) -> None:
    """Tell the fences the project directory and the page being built (for messages)."""
    if base_dir is not None:
        _CONTEXT["base_dir"] = str(base_dir)
    _CONTEXT["page"] = page


# --- parsing the fence body -------------------------------------------------------------

def parse_body(source: str, keys: Mapping[str, str] | tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """Split a body into free text and ``key: value`` lines whose key is known.

    Lines whose first word ends in ``:`` but is not a known key are errors, so a
    typo (``wtr: w``) is not silently read as part of the expression.
    """
    text: list[str] = []
    opts: dict[str, str] = {}
    for raw in source.splitlines():
        line = raw.strip()
        if not line:
            continue
        head, sep, rest = line.partition(":")
        if sep and head.strip().isidentifier():
            key = head.strip()
            if key not in keys:
                raise FenceError(f"unknown option {key!r}; known: {', '.join(keys)}")
            if key in opts:
                raise FenceError(f"option {key!r} is given twice")
            opts[key] = rest.strip()
        else:
            text.append(line)
    return "\n".join(text), opts


def _split(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def _literal(s: str) -> Any:
    """A passthrough value: true/false/none, a number, a [list], else the string itself."""
    s = s.strip()
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    if s.startswith("[") and s.endswith("]"):
        return [_literal(x) for x in s[1:-1].split(",") if x.strip()]
    for cast in (int, float):
        try:
            return cast(s)
        except ValueError:
            pass
    return s.strip("\"'")


def _passthrough(s: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not s:
        return out
    depth, start, parts = 0, 0, []
    for k, ch in enumerate(s):  # split on commas outside [...]
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            parts.append(s[start:k])
            start = k + 1
    parts.append(s[start:])
    for part in parts:
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        if not eq or not name.strip().isidentifier():
            raise FenceError(f"options: expected name=value, got {part.strip()!r}")
        out[name.strip()] = _literal(value)
    return out


# --- HTML helpers -----------------------------------------------------------------------

def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _math(tex: str) -> str:
    """Display math in the form pymdownx.arithmatex (generic) emits; KaTeX renders it."""
    return f'<div class="arithmatex">\\[{_e(tex)}\\]</div>'


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A table as Material styles Markdown tables (no class), scrollable when too wide."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return (f'<div class="md-typeset__scrollwrap"><div class="md-typeset__table"><table>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></div>")


_HIGHLIGHTER: list[Any] = []


def _code(src: str, lang: str) -> str:
    """A highlighted code block, as Material styles (and adds copy buttons to) them."""
    if not _HIGHLIGHTER:
        import markdown

        _HIGHLIGHTER.append(markdown.Markdown(extensions=["pymdownx.highlight",
                                                          "pymdownx.superfences"]))
    md = _HIGHLIGHTER[0]
    md.reset()
    return str(md.convert(f"```{lang}\n{src}\n```"))


_MD: list[Any] = []


def _md(text: str) -> str:
    """Markdown made by the library's own renderers (tables, code, $$ math) as HTML."""
    if not _MD:
        import markdown

        _MD.append(markdown.Markdown(extensions=[
            "tables", "pymdownx.highlight", "pymdownx.superfences",
            "pymdownx.arithmatex"], extension_configs={"pymdownx.arithmatex": {"generic": True}}))
    md = _MD[0]
    md.reset()
    return f'<div class="dx-md">{md.convert(text)}</div>'


def _img(data: bytes | str, mime: str, alt: str, caption: str = "") -> str:
    """A figure embedded as a data: URI (generated at build time, never committed)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    b64 = base64.b64encode(raw).decode("ascii")
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    return (f'<figure class="dx-figure"><img src="data:{mime};base64,{b64}" alt="{_e(alt)}">'
            f"{cap}</figure>")


def _lang(opts: Mapping[str, str]) -> str | None:
    lang = opts.get("lang")
    if lang and lang not in ("en", "zh"):
        raise FenceError(f"lang must be en or zh, not {lang!r}")
    return lang


@contextmanager
def _in_lang(lang: str | None) -> Iterator[None]:
    from diffexplain.i18n import use_lang

    with use_lang(lang or "en"):
        yield


def _svg(e: Any, autograd: bool = False) -> str:
    """The graph drawing as SVG (text kept as text); in Chinese labelled in a CJK font."""
    import io

    import matplotlib
    import matplotlib.pyplot as plt

    from diffexplain.i18n import figure_rc
    from diffexplain.render.figure import figure

    lang, rc = figure_rc(getattr(e, "lang", None) or "en")
    with _in_lang(lang), matplotlib.rc_context({**rc, "svg.fonttype": "none"}):
        fig = figure(e, autograd=autograd)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
    return buf.getvalue()


def _admonition(kind: str, title: str, body: str) -> str:
    return (f'<div class="admonition {kind}"><p class="admonition-title">{_e(title)}</p>'
            f"{body}</div>")


def _error_box(language: str, err: BaseException) -> str:
    where = f" in {_CONTEXT['page']}" if _CONTEXT.get("page") else ""
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    log.warning("%s fence%s: %s", language, where, msg)
    return _admonition("failure", f"{language} failed", f"<p>{_e(msg)}</p>")


# --- the diffexplain fence --------------------------------------------------------------

def _num(x: float | None) -> str:
    from diffexplain.core.printing import fmt_number

    return fmt_number(x, 10) if x is not None else "—"


def format_explain(source: str) -> str:
    """The ``diffexplain`` fence: explain() at build time, rendered side by side."""
    from diffexplain.core.parsing import parse_point
    from diffexplain.pipeline import explain

    expr, opts = parse_body(source, OPTIONS)
    if not expr:
        raise FenceError("the fence has no expression")
    show = tuple(_split(opts.get("show")) or DEFAULT_SHOW)
    for s in show:
        if s not in SECTIONS:
            raise FenceError(f"unknown section {s!r} in show; known: {', '.join(SECTIONS)}")
    expect = opts.get("expect", "agree")
    if expect not in ("agree", "disagree"):
        raise FenceError(f"expect must be agree or disagree, not {expect!r}")
    point = parse_point(opts["at"]) if opts.get("at") else None
    weights = [float(w) for w in _split(opts.get("weights")) or []] or None
    kwargs = _passthrough(opts.get("options"))
    lang = _lang(opts)
    if lang:
        kwargs["lang"] = lang
    with _in_lang(lang):  # English unless asked: not the builder's locale
        e = explain(expr, point, wrt=_split(opts.get("wrt")),
                    outputs=_split(opts.get("outputs")), weights=weights,
                    dtype=opts.get("dtype", "float64"), **kwargs)
    if e.verdict.agree != (expect == "agree"):
        raise FenceError(f"{expr!r}: expected the methods to {expect}, but the verdict is: "
                         f"{e.verdict.summary}")
    if lang == "zh":
        return _render_localized(e, expr, opts, show, kwargs)
    return _render_explanation(e, expr, opts, show, kwargs)


def _figures(e: Any, show: tuple[str, ...]) -> str:
    zh = getattr(e, "lang", "en") == "zh"
    figs = []
    if "figure" in show:
        figs.append(_img(_svg(e), "image/svg+xml", "computational graph",
                         "计算图（前向传播的值，反向传播的梯度）" if zh else
                         "The computational graph: values (forward pass) and adjoints (backward)"))
    if "figure-autograd" in show and e.autograd is not None:
        figs.append(_img(_svg(e, autograd=True), "image/svg+xml", "grad_fn graph",
                         "计算图与 torch 的 grad_fn 反向图" if zh else
                         "The graph above torch's real grad_fn graph (saved tensors, .grad)"))
    return f'<div class="dx-figures">{"".join(figs)}</div>' if figs else ""


def _modes(e: Any, show: tuple[str, ...]) -> str:
    parts = []
    for mode in ("forward", "reverse"):
        if mode in show:
            with _in_lang(getattr(e, "lang", "en")):
                parts.append(_code(e.trace(mode).to_text(), "text"))
    if "jacobian" in show:
        with _in_lang(getattr(e, "lang", "en")):
            parts.append(_md(e.jacobian().to_markdown()))
    return "".join(parts)


def _render_localized(e: Any, expr: str, opts: Mapping[str, str], show: tuple[str, ...],
                      kwargs: Mapping[str, Any]) -> str:
    """Another language: the library's own Markdown in that language, the figures, the code."""
    with _in_lang(e.lang):
        body = e.to_markdown()
    body = body.replace("\n## ", "\n#### ").replace("\n### ", "\n#### ")
    body = body[3:] if body.startswith("## ") else body
    parts = ['<div class="diffexplain" lang="zh">']
    if opts.get("title"):
        parts.append(f'<p class="dx-title">{_e(opts["title"])}</p>')
    parts.append(_figures(e, show))
    parts.append(_md(body))
    parts.append(_modes(e, show))
    if "reproduce" in show:
        parts.append('<p class="dx-label">复现</p>')
        parts.append(_code(_cli_command(e, expr, opts) + " --lang zh", "bash"))
        parts.append(_code(_python_call(e, expr, opts, kwargs), "python"))
    parts.append("</div>")
    return "\n".join(parts)


def _render_explanation(e: Any, expr: str, opts: Mapping[str, str], show: tuple[str, ...],
                        kwargs: Mapping[str, Any]) -> str:
    from diffexplain.core.printing import fmt_number
    from diffexplain.render.latex import adjoint_block, derivation_block

    point = ", ".join(f"{k} = {fmt_number(v)}" for k, v in e.point.items())
    parts = ['<div class="diffexplain">']
    if opts.get("title"):
        parts.append(f'<p class="dx-title">{_e(opts["title"])}</p>')
    out = ", ".join(e.outputs)
    values = ", ".join(f"{o} = {fmt_number(e.node(o).value)}" for o in e.outputs)
    if len(e.outputs) > 1:
        out = "L"
        values += "; L = " + " + ".join(f"{fmt_number(w)}·{o}" for o, w in zip(e.outputs, e.weights))
    parts.append(f'<p class="dx-head"><code>{_e(expr)}</code> at {_e(point)}: {_e(values)}</p>')
    figs = _figures(e, show)
    if figs:
        parts.append(figs)
    if "graph" in show:
        rows = [[f"<code>{_e(n.id)}</code>", f"<code>{_e(n.expr)}</code>"
                 if n.kind == "operation" else n.kind, _e(fmt_number(n.value)),
                 "" if n.grad is None else _e(fmt_number(n.grad))] for n in e.nodes]
        parts.append('<p class="dx-label">Computational graph (forward pass)</p>')
        parts.append(_table(["node", "definition", "value", f"∂{_e(out)}/∂node"], rows))
    left: list[str] = []
    if "symbolic" in show:
        left.append('<p class="dx-label">Symbolic (sympy): the chain rule</p>')
        for v, d in e.derivations.items():
            left.append(_math(derivation_block(e, v)))
            why = "".join(f"<li>{_e(line.rule)} <em>(checked: {_e(line.check)})</em></li>"
                          for line in d.lines)
            left.append(f'<details class="note"><summary>Why each line of {_e(d.lhs)} holds'
                        f"</summary><ol>{why}</ol></details>")
    if "adjoints" in show and e.adjoints:
        left.append('<p class="dx-label">Reverse accumulation</p>')
        left.append(_math(adjoint_block(e)))
    right: list[str] = []
    if "autograd" in show and e.autograd is not None:
        a = e.autograd
        right.append(f'<p class="dx-label">Autograd (torch {_e(a.torch_version)}, '
                     f"{_e(a.dtype)})</p>")
        rows = [[f"<code>{_e(n.id)}</code>", f"<code>{_e(n.grad_fn)}</code>" if n.grad_fn
                 else "—", _e(n.is_leaf), _e(n.requires_grad),
                 _e(fmt_number(n.autograd_grad)) if n.autograd_grad is not None else "None"]
                for n in e.nodes if n.kind != "constant"]
        right.append(_table(["tensor", "grad_fn", "is_<wbr>leaf", "requires_<wbr>grad", ".grad"],
                            rows))
        def label(b: Any) -> str:
            return f"{b.name} ({b.node})" if b.node else b.name

        chain = []
        for b in a.backward:
            nxt = ", ".join(label(a.backward[k]) for k in b.next)
            owner = f" ({_e(b.node)})" if b.node else ""
            chain.append(f"<li><code>{_e(b.name)}</code>{owner}"
                         + (f" → {_e(nxt)}" if nxt else "") + "</li>")
        right.append('<p class="dx-small">The backward graph, from the output, through '
                     f"<code>grad_fn.next_functions</code>:</p><ul>{''.join(chain)}</ul>")
        if any(not n.is_leaf for n in e.nodes if n.kind != "constant"):
            right.append('<p class="dx-small">Intermediates called <code>retain_grad()</code>; '
                         "without it a non-leaf's <code>.grad</code> stays None.</p>")
    if "saved" in show and e.autograd is not None:
        rows = [[f"<code>{_e(n.id)}</code>", f"<code>{_e(n.grad_fn)}</code>",
                 ", ".join(f"<code>{_e(a)}</code> = " + (f"{_e(node)} ({_e(fmt_number(v))})"
                                                          if node else _e(fmt_number(v)))
                           for a, node, v in n.saved)]
                for n in e.nodes if n.saved]
        right.append('<p class="dx-label">What each grad_fn saved for backward</p>')
        right.append(_table(["tensor", "grad_fn", "saved"], rows))
    if left and right:
        parts.append('<div class="dx-columns">'
                     f'<div class="dx-col dx-symbolic">{"".join(left)}</div>'
                     f'<div class="dx-col dx-autograd">{"".join(right)}</div></div>')
    elif left or right:  # one side only: full width
        parts.append(f'<div class="dx-single">{"".join(left or right)}</div>')
    if "extras" in show and (e.extras.get("tensor") or e.extras.get("trace")):
        from diffexplain.tensors import summary_lines

        lines = [ln.strip() for ln in summary_lines(e) if ln.strip()]
        parts.append(f'<p class="dx-label">{_e(lines[0])}</p><ul>'
                     + "".join(f"<li>{_e(ln)}</li>" for ln in lines[1:]) + "</ul>")
    if "extras" in show and e.extras:
        from diffexplain.render.extras import markdown_sections

        secs = markdown_sections(e)
        if secs:
            parts.append(_md("\n\n".join(secs).replace("### ", "#### ")))
    modes = _modes(e, show)
    if modes:
        parts.append(modes)
    if "check" in show:
        rows = []
        for v, c in e.verdict.comparisons.items():
            step = e.numeric_steps.get(v)
            rows.append([f"∂/∂{_e(v)}", _e(_num(c.symbolic)), _e(_num(c.autograd)),
                         _e(_num(c.numeric)), _e(f"{step:.2g}") if step else "—",
                         "✓" if c.agree else "✗"])
        parts.append('<p class="dx-label">Side by side: symbolic, autograd, finite '
                     "differences</p>")
        parts.append(_table(["", "symbolic", "autograd", "numeric", "step h", "agree"], rows))
        reasons = "".join(f"<li>∂/∂{_e(v)}: {_e(str(r))}</li>" for v, c in
                          e.verdict.comparisons.items() for r in c.reasons)
        body = f"<p>{_e(e.verdict.summary)}</p>" + (f"<ul>{reasons}</ul>" if reasons else "")
        parts.append(_admonition("success" if e.verdict.agree else "warning",
                                 "Verdict: " + ("they agree" if e.verdict.agree
                                                else "they disagree"), body))
    if "reproduce" in show:
        parts.append('<p class="dx-label">Reproduce it</p>')
        parts.append(_code(_cli_command(e, expr, opts), "bash"))
        parts.append(_code(_python_call(e, expr, opts, kwargs), "python"))
    parts.append("</div>")
    return "\n".join(parts)


def _cli_command(e: Any, expr: str, opts: Mapping[str, str]) -> str:
    from diffexplain.core.printing import fmt_number

    cmd = ["diffexplain", "explain", " ".join(expr.split("\n")) if "\n" in expr else expr]
    if e.point:
        cmd += ["--at", ",".join(f"{k}={fmt_number(v, 17)}" for k, v in e.point.items())]
    for key in ("wrt", "outputs", "weights"):
        if opts.get(key):
            cmd += [f"--{key}", opts[key].replace(" ", "")]
    if e.dtype != "float64":
        cmd += ["--dtype", e.dtype]
    return " ".join(shlex.quote(c) for c in cmd)


def _python_call(e: Any, expr: str, opts: Mapping[str, str], kwargs: Mapping[str, Any]) -> str:
    point = "{" + ", ".join(f"{k!r}: {v!r}" for k, v in e.point.items()) + "}"
    args = [repr(expr), f"at={point}"]
    for key in ("wrt", "outputs"):
        if opts.get(key):
            args.append(f"{key}={_split(opts[key])!r}")
    if opts.get("weights"):
        args.append(f"weights={[float(w) for w in _split(opts['weights']) or []]!r}")
    if e.dtype != "float64":
        args.append(f"dtype={e.dtype!r}")
    args += [f"{k}={v!r}" for k, v in kwargs.items()]
    return ("import diffexplain as dx\n\n"
            f"e = dx.explain({', '.join(args)})\n"
            "print(e)            # the whole explanation\n"
            "print(e.gradient)   # " + repr(e.gradient))


# --- the other fences -------------------------------------------------------------------

def format_derivation(source: str) -> str:
    """The ``diffexplain-derivation`` fence: a verified derivation by name."""
    from diffexplain.checking import equations

    _, opts = parse_body(source, ("derivation", "title", "lang"))
    if not opts.get("derivation"):
        raise FenceError("give the derivation's name: derivation: log-odds")
    lang = _lang(opts)
    with _in_lang(lang):
        d = equations.get(opts["derivation"])
    checks = "".join(f"<li>{_e(s.rule)} <em>(checked: {_e(s.check)})</em></li>" for s in d.steps)
    parts = ['<div class="diffexplain dx-derivation">',
             f'<p class="dx-label">{_e(opts.get("title") or d.title)}</p>', _math(d.to_latex()),
             '<details class="note"><summary>'
             + ("每一行为什么成立、如何验证" if lang == "zh" else
                "Why each line holds, and how it was checked")
             + f"</summary><ol>{checks}</ol></details>"]
    if d.note:
        parts.append(f'<p class="dx-small">{_e(d.note)}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def _base_dir() -> Path:
    return Path(_CONTEXT.get("base_dir") or os.getcwd())


def format_run(source: str) -> str:
    """The ``diffexplain-run`` fence: run a script at build time and show what it made.

    The script is called as ``python SCRIPT --out DIR [args]`` and must write
    ``DIR/summary.json``: ``{"ok": bool, "message": str, "results": {name: value},
    "figures": [{"file": name, "caption": text}], "tables": [...]}``. Figures are
    embedded in the page, so nothing generated is ever committed.
    """
    _, opts = parse_body(source, ("script", "args", "timeout"))
    if not opts.get("script"):
        raise FenceError("give the script: script: examples/logistic_regression.py")
    script = (_base_dir() / opts["script"]).resolve()
    if not script.is_file():
        raise FenceError(f"no such script: {opts['script']}")
    import diffexplain

    env = dict(os.environ)
    pkg_root = str(Path(diffexplain.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = pkg_root + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory(prefix="diffexplain-run-") as out:
        cmd = [sys.executable, str(script), "--out", out, *shlex.split(opts.get("args", ""))]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                  cwd=str(_base_dir()), timeout=float(opts.get("timeout", 300)))
        except subprocess.TimeoutExpired:
            raise FenceError(f"{opts['script']} did not finish in time") from None
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise FenceError(f"{opts['script']} exited with {proc.returncode}: {last}")
        summary_path = Path(out) / "summary.json"
        if not summary_path.is_file():
            raise FenceError(f"{opts['script']} wrote no summary.json")
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        if not summary.get("ok"):
            raise FenceError(f"{opts['script']}: {summary.get('message', 'not ok')}")
        parts = ['<div class="diffexplain dx-run">']
        if summary.get("message"):
            parts.append(_admonition("success", "Checked at build time",
                                     f"<p>{_e(summary['message'])}</p>"))
        results = summary.get("results") or {}
        if results:
            parts.append(_table([_e(k) for k in results], [[_e(v) for v in results.values()]]))
        for t in summary.get("tables", []):
            parts.append(f'<p class="dx-label">{_e(t.get("title", ""))}</p>')
            parts.append(_table([_e(h) for h in t["header"]],
                                [[_e(c) for c in r] for r in t["rows"]]))
        figs = []
        for fig in summary.get("figures", []):
            path = Path(out) / fig["file"]
            mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            figs.append(f'<figure class="dx-figure"><img src="data:{mime};base64,{data}" '
                        f'alt="{_e(fig.get("caption", fig["file"]))}">'
                        f"<figcaption>{_e(fig.get('caption', ''))}</figcaption></figure>")
        if figs:
            parts.append(f'<div class="dx-figures">{"".join(figs)}</div>')
        parts.append(_code(f"python {opts['script']} --out figures/", "bash"))
        parts.append("</div>")
        return "\n".join(parts)


@contextmanager
def _columns(n: int) -> Iterator[None]:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(n)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def format_cli(source: str) -> str:
    """The ``diffexplain-cli`` fence: ``--help`` of the CLI and each subcommand, from argparse."""
    import argparse

    from diffexplain.cli import main_parser

    _, opts = parse_body(source, ("command",))
    with _in_lang("en"):  # the builder's locale must not pick the help's language
        parser = main_parser()
    subs: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            subs = dict(action.choices)
    wanted = opts.get("command", "all")
    parts = ['<div class="diffexplain dx-cli">']
    with _columns(80), _in_lang("en"):
        if wanted in ("all", "diffexplain"):
            parts.append(f'<h2 id="diffexplain">diffexplain</h2>'
                         f"{_code(parser.format_help().rstrip(), 'text')}")
        for name, sub in subs.items():
            if wanted in ("all", name):
                parts.append(f'<h2 id="{_e(name)}">diffexplain {_e(name)}</h2>'
                             f"{_code(sub.format_help().rstrip(), 'text')}")
    if wanted not in ("all", "diffexplain", *subs):
        raise FenceError(f"no subcommand {wanted!r}; known: {', '.join(subs)}")
    parts.append("</div>")
    return "\n".join(parts)


def format_options(source: str) -> str:
    """The ``diffexplain-options`` fence: the table of the ``diffexplain`` fence's options."""
    parse_body(source, ())
    rows = [[f"<code>{_e(k)}</code>", _e(v)] for k, v in OPTIONS.items()]
    return _table(["option", "meaning"], rows)


def _fig_png(fig: Any, lang: str | None = None) -> bytes:
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def format_trace(source: str) -> str:
    """The ``diffexplain-trace`` fence: ``dx.trace`` of a Python function (control flow)."""
    from diffexplain.core.parsing import parse_point
    from diffexplain.core.tracing import load_function, trace

    _, opts = parse_body(source, ("function", "at", "wrt", "lang", "show", "title"))
    if not opts.get("function") or not opts.get("at"):
        raise FenceError("give function: examples/control.py:f and at: a=10")
    path, _, name = opts["function"].rpartition(":")
    spec = f"{(_base_dir() / path).resolve()}:{name}"
    lang = _lang(opts)
    show = tuple(_split(opts.get("show")) or ("symbolic", "autograd", "extras", "check"))
    with _in_lang(lang):
        e = trace(load_function(spec), parse_point(opts["at"]), wrt=_split(opts.get("wrt")),
                  lang=lang or "en")
    if not e.verdict.agree:
        raise FenceError(f"{opts['function']}: the methods disagree: {e.verdict.summary}")
    src = (_base_dir() / path).read_text(encoding="utf-8")
    cmd = f"diffexplain trace {path}:{name} --at {opts['at']}"
    if lang == "zh":
        with _in_lang("zh"):
            body = e.to_markdown()
        body = body.replace("\n## ", "\n#### ").replace("\n### ", "\n#### ")
        body = body[3:] if body.startswith("## ") else body
        html_ = ('<div class="diffexplain" lang="zh">' + _code(src.strip(), "python")
                 + _md(body) + _code(cmd + " --lang zh", "bash") + "</div>")
        return html_
    inner = _render_explanation(e, f"{name}({', '.join(e.point)})", opts, show, {})
    return (_code(src.strip(), "python") + inner + '<p class="dx-label">Reproduce it</p>'
            + _code(cmd, "bash"))


def format_plot(source: str) -> str:
    """The ``diffexplain-plot`` fence: E9's tangent plot and difference table, drawn now."""
    import matplotlib

    from diffexplain.i18n import figure_rc
    from diffexplain.lessons.plot import figure, tangent_plot

    expr, opts = parse_body(source, ("at", "lang", "title"))
    if not expr or not opts.get("at"):
        raise FenceError("give an expression and at: x=1")
    lang, rc = figure_rc(_lang(opts) or "en")
    with _in_lang(lang), matplotlib.rc_context(rc):
        t = tangent_plot(expr, opts["at"])
        png = _fig_png(figure(t))
    rows = [[f"{r.h:.0e}", f"{r.forward:.5f}", f"{r.forward_error:.1e}", f"{r.forward32:.5f}",
             f"{r.forward32_error:.1e}", f"{r.central:.8f}", f"{r.central_error:.1e}"]
            for r in t.rows]
    zh = lang == "zh"
    cap = (f"f(x) = {expr} 与切线 {t.tangent}；差商误差随 h 的变化（对数坐标）" if zh else
           f"f(x) = {expr} with its tangent {t.tangent}; |quotient − f′| against h (log–log)")
    head = (["h", "前向差分", "误差", "前向 float32", "误差", "中心差分", "误差"] if zh else
            ["h", "forward", "error", "forward f32", "error", "central", "error"])
    return ('<div class="diffexplain dx-plot">' + _img(png, "image/png", cap, cap)
            + _table(head, rows)
            + _code(f"diffexplain plot {shlex.quote(expr)} --at {opts['at']} -o tangent.png",
                    "bash") + "</div>")


def format_swell(source: str) -> str:
    """The ``diffexplain-swell`` fence: the expression-swell table and plot (small budget)."""
    from diffexplain.lessons.swell import swell

    _, opts = parse_body(source, ("max_n", "seconds", "lang"))
    max_n = int(opts.get("max_n", 6))
    if not 1 <= max_n <= 8:
        raise FenceError("max_n must be 1 … 8 (the build must stay fast)")
    t = swell(max_n=max_n, budget_seconds=float(opts.get("seconds", 20)))
    png = _fig_png(t.figure())
    zh = _lang(opts) == "zh"
    cap = ("逻辑斯蒂映射的表达式膨胀：导数的大小随 n 增长" if zh else
           "Expression swell of the logistic map: derivative sizes against n")
    return ('<div class="diffexplain dx-swell">' + _md(t.to_markdown())
            + _img(png, "image/png", cap, cap)
            + _code(f"diffexplain swell --max-n {max_n} --plot swell.png", "bash") + "</div>")


def format_check(source: str) -> str:
    """The ``diffexplain-check`` fence: ``dx.check`` grades a derivation; ``expect:`` a code."""
    from diffexplain.checking import check

    expr, opts = parse_body(source, ("wrt", "at", "steps", "expect", "lang"))
    if not expr or not opts.get("steps"):
        raise FenceError("give an expression and steps: b*1 + a*1; b")
    lang = _lang(opts) or "en"
    with _in_lang(lang):
        r = check(expr, wrt=opts.get("wrt"), steps=opts["steps"], at=opts.get("at"), lang=lang)
        text = r.to_text()
    code = r.mistake.code if r.mistake is not None else "none"
    if opts.get("expect") and opts["expect"] != code:
        raise FenceError(f"{expr!r}: expected mistake {opts['expect']}, got {code}")
    cmd = ["diffexplain", "check", expr]
    if opts.get("wrt"):
        cmd += ["--wrt", opts["wrt"]]
    if opts.get("at"):
        cmd += ["--at", opts["at"]]
    cmd += ["--steps", opts["steps"]]
    if lang != "en":
        cmd += ["--lang", lang]
    return ('<div class="diffexplain dx-check">'
            + _code(" ".join(shlex.quote(c) for c in cmd), "bash")
            + _code(text.rstrip(), "text") + "</div>")


#: fence language → function of the fence's body that returns HTML
LANGUAGES: dict[str, Callable[[str], str]] = {
    "diffexplain": format_explain,
    "diffexplain-options": format_options,
    "diffexplain-derivation": format_derivation,
    "diffexplain-run": format_run,
    "diffexplain-cli": format_cli,
    "diffexplain-trace": format_trace,
    "diffexplain-plot": format_plot,
    "diffexplain-swell": format_swell,
    "diffexplain-check": format_check,
}


# --- superfences' API -------------------------------------------------------------------

def validator(language: str, inputs: Mapping[str, str], options: dict[str, Any],
              attrs: dict[str, Any], md: Any) -> bool:
    """Accept the fence; options live in its body (``key: value`` lines), not its header."""
    if inputs:
        options["header"] = dict(inputs)  # reported by the formatter, not silently ignored
    return language in LANGUAGES


#: fences already rendered in this process: a page built once per language runs them once
_DONE: dict[tuple[str, str], str] = {}


def formatter(source: str, language: str, class_name: str, options: Mapping[str, Any],
              md: Any, **kwargs: Any) -> str:
    """Run the fence at build time; on failure log a warning and show a one-line error."""
    key = (language, source)
    if key in _DONE:  # the same fence on another language's copy of a page (i18n fallback)
        return _DONE[key]
    try:
        if options.get("header"):
            raise FenceError(f"options go in the fence's body as 'key: value' lines, not in "
                             f"its header ({', '.join(options['header'])})")
        out = LANGUAGES[language](source)
        _DONE[key] = out
        return out
    except DiffexplainError as err:
        return _error_box(language, err)
    except Exception as err:  # noqa: BLE001 - the build must report it, not crash mid-page
        return _error_box(language, RuntimeError(f"{type(err).__name__}: {err}"))


def custom_fences() -> list[dict[str, Any]]:
    """The ``custom_fences`` entries for ``pymdownx.superfences``, one per language."""
    return [{"name": name, "class": name, "format": formatter, "validator": validator}
            for name in LANGUAGES]
