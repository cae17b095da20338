"""Progress of a batch, reported through a callback.

The library (:func:`xltools.batch.run`) never asks "am I quiet?" or "is stderr a terminal?": it
calls whatever callable it is given with a :class:`Tick` after each file. The command line
supplies a :class:`Reporter`, which draws a one-line bar on stderr only when stderr is a
terminal and ``--quiet`` was not given, and writes a one-line Japanese summary at the end.

The bar is a few lines of our own rather than tqdm: it is all we need (count, rate, time left),
and it keeps the dependency list short.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

#: how a file was handled; the ``files`` frame of a batch uses the same words
OUTCOMES = ("parsed", "cached", "duplicate", "skipped", "unreadable")


@dataclass(frozen=True)
class Tick:
    """One file finished: ``done`` of ``total``, and how it was handled."""

    done: int
    total: int
    path: str
    outcome: str  # one of OUTCOMES


ProgressCallback = Callable[[Tick], None]


@dataclass
class Reporter:
    """A progress callback for the command line: a bar on a terminal, a summary at the end.

    ``bar`` and ``summary`` are decided once, by the caller (the CLI), from ``--quiet`` and
    ``stream.isatty()``; nothing below re-tests them per file.
    """

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    bar: bool = True
    summary: bool = True
    min_interval: float = 0.1  # seconds between redraws: drawing must not cost more than reading
    _start: float = field(default_factory=time.perf_counter, repr=False)
    _last: float = field(default=0.0, repr=False)
    _drawn: bool = field(default=False, repr=False)

    @classmethod
    def for_terminal(cls, quiet: bool = False, stream: TextIO | None = None) -> Reporter:
        """Bar only on an interactive stderr; nothing at all with ``quiet``."""
        stream = stream or sys.stderr
        tty = bool(getattr(stream, "isatty", lambda: False)())
        return cls(stream=stream, bar=tty and not quiet, summary=not quiet)

    def __call__(self, tick: Tick) -> None:
        if not self.bar:
            return
        now = time.perf_counter()
        if tick.done < tick.total and now - self._last < self.min_interval:
            return
        self._last = now
        self.stream.write("\r" + bar_line(tick, now - self._start))
        if tick.done >= tick.total:  # the last file: end the line so what follows starts clean
            self.stream.write("\n")
            self._drawn = False
        else:
            self._drawn = True
        self.stream.flush()

    def close(self, result: Any = None) -> None:
        """End the bar's line and, unless quiet, write the summary of ``result``."""
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False
        if self.summary and result is not None:
            self.stream.write(summary_line(result) + "\n")
        self.stream.flush()


def terminal_progress(quiet: bool = False) -> Reporter:
    """The command line's default callback (a bar on an interactive stderr, else silent)."""
    return Reporter.for_terminal(quiet=quiet)


def bar_line(tick: Tick, elapsed: float, width: int = 24) -> str:
    """``[#####.....] 120/1000 件  85.3 件/秒  残り 10 秒`` (fixed width, so \\r overwrites it)."""
    frac = tick.done / tick.total if tick.total else 1.0
    filled = int(frac * width)
    rate = tick.done / elapsed if elapsed > 0 else 0.0
    left = (tick.total - tick.done) / rate if rate > 0 else 0.0
    return (f"[{'#' * filled}{'.' * (width - filled)}] {tick.done}/{tick.total} 件 "
            f"{rate:6.1f} 件/秒  残り {left:4.0f} 秒 ")


def summary_line(result: Any) -> str:
    """One Japanese line: files read, forms found, problems, time (from a batch result)."""
    stats = getattr(result, "stats", None) or {}
    subs = getattr(result, "submissions", None)
    probs = getattr(result, "problems", None)
    n_forms = len(subs) if subs is not None else 0
    n_probs = len(probs) if probs is not None else 0
    n_err = int((probs["severity"] == "error").sum()) if n_probs else 0
    files = int(stats.get("files", 0))
    seconds = float(stats.get("seconds", 0.0))
    rate = files / seconds if seconds > 0 else 0.0
    detail = (f"新規 {stats.get('parsed', 0):,}・前回の結果 {stats.get('cached', 0):,}・"
              f"重複 {stats.get('duplicate', 0):,}")
    return (f"ファイル {files:,} 件を処理しました（{detail}）。様式 {n_forms:,} 件、"
            f"問題 {n_probs:,} 件（エラー {n_err:,} 件）。{seconds:.1f} 秒（{rate:.1f} 件/秒）。")
