"""``diffexplain run lesson.py``: run a PyTorch script, explaining each backward/grad call."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from diffexplain.cli.common import _common, _limits_group, limits_from
from diffexplain.errors import EXIT_OK, InputError
from diffexplain.i18n import N_, _

_RUN_EXAMPLES = N_("""\
examples:
  diffexplain run examples/notes/e1.py
  diffexplain run examples/notes/e2.py --lang zh
  diffexplain run examples/notes/e4.py --format json > e4.json

At every backward(), torch.autograd.backward() and torch.autograd.grad() the script
makes, the graph behind the tensor is explained (symbolic, autograd, numeric) with the
script's own variable names and lines, then torch runs the call and what it did is
shown (.grad before and after, graph kept or freed, torch's own error message).

exit codes: 0 the script ran to its end, 2 it raised (one line: where and which
error, after torch's own message has been explained), 3 a limit was exceeded.

WARNING: run executes FILE.py with your permissions, exactly as 'python FILE.py'
would. Only run scripts you trust. (Expressions given to 'explain' are never executed.)
""")


def _add_run(sub: Any) -> None:
    p = sub.add_parser("run", help=_("run a PyTorch script and explain each backward()/"
                                     "autograd.grad() call in it (RUNS the file)"),
                       description=_("Run FILE.py (this executes it) with its torch "
                                     "operations recorded; at each backward() and "
                                     "torch.autograd.grad() call explain the graph behind "
                                     "the tensor three ways, then let torch continue."),
                       epilog=_(_RUN_EXAMPLES),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("script", metavar="FILE.py", help=_("the script to run"))
    p.add_argument("--format", "-f", default="text", choices=["text", "json", "markdown",
                                                              "latex"],
                   help=_("output format (default text); json collects the script's prints "
                          "and prints one document at the end"))
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"],
                   help=_("precision of diffexplain's own torch and finite-difference passes"))
    p.add_argument("--max-calls", type=int, default=10, metavar="N",
                   help=_("explain at most N different calls (a training loop makes one per "
                          "step); later calls still run and are reported (default 10)"))
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from diffexplain.render.runs import render_event, render_run
    from diffexplain.runs import CallEvent, Printed, run_script

    fmt = args.format
    out = sys.stdout

    def emit(ev: CallEvent | Printed) -> None:
        if fmt != "json" and isinstance(ev, CallEvent):
            out.write(render_event(ev, fmt))
            out.flush()

    run = run_script(args.script, emit=emit, capture=fmt == "json", limits=limits_from(args),
                     dtype=args.dtype, max_calls=args.max_calls)
    if fmt == "json":
        out.write(render_run(run))
    elif run.skipped:
        out.write(_("{n} more autograd calls ran without an explanation (--max-calls "
                    "{limit})").format(n=run.skipped, limit=args.max_calls) + "\n")
    if run.error is not None:
        raise InputError(run.error)
    return EXIT_OK
