"""The per-file time limit, honest: a file that takes too long is ``read.timeout``, whatever
was slow, and nothing else.

A timed-out file is not damaged as far as anyone knows, so its problem says so (and not "ask
for the file again"); its rows are never stored (:data:`xltools.batch.store.NOT_STORED`), so the
next run, with a longer limit or none, reads it again.

Two layers:

* **soft** (every local run): a SIGALRM timer raises :class:`TimeUp`. It derives from
  ``BaseException`` on purpose: the catch-alls on the way (the package check, ``read_file``'s
  "a bug of ours" guard) catch ``Exception`` and would turn it into ``read.corrupt`` or
  ``read.internal_error``. Python code stops at once; a native call in progress (calamine
  parsing a sheet) stops when it returns, because a signal handler runs between bytecodes.
* **hard** (pool workers only): a native call that does not return. A faulthandler watchdog
  (a C thread: it needs no GIL) ends the worker process 1 to :data:`GRACE` seconds past the
  limit (one watchdog per chunk of files, :class:`HardLimit`);
  the runner then reads each file that worker held alone, under a parent-side timeout that
  kills and replaces the worker (pebble), and the file that runs out of time alone becomes
  ``read.timeout``. The batch goes on with a fresh worker.

``jobs=1`` parses inline, in the caller's process, which must not be killed: there only the
soft layer applies, so a native call that never returns cannot be stopped (use ``jobs`` of 2
or more for that). Dask workers run tasks in threads, where no signal is delivered: there the
cluster's own limits apply.
"""

from __future__ import annotations

import faulthandler
import hashlib
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from xltools import problems as P
from xltools.rows import FileRows

if TYPE_CHECKING:
    from xltools.forms.catalogue import Catalogue

#: seconds past the limit before a worker stuck in a native call is ended (at most; at least half)
GRACE = 2.0


class TimeUp(BaseException):
    """The file's time is up (a BaseException: no ``except Exception`` may swallow it)."""


def timed_out(path: str, data: bytes | None, seconds: float) -> FileRows:
    """The rows of a file whose time ran out: one ``read.timeout`` problem, nothing else
    (hashed from ``data``, or from the file when the worker was to read it)."""
    if data is None:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            data = None
    out = FileRows(path=path, sha256=hashlib.sha256(data).hexdigest() if data is not None else "")
    out.problems.append(P.make("read.timeout", path=path, detail=f"{seconds:g}").row())
    return out


def read_file(path: str, catalogue: Catalogue, passwords: list[str] | None,
              data: bytes | None = None) -> FileRows:
    """:func:`xltools.pipeline.read_file`, imported on first use: workers have it preloaded, and
    the process gathering a batch, which never reads a file itself, starts without it."""
    from xltools.pipeline import read_file as read

    return read(path, catalogue, passwords, data=data)


def read_limited(path: str, catalogue: Catalogue, passwords: list[str] | None, data: bytes | None,
                 seconds: float | None) -> FileRows:
    """:func:`read_file` under the soft limit: past ``seconds`` it is ``read.timeout``."""
    usable = (seconds and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        return read_file(path, catalogue, passwords, data=data)
    active = True

    def _alarm(_signum: int, _frame: Any) -> None:
        if active:
            # again soon, in case this one lands where Python swallows it (a __del__)
            signal.setitimer(signal.ITIMER_REAL, REARM)
            raise TimeUp

    previous = signal.signal(signal.SIGALRM, _alarm)
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet(hook)
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            return read_file(path, catalogue, passwords, data=data)
        finally:  # an alarm before the next line raises into the except below; after, nothing
            active = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    except TimeUp:
        return timed_out(path, data, float(seconds or 0))
    finally:
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = hook


#: seconds until the alarm repeats when its exception was swallowed
REARM = 0.05


def _quiet(hook: Any) -> Any:
    """The unraisable hook, silent about a TimeUp swallowed by a destructor (it fires again)."""

    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, TimeUp):
            hook(unraisable)

    return quiet


_DEVNULL: Any = None


class HardLimit:
    """The hard layer over a worker's chunk of files: one watchdog, re-armed only as it runs down.

    Arming faulthandler's watchdog starts a C thread, and cancelling it joins that thread: per
    file that cost 0.15-0.2 ms here, a twentieth of an official-look file's whole parse. So it
    is armed once for ``seconds + GRACE`` when the chunk starts, and again before a file only
    when more than ``GRACE / 2`` of it has run down. Every file therefore gets between
    ``seconds + GRACE / 2`` and ``seconds + GRACE`` before the process is ended: always past its
    soft limit, with time for that to act first. Cancelled when the chunk is done, so an idle
    worker is never ended. The watchdog's traceback goes to /dev/null: the user learns of it
    as ``read.timeout``.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds if seconds and seconds > 0 else None
        self.armed_at: float | None = None

    def __enter__(self) -> HardLimit:
        return self

    def file_starts(self) -> None:
        """Before each file: make sure at least ``seconds + GRACE / 2`` are left."""
        if self.seconds is None:
            return
        now = time.monotonic()
        if self.armed_at is None or now - self.armed_at > GRACE / 2:
            global _DEVNULL
            if _DEVNULL is None:
                _DEVNULL = open(os.devnull, "w")  # noqa: SIM115 - kept open for the worker's life
            faulthandler.dump_traceback_later(self.seconds + GRACE, exit=True, file=_DEVNULL)
            self.armed_at = now

    def __exit__(self, *exc: object) -> None:
        if self.armed_at is not None:
            faulthandler.cancel_dump_traceback_later()
            self.armed_at = None
