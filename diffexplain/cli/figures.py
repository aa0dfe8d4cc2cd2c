"""``diffexplain swell`` and ``diffexplain plot``: the two commands that draw figures."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from diffexplain.cli.common import (
    _common,
    _limits_group,
    _read_expression,
    emit,
    limits_from,
)
from diffexplain.errors import EXIT_OK
from diffexplain.i18n import _


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
    from diffexplain.errors import InputError
    from diffexplain.explore.swell import swell

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
        t.save_plot(args.plot)  # and say where it went (on stderr when stdout holds JSON)
        out = sys.stderr if args.format == "json" and not args.output else sys.stdout
        out.write(_("wrote {path}").format(path=args.plot) + "\n")
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
    from diffexplain.errors import InputError
    from diffexplain.explore.plot import save, tangent_plot

    if args.output.rsplit(".", 1)[-1].lower() not in ("png", "svg", "pdf"):
        raise InputError(_("cannot plot to {path!r}: use a .png, .svg or .pdf file").format(
            path=args.output))
    t = tangent_plot(_read_expression(args.expression), args.at, args.wrt, args.span,
                     limits=limits_from(args))
    save(t, args.output)
    sys.stdout.write(t.to_text() + "\n" + _("wrote {path}").format(path=args.output) + "\n")
    return EXIT_OK
