"""The contract role table and the BCP table: recognition, layouts, encodings, validation,
catalogues, templates, cross-checks and accuracy on generated copies.

Workbooks are generated once per module (layout cases, the accuracy corpus, the mixed folder)
and read in one ``read_many`` each, so the module stays fast.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import xlsxwriter

from testkit import synth
from testkit.table_synth import (
    BCP_ANSWER_STYLES,
    CONTRACT_ANSWER_STYLES,
    DATE_STYLES,
    BcpSpec,
    ContractSpec,
    score_tables,
    write_corpus,
    write_table_workbook,
)
from xltools import api
from xltools.checks.rules import load_rules, parse_rules
from xltools.checks.table_checks import (
    TABLE_ROW_COLUMNS,
    check_tables,
    table_rows,
)
from xltools.forms.catalogue import MappingError, load_catalogue
from xltools.forms.locate import Scan
from xltools.forms.table_catalogue import load_table_catalogue, parse_table_catalogue
from xltools.forms.tables import (
    assign_question_ids,
    first_on_or_after,
    locate_bcp,
    locate_contract,
    names_from_filename,
    parse_contract_ref,
)
from xltools.output import schema
from xltools.output.schema import frame
from xltools.output.table_templates import (
    BcpLayout,
    ContractLayout,
    write_bcp_template,
    write_contract_template,
)
from xltools.xlsx.book import read_book

# --------------------------------------------------------------------------------------------
# layout and encoding cases: one workbook each, read in one batch

CONTRACT_CASES: dict[str, ContractSpec] = {
    **{f"group_{g}": ContractSpec(layout=ContractLayout(group_style=g), seed=n)
       for n, g in enumerate(("one_cell", "heading_row", "left_column", "every_row"))},
    **{f"ref_{n}": ContractSpec(layout=ContractLayout(group_style="every_row", ref_style=s), seed=10 + n)
       for n, s in enumerate(("A-1", "Ａ－１", "A1", "A‐1"))},
    **{f"answer_{s}": ContractSpec(answer_style=s, seed=20 + n, p_blank=0.1)
       for n, s in enumerate(CONTRACT_ANSWER_STYLES)},
    **{f"date_{d}": ContractSpec(layout=ContractLayout(date_at=d, date_label=lbl), seed=40 + n,
                                 checked_style=cs)
       for n, (d, lbl, cs) in enumerate((("header", "", "era"), ("field_colon", "初回確認日", "kanji"),
                                         ("field_right", "初回協議日", "excel"),
                                         ("field_right2", "初回確認（日付）", "slash")))},
    **{f"completed_{s}": ContractSpec(completed_style=s, seed=50 + n, p_no=0.6)
       for n, s in enumerate(DATE_STYLES)},
    "two_row_header_split_left_column": ContractSpec(
        layout=ContractLayout(group_style="left_column", remarks=True), answer_style="split", seed=61),
    "header_repeated_part_words": ContractSpec(
        layout=ContractLayout(header_repeat=True, part_style="part", start_row=3, start_col=2),
        seed=62),
    "fields_bottom_colon": ContractSpec(
        layout=ContractLayout(fields_at="bottom", fields_style="colon", title=""), seed=63),
    "extra_items_reworded": ContractSpec(extra_items=True, reword=True, seed=64),
    "names_in_filename": ContractSpec(names_in="filename", seed=65),
}

BCP_CASES: dict[str, BcpSpec] = {
    **{f"answer_{s}": BcpSpec(answer_style=s, seed=100 + n,
                              layout=BcpLayout(answer_header="チェック"))
       for n, s in enumerate(BCP_ANSWER_STYLES)},
    **{f"header_{n}": BcpSpec(layout=BcpLayout(answer_header=h), seed=110 + n)
       for n, h in enumerate(("確認", "対応状況", "✓", "策定状況", ""))},
    "unheaded_left": BcpSpec(layout=BcpLayout(answer_at="left", answer_header=""), seed=120,
                             answer_style="status"),
    "headed_left": BcpSpec(layout=BcpLayout(answer_at="left", answer_header="チェック"), seed=121),
    "checkbox_unheaded": BcpSpec(layout=BcpLayout(answer_header=""), answer_style="checkbox",
                                 seed=122),
    **{f"middle_ref_{m}_name_{nm}": BcpSpec(layout=BcpLayout(middle_ref=m, middle_name=nm),
                                            seed=130 + i)
       for i, (m, nm) in enumerate((("first", "ditto"), ("every", "every"), ("merged", "merged"),
                                    ("first", "first")))},
    "major_in_ref_column": BcpSpec(layout=BcpLayout(major_style="ref", major_definition=False),
                                   seed=140),
    "middle_column": BcpSpec(layout=BcpLayout(middle_column=True), seed=141),
    "date_column": BcpSpec(layout=BcpLayout(date_column=True), date_style="era", seed=142),
    "inserted_and_reworded": BcpSpec(inserted=True, reword=True, seed=143),
    "no_title_moved": BcpSpec(layout=BcpLayout(title="", notes=False, start_row=2, start_col=1),
                              seed=144),
    "names_in_filename": BcpSpec(names_in="filename", seed=145),
}


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, list], api.Result]:
    d = tmp_path_factory.mktemp("table_cases")
    truths: dict[str, list] = {}
    for name, spec in {**{f"contract_{k}": v for k, v in CONTRACT_CASES.items()},
                       **{f"bcp_{k}": v for k, v in BCP_CASES.items()}}.items():
        fname = name
        if getattr(spec, "names_in", "") == "filename":
            fname = (f"役割分担確認表_{spec.facility_name}_{spec.vendor_name}"
                     if isinstance(spec, ContractSpec) else f"BCP確認表_{spec.facility_name}")
        truths[name] = write_table_workbook(d / f"{fname}.xlsx", [spec])
    return truths, api.read_many([d])


def _exact(truths: list, res: api.Result) -> Any:
    return score_tables(truths, res.submissions, res.answers, res.problems)


@pytest.mark.parametrize("case", sorted(f"contract_{k}" for k in CONTRACT_CASES))
def test_contract_layouts_and_encodings(cases: tuple, case: str) -> None:
    truths, res = cases
    sc = _exact(truths[case], res)
    assert sc.sheets_right == sc.sheets == 1, case
    assert sc.exact == sc.total, (case, sc.silent_examples)


@pytest.mark.parametrize("case", sorted(f"bcp_{k}" for k in BCP_CASES))
def test_bcp_layouts_and_encodings(cases: tuple, case: str) -> None:
    truths, res = cases
    sc = _exact(truths[case], res)
    assert sc.sheets_right == sc.sheets == 1, case
    assert sc.exact == sc.total, (case, sc.silent_examples)


def _sub(res: api.Result, name_part: str) -> pd.Series:
    subs = res.submissions[res.submissions["path"].str.contains(name_part, regex=False)]
    assert len(subs) == 1, name_part
    return subs.iloc[0]


def test_sources_name_the_encoding(cases: tuple) -> None:
    _, res = cases
    sources = set(res.answers["source"])
    assert {"text", "mark", "strike", "dropdown", "columns", "shape", "checkbox"} <= sources


def test_header_fields_and_names_from_file(cases: tuple) -> None:
    truths, res = cases
    s = _sub(res, "contract_fields_bottom_colon")
    t = truths["contract_fields_bottom_colon"][0]
    assert (s.facility_name, s.vendor_name, s.system_name) == (t.facility_name, t.vendor_name,
                                                               t.system_name)
    s = _sub(res, "役割分担確認表_")
    assert (s.facility_name, s.vendor_name) == ("さくら総合病院", "株式会社メディシステム")
    p = res.problems[res.problems["submission_id"] == s.submission_id]
    assert "locate.name_from_filename" in set(p["code"])
    s = _sub(res, "BCP確認表_")
    assert s.facility_name == "さくら総合病院"


def test_answer_column_is_reported_with_its_reason(cases: tuple) -> None:
    _, res = cases
    notes = res.problems[res.problems["code"] == "table.answer_column"]
    text = " ".join(notes["message"])
    assert "見出し「チェック」" in text
    assert "見出しのない列" in text and "項番の左" in text
    assert "チェックボックス" in text
    assert set(notes["severity"]) == {"info"}


def test_contract_rows_carry_dates_refs_and_round(cases: tuple) -> None:
    truths, res = cases
    s = _sub(res, "contract_date_header")
    rows = res.answers[res.answers["submission_id"] == s.submission_id]
    answered = rows[rows["answer"] != "blank"]
    assert set(answered["checked_on"]) == {"2025-10-28"}
    assert set(rows["round"]) == {1} and set(rows["scope"]) == {"all"}
    assert {"P1-1", "A-1", "B-1", "C-1"} <= set(rows["item_id"])
    assert s.form == "contract" and s.variant == "joint" and s.edition == "2024"


def test_unknown_items_are_read_and_reported(cases: tuple) -> None:
    truths, res = cases
    for case in ("contract_extra_items_reworded", "bcp_inserted_and_reworded"):
        s = _sub(res, case)
        p = res.problems[(res.problems["submission_id"] == s.submission_id)
                         & (res.problems["code"] == "table.unknown_item")]
        assert len(p) >= 1 and set(p["severity"]) == {"info"}
        read = set(res.answers[res.answers["submission_id"] == s.submission_id]["item_id"])
        assert set(p["item_id"]) <= read
    s = _sub(res, "bcp_inserted_and_reworded")
    ids = set(res.answers[res.answers["submission_id"] == s.submission_id]["item_id"])
    assert {"1-1.5", "1-2.5", "5-5.2", "5-7.1"} <= ids  # inserted rows shift nothing


# --------------------------------------------------------------------------------------------
# accuracy on a generated corpus


@pytest.fixture(scope="module")
def table_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list, api.Result]:
    d = tmp_path_factory.mktemp("table_corpus")
    truths = write_corpus(d, n_contract=40, n_bcp=40, seed=20261125)
    return d, truths, api.read_many([d])


def test_corpus_accuracy(table_corpus: tuple) -> None:
    _, truths, res = table_corpus
    sc = score_tables(truths, res.submissions, res.answers, res.problems)
    print(sc.line())
    assert sc.sheets_right == sc.sheets
    assert sc.exact_rate >= 0.98, sc.line()
    assert sc.silent == 0, sc.silent_examples
    forms = {(t.path, t.sheet): t.form for t in truths}
    got = {(r.path, r.sheet): r.form for r in res.submissions.itertuples()}
    assert all(got.get(k) == f for k, f in forms.items())
    assert {"contract", "bcp"} == set(forms.values())
    assert (res.problems["code"] == "table.unknown_item").any()


# --------------------------------------------------------------------------------------------
# hand-made sheets for validation


def grid_book(path: Path, rows: list[list[Any]], merges: tuple = (), sheet: str = "Sheet1") -> Path:
    """A workbook from a plain grid (None = empty), for layouts the generators do not make."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    datef = wb.add_format({"num_format": "yyyy/m/d"})
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), datef)
            elif v not in (None, ""):
                ws.write(r, c, v)
    for m in merges:
        ws.merge_range(*m, rows[m[0]][m[1]])
    wb.close()
    return path


P1_1 = load_table_catalogue("contract").entry("P1-1").text
CONTRACT_HEAD = ["項番", "項目", "内容", "初回確認（2025/10/28）", "完了日"]


def _contract_grid(body: list[list[Any]], head: list[str] | None = None,
                   above: list[list[Any]] | None = None) -> list[list[Any]]:
    return [["医療情報システムの契約における当事者間の役割分担等に関する確認表"],
            ["医療機関名", "さくら病院"], ["事業者名", "株式会社ABC"], *(above or []),
            head or CONTRACT_HEAD, *body]


def _codes(res: api.Result) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in res.problems.to_dict("records"):
        out.setdefault(p["code"], []).append(p)
    return out


def _answers(res: api.Result) -> dict[str, dict]:
    return {a["item_id"]: a for a in res.answers.to_dict("records")}


def test_contract_validation_rules(tmp_path: Path) -> None:
    body = [["【主に医療機関が実施する項目】"],
            [1, "事業者の選定", P1_1, "はい", None],
            [2, "責任分界", "責任分界を明確にする。", None, None],  # unanswered
            [3, "把握", "構成を把握する。", "いいえ", None],  # no 完了日
            [4, "教育", "教育する。", "いいえ", dt.date(2025, 9, 1)],  # before 初回確認
            [5, "連絡", "連絡体制。", "いいえ", "8/1"],  # year-less -> 2026-08-01
            [6, "連絡2", "連絡体制2。", "いいえ", "( 11 / 3 )"],  # -> 2025-11-03
            [7, "独自", "独自の項目。", "○はい・○いいえ", None],  # undecidable
            [8, "独自2", "独自の項目2。", "はい", "2025/12/1"],  # 完了日 on はい
            [9, "独自3", "独自の項目3。", "はい", "－"],  # a dash: no date, no problem
            ["【医療機関と事業者が共同で実施する項目】"],
            ["A 共通"],
            [1, "ガイドラインの確認", "事業者は同ガイドラインに沿って…", "はい", None],  # title mismatch
            [1, "重複", "重複した行。", "いいえ", "2026/1/1"],  # duplicate A-1
            [2, "アクセス管理", "取り決める。", "いいえ", "R7.12.1"],
            [None, "項番なし", "項番のない行。", "はい", None],  # no ref
            [3, "外部接続", "通信経路に対する安全対策を確保する。", "たぶん", None]]
    res = api.read(grid_book(tmp_path / "c.xlsx", _contract_grid(body)))
    codes, ans = _codes(res), _answers(res)
    assert res.submissions.iloc[0]["form"] == "contract"
    assert [p["item_id"] for p in codes["table.answer_blank"]] == ["P1-2"]
    assert [p["item_id"] for p in codes["table.completed_missing"]] == ["P1-3"]
    assert [p["item_id"] for p in codes["table.completed_before_checked"]] == ["P1-4"]
    assert codes["table.completed_before_checked"][0]["severity"] == "error"
    assert ans["P1-5"]["completed_on"] == "2026-08-01"
    assert ans["P1-6"]["completed_on"] == "2025-11-03"
    assert ans["A-2"]["completed_on"] == "2025-12-01"
    assert ans["P1-7"]["answer"] == "blank"
    unreadable = {p["item_id"] for p in codes["answer.unreadable"]}
    assert {"P1-7", "A-3"} <= unreadable
    assert [p["item_id"] for p in codes["table.completed_with_yes"]] == ["P1-8"]
    assert [p["item_id"] for p in codes["table.title_mismatch"]] == ["A-1"]
    assert [p["item_id"] for p in codes["table.item_duplicated"]] == ["A-1"]
    assert ans["A-1"]["answer"] == "yes"  # the first row wins
    assert len(codes["table.ref_unclear"]) == 1
    assert {p["item_id"] for p in codes["table.unknown_item"]} == {"P1-6", "P1-7", "P1-8", "P1-9"}
    assert "answer.date_unreadable" not in codes
    assert ans["P1-1"]["checked_on"] == "2025-10-28" and ans["P1-2"]["checked_on"] == ""
    assert "table.checked_date_missing" not in codes
    assert all("{" not in p["message"] for ps in codes.values() for p in ps)


def test_contract_structure_problems(tmp_path: Path) -> None:
    # no part labels, Part1 missing entirely, group A missing, Part2 numbers without a group
    body = [["B"], [1, "リモート保守", "接続方法。", "はい", None],
            ["【医療機関と事業者が共同で実施する項目】"], [2, "不明", "グループのない行。", "はい", None]]
    res = api.read(grid_book(tmp_path / "s.xlsx", _contract_grid(body)))
    codes = _codes(res)
    assert [p["detail"] for p in codes["table.part_missing"]] == ["Part1【主に医療機関が実施する項目】"]
    assert [p["detail"] for p in codes["table.group_missing"]] == ["A（共通）"]
    assert "グループ" in codes["table.ref_unclear"][0]["detail"]
    missing = {p["item_id"] for p in codes["table.item_missing"]}
    assert missing == {"P1-1", "A-1"}  # only items whose existence is verified
    assert res.submissions.iloc[0]["status"] == "partial"
    blank_rows = res.answers[res.answers["source"] == "missing"]
    assert set(blank_rows["item_id"]) == {"P1-1", "A-1"}
    # both part labels absent but items present: inferred from numbering, reported
    body = [[1, "事業者の選定", "確認する。", "はい", None], ["A 共通"],
            [1, "ガイドライン", "…", "はい", None]]
    res = api.read(grid_book(tmp_path / "t.xlsx", _contract_grid(body)))
    assert len(_codes(res)["table.part_label_missing"]) == 2
    assert set(res.answers["item_id"]) == {"P1-1", "A-1"}


def test_contract_dates_in_header_fields_and_missing(tmp_path: Path) -> None:
    head = ["項番", "項目", "内容", "初回確認", "完了日"]
    body = [["【主に医療機関が実施する項目】"], [1, "選定", "選定する。", "いいえ", "8/1"]]
    for n, above in enumerate(([["初回確認日：令和7年10月28日"]], [["初回協議日", None, "2025/10/28"]],
                               [["初回確認（日付）", dt.date(2025, 10, 28)]])):
        res = api.read(grid_book(tmp_path / f"d{n}.xlsx", _contract_grid(body, head, above)))
        a = _answers(res)["P1-1"]
        assert (a["checked_on"], a["completed_on"]) == ("2025-10-28", "2026-08-01"), n
    res = api.read(grid_book(tmp_path / "none.xlsx", _contract_grid(body, head)))
    codes = _codes(res)
    assert "table.checked_date_missing" in codes
    assert [p["item_id"] for p in codes["table.completed_year_unknown"]] == ["P1-1"]
    assert _answers(res)["P1-1"]["completed_on"] == ""
    head = ["項番", "項目", "内容", "初回確認（10/28）", "完了日"]  # year-less: not guessed
    res = api.read(grid_book(tmp_path / "noyear.xlsx", _contract_grid(body, head)))
    assert "answer.date_unreadable" in _codes(res)
    assert _answers(res)["P1-1"]["checked_on"] == ""


def test_contract_group_letter_in_two_cells(tmp_path: Path) -> None:
    head = [None, "項番", "項目", "内容", "初回確認（2025/10/28）", "完了日"]
    rows = [["医療情報システムの契約における当事者間の役割分担等に関する確認表"], head,
            [None, 1, "選定", "選定する。", "はい", None],
            ["A", 1, "ガイドライン", "…", "はい", None],
            [None, 2, "アクセス", "…", "いいえ", "2026/2/1"],
            ["B 運用", 1, "リモート保守", "…", "はい", None]]
    res = api.read(grid_book(tmp_path / "g.xlsx", rows, merges=((3, 0, 4, 0),)))
    assert set(res.answers["item_id"]) == {"P1-1", "A-1", "A-2", "B-1"}


BCP_HEAD = ["項番", "大項目", "確認項目", "チェック"]


def _bcp_rows(body: list[list[Any]]) -> list[list[Any]]:
    return [["サイバー攻撃を想定した事業継続計画(BCP)策定の確認表"], ["医療機関名", "さくら病院"],
            BCP_HEAD, *body]


def test_bcp_validation_and_structure(tmp_path: Path) -> None:
    body = [["1", "平時(平時において、非常時に備え、サイバーセキュリティの体制整備を行う。)"],
            ["1-1", "情報機器等の把握", "サーバ、端末PC、ネットワーク機器を把握できているか。", "✓"],
            [None, "〃", "ネットワーク構成図・システム構成図が整備できているか。", None],  # blank
            [None, "〃", "システム停止が事業継続に与える影響を把握できているか。", "一部対応"],
            ["1-2", "体制", "教育訓練が実施できているか。", "済"],  # matched by text: 1-2.3
            ["2-3", "覚知", "院内職員から発出されたサイバー被害情報が組織を通じて速やかにCSIRT(対応者)"
                           "ならびに意思決定者まで到達するか。", "はい"],  # 大項目 2 label missing
            ["3", "初動対応"],
            ["4", "復旧処理"], ["4-1", "指示", "復旧指示の確認と実施ができるか。", "対応済み"]]
    res = api.read(grid_book(tmp_path / "b.xlsx", _bcp_rows(body)))
    codes, ans = _codes(res), _answers(res)
    assert res.submissions.iloc[0][["form", "variant", "edition"]].tolist() == ["bcp", "hospital", "2024"]
    assert ans["1-1.1"]["answer"] == "yes" and ans["1-2.3"]["answer"] == "yes"
    assert ans["1-1.2"]["answer"] == "blank"
    assert "table.answer_blank" in {p["code"] for p in codes["table.answer_blank"] if p["item_id"] == "1-1.2"}
    assert [p["item_id"] for p in codes["answer.unreadable"]] == ["1-1.3"]
    assert [p["detail"] for p in codes["table.section_label_missing"]] == ["2 検知"]
    assert [p["detail"] for p in codes["table.section_missing"]] == ["5 事後対応"]
    missing = {p["item_id"] for p in codes["table.item_missing"]}
    assert {"1-1.4", "1-2.1", "5-2.1"} <= missing and "2-1.1" not in missing  # verified only
    assert ans["5-2.1"]["source"] == "missing"


def test_bcp_bracketed_majors_and_numbers_inside_names(tmp_path: Path) -> None:
    rows = [["BCP策定の確認表"], [None, "項番", "大項目", "確認項目"],
            [None, None, "【平時】平時において、非常時に備え…"],
            ["レ", None, "1-1 情報機器等の把握", "サーバ、端末PC、ネットワーク機器を把握できているか"],
            ["×", None, "〃", "ネットワーク構成図・システム構成図が整備できているか"],
            [None, None, "■検知"],
            ["済", None, "2-3 CSIRT/経営者によるシステム異常の覚知", "速やかに到達するか。"]]
    res = api.read(grid_book(tmp_path / "m.xlsx", rows))
    ans = _answers(res)
    assert (ans["1-1.1"]["answer"], ans["1-1.2"]["answer"], ans["2-3.1"]["answer"]) == ("yes", "no", "yes")
    codes = _codes(res)
    assert "項番の左" in codes["table.answer_column"][0]["message"]
    assert {p["detail"] for p in codes["table.section_missing"]} == {"3 初動対応", "4 復旧処理", "5 事後対応"}


def test_contract_with_other_item_header(tmp_path: Path) -> None:
    head = ["項番", "確認事項", "初回確認（2025/10/28）", "完了日"]
    body = [["【主に医療機関が実施する項目】"], [1, "事業者を選定する。", "はい", None]]
    res = api.read(grid_book(tmp_path / "o.xlsx", _contract_grid(body, head)))
    assert _answers(res)["P1-1"]["answer"] == "yes"


def test_bcp_without_answer_column(tmp_path: Path) -> None:
    rows = _bcp_rows([["1", "平時"], ["1-1", "把握", "サーバ、端末PC、ネットワーク機器を把握できているか。"],
                      ["2", "検知"], ["2-3", "覚知", "到達するか。"]])
    rows[2] = BCP_HEAD[:3]
    res = api.read(grid_book(tmp_path / "n.xlsx", rows))
    codes = _codes(res)
    assert codes["table.no_answer_column"][0]["severity"] == "error"
    assert set(res.answers["answer"]) == {"blank"}
    assert res.submissions.iloc[0]["status"] == "partial"


def test_bcp_question_without_middle_is_reported(tmp_path: Path) -> None:
    rows = _bcp_rows([["1", "平時"], [None, None, "番号のない確認項目があるか。", "✓"],
                      ["1-1", "把握", "サーバ、端末PC、ネットワーク機器を把握できているか。", "✓"]])
    res = api.read(grid_book(tmp_path / "q.xlsx", rows))
    assert "中項目" in _codes(res)["table.ref_unclear"][0]["detail"]


# --------------------------------------------------------------------------------------------
# recognition: strict, never a checklist


def test_locators_never_claim_checklists(templates_dir: Path) -> None:
    cat = load_catalogue()
    for path in sorted(templates_dir.glob("*.xlsx")):
        for sheet in read_book(path).sheets:
            scan = Scan.of(sheet)
            assert locate_contract(scan, cat) is None, path.name
            assert locate_bcp(scan, cat) is None, path.name


def test_plain_lists_are_not_tables(tmp_path: Path) -> None:
    rows = [["備品一覧"], ["項番", "確認項目", "チェック"], [1, "消火器の点検をしたか。", "✓"],
            [2, "非常口の確認をしたか。", "✓"]]
    res = api.read(grid_book(tmp_path / "l.xlsx", rows))
    assert res.submissions.empty
    assert "form.not_recognised" in set(res.problems["code"])


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, list, api.Result]:
    d = tmp_path_factory.mktemp("mixed")
    rng = random.Random(7)
    checklist_truths: list = []
    for i in range(6):
        checklist_truths += synth.write_workbook(d / f"checklist_{i}.xlsx",
                                                 [synth.random_spec(rng, seed=i)])
    table_truths = write_table_workbook(d / "both_tables.xlsx",
                                        [ContractSpec(seed=1), BcpSpec(seed=2, sheet_name="BCP")],
                                        cover=True)
    table_truths += write_table_workbook(d / "bcp_only.xlsx", [BcpSpec(seed=3, answer_style="status")])
    return checklist_truths, table_truths, api.read_many([d])


def test_mixed_folder_in_one_run(mixed: tuple) -> None:
    checklist_truths, table_truths, res = mixed
    got = {(r.path, r.sheet): r.form for r in res.submissions.itertuples()}
    for t in checklist_truths + table_truths:
        assert got.get((t.path, t.sheet)) == t.form, (t.path, t.sheet)
    sc = score_tables(table_truths, res.submissions, res.answers, res.problems)
    assert sc.exact == sc.total and sc.sheets_right == sc.sheets == 3
    assert "read.internal_error" not in set(res.problems["code"])


# --------------------------------------------------------------------------------------------
# small units


@pytest.mark.parametrize("text", ["a-1", "a1", "a.1", "a-1"])
def test_contract_refs(text: str) -> None:
    assert parse_contract_ref(text) == ("A", 1)


def test_contract_refs_plain_numbers() -> None:
    assert parse_contract_ref("3") == ("", 3)
    assert parse_contract_ref("(3)") == ("", 3)
    assert parse_contract_ref("共通") is None


def test_question_ids_by_text_then_position() -> None:
    entries = load_table_catalogue("bcp").under("1-1")
    texts = [e.text for e in entries]
    assert [i for i, _ in assign_question_ids("1-1", texts, entries)] == \
        ["1-1.1", "1-1.2", "1-1.3", "1-1.4"]
    inserted = [texts[0], "独自の確認項目があるか。", *texts[1:]]
    got = assign_question_ids("1-1", inserted, entries)
    assert [i for i, _ in got] == ["1-1.1", "1-1.5", "1-1.2", "1-1.3", "1-1.4"]
    assert got[1][1] == "new"
    reworded = ["全く別の文言で書かれた確認項目か。", *texts[1:]]
    assert assign_question_ids("1-1", reworded, entries)[0] == ("1-1.1", "position")


def test_names_from_filename() -> None:
    assert names_from_filename("in/確認表_さくら病院_株式会社ABC.xlsx") == ("さくら病院", "株式会社ABC")
    assert names_from_filename("役割分担確認表_(株)メディ_青葉クリニック様.xlsx") == ("青葉クリニック", "(株)メディ")
    assert names_from_filename("回答.xlsx") == ("", "")


def test_year_less_day_is_first_on_or_after() -> None:
    start = dt.date(2025, 10, 28)
    assert first_on_or_after((10, 28), start) == start
    assert first_on_or_after((10, 27), start) == dt.date(2026, 10, 27)
    assert first_on_or_after((2, 29), start) == dt.date(2028, 2, 29)


# --------------------------------------------------------------------------------------------
# catalogues and templates


def test_catalogues_load_and_mark_status() -> None:
    contract, bcp = load_table_catalogue("contract"), load_table_catalogue("bcp")
    assert {e.status for e in contract.entries} == {"verified", "reconstructed"}
    assert contract.entry("A-1").wording_verified("title")
    assert not contract.entry("P1-1").wording_verified("title")
    assert contract.entry("P1-1").wording_verified("text")
    assert sorted(bcp.sections) == [1, 2, 3, 4, 5]
    assert bcp.entry("1-1.1").exists_verified and not bcp.entry("2-1.1").exists_verified
    assert all(m.form == "checklist" for m in load_catalogue().forms)  # not mistaken for mappings


def test_catalogue_rejects_unknown_keys() -> None:
    text = "table: bcp\nyear: 2024\nentries:\n  - {id: 1-1.1, text: x, colour: red}\n"
    with pytest.raises(MappingError, match=r"x\.yaml.*colour"):
        parse_table_catalogue(text, "x.yaml")
    with pytest.raises(MappingError, match=r"^y\.yaml: entries\[0\]\.id: 「Q-x」は contract の項目 ID の形ではありません$"):
        parse_table_catalogue("table: contract\nentries:\n  - {id: Q-x}\n", "y.yaml")


@pytest.mark.parametrize("form", ["contract", "bcp"])
def test_templates_read_back_as_their_table(tmp_path: Path, form: str) -> None:
    path = tmp_path / f"{form}.xlsx"
    (write_contract_template if form == "contract" else write_bcp_template)(path)
    res = api.read(path)
    assert res.submissions["form"].tolist() == [form]
    cat = load_table_catalogue(form)
    assert set(res.answers["item_id"]) == {e.id for e in cat.entries}
    assert set(res.answers["answer"]) == {"blank"}
    codes = set(res.problems["code"])
    assert not codes & {"table.item_missing", "table.title_mismatch", "table.unknown_item",
                        "answer.unreadable", "answer.date_unreadable", "table.ref_unclear"}
    text = " ".join(str(v) for row in read_book(path).sheets[0].rows for v in row if v)
    assert "※文言は再構成" in text


# --------------------------------------------------------------------------------------------
# cross-checks


def _frames(subs: list[dict], answers: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return frame("submissions", subs), frame("answers", answers)


def _s(sid: str, form: str, facility: str, vendor: str = "", path: str = "", variant: str = "",
       system: str = "", edition: str = "2024") -> dict:
    return {"submission_id": sid, "path": path or f"{sid}.xlsx", "sheet": "S", "sha256": sid,
            "form": form, "variant": variant or {"contract": "joint", "bcp": "hospital"}.get(form, "hospital"),
            "edition": edition, "facility_name": facility, "vendor_name": vendor,
            "system_name": system}


def _a(sid: str, item: str, answer: str, cell: str = "D1", completed: str = "", rnd: int = 1) -> dict:
    return {"submission_id": sid, "item_id": item, "scope": "all", "round": rnd, "answer": answer,
            "cell": cell, "completed_on": completed, "sheet": "S"}


def test_contract_copies_cross_check() -> None:
    subs, answers = _frames(
        [_s("f", "contract", "医療法人 さくら病院", "株式会社ABC", system="電子カルテ"),
         _s("v", "contract", "さくら病院", "(株)ABC", system="電子カルテ"),
         _s("o", "contract", "さくら病院", "株式会社ABC", system="PACS")],
        [_a("f", "A-1", "yes", "D5"), _a("v", "A-1", "no", "E7"),
         _a("f", "A-2", "no", "D6", "2026-01-01"), _a("v", "A-2", "no", "E8", "2026-02-01"),
         _a("f", "A-3", "yes"), _a("v", "A-3", "yes"), _a("f", "B-1", "yes"),
         _a("o", "A-1", "no")])
    f = check_tables(subs, answers)
    assert list(f.columns) == [c.name for c in schema.FINDINGS]
    assert set(f["code"]) == {"crosscheck.contract_answer_differs",
                              "crosscheck.contract_completed_differs"}
    got = {(r.rule, r.item_id): r for r in f.itertuples()}
    r = got[("contract_copies_answer_differs", "A-1")]
    assert (r.left_answer, r.left_cell, r.right_answer, r.right_cell) == ("yes", "S!D5", "no", "S!E7")
    assert (r.left_path, r.right_path) == ("f.xlsx", "v.xlsx") and "「はい」" in r.message
    assert got[("contract_copies_answer_differs", "B-1")].right_answer == ""
    c = got[("contract_copies_completed_differs", "A-2")]
    assert (c.left_answer, c.right_answer, c.severity) == ("2026-01-01", "2026-02-01", "info")
    assert ("contract_copies_answer_differs", "A-3") not in got
    assert not (f["right_path"] == "o.xlsx").any()  # another system is another contract


def test_checklist_bcp_cross_checks_both_ways() -> None:
    subs, answers = _frames(
        [_s("c1", "checklist", "さくら病院", variant="hospital", edition="R7"),
         _s("b1", "bcp", "さくら病院"),
         _s("c2", "checklist", "あおば医院", variant="hospital", edition="R7"),
         _s("b2", "bcp", "あおば医院"),
         _s("c3", "checklist", "みどり薬局", variant="vendor", edition="R7"),  # a vendor's form
         _s("b3", "bcp", "みどり薬局")],
        [_a("c1", "bcp", "no", "E30", rnd=1), _a("c1", "bcp", "yes", "G30", rnd=2),
         _a("b1", "1-1.1", "yes"), _a("b1", "1-1.2", "no", "D11"), _a("b1", "1-2.1", "blank", ""),
         _a("c2", "bcp", "no", "E30"), _a("b2", "1-1.1", "yes"), _a("b2", "1-1.2", "yes"),
         _a("c3", "bcp", "yes"), _a("b3", "1-1.1", "no")])
    f = check_tables(subs, answers)
    open_ = f[f["rule"] == "checklist_bcp_yes_table_open"]
    assert open_["facility_name"].tolist() == ["さくら病院"]
    row = open_.iloc[0]
    assert (row.left_answer, row.left_cell) == ("yes", "S!G30")  # the later round counts
    assert "1-1.2、1-2.1" in row.message and "2 件" in row.message
    done = f[f["rule"] == "checklist_bcp_no_table_complete"]
    assert done["facility_name"].tolist() == ["あおば医院"] and done.iloc[0]["severity"] == "info"
    assert "みどり薬局" not in set(f["facility_name"])


def test_cross_checks_on_read_files(mixed: tuple, tmp_path: Path) -> None:
    a = ContractSpec(seed=1, facility_name="医療法人 さくら総合病院")
    write_table_workbook(tmp_path / "facility.xlsx", [a])
    write_table_workbook(tmp_path / "vendor.xlsx", [replace(a, seed=2, facility_name="さくら総合病院")])
    res = api.read_many([tmp_path])
    f = check_tables(*res)
    assert (f["rule"] == "contract_copies_answer_differs").any()
    assert f["left_cell"].str.contains("!").all()


def test_table_rows_for_a_consolidated_sheet(mixed: tuple) -> None:
    _, _, res = mixed
    rows = table_rows(res.submissions, res.answers, "bcp")
    assert list(rows.columns) == list(TABLE_ROW_COLUMNS)
    assert set(rows["path"].map(lambda p: Path(p).name)) == {"both_tables.xlsx", "bcp_only.xlsx"}
    first = rows[rows["item_id"] == "1-1.1"].iloc[0]
    assert first["item_title"].startswith("サーバ") and first["status"] == "verified"
    assert rows.groupby("submission_id")["item_id"].first().eq("1-1.1").all()  # printed order


def test_rules_file_is_validated() -> None:
    assert {r.id for r in load_rules()} >= {"contract_copies_answer_differs",
                                            "checklist_bcp_yes_table_open"}
    bad = ("rules:\n  - {id: x, code: crosscheck.contract_answer_differs, colour: 1,"
           " condition: {type: contract_copies}}\n")
    with pytest.raises(MappingError, match=r"^r\.yaml: rules\[0\]\.colour: 知らない項目です"):
        parse_rules(bad, "r.yaml")
    bad = "rules:\n  - {id: y, code: crosscheck.bcp_done_table_open, condition: {type: checklist_bcp}}\n"
    with pytest.raises(MappingError, match=r"rules\[0\]\.condition\.table_any: table_any と table_all"):
        parse_rules(bad, "r.yaml")
