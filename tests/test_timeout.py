"""The per-file time limit is honest: a slow good file is ``read.timeout`` (not "corrupt"), it
is never stored, the next run reads it, and a worker stuck in a native call is replaced.

The slow file is real-shaped: a returned checklist whose workbook also carries a 60,000-row
equipment register (calamine parses the whole sheet natively before the reader sees it).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from testkit import synth
from testkit.synth import Spec
from xltools.batch import runner as batch
from xltools.batch.store import Store, reader_version
from xltools.forms.catalogue import load_catalogue
from xltools.pipeline import FileRows

BIG_ROWS = 60_000


def _big_workbook(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "constant_memory": True})
    synth.write_sheet(wb, Spec(edition="R7", variant="hospital", seed=3,
                               facility_name="さくら総合病院"))
    ws = wb.add_worksheet("機器台帳")
    ws.write_row(0, 0, ["No", "機器名", "設置場所", "OS", "導入年", "担当"])
    for r in range(1, BIG_ROWS + 1):
        ws.write_row(r, 0, [r, f"端末PC-{r:05d}", "外来棟", "Windows 11", 2021, "情報システム課"])
    wb.close()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four ordinary returned checklists."""
    return synth.write_distinct(tmp_path_factory.mktemp("small"), 4, rng_seed=11,
                                first_seed=200, stem="t", name="時間")


@pytest.fixture(scope="module")
def with_big(tmp_path_factory: pytest.TempPathFactory, small: Path) -> Path:
    d = tmp_path_factory.mktemp("with_big")
    _big_workbook(d / "big.xlsx")
    for f in small.iterdir():
        shutil.copy(f, d / f.name)
    return d


def _codes(res: batch.BatchResult, name: str) -> list[str]:
    p = res.problems
    return list(p[p["path"].map(lambda x: Path(x).name) == name]["code"])


def _outcome(res: batch.BatchResult, name: str) -> str:
    f = res.files
    return str(f[f["path"].map(lambda x: Path(x).name) == name]["outcome"].iloc[0])


def _answers_of(res: batch.BatchResult, name: str) -> int:
    subs = res.submissions
    ids = set(subs[subs["path"].map(lambda x: Path(x).name) == name]["submission_id"])
    return int(res.answers["submission_id"].isin(ids).sum())


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_slow_good_file_times_out_honestly_and_the_next_run_reads_it(
        with_big: Path, tmp_path: Path, jobs: int) -> None:
    store = tmp_path / "store.sqlite"
    res = batch.run([with_big], jobs=jobs, time_limit=0.05, store=store)
    assert _codes(res, "big.xlsx") == ["read.timeout"]  # not read.corrupt, not internal_error
    msg = res.problems[res.problems["code"] == "read.timeout"]["message"].iloc[0]
    assert "制限時間（0.05 秒）" in msg and "壊れていない可能性" in msg and "--time-limit" in msg
    assert "再送" not in msg
    assert _answers_of(res, "big.xlsx") == 0

    sha = res.files.set_index(res.files["path"].map(lambda x: Path(x).name)).loc["big.xlsx", "sha256"]
    with Store(store) as db:  # the timeout was not stored ...
        assert db.get(sha, load_catalogue().version, reader_version(), "big.xlsx") is None

    again = batch.run([with_big], jobs=jobs, time_limit=None, store=store)
    assert _outcome(again, "big.xlsx") == "parsed"  # ... so it is read again, fully
    assert "read.timeout" not in set(again.problems["code"])
    assert _answers_of(again, "big.xlsx") > 30
    sub = again.submissions[again.submissions["path"].map(lambda x: Path(x).name) == "big.xlsx"]
    assert list(sub["facility_name"]) == ["さくら総合病院"]


def test_slowness_inside_the_readers_catch_alls_is_still_a_timeout(
        small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package check and read_file catch Exception; the timer's exception gets through."""
    import time

    from xltools import pipeline

    real = pipeline.read_book

    def slow_book(path: str, *a: object, **kw: object) -> object:
        if Path(path).name == "t1.xlsx":
            time.sleep(60)  # inside read_file's try: a timer Exception would be internal_error
        return real(path, *a, **kw)

    monkeypatch.setattr(pipeline, "read_book", slow_book)
    res = batch.run([small], jobs=1, time_limit=2)  # room for the other files on a busy machine
    assert _codes(res, "t1.xlsx") == ["read.timeout"]
    assert {"t0.xlsx", "t2.xlsx", "t3.xlsx"} <= set(res.submissions["path"].map(lambda x: Path(x).name))


def test_a_worker_stuck_in_a_native_call_is_killed_and_replaced(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both workers hang where no signal reaches Python; both are ended and replaced, the
    two files are read.timeout, the rest of the batch is read, and a later run reads them."""
    store = tmp_path / "store.sqlite"
    monkeypatch.setenv(batch.HANG_ENV, "t0.xlsx,t1.xlsx")
    res = batch.run([small], jobs=2, time_limit=2.0, store=store)
    assert _codes(res, "t0.xlsx") == ["read.timeout"]
    assert _codes(res, "t1.xlsx") == ["read.timeout"]
    read = set(res.submissions["path"].map(lambda x: Path(x).name))
    assert read == {"t2.xlsx", "t3.xlsx"}, res.problems[["path", "code", "message"]].to_string()

    monkeypatch.delenv(batch.HANG_ENV)
    again = batch.run([small], jobs=2, store=store)
    assert [_outcome(again, f"t{i}.xlsx") for i in range(4)] == ["parsed", "parsed", "cached", "cached"]
    assert set(again.submissions["path"].map(lambda x: Path(x).name)) == {f"t{i}.xlsx" for i in range(4)}


def test_without_a_store_a_stuck_worker_still_costs_one_file(
        small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a store the workers read the files themselves: a file whose worker is ended
    is still read.timeout, listed with its hash, and the others are read."""
    monkeypatch.setenv(batch.HANG_ENV, "t3.xlsx")
    res = batch.run([small], jobs=2, time_limit=2.0)
    assert _codes(res, "t3.xlsx") == ["read.timeout"]
    assert set(res.submissions["path"].map(lambda x: Path(x).name)) == {"t0.xlsx", "t1.xlsx",
                                                                         "t2.xlsx"}
    hashes = dict(zip(res.files["path"].map(lambda x: Path(x).name), res.files["sha256"],
                      strict=True))
    assert hashes["t3.xlsx"] == hashlib.sha256((small / "t3.xlsx").read_bytes()).hexdigest()


def test_a_native_crash_is_still_an_internal_error_not_a_timeout(
        small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(batch.CRASH_ENV, "t2.xlsx")
    res = batch.run([small], jobs=2, time_limit=30)
    assert _codes(res, "t2.xlsx") == ["read.internal_error"]
    assert len(set(res.submissions["path"])) == 3


def test_the_timer_is_gone_after_a_read(small: Path) -> None:
    """No alarm is left armed in the caller's process after an inline run."""
    import signal

    before = signal.getsignal(signal.SIGALRM)
    res: FileRows | batch.BatchResult = batch.run([small], jobs=1, time_limit=30)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == before
    assert res.stats["parsed"] == 4


def test_one_file_read_from_a_thread_keeps_its_time_limit(
        small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The web page reads one upload in a job thread, where no SIGALRM arrives: the file goes
    to one worker process, whose limit still ends it (it used to be read with none)."""
    import threading

    monkeypatch.setenv(batch.HANG_ENV, "t0.xlsx")
    got: list[batch.BatchResult] = []
    t = threading.Thread(target=lambda: got.append(
        batch.run([small / "t0.xlsx"], time_limit=1.0)))
    t.start()
    t.join(60)
    assert not t.is_alive() and got
    assert _codes(got[0], "t0.xlsx") == ["read.timeout"]
    monkeypatch.delenv(batch.HANG_ENV)
    inline = batch.run([small / "t1.xlsx"], time_limit=1.0)  # main thread: read in-process
    assert inline.stats["jobs"] == 1 and not inline.submissions.empty


def test_the_hard_limit_watches_a_chunk_with_few_watchdogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arming the watchdog costs a thread: a chunk of quick files arms it about once a
    GRACE/2, yet every file keeps at least its limit + GRACE/2 before the process would end,
    and none is left armed once the chunk is done (an idle worker is never ended)."""
    from xltools.batch import limit

    clock = [100.0]
    armed: list[tuple[float, float]] = []  # (when, seconds)
    cancelled: list[float] = []
    monkeypatch.setattr(limit.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(limit.faulthandler, "dump_traceback_later",
                        lambda seconds, **kw: armed.append((clock[0], seconds)))
    monkeypatch.setattr(limit.faulthandler, "cancel_dump_traceback_later",
                        lambda: cancelled.append(clock[0]))
    starts = []
    with limit.HardLimit(5.0) as hard:
        for _ in range(100):  # 100 files of 0.07 s: 7 s of parsing
            hard.file_starts()
            starts.append(clock[0])
            clock[0] += 0.07
    assert 4 <= len(armed) <= 10  # not 100
    for start in starts:
        when, seconds = max(a for a in armed if a[0] <= start)
        left = when + seconds - start
        assert 5.0 + limit.GRACE / 2 <= left <= 5.0 + limit.GRACE
    assert cancelled == [clock[0]]
    with limit.HardLimit(None) as off:
        off.file_starts()
    assert len(armed) <= 10 and len(cancelled) == 1  # no limit: no watchdog at all
