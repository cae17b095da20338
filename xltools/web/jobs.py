"""Background jobs: one private folder each, an unguessable id, removed when done with.

A job is created by an upload, runs on a small thread pool (a few at once; the rest wait
their turn), reports progress, and keeps what the result page shows plus the files offered
for download. Its folder (mode 0700, inside the server's own temporary folder) is removed
when the job expires (an hour after it finished), a grace period after every offered file
was downloaded, when the user removes it from the page, or when the server stops.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("xltools.web")

KEEP_SECONDS = 3600.0  # after the job finished
GRACE_SECONDS = 600.0  # after every offered file was downloaded once


@dataclass
class Download:
    """A file offered on the result page: where it is and the name the browser saves."""

    path: Path
    filename: str
    label: str
    media_type: str = "application/octet-stream"


@dataclass
class Job:
    """One upload's work, its progress and its result (never the passwords it was given)."""

    id: str
    kind: str  # consolidate | fill | inspect
    folder: Path
    created: float = field(default_factory=time.time)
    state: str = "queued"  # queued | running | done | failed
    stage: str = "順番を待っています"
    done: int = 0
    total: int = 0
    error: str = ""
    errors: list[str] = field(default_factory=list)
    view: dict[str, Any] = field(default_factory=dict)
    downloads: dict[str, Download] = field(default_factory=dict)
    fetched: set[str] = field(default_factory=set)
    finished: float | None = None

    def progress(self, done: int, total: int, stage: str | None = None) -> None:
        self.done, self.total = done, total
        if stage:
            self.stage = stage

    def status(self) -> dict[str, Any]:
        """What the page polls: state, stage, counts (no file names, no paths)."""
        return {"state": self.state, "stage": self.stage, "done": self.done, "total": self.total,
                "error": self.error}


class Jobs:
    """The server's jobs: create, run in the background, look up by id, sweep."""

    def __init__(self, root: Path | None = None, workers: int = 2,
                 keep_seconds: float = KEEP_SECONDS, grace_seconds: float = GRACE_SECONDS) -> None:
        self.root = Path(root or tempfile.mkdtemp(prefix="xltools-serve-"))
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.keep_seconds = keep_seconds
        self.grace_seconds = grace_seconds
        self._jobs: dict[str, Job] = {}
        self._all_fetched: dict[str, float] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xltools-job")
        self._closed = False
        self._stop = threading.Event()
        threading.Thread(target=self._sweeper, name="xltools-sweep", daemon=True).start()

    def _sweeper(self) -> None:
        """Expired jobs go even when nobody opens the page again."""
        while not self._stop.wait(60):
            self.sweep()

    def new(self, kind: str) -> Job:
        self.sweep()
        job_id = secrets.token_urlsafe(24)
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=self.root))
        job = Job(job_id, kind, folder)
        with self._lock:
            self._jobs[job_id] = job
        return job

    def start(self, job: Job, work: Callable[[Job], None]) -> None:
        """Run ``work(job)`` in the background; an exception becomes the job's error line."""
        self._pool.submit(self._run, job, work)

    def _run(self, job: Job, work: Callable[[Job], None]) -> None:
        job.state, job.stage = "running", "読み取りを始めています"
        state = "failed"
        try:
            work(job)
            state = "failed" if job.error or job.errors else "done"
        except Exception as exc:  # the page shows one line; the log names the type only
            from xltools.errors import XltoolsError

            job.error = exc.message if isinstance(exc, XltoolsError) else (
                "処理中に予期しないエラーが起きました。ファイルを確かめて、もう一度お試しください。")
            log.warning("job %s failed: %s", job.id[:6], type(exc).__name__)
        finally:
            # inputs are not kept: gone before the page (or a script polling it) hears "done"
            shutil.rmtree(job.folder / "in", ignore_errors=True)
            job.finished = time.time()
            job.stage = "完了しました" if state == "done" else "できませんでした"
            job.state = state

    def get(self, job_id: str) -> Job | None:
        self.sweep()
        with self._lock:
            return self._jobs.get(job_id)

    def fetched(self, job: Job, key: str) -> None:
        """A download was served: once all were, the job goes after the grace period."""
        job.fetched.add(key)
        if job.downloads and job.fetched >= set(job.downloads):
            with self._lock:
                self._all_fetched.setdefault(job.id, time.time())

    def expired(self, job: Job, now: float) -> bool:
        if job.finished is None:
            return False
        if now - job.finished > self.keep_seconds:
            return True
        first = self._all_fetched.get(job.id)
        return first is not None and now - first > self.grace_seconds

    def remove(self, job: Job) -> None:
        with self._lock:
            self._jobs.pop(job.id, None)
            self._all_fetched.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def sweep(self) -> None:
        now = time.time()
        with self._lock:
            gone = [j for j in self._jobs.values() if self.expired(j, now)]
        for job in gone:
            self.remove(job)

    def close(self) -> None:
        """Stop taking work and remove every job folder (the server is stopping)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.root, ignore_errors=True)


__all__ = ["Job", "Jobs", "Download"]
