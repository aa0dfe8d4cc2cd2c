"""``path/to/file.py:f`` to the function: the one place ``diffexplain trace`` runs a file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diffexplain.errors import InputError
from diffexplain.i18n import _

__all__ = ["load_function"]


def load_function(spec: str) -> Callable[..., Any]:
    """``path/to/file.py:f`` → the function. This EXECUTES the file (the user asked to)."""
    import importlib.util
    import os

    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise InputError(_("expected FILE.py:FUNCTION, got {spec!r}").format(spec=spec))
    if not os.path.isfile(path):
        raise InputError(_("no such file: {path}").format(path=path))
    if not name.isidentifier():
        raise InputError(_("{name!r} is not a function name").format(name=name))
    mod_name = "_diffexplain_traced_" + os.path.splitext(os.path.basename(path))[0].replace(
        "-", "_")
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    if module_spec is None or module_spec.loader is None:
        raise InputError(_("cannot load {path} as Python").format(path=path))
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as err:
        raise InputError(_("running {path} raised {error}: {message}").format(
            path=path, error=type(err).__name__, message=err)) from err
    f = getattr(module, name, None)
    if not callable(f):
        raise InputError(_("{path} defines no function {name!r}").format(path=path, name=name))
    return f
