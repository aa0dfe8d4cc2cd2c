"""Run a function under a wall-time budget that can really stop it: in a child process.

A timer in the same thread cannot interrupt sympy while it is inside big-integer
arithmetic or printing, so the symbolic side runs in a forked child that the
parent kills when :attr:`Limits.symbolic_seconds` runs out. Forking a process
that has already imported sympy costs a few milliseconds and no re-import, so
even the smallest explanation can afford it. Where ``fork`` does not exist
(Windows, and macOS where it is unsafe) the function runs in-process and the
budget is not enforced; :data:`ENFORCED` says which. ``seconds=inf`` also runs
in-process (no budget, no fork).
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["ENFORCED", "Timeout", "WorkerCrashed", "run_with_budget"]

#: True where the budget is enforced by killing a worker process
ENFORCED = sys.platform.startswith("linux") and hasattr(os, "fork")


class Timeout(Exception):
    """The budget ran out and the worker was killed."""


class WorkerCrashed(Exception):
    """The worker died without an answer (killed by the OS, out of memory, a segfault)."""


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result: tuple[str, Any] = ("ok", fn(*args))
    except BaseException as err:  # noqa: BLE001 - everything goes back to the parent
        result = ("err", err)
    try:
        conn.send(result)
    except Exception as err:  # noqa: BLE001 - the result or the error did not pickle
        conn.send(("err", RuntimeError(f"worker result not picklable: {type(err).__name__}: "
                                       f"{err}")))
    finally:
        conn.close()


def run_with_budget(fn: Callable[..., Any], args: tuple[Any, ...], seconds: float) -> Any:
    """``fn(*args)``, or :class:`Timeout` once ``seconds`` have passed.

    Exceptions raised by ``fn`` are re-raised in the caller (they travel by
    pickle, so they must be picklable, as the library's errors are).

    Raises:
        Timeout: the budget ran out; the worker has been killed.
        WorkerCrashed: the worker died without sending a result.
    """
    if not ENFORCED or seconds == float("inf"):
        return fn(*args)
    import multiprocessing  # here, not at import: ~15 ms that trivial graphs never pay

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    proc.start()
    send.close()  # the parent keeps only the reading end, so a dead child reads as EOF
    try:
        if not recv.poll(seconds):
            raise Timeout(f"did not finish within {seconds:g} s")
        try:
            status, payload = recv.recv()
        except (EOFError, OSError, pickle.UnpicklingError) as err:
            raise WorkerCrashed(f"the worker died (exit code {_exitcode(proc)})") from err
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join()
    if status == "err":
        raise payload
    return payload


def _exitcode(proc: Any) -> int | None:
    proc.join(1.0)
    return proc.exitcode
