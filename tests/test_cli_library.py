"""The library's front door equals the command line, and workers start wherever the user is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pandas.testing as pdt
import pytest
from click.testing import CliRunner

import xltools
from xltools.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "workbooks" / "samples"
GOOD = SAMPLES / "01_R6_さくら総合病院_記入.xlsx"
XLTOOLS = Path(sys.executable).parent / "xltools"  # the console script, as a user runs it


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples plus a later copy of one facility's form: a superseded submission."""
    d = tmp_path_factory.mktemp("inbox")
    for p in SAMPLES.iterdir():
        shutil.copy(p, d / p.name)
    wb = openpyxl.load_workbook(GOOD)
    ws = wb.worksheets[0]
    ws.cell(ws.max_row + 2, 1).value = "再提出"
    later = d / "01b_R6_さくら総合病院_再提出.xlsx"
    wb.save(later)
    os.utime(later, (2_000_000_000, 2_000_000_000))
    return d


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """A frame as the CSV writer would have it (text, guards applied), for comparing."""
    from xltools.output.write import _guarded

    out = _guarded(df).astype(object).where(df.notna(), "")
    return out.astype(str).replace({"<NA>": "", "nan": "", "None": ""}).reset_index(drop=True)


def test_read_one_path_and_read_many_with_a_string() -> None:
    one = xltools.read(GOOD)
    assert len(one.submissions) == 1 and len(one.answers) > 10
    many = xltools.read_many(str(GOOD))  # one string is one path, never its letters
    pdt.assert_frame_equal(many.answers, one.answers)
    assert xltools.read_many([GOOD, SAMPLES / "05_R8_みなと薬局_選択.xlsx"]).submissions.shape[0] == 2


def test_library_and_cli_tables_are_equal(inbox: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["normalize", str(inbox), "--out", str(tmp_path), "-q",
                                   "--jobs", "1", "--no-store"])
    assert res.exit_code == 0, res.output
    lib = xltools.read_many(inbox)
    assert "batch.superseded" in set(lib.problems["code"])
    for name in ("submissions", "answers", "problems"):
        got = _csv(tmp_path, name)
        want = _plain(getattr(lib, name))
        assert list(got.columns) == list(want.columns), name
        pdt.assert_frame_equal(got, want, check_dtype=False, obj=name)


def test_library_consolidate_equals_the_cli_workbook(inbox: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["consolidate", str(inbox), "--out", str(tmp_path / "cli.xlsx"),
                                   "--as-of", "2026-04-01", "-q", "--no-store"])
    assert res.exit_code == 0, res.output
    done = xltools.consolidate(inbox, out=tmp_path / "lib.xlsx", as_of="令和8年4月1日")
    assert done.workbook == tmp_path / "lib.xlsx"
    a = openpyxl.load_workbook(tmp_path / "cli.xlsx", read_only=True)
    b = openpyxl.load_workbook(tmp_path / "lib.xlsx", read_only=True)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert list(a[name].iter_rows(values_only=True)) == \
            list(b[name].iter_rows(values_only=True)), name


def test_fill_through_the_library(tmp_path: Path) -> None:
    tpl = xltools.api.template("checklist", tmp_path / "tpl.xlsx", variant="vendor")
    answers = xltools.api.fill_example(tmp_path / "回答.xlsx")
    wb = openpyxl.load_workbook(answers)
    for r in range(2, wb["既定回答"].max_row + 1):
        wb["既定回答"].cell(r, 4).value = "はい"
    heads = [c.value for c in wb["施設一覧"][1]]
    wb["施設一覧"].cell(2, heads.index("医療機関名") + 1).value = "さくら病院"
    wb["施設一覧"].cell(2, heads.index("システム名") + 1).value = "電子カルテ"
    wb.save(answers)
    done = xltools.fill(tpl, answers, tmp_path / "提出用")
    assert [w.path.name for w in done.files] == ["さくら病院_電子カルテ_事業者確認用.xlsx"]
    # the vendor's folder (forms and the summary) consolidates without an unrecognised form
    read = xltools.read_many(tmp_path / "提出用")
    codes = set(read.problems["code"])
    assert "form.not_recognised" not in codes and "read.xltools_output" in codes
    assert len(read.submissions) == 1


def test_errors_are_one_family() -> None:
    from xltools.aggregate.core import ConsolidateError
    from xltools.aggregate.roster import RosterError
    from xltools.batch.runner import BatchError
    from xltools.batch.store import StoreError
    from xltools.errors import XltoolsError
    from xltools.forms.learn import LearnError, OptionNeeded
    from xltools.output.fill import FillError

    for cls in (ConsolidateError, RosterError, BatchError, StoreError, LearnError, FillError):
        assert issubclass(cls, XltoolsError), cls
    assert OptionNeeded("x").exit_code == 2 and StoreError("x").exit_code == 3
    with pytest.raises(XltoolsError, match="見つかりません"):
        xltools.read_many("どこにもない/")


def test_workers_never_import_a_folder_named_xltools(tmp_path: Path) -> None:
    """Run from a folder holding a clone named ``xltools``: the workers import the installed
    package, nothing is printed, and the run is parallel (no fallback note)."""
    if not XLTOOLS.exists():
        pytest.skip("the xltools console script is not installed next to this Python")
    clone = tmp_path / "xltools"
    clone.mkdir()
    marker = tmp_path / "imported.txt"
    (clone / "__init__.py").write_text(
        f"open({str(marker)!r}, 'w').write('imported')\nraise ImportError('the clone')\n",
        encoding="utf-8")
    (tmp_path / "in").mkdir()
    for p in list(SAMPLES.glob("0*.xlsx"))[:6]:
        shutil.copy(p, tmp_path / "in" / p.name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    proc = subprocess.run([str(XLTOOLS), "normalize", "in", "--out", "out", "--jobs", "2", "-q",
                           "--no-store"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr  # no ImportError, no fallback note
    assert not marker.exists()
    assert len(_csv(tmp_path / "out", "submissions")) >= 6
    assert "PYTHONSAFEPATH" not in os.environ  # the start-up leaves the environment as it was


def test_a_pool_that_cannot_start_is_said_not_hidden(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    from xltools.batch import runner

    if runner.cpu_count() < 2:
        pytest.skip("one CPU: nothing runs in parallel")

    def broken(self: object, jobs: int) -> object:
        raise runner._PoolUnavailable("テスト: 起動できません")

    monkeypatch.setattr(runner._Pool, "_new", broken)
    files = [str(p) for p in list(SAMPLES.glob("0*.xlsx"))[:3]]
    res = CliRunner().invoke(cli, ["normalize", *files, "--out", str(tmp_path), "--jobs", "2",
                                   "--no-store", "-q"])
    assert res.exit_code == 0, res.output
    assert "注意: 並列に読むプロセスを起動できなかったため" in res.stderr
    assert "テスト: 起動できません" in res.stderr
