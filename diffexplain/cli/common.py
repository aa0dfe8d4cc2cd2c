"""Pieces every subcommand shares: the argparse class, limits, the point, output."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from diffexplain.errors import EXIT_INPUT
from diffexplain.files import write_all
from diffexplain.i18n import N_, _
from diffexplain.limits import DEFAULT_LIMITS, Limits

_LIMIT_FLAGS: dict[str, tuple[type, str]] = {
    "max_length": (int, N_("characters of input")),
    "max_nodes": (int, N_("nodes of the graph")),
    "max_depth": (int, N_("nesting depth")),
    "max_exponent": (int, N_("absolute constant exponent")),
    "max_literal_digits": (int, N_("digits in a number literal")),
    "max_order": (int, N_("derivative order")),
    "max_vector": (int, N_("entries of a vector")),
    "symbolic_seconds": (float, N_("seconds for the symbolic side")),
    "symbolic_memory_mb": (int, N_("MiB of memory for the symbolic worker, 0 for no limit")),
    "max_work": (int, N_("passes × nodes of --backward, --mode and --jacobian; nodes the "
                         "finite differences recompute")),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 like every input error."""

    def error(self, message: str) -> Any:
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


def _point(args: argparse.Namespace, limits: Limits, allow_nonfinite: bool = False) -> dict[str, Any]:
    """Every ``--at`` chunk merged into one point; a name given twice is an error."""
    from diffexplain.core.points import parse_point
    from diffexplain.errors import InputError

    point: dict[str, Any] = {}
    for chunk in args.at:
        for k, v in parse_point(chunk, allow_nonfinite=allow_nonfinite, limits=limits).items():
            if k in point:
                raise InputError(_("{name!r} is given twice in --at").format(name=k))
            point[k] = v
    return point


def _read_expression(text: str, max_length: int = DEFAULT_LIMITS.max_length) -> str:
    # no surrounding blanks: a trailing newline on stdin or the space that keeps "-x" from
    # argparse would show in the header ("diffexplain:  -x")
    if text == "-":
        return sys.stdin.read(max_length + 1).strip()  # one more: the parser reports the limit
    return text.strip()


def _split(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def _weights(s: str | None) -> list[float] | None:
    from diffexplain.core.points import parse_point

    if not s:
        return None
    vals = parse_point("w=[" + s + "]")["w"]
    assert isinstance(vals, list)
    return vals


def emit(text: str, output: str | None) -> None:
    """``text`` to ``output`` by the rules of :mod:`diffexplain.files` (``None``: stdout).

    An empty name is refused, never read as "no file"; every failure is exit code 2.
    """
    write_all([(output, text)])


def _lang_option(p: argparse.ArgumentParser) -> None:
    # read early from argv by main() (the --help text itself is translated); here for --help
    p.add_argument("--lang", metavar="LANG", default=argparse.SUPPRESS,
                   help=_("language of the prose: en or zh (default: from LC_ALL, LC_MESSAGES, "
                          "LANG)"))
