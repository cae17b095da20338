"""``xltools consolidate`` through CliRunner (the batch reader is replaced by the fixture frames)."""

from __future__ import annotations

from pathlib import Path

import fixtures_consolidate as fx
import openpyxl
import pytest
from click.testing import CliRunner

import xltools.batch.runner
from xltools.cli.consolidate import consolidate_command
from xltools.output.report import SHEETS


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    seen: dict[str, object] = {}

    def fake_run(paths: list[str], **kwargs: object) -> dict:
        seen.update(paths=paths, **kwargs)
        return fx.frames()

    monkeypatch.setattr(xltools.batch.runner, "run", fake_run)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.xlsx").write_bytes(b"")
    (tmp_path / "roster.csv").write_text(
        "医療機関コード,医療機関名,種別,保健所\n1312345678,さくら病院,病院,中央\n,あおば薬局,薬局,北\n",
        encoding="utf-8-sig")
    return tmp_path


def _run(*args: str) -> object:
    return CliRunner().invoke(consolidate_command, list(args))


def test_help_has_a_summary_and_an_example() -> None:
    r = _run("--help")
    assert r.exit_code == 0
    assert "医療機関と事業者の回答を突き合わせ" in r.output
    assert "例:" in r.output and "xltools consolidate workbooks/samples" in r.output


def test_writes_workbook_and_feedback(files: Path) -> None:
    out = files / "out.xlsx"
    r = _run(str(files / "in"), "--out", str(out), "--roster", str(files / "roster.csv"),
             "--as-of", "2025/6/1", "--group-by", "保健所", "--feedback", str(files / "fb"))
    assert r.exit_code == 0, r.output
    book = openpyxl.load_workbook(out)
    assert [ws.title for ws in book.worksheets if ws.sheet_state == "visible"] == [
        SHEETS[0], "グループ別", *SHEETS[1:]]
    assert len(list((files / "fb").glob("*.xlsx"))) == 3  # 2 in the roster + みどりクリニック
    assert "を書きました" in r.output


def test_quiet_prints_nothing(files: Path) -> None:
    r = _run(str(files / "in"), "--out", str(files / "o.xlsx"), "--quiet")
    assert r.exit_code == 0 and r.output == ""


@pytest.mark.parametrize(("fail_on", "code"), [("never", 0), ("error", 0), ("warning", 1), ("info", 1)])
def test_fail_on(files: Path, fail_on: str, code: int) -> None:
    r = _run(str(files / "in"), "--out", str(files / "o.xlsx"), "--quiet", "--fail-on", fail_on)
    assert r.exit_code == code


def test_bad_as_of_is_a_usage_error(files: Path) -> None:
    r = _run(str(files / "in"), "--out", str(files / "o.xlsx"), "--as-of", "someday")
    assert r.exit_code == 2
    assert r.output.strip().splitlines()[-1].startswith("エラー: 基準日「someday」を読めません")


def test_group_by_unknown_is_a_usage_error(files: Path) -> None:
    r = _run(str(files / "in"), "--out", str(files / "o.xlsx"), "--group-by", "area")
    assert r.exit_code == 2 and "名簿" in r.output


def test_unusable_roster_is_a_usage_error(files: Path) -> None:
    (files / "bad.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    r = _run(str(files / "in"), "--out", str(files / "o.xlsx"), "--roster", str(files / "bad.csv"))
    assert r.exit_code == 2 and "名称の列が見つかりません" in r.output


def test_bad_rules_file_cannot_run(files: Path) -> None:
    (files / "maps" / "rules").mkdir(parents=True)
    (files / "maps" / "rules" / "crosscheck.yaml").write_text("rules:\n  - id: x\n    bogus: 1\n",
                                                              encoding="utf-8")
    r = _run(str(files / "in"), "--out", str(files / "o.xlsx"), "--mappings", str(files / "maps"))
    assert r.exit_code == 3
    assert "crosscheck.yaml: rules[0].bogus: 知らない項目です" in r.output


def test_unwritable_output_cannot_run(files: Path) -> None:
    (files / "ro").write_text("a file where a folder should be", encoding="utf-8")
    r = _run(str(files / "in"), "--out", str(files / "ro" / "o.xlsx"))
    assert r.exit_code == 3, r.output
    assert r.output.splitlines()[-1].startswith("エラー: ") and "ro" in r.output


def test_missing_output_folder_is_created(files: Path) -> None:
    r = _run(str(files / "in"), "--out", str(files / "no" / "such" / "dir" / "o.xlsx"), "--no-store")
    assert r.exit_code == 0, r.output
    assert (files / "no" / "such" / "dir" / "o.xlsx").is_file()


def test_missing_out_is_a_usage_error(files: Path) -> None:
    assert _run(str(files / "in")).exit_code == 2


def test_real_folder_goes_through_the_batch_runner(tmp_path: Path) -> None:
    """Not faked: the store lands in the cache, keyed by the workbook, and a second run reads
    nothing again; piped output has the run summary but no per-file lines."""
    import shutil

    from xltools.batch.store import location_for

    samples = Path(__file__).resolve().parents[1] / "workbooks" / "samples"
    (tmp_path / "in").mkdir()
    for name in ("01_R6_さくら総合病院_記入.xlsx", "02_R6_さくら総合病院_電子カルテ事業者.xlsx"):
        shutil.copy(samples / name, tmp_path / "in" / name)
    out = tmp_path / "集計.xlsx"
    first = _run(str(tmp_path / "in"), "--out", str(out), "--jobs", "1")
    assert first.exit_code == 0, first.output
    assert location_for(out).exists() and not (tmp_path / "xltools-store.sqlite").exists()
    assert "新規 2・前回の結果 0" in first.output and "読み取り:" not in first.output
    again = _run(str(tmp_path / "in"), "--out", str(out), "--jobs", "1")
    assert again.exit_code == 0 and "新規 0・前回の結果 2" in again.output
