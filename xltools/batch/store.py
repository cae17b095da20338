"""The incremental store: what was read last time, so a re-run reads only what changed.

One SQLite file (stdlib :mod:`sqlite3`) with three tables:

``files``
    the path index: path -> (size, mtime_ns, sha256). When a file's size and modification time
    are what they were, its hash is taken from here and the file is not even opened.
``results``
    the plain rows of one file (:class:`xltools.pipeline.FileRows`, zlib-compressed JSON) per
    (sha256, mapping version, reader version, file name). The mapping version is
    :attr:`xltools.mappings.Catalogue.version`, so editing a mapping re-reads everything; the
    reader version is a hash of xltools' own source, so an upgrade does too. The file *name*
    is part of the key because the reader may take a facility name from it and every problem
    message quotes it; a file moved to another folder under the same name is still a hit.
``runs``
    one row per batch run (when, how many files, how many parsed, seconds), for ``status``.

Only the parent process writes (workers return rows; the parent stores them), so one
connection and batched commits are enough.

Where it lives: by default in the user's local cache folder (``platformdirs``), one file per
output, named after the output and a hash of its absolute path (:func:`location_for`). An
office's output is often on a network share, where SQLite's locking is unreliable; the cache
is always a local disk. ``$XLTOOLS_STORE_DIR`` moves the cache; ``--store`` is on by default.

Safe against a kill at any moment: a rollback journal (``journal_mode=DELETE``, never WAL,
which needs shared memory a network file system does not give) with ``synchronous=FULL``.
A killed run leaves the last committed rows, which the next run reuses; the half-written
transaction is rolled back when the file is next opened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltools.errors import XltoolsError
from xltools.rows import FileRows

DEFAULT_NAME = "xltools-store.sqlite"
STORE_DIR_ENV = "XLTOOLS_STORE_DIR"
SCHEMA_VERSION = "1"

# results that depend on more than the file's bytes are never stored: an encrypted file may be
# opened next time with another password list, an internal error may be fixed by a retry, and a
# file that ran out of time (--time-limit, a loaded machine) is read again next run
NOT_STORED = frozenset({"read.encrypted", "read.wrong_password", "read.decrypted",
                        "read.internal_error", "read.vanished", "read.timeout"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL, last_run INTEGER
);
CREATE TABLE IF NOT EXISTS results (
    sha256 TEXT NOT NULL, mapping_version TEXT NOT NULL, reader_version TEXT NOT NULL,
    name TEXT NOT NULL, path TEXT NOT NULL, rows BLOB NOT NULL,
    n_submissions INTEGER NOT NULL, n_answers INTEGER NOT NULL, n_problems INTEGER NOT NULL,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (sha256, mapping_version, reader_version, name)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT,
    mapping_version TEXT NOT NULL, reader_version TEXT NOT NULL,
    files INTEGER DEFAULT 0, parsed INTEGER DEFAULT 0, cached INTEGER DEFAULT 0,
    duplicate INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0, unreadable INTEGER DEFAULT 0,
    submissions INTEGER DEFAULT 0, problems INTEGER DEFAULT 0, seconds REAL DEFAULT 0
);
"""


class StoreError(XltoolsError, RuntimeError):
    """The store cannot be opened or written (the message says which file and what to do)."""


def cache_dir() -> Path:
    """The folder of the stores: ``$XLTOOLS_STORE_DIR`` or the user's local cache."""
    env = os.environ.get(STORE_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("xltools", appauthor=False)) / "stores"


def location_for(out: str | os.PathLike[str]) -> Path:
    """The store of one output (a folder or a workbook): same output, same store.

    Named ``<output name>-<hash of its absolute path>.sqlite`` in :func:`cache_dir`, so two
    outputs never share a store and ``xltools status --store OUTPUT`` finds it again.
    """
    absolute = os.path.normcase(os.path.abspath(os.fspath(out)))
    digest = hashlib.sha256(absolute.encode("utf-8")).hexdigest()[:16]
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(absolute).name)[:40]
    return cache_dir() / f"{stem or 'out'}-{digest}.sqlite"


def find(path: str | os.PathLike[str]) -> Path:
    """What ``xltools status --store PATH`` means: a store file, a folder holding one (the
    old place beside the output), or an output whose store is in the cache."""
    p = Path(path)
    if p.is_file() and p.suffix == ".sqlite":
        return p
    if p.is_dir() and (p / DEFAULT_NAME).is_file():
        return p / DEFAULT_NAME
    return location_for(p)


def reader_version() -> str:
    """A hash of xltools' own source files: a new reader must not reuse an old reader's rows."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent.parent
    for p in sorted(pkg.rglob("*.py")):
        h.update(str(p.relative_to(pkg)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]



def encode(rows: FileRows) -> bytes | None:
    """One file's rows as the store keeps them (zlib-compressed JSON), or None when they must
    not be reused (encrypted, vanished, timed out: next run may have the password, the file,
    the time)."""
    if not rows.sha256 or any(p.get("code") in NOT_STORED for p in rows.problems):
        return None
    return zlib.compress(json.dumps(
        {"path": rows.path, "sha256": rows.sha256, "submissions": rows.submissions,
         "answers": rows.answers, "problems": rows.problems},
        ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1)


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


@dataclass
class StoreSummary:
    """What ``xltools status`` prints."""

    path: str
    files: int = 0
    contents: int = 0
    results: int = 0
    submissions: int = 0
    versions: list[tuple[str, int, int]] = field(default_factory=list)  # (mapping, results, subs)
    last_run: dict[str, Any] | None = None
    runs: int = 0

    def lines(self) -> list[str]:
        """The summary in Japanese, one fact a line."""
        out = [f"ストア: {self.path}",
               f"ファイル: {self.files:,} 件（内容の異なるもの {self.contents:,} 件）",
               f"読み取り結果: {self.results:,} 件（様式 {self.submissions:,} 件）",
               f"実行回数: {self.runs:,} 回"]
        if self.versions:
            out.append("マッピング版:")
            current = self.last_run["mapping_version"] if self.last_run else ""
            for version, n, subs in self.versions:
                mark = "（最終実行で使用）" if version == current else ""
                out.append(f"  {version}: 結果 {n:,} 件・様式 {subs:,} 件{mark}")
        if self.last_run:
            r = self.last_run
            out.append(
                f"最終実行: {r['started_at']} ファイル {r['files']:,} 件（新規に読んだもの "
                f"{r['parsed']:,}・前回の結果 {r['cached']:,}・重複 {r['duplicate']:,}）"
                f"様式 {r['submissions']:,} 件・問題 {r['problems']:,} 件・{r['seconds']:.1f} 秒")
        else:
            out.append("最終実行: まだありません")
        return out


class Store:
    """One SQLite store; open it in the parent process only (it is the single writer)."""

    def __init__(self, path: str | os.PathLike[str], *, commit_every: int = 200,
                 commit_seconds: float = 2.0,
                 output: str | os.PathLike[str] | None = None) -> None:
        self.path = str(path)
        self.commit_every, self.commit_seconds = commit_every, commit_seconds
        self._pending = 0
        self._committed = time.monotonic()
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            # a rollback journal, never WAL: safe on any disk, whole after a kill
            self.db.execute("PRAGMA journal_mode=DELETE")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                raise StoreError(f"ストア {self.path} の形式（{row[0]}）はこの版の xltools と"
                                 "合いません。別の --store を指定するか、このファイルを削除してください。")
            if output is not None:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('output', ?)",
                                (os.path.abspath(os.fspath(output)),))
            self.db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"ストア {self.path} を開けません（{exc}）。--no-store で実行するか、"
                             f"環境変数 {STORE_DIR_ENV} で書き込めるフォルダを指定してください。") from exc

    # -- context ---------------------------------------------------------------------------

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.db.commit()
        finally:
            self.db.close()

    def _wrote(self) -> None:
        """Commit in batches: every ``commit_every`` writes or ``commit_seconds``, whichever
        comes first, so a run killed after minutes keeps what it read until seconds before."""
        self._pending += 1
        if (self._pending >= self.commit_every
                or time.monotonic() - self._committed >= self.commit_seconds):
            self.commit()

    def commit(self) -> None:
        """Make what was stored so far durable (called in batches, and at the end of a run)."""
        self.db.commit()
        self._pending = 0
        self._committed = time.monotonic()

    # -- path index ------------------------------------------------------------------------

    def path_index(self, paths: list[str] | None = None) -> dict[str, tuple[int, int, str]]:
        """path -> (size, mtime_ns, sha256), for all paths or the given ones."""
        if paths is None:
            rows = self.db.execute("SELECT path, size, mtime_ns, sha256 FROM files")
            return {p: (s, m, h) for p, s, m, h in rows}
        out: dict[str, tuple[int, int, str]] = {}
        for i in range(0, len(paths), 500):
            chunk = paths[i:i + 500]
            q = ",".join("?" * len(chunk))
            for p, s, m, h in self.db.execute(
                    f"SELECT path, size, mtime_ns, sha256 FROM files WHERE path IN ({q})", chunk):
                out[p] = (s, m, h)
        return out

    def remember_path(self, path: str, size: int, mtime_ns: int, sha256: str,
                      run_id: int | None = None) -> None:
        self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                        (path, size, mtime_ns, sha256, run_id))
        self._wrote()

    # -- results ---------------------------------------------------------------------------

    def has_results(self, mapping_version: str, reader: str) -> bool:
        """Whether any file's rows are kept for this mapping and reader version (a new store,
        or one made by other versions, has none: nothing in it can be reused)."""
        return self.db.execute(
            "SELECT 1 FROM results WHERE mapping_version=? AND reader_version=? LIMIT 1",
            (mapping_version, reader)).fetchone() is not None

    def get(self, sha256: str, mapping_version: str, reader: str, name: str) -> FileRows | None:
        row = self.db.execute(
            "SELECT rows FROM results WHERE sha256=? AND mapping_version=? AND reader_version=? "
            "AND name=?", (sha256, mapping_version, reader, name)).fetchone()
        if row is None:
            return None
        try:
            data = json.loads(zlib.decompress(row[0]))
        except (zlib.error, ValueError):
            return None  # a damaged entry is simply read again
        return FileRows(path=data["path"], sha256=data["sha256"], submissions=data["submissions"],
                        answers=data["answers"], problems=data["problems"])

    def put(self, rows: FileRows, mapping_version: str, reader: str) -> bool:
        """Store one file's rows; False (and nothing stored) when they must not be reused."""
        blob = encode(rows)
        if blob is None:
            return False
        self.put_encoded(rows, blob, len(rows.answers), mapping_version, reader)
        return True

    def put_encoded(self, rows: FileRows, blob: bytes, answers: int, mapping_version: str,
                    reader: str) -> None:
        """Store rows :func:`encode` already turned into ``blob`` (a worker does it, so the
        process gathering the batch never serialises answer rows); ``rows`` gives the key and
        the counts, and ``answers`` the number of answer rows the blob holds."""
        self.db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rows.sha256, mapping_version, reader, Path(rows.path).name, rows.path, blob,
             len(rows.submissions), answers, len(rows.problems), _now()))
        self._wrote()

    # -- runs ------------------------------------------------------------------------------

    def begin_run(self, mapping_version: str, reader: str) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (started_at, mapping_version, reader_version) VALUES (?, ?, ?)",
            (_now(), mapping_version, reader))
        self.db.commit()
        return int(cur.lastrowid or 0)

    def end_run(self, run_id: int, stats: dict[str, Any]) -> None:
        cols = ("files", "parsed", "cached", "duplicate", "skipped", "unreadable", "submissions",
                "problems", "seconds")
        self.db.execute(
            f"UPDATE runs SET finished_at=?, {', '.join(f'{c}=?' for c in cols)} WHERE id=?",
            (_now(), *(stats.get(c, 0) for c in cols), run_id))
        self.commit()

    # -- status ----------------------------------------------------------------------------

    def summary(self) -> StoreSummary:
        db = self.db
        s = StoreSummary(path=self.path)
        s.files, s.contents = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT sha256) FROM files").fetchone()
        s.results, subs = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(n_submissions), 0) FROM results").fetchone()
        s.submissions = int(subs)
        s.versions = [(v, n, int(m)) for v, n, m in db.execute(
            "SELECT mapping_version, COUNT(*), COALESCE(SUM(n_submissions), 0) FROM results "
            "GROUP BY mapping_version ORDER BY MAX(stored_at) DESC")]
        s.runs = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        cur = db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1")
        row = cur.fetchone()
        if row is not None:
            s.last_run = dict(zip([d[0] for d in cur.description], row, strict=True))
        return s


    def output(self) -> str:
        """The output this store belongs to (empty for a store given by path)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='output'").fetchone()
        return str(row[0]) if row else ""


@contextmanager
def opened(path: str | os.PathLike[str] | Store | None) -> Iterator[Store | None]:
    """A store from a path (opened and closed here), an open store (left open), or None."""
    if path is None or isinstance(path, Store):
        yield path
        return
    store = Store(path)
    try:
        yield store
    finally:
        store.close()


def open_existing(path: str | os.PathLike[str]) -> Store:
    """Open a store for reading its status (a store file, or an output whose store is in the
    cache); a missing store is an error, not a new store."""
    found = find(path)
    if not found.is_file():
        raise StoreError(f"{path} のストアが見つかりません。xltools normalize か consolidate を"
                         "--out にその出力を指定して実行すると作られます（--no-store を付けない場合）。"
                         "--store には出力フォルダ・集計ブック、またはストアのファイルを指定してください。")
    return Store(found)


def known_stores() -> list[Path]:
    """Every store in the cache, newest first (``xltools status`` without ``--store``)."""
    folder = cache_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.sqlite"), key=lambda p: p.stat().st_mtime, reverse=True)
