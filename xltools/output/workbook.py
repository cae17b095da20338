"""The consolidated workbook: a one-page dashboard (概要), then the sheets in the order of the
work (:data:`SHEETS`), every number on the dashboard a link to the rows it counts.

The dashboard's numbers come from :func:`xltools.aggregate.core.overview` (the web page shows
the same). Each links to a range: the whole table of a sheet, or the block at its top that the
number counts (the sheets are ordered so those blocks are contiguous): 施設別一覧 lists 要対応,
then 対応なし, then 未提出 facilities; 未提出 its 未提出 facilities, then those without a vendor
form; 要確認 errors, then warnings, then notes; 目標日 overdue items first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from xltools.aggregate.core import (
    ACTION_COUNTS,
    ROLE_JA,
    TOTAL,
    Consolidation,
    facility_status,
    needs_action,
    overview,
)
from xltools.labels import SCOPE_JA
from xltools.output import schema
from xltools.output.book import PRINT_WIDTH, Book, Col, write_table
from xltools.problems import SEVERITY_RANK

OVERVIEW = "概要"
GROUP_SHEET = "グループ別"
NOTES_SHEET = "参考情報"
SHEETS = (OVERVIEW, "未提出", "要確認", "不一致", "目標日", "施設別一覧", "項目別集計", NOTES_SHEET,
          "明細", "経年比較")
TABLE_SHEETS = ("契約確認表", "BCP確認表", "確認表の突き合わせ")  # after 項目別集計, when tables were read
GROUP_COLUMN_JA = {"group": "法人・グループ", "area": "保健所・地域", "kind": "種別",
                   "edition": "年度版"}
TITLE = "サイバーセキュリティ対策チェックリスト 集計結果"
MISSING_ORDER = {"not_submitted": 0, "vendor_form_missing": 1}


def _respondents(cons: Consolidation, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with 回答者 (the person written on the form) and 立場 (facility or vendor)."""
    subs = cons.submissions
    who = dict(zip(subs["submission_id"], subs["respondent"], strict=True)) if len(subs) else {}
    out = df.assign(respondent=df["submission_id"].map(who).fillna("") if len(df) else "")
    if "role_ja" not in out.columns and "role" in out.columns:
        out["role_ja"] = out["role"].map(ROLE_JA).fillna("")
    return out


def _link(ws: Worksheet, book: Book, r: int, c: int, value: float, sheet: str,
          rows: tuple[int, int] | None, last_col: int, fmt: str = "kpi") -> None:
    """A number that links to ``rows`` (1-based first, last data row) of ``sheet``."""
    if rows and rows[1] >= rows[0]:
        where = f"A{rows[0]}:{xl_col_to_name(last_col)}{rows[1]}"
    else:
        where = "A1"
    ws.write_url(r, c, f"internal:'{sheet}'!{where}", book.fmt[fmt], string=str(value),
                 tip=f"「{sheet}」の該当行へ")
    ws.write_number(r, c, value, book.fmt[fmt])


# --------------------------------------------------------------------------------------------
# 概要: the one-page dashboard


class _Layout:
    """Where the counted rows of each sheet are (filled as the sheets are planned)."""

    def __init__(self, cons: Consolidation) -> None:
        self.status = facility_status(cons)
        self.ov = overview(cons)
        st = self.status["status"]
        n_action, n_complete = int((st == "action").sum()), int((st == "complete").sum())
        self.fac = {"expected": (2, 1 + len(st)), "submitted": (2, 1 + n_action + n_complete),
                    "action": (2, 1 + n_action),
                    "complete": (2 + n_action, 1 + n_action + n_complete),
                    "missing": (2 + n_action + n_complete, 1 + len(st))}
        miss = cons.missing["category"]
        n_ns, n_vm = int((miss == "not_submitted").sum()), int((miss == "vendor_form_missing").sum())
        self.missing = {"missing": (2, 1 + n_ns), "vendor_forms_missing": (2 + n_ns, 1 + n_ns + n_vm)}
        sev = cons.problems["severity"]
        n_err, n_warn = int((sev == "error").sum()), int((sev == "warning").sum())
        self.problems = {"error": (2, 1 + n_err), "warning": (2 + n_err, 1 + n_err + n_warn)}
        self.overdue = (2, 1 + int(cons.targets["overdue"].sum()))
        self.findings = (2, 1 + self.ov["findings_action"])
        self.notes = (2, 1 + self.ov["findings_notes"])
        self.table_findings = (2, 1 + self.ov["table_findings_action"])


_KPI_W = 15.0  # dashboard column width


def _dashboard(book: Book, cons: Consolidation, lay: _Layout, widths: dict[str, int]) -> None:
    ws = book.sheet(OVERVIEW, header_rows=0, fit_width=False)
    ws.fit_to_pages(1, 1)
    ws.hide_gridlines(2)
    ov = lay.ov
    book.add("kpi", {"font_size": 20, "bold": True, "font_color": "#1F4E78", "underline": 1,
                     "align": "center", "valign": "vcenter", "num_format": "#,##0",
                     "border": 1, "border_color": "#BFBFBF"})
    book.add("kpi_red", {"font_size": 20, "bold": True, "font_color": "#C00000", "underline": 1,
                         "align": "center", "valign": "vcenter", "num_format": "#,##0",
                         "border": 1, "border_color": "#BFBFBF"})
    book.add("kpi_pct", {"font_size": 20, "bold": True, "font_color": "#375623", "underline": 1,
                         "align": "center", "valign": "vcenter", "num_format": "0.0%",
                         "border": 1, "border_color": "#BFBFBF"})
    book.add("kpi_label", {"bold": True, "bg_color": "#DDEBF7", "align": "center",
                           "valign": "vcenter", "text_wrap": True, "border": 1,
                           "border_color": "#BFBFBF", "font_size": 9})
    book.add("kpi_note", {"font_color": "#595959", "align": "center", "font_size": 8,
                          "text_wrap": True, "valign": "top"})
    book.add("band", {"bold": True, "font_size": 11, "font_color": "#FFFFFF",
                      "bg_color": "#1F4E78"})
    for c in range(9):
        ws.set_column(c, c, _KPI_W)
    ws.set_column(0, 0, 26)
    ws.merge_range(0, 0, 0, 8, TITLE, book.fmt["title"])
    roster = "名簿の施設" if cons.has_roster else "提出のあった施設（名簿なし）"
    ws.merge_range(1, 0, 1, 8, f"基準日 {cons.as_of.replace('-', '/')}（目標日の期限超過はこの日で判定）"
                   f"　対象施設：{roster}", book.fmt["note_line"])
    row = 3
    ws.merge_range(row, 0, row, 8, "提出と対応の状況（数字を押すと、その一覧へ移動します）", book.fmt["band"])
    facilities, matters = tiles(cons, lay)
    row = _tiles(book, ws, row + 1, facilities, widths, "施設")
    row = _tiles(book, ws, row + 1, matters, widths, "確認が必要な事項")
    _rates(book, ws, cons, ov, row + 1)


@dataclass(frozen=True)
class Tile:
    """A dashboard number: what it is, its value, and the rows of ``sheet`` it counts."""

    key: str
    label: str
    value: int
    note: str
    tone: str  # plain | good | warn | bad
    sheet: str
    rows: tuple[int, int]  # 1-based first and last row counted (last < first: none)


def tiles(cons: Consolidation, lay: _Layout | None = None) -> tuple[list[Tile], list[Tile]]:
    """The dashboard's numbers: the facilities row, then the matters needing a look."""
    lay = lay or _Layout(cons)
    ov = lay.ov

    def bad(n: int) -> str:
        return "bad" if n else "plain"

    facilities = [
        Tile("expected", "対象施設", ov["expected"],
             (f"名簿の施設＋名簿にない提出 {ov['outside_roster']}" if ov["outside_roster"]
              else "名簿の施設") if cons.has_roster else "提出のあった施設（名簿なし）",
             "plain", "施設別一覧", lay.fac["expected"]),
        Tile("submitted", "提出あり", ov["submitted"], "チェックリストを提出した施設", "good",
             "施設別一覧", lay.fac["submitted"]),
        Tile("not_submitted", "未提出", ov["missing"],
             "名簿の施設のうち" if cons.has_roster else "名簿（--roster）を指定すると数えます",
             bad(ov["missing"]), "未提出", lay.missing["missing"]),
        Tile("action", "要対応の施設", ov["action"], "返送用の確認事項あり", bad(ov["action"]),
             "施設別一覧", lay.fac["action"]),
        Tile("complete", "対応なしの施設", ov["complete"], "確認事項なし", "good", "施設別一覧",
             lay.fac["complete"]),
        Tile("vendor_forms_missing", "事業者確認用がない施設", ov["vendor_forms_missing"],
             "システムありと回答", bad(ov["vendor_forms_missing"]), "未提出",
             lay.missing["vendor_forms_missing"])]
    matters = [
        Tile("findings", "不一致（要対応）", ov["findings_action"],
             "事業者との回答の食い違い（警告以上）", bad(ov["findings_action"]), "不一致", lay.findings),
        Tile("notes", "参考情報", ov["findings_notes"], "重要度「情報」（件数に含めない）", "plain",
             NOTES_SHEET, lay.notes),
        Tile("overdue", "期限を過ぎた目標日", ov["overdue_targets"], f"基準日 {cons.as_of} で判定",
             bad(ov["overdue_targets"]), "目標日", lay.overdue),
        Tile("problems_error", "要確認（エラー）", ov["problems_error"], "読み取り・記入の問題",
             bad(ov["problems_error"]), "要確認", lay.problems["error"]),
        Tile("problems_warning", "要確認（警告）", ov["problems_warning"], "",
             "warn" if ov["problems_warning"] else "plain", "要確認", lay.problems["warning"])]
    if ov["contract_tables"] or ov["bcp_tables"]:
        matters.append(Tile("table_findings", "確認表の食い違い", ov["table_findings_action"],
                            "契約・BCP確認表（警告以上）", bad(ov["table_findings_action"]),
                            "確認表の突き合わせ", lay.table_findings))
    return facilities, matters


def overview_numbers(cons: Consolidation) -> list[dict[str, Any]]:
    """The dashboard's numbers as data (key, label, value, note, tone): the web page shows
    these, so it and the 概要 sheet show the same numbers with the same words."""
    return [{"key": t.key, "label": t.label, "value": t.value, "note": t.note, "tone": t.tone}
            for row in tiles(cons) for t in row]


def _tiles(book: Book, ws: Worksheet, row: int, tiles: list[Tile],
           widths: dict[str, int], label: str) -> int:
    ws.merge_range(row, 0, row + 1, 0, label, book.fmt["subtitle"])
    ws.set_row(row, 28)
    ws.set_row(row + 1, 36)
    for c, t in enumerate(tiles, start=1):
        ws.write_string(row, c, t.label, book.fmt["kpi_label"])
        fmt = "kpi_red" if t.tone == "bad" else "kpi"
        _link(ws, book, row + 1, c, t.value, t.sheet, t.rows, widths.get(t.sheet, 0) - 1, fmt)
        if t.note:
            ws.write_string(row + 2, c, t.note, book.fmt["kpi_note"])
    ws.set_row(row + 2, 24)
    return row + 3


def _rates(book: Book, ws: Worksheet, cons: Consolidation, ov: dict[str, Any], row: int) -> None:
    ws.merge_range(row, 0, row, 8, "実施率（「はい」÷（回答 − 該当なし）、現在のチェックリスト）",
                   book.fmt["band"])
    row += 1
    sections = ov["sections"]
    n_items = len(cons.item_summary[cons.item_summary["kind"] == TOTAL]) \
        if not cons.item_summary.empty else 0
    ws.write_string(row, 0, "全体", book.fmt["kpi_label"])
    ws.set_row(row + 1, 36)
    rate = ov["implementation_rate"]
    if rate is None:
        ws.write_string(row + 1, 0, "回答なし", book.fmt["kpi_label"])
    else:
        _link(ws, book, row + 1, 0, rate, "項目別集計", (2, 1 + n_items) if n_items else None, 13,
              "kpi_pct")
    heads = ["分野", "実施率", "はい", "いいえ", "未回答", "該当なし"]
    start = row + 3
    for j, h in enumerate(heads):
        ws.write_string(start, j, h, book.fmt["header"])
    for i, s in enumerate(sections, start=start + 1):
        ws.write_string(i, 0, f"{s['section']}. {s['name']}" if s["name"] else str(s["section"]),
                        book.fmt["text"])
        if s["rate"] is None:
            ws.write_blank(i, 1, None, book.fmt["text"])
        else:
            ws.write_number(i, 1, s["rate"], book.fmt["pct"])
        for j, k in enumerate(("yes", "no", "blank", "na"), start=2):
            ws.write_number(i, j, s[k], book.fmt["int"])
    foot = start + len(sections) + 2
    ws.merge_range(foot, 0, foot + 1, 8,
                   "要対応の施設：未回答、記入内容の問題（警告以上）、事業者との不一致（警告以上）、"
                   "期限超過または記入のない目標日、事業者確認用の不足・問題、確認表の食い違いのいずれかがある施設。"
                   "重要度「情報」の不一致は「参考情報」に分けてあり、件数に含めません。",
                   book.fmt["note"])
    ws.set_row(foot, 14)
    ws.set_row(foot + 1, 14)
    if sections:
        chart = book.wb.add_chart({"type": "bar"})
        last = start + len(sections)
        chart.add_series({"name": "実施率", "categories": [OVERVIEW, start + 1, 0, last, 0],
                          "values": [OVERVIEW, start + 1, 1, last, 1],
                          "fill": {"color": "#548235"}, "gap": 60,
                          "data_labels": {"value": True, "num_format": "0%",
                                          "font": {"name": book.font, "size": 9}}})
        font = {"name": book.font, "size": 9}
        chart.set_title({"name": "分野別の実施率", "name_font": {**font, "size": 11, "bold": True}})
        chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%", "num_font": font,
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_y_axis({"reverse": True, "num_font": font})
        chart.set_legend({"none": True})
        height = 70 + 30 * max(len(sections), 3)
        chart.set_size({"width": 1000, "height": height})
        ws.insert_chart(foot + 2, 0, chart, {"x_offset": 4, "y_offset": 6})
        foot += 2 + -(-height // 20) + 1
    ws.print_area(0, 0, foot + 1, 8)


# --------------------------------------------------------------------------------------------
# the sheets


def _missing(book: Book, cons: Consolidation) -> int:
    ws = book.sheet("未提出")
    df = cons.missing.assign(_o=cons.missing["category"].map(MISSING_ORDER).fillna(9))
    df = df.sort_values("_o", kind="stable")
    cols = [Col("category_ja", "区分", "wrap", 14), Col("facility_name", "医療機関名", "wrap", 22),
            Col("facility_code", "医療機関コード", width=12), Col("kind", "種別", width=8),
            Col("area", "保健所・地域", "wrap", 12), Col("vendor_name", "事業者名", "wrap", 16),
            Col("candidates", "候補（似た名称）", "wrap", 20), Col("message", "内容", "wrap", 48),
            Col("group", "法人・グループ", width=12), Col("system_name", "システム名", width=12),
            Col("path", "ファイル", width=28), Col("sheet", "シート", width=12)]
    write_table(book, ws, df, cols, freeze_cols=2, print_cols=8,
                empty_note="未提出・不足はありません。")
    return len(cols)


def _problems(book: Book, cons: Consolidation) -> int:
    ws = book.sheet("要確認")
    ja = schema.ja_headers("problems")
    names = cons.facilities.set_index("facility_id")["facility_name"] if not cons.facilities.empty \
        else pd.Series(dtype=str)
    p = cons.problems.assign(facility_name=cons.problems["facility_id"].map(names).fillna(""))
    p = p.assign(_s=p["severity"].map(lambda s: -SEVERITY_RANK.get(s, -1)))
    p = p.sort_values("_s", kind="stable")
    p["file"] = p["path"].map(lambda x: Path(str(x)).name if x else "")
    cols = [Col("severity", ja["severity"], "severity", 7), Col("facility_name", "医療機関名", "wrap", 18),
            Col("message", ja["message"], "wrap", 64), Col("file", "ファイル", "wrap", 24),
            Col("sheet", ja["sheet"], width=12), Col("cell", ja["cell"], width=7),
            Col("scope", ja["scope"], "scope", 9), Col("round", ja["round"], "int", 4),
            Col("item_id", ja["item_id"], width=16), Col("code", ja["code"], width=26),
            Col("path", "ファイル（場所）", width=30), Col("submission_id", ja["submission_id"], width=18)]
    write_table(book, ws, p, cols, freeze_cols=2, print_cols=8,
                empty_note="要確認の事項はありません。")
    return len(cols)


_JA = schema.ja_headers("findings")
_FINDING_COLS = [
    Col("severity", _JA["severity"], "severity", 6), Col("title", _JA["title"], "wrap", 16),
    Col("facility_name", _JA["facility_name"], "wrap", 16),
    Col("vendor_name", _JA["vendor_name"], "wrap", 14), Col("ref", _JA["ref"], width=6),
    Col("facility_answer", _JA["facility_answer"], "answer", 8),
    Col("vendor_answer", _JA["vendor_answer"], "answer", 8),
    Col("message", _JA["message"], "wrap", 50),
    Col("facility_cell", _JA["facility_cell"], "wrap", 10),
    Col("vendor_cell", _JA["vendor_cell"], "wrap", 10),
    Col("system_name", _JA["system_name"], width=14), Col("item_text", _JA["item_text"], width=30),
    Col("facility_scope", _JA["facility_scope"], "scope", 10),
    Col("vendor_scope", _JA["vendor_scope"], "scope", 10),
    Col("facility_checked_on", _JA["facility_checked_on"], "date", 11),
    Col("vendor_checked_on", _JA["vendor_checked_on"], "date", 11),
    Col("facility_edition", _JA["facility_edition"], width=8),
    Col("vendor_edition", _JA["vendor_edition"], width=8),
    Col("facility_path", _JA["facility_path"], width=28),
    Col("vendor_path", _JA["vendor_path"], width=28), Col("rule", _JA["rule"], width=18)]


def _findings(book: Book, cons: Consolidation, notes: bool) -> int:
    f = cons.findings
    df = f[~needs_action(f["severity"])] if notes else f[needs_action(f["severity"])]
    ws = book.sheet(NOTES_SHEET if notes else "不一致")
    write_table(book, ws, df, _FINDING_COLS, freeze_cols=3, print_cols=10,
                empty_note="参考情報はありません。" if notes else "要対応の不一致はありません。")
    if notes:
        ws.set_header(f'&L&"{book.font}"&A（重要度「情報」：対応を求めない注記）&R&"{book.font}"'
                      f"基準日 {book.as_of}")
    return len(_FINDING_COLS)


def _targets(book: Book, cons: Consolidation) -> int:
    ws = book.sheet("目標日")
    cols = [Col("status_ja", "状況", width=9), Col("facility_name", "医療機関名", "wrap", 18),
            Col("role_ja", "立場", width=9), Col("vendor_name", "事業者名", "wrap", 14),
            Col("ref", "項番", width=6), Col("item_text", "項目", "wrap", 38),
            Col("scope", "対象", "scope", 9), Col("target_on", "目標日", "date", 11),
            Col("days_overdue", "超過日数", "int", 7), Col("checked_on", "確認日", "date", 11),
            Col("respondent", "回答者", width=12), Col("edition", "年度版", width=7),
            Col("round", "回", "int", 4), Col("path", "ファイル", width=28),
            Col("sheet", "シート", width=12), Col("cell", "回答セル", width=8),
            Col("target_cell", "目標日セル", width=9)]
    t = _respondents(cons, cons.targets)
    df = t.assign(days_overdue=t["days_overdue"].where(t["overdue"])) if len(t) else t
    write_table(book, ws, df, cols, freeze_cols=2, print_cols=11,
                highlight=lambda r: "overdue_wrap" if r.get("overdue") else None,
                empty_note="「いいえ」の項目はありません。")
    return len(cols)


def _facility_list(book: Book, cons: Consolidation, status: pd.DataFrame) -> int:
    """One row per facility expected: what it has to do, then its answers by section.

    Prints in blocks of columns: the facility's counts first, then each section's items on
    pages of their own (a page break between sections, the name repeated on each page).
    """
    ws = book.sheet("施設別一覧", fit_width=False)
    mat = cons.facility_matrix
    items = cons.items
    keys = [k for k in items["key"] if k in mat.columns] if not items.empty else []
    # an item key may also name a facility column (has_system): the answer column wins
    df = status.drop(columns=[k for k in keys if k in status.columns]).merge(
        mat[["facility_id", *keys]], on="facility_id", how="left") if keys else status
    base = [Col("status_ja", "対応", width=7), Col("facility_name", "医療機関名", "wrap", 20),
            Col("kind", "種別", width=7), Col("area", "保健所・地域", "wrap", 11),
            Col("edition", "年度版", width=6), Col("implementation_rate", "実施率", "pct", 7),
            Col("no", "いいえ", "int", 6, rotate=True), Col("blank_items", "未回答", "int", 6, rotate=True),
            Col("action_findings", "不一致（要対応）", "int", 6, rotate=True),
            Col("overdue", "期限超過の目標日", "int", 6, rotate=True),
            Col("no_target", "目標日の記入なし", "int", 6, rotate=True),
            Col("form_problems", "記入内容の確認", "int", 6, rotate=True),
            Col("vendor_forms", "事業者確認用", "int", 6, rotate=True),
            Col("table_findings", "確認表の食い違い", "int", 6, rotate=True)]
    meta = items.set_index("key") if not items.empty else pd.DataFrame()
    blocks: list[tuple[int, int]] = []  # (first col, last col) of each printed block
    item_cols: list[Col] = []
    start = len(base)
    for part in _blocks(items[items["key"].isin(keys)]) if keys else []:
        blocks.append((start + len(item_cols), start + len(item_cols) + len(part) - 1))
        item_cols += [Col(k, _item_header(meta.loc[k]), "answer", 5.2) for k in part]
    tail = [Col("facility_code", "医療機関コード", width=12), Col("path", "ファイル", width=30)]
    cols = base + item_cols + tail

    ws.set_row(0, 150)
    last = write_table(book, ws, df, cols, freeze_cols=2, rotate_answers=True,
                       empty_note="対象の施設がありません。")
    for i, s in enumerate(df["status"] if len(df) else [], start=1):
        ws.write_string(i, 0, {"action": "要対応", "complete": "対応なし"}.get(s, "未提出"),
                        book.fmt[f"status_{s}"])
    # print: the counts, then one block per section, each repeating 対応 and 医療機関名
    print_blocks(ws, cols, start, blocks, repeat=2, last_row=last)
    ws.write_string(last + 2, 0, "対応：要対応＝返送用の確認事項あり、対応なし＝確認事項なし、未提出＝チェックリストなし。"
                    "項目の列は現在のチェックリストの回答（分野ごとに別ページで印刷）。", book.fmt["note_line"])
    return len(cols)


def print_blocks(ws: Worksheet, cols: list[Col], start: int, blocks: list[tuple[int, int]],
                 repeat: int, last_row: int) -> None:
    """Print a wide table in blocks of columns, each one page wide: the columns before
    ``start`` first, then each block (first, last column) on pages of its own, the first
    ``repeat`` columns repeated on every page; one scale for all, the widest block fitting."""
    widths = [c.width or 10 for c in cols]
    fixed = sum(widths[:repeat])
    need = max([sum(widths[:start])] + [fixed + sum(widths[a: b + 1]) for a, b in blocks])
    ws.set_print_scale(max(40, min(100, int(100 * PRINT_WIDTH / need))))
    if blocks:
        ws.repeat_columns(0, repeat - 1)
        ws.set_v_pagebreaks([a for a, _b in blocks])
    ws.print_area(0, 0, max(last_row, 1), (blocks[-1][1] if blocks else start - 1))


def _blocks(items: pd.DataFrame, most: int = 20) -> list[list[str]]:
    """Item keys in printed blocks: whole sections together while they fit ``most`` columns,
    a longer section cut into pieces of ``most``."""
    out: list[list[str]] = []
    for _sec, grp in items.groupby("section", sort=True):
        keys = list(grp["key"])
        if out and len(out[-1]) + len(keys) <= most:
            out[-1] += keys
            continue
        size = -(-len(keys) // -(-len(keys) // most))  # even pieces of at most ``most``
        out += [keys[i:i + size] for i in range(0, len(keys), size)]
    return out


def _item_header(meta: pd.Series) -> str:
    scope = "" if meta["scope"] == "all" else f"（{SCOPE_JA.get(meta['scope'], meta['scope'])}）"
    text = str(meta["text"])
    text = text if len(text) <= 22 else text[:21] + "…"
    return f"{meta['ref']}{scope} {text}"


def _total_first(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return df
    key = (df["kind"] != TOTAL).astype(int)
    return df.assign(_t=key).sort_values("_t", kind="stable").drop(columns="_t")


def _item_summary(book: Book, cons: Consolidation) -> int:
    ws = book.sheet("項目別集計")
    df = _total_first(cons.item_summary)
    df = df.assign(label=[f"{r} {SCOPE_JA.get(s, s)}" if s != "all" else str(r)
                          for r, s in zip(df["ref"], df["scope"], strict=True)]) if not df.empty else df
    cols = [Col("label", "項番", width=14), Col("text", "項目", "wrap", 44), Col("scope", "対象", "scope"),
            Col("kind", "種別", width=8), Col("n", "件数", "int", 6), Col("yes", "はい", "int", 6),
            Col("no", "いいえ", "int", 6), Col("blank", "未回答", "int", 6),
            Col("na", "該当なし", "int", 7), Col("yes_rate", "はい率", "pct", 7),
            Col("no_rate", "いいえ率", "pct", 7), Col("blank_rate", "未回答率", "pct", 7),
            Col("na_rate", "該当なし率", "pct", 8), Col("implementation_rate", "実施率", "pct", 7)]
    last = write_table(book, ws, df, cols, freeze_cols=2, empty_note="集計する回答がありません。")
    n_total = int((df["kind"] == TOTAL).sum()) if not df.empty else 0
    if n_total:
        ws.set_h_pagebreaks([last + 1])  # the chart prints on a page of its own
        chart = book.wb.add_chart({"type": "bar"})
        font = {"name": book.font, "size": 8}
        chart.add_series({"name": "実施率", "categories": ["項目別集計", 1, 0, n_total, 0],
                          "values": ["項目別集計", 1, 13, n_total, 13], "fill": {"color": "#548235"},
                          "data_labels": {"value": True, "num_format": "0%", "font": font}})
        chart.set_title({"name": "項目別の実施率（全体・該当なしを除く）",
                         "name_font": {"name": book.font, "size": 11, "bold": True}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True, "interval_unit": 1, "num_font": font})
        chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%", "num_font": font})
        chart.set_size({"width": 900, "height": int(max(288, 80 + 24 * n_total))})
        ws.insert_chart(last + 2, 1, chart)
    return len(cols)


def _details(book: Book, cons: Consolidation) -> int:
    ws = book.sheet("明細")
    ja = schema.ja_headers("answers")
    cols = [Col("facility_name", "医療機関名", width=20), Col("kind", "種別", width=8),
            Col("role_ja", "立場", width=9), Col("respondent", "回答者", width=12),
            Col("vendor_name", "事業者名", width=16), Col("edition", "年度版", width=7),
            Col("variant", "種類", "variant", 13), Col("ref", ja["ref"], width=7),
            Col("item_text", "項目", width=40), Col("scope", ja["scope"], "scope", 10),
            Col("round", ja["round"], "int", 4), Col("answer", ja["answer"], "answer", 8),
            Col("counted", "集計対象", "flag", 7), Col("checked_on", ja["checked_on"], "date", 11),
            Col("target_on", ja["target_on"], "date", 11), Col("source", ja["source"], "source", 12),
            Col("area", "保健所・地域", width=12), Col("group", "法人・グループ", width=12),
            Col("system_name", "システム名", width=12), Col("raw", ja["raw"], width=14),
            Col("sheet", ja["sheet"], width=12), Col("cell", ja["cell"], width=7),
            Col("item_id", ja["item_id"], width=16), Col("path", "ファイル", width=28),
            Col("submission_id", ja["submission_id"], width=18)]
    write_table(book, ws, _respondents(cons, cons.details), cols, freeze_cols=1, print_cols=16,
                empty_note="回答がありません。")
    return len(cols)


def _history(book: Book, cons: Consolidation) -> int:
    ws = book.sheet("経年比較")
    h = cons.history
    editions = [c for c in h.columns if c not in ("facility_id", "facility_name", "item_id", "ref",
                                                  "text", "scope", "changed")]
    cols = [Col("facility_name", "医療機関名", width=20), Col("ref", "項番（最新版）", width=9),
            Col("text", "項目", "wrap", 40), Col("scope", "対象", "scope", 10),
            *(Col(e, f"{e} 版", "answer", 8) for e in editions),
            Col("changed", "変化", "flag", 6), Col("item_id", "項目ID", width=16)]
    write_table(book, ws, h, cols, freeze_cols=1, print_cols=len(cols) - 1,
                empty_note="複数の年度版を提出した施設はありません。")
    return len(cols)


def _groups(book: Book, cons: Consolidation) -> int:
    ws = book.sheet(GROUP_SHEET)
    name = GROUP_COLUMN_JA.get(cons.group_by or "", cons.group_by or "グループ")
    cols = [Col("group_value", name, width=20), Col("facilities", "施設数", "int", 8),
            Col("submitted", "提出", "int", 7), Col("not_submitted", "未提出", "int", 7),
            Col("submission_rate", "提出率", "pct", 8), Col("n", "回答数", "int", 8),
            Col("yes", "はい", "int", 7), Col("no", "いいえ", "int", 7),
            Col("blank", "未回答", "int", 7), Col("na", "該当なし", "int", 8),
            Col("implementation_rate", "実施率", "pct", 8), Col("findings", "不一致", "int", 7),
            Col("overdue_targets", "期限超過", "int", 8),
            Col("vendor_forms_missing", "事業者確認用なし", "int", 10)]
    write_table(book, ws, cons.group_summary, cols, freeze_cols=1, empty_note="該当する施設がありません。")
    return len(cols)


# --------------------------------------------------------------------------------------------
# contract and BCP tables


def _short(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _table_item_cols(items: pd.DataFrame) -> list[Col]:
    """Per item: its answer; its 完了日 when any copy has one; the linked checklist answer."""
    cols: list[Col] = []
    for it in items.itertuples():
        title = _short(it.title, 22) if it.title else "（様式にない項目）"
        cols.append(Col(it.key, f"{it.item_id} {title}", "answer", 6.5))
        if it.link_key:
            cols.append(Col(it.link_key, f"{it.item_id} ⇔ チェックリスト {it.link_refs}", "answer",
                            6.5, head="header_link"))
        if it.form == "contract" and it.has_done:
            cols.append(Col(it.done_key, f"{it.item_id} 完了日", "date", 10.5, rotate=True))
    return cols


def _count(key: str, header: str) -> Col:
    return Col(key, header, "int", 5.5, rotate=True)


_TABLE_TAIL = [Col("file", "ファイル", width=24), Col("sheet", "シート", width=12),
               Col("status", "状態", "status", 10), Col("submission_id", "提出ID", width=18)]


def _table_sheet(book: Book, cons: Consolidation, form: str, base: list[Col], freeze: int,
                 note: str) -> int:
    """One table's sheet: ``base`` columns, the items (rotated, coloured), provenance, a note."""
    ws = book.sheet(TABLE_SHEETS[0] if form == "contract" else TABLE_SHEETS[1], fit_width=False)
    items = _table_item_cols(cons.tables.items_of(form))
    ws.set_row(0, 170)
    cols = base + items + _TABLE_TAIL
    last = write_table(book, ws, cons.tables.frame(form), cols, freeze_cols=freeze,
                       rotate_answers=True, empty_note="確認表はありません。")
    # print: the counts, then the items in blocks of about 20 columns (an item's 完了日 and
    # linked checklist answer stay beside it), the names repeated on every page
    blocks: list[tuple[int, int]] = []
    at = len(base)
    for i, col in enumerate(items, start=len(base)):
        new_item = col.head != "header_link" and not col.header.endswith(" 完了日")
        if new_item and i - at >= 20:
            blocks.append((at, i - 1))
            at = i
    if items:
        blocks.append((at, len(base) + len(items) - 1))
    print_blocks(ws, cols, len(base), blocks, repeat=freeze, last_row=last)
    ws.write_string(last + 2, 0, note, book.fmt["note_line"])
    return len(cols)


def _contract_sheet(book: Book, cons: Consolidation) -> int:
    base = [Col("facility_name", "医療機関名", "wrap", 18), Col("vendor_name", "事業者名", "wrap", 16),
            Col("system_name", "システム名", "wrap", 13), Col("checked_on", "初回確認日", "date", 11),
            _count("n_yes", "はい"), _count("n_no", "いいえ"), _count("n_blank", "未回答"),
            _count("n_done", "いいえのうち完了日あり"), _count("findings", "不一致")]
    return _table_sheet(book, cons, "contract", base, 3,
                        "1 行が 1 件の確認表（医療機関×事業者×システム、控えごと）です。茶色の見出しの列は、"
                        "その項目に関連するチェックリスト項目への当施設の回答（現在の版。いいえ＞未回答＞はいの順で代表）"
                        "です。関連づけは mappings/tables/contract.yaml の checklist（再構成）によります。")


def _bcp_sheet(book: Book, cons: Consolidation) -> int:
    base = [Col("facility_name", "医療機関名", "wrap", 18),
            Col("checklist_bcp", "チェックリスト「BCPを策定している」", "answer", 7.5,
                head="header_link"),
            _count("n_yes", "はい"), _count("n_no", "いいえ"), _count("n_blank", "未回答"),
            Col("tick_rate", "チェック率", "pct", 7, rotate=True), _count("findings", "不一致"),
            Col("answer_column", "回答として読んだ列", "wrap", 22)]
    return _table_sheet(book, cons, "bcp", base, 2,
                        "1 行が 1 件のBCP確認表です。公式の確認表には回答欄がないため、施設が追加した列"
                        "（「回答として読んだ列」）を読んでいます。空欄は未実施と未記入を区別できないため「未回答」です。")


def _table_findings(book: Book, cons: Consolidation) -> int:
    ws = book.sheet("確認表の突き合わせ")
    f = cons.tables.findings
    refs = dict(zip(cons.items["item_id"], cons.items["ref"], strict=True)) if len(cons.items) else {}
    if len(f):  # a checklist item (the BCP rule's) shows as its printed number
        f = f.assign(_s=f["severity"].map(lambda s: -SEVERITY_RANK.get(s, -1)),
                     item_label=[f"チェックリスト {refs[i]}" if i in refs else i for i in f["item_id"]])
        f = f.sort_values("_s", kind="stable")
    cols = [Col("severity", _JA["severity"], "severity", 6), Col("title", _JA["title"], "wrap", 18),
            Col("facility_name", _JA["facility_name"], "wrap", 16),
            Col("vendor_name", _JA["vendor_name"], "wrap", 14), Col("item_label", "項目", "wrap", 9),
            Col("item_title", _JA["item_title"], "wrap", 18),
            Col("left_form", _JA["left_form"], "wrap", 14),
            Col("left_answer", _JA["left_answer"], "answer", 8),
            Col("right_form", _JA["right_form"], "wrap", 14),
            Col("right_answer", _JA["right_answer"], "answer", 8),
            Col("message", _JA["message"], "wrap", 44), Col("left_cell", _JA["left_cell"], "wrap", 11),
            Col("right_cell", _JA["right_cell"], "wrap", 11),
            Col("system_name", _JA["system_name"], width=14),
            Col("left_path", _JA["left_path"], width=28),
            Col("right_path", _JA["right_path"], width=28), Col("rule", _JA["rule"], width=26)]
    write_table(book, ws, f, cols, freeze_cols=3, print_cols=11,
                empty_note="確認表の不一致はありません。")
    return len(cols)


def _table_sheets(book: Book, cons: Consolidation, widths: dict[str, int]) -> None:
    """契約確認表 / BCP確認表 / 確認表の突き合わせ, when any table was read."""
    t = cons.tables
    if len(t.contract):
        widths["契約確認表"] = _contract_sheet(book, cons)
    if len(t.bcp):
        widths["BCP確認表"] = _bcp_sheet(book, cons)
    if len(t.contract) or len(t.bcp):
        widths["確認表の突き合わせ"] = _table_findings(book, cons)


def sheet_names(cons: Consolidation) -> list[str]:
    """The sheets :func:`build` writes, in order."""
    names = list(SHEETS)
    if cons.group_by:
        names.insert(1, GROUP_SHEET)
    t = cons.tables
    tables = [n for n, have in zip(TABLE_SHEETS, (len(t.contract), len(t.bcp),
                                                  len(t.contract) or len(t.bcp)), strict=True) if have]
    at = names.index(NOTES_SHEET)
    return names[:at] + tables + names[at:]


def build(cons: Consolidation, path: str | Path, font: str) -> Path:
    """Write the consolidated workbook at ``path`` (sheets in :func:`sheet_names` order)."""
    path = Path(path)
    book = Book(path, font, cons.as_of, kind="集計")
    lay = _Layout(cons)
    # the dashboard links to ranges as wide as each sheet's table: known once they are planned
    widths: dict[str, int] = {"施設別一覧": 14, "未提出": 12, "要確認": 12, "不一致": len(_FINDING_COLS),
                              NOTES_SHEET: len(_FINDING_COLS), "目標日": 17, "項目別集計": 14,
                              "確認表の突き合わせ": 17}
    _dashboard(book, cons, lay, widths)
    if cons.group_by:
        _groups(book, cons)
    _missing(book, cons)
    _problems(book, cons)
    _findings(book, cons, notes=False)
    _targets(book, cons)
    _facility_list(book, cons, lay.status)
    _item_summary(book, cons)
    _table_sheets(book, cons, widths)
    _findings(book, cons, notes=True)
    _details(book, cons)
    _history(book, cons)
    book.wb.set_properties({"title": TITLE, "comments": f"基準日 {cons.as_of}"})
    book.close()
    return path


__all__ = ["ACTION_COUNTS", "GROUP_SHEET", "NOTES_SHEET", "SHEETS", "TABLE_SHEETS", "Tile", "build",
           "overview_numbers", "sheet_names", "tiles"]
