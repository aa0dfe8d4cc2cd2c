"""The ``diffexplain`` command: argparse, one error boundary, atomic file writes.

``main(argv) -> int`` is testable without a subprocess; ``entrypoint()`` is the
console script. Nothing heavy is imported at module level, so ``--help`` and
``--version`` return at Python start-up speed. Exit codes: 0 ok, 1 the methods
disagree (with ``--check``), 2 bad input, 3 a limit was exceeded, 4 internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from .errors import EXIT_DISAGREE, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, DiffexplainError
from .i18n import N_, _
from .limits import DEFAULT_LIMITS, Limits

__all__ = ["entrypoint", "main", "main_parser", "write_atomic"]

_EXAMPLES = N_("""\
examples:
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --wrt w --format json
  diffexplain explain "a = x + w; b = w + 1; y = a*b" --at "w=1 x=2"
  diffexplain explain "sin(x)*exp(-x)" --at x=0.5 --dtype float32 --check
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --graph e1.svg --mode reverse
  diffexplain check "(x+w)*(w+1)" --wrt w --at w=1,x=2 --steps "b*1 + a*1; b + a; 2*w + x"
  diffexplain trace examples/control.py:f --at a=10
  diffexplain plot "3*x**2 - 4*x" --at x=1 -o tangent.png
  diffexplain swell --max-n 10

Run 'diffexplain COMMAND --help' for each command's options and examples.
exit codes: 0 ok, 1 methods disagree (--check), 2 bad input, 3 limit exceeded,
4 internal error. Add --debug to see a traceback.
""")

_EXPLAIN_EXAMPLES = N_("""\
examples:
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --wrt w --format json
  diffexplain explain "y0 = (x+w)*(w+1); y1 = (x+w)+(w+1)" --at w=1,x=2 --outputs y0,y1
  diffexplain explain "relu(x)" --at x=0 --check        # exits 1: a kink
  diffexplain explain "log(x)" --at x=2 --format latex -o dlog.tex
  diffexplain explain "2*dot(x,x)" --at "x=[0,1,2,3]"         # vectors: ∇x = [0, 4, 8, 12]
  diffexplain explain "y = x*x; u = detach(y); z = u*x" --at "x=[0,1,2,3]"
  diffexplain explain "loss = bce_with_logits(x@w + b, y)" --wrt w,b
      --at "x=[1,1] y=[0,0,0] w=[[1,2,3],[4,5,6]] b=[0,0,0]"   # (one line)
autograd lessons (run on real torch):
  diffexplain explain "x**2" --at x=3 --order 2                  # create_graph chain
  diffexplain explain "x*x*w" --at x=3,w=2 --hessian
  diffexplain explain "y0 = (x+w)*(w+1); y1 = (x+w)+(w+1)" --at w=1,x=2 --weights 1,2
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --backward 4 --retain-graph 2
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --backward 4 --rebuild --zero-grad
  diffexplain explain "w*x" --at w=1,x=2 --inplace w+=1 --tensors
  diffexplain explain "3*x**2 - 4*x" --at x=1 --limits 5 --dtype float32
  diffexplain explain "x**3" --at x=1 --step 1e-12 --check     # exits 1: cancellation
""")

_LIMIT_FLAGS: dict[str, tuple[type, str]] = {
    "max_length": (int, N_("characters of input")),
    "max_nodes": (int, N_("nodes of the graph")),
    "max_depth": (int, N_("nesting depth")),
    "max_exponent": (int, N_("absolute constant exponent")),
    "max_literal_digits": (int, N_("digits in a number literal")),
    "max_order": (int, N_("derivative order")),
    "max_vector": (int, N_("entries of a vector")),
    "symbolic_seconds": (float, N_("seconds for the symbolic side")),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 like every input error."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(EXIT_INPUT, _("{prog}: error: {message} (see --help)").format(
            prog=self.prog, message=message) + "\n")


def _limits_group(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(_("limits (exceeding one exits with code 3)"))
    for name, (typ, what) in _LIMIT_FLAGS.items():
        g.add_argument("--" + name.replace("_", "-"), type=typ, metavar="N", default=None,
                       help=_("{what} (default {default})").format(
                           what=_(what), default=getattr(DEFAULT_LIMITS, name)))


def limits_from(args: argparse.Namespace) -> Limits:
    changes = {k: getattr(args, k) for k in _LIMIT_FLAGS if getattr(args, k, None) is not None}
    return DEFAULT_LIMITS.with_(**changes)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help=_("show tracebacks of errors"))
    _lang_option(p)


def _add_explain(sub: Any) -> None:
    p = sub.add_parser("explain", help=_("explain the derivatives of an expression at a point"),
                       description=_("Differentiate an expression symbolically (the chain rule "
                       "over its computational graph), with torch autograd, and by central "
                       "finite differences, and compare the three."),
                       epilog=_(_EXPLAIN_EXAMPLES),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", help=_("an expression or a program 'a = …; y = …' "
                   "('-' reads standard input)"))
    p.add_argument("--at", action="append", default=[], metavar="POINT",
                   help=_("the point: w=1,x=2 or 'w=1 x=2' (repeatable)"))
    p.add_argument("--wrt", metavar="VARS", help=_("variables to differentiate by, e.g. w,x "
                   "(default: all)"))
    p.add_argument("--outputs", metavar="NAMES", help=_("several outputs of a program, e.g. y0,y1"))
    p.add_argument("--weights", metavar="W", help=_("weights of the outputs, e.g. 1,2 "
                   "(as backward(gradient=…))"))
    p.add_argument("--format", "-f", default="text",
                   choices=["text", "json", "latex", "markdown", "html"],
                   help=_("output format (default text)"))
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"],
                   help=_("precision of torch and finite differences (default float64)"))
    p.add_argument("--check", action="store_true",
                   help=_("exit with code 1 when the methods disagree"))
    p.add_argument("--no-autograd", action="store_true", help=_("skip torch (never imports it)"))
    p.add_argument("--no-numeric", action="store_true", help=_("skip finite differences"))
    p.add_argument("--allow-nonfinite", action="store_true",
                   help=_("accept nan/inf in the point"))
    p.add_argument("-o", "--output", metavar="FILE",
                   help=_("write the explanation to FILE (atomically) instead of stdout"))
    _lesson_flags(p)
    g = p.add_argument_group(_("pictures and traces"))
    g.add_argument("--graph", metavar="FILE", help=_("draw the computational graph to FILE "
                   "(.svg, .png, .pdf; .dot for Graphviz, .mmd for Mermaid)"))
    g.add_argument("--graph-autograd", metavar="FILE", help=_("draw the graph above torch's "
                   "grad_fn graph (.svg, .png, .pdf, .dot)"))
    g.add_argument("--mode", choices=["forward", "reverse"], help=_("add the evaluation trace "
                   "of forward mode (one pass per input) or reverse mode (one per output)"))
    g.add_argument("--jacobian", action="store_true", help=_("add the Jacobian of the outputs "
                   "by both modes, sympy and torch.autograd.functional.jacobian"))
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_explain)


def _lesson_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(_("autograd lessons (on the same graph; the torch parts run real torch)"))
    g.add_argument("--order", type=int, default=1, metavar="N",
                   help=_("derivatives up to order N, sympy vs autograd.grad(create_graph=True)"))
    g.add_argument("--hessian", action="store_true",
                   help=_("the Hessian, sympy vs torch.autograd.functional.hessian"))
    g.add_argument("--backward", type=int, metavar="N",
                   help=_("call backward N times and show .grad after each"))
    g.add_argument("--zero-grad", action=argparse.BooleanOptionalAction, default=False,
                   help=_("zero the leaves' .grad after each backward (default: accumulate)"))
    g.add_argument("--retain-graph", nargs="?", type=int, const=True, default=False,
                   metavar="K", help=_("keep the graph on every backward, or on the first K"))
    g.add_argument("--no-retain-graph", dest="retain_graph", action="store_const",
                   const=False, help=_("plain backward every time (the default)"))
    g.add_argument("--rebuild", action="store_true",
                   help=_("run the forward pass again before each backward"))
    g.add_argument("--inplace", metavar="UPDATES",
                   help=_("update tensors in place after the forward pass, e.g. w+=1 or a+=1"))
    g.add_argument("--tensors", action="store_true",
                   help=_("is_leaf, grad_fn, .grad without retain_grad, saved tensors per node"))
    g.add_argument("--limits", nargs="?", type=int, const=True, default=False, metavar="N",
                   dest="limit_table",
                   help=_("difference quotients for h = 1e-1 … 1e-N (the derivative as a limit)"))
    g.add_argument("--step", type=float, metavar="H",
                   help=_("finite-difference step of the numeric witness (default ∛eps·max(1,|x|))"))


def _lesson_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"order": args.order, "hessian": args.hessian, "backward": args.backward,
            "zero_grad": args.zero_grad, "retain_graph": args.retain_graph,
            "rebuild": args.rebuild, "inplace": args.inplace, "tensors": args.tensors,
            "limit_table": args.limit_table, "step": args.step}


def _point(args: argparse.Namespace, limits: Limits, allow_nonfinite: bool = False) -> dict[str, Any]:
    """Every ``--at`` chunk merged into one point; a name given twice is an error."""
    from .errors import InputError
    from .parsing import parse_point

    point: dict[str, Any] = {}
    for chunk in args.at:
        for k, v in parse_point(chunk, allow_nonfinite=allow_nonfinite, limits=limits).items():
            if k in point:
                raise InputError(_("{name!r} is given twice in --at").format(name=k))
            point[k] = v
    return point


def _read_expression(text: str, max_length: int = DEFAULT_LIMITS.max_length) -> str:
    if text == "-":
        return sys.stdin.read(max_length + 1)  # one more, so the parser reports the limit
    return text


def _split(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def _weights(s: str | None) -> list[float] | None:
    from .parsing import parse_point

    if not s:
        return None
    vals = parse_point("w=[" + s + "]")["w"]
    assert isinstance(vals, list)
    return vals


def _cmd_explain(args: argparse.Namespace) -> int:
    from .api import explain

    limits = limits_from(args)
    point = _point(args, limits, args.allow_nonfinite)
    _check_graph_paths(args)
    e = explain(_read_expression(args.expression, limits.max_length), point,
                wrt=_split(args.wrt), outputs=_split(args.outputs),
                weights=_weights(args.weights), dtype=args.dtype,
                autograd=not args.no_autograd, numeric_check=not args.no_numeric,
                limits=limits, allow_nonfinite=args.allow_nonfinite,
                **_lesson_kwargs(args))
    from .render import render

    emit(_with_traces(e, args, render(e, args.format)), args.output)
    _write_graphs(e, args)
    return EXIT_DISAGREE if args.check and not e.verdict.agree else EXIT_OK


_GRAPH_EXT = {"graph": ("svg", "png", "pdf", "dot", "mmd"),
              "graph_autograd": ("svg", "png", "pdf", "dot")}


def _check_graph_paths(args: argparse.Namespace) -> None:
    """Refuse a bad --graph file name before any work is done."""
    from .errors import InputError

    for key, exts in _GRAPH_EXT.items():
        path = getattr(args, key, None)
        if path and path.rsplit(".", 1)[-1].lower() not in exts:
            raise InputError(_("cannot write the graph to {path!r}: the file name must end "
                               "in {extensions}").format(
                                   path=path, extensions=", ".join("." + x for x in exts)))
    if args.graph_autograd and args.no_autograd:
        raise InputError(_("--graph-autograd needs torch: drop --no-autograd"))


def _with_traces(e: Any, args: argparse.Namespace, text: str) -> str:
    """Append the --mode trace and the --jacobian to the rendered explanation."""
    if not args.mode and not args.jacobian:
        return text
    parts = [x for x in (e.trace(args.mode) if args.mode else None,
                         e.jacobian(use_torch=not args.no_autograd) if args.jacobian
                         else None) if x is not None]
    if args.format == "json":
        import json

        d = e.to_dict()
        if args.mode:
            d["trace"] = parts[0].to_dict()
        if args.jacobian:
            d["jacobian"] = parts[-1].to_dict()
        return json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False)
    method = {"text": "to_text", "latex": "to_latex", "markdown": "to_markdown"}
    if args.format == "html":
        import html

        return text + "".join(f"<pre>{html.escape(x.to_text())}</pre>" for x in parts)
    return text.rstrip("\n") + "\n\n" + "\n".join(getattr(x, method[args.format])()
                                                 for x in parts)


def _write_graphs(e: Any, args: argparse.Namespace) -> None:
    wrt = (_split(args.wrt) or [None])[0]
    for key, combined in (("graph", False), ("graph_autograd", True)):
        path = getattr(args, key, None)
        if not path:
            continue
        ext = path.rsplit(".", 1)[-1].lower()
        if ext in ("dot", "mmd"):
            from .render.dot import to_dot, to_mermaid

            write_atomic(path, to_dot(e, wrt, combined) if ext == "dot" else
                         to_mermaid(e, wrt))
            continue
        from .render.figure import figure, save

        save(figure(e, wrt=wrt, autograd=combined), path)


def write_atomic(path: str, data: str | bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".diffexplain-", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a written file should not be private
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def emit(text: str, output: str | None) -> None:
    if output:
        try:
            write_atomic(output, text)
        except OSError as err:  # a bad path is the user's input, not an internal error
            from .errors import InputError

            raise InputError(_("cannot write {path!r}: {reason}").format(
                path=output, reason=err.strerror or err)) from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


_TRACE_EXAMPLES = N_("""\
examples:
  diffexplain trace examples/control.py:f --at a=10
  diffexplain trace model.py:loss --at "x=[1,2]" --at w=0.5 --wrt w --format json

WARNING: trace imports FILE.py, which runs its Python code with your permissions.
Only trace files you trust. (Expressions given to 'explain' are never executed.)
""")


def _add_trace(sub: Any) -> None:
    p = sub.add_parser("trace", help=_("explain a Python function's gradient along the path "
                       "its if/while took (RUNS the file)"),
                       description=_("Import FILE.py (this executes it), call FUNCTION on traced "
                       "inputs that record every if/while decision, and explain the graph of "
                       "the path actually taken; torch runs the same function on tensors."),
                       epilog=_(_TRACE_EXAMPLES),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="FILE.py:FUNCTION", help=_("the function to trace"))
    p.add_argument("--at", action="append", default=[], metavar="POINT",
                   help=_("the inputs: a=10 or 'x=[0,1,2,3]' (repeatable)"))
    p.add_argument("--wrt", metavar="VARS", help=_("inputs to differentiate by (default: all)"))
    p.add_argument("--format", "-f", default="text",
                   choices=["text", "json", "latex", "markdown", "html"],
                   help=_("output format (default text)"))
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    p.add_argument("--check", action="store_true",
                   help=_("exit with code 1 when the methods disagree"))
    p.add_argument("--no-autograd", action="store_true", help=_("skip torch"))
    p.add_argument("--no-numeric", action="store_true", help=_("skip finite differences"))
    p.add_argument("-o", "--output", metavar="FILE", help=_("write to FILE (atomically)"))
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_trace)


def _cmd_trace(args: argparse.Namespace) -> int:
    from .tracing import load_function, trace

    point = _point(args, limits_from(args))
    f = load_function(args.target)
    e = trace(f, point, wrt=_split(args.wrt), dtype=args.dtype, autograd=not args.no_autograd,
              numeric_check=not args.no_numeric, limits=limits_from(args))
    from .render import render

    emit(render(e, args.format), args.output)
    return EXIT_DISAGREE if args.check and not e.verdict.agree else EXIT_OK


_CHECK_EXAMPLES = N_("""\
examples:
  diffexplain check "(x+w)*(w+1)" --wrt w --at w=1,x=2 \\
      --steps "b*1 + a*1; b + a; (w+1) + (x+w); 2*w + x; 4"
  diffexplain check "sin(x**2)" --at x=0.5 --steps "cos(x^2)" --format markdown
  diffexplain check homework.md                 # exercises: 'expression:', 'at:', '- step' lines
  diffexplain check --batch submissions.jsonl -o report.json --jobs 2   # or report.csv

steps: separated by ';' or newlines, or chained with '='; they may use the leaves, the
intermediates (a, b, ... as 'explain' names them), partials dy/da (or ∂y/∂a), adjoints ā
(adj(a)), numbers, and the unicode diffexplain prints (·, ×, −, ², √, 2w).
exit codes: 0 every step right (--batch: the report was written), 1 a step is wrong,
2 bad input, 3 limit exceeded.
""")


def _add_check(sub: Any) -> None:
    p = sub.add_parser("check", help=_("check a learner's derivation step by step"),
                       description=_("Check each step of a derivation against the true "
                       "derivative; mark the first wrong step and name the mistake."),
                       epilog=_(_CHECK_EXAMPLES),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", nargs="?", help=_("the expression (with --steps), or a homework "
                   "file ('-' reads standard input)"))
    p.add_argument("--steps", metavar="STEPS", help=_("the learner's steps, ';'-separated"))
    p.add_argument("--wrt", metavar="VAR", help=_("the variable (default: the only one)"))
    p.add_argument("--at", action="append", default=[], metavar="POINT",
                   help=_("the point: w=1,x=2 (repeatable)"))
    p.add_argument("--format", "-f", default="text",
                   choices=["text", "json", "markdown", "latex"], help=_("output format"))
    p.add_argument("-o", "--output", metavar="FILE", help=_("write to FILE (atomically); with "
                   "--batch, .csv gives CSV and anything else JSON"))
    p.add_argument("--batch", metavar="JSONL", help=_("grade submissions, one JSON object a "
                   "line: id, expression, point, wrt, steps"))
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help=_("processes for --batch (default: the number of cores)"))
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help=_("progress bar on stderr (default: when stderr is a terminal)"))
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .parsing import parse_point

    limits = limits_from(args)
    if args.batch:
        return _check_batch(args, limits)
    if not args.target:
        raise InputError(_("give an expression with --steps, a homework file, or --batch FILE"))
    point = _point(args, limits)
    from .checking import check
    from .render.check_formats import render

    if args.steps is not None:
        r = check(_read_expression(args.target), wrt=args.wrt, steps=args.steps,
                  at=point or None, limits=limits)
        emit(render(r, args.format), args.output)
        return EXIT_OK if r.ok else EXIT_DISAGREE
    from .batch import read_homework

    if args.target == "-":
        text = sys.stdin.read()
    else:
        try:
            with open(args.target, encoding="utf-8") as fh:
                text = fh.read(limits.max_length + 1)
        except OSError as err:
            raise InputError(_("no --steps given, and {path!r} is not a readable "
                               "homework file ({reason})").format(
                                   path=args.target, reason=err.strerror)) from None
    results = []
    for ex in read_homework(text):
        at = dict(point)
        at.update(parse_point(ex["point"]) if ex["point"] else {})
        try:
            results.append(check(ex["expression"], wrt=ex["wrt"] or args.wrt, steps=ex["steps"],
                                 at=at or None, limits=limits))
        except InputError as err:
            raise InputError(_("{id} (line {line}): {message}").format(
                id=ex["id"], line=ex["line"], message=err)) from None
    if args.format == "json":
        import json

        out = json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False)
    else:
        sep = "\n" if args.format in ("text", "latex") else "\n---\n\n"
        out = sep.join(render(r, args.format) for r in results)
    emit(out, args.output)
    return EXIT_OK if all(r.ok for r in results) else EXIT_DISAGREE


def _check_batch(args: argparse.Namespace, limits: Limits) -> int:
    from .batch import Progress, grade, read_jsonl, summary_table, write_report
    from .errors import InputError

    try:
        if args.batch == "-":
            subs = read_jsonl(sys.stdin)
        else:
            with open(args.batch, encoding="utf-8") as fh:
                subs = read_jsonl(fh)
    except OSError as err:
        raise InputError(_("cannot read {path!r}: {reason}").format(
            path=args.batch, reason=err.strerror)) from None
    except UnicodeDecodeError:
        raise InputError(_("{path!r} is not UTF-8 text").format(path=args.batch)) from None
    if not subs:
        raise InputError(_("{path!r} has no submissions").format(path=args.batch))
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        raise InputError(_("--jobs must be at least 1"))
    report = grade(subs, jobs, limits, Progress(len(subs), args.progress))
    data = write_report(report, args.output)
    table = summary_table(report)
    if args.output:
        sys.stdout.write(table)
    else:
        sys.stdout.write(data)
        sys.stderr.write(table)
    return EXIT_OK


def _add_swell(sub: Any) -> None:
    p = sub.add_parser("swell", help=_("expression swell of the logistic map: symbolic vs graph"),
                       description=_("Measure lₙ₊₁ = 4lₙ(1 − lₙ) for n = 1, 2, …: the size of lₙ "
                       "and of its derivative (raw, expanded, with common subexpressions) "
                       "against the computational graph and torch's backward graph. Stops "
                       "cleanly at the time or size budget."),
                       epilog=_("examples:\n  diffexplain swell\n  diffexplain swell --max-n 10 "
                       "--plot swell.png\n  diffexplain swell --seconds 5 --format markdown"),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-n", type=int, default=12, metavar="N", help=_("largest n (default 12)"))
    p.add_argument("--seconds", type=float, default=20.0, metavar="S",
                   help=_("time budget for the whole table (default 20)"))
    p.add_argument("--max-size", type=int, default=200_000, metavar="OPS",
                   help=_("size budget in operations (default 200000)"))
    p.add_argument("--plot", metavar="FILE", help=_("also draw sizes against n (.png/.svg/.pdf)"))
    p.add_argument("--format", "-f", default="text", choices=["text", "markdown", "json"])
    p.add_argument("-o", "--output", metavar="FILE", help=_("write the table to FILE"))
    _common(p)
    p.set_defaults(func=_cmd_swell)


def _cmd_swell(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .swell import swell

    if args.plot and args.plot.rsplit(".", 1)[-1].lower() not in ("png", "svg", "pdf"):
        raise InputError(_("cannot plot to {path!r}: use a .png, .svg or .pdf file").format(
            path=args.plot))
    t = swell(args.max_n, args.seconds, args.max_size)
    if args.format == "json":
        import json

        text = json.dumps(t.to_dict(), indent=2, ensure_ascii=False)
    else:
        text = t.to_markdown() if args.format == "markdown" else t.to_text()
    emit(text, args.output)
    if args.plot:
        t.save_plot(args.plot)
    return EXIT_OK


def _add_plot(sub: Any) -> None:
    p = sub.add_parser("plot", help=_("plot f with its tangent line and the finite-difference "
                       "error against h"), description=_("The derivative as a limit (E9): f near "
                       "the point with its tangent line, and |difference quotient − f'| "
                       "against the step h on log-log axes, in float64 and float32."),
                       epilog=_("examples:\n  diffexplain plot \"3*x**2 - 4*x\" --at x=1 -o f.png\n"
                       "  diffexplain plot \"sin(x)*y\" --at x=1,y=2 --wrt x -o s.svg"),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", help=_("an expression with one output"))
    p.add_argument("--at", required=True, metavar="POINT", help=_("the point, e.g. x=1"))
    p.add_argument("--wrt", metavar="VAR", help=_("the variable on the x axis (needed when "
                   "there are several)"))
    p.add_argument("--span", type=float, metavar="D", help=_("plot x ± D (default max(2, |x|))"))
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help=_("the figure (.png, .svg or .pdf), written atomically"))
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_plot)


def _cmd_plot(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .plot import save, tangent_plot

    if args.output.rsplit(".", 1)[-1].lower() not in ("png", "svg", "pdf"):
        raise InputError(_("cannot plot to {path!r}: use a .png, .svg or .pdf file").format(
            path=args.output))
    t = tangent_plot(_read_expression(args.expression), args.at, args.wrt, args.span,
                     limits=limits_from(args))
    save(t, args.output)
    sys.stdout.write(t.to_text() + "\n" + _("wrote {path}").format(path=args.output) + "\n")
    return EXIT_OK


#: subcommands: each adds its parser (with ``set_defaults(func=…)``)
COMMANDS: list[Callable[[Any], None]] = [_add_explain, _add_trace, _add_check, _add_swell,
                                           _add_plot]


def _lang_option(p: argparse.ArgumentParser) -> None:
    # read early from argv by main() (the --help text itself is translated); here for --help
    p.add_argument("--lang", metavar="LANG", default=argparse.SUPPRESS,
                   help=_("language of the prose: en or zh (default: from LC_ALL, LC_MESSAGES, "
                          "LANG)"))


def _lang_from(argv: Sequence[str]) -> str | None:
    """``--lang zh`` / ``--lang=zh`` anywhere before ``--`` (None: the locale decides)."""
    lang = None
    for k, a in enumerate(argv):
        if a == "--":
            break
        if a == "--lang" and k + 1 < len(argv):
            lang = argv[k + 1]
        elif a.startswith("--lang="):
            lang = a.split("=", 1)[1]
    return lang


def _argparse_in_lang() -> None:
    """argparse's own words ("usage:", "options", its errors) from diffexplain's catalog."""
    from . import i18n

    argparse._ = i18n._  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]


#: argparse's messages, for the catalog (see _argparse_in_lang)
_ARGPARSE_MESSAGES = (N_("usage: "), N_("options"), N_("positional arguments"),
                      N_("show this help message and exit"),
                      N_("show program's version number and exit"),
                      N_("the following arguments are required: %s"),
                      N_("unrecognized arguments: %s"),
                      N_("invalid choice: %(value)r (choose from %(choices)s)"),
                      N_("argument %(argument_name)s: %(message)s"),
                      N_("expected one argument"), N_("invalid %(type)s value: %(value)r"),
                      N_("ambiguous option: %(option)s could match %(matches)s"))


def main_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="diffexplain",
                description=_("Explain derivatives three ways: symbolic (the chain rule over "
                "the computational graph), automatic (torch autograd), numeric (finite "
                "differences), side by side."),
                epilog=_(_EXAMPLES), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"diffexplain {__version__}",
                   help=_("show program's version number and exit"))
    _lang_option(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in COMMANDS:
        add(sub)
    return p


def _protect_expressions(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``explain "-x**2"``: argparse would read a leading '-' as an option. An argument that
    starts with one '-' and is no option of diffexplain gets a leading space instead, which
    the expression tokenizer ignores (``--`` would swallow the options after it)."""
    known = {s for a in parser._actions for s in a.option_strings}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                known |= {s for a in sub._actions for s in a.option_strings}
    out = []
    for arg in argv:
        if (arg.startswith("-") and arg != "-" and not arg.startswith("--")
                and arg.split("=", 1)[0] not in known):
            try:
                float(arg)
            except ValueError:
                arg = " " + arg
        out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code. Only here are errors caught and printed."""
    from .i18n import normalize, use_lang

    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_from(argv)
    try:
        lang = normalize(lang) if lang is not None else None
    except DiffexplainError as err:  # an unknown --lang
        _report(err)
        return err.exit_code
    with use_lang(lang):
        return _main(argv)


def _main(argv: Sequence[str]) -> int:
    _argparse_in_lang()
    parser = main_parser()
    args = parser.parse_args(_protect_expressions(parser, list(argv)))
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT
    debug = getattr(args, "debug", False)
    try:
        return int(args.func(args))
    except DiffexplainError as err:
        if debug:
            raise
        _report(err)
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(_("diffexplain: interrupted") + "\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:
        if debug:
            raise
        sys.stderr.write(_("diffexplain: internal error: {error}: {message} (rerun with --debug "
                           "and report it)").format(error=type(err).__name__,
                                                    message=_clip(str(err))) + "\n")
        return EXIT_INTERNAL


def _clip(s: str, n: int = 300) -> str:
    s = s.replace("\n", " ")
    return s if len(s) <= n else s[:n] + "…"


def _report(err: DiffexplainError) -> None:
    sys.stderr.write(_("diffexplain: error: {message}").format(message=_clip(str(err), 500))
                     + "\n")
    excerpt = getattr(err, "excerpt", None)
    if callable(excerpt):
        shown = excerpt()
        if shown:
            sys.stderr.write(shown + "\n")


def entrypoint() -> None:
    sys.exit(main())
