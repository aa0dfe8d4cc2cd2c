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
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_explain)


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
    from .parsing import parse_point

    limits = limits_from(args)
    point: dict[str, Any] = {}
    for chunk in args.at:
        for k, v in parse_point(chunk, allow_nonfinite=args.allow_nonfinite,
                                limits=limits).items():
            if k in point:
                from .errors import InputError

                raise InputError(f"{k!r} is given twice in --at")
            point[k] = v
    e = explain(_read_expression(args.expression, limits.max_length), point, wrt=_split(args.wrt),
                outputs=_split(args.outputs), weights=_weights(args.weights), dtype=args.dtype,
                autograd=not args.no_autograd, numeric_check=not args.no_numeric,
                limits=limits, allow_nonfinite=args.allow_nonfinite)
    from .render import render

    emit(render(e, args.format), args.output)
    return EXIT_DISAGREE if args.check and not e.verdict.agree else EXIT_OK


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
        try:
            write_atomic(output, text)
        except OSError as err:  # a bad path is the user's input, not an internal error
            from .errors import InputError

            raise InputError(f"cannot write {output!r}: {err.strerror or err}") from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


#: subcommands: each adds its parser (with ``set_defaults(func=…)``)
COMMANDS: list[Callable[[Any], None]] = [_add_explain]


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
