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
from .limits import DEFAULT_LIMITS, Limits

__all__ = ["entrypoint", "main", "main_parser", "write_atomic"]

_EXAMPLES = """\
examples:
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --wrt w --format json
  diffexplain explain "a = x + w; b = w + 1; y = a*b" --at "w=1 x=2"
  diffexplain explain "sin(x)*exp(-x)" --at x=0.5 --dtype float32 --check

exit codes: 0 ok, 1 methods disagree (--check), 2 bad input, 3 limit exceeded,
4 internal error. Add --debug to see a traceback.
"""

_EXPLAIN_EXAMPLES = """\
examples:
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --wrt w --format json
  diffexplain explain "y0 = (x+w)*(w+1); y1 = (x+w)+(w+1)" --at w=1,x=2 --outputs y0,y1
  diffexplain explain "relu(x)" --at x=0 --check        # exits 1: a kink
  diffexplain explain "log(x)" --at x=2 --format latex -o dlog.tex
"""

_LIMIT_FLAGS: dict[str, tuple[type, str]] = {
    "max_length": (int, "characters of input"),
    "max_nodes": (int, "nodes of the graph"),
    "max_depth": (int, "nesting depth"),
    "max_exponent": (int, "absolute constant exponent"),
    "max_literal_digits": (int, "digits in a number literal"),
    "max_order": (int, "derivative order"),
    "max_vector": (int, "entries of a vector"),
    "symbolic_seconds": (float, "seconds for the symbolic side"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 like every input error."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def _limits_group(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("limits (exceeding one exits with code 3)")
    for name, (typ, what) in _LIMIT_FLAGS.items():
        g.add_argument("--" + name.replace("_", "-"), type=typ, metavar="N", default=None,
                       help=f"{what} (default {getattr(DEFAULT_LIMITS, name)})")


def limits_from(args: argparse.Namespace) -> Limits:
    changes = {k: getattr(args, k) for k in _LIMIT_FLAGS if getattr(args, k, None) is not None}
    return DEFAULT_LIMITS.with_(**changes)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="show tracebacks of errors")


def _add_explain(sub: Any) -> None:
    p = sub.add_parser("explain", help="explain the derivatives of an expression at a point",
                       description="Differentiate an expression symbolically (the chain rule "
                       "over its computational graph), with torch autograd, and by central "
                       "finite differences, and compare the three.",
                       epilog=_EXPLAIN_EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", help="an expression or a program 'a = …; y = …' "
                   "('-' reads standard input)")
    p.add_argument("--at", action="append", default=[], metavar="POINT",
                   help="the point: w=1,x=2 or 'w=1 x=2' (repeatable)")
    p.add_argument("--wrt", metavar="VARS", help="variables to differentiate by, e.g. w,x "
                   "(default: all)")
    p.add_argument("--outputs", metavar="NAMES", help="several outputs of a program, e.g. y0,y1")
    p.add_argument("--weights", metavar="W", help="weights of the outputs, e.g. 1,2 "
                   "(as backward(gradient=…))")
    p.add_argument("--format", "-f", default="text",
                   choices=["text", "json", "latex", "markdown", "html"],
                   help="output format (default text)")
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"],
                   help="precision of torch and finite differences (default float64)")
    p.add_argument("--check", action="store_true",
                   help="exit with code 1 when the methods disagree")
    p.add_argument("--no-autograd", action="store_true", help="skip torch (never imports it)")
    p.add_argument("--no-numeric", action="store_true", help="skip finite differences")
    p.add_argument("--allow-nonfinite", action="store_true",
                   help="accept nan/inf in the point")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the explanation to FILE (atomically) instead of stdout")
    g = p.add_argument_group("pictures and traces")
    g.add_argument("--graph", metavar="FILE", help="draw the computational graph to FILE "
                   "(.svg, .png, .pdf; .dot for Graphviz, .mmd for Mermaid)")
    g.add_argument("--graph-autograd", metavar="FILE", help="draw the graph above torch's "
                   "grad_fn graph (.svg, .png, .pdf, .dot)")
    g.add_argument("--mode", choices=["forward", "reverse"], help="add the evaluation trace "
                   "of forward mode (one pass per input) or reverse mode (one per output)")
    g.add_argument("--jacobian", action="store_true", help="add the Jacobian of the outputs "
                   "by both modes, sympy and torch.autograd.functional.jacobian")
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_explain)


def _read_expression(text: str) -> str:
    if text == "-":
        return sys.stdin.read()
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
    from .parsing import parse_point

    point: dict[str, Any] = {}
    for chunk in args.at:
        for k, v in parse_point(chunk, allow_nonfinite=args.allow_nonfinite).items():
            if k in point:
                from .errors import InputError

                raise InputError(f"{k!r} is given twice in --at")
            point[k] = v
    _check_graph_paths(args)
    e = explain(_read_expression(args.expression), point, wrt=_split(args.wrt),
                outputs=_split(args.outputs), weights=_weights(args.weights), dtype=args.dtype,
                autograd=not args.no_autograd, numeric_check=not args.no_numeric,
                limits=limits_from(args), allow_nonfinite=args.allow_nonfinite)
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
            raise InputError(f"cannot write the graph to {path!r}: the file name must end "
                             f"in {', '.join('.' + x for x in exts)}")
    if args.graph_autograd and args.no_autograd:
        raise InputError("--graph-autograd needs torch: drop --no-autograd")


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
        write_atomic(output, text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _add_swell(sub: Any) -> None:
    p = sub.add_parser("swell", help="expression swell of the logistic map: symbolic vs graph",
                       description="Measure lₙ₊₁ = 4lₙ(1 − lₙ) for n = 1, 2, …: the size of lₙ "
                       "and of its derivative (raw, expanded, with common subexpressions) "
                       "against the computational graph and torch's backward graph. Stops "
                       "cleanly at the time or size budget.",
                       epilog="examples:\n  diffexplain swell\n  diffexplain swell --max-n 10 "
                       "--plot swell.png\n  diffexplain swell --seconds 5 --format markdown",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-n", type=int, default=12, metavar="N", help="largest n (default 12)")
    p.add_argument("--seconds", type=float, default=20.0, metavar="S",
                   help="time budget for the whole table (default 20)")
    p.add_argument("--max-size", type=int, default=200_000, metavar="OPS",
                   help="size budget in operations (default 200000)")
    p.add_argument("--plot", metavar="FILE", help="also draw sizes against n (.png/.svg/.pdf)")
    p.add_argument("--format", "-f", default="text", choices=["text", "markdown", "json"])
    p.add_argument("-o", "--output", metavar="FILE", help="write the table to FILE")
    _common(p)
    p.set_defaults(func=_cmd_swell)


def _cmd_swell(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .swell import swell

    if args.plot and args.plot.rsplit(".", 1)[-1].lower() not in ("png", "svg", "pdf"):
        raise InputError(f"cannot plot to {args.plot!r}: use a .png, .svg or .pdf file")
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
    p = sub.add_parser("plot", help="plot f with its tangent line and the finite-difference "
                       "error against h", description="The derivative as a limit (E9): f near "
                       "the point with its tangent line, and |difference quotient − f'| "
                       "against the step h on log-log axes, in float64 and float32.",
                       epilog="examples:\n  diffexplain plot \"3*x**2 - 4*x\" --at x=1 -o f.png\n"
                       "  diffexplain plot \"sin(x)*y\" --at x=1,y=2 --wrt x -o s.svg",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", help="an expression with one output")
    p.add_argument("--at", required=True, metavar="POINT", help="the point, e.g. x=1")
    p.add_argument("--wrt", metavar="VAR", help="the variable on the x axis (needed when "
                   "there are several)")
    p.add_argument("--span", type=float, metavar="D", help="plot x ± D (default max(2, |x|))")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the figure (.png, .svg or .pdf), written atomically")
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_plot)


def _cmd_plot(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .plot import save, tangent_plot

    if args.output.rsplit(".", 1)[-1].lower() not in ("png", "svg", "pdf"):
        raise InputError(f"cannot plot to {args.output!r}: use a .png, .svg or .pdf file")
    t = tangent_plot(_read_expression(args.expression), args.at, args.wrt, args.span,
                     limits=limits_from(args))
    save(t, args.output)
    sys.stdout.write(t.to_text() + f"\nwrote {args.output}\n")
    return EXIT_OK


#: subcommands: each adds its parser (with ``set_defaults(func=…)``)
COMMANDS: list[Callable[[Any], None]] = [_add_explain, _add_swell, _add_plot]


def main_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="diffexplain",
                description="Explain derivatives three ways: symbolic (the chain rule over "
                "the computational graph), automatic (torch autograd), numeric (finite "
                "differences), side by side.",
                epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"diffexplain {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in COMMANDS:
        add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code. Only here are errors caught and printed."""
    parser = main_parser()
    args = parser.parse_args(argv)
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
        sys.stderr.write("diffexplain: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:
        if debug:
            raise
        sys.stderr.write(f"diffexplain: internal error: {type(err).__name__}: "
                         f"{_clip(str(err))} (rerun with --debug and report it)\n")
        return EXIT_INTERNAL


def _clip(s: str, n: int = 300) -> str:
    s = s.replace("\n", " ")
    return s if len(s) <= n else s[:n] + "…"


def _report(err: DiffexplainError) -> None:
    sys.stderr.write(f"diffexplain: error: {_clip(str(err), 500)}\n")
    excerpt = getattr(err, "excerpt", None)
    if callable(excerpt):
        shown = excerpt()
        if shown:
            sys.stderr.write(shown + "\n")


def entrypoint() -> None:
    sys.exit(main())
