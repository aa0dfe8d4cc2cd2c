"""``diffexplain check``: a learner's steps, a homework file, or a class's batch."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from diffexplain.cli.common import (
    _common,
    _limits_group,
    _point,
    _read_expression,
    emit,
    limits_from,
)
from diffexplain.errors import EXIT_DISAGREE, EXIT_OK
from diffexplain.i18n import N_, _
from diffexplain.limits import Limits

_CHECK_EXAMPLES = N_("""\
examples:
  diffexplain check "(x+w)*(w+1)" --wrt w --at w=1,x=2 \\
      --steps "b*1 + a*1; b + a; (w+1) + (x+w); 2*w + x; 4"
  diffexplain check "sin(x**2)" --at x=0.5 --steps "cos(x^2)" --format markdown
  diffexplain check homework.md                 # exercises: 'expression:', 'at:', '- step' lines
  diffexplain check --batch submissions.jsonl -o report.json --jobs 2   # or report.csv
  diffexplain check --equations "ln(y/(1-y)) = z; y/(1-y) = e^z; y = e^z/(1+e^z)"

steps: separated by ';' or newlines, or chained with '='; written as on paper (2x(x-1),
x cos(x), tan²(x), y' =, dy/dx =, d/dx, \\frac{1}{x}, e^{-x}, ½, π, （x）), with the
leaves, the intermediates (a, b, ... as 'explain' names them), partials dy/da (or ∂y/∂a),
adjoints ā (adj(a)), and numbers, compared to the digits written.
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
    p.add_argument("--equations", metavar="EQUATIONS", help=_("check an algebraic "
                   "derivation instead: equations separated by ';' (or ⇒), each with the "
                   "same solutions as the one before; --wrt names the unknown"))
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
    from diffexplain.errors import InputError

    limits = limits_from(args)
    if args.equations is not None:
        if args.target or args.steps is not None or args.batch or args.at:
            raise InputError(_("--equations is checked on its own: drop the expression, "
                               "--steps, --at and --batch"))
        from diffexplain.checking.algebra import check_equations
        from diffexplain.render.check_formats import render_equations

        eq = check_equations(args.equations, args.wrt)
        emit(render_equations(eq, args.format), args.output)
        return EXIT_OK if eq.ok else EXIT_DISAGREE
    if args.batch:
        return _check_batch(args, limits)
    if not args.target:
        raise InputError(_("give an expression with --steps, a homework file, or --batch FILE"))
    point = _point(args, limits)
    from diffexplain.checking import check
    from diffexplain.render.check_formats import render

    if args.steps is not None:
        r = check(_read_expression(args.target), wrt=args.wrt, steps=args.steps,
                  at=point or None, limits=limits)
        emit(render(r, args.format), args.output)
        return EXIT_OK if r.ok else EXIT_DISAGREE
    from diffexplain.checking.homework import check_homework, homework_summary
    from diffexplain.render.check_formats import homework

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
        except UnicodeDecodeError:
            raise InputError(_("{path!r} is not UTF-8 text").format(path=args.target)) from None
    items = check_homework(text, point, args.wrt, limits)
    emit(homework(items, homework_summary(items), args.format), args.output)
    return EXIT_OK if all("result" in i and i["result"].ok for i in items) else EXIT_DISAGREE


def _check_batch(args: argparse.Namespace, limits: Limits) -> int:
    from diffexplain.checking.batch import Progress, grade, read_jsonl, summary_table, write_report
    from diffexplain.errors import InputError

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
