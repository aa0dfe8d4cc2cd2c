"""The ``diffexplain`` command: argparse, one error boundary, atomic file writes.

``main(argv) -> int`` is testable without a subprocess; ``entrypoint()`` is the
console script. Nothing heavy is imported at module level, so ``--help`` and
``--version`` return at Python start-up speed. Exit codes: 0 ok, 1 the methods
disagree (with ``--check``), 2 bad input, 3 a limit was exceeded, 4 internal error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from diffexplain._version import __version__
from diffexplain.cli.check import _add_check
from diffexplain.cli.common import _lang_option, _Parser
from diffexplain.cli.explain import _add_explain
from diffexplain.cli.figures import _add_plot, _add_swell
from diffexplain.cli.run import _add_run
from diffexplain.cli.trace import _add_trace
from diffexplain.errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, DiffexplainError
from diffexplain.files import write_atomic
from diffexplain.i18n import N_, _

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
  diffexplain run examples/notes/e1.py
  diffexplain plot "3*x**2 - 4*x" --at x=1 -o tangent.png
  diffexplain swell --max-n 10

Run 'diffexplain COMMAND --help' for each command's options and examples.
exit codes: 0 ok, 1 methods disagree (--check), 2 bad input, 3 limit exceeded,
4 internal error. Add --debug to see a traceback.
""")


#: subcommands: each adds its parser (with ``set_defaults(func=…)``)
COMMANDS: list[Callable[[Any], None]] = [_add_explain, _add_trace, _add_check, _add_swell,
                                           _add_plot, _add_run]


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
    from diffexplain import i18n

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
    from diffexplain.i18n import normalize, use_lang

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
