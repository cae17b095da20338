"""The batch runner: same frames as the serial reader, duplicates once, newest wins, progress."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

from testkit import synth
from xltools import api
from xltools.batch import runner as batch
from xltools.batch.progress import Reporter, Tick, bar_line, summary_line
from xltools.batch.store import Store
from xltools.forms.catalogue import load_catalogue
from xltools.pipeline import FileRows, read_file, to_result


def _without_superseded(res: api.Result) -> list[pd.DataFrame]:
    """The contract frames without the rows only the batch adds (newest-wins markers)."""
    subs, answers, probs = res
    probs = probs[probs["code"] != "batch.superseded"].reset_index(drop=True)
    return [subs, answers, probs]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six returned checklists, one facility each (no newest-wins interplay)."""
    return synth.write_distinct(tmp_path_factory.mktemp("small"), 6, rng_seed=7,
                                first_seed=100, stem="f", name="テスト")


def test_parallel_and_inline_equal_serial_read_many(corpus: tuple[Path, list]) -> None:
    folder, _ = corpus
    catalogue = load_catalogue()
    serial = to_result(read_file(f, catalogue) for f in sorted(folder.iterdir()))
    for jobs in (1, 2):
        res = batch.run([folder], jobs=jobs)
        for got, want in zip(_without_superseded(res), serial, strict=True):
            pdt.assert_frame_equal(got, want)
        assert res.stats["parsed"] == len(list(folder.iterdir()))


def test_parallel_keeps_few_tasks_in_flight(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    submit = batch._Pool.submit

    def spy(self: batch._Pool, key: int, path: str, data: bytes) -> None:
        seen.append(len(self.futures))
        submit(self, key, path, data)

    monkeypatch.setattr(batch, "IN_FLIGHT_PER_JOB", 1)
    monkeypatch.setattr(batch._Pool, "submit", spy)
    files = sorted(small.glob("*.xlsx")) * 1  # six files, limit jobs * 1 = 2 in flight
    res = batch.run(files, jobs=2)
    assert len(seen) == 6 and max(seen) <= 2
    assert res.stats["parsed"] == 6


@pytest.mark.parametrize(("jobs", "store"), [(1, ""), (2, ""), (2, "new"), (2, "used")])
def test_identical_files_are_read_once_and_all_listed(small: Path, tmp_path: Path, jobs: int,
                                                     store: str) -> None:
    """Found before parsing when a store holding rows needs the hash first; otherwise (no
    store, or a new one) from the hashes the workers made, first in input order kept: the
    same rows either way, and a new store learns every path."""
    src, other = sorted(small.glob("*.xlsx"))[:2]
    db = tmp_path / "store.sqlite"
    if store == "used":  # rows of other files already kept: hashes are taken before parsing
        batch.run([sorted(small.glob("*.xlsx"))[2]], jobs=1, store=db)
    folder = tmp_path / "in"
    a, b, c, d = folder / "a.xlsx", folder / "sub" / "b.xlsx", folder / "c.xlsx", folder / "d.xlsx"
    b.parent.mkdir(parents=True)
    for p in (a, b, c):
        shutil.copy(src, p)
    shutil.copy(other, d)
    res = batch.run([folder], jobs=jobs, store=db if store else None)
    assert list(res.submissions["path"]) == [str(a), str(d)]
    dup = res.problems[res.problems["code"] == "read.duplicate_file"]
    assert sorted(dup["path"]) == sorted([str(b), str(c)])
    assert all(str(a) in m for m in dup["message"]) and set(dup["severity"]) == {"info"}
    files = res.files.set_index("path")
    assert list(files.index) == [str(a), str(c), str(d), str(b)]
    assert list(files["outcome"]) == ["parsed", "duplicate", "parsed", "duplicate"]
    assert list(files["duplicate_of"]) == ["", str(a), "", str(a)]
    assert files.loc[[str(a), str(b), str(c)], "sha256"].nunique() == 1
    assert files.loc[str(a), "sha256"] == res.submissions["sha256"].iloc[0]
    assert set(res.answers["submission_id"]) == set(res.submissions["submission_id"])
    assert res.stats["duplicate"] == 2 and res.stats["parsed"] == 2
    if store:
        with Store(db) as kept:
            index = kept.path_index()
        assert {index[str(p)][2] for p in (a, b, c)} == {files.loc[str(a), "sha256"]}
        again = batch.run([folder], jobs=jobs, store=db)
        assert list(again.files["outcome"]) == ["cached", "duplicate", "cached", "duplicate"]
        assert again.submissions.equals(res.submissions)


def test_progress_gets_one_tick_per_file(small: Path) -> None:
    ticks: list[Tick] = []
    batch.run([small], jobs=2, progress=ticks.append)
    assert [t.done for t in ticks] == list(range(1, 7))
    assert {t.total for t in ticks} == {6} and {t.outcome for t in ticks} == {"parsed"}


def _sub(sid: str, path: str, modified: str, name: str = "さくら病院", edition: str = "R7",
         **extra: str) -> dict:
    return {"submission_id": sid, "path": path, "sheet": "Sheet1", "form": "checklist",
            "variant": "hospital", "edition": edition, "facility_name": name, "vendor_name": "",
            "system_name": "", "facility_code": "", "file_modified": modified, **extra}


def _part(sid: str, path: str, modified: str, checked: str = "", **kw: str) -> FileRows:
    return FileRows(path=path, sha256=sid, submissions=[_sub(sid, path, modified, **kw)],
                    answers=[{"submission_id": sid, "item_id": "x", "checked_on": checked}])


def _superseded(parts: list[FileRows]) -> dict[str, str]:
    batch.superseded(parts)
    return {p["submission_id"]: p["message"] for part in parts for p in part.problems
            if p["code"] == "batch.superseded"}


def test_newest_by_modified_time_wins() -> None:
    old = _part("s1", "/in/old.xlsx", "2025-01-01T00:00:00")
    new = _part("s2", "/in/new.xlsx", "2025-02-01T00:00:00")
    marked = _superseded([new, old])
    assert list(marked) == ["s1"] and "new.xlsx" in marked["s1"]


def test_answered_date_beats_modified_time() -> None:
    # copied later (newer mtime) but answered earlier: the later answers win
    copy = _part("s1", "/in/copy.xlsx", "2025-03-01T00:00:00", checked="2025-06-01")
    fresh = _part("s2", "/in/fresh.xlsx", "2025-01-01T00:00:00", checked="2025-09-30")
    assert list(_superseded([copy, fresh])) == ["s1"]


def test_other_editions_facilities_and_vendors_do_not_supersede() -> None:
    parts = [_part("s1", "/a.xlsx", "2025-01-01", edition="R6"),
             _part("s2", "/b.xlsx", "2025-02-01", edition="R7"),
             _part("s3", "/c.xlsx", "2025-03-01", name="ひかり病院"),
             _part("s4", "/d.xlsx", "2025-04-01", name="")]  # no name: cannot tell who
    assert _superseded(parts) == {}


def test_names_compare_normalised() -> None:
    a = _part("s1", "/a.xlsx", "2025-01-01", name="さくら　病院")
    b = _part("s2", "/b.xlsx", "2025-02-01", name="さくら病院")
    assert list(_superseded([a, b])) == ["s1"]


def test_reporter_draws_only_when_asked_and_summarises() -> None:
    quiet = io.StringIO()
    r = Reporter.for_terminal(quiet=False, stream=quiet)  # StringIO is not a terminal
    r(Tick(1, 2, "a.xlsx", "parsed"))
    assert quiet.getvalue() == "" and r.bar is False
    out = io.StringIO()
    r = Reporter(stream=out, bar=True, summary=True, min_interval=0)
    r(Tick(1, 2, "a.xlsx", "parsed"))
    r(Tick(2, 2, "b.xlsx", "parsed"))
    assert "2/2 件" in out.getvalue() and out.getvalue().endswith("\n")
    assert "件/秒" in bar_line(Tick(5, 10, "x", "parsed"), 2.0)


def test_summary_line_counts(small: Path) -> None:
    res = batch.run([small], jobs=1)
    line = summary_line(res)
    assert line.startswith("ファイル 6 件を処理しました（新規 6・前回の結果 0・重複 0）")
    assert f"様式 {len(res.submissions)} 件" in line and "秒" in line
    out = io.StringIO()
    Reporter(stream=out, bar=False, summary=True).close(res)
    assert out.getvalue() == line + "\n"
    out = io.StringIO()
    Reporter(stream=out, bar=False, summary=False).close(res)
    assert out.getvalue() == ""


def test_dask_scheduler_gives_the_same_frames(small: Path) -> None:
    distributed = pytest.importorskip("distributed")
    local = batch.run([small], jobs=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        res = batch.run([small], scheduler=cluster.scheduler_address)
    for got, want in zip(res, local, strict=True):
        pdt.assert_frame_equal(got, want)
    assert res.stats["parsed"] == 6


def test_scheduler_from_environment(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        monkeypatch.setenv(batch.SCHEDULER_ENV, cluster.scheduler_address)
        used: list[object] = []
        real = batch._Dask.__init__

        def spy(self: batch._Dask, scheduler: object, *a: object) -> None:
            used.append(scheduler)
            real(self, scheduler, *a)

        monkeypatch.setattr(batch._Dask, "__init__", spy)
        res = batch.run([small], jobs=1)
    assert used == [cluster.scheduler_address] and res.stats["parsed"] == 6


def test_without_dask_the_error_says_what_to_install(small: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_dask(name: str, *a: object, **kw: object) -> object:
        if name.startswith("distributed"):
            raise ImportError(name)
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(batch.BatchError, match=r"xltools\[dask\]"):
        batch.run([small], scheduler="tcp://127.0.0.1:1")


def test_expand_lists_what_expand_inputs_drops(tmp_path: Path) -> None:
    (tmp_path / "ok.xlsx").write_bytes(b"x")
    (tmp_path / ".hidden.xlsx").write_bytes(b"x")
    os.symlink(tmp_path / "gone.xlsx", tmp_path / "link.xlsx")
    (tmp_path / "folder.xlsx").mkdir()
    got = batch.expand([tmp_path])
    assert got == [str(tmp_path / n) for n in ("folder.xlsx", "link.xlsx", "ok.xlsx")]
    assert api.expand_inputs([tmp_path]) == [str(tmp_path / "ok.xlsx")]


def test_no_worker_processes_possible_falls_back_to_inline(small: Path) -> None:
    # a script read from stdin cannot be re-imported by spawned workers: the batch still runs
    import subprocess
    import sys

    script = (f"from xltools.batch import runner\nr = runner.run([{str(small)!r}], jobs=2)\n"
              "print('parsed', r.stats['parsed'])\n")
    out = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and "parsed 6" in out.stdout


def test_rerun_from_the_store_starts_no_workers(small: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.sqlite"
    batch.run([small], jobs=2, store=store)

    def no_pool(self: batch._Pool, jobs: int) -> None:
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(batch._Pool, "_new", no_pool)
    assert batch.run([small], jobs=2, store=store).stats["cached"] == 6


def test_a_path_given_twice_is_read_and_listed_once(small: Path) -> None:
    one = sorted(small.glob("*.xlsx"))[0]
    res = batch.run([small, one], jobs=1)
    assert len(res.files) == 6 and res.stats["duplicate"] == 0


def test_a_file_over_the_time_limit_becomes_a_problem(small: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """One pathological file stops at the limit with a read.timeout row; the rest are read."""
    import time as time_mod

    from xltools.batch import limit

    real = limit.read_file

    def slow_on_f2(path: str, *a: object, **kw: object) -> FileRows:
        if Path(path).name == "f2.xlsx":
            time_mod.sleep(5)
        return real(path, *a, **kw)

    monkeypatch.setattr(limit, "read_file", slow_on_f2)
    t = time_mod.perf_counter()
    res = batch.run([small], jobs=1, time_limit=0.3)
    assert time_mod.perf_counter() - t < 4
    timeouts = res.problems[res.problems["code"] == "read.timeout"]
    assert list(timeouts["path"].map(lambda p: Path(p).name)) == ["f2.xlsx"]
    assert "制限時間（0.3 秒）を超えた" in timeouts["message"].iloc[0]
    assert sorted(Path(p).name for p in res.submissions["path"].unique()) == \
        [f"f{i}.xlsx" for i in range(6) if i != 2]
    # the timer is gone afterwards: nothing fires later in this process
    time_mod.sleep(0.4)


def test_time_limit_zero_means_none(small: Path) -> None:
    res = batch.run([small], jobs=1, time_limit=0)
    assert not (res.problems["code"] == "read.timeout").any() and len(res.submissions) == 6


def test_answers_sent_as_arrow_make_the_frame_row_dicts_make(corpus: tuple[Path, list]) -> None:
    """Workers send answers as Arrow tables; the frame must be the one row dicts give, odd
    values included (a number where text belongs, absent keys, no rows at all)."""
    from xltools.batch.packed import pack
    from xltools.output.schema import arrow_table, frame, frame_from_arrow

    folder, _ = corpus
    catalogue = load_catalogue()
    files = [read_file(f, catalogue) for f in sorted(folder.iterdir())[:6]]
    rows = [a for f in files for a in f.answers]
    packed = pack(files)
    assert all(not f.answers for f in files)  # moved into the shared table
    import pyarrow as pa

    got = frame_from_arrow("answers", pa.concat_tables([p.table.slice(p.offset, p.count)
                                                          for p in packed if p.count]))
    pdt.assert_frame_equal(got, frame("answers", rows))
    odd = [{"submission_id": "s", "item_id": "x", "round": 2, "raw": 1.5},
           {"submission_id": "t", "round": None}, {}]
    pdt.assert_frame_equal(frame_from_arrow("answers", arrow_table("answers", odd)),
                           frame("answers", odd))
    pdt.assert_frame_equal(frame_from_arrow("answers", arrow_table("answers", [])),
                           frame("answers", []))
