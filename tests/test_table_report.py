"""The contract and BCP tables in a consolidation and its workbooks, on generated returned copies.

One folder per module: a facility's checklist (every answer はい, so 「BCPを策定している」 is はい),
the facility's and the vendor's copies of the same contract table in two layouts that disagree,
and the facility's BCP table with unticked items. Read, consolidated and written once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from testkit import synth
from testkit.table_synth import BcpSpec, ContractSpec, write_table_workbook
from xltools import api
from xltools.aggregate.core import Consolidation, consolidate
from xltools.aggregate.tables import combine
from xltools.checks.table_checks import facility_key
from xltools.forms.table_catalogue import load_table_catalogue
from xltools.output.report import SHEETS, TABLE_SHEETS, write_feedback, write_workbook
from xltools.output.table_templates import ContractLayout

FACILITY = "さくら総合病院"
VENDOR = "株式会社メディシステム"
YES_FILL, NO_FILL = "FFC6EFCE", "FFFFC7CE"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("table_report")
    synth.write_workbook(d / "checklist.xlsx", [synth.Spec(
        edition="R8", variant="hospital", facility_name=FACILITY, p_no=0.0, p_blank=0.0,
        p_round2=0.0, seed=3)])
    mine = ContractSpec(seed=1, facility_name=FACILITY, vendor_name=VENDOR, p_no=0.4)
    write_table_workbook(d / "契約確認表_施設控え.xlsx", [mine])
    theirs = replace(mine, seed=2, answer_style="split", facility_name=f"医療法人 {FACILITY}",
                     layout=ContractLayout(group_style="left_column", date_at="field_right"))
    write_table_workbook(d / "契約確認表_事業者控え.xlsx", [theirs])
    write_table_workbook(d / "BCP確認表.xlsx", [BcpSpec(seed=4, facility_name=FACILITY, p_no=0.3)])
    return d


@pytest.fixture(scope="module")
def result(folder: Path) -> api.Result:
    return api.read_many([folder])


@pytest.fixture(scope="module")
def cons(result: api.Result) -> Consolidation:
    return consolidate(result, as_of="2026-01-01")


@pytest.fixture(scope="module")
def wb(cons: Consolidation, tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = write_workbook(cons, tmp_path_factory.mktemp("out") / "集計.xlsx")
    return openpyxl.load_workbook(path)


def _header(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    return [c.value for c in ws[1]]


def _records(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[dict[str, object]]:
    head = _header(ws)
    out = []
    for row in ws.iter_rows(min_row=2):
        if row[0].value is None or row[0].font.color is not None and row[0].value and \
                str(row[0].value).startswith("1 行が"):
            break
        out.append({h: c for h, c in zip(head, row, strict=True)})
    return out


def test_table_sheets_follow_the_item_summary(wb: openpyxl.Workbook) -> None:
    names = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    at = names.index("項目別集計")
    assert names[at + 1: at + 4] == list(TABLE_SHEETS)
    assert [n for n in names if n not in TABLE_SHEETS] == list(SHEETS)


def test_contract_sheet_one_row_per_copy_items_in_printed_order(
        wb: openpyxl.Workbook, cons: Consolidation) -> None:
    ws = wb["契約確認表"]
    head = _header(ws)
    assert head[:9] == ["医療機関名", "事業者名", "システム名", "初回確認日", "はい", "いいえ", "未回答",
                        "いいえのうち完了日あり", "不一致"]
    rows = _records(ws)
    assert len(rows) == 2
    assert {r["医療機関名"].value for r in rows} == {FACILITY}
    assert {r["ファイル"].value for r in rows} == {"契約確認表_施設控え.xlsx", "契約確認表_事業者控え.xlsx"}
    ids = [h.split()[0] for h in head if h and h[:2] in ("P1", "A-", "B-", "C-")
           and "⇔" not in h and "完了日" not in h]
    assert ids == [e.id for e in load_table_catalogue("contract").entries]
    assert ws.freeze_panes == "D2" and ws.auto_filter.ref
    assert ws.page_setup.orientation == "landscape"


def test_contract_answers_are_coloured_and_dates_visible(wb: openpyxl.Workbook,
                                                         result: api.Result) -> None:
    ws = wb["契約確認表"]
    rows = _records(ws)
    a = result.answers.merge(result.submissions[["submission_id", "path"]], on="submission_id")
    for rec in rows:
        mine = a[a["path"].str.endswith(rec["ファイル"].value)].set_index("item_id")
        for item in ("P1-1", "A-1", "C-3"):
            cell = rec[next(h for h in rec if h.startswith(f"{item} ") and "⇔" not in h
                            and "完了日" not in h)]
            want = mine.at[item, "answer"]
            assert cell.value == {"yes": "はい", "no": "いいえ", "blank": "未回答"}[want]
            if want in ("yes", "no"):
                assert cell.fill.fgColor.rgb == (YES_FILL if want == "yes" else NO_FILL)
        done = mine[mine["completed_on"] != ""]
        assert len(done)
        for item, d in done["completed_on"].items():
            assert rec[f"{item} 完了日"].value == dt.datetime.fromisoformat(d)  # a date cell
        first = mine["checked_on"].loc[lambda s: s != ""].iloc[0]
        assert rec["初回確認日"].value == dt.datetime.fromisoformat(first)


def test_linked_checklist_answer_stands_beside_the_contract_item(wb: openpyxl.Workbook) -> None:
    ws = wb["契約確認表"]
    head = _header(ws)
    at = head.index(next(h for h in head if h.startswith("P1-3 ")))
    assert head[at + 1] == "P1-3 ⇔ チェックリスト 2-①"
    assert ws.cell(1, at + 2).fill.fgColor.rgb != ws.cell(1, at + 1).fill.fgColor.rgb
    assert {ws.cell(r, at + 2).value for r in (2, 3)} == {"はい"}  # every checklist answer はい


def test_bcp_sheet_shows_the_checklist_answer_first(wb: openpyxl.Workbook, result: api.Result) -> None:
    ws = wb["BCP確認表"]
    head = _header(ws)
    assert head[:3] == ["医療機関名", "チェックリスト「BCPを策定している」", "はい"]
    rows = _records(ws)
    assert len(rows) == 1
    rec = rows[0]
    assert rec["チェックリスト「BCPを策定している」"].value == "はい"
    assert "列" in rec["回答として読んだ列"].value
    bcp = result.answers[result.answers["submission_id"].isin(
        result.submissions.loc[result.submissions["form"] == "bcp", "submission_id"])]
    assert rec["いいえ"].value == int((bcp["answer"] == "no").sum())
    first = rec[next(h for h in head if h.startswith("1-1.1 "))]
    assert first.value == {"yes": "はい", "no": "いいえ", "blank": "未回答"}[
        bcp.set_index("item_id").at["1-1.1", "answer"]]
    assert ws.freeze_panes == "C2"


def test_table_findings_sheet_carries_both_answers_and_cells(wb: openpyxl.Workbook,
                                                             cons: Consolidation) -> None:
    ws = wb["確認表の突き合わせ"]
    rows = _records(ws)
    rules = [r["規則ID"].value for r in rows]
    assert "contract_copies_answer_differs" in rules
    assert "checklist_bcp_yes_table_open" in rules
    diff = [r for r in rows if r["規則ID"].value == "contract_copies_answer_differs"]
    for r in diff:
        assert r["様式Aの回答"].value != r["様式Bの回答"].value
        assert "!" in r["様式Aのセル"].value and "!" in r["様式Bのセル"].value
        assert r["医療機関名"].value == FACILITY and r["事業者名"].value == VENDOR
    bcp = next(r for r in rows if r["規則ID"].value == "checklist_bcp_yes_table_open")
    assert bcp["様式Aの回答"].value == "はい" and bcp["様式A"].value.startswith("チェックリスト")
    assert "いいえ" in bcp["様式Bの回答"].value or "未回答" in bcp["様式Bの回答"].value
    assert cons.worst_severity() in ("warning", "error")


def test_overview_counts_the_tables(cons: Consolidation) -> None:
    ov = cons.overview.set_index("value")["count"]
    assert ov["契約確認表の数"] == 2 and ov["BCP確認表の数"] == 1
    assert ov["確認表の突き合わせの件数"] == len(cons.tables.findings) > 0


def test_feedback_has_the_facilitys_table_problems_and_findings(
        cons: Consolidation, tmp_path: Path) -> None:
    paths = write_feedback(cons, tmp_path)
    mine = next(p for p in paths if p.stem == FACILITY)
    texts = [str(c.value) for row in openpyxl.load_workbook(mine).active.iter_rows()
             for c in row if c.value]
    joined = "\n".join(texts)
    assert "契約の役割分担確認表：2 件" in joined and "BCP策定の確認表：1 件" in joined
    assert re.search(r"\d\. 確認表（契約の役割分担・BCP）の食い違い", joined)
    assert any("初回確認が" in t and "異なります" in t for t in texts)
    table_codes = cons.problems[cons.problems["code"].str.startswith("table.")
                                & cons.problems["severity"].isin(["warning", "error"])]
    assert any(m in joined for m in table_codes["message"])


def test_without_tables_no_table_sheets(tmp_path: Path) -> None:
    synth.write_workbook(tmp_path / "c.xlsx", [synth.Spec(facility_name=FACILITY, seed=1)])
    cons = consolidate(api.read_many([tmp_path]))
    assert cons.tables.contract.empty and cons.tables.findings.empty
    names = openpyxl.load_workbook(write_workbook(cons, tmp_path / "o.xlsx")).sheetnames
    assert not set(names) & set(TABLE_SHEETS)


def test_contract_links_name_checklist_items() -> None:
    from xltools.forms.catalogue import load_catalogue

    ids = {it.id for m in load_catalogue().forms for it in m.items}
    links = [x for e in load_table_catalogue("contract").entries for x in e.checklist]
    assert links and set(links) <= ids
    assert {e.checklist_status for e in load_table_catalogue("contract").entries
            if e.checklist} == {"reconstructed"}


def test_copies_match_through_a_legal_entity_name() -> None:
    assert facility_key("医療法人社団 さくら会 さくら総合病院") == facility_key("さくら総合病院")
    assert facility_key("ひかり記念病院") != facility_key("さくら総合病院")


def test_combine_prefers_the_worst_answer() -> None:
    assert combine(["yes", "no", "blank"]) == "no"
    assert combine(["yes", "blank"]) == "blank"
    assert combine(["na", "yes"]) == "yes"
    assert combine([]) == ""
    assert combine(["na"]) == "na"
