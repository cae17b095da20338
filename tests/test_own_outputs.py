"""xltools' own workbooks in the folder it reads: skipped with one info row, never counted.

A prefecture keeps 集計.xlsx and the 返送用 letters in the folder it collects returns in and
consolidates it again next week; the consolidated workbook's 明細 and 不一致 sheets look like
checklists and were read as a dozen submissions with thousands of problems."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas.testing as pdt
import pytest

from xltools import api
from xltools.output.own import MARKS, own_workbook

SAMPLES = Path(__file__).resolve().parent.parent / "workbooks" / "samples"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("collect") / "受領"
    shutil.copytree(SAMPLES, d)
    return d


def test_consolidating_a_folder_twice_counts_the_same_forms(folder: Path) -> None:
    first = api.read_many([folder], jobs=1)
    api.consolidate([folder], out=folder / "集計.xlsx", feedback=folder / "返送用",
                    roster=folder / "施設一覧.xlsx", jobs=1)
    letters = sorted((folder / "返送用").glob("*.xlsx"))
    assert letters
    again = api.read_many([folder], jobs=1)
    pdt.assert_frame_equal(again.submissions.drop(columns="file_modified"),
                           first.submissions.drop(columns="file_modified"))
    pdt.assert_frame_equal(again.answers, first.answers)
    new = again.problems[~again.problems["path"].isin(first.problems["path"])]
    assert set(new["code"]) == {"read.xltools_output"}
    assert sorted(Path(p).name for p in new["path"]) == sorted(
        ["集計.xlsx", *(p.name for p in letters)])
    assert (new["severity"] == "info").all()
    assert new["message"].str.contains("集計ブック|返送用").all()


def test_marks_survive_a_libreoffice_save(folder: Path, soffice: str, tmp_path: Path) -> None:
    from testkit.relay import convert

    book = tmp_path / "集計.xlsx"
    api.consolidate([SAMPLES], out=book, jobs=1)
    (saved,) = convert([book], tmp_path / "lo", "xlsx")
    got = api.read(saved)
    assert list(got.problems["code"]) == ["read.xltools_output"] and got.submissions.empty


def test_workbooks_before_the_mark_are_known_by_their_sheets() -> None:
    old = ["概要", "未提出", "要確認", "不一致", "目標日", "施設別一覧", "項目別集計", "参考情報", "明細"]
    assert own_workbook(old) == MARKS["集計"]
    assert own_workbook(["submissions", "answers", "problems"])
    assert own_workbook(["医療機関確認用", "事業者確認用"]) == ""
    assert own_workbook(["概要", "明細"]) == ""  # a form's own sheets may be called so
