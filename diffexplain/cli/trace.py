"""``diffexplain trace FILE.py:f``: Python control flow (runs the user's file)."""

from __future__ import annotations

import argparse
from typing import Any

from diffexplain.cli.common import (
    _common,
    _limits_group,
    _point,
    _split,
    emit,
    limits_from,
)
from diffexplain.errors import EXIT_DISAGREE, EXIT_OK
from diffexplain.i18n import N_, _

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
    p.add_argument("--components", action="store_true",
                   help=_("vectors and matrices: show the chain rule of each component (x_0, "
                          "x_1, …) instead of the vector form (JSON always has both)"))
    p.add_argument("--no-autograd", action="store_true", help=_("skip torch"))
    p.add_argument("--no-numeric", action="store_true", help=_("skip finite differences"))
    p.add_argument("-o", "--output", metavar="FILE", help=_("write to FILE (atomically)"))
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_trace)


def _cmd_trace(args: argparse.Namespace) -> int:
    from diffexplain.core.tracing import load_function
    from diffexplain.pipeline import trace

    point = _point(args, limits_from(args))
    f = load_function(args.target)
    from diffexplain.runs import trace_torch, uses_torch

    tracer = trace_torch if uses_torch(f) else trace  # torch calls: record real tensors
    e = tracer(f, point, wrt=_split(args.wrt), dtype=args.dtype, autograd=not args.no_autograd,
              numeric_check=not args.no_numeric, limits=limits_from(args))
    if args.components and e.components is None:  # the path taken had no tensors
        from diffexplain.errors import InputError

        raise InputError(_("--components shows the components of vectors and matrices; this "
                           "input has only scalars (its derivation is already written per "
                           "variable)"))
    from diffexplain.render import render

    emit(render(e, args.format, components=args.components), args.output)
    return EXIT_DISAGREE if args.check and not e.verdict.agree else EXIT_OK
