"""A contract role table whose Part1 and Part2 stand on two sheets of one workbook is one
submission; two one-part tables of different contracts are not joined."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from testkit.table_synth import ContractSpec, TableTruth, score_tables, write_table_workbook
from xltools import api
from xltools.aggregate.core import consolidate
from xltools.output.table_templates import ContractLayout


def _part(truth: TableTruth, part: str) -> dict:
    return {k: v for k, v in truth.answers.items() if k[0].startswith("P1-") == (part == "P1")}


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TableTruth, api.Result]:
    d = tmp_path_factory.mktemp("split")
    one = ContractSpec(seed=31, p_no=0.5, completed_style="md", sheet_name="Part1",
                       layout=ContractLayout(parts=("P1",), part_style="part"))
    # the second sheet repeats neither the names nor the 初回確認 date: both come from the first
    two = replace(one, sheet_name="Part2", names_in="filename",
                  layout=ContractLayout(parts=("P2",), part_style="part", date_at="none",
                                        group_style="heading_row"))
    path = d / "契約確認表_2シート.xlsx"
    t1, t2 = write_table_workbook(path, [one, two])
    truth = replace(t1, answers={**_part(t1, "P1"), **_part(t2, "P2")},
                    completed={k: v for k, v in {**t1.completed, **t2.completed}.items()
                               if k in {**_part(t1, "P1"), **_part(t2, "P2")}})
    return path, truth, api.read(path)


def test_two_sheets_are_one_submission(split: tuple) -> None:
    _, _, res = split
    assert len(res.submissions) == 1
    sub = res.submissions.iloc[0]
    assert (sub["form"], sub["sheet"], sub["status"]) == ("contract", "Part1", "ok")
    assert sub["facility_name"] and sub["vendor_name"] and sub["system_name"]
    codes = set(res.problems["code"])
    assert not codes & {"table.part_missing", "table.group_missing", "table.checked_date_missing",
                        "table.completed_year_unknown"}
    joined = res.problems[res.problems["code"] == "table.parts_joined"]
    assert joined[["sheet", "detail"]].values.tolist() == [["Part1", "Part2"]]


def test_each_answer_keeps_its_own_sheet_and_cell(split: tuple) -> None:
    _, truth, res = split
    a = res.answers.set_index("item_id")
    assert set(a.loc[[i for i in a.index if i.startswith("P1-")], "sheet"]) == {"Part1"}
    assert set(a.loc[[i for i in a.index if not i.startswith("P1-")], "sheet"]) == {"Part2"}
    sc = score_tables([truth], res.submissions, res.answers, res.problems)
    assert sc.exact == sc.total and sc.sheets_right == 1, sc.silent_examples
    # a year-less 完了日 on Part2 took its year from the 初回確認 date printed on Part1
    assert (a.loc[[i for i in a.index if not i.startswith("P1-")], "completed_on"] != "").any()


def test_the_second_sheet_is_not_called_skipped(split: tuple) -> None:
    _, _, res = split
    assert "table.parts_joined" in set(res.problems["code"])
    assert "form.sheet_skipped" not in set(res.problems["code"])
    cons = consolidate(res)
    assert "form.sheet_skipped" not in set(cons.problems["code"])
    assert len(cons.tables.contract) == 1


def test_one_part_tables_of_different_contracts_stay_apart(tmp_path: Path) -> None:
    one = ContractSpec(seed=5, sheet_name="A社", layout=ContractLayout(parts=("P1",)))
    two = replace(one, sheet_name="B社", vendor_name="ネットケア株式会社",
                  layout=ContractLayout(parts=("P2",)))
    res = api.read(write_table_workbook(tmp_path / "two.xlsx", [one, two])[0].path)
    assert len(res.submissions) == 2
    assert (res.problems["code"] == "table.part_missing").sum() == 2


def test_a_whole_table_next_to_a_part_is_not_joined(tmp_path: Path) -> None:
    whole = ContractSpec(seed=6, sheet_name="全体")
    part = replace(whole, seed=7, sheet_name="追加", layout=ContractLayout(parts=("P2",)))
    res = api.read(write_table_workbook(tmp_path / "w.xlsx", [whole, part])[0].path)
    assert sorted(res.submissions["sheet"]) == ["全体", "追加"]
    assert "table.parts_joined" not in set(res.problems["code"])
