"""diffexplain: explain a derivative symbolically, with torch autograd, and numerically.

>>> import diffexplain as dx
>>> e = dx.explain("(x+w)*(w+1)", at={"w": 1, "x": 2})
>>> e.gradient["w"]
5.0

Importing this package imports neither sympy, torch, networkx nor matplotlib:
each stage imports what it needs when it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from diffexplain._version import __version__
from diffexplain.errors import DiffexplainError, InputError, LimitExceeded, ParseError, VerificationError
from diffexplain.limits import Limits

__all__ = [
    "DiffexplainError",
    "InputError",
    "LimitExceeded",
    "Limits",
    "ParseError",
    "VerificationError",
    "__version__",
    "check",
    "explain",
    "fn",
    "parse",
    "record",
    "trace",
]

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.checking import check
    from diffexplain.core.parsing import parse
    from diffexplain.core.recording import record
    from diffexplain.core.tracing import fn
    from diffexplain.pipeline import explain, trace


def __getattr__(name: str) -> Any:
    # lazy: `diffexplain --help` must not pay for the pipeline's imports
    if name == "explain":
        from diffexplain.pipeline import explain

        return explain
    if name == "check":
        from diffexplain.checking import check

        globals()["check"] = check
        return check
    if name == "parse":
        from diffexplain.core.parsing import parse

        return parse
    if name == "record":  # PyTorch code recorded as it runs: diffexplain.core.recording
        from diffexplain.core.recording import record

        return record
    if name == "trace":  # Python control flow: recorded by core.tracing, explained by pipeline
        from diffexplain.pipeline import trace

        return trace
    if name == "fn":
        from diffexplain.core.tracing import fn

        return fn
    raise AttributeError(f"module 'diffexplain' has no attribute {name!r}")


def __dir__() -> list[str]:
    # what a learner can use (the lazy names included), not the module's typing imports
    return sorted(__all__)
