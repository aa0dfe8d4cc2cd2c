"""The other fences: scripts run at build time, the CLI's help, traces, plots, swell, check."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from diffexplain.docsite.common import FenceError, base_dir, in_lang, lang_of, parse_body, split_list
from diffexplain.docsite.explain import render_page
from diffexplain.render.htmlkit import admonition, code, esc, img, markdown_html, table

__all__ = ["format_check", "format_cli", "format_plot", "format_run", "format_swell", "format_trace"]


def format_run(source: str) -> str:
    """The ``diffexplain-run`` fence: run a script at build time and show what it made.

    The script is called as ``python SCRIPT --out DIR [args] --lang LANG`` (the fence's
    ``lang``, ``en`` by default: the page decides, not the build machine's locale) and must write
    ``DIR/summary.json``: ``{"ok": bool, "message": str, "results": {name: value},
    "figures": [{"file": name, "caption": text}], "tables": [...]}``. Figures are
    embedded in the page, so nothing generated is ever committed.
    """
    _, opts = parse_body(source, ("script", "args", "timeout", "lang"))
    lang = lang_of(opts)
    if not opts.get("script"):
        raise FenceError("give the script: script: examples/logistic_regression.py")
    script = (Path(base_dir()) / opts["script"]).resolve()
    if not script.is_file():
        raise FenceError(f"no such script: {opts['script']}")
    import diffexplain

    env = dict(os.environ)
    pkg_root = str(Path(diffexplain.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = pkg_root + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory(prefix="diffexplain-run-") as out:
        # always a language: the page's, never the build machine's LANG
        cmd = [sys.executable, str(script), "--out", out, *shlex.split(opts.get("args", "")),
               "--lang", lang or "en"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                  cwd=str(Path(base_dir())), timeout=float(opts.get("timeout", 300)))
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
            parts.append(admonition("success", "构建时已验证" if lang == "zh" else "Checked at build time",
                                     f"<p>{esc(summary['message'])}</p>"))
        results = summary.get("results") or {}
        if results:
            parts.append(table([esc(k) for k in results], [[esc(v) for v in results.values()]]))
        for t in summary.get("tables", []):
            parts.append(f'<p class="dx-label">{esc(t.get("title", ""))}</p>')
            parts.append(table([esc(h) for h in t["header"]],
                                [[esc(c) for c in r] for r in t["rows"]]))
        figs = []
        for fig in summary.get("figures", []):
            path = Path(out) / fig["file"]
            mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            figs.append(f'<figure class="dx-figure"><img src="data:{mime};base64,{data}" '
                        f'alt="{esc(fig.get("caption", fig["file"]))}">'
                        f"<figcaption>{esc(fig.get('caption', ''))}</figcaption></figure>")
        if figs:
            parts.append(f'<div class="dx-figures">{"".join(figs)}</div>')
        parts.append(code(f"python {opts['script']} --out figures/"
                          + (f" --lang {lang}" if lang == "zh" else ""), "bash"))
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
    with in_lang("en"):  # the builder's locale must not pick the help's language
        parser = main_parser()
    subs: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            subs = dict(action.choices)
    wanted = opts.get("command", "all")
    parts = ['<div class="diffexplain dx-cli">']
    with _columns(80), in_lang("en"):
        if wanted in ("all", "diffexplain"):
            parts.append(f'<h2 id="diffexplain">diffexplain</h2>'
                         f"{code(parser.format_help().rstrip(), 'text')}")
        for name, sub in subs.items():
            if wanted in ("all", name):
                parts.append(f'<h2 id="{esc(name)}">diffexplain {esc(name)}</h2>'
                             f"{code(sub.format_help().rstrip(), 'text')}")
    if wanted not in ("all", "diffexplain", *subs):
        raise FenceError(f"no subcommand {wanted!r}; known: {', '.join(subs)}")
    parts.append("</div>")
    return "\n".join(parts)


def _fig_png(fig: Any, lang: str | None = None) -> bytes:
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def format_trace(source: str) -> str:
    """The ``diffexplain-trace`` fence: ``dx.trace`` of a Python function (control flow)."""
    from diffexplain.core.points import parse_point
    from diffexplain.core.tracing import load_function
    from diffexplain.pipeline import trace

    _, opts = parse_body(source, ("function", "at", "wrt", "lang", "show", "title"))
    if not opts.get("function") or not opts.get("at"):
        raise FenceError("give function: examples/control.py:f and at: a=10")
    path, _, name = opts["function"].rpartition(":")
    spec = f"{(Path(base_dir()) / path).resolve()}:{name}"
    lang = lang_of(opts)
    show = tuple(split_list(opts.get("show")) or ("symbolic", "autograd", "extras", "check"))
    with in_lang(lang):
        e = trace(load_function(spec), parse_point(opts["at"]), wrt=split_list(opts.get("wrt")),
                  lang=lang or "en")
    if not e.verdict.agree:
        raise FenceError(f"{opts['function']}: the methods disagree: {e.verdict.summary}")
    src = (Path(base_dir()) / path).read_text(encoding="utf-8")
    cmd = f"diffexplain trace {path}:{name} --at {opts['at']}"
    page = render_page(e, f"{name}({', '.join(e.point)})", opts, (*show, "reproduce"), {},
                       command=cmd)
    return code(src.strip(), "python") + page


def format_plot(source: str) -> str:
    """The ``diffexplain-plot`` fence: E9's tangent plot and difference table, drawn now."""
    import matplotlib

    from diffexplain.explore.plot import figure, tangent_plot
    from diffexplain.i18n import figure_rc

    expr, opts = parse_body(source, ("at", "lang", "title"))
    if not expr or not opts.get("at"):
        raise FenceError("give an expression and at: x=1")
    lang, rc = figure_rc(lang_of(opts) or "en")
    with in_lang(lang), matplotlib.rc_context(rc):
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
    return ('<div class="diffexplain dx-plot">' + img(png, "image/png", cap, cap)
            + table(head, rows)
            + code(f"diffexplain plot {shlex.quote(expr)} --at {opts['at']} -o tangent.png",
                    "bash") + "</div>")


def format_swell(source: str) -> str:
    """The ``diffexplain-swell`` fence: the expression-swell table and plot (small budget)."""
    from diffexplain.explore.swell import swell

    _, opts = parse_body(source, ("max_n", "seconds", "lang"))
    max_n = int(opts.get("max_n", 6))
    if not 1 <= max_n <= 8:
        raise FenceError("max_n must be 1 … 8 (the build must stay fast)")
    t = swell(max_n=max_n, budget_seconds=float(opts.get("seconds", 20)))
    png = _fig_png(t.figure())
    zh = lang_of(opts) == "zh"
    cap = ("逻辑斯蒂映射的表达式膨胀：导数的大小随 n 增长" if zh else
           "Expression swell of the logistic map: derivative sizes against n")
    return ('<div class="diffexplain dx-swell">' + markdown_html(t.to_markdown())
            + img(png, "image/png", cap, cap)
            + code(f"diffexplain swell --max-n {max_n} --plot swell.png", "bash") + "</div>")


def _format_equations(opts: Mapping[str, str]) -> str:
    """``equations:`` in a ``diffexplain-check`` fence: ``check --equations``; ``expect:`` a
    step number (1-based) that does not follow, or ``none``."""
    from diffexplain.checking import check

    lang = lang_of(opts) or "en"
    with in_lang(lang):
        r = check(equations=opts["equations"], wrt=opts.get("wrt"))
        text = r.to_text()
    found = "none" if r.first_error is None else str(r.first_error + 1)
    if opts.get("expect") and opts["expect"] != found:
        raise FenceError(f"equations: expected wrong step {opts['expect']}, got {found}")
    cmd = ["diffexplain", "check", "--equations", opts["equations"]]
    if opts.get("wrt"):
        cmd += ["--wrt", opts["wrt"]]
    return ('<div class="diffexplain dx-check">'
            + code(" ".join(shlex.quote(c) for c in cmd), "bash")
            + code(text.rstrip(), "text") + "</div>")


def format_check(source: str) -> str:
    """The ``diffexplain-check`` fence: ``dx.check`` grades a derivation; ``expect:`` a code."""
    from diffexplain.checking import check

    expr, opts = parse_body(source, ("wrt", "at", "steps", "expect", "lang", "equations"))
    if opts.get("equations"):
        return _format_equations(opts)
    if not expr or not opts.get("steps"):
        raise FenceError("give an expression and steps: b*1 + a*1; b")
    lang = lang_of(opts) or "en"
    with in_lang(lang):
        r = check(expr, wrt=opts.get("wrt"), steps=opts["steps"], at=opts.get("at"), lang=lang)
        text = r.to_text()
    found = r.mistake.code if r.mistake is not None else "none"
    if opts.get("expect") and opts["expect"] != found:
        raise FenceError(f"{expr!r}: expected mistake {opts['expect']}, got {found}")
    cmd = ["diffexplain", "check", expr]
    if opts.get("wrt"):
        cmd += ["--wrt", opts["wrt"]]
    if opts.get("at"):
        cmd += ["--at", opts["at"]]
    cmd += ["--steps", opts["steps"]]
    if lang != "en":
        cmd += ["--lang", lang]
    return ('<div class="diffexplain dx-check">'
            + code(" ".join(shlex.quote(c) for c in cmd), "bash")
            + code(text.rstrip(), "text") + "</div>")


