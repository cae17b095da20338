"""Outputs written whole or not at all: a temporary file beside the target, then a rename.

A run killed while writing (Ctrl-C, a power cut, a closed laptop) must leave the user's previous
集計.xlsx, CSV or Parquet file as it was. So every writer writes into a hidden temporary file in
the *same folder* (a rename is only atomic within one file system), flushes it to disk, and
replaces the target with :func:`os.replace`. The temporary name starts with a dot, so a reader
walking the folder skips it, and it is removed when writing fails.

Errors come out as :class:`xltools.errors.OutputError` with one Japanese sentence: a file held
open by Excel (Windows refuses the replace) is told to be closed, a read-only folder to be
changed. xlsxwriter's ``FileCreateError`` is unwrapped to the :class:`OSError` it carries.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from xltools.errors import OutputError, output_error


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Flush a file's bytes to the disk before it is renamed into place."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc`` (xlsxwriter wraps it in ``FileCreateError``), if any."""
    if isinstance(exc, OSError):
        return exc
    for inner in (*getattr(exc, "args", ()), exc.__cause__, exc.__context__):
        if isinstance(inner, OSError):
            return inner
    return None


def ensure_folder(folder: str | os.PathLike[str]) -> Path:
    """Create an output folder (and its parents); an impossible one is an OutputError."""
    p = Path(folder)
    try:
        p.mkdir(parents=True, exist_ok=True)
        if not p.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(p))
    except OSError as exc:
        raise output_error(p, exc) from exc
    return p


@contextlib.contextmanager
def replacing(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write ``target``'s new content into; on success it replaces
    ``target`` in one step, on any failure (or a kill) ``target`` is untouched.

    Example::

        with replacing("集計.xlsx") as tmp:
            workbook = xlsxwriter.Workbook(tmp); ...; workbook.close()
    """
    target = Path(target)
    if target.is_dir():
        raise output_error(target, IsADirectoryError(target))
    try:
        folder = ensure_folder(target.parent)
    except OutputError as exc:  # name the file the user asked for, not only its folder
        cause = exc.__cause__
        raise (output_error(target, cause) if isinstance(cause, OSError) else exc) from cause
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=f".tmp{target.suffix}",
                                    dir=folder)
    except OSError as exc:
        raise output_error(target, exc) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        try:
            yield tmp
            fsync_file(tmp)
            _replace(tmp, target)
        except OutputError:
            raise
        except Exception as exc:
            cause = _os_error(exc)
            if cause is None:
                raise
            raise output_error(target, cause) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _fsync_dir(folder)


def _replace(tmp: Path, target: Path) -> None:
    """os.replace, keeping the old file's permission bits when there was one."""
    with contextlib.suppress(OSError):
        os.chmod(tmp, target.stat().st_mode & 0o7777)
    if not target.exists():
        with contextlib.suppress(OSError):  # mkstemp makes 0600; a new output gets the umask's
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
    os.replace(tmp, target)


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically."""
    with replacing(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` atomically."""
    return write_bytes(target, text.encode(encoding))


def move_into(staged: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Move a finished file (written elsewhere in the same folder) into place, durably."""
    staged, target = Path(staged), Path(target)
    try:
        fsync_file(staged)
        _replace(staged, target)
    except OSError as exc:
        raise output_error(target, exc) from exc
    return target


__all__ = ["replacing", "write_bytes", "write_text", "move_into", "ensure_folder", "fsync_file"]
