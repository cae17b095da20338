"""Killed at any moment, a run leaves the previous outputs whole and the store usable.

Real processes, real SIGKILL: ``xltools consolidate`` is killed while it writes a big workbook
(at several moments after its temporary file appears) and the previous 集計.xlsx still opens
with the same rows; ``xltools normalize`` is killed mid-run and its store passes SQLite's
integrity check and gives the next run every row it had committed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas.testing as pdt
import pytest

from xltools import api
from xltools.batch.store import location_for
from xltools.output.atomic import replacing, write_text

XLTOOLS = Path(sys.executable).parent / "xltools"
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or not XLTOOLS.exists(),
                                reason="needs POSIX signals and the console script")


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


def _start(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(XLTOOLS), *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _wait_for(predicate: object, proc: subprocess.Popen[bytes], limit: float = 120.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


def test_killed_consolidate_leaves_the_previous_workbook_whole(
        corpus: tuple[Path, list[object]], tmp_path: Path) -> None:
    folder, _ = corpus
    half = tmp_path / "half"
    half.mkdir()
    for p in sorted(folder.glob("*.xlsx"))[:40]:
        shutil.copy(p, half / p.name)
    out = tmp_path / "集計.xlsx"
    api.consolidate(half, out=out, as_of="2026-04-01", jobs=1)
    before = _rows(out)
    complete = tmp_path / "complete" / "集計.xlsx"
    complete.parent.mkdir()
    api.consolidate(folder, out=complete, as_of="2026-04-01", jobs=1)
    after = _rows(complete)  # what a run that got as far as replacing the workbook leaves
    killed_while_writing = 0
    for delay in (None, 0.0, 0.05, 0.2, 0.5, 1.0):
        proc = _start("consolidate", str(folder), "--out", str(out), "--as-of", "2026-04-01",
                      "--no-store", "--jobs", "1", "-q", cwd=tmp_path)
        if delay is None:  # while reading the files
            time.sleep(1.0)
        else:
            started = _wait_for(lambda: any(tmp_path.glob(".集計.*")), proc)
            if not started:
                proc.wait()
                continue
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode != -signal.SIGKILL:
            continue  # finished before the kill: a new whole workbook, nothing to compare
        leftovers = list(tmp_path.glob(".集計.*"))
        killed_while_writing += bool(leftovers)
        # whole either way: the previous workbook, or (killed after the rename, while it
        # cleaned up) the complete new one; never a half-written file
        got = _rows(out)
        assert got == before or (not leftovers and got == after), f"killed after {delay}s"
        for p in leftovers:
            p.unlink()
    assert killed_while_writing >= 2, "the kills never landed while the workbook was written"
    done = api.consolidate(folder, out=out, as_of="2026-04-01", jobs=1)  # and a later run works
    assert _rows(out) == after != before and len(done.facilities) > 0


def test_killed_normalize_leaves_a_usable_store(corpus: tuple[Path, list[object]],
                                                tmp_path: Path) -> None:
    folder, _ = corpus
    out = tmp_path / "結果"
    store = location_for(out)
    proc = _start("normalize", str(folder), "--out", str(out), "--jobs", "1", "-q",
                  cwd=tmp_path)

    def committed() -> int:
        if not store.exists():
            return 0
        try:
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
                return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
        except sqlite3.Error:
            return 0

    saw = _wait_for(lambda: committed() > 0, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if not saw or proc.returncode != -signal.SIGKILL:
        pytest.skip("the run finished before a commit could be seen")
    kept = committed()
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()
    again = api.normalize(folder, out, jobs=1)
    assert again.result.stats["cached"] >= kept > 0
    clean = api.read_many(folder, jobs=1)
    for name in ("submissions", "answers", "problems"):
        pdt.assert_frame_equal(getattr(again.result, name), getattr(clean, name), obj=name)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = write_text(tmp_path / "a.csv", "old\n")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_a_file_that_cannot_be_replaced_asks_to_close_it(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows refuses to replace a workbook Excel holds open (PermissionError)."""
    from xltools.errors import OutputError
    from xltools.output import atomic

    target = write_text(tmp_path / "集計.xlsx", "old")

    def locked(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(atomic.os, "replace", locked)
    with pytest.raises(OutputError, match="閉じてから再実行してください"):
        write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["集計.xlsx"]


def test_outputs_keep_the_folder_permissions_of_a_new_file(tmp_path: Path) -> None:
    p = write_text(tmp_path / "new.csv", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~mask
