"""Writing the user's output files: one place decides how a path is written.

Every command that writes a file (``-o``, ``--graph``, ``plot -o``, ``swell -o``,
``check --batch -o``) goes through here, so the rule is the same everywhere:

* a new path, or an existing **regular file**, is written to a temporary file beside it
  and renamed over it: never half-written, never a leftover temporary file;
* a **character device** or a **FIFO** (``/dev/null``, a terminal, a named pipe) is
  written straight into, never replaced; a path that is this process's own standard
  output (``/dev/stdout``, ``/proc/self/fd/1``) is the same as giving no path;
* a **symbolic link** is followed: the file it points to is written by the rules above
  and the link stays a link; a link to nothing is refused (it would create a file
  somewhere else than the name given);
* anything else (a directory, a **block device**, a socket) is refused; so is an empty
  name, a read-only file, a missing directory.

Every failure is an :class:`~diffexplain.errors.InputError` (exit code 2) that names the
path and the reason, e.g. ``cannot write '/dev/full': No space left on device``.
:func:`write_all` checks every target before it writes any, and renames last, so an error
leaves nothing half-done.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Sequence

from diffexplain.errors import InputError
from diffexplain.i18n import _

__all__ = ["check_target", "write_all", "write_atomic", "write_file"]

_ATOMIC, _STREAM, _STDOUT = "atomic", "stream", "stdout"


def _fail(path: str, reason: str) -> InputError:
    return InputError(_("cannot write {path!r}: {reason}").format(path=path, reason=reason))


def _is_stdout(st: os.stat_result) -> bool:
    try:
        out = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (pytest capture, closed)
        return False
    return (out.st_dev, out.st_ino) == (st.st_dev, st.st_ino)


def check_target(path: str) -> tuple[str, str]:
    """How ``path`` will be written: ``(kind, real path)``; refuse it before any work.

    Raises:
        InputError: the path must not or cannot be written (see the module's rules).
    """
    if not path:
        raise InputError(_("the output file name is empty"))
    if "\0" in path:
        raise _fail(path, _("the name contains a NUL character"))
    try:
        st = os.stat(path)  # follows symbolic links
    except FileNotFoundError:
        if os.path.islink(path):
            raise _fail(path, _("it is a symbolic link to a missing file ({target!r})").format(
                target=os.readlink(path))) from None
        _check_directory(path, path)
        return _ATOMIC, path
    except OSError as err:  # ELOOP, ENAMETOOLONG, ENOTDIR, EACCES
        raise _fail(path, err.strerror or str(err)) from None
    if stat.S_ISREG(st.st_mode):
        if _is_stdout(st):
            return _STDOUT, path
        real = os.path.realpath(path)
        if not os.access(real, os.W_OK):
            raise _fail(path, os.strerror(13))  # a read-only file is not replaced behind it
        _check_directory(real, path)
        return _ATOMIC, real
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return (_STDOUT if _is_stdout(st) else _STREAM), path
    if stat.S_ISDIR(st.st_mode):
        raise _fail(path, os.strerror(21))
    if stat.S_ISBLK(st.st_mode):
        raise _fail(path, _("it is a block device; diffexplain never writes to one"))
    raise _fail(path, _("it is not a regular file, a character device or a FIFO"))


def _check_directory(real: str, shown: str) -> None:
    directory = os.path.dirname(os.path.abspath(real))
    if not os.path.isdir(directory):
        raise _fail(shown, os.strerror(2) if not os.path.exists(directory) else os.strerror(20))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise _fail(shown, os.strerror(13))


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _stage(real: str, data: bytes, shown: str) -> str:
    """A temporary file beside ``real`` holding ``data``, with the mode the file will have."""
    directory = os.path.dirname(os.path.abspath(real))
    try:
        import tempfile  # here, not at the top: it costs --help 6 ms (shutil, random, bz2)

        fd, tmp = tempfile.mkstemp(prefix=".diffexplain-", dir=directory)
    except OSError as err:
        raise _fail(shown, err.strerror or str(err)) from None
    try:
        try:
            old = os.stat(real)
        except OSError:
            old = None
        if old is not None:  # replacing keeps the file's mode (and owner, when allowed)
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            if hasattr(os, "chown") and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(tmp, old.st_uid, old.st_gid)
                except OSError:
                    pass
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a new file should not be private
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as err:
        _unlink(tmp)
        if isinstance(err, OSError):
            raise _fail(shown, err.strerror or str(err)) from None
        raise
    return tmp


def _unlink(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _stream(path: str, data: bytes) -> None:
    """Write into a character device or FIFO as it is (a FIFO waits for its reader, as ``>`` does)."""
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise _fail(path, err.strerror or str(err)) from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as err:  # ENOSPC from /dev/full, EPIPE from a FIFO whose reader left
        raise _fail(path, err.strerror or str(err)) from None
    finally:
        os.close(fd)


def _stdout(data: str | bytes) -> None:
    if isinstance(data, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(data if data.endswith("\n") or not data else data + "\n")
        sys.stdout.flush()


def write_all(items: Sequence[tuple[str | None, str | bytes]]) -> None:
    """Write several outputs (``None`` = standard output) as one step.

    Every path is checked first; files are staged as temporary files; devices, FIFOs and
    standard output are written; only then are the staged files renamed into place. A
    failure before the renames replaces no file and leaves no temporary file.
    """
    targets = [(check_target(p) if p is not None else (_STDOUT, ""), p, d) for p, d in items]
    staged: list[tuple[str, str, str]] = []
    try:
        for (kind, real), shown, data in targets:
            if kind == _ATOMIC:
                staged.append((_stage(real, _bytes(data), shown or real), real, shown or real))
        for (kind, real), _shown, data in targets:
            if kind == _STREAM:
                _stream(real, _bytes(data))
            elif kind == _STDOUT:
                _stdout(data)
        while staged:
            tmp, real, shown = staged[0]
            try:
                st = os.lstat(real)
            except FileNotFoundError:
                st = None
            if st is not None and not stat.S_ISREG(st.st_mode):  # swapped since the check
                raise _fail(shown, _("it is no longer a regular file"))
            try:
                os.replace(tmp, real)
            except OSError as err:
                raise _fail(shown, err.strerror or str(err)) from None
            staged.pop(0)
    finally:
        for tmp, _real, _shown in staged:
            _unlink(tmp)


def write_file(path: str, data: str | bytes) -> None:
    """Write one output by the module's rules (an existing regular file is replaced atomically)."""
    write_all([(path, data)])


#: the historical name, kept for callers: regular files are still written atomically
write_atomic = write_file
