"""``pymdownx.superfences`` custom fences that run diffexplain while the docs are built.

A page holds the question; the build computes the answer, so a page cannot show a
number this build did not compute, for example:

    ```diffexplain
    (x+w)*(w+1)
    at: w=1,x=2
    wrt: w
    ```

Each fence is a validator and a formatter (superfences' API); nothing here imports
mkdocs, so any Python-Markdown user can register them (see :func:`custom_fences`).
A fence that fails logs a warning on the ``mkdocs.plugins.diffexplain`` logger, which
makes ``mkdocs build --strict`` fail, and shows a one-line error box, never a traceback.

Languages:

* ``diffexplain``: an expression (or program) and ``key: value`` options, see
  :data:`OPTIONS`: the derivation and the autograd run side by side, the numeric check
  and the verdict, the commands that reproduce it (:mod:`diffexplain.docsite.explain`).
* ``diffexplain-derivation``: ``derivation: NAME``, a verified derivation from
  :mod:`diffexplain.checking.equations`.
* ``diffexplain-run``: ``script: PATH`` (relative to the docs' project directory), a
  script run at build time with ``--out DIR``; its ``summary.json`` and figures are shown.
* ``diffexplain-cli``: the ``--help`` of the CLI and of each subcommand, from argparse.
* ``diffexplain-options``: the table of the ``diffexplain`` fence's options.
* ``diffexplain-trace``, ``diffexplain-plot``, ``diffexplain-swell``, ``diffexplain-check``
  (:mod:`diffexplain.docsite.more`).
* ``diffexplain-exercise``, ``diffexplain-gradcheck``, ``diffexplain-jvp``
  (:mod:`diffexplain.docsite.torchside`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from diffexplain.docsite.common import OPTIONS, FenceError, error_box, parse_body, passthrough, set_context
from diffexplain.docsite.explain import format_derivation, format_explain, format_options
from diffexplain.docsite.more import (
    format_check,
    format_cli,
    format_plot,
    format_run,
    format_swell,
    format_trace,
)
from diffexplain.docsite.torchfence import format_torch
from diffexplain.docsite.torchside import format_exercise, format_gradcheck, format_jvp
from diffexplain.errors import DiffexplainError

__all__ = [
    "LANGUAGES",
    "OPTIONS",
    "FenceError",
    "custom_fences",
    "format_check",
    "format_cli",
    "format_derivation",
    "format_exercise",
    "format_explain",
    "format_gradcheck",
    "format_jvp",
    "format_options",
    "format_plot",
    "format_run",
    "format_swell",
    "format_trace",
    "formatter",
    "parse_body",
    "passthrough",
    "set_context",
    "validator",
]

_passthrough = passthrough  # the name tests and older hooks used


#: fence language → function of the fence's body that returns HTML
LANGUAGES: dict[str, Callable[[str], str]] = {
    "diffexplain": format_explain,
    "diffexplain-options": format_options,
    "diffexplain-derivation": format_derivation,
    "diffexplain-run": format_run,
    "diffexplain-cli": format_cli,
    "diffexplain-trace": format_trace,
    "diffexplain-plot": format_plot,
    "diffexplain-swell": format_swell,
    "diffexplain-check": format_check,
    "diffexplain-exercise": format_exercise,
    "diffexplain-gradcheck": format_gradcheck,
    "diffexplain-jvp": format_jvp,
    "diffexplain-torch": format_torch,
}



# --- superfences' API -------------------------------------------------------------------

def validator(language: str, inputs: Mapping[str, str], options: dict[str, Any],
              attrs: dict[str, Any], md: Any) -> bool:
    """Accept the fence; options live in its body (``key: value`` lines), not its header."""
    if inputs:
        options["header"] = dict(inputs)  # reported by the formatter, not silently ignored
    return language in LANGUAGES


#: fences already rendered in this process: a page built once per language runs them once
_DONE: dict[tuple[str, str], str] = {}


def formatter(source: str, language: str, class_name: str, options: Mapping[str, Any],
              md: Any, **kwargs: Any) -> str:
    """Run the fence at build time; on failure log a warning and show a one-line error."""
    key = (language, source)
    if key in _DONE:  # the same fence on another language's copy of a page (i18n fallback)
        return _DONE[key]
    try:
        if options.get("header"):
            raise FenceError(f"options go in the fence's body as 'key: value' lines, not in "
                             f"its header ({', '.join(options['header'])})")
        out = LANGUAGES[language](source)
        _DONE[key] = out
        return out
    except DiffexplainError as err:
        return error_box(language, err)
    except Exception as err:  # noqa: BLE001 - the build must report it, not crash mid-page
        return error_box(language, RuntimeError(f"{type(err).__name__}: {err}"))


def custom_fences() -> list[dict[str, Any]]:
    """The ``custom_fences`` entries for ``pymdownx.superfences``, one per language."""
    return [{"name": name, "class": name, "format": formatter, "validator": validator}
            for name in LANGUAGES]
