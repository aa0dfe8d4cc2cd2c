"""Run a function under a wall-time budget that can really stop it: in a child process.

A timer in the same thread cannot interrupt sympy while it is inside big-integer
arithmetic or printing, so the symbolic side runs in a forked child that the
parent kills when :attr:`Limits.symbolic_seconds` runs out. Forking a process
that has already imported sympy costs a few milliseconds and no re-import, so
even the smallest explanation can afford it. Where ``fork`` does not exist
(Windows, and macOS where it is unsafe) the function runs in-process and the
budget is not enforced; :data:`ENFORCED` says which. ``seconds=inf`` also runs
in-process (no budget, no fork).

The worker also gets an address-space ceiling (``RLIMIT_AS``): what it had when forked
plus ``memory_mb`` MiB. Past it, allocation fails inside the worker, which reports
:class:`MemoryLimit` instead of growing until the machine swaps or the OOM killer picks a
victim. It is enforced wherever the budget is (Linux).
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["ENFORCED", "MemoryLimit", "Timeout", "WorkerCrashed", "run_with_budget"]

#: True where the budget is enforced by killing a worker process
ENFORCED = sys.platform.startswith("linux") and hasattr(os, "fork")


class Timeout(Exception):
    """The budget ran out and the worker was killed."""


class WorkerCrashed(Exception):
    """The worker died without an answer (killed by the OS, out of memory, a segfault)."""


class MemoryLimit(Exception):
    """The worker needed more than its address-space ceiling (``memory_mb``)."""


def _address_space() -> int:
    """This process's virtual memory size in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what the worker has now plus ``memory_mb`` MiB."""
    if memory_mb <= 0:
        return
    import resource

    ceiling = _address_space() + memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...], memory_mb: int = 0) -> None:
    try:
        _limit_memory(memory_mb)
        result: tuple[str, Any] = ("ok", fn(*args))
    except BaseException as err:  # noqa: BLE001 - everything goes back to the parent
        # out of memory, even when a library turned it into another error (an ImportError)
        # (an import that fails under the ceiling is one: everything else is imported already)
        mem = _from_memory(err) or (memory_mb > 0 and isinstance(err, ImportError))
        result = ("mem", None) if mem else ("err", err)
    try:
        conn.send(result)
    except Exception as err:  # noqa: BLE001 - the result or the error did not pickle
        conn.send(("err", RuntimeError(f"worker result not picklable: {type(err).__name__}: "
                                       f"{err}")))
    finally:
        conn.close()


def _from_memory(err: BaseException | None) -> bool:
    seen = 0
    while err is not None and seen < 50:
        if isinstance(err, MemoryError):
            return True
        err = err.__cause__ or err.__context__
        seen += 1
    return False


def run_with_budget(fn: Callable[..., Any], args: tuple[Any, ...], seconds: float,
                    memory_mb: int = 0) -> Any:
    """``fn(*args)``, or :class:`Timeout` once ``seconds`` have passed.

    ``memory_mb`` > 0 caps the worker's address space at its size when forked plus that
    many MiB (see the module docstring).

    Exceptions raised by ``fn`` are re-raised in the caller (they travel by
    pickle, so they must be picklable, as the library's errors are).

    Raises:
        Timeout: the budget ran out; the worker has been killed.
        WorkerCrashed: the worker died without sending a result.
        MemoryLimit: the worker ran out of its ``memory_mb``.
    """
    if not ENFORCED or seconds == float("inf"):
        return fn(*args)
    import multiprocessing  # here, not at import: ~15 ms that trivial graphs never pay

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, memory_mb), daemon=True)
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
    if status == "mem":
        raise MemoryLimit(f"the worker needed more than {memory_mb} MiB")
    if status == "err":
        raise payload
    return payload


def _exitcode(proc: Any) -> int | None:
    proc.join(1.0)
    return proc.exitcode
