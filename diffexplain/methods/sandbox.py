"""Run a function under a wall-time budget that can really stop it: in a child process.

A timer in the same thread cannot interrupt sympy while it is inside big-integer
arithmetic or printing, so the symbolic side runs in a forked child that the
parent kills when :attr:`Limits.symbolic_seconds` runs out. Forking a process
that has already imported sympy costs a few milliseconds and no re-import, so
even the smallest explanation can afford it. Where ``fork`` does not exist
(Windows, and macOS where it is unsafe) the function runs in-process and the
budget is not enforced; :data:`ENFORCED` says which. ``seconds=inf`` with no memory
ceiling also runs in-process (no budget, no fork); with a ceiling it forks and waits.

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
from typing import TYPE_CHECKING, Any

from diffexplain.errors import LimitExceeded
from diffexplain.i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from diffexplain.limits import Limits

__all__ = ["ENFORCED", "MemoryLimit", "Timeout", "WorkerCrashed", "memory_exceeded", "run_bounded",
           "run_with_budget"]

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
    if not ENFORCED or (seconds == float("inf") and memory_mb <= 0):
        return fn(*args)
    import multiprocessing  # here, not at import: ~15 ms that trivial graphs never pay

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, memory_mb), daemon=True)
    proc.start()
    send.close()  # the parent keeps only the reading end, so a dead child reads as EOF
    try:
        if not recv.poll(None if seconds == float("inf") else seconds):
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


def memory_exceeded(limits: Limits) -> LimitExceeded:
    """The one error for a worker past ``symbolic_memory_mb`` (exit code 3)."""
    return LimitExceeded(_("the symbolic side needed more than {mb} MiB of memory").format(
        mb=limits.symbolic_memory_mb), _("raise it with --symbolic-memory-mb (API: "
        "limits=Limits(symbolic_memory_mb=…); 0 for no limit)"))


def run_bounded(fn: Callable[..., Any], args: tuple[Any, ...], limits: Limits, what: str,
                hint: str = "") -> Any:
    """``fn(*args)`` in the symbolic worker, for sympy work that has no cheaper fallback.

    ``--order N``, ``--hessian`` and the symbolic Jacobian build closed forms that can
    swell without bound (``(x+y+z+w+1)**999*…`` took 5 GB by order 3): they get the same
    time budget (``symbolic_seconds``) and address-space ceiling (``symbolic_memory_mb``)
    as the derivation, and exceeding either is a limit (exit code 3), named in one line.
    """
    try:
        return run_with_budget(fn, args, limits.symbolic_seconds, limits.symbolic_memory_mb)
    except MemoryLimit:
        raise memory_exceeded(limits) from None
    except Timeout:
        raise LimitExceeded(_("{what} did not finish within {seconds} s").format(
            what=what, seconds=f"{limits.symbolic_seconds:g}"),
            hint or _("raise it with --symbolic-seconds (API: limits=Limits("
                      "symbolic_seconds=…))")) from None
    except WorkerCrashed as err:
        raise LimitExceeded(_("{what}: the symbolic worker failed ({error})").format(
            what=what, error=err), _("raise --symbolic-memory-mb or --symbolic-seconds"
                                     )) from None


def _exitcode(proc: Any) -> int | None:
    proc.join(1.0)
    return proc.exitcode
