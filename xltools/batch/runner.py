"""Thousands of files: read each once, in parallel, reuse last run's rows, lose nothing.

:func:`run` is :func:`xltools.api.read_many` made for big folders:

* **Each file's bytes are read once** and hashed (sha256): by the worker that parses it, or
  in this process when the hash is needed first (a store holding rows looks files up by it; a
  dask cluster shares no disk) and for the first files, read while the workers boot. Identical
  files count once: every later path (in input order) gets an ``info``
  ``read.duplicate_file`` problem naming the first path, and every path is listed in the
  ``files`` frame.
* **Parsing runs in worker processes** (a :class:`pebble.ProcessPool`, ``jobs`` of them,
  default one per CPU). Workers load the mapping catalogue once (pool initializer). Submission is bounded (a few tasks per worker in
  flight), so 10,000 files never mean 10,000 futures or 10,000 files' bytes in memory.
  ``jobs=1`` parses inline. A worker that dies (a native crash on a hostile file) or is ended
  by the time limit (:mod:`xltools.batch.limit`) does not take the batch with it: it is
  replaced, the files it held are read again one at a time, and the one that kills its worker
  again becomes a ``read.internal_error`` problem, or ``read.timeout`` when its time ran out.
* **Or on a dask.distributed cluster** (``scheduler=ADDRESS`` or ``XLTOOLS_SCHEDULER``): the
  same per-file parse, with the catalogue scattered to the workers once. Workers need xltools
  installed, but neither the files nor the mapping folder: bytes and the catalogue travel.
* **Incremental** with a :class:`~xltools.store.Store`: an unchanged file (same size and
  modification time) is not opened; known contents are not parsed again unless the mapping
  version or the reader changed.
* **Newest wins**: when one facility submits the same form (same edition, variant, vendor and
  system) more than once with different content, the newest (latest answered date written in
  the form, else the file's modification time) is current and each older one gets an ``info``
  ``batch.superseded`` problem naming the newer file. Nothing is dropped.

Rows come back in input order, so the frames equal the serial ``read_many`` frames for the same
inputs (apart from the rows this module adds: duplicates and superseded submissions).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import os
import signal
import stat as stat_mod
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pebble import ProcessExpired, ProcessPool

from xltools import problems as P
from xltools.batch import boot
from xltools.batch.boot import SCHEDULER_ENV, cpu_count
from xltools.batch.limit import GRACE, HardLimit, read_limited, timed_out
from xltools.batch.packed import Parsed, pack, pack_one
from xltools.batch.progress import ProgressCallback, Tick
from xltools.batch.store import Store, opened, reader_version
from xltools.errors import XltoolsError
from xltools.listing import listed
from xltools.output.schema import arrow_pool, arrow_table, frame, frame_from_arrow
from xltools.rows import FileRows, Result
from xltools.text import norm

if TYPE_CHECKING:  # pandas is imported when the frames are built, after the files are read
    import pandas as pd
    import pyarrow as pa

    from xltools.forms.catalogue import Catalogue

#: files larger than this are not read into memory at all (a checklist is well under 1 MB)
MAX_FILE_BYTES = 200 * 1024 * 1024
IN_FLIGHT_PER_JOB = 2  # chunks queued per worker
MAX_CHUNK = 16  # files per task sent to a worker
#: seconds one file may take; a checklist takes milliseconds, so this only stops a pathology
DEFAULT_TIME_LIMIT = 60.0

FILES_COLUMNS = ("path", "sha256", "size", "modified", "outcome", "duplicate_of",
                 "submissions", "problems")


class BatchError(XltoolsError, RuntimeError):
    """The batch cannot run at all (no dask, unreachable scheduler); files never raise this."""


@dataclass
class BatchResult(Result):
    """The three contract tables plus ``files`` (one row per input path) and run ``stats``."""

    files: pd.DataFrame = field(default_factory=lambda: _empty_files())
    stats: dict[str, Any] = field(default_factory=dict)


def _empty_files() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=FILES_COLUMNS)


@dataclass
class _Entry:
    """One input path on its way through the batch."""

    index: int
    path: str
    size: int = -1
    mtime_ns: int = 0
    sha256: str = ""
    outcome: str = ""
    duplicate_of: str = ""
    why: str = ""  # why an unreadable file could not be read
    code: str = "read.vanished"
    rows: FileRows | None = None  # submissions and problems
    answers: tuple[pa.Table, int, int] | None = None  # its chunk's table, first row, rows
    # its submissions and problems as made into Arrow when it finished (see _RowTables)
    tables: dict[str, tuple[pa.Table, int, int]] = field(default_factory=dict)

    @property
    def modified(self) -> str:
        """The file's modification time as :func:`xltools.read.read_book` writes it."""
        if not self.mtime_ns:
            return ""
        return dt.datetime.fromtimestamp(self.mtime_ns / 1e9).isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# inputs


def expand(inputs: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Files and folders -> paths, like :func:`xltools.pipeline.expand_inputs`, losing nothing.

    ``expand_inputs`` keeps only regular files found in folders; here a broken symlink, a pipe
    or a folder named like a workbook (``x.xlsx/``) is listed too, so it is reported as
    unreadable instead of silently missing from the count.
    """
    return listed(inputs, everything=True)


# --------------------------------------------------------------------------------------------
# workers

def worker_count(jobs: int | None, files: int) -> int:
    """Worker processes for ``files`` files: ``jobs`` (default one per CPU), never more than
    the CPUs (more only compete for them) nor than the files."""
    cpus = cpu_count()
    return max(1, min(jobs or cpus, cpus, files or 1))


_WORKER: dict[str, Any] = {}


def _init_worker(mappings: str | None, passwords: list[str] | None,
                 crash_on: str | None = None, time_limit: float | None = None,
                 hang_on: str | None = None, for_store: bool = False) -> None:
    """Pool initializer: load the catalogue once per worker process."""
    from xltools.forms.catalogue import load_catalogue

    _WORKER["for_store"] = for_store
    _WORKER["catalogue"] = load_catalogue(mappings)
    _WORKER["passwords"] = passwords
    _WORKER["crash_on"] = crash_on
    _WORKER["time_limit"] = time_limit
    _WORKER["hang_on"] = hang_on


def _parse_in_worker(path: str, data: bytes | None) -> FileRows:
    """One file in a pool worker, under the soft limit (a file read alone: the parent times it,
    no hard limit here, so the two do not race)."""
    _crash_hook(path)
    _hang_hook(path)
    return read_limited(path, _WORKER["catalogue"], _WORKER["passwords"], data,
                        _WORKER.get("time_limit"))


def _parse_chunk(tasks: list[tuple[str, bytes | None]]) -> list[Parsed]:
    """A chunk of files in a pool worker: the soft limit per file, and the hard one (this
    process ends when a native call overruns) watching the whole chunk."""
    done: list[FileRows] = []
    with HardLimit(_WORKER.get("time_limit")) as hard:
        for path, data in tasks:
            hard.file_starts()
            done.append(_parse_in_worker(path, data))
    return pack(done, _WORKER.get("for_store", False))


def _parse_with(path: str, data: bytes, catalogue: Catalogue,
                passwords: list[str] | None, for_store: bool = False) -> Parsed:
    """The dask task: everything it needs travels with it (no shared disk needed)."""
    from xltools.pipeline import read_file

    _crash_hook(path)
    return pack_one(read_file(path, catalogue, passwords, data=data), for_store)


CRASH_ENV = "XLTOOLS_TEST_CRASH_ON"
HANG_ENV = "XLTOOLS_TEST_HANG_ON"


def _crash_hook(path: str) -> None:
    """Tests kill a worker on purpose to prove a native crash costs one file, not the batch.

    Only pool workers obey (the name comes from ``$XLTOOLS_TEST_CRASH_ON`` in the parent when
    the pool starts), so it can never end the caller's own process.
    """
    victim = _WORKER.get("crash_on")
    if victim and Path(path).name == victim:
        os._exit(70)


def _hang_hook(path: str) -> None:
    """Tests hang a worker on purpose, as a native call that never returns would: the soft
    timer's signal is blocked, so only the hard limit can end it (``$XLTOOLS_TEST_HANG_ON``
    names the files; pool workers only, like :func:`_crash_hook`)."""
    victims = _WORKER.get("hang_on")
    if victims and Path(path).name in victims.split(","):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)


class _Catalogue:
    """The mapping catalogue, loaded when this process first needs it: to read a file itself
    (one worker, a fallback, a lock file), for the store's keys, or to check a user's mapping
    folder. A batch read by workers alone leaves it to them (the fork server loads it once),
    and starts reading files without it."""

    def __init__(self, mappings: str | None) -> None:
        self.mappings = mappings
        self._loaded: Catalogue | None = None

    def get(self) -> Catalogue:
        if self._loaded is None:
            from xltools.forms.catalogue import load_catalogue

            self._loaded = load_catalogue(self.mappings)
        return self._loaded


class _Inline:
    """jobs=1: parse in this process, in order."""

    def __init__(self, catalogue: _Catalogue, passwords: list[str] | None,
                 time_limit: float | None = None, for_store: bool = False) -> None:
        self.catalogue, self.passwords, self.time_limit = catalogue, passwords, time_limit
        self.for_store = for_store
        self.done: list[tuple[int, Parsed]] = []

    def wants_bytes(self) -> bool:
        """Read here anyway: the bytes first, then the reading stages are imported."""
        return True

    def submit(self, key: int, path: str, data: bytes | None) -> None:
        rows = read_limited(path, self.catalogue.get(), self.passwords, data, self.time_limit)
        self.done.append((key, pack_one(rows, self.for_store)))

    def collect(self, keep: int) -> Iterator[tuple[int, Parsed]]:
        out, self.done = self.done, []
        yield from out

    def close(self) -> None:
        pass


_Task = tuple[int, str, bytes | None]  # (input index, path, bytes or None: read it there)


#: what the tail of a batch uses (the frames, the Arrow steps, Parquet), imported while the
#: workers parse: this process is idle then, and pyarrow.compute alone took 0.1-0.25 s here
TAIL_IMPORTS = ("pandas", "pyarrow.compute", "pyarrow.parquet")


def _import_quietly(*modules: str) -> None:
    for module in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(module)


class _PoolUnavailable(RuntimeError):
    """Worker processes cannot start here (e.g. a script read from stdin under spawn)."""


class _Pool:
    """Worker processes with bounded, chunked submission, crash and hang isolation.

    Files go to workers a few at a time (``chunk``): one round trip per file costs the parent
    as much CPU as a small workbook's parse, and on two cores the parent's CPU is the workers'.
    At most ``IN_FLIGHT_PER_JOB`` chunks per worker are queued, so memory stays flat.

    A chunk whose worker died (a native crash) or was ended (a native call past the time
    limit) is read again one file at a time; pebble replaces the worker, and a file that runs
    out of time alone is killed by the parent-side timeout (see :mod:`xltools.batch.limit`).
    """

    time_limit: float | None = None
    for_store = False  # workers also encode each file's rows for the store

    def __init__(self, jobs: int, mappings: str | None, passwords: list[str] | None,
                 total: int = 0) -> None:
        self.jobs, self.mappings, self.passwords = jobs, mappings, passwords
        self.chunk = max(1, min(MAX_CHUNK, total // (jobs * 8)))
        self.max_chunks = jobs * IN_FLIGHT_PER_JOB
        self.futures: dict[Future[list[Parsed]], list[_Task]] = {}
        self.buffer: list[_Task] = []
        self._pool: ProcessPool | None = None  # started on the first file to parse
        self._starting = threading.RLock()

    def start_soon(self) -> None:
        """Start the workers in the background: the fork server (an interpreter importing
        xltools) boots while this process reads the first files, and the modules the batch's
        tail needs are imported meanwhile (one core would otherwise sit idle)."""
        threading.Thread(target=self._start_quietly, name="xltools-pool-start",
                         daemon=True).start()
        threading.Thread(target=_import_quietly, args=TAIL_IMPORTS, name="xltools-import",
                         daemon=True).start()

    def _start_quietly(self) -> None:
        with contextlib.suppress(Exception):  # reported when the pool is first used
            self.pool  # noqa: B018 (starts it)

    @property
    def pool(self) -> ProcessPool:
        """The workers, started when first needed (a re-run served by the store needs none)."""
        with self._starting:
            if self._pool is not None and not self._pool.active:  # broken: start afresh
                self._stop(self._pool)
                self._pool = None
            if self._pool is None:
                pool = self._new(self.jobs)
                try:  # a pool that cannot start at all is an environment problem, not a file's
                    pool.schedule(os.getpid).result(timeout=120)
                except Exception as exc:
                    self._stop(pool)
                    raise _PoolUnavailable(str(exc)) from exc
                self._pool = pool
            return self._pool

    def _new(self, jobs: int) -> ProcessPool:
        return ProcessPool(jobs, initializer=_init_worker, context=boot.context(),
                           initargs=(self.mappings, self.passwords, os.environ.get(CRASH_ENV),
                                     self.time_limit, os.environ.get(HANG_ENV),
                                     self.for_store))

    def _timeout(self, files: int, alone: bool = False) -> float | None:
        """Parent-side seconds for a task of ``files`` files. For a chunk, a backstop behind the
        worker's own limits (soft per file, hard ``GRACE`` later), so it fires only if both
        failed; for a file read alone, the hard limit itself."""
        limit = self.time_limit
        if not limit or limit <= 0:
            return None
        return limit + GRACE if alone else files * (limit + GRACE) + GRACE

    def wants_bytes(self) -> bool:
        """Whether the workers are still booting: meanwhile this process, idle otherwise,
        reads the first files' bytes for them (the workers read every later file)."""
        return self._pool is None

    def submit(self, key: int, path: str, data: bytes | None) -> None:
        if self._pool is None and not self.futures and not self.buffer:
            self.start_soon()  # the first file to parse: workers boot while more are hashed
        self.buffer.append((key, path, data))
        if len(self.buffer) >= self.chunk:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        pool = self.pool  # may raise _PoolUnavailable, with the buffer still intact
        tasks, self.buffer = self.buffer, []
        fut = pool.schedule(_parse_chunk, args=([(path, data) for _, path, data in tasks],),
                            timeout=self._timeout(len(tasks)))
        self.futures[fut] = tasks

    def collect(self, keep: int) -> Iterator[tuple[int, Parsed]]:
        """Yield finished files: until few enough chunks are queued, or all when ``keep`` is 0."""
        if keep == 0:
            self._flush()
        limit = 0 if keep == 0 else self.max_chunks
        while len(self.futures) > limit:
            done, _ = wait(list(self.futures), return_when=FIRST_COMPLETED)
            for fut in done:
                tasks = self.futures.pop(fut)
                try:
                    rows = fut.result()
                except (ProcessExpired, FutureTimeout, BrokenProcessPool):
                    yield from self._alone(tasks)
                    continue
                for (key, _, _), r in zip(tasks, rows, strict=True):
                    yield key, r

    def _alone(self, tasks: list[_Task]) -> Iterator[tuple[int, Parsed]]:
        """A worker died or was ended: read each file it held alone, so the one to blame is
        found and the others are read. Alone, the parent times the file (and pebble kills and
        replaces the worker); the worker's own hard limit is off so the two do not race."""
        pool = self.pool
        alone = [(key, path, data, pool.schedule(_parse_in_worker, args=(path, data),
                                                 timeout=self._timeout(1, alone=True)))
                 for key, path, data in tasks]
        for key, path, data, fut in alone:
            try:
                rows = fut.result()
            except FutureTimeout:
                rows = timed_out(path, data, float(self.time_limit or 0))
            except (ProcessExpired, BrokenProcessPool):
                rows = FileRows(path=path, sha256="")
                rows.problems.append(P.make(
                    "read.internal_error", path=path,
                    detail="読み取り処理が異常終了しました（ファイルが処理系を停止させます）").row())
            yield key, pack_one(rows, self.for_store)

    @staticmethod
    def _stop(pool: ProcessPool) -> None:
        pool.stop()
        pool.join()

    def close(self) -> None:
        with self._starting:  # a start still under way finishes first, then stops
            if self._pool is not None:  # all collected (or abandoned): end the workers
                self._stop(self._pool)
                self._pool = None


class _Fallback:
    """The pool, or inline parsing when worker processes cannot start here at all; the
    reason is kept (``stats["fallback"]``) so the caller can say so: never silently slow."""

    def __init__(self, pool: _Pool, inline: _Inline) -> None:
        self.runner: _Pool | _Inline = pool
        self.inline = inline
        self.reason = ""

    def wants_bytes(self) -> bool:
        return self.runner.wants_bytes()

    def submit(self, key: int, path: str, data: bytes | None) -> None:
        try:
            self.runner.submit(key, path, data)
        except _PoolUnavailable as exc:
            pending = self.runner.buffer if isinstance(self.runner, _Pool) else []
            self.runner, self.reason = self.inline, str(exc) or type(exc).__name__
            for task in pending:
                self.inline.submit(*task)

    def collect(self, keep: int) -> Iterator[tuple[int, Parsed]]:
        try:
            yield from self.runner.collect(keep)
        except _PoolUnavailable as exc:
            pending = self.runner.buffer if isinstance(self.runner, _Pool) else []
            self.runner, self.reason = self.inline, str(exc) or type(exc).__name__
            for task in pending:
                self.inline.submit(*task)
            yield from self.inline.collect(0)

    def close(self) -> None:
        self.runner.close()


class _Dask:
    """The same per-file parse on an existing dask.distributed cluster."""

    def __init__(self, scheduler: Any, catalogue: Catalogue, passwords: list[str] | None) -> None:
        try:
            from distributed import Client, as_completed
        except ImportError as exc:
            raise BatchError("dask.distributed がインストールされていません。"
                             "pip install 'xltools[dask]' を実行してください。") from exc
        try:
            if isinstance(scheduler, Client):
                self.client, self.own = scheduler, False
            else:
                self.client, self.own = Client(scheduler, timeout="10s"), True
        except (OSError, TimeoutError) as exc:
            raise BatchError(f"dask スケジューラ {scheduler} に接続できません（{exc}）。"
                             "アドレス（例: tcp://host:8786）を確認してください。") from exc
        # the catalogue and passwords go to every worker once, not with every file
        self.catalogue = self.client.scatter(catalogue, broadcast=True)
        self.passwords = self.client.scatter(passwords, broadcast=True) if passwords else None
        self.keys: dict[Any, tuple[int, str]] = {}
        self.pending = as_completed()
        self.for_store = False

    def submit(self, key: int, path: str, data: bytes) -> None:
        fut = self.client.submit(_parse_with, path, data, self.catalogue, self.passwords,
                                 self.for_store, pure=False)
        self.keys[fut] = (key, path)
        self.pending.add(fut)

    def collect(self, keep: int) -> Iterator[tuple[int, Parsed]]:
        while len(self.keys) > keep:
            fut = next(self.pending)
            key, path = self.keys.pop(fut)
            try:
                yield key, fut.result()
            except Exception as exc:  # a worker lost mid-task: report the file, go on
                out = FileRows(path=path, sha256="")
                out.problems.append(P.make("read.internal_error", path=path,
                                           detail=f"dask: {type(exc).__name__}: {exc}").row())
                yield key, pack_one(out)
            finally:
                fut.release()

    def close(self) -> None:
        if self.own:
            self.client.close()


# --------------------------------------------------------------------------------------------
# the batch


def run(paths: Iterable[str | os.PathLike[str]], *, jobs: int | None = None,
        scheduler: Any = None, store: str | os.PathLike[str] | Store | None = None,
        passwords: list[str] | None = None, mappings: str | None = None,
        progress: ProgressCallback | None = None,
        time_limit: float | None = DEFAULT_TIME_LIMIT) -> BatchResult:
    """Read files and folders into the three tables, fast, incrementally, losing nothing.

    ``jobs``: worker processes (default ``os.cpu_count()``; 1 parses inline). ``scheduler``: a
    dask.distributed address (or Client) to parse on instead; default ``$XLTOOLS_SCHEDULER``.
    ``store``: path of the SQLite store (or an open :class:`Store`); None reads everything.
    ``passwords`` are tried in order on encrypted files. ``progress`` is called with a
    :class:`~xltools.progress.Tick` after each file. ``time_limit``: seconds one file may take
    before it becomes a ``read.timeout`` problem (None: no limit; local runs only).
    """
    t0 = time.perf_counter()
    catalogue = _Catalogue(mappings)
    if mappings or store is not None:  # a user's mappings are checked before any file is read
        catalogue.get()
    version, reader = (catalogue.get().version, reader_version()) if store is not None else ("", "")
    skip = _store_files(store)  # and every path already listed (a folder and a file in it)
    listed: list[str] = []
    for p in expand(paths):
        a = os.path.abspath(p)
        if a not in skip:
            skip.add(a)
            listed.append(p)
    entries = [_Entry(i, p) for i, p in enumerate(listed)]
    total = len(entries)
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    workers = worker_count(jobs, total)
    done = 0
    answered: dict[str, str] = {}  # submission -> newest checked_on (for newest-wins)
    tables = _RowTables()
    reused = _Reused(lambda e, parsed: finish(e, parsed, "cached"))

    def finish(e: _Entry, parsed: Parsed | FileRows, outcome: str) -> None:
        nonlocal done
        if isinstance(parsed, FileRows):  # made here, not by a worker
            parsed = pack_one(parsed)
        e.rows, e.outcome = parsed.rows, e.outcome or outcome
        e.answers = (parsed.table, parsed.offset, parsed.count) if parsed.table is not None else None
        tables.add(e)
        for sid, d in parsed.newest.items():  # what newest-wins needs of the answers
            if d > answered.get(sid, ""):
                answered[sid] = d
        done += 1
        if progress is not None:
            progress(Tick(done, total, e.path, e.outcome))

    with opened(store) as db:
        run_id = db.begin_run(version, reader) if db else None
        known = db.path_index([e.path for e in entries]) if db else {}
        if scheduler:
            runner: Any = _Dask(scheduler, catalogue.get(), passwords)
            runner.for_store = db is not None
            limit = max(16, (jobs or os.cpu_count() or 1) * 16)
        elif workers == 1 and (jobs == 1 or _inline_can_time(time_limit)):
            runner, limit = _Inline(catalogue, passwords, time_limit, db is not None), 0
        else:
            pool = _Pool(workers, mappings, passwords, total)
            pool.time_limit, pool.for_store = time_limit, db is not None
            inline = _Inline(catalogue, passwords, time_limit, db is not None)
            runner, limit = _Fallback(pool, inline), 1
        first: dict[str, _Entry] = {}
        # the hash is needed before parsing only to look a file up in a store that holds rows
        # for these versions (a dask cluster shares no disk: the bytes travel); otherwise the
        # worker that parses a file reads it (and hashes it, as every read does), so this
        # process never holds or sends the bytes, and identical files are found afterwards
        read_here = bool(scheduler) or (db is not None and db.has_results(version, reader))
        try:
            for e in entries:
                data = _prepare(e, known, db, run_id, read_here)
                if e.outcome == "skipped":  # Excel lock file: read_book says so without reading
                    finish(e, _lock_file(e.path, catalogue.get(), passwords), "skipped")
                elif e.outcome == "unreadable":
                    finish(e, _unreadable(e), "unreadable")
                elif not read_here:  # hashed where it is parsed (see read_here)
                    runner.submit(e.index, e.path, _read_bytes(e) if runner.wants_bytes() else None)
                elif e.sha256 in first:
                    finish(e, _duplicate(e, first[e.sha256]), "duplicate")
                else:
                    first[e.sha256] = e
                    cached = db.get(e.sha256, version, reader, Path(e.path).name) if db else None
                    if cached is not None:
                        reused.add(e, _relocate(cached, e))
                    else:
                        data = data if data is not None else _read_bytes(e)
                        if data is None:  # vanished between stat and read
                            finish(e, _unreadable(e), "unreadable")
                        else:
                            runner.submit(e.index, e.path, data)
                for key, rows in runner.collect(limit):
                    _parsed(entries[key], rows, db, version, reader, finish, run_id)
            for key, rows in runner.collect(0):
                _parsed(entries[key], rows, db, version, reader, finish, run_id)
            reused.flush()
        finally:
            runner.close()
        if not read_here:
            _identical_files(entries)
        tables.flush()
        result = _assemble(entries, answered)
        result.stats["jobs"] = 1 if isinstance(runner, _Inline) else workers
        if getattr(runner, "reason", ""):
            result.stats["jobs"] = 1
            result.stats["fallback"] = runner.reason
        result.stats["seconds"] = round(time.perf_counter() - t0, 3)
        if db is not None and run_id is not None:
            db.end_run(run_id, result.stats)
    return result


def _inline_can_time(time_limit: float | None) -> bool:
    """Whether a file read in this process keeps its time limit: the soft timer is a SIGALRM,
    delivered only to the main thread. A server reading one upload in a job thread gets one
    worker process instead, so a file that hangs is still ended (``read.timeout``)."""
    if not time_limit or time_limit <= 0:
        return True
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _store_files(store: str | os.PathLike[str] | Store | None) -> set[str]:
    """The store's own files, never read as submissions when it sits in an input folder."""
    if store is None:
        return set()
    base = os.path.abspath(store.path if isinstance(store, Store) else os.fspath(store))
    return {base + suffix for suffix in ("", "-wal", "-shm", "-journal")}


def _prepare(e: _Entry, known: dict[str, tuple[int, int, str]], db: Store | None,
             run_id: int | None, read_here: bool = True) -> bytes | None:
    """Stat the file and find its hash: from the path index when unchanged, else by reading
    (only when ``read_here``: otherwise the worker parsing it reads and hashes it).

    Sets ``e.outcome`` to ``skipped`` (lock file) or ``unreadable`` (with ``e.why``) when the
    file will not be parsed; returns the bytes when they had to be read for the hash.
    """
    if Path(e.path).name.startswith("~$"):
        e.outcome = "skipped"
        return None
    try:
        st = os.stat(e.path)
    except OSError as exc:
        e.outcome, e.why = "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}"
        return None
    if not stat_mod.S_ISREG(st.st_mode):
        kind = "フォルダ" if stat_mod.S_ISDIR(st.st_mode) else "特殊ファイル"
        e.outcome, e.why = "unreadable", f"通常のファイルではありません（{kind}）"
        return None
    e.size, e.mtime_ns = st.st_size, st.st_mtime_ns
    hit = known.get(e.path)
    if hit is not None and hit[0] == e.size and hit[1] == e.mtime_ns:
        e.sha256 = hit[2]
        return None
    if e.size > MAX_FILE_BYTES:
        e.outcome, e.why, e.code = "unreadable", f"ファイルが {e.size // (1024 * 1024)} MB", \
            "read.too_large"
        return None
    if not read_here:
        return None
    data = _read_bytes(e)
    if data is None:
        e.outcome = "unreadable"
        return None
    e.sha256 = hashlib.sha256(data).hexdigest()
    if db is not None:
        db.remember_path(e.path, e.size, e.mtime_ns, e.sha256, run_id)
    return data


def _read_bytes(e: _Entry) -> bytes | None:
    try:
        with open(e.path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        e.why = f"{type(exc).__name__}: {exc.strerror or exc}"
        return None


def _lock_file(path: str, catalogue: Catalogue, passwords: list[str] | None) -> FileRows:
    from xltools.pipeline import read_file  # the one read this process makes itself

    return read_file(path, catalogue, passwords)


def _unreadable(e: _Entry) -> FileRows:
    """A path that cannot be read: one problem row naming why (never an exception)."""
    out = FileRows(path=e.path, sha256="")
    out.problems.append(P.make(e.code, path=e.path, detail=e.why or "読み取りできません").row())
    return out


def _parsed(e: _Entry, parsed: Parsed, db: Store | None, version: str, reader: str,
            finish: Any, run_id: int | None = None) -> None:
    rows = _relocate(parsed.rows, e)
    known = bool(e.sha256)  # hashed here or found in the path index; else by the worker
    if db is not None and rows.sha256 and (rows.sha256 == e.sha256 or not known):
        if parsed.blob is not None:
            db.put_encoded(rows, parsed.blob, parsed.count, version, reader)
        if not known:  # the path index learns the worker's hash now
            db.remember_path(e.path, e.size, e.mtime_ns, rows.sha256, run_id)
    finish(e, parsed, "parsed")


def _relocate(rows: FileRows, e: _Entry) -> FileRows:
    """Rows made for the same bytes under another folder (or on another machine) -> this path."""
    for s in rows.submissions:
        s["path"] = e.path
        if e.mtime_ns:
            s["file_modified"] = e.modified
    for p in rows.problems:
        p["path"] = e.path
    rows.path = e.path
    return rows


def _identical_files(entries: list[_Entry]) -> None:
    """Files hashed by the workers that parsed them: every later copy of the same bytes
    becomes a duplicate of the first in input order (its parsed rows dropped), exactly as
    when this process hashes each file before sending it."""
    first: dict[str, _Entry] = {}
    for e in entries:
        sha = e.rows.sha256 if e.rows is not None and e.outcome == "parsed" else ""
        if not sha:
            continue
        e.sha256 = sha
        if sha not in first:
            first[sha] = e
            continue
        e.rows, e.answers, e.outcome = _duplicate(e, first[sha]), None, "duplicate"
        e.tables.clear()


def _duplicate(e: _Entry, first: _Entry) -> FileRows:
    out = FileRows(path=e.path, sha256=e.sha256)
    out.problems.append(P.make("read.duplicate_file", path=e.path, detail=first.path).row())
    e.duplicate_of = first.path
    return out


# --------------------------------------------------------------------------------------------
# assembling, newest wins


class _Reused:
    """Rows reused from the store, packed a batch of files at a time (their answers as one Arrow
    table, as a worker packs a chunk): one table a file cost a re-run of 10,000 unchanged
    files ~3.7 s of this process's time, a batch of 256 a fraction of it."""

    BATCH = 256

    def __init__(self, finish: Any) -> None:
        self.finish = finish
        self.pending: list[tuple[_Entry, FileRows]] = []

    def add(self, e: _Entry, rows: FileRows) -> None:
        self.pending.append((e, rows))
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        done, self.pending = self.pending, []
        for (e, _), parsed in zip(done, pack([rows for _, rows in done]), strict=True):
            self.finish(e, parsed)


class _RowTables:
    """Files' submissions and problems made into Arrow tables as they finish, a batch of files
    at a time, while the workers parse the rest: this process is idle then, and the rows are
    fresh in memory. Made at the end instead, from ten thousand files' rows scattered over the
    heap, the same conversion took half a second after the last file, on one core."""

    BATCH = 256

    def __init__(self) -> None:
        self.pending: list[_Entry] = []

    def add(self, e: _Entry) -> None:
        self.pending.append(e)
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        done, self.pending = [e for e in self.pending if e.rows is not None], []
        for name in ("submissions", "problems"):
            rows: list[dict[str, Any]] = []
            at: list[tuple[int, int]] = []
            for e in done:
                got = getattr(e.rows, name)
                at.append((len(rows), len(got)))
                rows += got
            table = arrow_table(name, rows)
            for e, (offset, count) in zip(done, at, strict=True):
                e.tables[name] = (table, offset, count)


def _gathered(entries: list[_Entry], name: str) -> pa.Table:
    """One table's rows of every file in input order: the slices made as files finished, and
    the rows added since (newest-wins notes; a duplicate's rows, which replaced its parse)
    converted together now."""
    pieces: list[tuple[pa.Table | None, int, int]] = []  # None: from ``later``
    later: list[dict[str, Any]] = []
    for e in entries:
        if e.rows is None:
            continue
        rows = getattr(e.rows, name)
        table, offset, count = e.tables.get(name, (None, 0, 0))
        if table is not None and count:
            pieces.append((table, offset, count))
        if len(rows) > count:
            pieces.append((None, len(later), len(rows) - count))
            later += rows[count:]
        e.tables.pop(name, None)
    made = arrow_table(name, later)
    return _in_order([(made if t is None else t, o, n) for t, o, n in pieces], made)


def _assemble(entries: list[_Entry], answered: dict[str, str]) -> BatchResult:
    import pandas as pd

    parts = [e.rows for e in entries if e.rows is not None]
    superseded(parts, answered)
    submissions = frame_from_arrow("submissions", _gathered(entries, "submissions"))
    problems = frame_from_arrow("problems", _gathered(entries, "problems"))
    held = [e.answers for e in entries if e.answers is not None]
    combined = _in_order(held) if held else None
    for e in entries:  # the chunks' tables go as soon as the one copy is made
        e.answers = None
    held.clear()
    answers = frame_from_arrow("answers", combined) if combined is not None else frame("answers", [])
    base = Result(submissions, answers, problems)
    listed = {  # a list a column: a dict a file costs pandas ten times more
        "path": [e.path for e in entries],
        "sha256": [e.sha256 or (e.rows.sha256 if e.rows else "") for e in entries],
        "size": [e.size for e in entries],
        "modified": [e.modified for e in entries],
        "outcome": [e.outcome for e in entries],
        "duplicate_of": [e.duplicate_of for e in entries],
        "submissions": [len(e.rows.submissions) if e.rows else 0 for e in entries],
        "problems": [len(e.rows.problems) if e.rows else 0 for e in entries],
    }
    files = pd.DataFrame(listed, columns=list(FILES_COLUMNS)) if entries else _empty_files()
    counts = files["outcome"].value_counts().to_dict() if len(files) else {}
    stats = {"files": len(entries), **{k: int(counts.get(k, 0)) for k in
                                      ("parsed", "cached", "duplicate", "skipped", "unreadable")},
             "submissions": len(base.submissions), "problems": len(base.problems)}
    return BatchResult(base.submissions, base.answers, base.problems, files=files, stats=stats)


def _in_order(pieces: list[tuple[pa.Table, int, int]], empty: pa.Table | None = None) -> pa.Table:
    """Files' rows (table, first row, rows), in this order, as one table of one chunk a column.

    The tables (a worker chunk's, a batch of finished files', rows added at the end) are joined
    without copying and the rows gathered by one ``take``: one copy, however the files'
    pieces interleave (newest-wins notes put an added row after nearly every file's problems:
    thousands of slices, each a table to concatenate, cost more than the rows themselves).
    One chunk a column, because the frame is worked on column-wide later (guarding, CSV,
    checks) and many small chunks cost each such step more than the copy made here.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    tables: list[pa.Table] = []
    base: dict[int, int] = {}  # id(table) -> its first row in the joined table
    starts: list[int] = []
    counts: list[int] = []
    joined = 0
    for table, offset, count in pieces:
        if not count:
            continue
        if id(table) not in base:
            base[id(table)] = joined
            tables.append(table)
            joined += table.num_rows
        starts.append(base[id(table)] + offset)
        counts.append(count)
    if not tables:
        return empty if empty is not None else pieces[0][0].slice(0, 0)
    size = np.asarray(counts, dtype=np.int64)
    first = np.asarray(starts, dtype=np.int64) - (np.cumsum(size) - size)
    rows = np.repeat(first, size) + np.arange(int(size.sum()), dtype=np.int64)
    pool = arrow_pool()
    return pc.take(pa.concat_tables(tables), pa.array(rows),
                   memory_pool=pool).combine_chunks(pool)


def _identity(sub: dict[str, Any]) -> tuple[str, ...] | None:
    """Who submitted which form: None when the form names no facility (cannot tell)."""
    facility = norm(str(sub.get("facility_code") or "")) or norm(str(sub.get("facility_name") or ""))
    if not facility:
        return None
    return (str(sub.get("form", "")), str(sub.get("variant", "")), str(sub.get("edition", "")),
            facility, norm(str(sub.get("vendor_name") or "")),
            norm(str(sub.get("system_name") or "")))


def superseded(parts: list[FileRows], answered: dict[str, str] | None = None) -> int:
    """Mark older submissions of the same facility and form; returns how many were marked.

    Newest is decided by the latest answered date written in the form (the newest
    ``checked_on``; ``answered`` maps submission id to it when the answer rows are no longer
    at hand), then the file's modification time, then the path (so the choice is stable). The
    older ones stay in every table and get an ``info`` ``batch.superseded`` row.
    """
    if answered is None:
        answered = {}
        for part in parts:
            for a in part.answers:
                d = a.get("checked_on") or ""
                if d and d > answered.get(a["submission_id"], ""):
                    answered[a["submission_id"]] = d
    groups: dict[tuple[str, ...], list[tuple[FileRows, dict[str, Any]]]] = {}
    for part in parts:
        for sub in part.submissions:
            key = _identity(sub)
            if key is not None:
                groups.setdefault(key, []).append((part, sub))
    marked = 0
    for members in groups.values():
        if len({s["submission_id"] for _, s in members}) < 2:
            continue
        members.sort(key=lambda m: (answered.get(m[1]["submission_id"], ""),
                                    m[1].get("file_modified") or "", m[1]["path"], m[1]["sheet"]),
                     reverse=True)
        _, newest = members[0]
        why = answered.get(newest["submission_id"]) or newest.get("file_modified") or ""
        for part, sub in members[1:]:
            if sub["submission_id"] == newest["submission_id"]:
                continue
            problem = P.make(
                "batch.superseded", path=sub["path"], submission_id=sub["submission_id"],
                sheet=sub["sheet"], newer=os.path.basename(newest["path"]), newer_sheet=newest["sheet"],
                detail=f"{newest['path']}#{newest['sheet']}（{why}）")
            part.problems.append(dict(vars(problem)))  # flat fields: asdict's deep copy is slow
            marked += 1
    return marked
