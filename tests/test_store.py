"""The incremental store: re-runs parse only what changed; status; the shared CLI options."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import click
import pandas.testing as pdt
import pytest
from click.testing import CliRunner

from testkit import synth
from xltools.batch import runner as batch
from xltools.batch.progress import Reporter
from xltools.batch.store import DEFAULT_NAME, Store, location_for
from xltools.cli.base import command
from xltools.cli.options import Reading, read_options, status_command
from xltools.forms.catalogue import BUNDLED_DIR


def _write(folder: Path, name: str, seed: int) -> Path:
    rng = random.Random(seed)
    spec = synth.random_spec(rng, seed=seed)
    spec.facility_name = f"店舗{seed}" if spec.variant == "pharmacy" else f"病院{seed}"
    path = folder / name
    synth.write_workbook(path, [spec])
    return path


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i in range(5):
        _write(d, f"f{i}.xlsx", i)
    return d


def test_rerun_reuses_everything_and_gives_the_same_frames(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    first = batch.run([folder], jobs=2, store=store)
    again = batch.run([folder], jobs=2, store=store)
    assert first.stats["parsed"] == 5 and again.stats["parsed"] == 0
    assert again.stats["cached"] == 5
    for got, want in zip(again, first, strict=True):
        pdt.assert_frame_equal(got, want)


def test_reused_rows_packed_in_batches_keep_input_order(folder: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Reused rows are packed a few files at a time, between files parsed anew: the frames
    are still in input order and equal those of a run without a store."""
    store = tmp_path / "s.sqlite"
    batch.run([folder], jobs=2, store=store)
    _write(folder, "f2.xlsx", 52)  # parsed again, between reused files
    monkeypatch.setattr(batch._Reused, "BATCH", 2)
    again = batch.run([folder], jobs=2, store=store)
    assert list(again.files["outcome"]) == ["cached", "cached", "parsed", "cached", "cached"]
    fresh = batch.run([folder], jobs=2)
    for got, want in zip(again, fresh, strict=True):
        pdt.assert_frame_equal(got, want)


def test_grown_folder_parses_only_new_and_changed(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    batch.run([folder], jobs=1, store=store)
    _write(folder, "new.xlsx", 50)
    time.sleep(0.01)
    _write(folder, "f2.xlsx", 51)  # changed content, same name
    res = batch.run([folder], jobs=1, store=store)
    outcome = dict(zip(res.files["path"].map(lambda p: Path(p).name), res.files["outcome"],
                       strict=True))
    assert outcome == {"f0.xlsx": "cached", "f1.xlsx": "cached", "f2.xlsx": "parsed",
                       "f3.xlsx": "cached", "f4.xlsx": "cached", "new.xlsx": "parsed"}
    assert (res.submissions["facility_name"].str.endswith("51")).any()


def test_unchanged_files_are_not_even_opened(folder: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.sqlite"
    batch.run([folder], jobs=1, store=store)

    def refuse(e: Any) -> bytes:
        raise AssertionError(f"{e.path} was read")

    monkeypatch.setattr(batch, "_read_bytes", refuse)
    res = batch.run([folder], jobs=1, store=store)
    assert res.stats["cached"] == 5


def test_touched_file_is_rehashed_but_not_reparsed(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    batch.run([folder], jobs=1, store=store)
    p = folder / "f1.xlsx"
    p.write_bytes(p.read_bytes())  # new mtime, same bytes
    res = batch.run([folder], jobs=1, store=store)
    assert res.stats["cached"] == 5
    row = res.submissions[res.submissions["path"] == str(p)].iloc[0]
    assert row["file_modified"] == batch._Entry(0, str(p), mtime_ns=p.stat().st_mtime_ns).modified


def test_changed_mapping_version_reparses(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    batch.run([folder], jobs=1, store=store)
    user = tmp_path / "mappings"
    user.mkdir()
    text = (BUNDLED_DIR / "checklist" / "R7.yaml").read_text(encoding="utf-8")
    (user / "R7.yaml").write_text(text + "\n# local edit\n", encoding="utf-8")
    res = batch.run([folder], jobs=1, store=store, mappings=str(user))
    assert res.stats["parsed"] == 5
    with Store(store) as db:
        assert len(db.summary().versions) == 2


def test_moved_file_is_a_hit_renamed_file_is_read_again(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    batch.run([folder], jobs=1, store=store)
    other = tmp_path / "moved"
    other.mkdir()
    shutil.copy2(folder / "f0.xlsx", other / "f0.xlsx")
    shutil.copy2(folder / "f1.xlsx", other / "renamed.xlsx")
    res = batch.run([other], jobs=1, store=store)
    assert list(res.files["outcome"]) == ["cached", "parsed"]
    assert set(res.submissions["path"]) == {str(other / "f0.xlsx"), str(other / "renamed.xlsx")}
    assert set(res.problems["path"]) <= {str(other / "f0.xlsx"), str(other / "renamed.xlsx")}


def test_store_in_the_input_folder_is_not_read(folder: Path) -> None:
    store = folder / DEFAULT_NAME
    batch.run([folder], jobs=1, store=store)
    res = batch.run([folder], jobs=1, store=store)
    assert len(res.files) == 5 and not (res.problems["code"] == "read.not_excel").any()


def test_store_uses_a_rollback_journal_and_records_runs(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    batch.run([folder], jobs=1, store=store)
    batch.run([folder], jobs=1, store=store)
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # never WAL
    runs = db.execute("SELECT files, parsed, cached FROM runs ORDER BY id").fetchall()
    assert runs == [(5, 5, 0), (5, 0, 5)]


def test_status_prints_what_the_store_holds(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    res = batch.run([folder], jobs=1, store=store)
    out = CliRunner().invoke(status_command, ["--store", str(store)])
    assert out.exit_code == 0, out.output
    assert "ファイル: 5 件（内容の異なるもの 5 件）" in out.output
    assert f"様式 {len(res.submissions)} 件" in out.output
    assert "最終実行:" in out.output and "マッピング版:" in out.output


def test_status_without_a_store_is_one_error_line(tmp_path: Path) -> None:
    out = CliRunner().invoke(status_command, ["--store", str(tmp_path / "none.sqlite")])
    assert out.exit_code == 3
    assert out.output.startswith("エラー: ") and "ストアが見つかりません" in out.output
    assert "Traceback" not in out.output


def test_status_help_has_an_example() -> None:
    out = CliRunner().invoke(status_command, ["--help"])
    assert "例:" in out.output and "xltools status --store" in out.output


def test_read_options_shape_the_library_keywords(tmp_path: Path) -> None:
    @command("probe")
    @read_options
    def probe(reading: Reading) -> None:
        kw = reading.keywords()
        reporter = kw.pop("progress")
        click.echo(json.dumps(kw, default=str, ensure_ascii=False))
        click.echo(f"bar={reporter.bar} summary={reporter.summary}")

    pw = tmp_path / "pw.txt"
    pw.write_text("\ufeffsecond pass\nthird\n\n", encoding="utf-8")
    out = CliRunner().invoke(probe, ["--jobs", "1", "--password", "first", "--passwords", str(pw),
                                     "-q"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output.splitlines()[0])
    assert got["jobs"] == 1 and got["scheduler"] is None and got["store"] is True
    assert got["passwords"] == ["first", "second pass", "third"]
    assert "bar=False summary=False" in out.output
    out = CliRunner().invoke(probe, ["--no-store"])
    assert json.loads(out.output.splitlines()[0])["store"] is False
    out = CliRunner().invoke(probe, ["--passwords", str(tmp_path / "missing.txt")])
    assert out.exit_code == 2 and "--passwords" in out.output and "見つかりません" in out.output
    out = CliRunner().invoke(probe, [], env={"XLTOOLS_SCHEDULER": "tcp://h:8786"})
    assert json.loads(out.output.splitlines()[0])["scheduler"] == "tcp://h:8786"


def test_store_lives_in_the_cache_keyed_by_the_output(tmp_path: Path) -> None:
    a, b = location_for(tmp_path / "集計.xlsx"), location_for(tmp_path / "other" / "集計.xlsx")
    assert a != b and a.parent == b.parent == Path(os.environ["XLTOOLS_STORE_DIR"])
    assert location_for(tmp_path / "x" / ".." / "集計.xlsx") == a  # same output, same store


def test_batch_error_becomes_exit_3() -> None:
    @command("boom")
    def boom() -> None:
        raise batch.BatchError("dask スケジューラ x に接続できません")

    out = CliRunner().invoke(boom, [])
    assert out.exit_code == 3 and out.output.startswith("エラー: dask スケジューラ")


def test_reporter_is_a_plain_callback() -> None:
    assert callable(Reporter(bar=False))


def test_normalize_twice_then_status_through_the_cli(folder: Path, tmp_path: Path) -> None:
    from xltools.cli import cli

    out = tmp_path / "out"
    runner = CliRunner()
    for _ in range(2):
        res = runner.invoke(cli, ["normalize", str(folder), "--out", str(out), "--jobs", "1",
                                  "-q"])
        assert res.exit_code in (0, 1), res.output
    assert location_for(out).is_file() and not (out / DEFAULT_NAME).exists()
    res = runner.invoke(cli, ["status", "--store", str(out) + "/"])  # the output folder
    assert res.exit_code == 0, res.output
    assert "新規に読んだもの 0・前回の結果 5" in res.output
    listed = runner.invoke(cli, ["status"])
    assert listed.exit_code == 0 and str(out) in listed.output
