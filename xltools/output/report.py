"""Write a :class:`~xltools.consolidate.Consolidation` as workbooks (xlsxwriter).

:func:`write_workbook` writes the consolidated workbook (sheets in :data:`SHEETS`);
:func:`write_feedback` writes one small workbook per facility, addressed to it.

Every text from a submission is written with ``write_string`` and the workbook is opened with
``strings_to_formulas=False, strings_to_urls=False``: a facility or vendor name such as
``=HYPERLINK(...)``, ``+cmd``, ``-1+1`` or ``@SUM(...)`` stays text and never runs as a formula.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from xltools.aggregate.core import ANSWER_JA, TOTAL, Consolidation
from xltools.labels import SCOPE_JA, SEVERITY_JA
from xltools.output import schema

FONT = "Meiryo UI"  # Windows; Excel falls back by charset, LibreOffice by fontconfig
SHEETS = ("概要", "項目別集計", "施設別一覧", "不一致", "目標日", "未提出", "要確認", "明細",
          "経年比較")
TABLE_SHEETS = ("契約確認表", "BCP確認表", "確認表の突き合わせ")  # after 不一致, when tables were read
GROUP_SHEET = "グループ別"
GROUP_COLUMN_JA = {"group": "法人・グループ", "area": "保健所・地域", "kind": "種別",
                   "edition": "年度版"}

_ANSWER_STYLE = {"yes": ("#C6EFCE", "#006100"), "no": ("#FFC7CE", "#9C0006"),
                 "blank": ("#D9D9D9", "#3F3F3F"), "na": ("#F2F2F2", "#7F7F7F")}


@dataclass(frozen=True)
class Col:
    """One column of a written table: frame key, Japanese header, how to write, width."""

    key: str
    header: str
    kind: str = "text"  # text | wrap | int | pct | answer | scope | severity | flag
    width: float | None = None
    rotate: bool = False  # a narrow column with a rotated header (as answer columns get)
    head: str = ""  # header format name ("" = header / header_rot)


# --------------------------------------------------------------------------------------------
# the workbook and its formats


class _Book:
    """An xlsxwriter workbook with the house formats (Japanese font, answer colours)."""

    def __init__(self, path: str | Path, font: str = FONT, as_of: str = "") -> None:
        self.font = font
        self.as_of = as_of
        base = {"font_name": font, "font_size": 10, "font_charset": 128, "valign": "top"}
        self.wb = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "constant_memory": False, "default_format_properties": dict(base)})
        self.fmt: dict[str, Any] = {}
        add = self._add
        add("text", {})
        add("wrap", {"text_wrap": True})
        add("int", {"num_format": "#,##0"})
        add("pct", {"num_format": "0.0%"})
        add("header", {"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                       "text_wrap": True, "valign": "vcenter", "border": 1,
                       "border_color": "#BFBFBF"})
        add("header_rot", {"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                           "rotation": 90, "text_wrap": True, "valign": "bottom", "align": "center",
                           "border": 1, "border_color": "#BFBFBF", "font_size": 9})
        add("header_link", {"bold": True, "bg_color": "#7F6000", "font_color": "#FFFFFF",
                            "rotation": 90, "text_wrap": True, "valign": "bottom",
                            "align": "center", "border": 1, "border_color": "#BFBFBF",
                            "font_size": 9})
        add("title", {"bold": True, "font_size": 14})
        add("subtitle", {"bold": True, "font_size": 11, "font_color": "#1F4E78"})
        add("note", {"font_color": "#595959", "text_wrap": True})
        add("overdue", {"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True})
        add("overdue_wrap", {"bg_color": "#FFC7CE", "font_color": "#9C0006", "text_wrap": True})
        add("error", {"font_color": "#9C0006", "bold": True})
        add("warning", {"font_color": "#9C5700"})
        for ans, (bg, fg) in _ANSWER_STYLE.items():
            add(f"ans_{ans}", {"bg_color": bg, "font_color": fg, "align": "center",
                               "border": 1, "border_color": "#FFFFFF"})

    def _add(self, name: str, props: dict[str, Any]) -> None:
        self.fmt[name] = self.wb.add_format({"font_name": self.font, "font_size": 10,
                                             "font_charset": 128, "valign": "top", **props})

    def sheet(self, name: str, *, landscape: bool = True, header_rows: int = 1) -> Worksheet:
        ws = self.wb.add_worksheet(name)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        right = f"基準日 {self.as_of}" if self.as_of else "&D"
        ws.set_header(f'&L&"{self.font}"&A&R&"{self.font}"{right}')
        ws.set_footer(f'&C&"{self.font}"&P / &N')
        if header_rows:
            ws.repeat_rows(0, header_rows - 1)
        return ws

    def close(self) -> None:
        self.wb.close()


# --------------------------------------------------------------------------------------------
# cells and tables


def display_width(text: str) -> int:
    """Width in Excel character units: East Asian wide characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bool)) else False
    except (TypeError, ValueError):
        return False


def _text_of(col: Col, value: Any) -> str:
    if _blank(value):
        return ""
    if col.kind == "answer":
        return ANSWER_JA.get(str(value), str(value))
    if col.kind == "scope":
        return SCOPE_JA.get(str(value), str(value))
    if col.kind == "severity":
        return SEVERITY_JA.get(str(value), str(value))
    if col.kind == "flag":
        return "○" if bool(value) else ""
    return str(value)


def _write_cell(book: _Book, ws: Worksheet, r: int, c: int, col: Col, value: Any,
                override: str | None = None) -> None:
    if col.kind in ("int", "pct"):
        if _blank(value):
            ws.write_blank(r, c, None, book.fmt[override or "text"])
        else:
            ws.write_number(r, c, float(value), book.fmt[col.kind])
        return
    text = _text_of(col, value)
    fmt = override or ("wrap" if col.kind == "wrap" else "text")
    if col.kind == "answer" and not _blank(value) and str(value) in _ANSWER_STYLE:
        fmt = f"ans_{value}"
    if col.kind == "severity" and str(value) in ("error", "warning"):
        fmt = str(value)
    if text:
        ws.write_string(r, c, text, book.fmt[fmt])
    else:
        ws.write_blank(r, c, None, book.fmt[fmt])


def _col_width(col: Col, values: list[Any]) -> float:
    if col.width:
        return col.width
    longest = max([display_width(_text_of(col, v)) for v in values[:500]] + [0])
    head = max(display_width(part) for part in col.header.split("\n"))
    cap = 48 if col.kind == "wrap" else 36
    return float(min(max(longest, head, 4) + 2, cap))


def _lines(rec: dict[str, Any], cols: list[Col], widths: list[float]) -> int:
    """Lines the tallest wrapped cell of a row needs (LibreOffice does not autofit rows)."""
    most = 1
    for col, width in zip(cols, widths, strict=True):
        if col.kind == "wrap":
            text = _text_of(col, rec.get(col.key))
            # rendered CJK glyphs are a little narrower than two width units
            most = max(most, math.ceil(display_width(text) * 0.85 / max(width - 1.5, 1)))
    return min(most, 10)


def write_table(book: _Book, ws: Worksheet, df: pd.DataFrame, cols: list[Col], *,
                first_row: int = 0, first_col: int = 0, autofilter: bool = True,
                freeze: bool = True, freeze_cols: int = 0,
                highlight: Callable[[dict[str, Any]], str | None] | None = None,
                rotate_answers: bool = False, empty_note: str = "", widths: bool = True,
                print_cols: int | None = None) -> int:
    """Write ``df`` as a table with a header row; returns the last row written.

    ``rotate_answers``: answer columns get a narrow, rotated header (the facility matrix).
    ``print_cols``: print only the first that many columns (the rest are provenance).
    """
    for j, col in enumerate(cols):
        fmt = col.head or ("header_rot" if col.rotate or (rotate_answers and col.kind == "answer")
                           else "header")
        ws.write_string(first_row, first_col + j, col.header, book.fmt[fmt])
    records = df.to_dict("records") if not df.empty else []
    col_widths = [_col_width(col, [r.get(col.key) for r in records]) for col in cols]
    if not rotate_answers:
        head = max(math.ceil(display_width(c.header) * 0.85 / max(w - 1, 1))
                   for c, w in zip(cols, col_widths, strict=True))
        if head > 1:
            ws.set_row(first_row, 13.5 * min(head, 4) + 2)
    for i, rec in enumerate(records, start=first_row + 1):
        over = highlight(rec) if highlight else None
        for j, col in enumerate(cols):
            override = over if over and col.kind not in ("answer",) else None
            _write_cell(book, ws, i, first_col + j, col, rec.get(col.key), override)
        lines = _lines(rec, cols, col_widths)
        if lines > 1:
            ws.set_row(i, 13.5 * lines + 2)
    last = first_row + max(len(records), 0)
    if not records and empty_note:
        last = first_row + 1
        ws.write_string(last, first_col, empty_note, book.fmt["note"])
    if widths:
        for j, w in enumerate(col_widths):
            ws.set_column(first_col + j, first_col + j, w)
    if print_cols:
        ws.print_area(0, 0, max(last, first_row), first_col + min(print_cols, len(cols)) - 1)
    if autofilter:
        ws.autofilter(first_row, first_col, max(last, first_row), first_col + len(cols) - 1)
    if freeze:
        ws.freeze_panes(first_row + 1, freeze_cols)
    return last


# --------------------------------------------------------------------------------------------
# sheets


def _overview(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("概要", header_rows=0)
    ws.write_string(0, 0, "サイバーセキュリティ対策チェックリスト 集計結果", book.fmt["title"])
    ws.write_string(1, 0, f"基準日：{cons.as_of}（目標日の期限超過はこの日で判定）", book.fmt["note"])
    row = 3
    ws.write_string(row, 0, "提出と確認の状況", book.fmt["subtitle"])
    ov = cons.overview
    last = write_table(book, ws, ov, [Col("category", "区分"), Col("value", "項目"),
                                       Col("count", "件数", "int")],
                       first_row=row + 1, autofilter=False, freeze=False, widths=False)
    _edition_chart(book, ws, ov, row + 1)
    row = last + 3
    ws.write_string(row, 0, "分野別の実施率（該当なしを除く「はい」の割合）", book.fmt["subtitle"])
    sec = _total_first(cons.section_summary)
    cols = [Col("section_name", "分野", width=30), Col("kind", "種別", width=12),
            Col("n", "件数", "int", 8), Col("yes", "はい", "int", 8), Col("no", "いいえ", "int", 8),
            Col("blank", "未回答", "int", 8), Col("na", "該当なし", "int", 9),
            Col("implementation_rate", "実施率", "pct", 9)]
    start = row + 1
    write_table(book, ws, sec, cols, first_row=start, autofilter=False, freeze=False, widths=False)
    for c, w in enumerate((30, 30, 9, 8, 8, 8, 9, 9)):
        ws.set_column(c, c, w)
    n_total = int((sec["kind"] == TOTAL).sum()) if not sec.empty else 0
    if n_total:
        _bar_chart(book, ws, "概要", "分野別の実施率（全体）", start + 1, start + n_total, 0, 7,
                   anchor=(start, 9))
    ws.freeze_panes(3, 0)


def _total_first(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return df
    key = (df["kind"] != TOTAL).astype(int)
    return df.assign(_t=key).sort_values("_t", kind="stable").drop(columns="_t")


def _edition_chart(book: _Book, ws: Worksheet, ov: pd.DataFrame, header_row: int) -> None:
    idx = [i for i, c in enumerate(ov["category"]) if c == "年度版"]
    if not idx:
        return
    first, last = header_row + 1 + idx[0], header_row + 1 + idx[-1]
    chart = book.wb.add_chart({"type": "column"})
    chart.add_series({"name": "提出数", "categories": ["概要", first, 1, last, 1],
                      "values": ["概要", first, 2, last, 2], "fill": {"color": "#2E75B6"},
                      "data_labels": {"value": True}})
    _style_chart(chart, book, "年度版別の提出数（ファイル・シート）", pct=False)
    chart.set_legend({"none": True})
    chart.set_size({"width": 430, "height": 260})
    ws.insert_chart(header_row, 4, chart)


def _style_chart(chart: Any, book: _Book, title: str, pct: bool = True) -> None:
    font = {"name": book.font, "size": 9}
    chart.set_title({"name": title, "name_font": {"name": book.font, "size": 11, "bold": True}})
    chart.set_x_axis({"num_font": font})
    y = {"num_font": font, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
    if pct:
        y.update(min=0, max=1, num_format="0%")
    chart.set_y_axis(y)


def _bar_chart(book: _Book, ws: Worksheet, sheet: str, title: str, first: int, last: int,
               cat_col: int, val_col: int, anchor: tuple[int, int], horizontal: bool = False,
               height: float = 1.0) -> None:
    chart = book.wb.add_chart({"type": "bar" if horizontal else "column"})
    chart.add_series({"name": "実施率", "categories": [sheet, first, cat_col, last, cat_col],
                      "values": [sheet, first, val_col, last, val_col],
                      "fill": {"color": "#548235"},
                      "data_labels": {"value": True, "num_format": "0%"}})
    _style_chart(chart, book, title)
    chart.set_legend({"none": True})
    if horizontal:
        chart.set_y_axis({"reverse": True, "interval_unit": 1,
                          "num_font": {"name": book.font, "size": 8}})
        chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%",
                          "num_font": {"name": book.font, "size": 8}})
    # set_size, not x_scale/y_scale: LibreOffice lays out axis labels at the unscaled size
    chart.set_size({"width": 620, "height": int(288 * height)})
    ws.insert_chart(anchor[0], anchor[1], chart)


def _item_summary(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("項目別集計")
    df = _total_first(cons.item_summary)
    df = df.assign(label=[f"{r} {SCOPE_JA.get(s, s)}" if s != "all" else str(r)
                          for r, s in zip(df["ref"], df["scope"], strict=True)]) if not df.empty else df
    cols = [Col("label", "項番", width=17), Col("text", "項目", "wrap", 44), Col("scope", "対象", "scope"),
            Col("kind", "種別", width=10), Col("n", "件数", "int", 7), Col("yes", "はい", "int", 7),
            Col("no", "いいえ", "int", 7), Col("blank", "未回答", "int", 7),
            Col("na", "該当なし", "int", 8), Col("yes_rate", "はい率", "pct", 8),
            Col("no_rate", "いいえ率", "pct", 8), Col("blank_rate", "未回答率", "pct", 8),
            Col("na_rate", "該当なし率", "pct", 9), Col("implementation_rate", "実施率", "pct", 8)]
    last = write_table(book, ws, df, cols, freeze_cols=2, empty_note="集計する回答がありません。")
    n_total = int((df["kind"] == TOTAL).sum()) if not df.empty else 0
    if n_total:
        ws.set_h_pagebreaks([last + 1])  # the chart prints on a page of its own
        _bar_chart(book, ws, "項目別集計", "項目別の実施率（全体・該当なしを除く）", 1, n_total, 0, 13,
                   anchor=(last + 2, 1), horizontal=True, height=max(1.0, (80 + 24 * n_total) / 288))


def _matrix(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("施設別一覧")
    items = cons.items
    mat = cons.facility_matrix
    base = [Col("facility_name", "医療機関名", width=24), Col("kind", "種別", width=9),
            Col("area", "保健所・地域"), Col("edition", "年度版", width=7),
            Col("vendor_forms", "事業者確認用", "int", 7), Col("implementation_rate", "実施率", "pct", 8),
            Col("no", "いいえ", "int", 6), Col("blank", "未回答", "int", 6),
            Col("findings", "不一致", "int", 6), Col("overdue_targets", "期限超過", "int", 6)]
    keys = [k for k in items["key"] if k in mat.columns] if not items.empty else []
    meta = items.set_index("key") if not items.empty else pd.DataFrame()
    item_cols = [Col(k, _item_header(meta.loc[k]), "answer", 6.5) for k in keys]
    tail = [Col("facility_code", "医療機関コード"), Col("path", "ファイル", width=30)]
    cols = base + item_cols + tail
    ws.set_row(0, 150)
    write_table(book, ws, mat, cols, freeze_cols=1, rotate_answers=True,
                print_cols=len(base) + len(item_cols),
                empty_note="提出されたチェックリストがありません。")


def _item_header(meta: pd.Series) -> str:
    scope = "" if meta["scope"] == "all" else f"（{SCOPE_JA.get(meta['scope'], meta['scope'])}）"
    text = str(meta["text"])
    text = text if len(text) <= 22 else text[:21] + "…"
    return f"{meta['ref']}{scope} {text}"


def _findings(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("不一致")
    ja = schema.ja_headers("findings")
    cols = [Col("severity", ja["severity"], "severity", 7), Col("title", ja["title"], "wrap", 18),
            Col("facility_name", ja["facility_name"], "wrap", 16), Col("vendor_name", ja["vendor_name"], "wrap", 14),
            Col("ref", ja["ref"], width=7), Col("facility_answer", ja["facility_answer"], "answer", 9),
            Col("vendor_answer", ja["vendor_answer"], "answer", 9), Col("message", ja["message"], "wrap", 64),
            Col("facility_cell", ja["facility_cell"], width=12), Col("vendor_cell", ja["vendor_cell"], width=12),
            Col("system_name", ja["system_name"], width=14), Col("item_text", ja["item_text"], width=30),
            Col("facility_scope", ja["facility_scope"], "scope", 10),
            Col("vendor_scope", ja["vendor_scope"], "scope", 10),
            Col("facility_checked_on", ja["facility_checked_on"], width=11),
            Col("vendor_checked_on", ja["vendor_checked_on"], width=11),
            Col("facility_edition", ja["facility_edition"], width=8),
            Col("vendor_edition", ja["vendor_edition"], width=8),
            Col("facility_path", ja["facility_path"], width=28),
            Col("vendor_path", ja["vendor_path"], width=28), Col("rule", ja["rule"], width=18)]
    write_table(book, ws, cons.findings, cols, freeze_cols=3, print_cols=10,
                empty_note="不一致はありません。")


def _targets(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("目標日")
    cols = [Col("status_ja", "状況", width=10), Col("facility_name", "医療機関名", width=20),
            Col("role_ja", "回答者", width=9), Col("vendor_name", "事業者名", width=16),
            Col("edition", "年度版", width=7), Col("ref", "項番", width=7),
            Col("item_text", "項目", "wrap", 40), Col("scope", "対象", "scope", 10),
            Col("round", "回", "int", 4), Col("target_on", "目標日", width=11),
            Col("days_overdue", "超過日数", "int", 8), Col("checked_on", "確認日", width=11),
            Col("path", "ファイル", width=28), Col("sheet", "シート", width=12),
            Col("cell", "回答セル", width=8), Col("target_cell", "目標日セル", width=9)]
    df = cons.targets.assign(days_overdue=cons.targets["days_overdue"].where(cons.targets["overdue"]))

    def hl(rec: dict[str, Any]) -> str | None:
        if rec.get("overdue"):
            return "overdue_wrap"
        return None
    write_table(book, ws, df, cols, freeze_cols=2, highlight=hl, print_cols=12,
                empty_note="「いいえ」の項目はありません。")


def _missing(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("未提出")
    cols = [Col("category_ja", "区分", width=22), Col("facility_name", "医療機関名", width=22),
            Col("facility_code", "医療機関コード", width=13), Col("kind", "種別", width=8),
            Col("area", "保健所・地域", width=12), Col("group", "法人・グループ", width=12),
            Col("vendor_name", "事業者名", width=16), Col("system_name", "システム名", width=12),
            Col("candidates", "候補（類似の名称）", "wrap", 28), Col("message", "内容", "wrap", 60),
            Col("path", "ファイル", width=28), Col("sheet", "シート", width=12)]
    write_table(book, ws, cons.missing, cols, freeze_cols=2, print_cols=10,
                empty_note="未提出・不足はありません。")


def _problems(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("要確認")
    ja = schema.ja_headers("problems")
    names = cons.facilities.set_index("facility_id")["facility_name"] if not cons.facilities.empty \
        else pd.Series(dtype=str)
    df = cons.problems.assign(facility_name=cons.problems["facility_id"].map(names).fillna(""))
    cols = [Col("severity", ja["severity"], "severity", 7), Col("facility_name", "医療機関名", width=20),
            Col("message", ja["message"], "wrap", 60), Col("path", ja["path"], width=28),
            Col("sheet", ja["sheet"], width=12), Col("cell", ja["cell"], width=8),
            Col("item_id", ja["item_id"], width=16), Col("scope", ja["scope"], "scope", 10),
            Col("round", ja["round"], "int", 4), Col("code", ja["code"], width=26),
            Col("submission_id", ja["submission_id"], width=18)]
    write_table(book, ws, df, cols, freeze_cols=2, print_cols=9,
                empty_note="要確認の事項はありません。")


def _details(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("明細")
    ja = schema.ja_headers("answers")
    cols = [Col("facility_name", "医療機関名", width=20), Col("kind", "種別", width=8),
            Col("area", "保健所・地域", width=12), Col("group", "法人・グループ", width=12),
            Col("role_ja", "回答者", width=9), Col("vendor_name", "事業者名", width=16),
            Col("system_name", "システム名", width=12), Col("edition", "年度版", width=7),
            Col("variant", "種類", width=9), Col("ref", ja["ref"], width=7),
            Col("item_id", ja["item_id"], width=16), Col("item_text", "項目", width=40),
            Col("scope", ja["scope"], "scope", 10), Col("round", ja["round"], "int", 4),
            Col("answer_ja", ja["answer"], width=8), Col("counted", "集計対象", "flag", 7),
            Col("checked_on", ja["checked_on"], width=11), Col("target_on", ja["target_on"], width=11),
            Col("raw", ja["raw"], width=14), Col("source", ja["source"], width=10),
            Col("sheet", ja["sheet"], width=12), Col("cell", ja["cell"], width=7),
            Col("path", "ファイル", width=28), Col("submission_id", ja["submission_id"], width=18)]
    write_table(book, ws, cons.details, cols, freeze_cols=1, print_cols=18,
                empty_note="回答がありません。")


def _history(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("経年比較")
    h = cons.history
    editions = [c for c in h.columns if c not in ("facility_id", "facility_name", "item_id", "ref",
                                                  "text", "scope", "changed")]
    cols = [Col("facility_name", "医療機関名", width=20), Col("ref", "項番（最新版）", width=9),
            Col("text", "項目", "wrap", 40), Col("scope", "対象", "scope", 10),
            *(Col(e, f"{e} 版", "answer", 8) for e in editions),
            Col("changed", "変化", "flag", 6), Col("item_id", "項目ID", width=16)]
    write_table(book, ws, h, cols, freeze_cols=1,
                empty_note="複数の年度版を提出した施設はありません。")


def _groups(book: _Book, cons: Consolidation) -> None:
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
            cols.append(Col(it.done_key, f"{it.item_id} 完了日", width=10.5, rotate=True))
    return cols


def _count(key: str, header: str) -> Col:
    return Col(key, header, "int", 5.5, rotate=True)


_TABLE_TAIL = [Col("file", "ファイル", width=24), Col("sheet", "シート", width=12),
               Col("status", "状態", width=8), Col("submission_id", "提出ID", width=18)]


def _table_sheet(book: _Book, cons: Consolidation, form: str, base: list[Col], freeze: int,
                 note: str) -> None:
    """One table's sheet: ``base`` columns, the items (rotated, coloured), provenance, a note."""
    ws = book.sheet(TABLE_SHEETS[0] if form == "contract" else TABLE_SHEETS[1])
    items = _table_item_cols(cons.tables.items_of(form))
    ws.set_row(0, 170)
    last = write_table(book, ws, cons.tables.frame(form), base + items + _TABLE_TAIL,
                       freeze_cols=freeze, rotate_answers=True, print_cols=len(base) + len(items),
                       empty_note="確認表はありません。")
    ws.write_string(last + 2, 0, note, book.fmt["note"])


def _contract_sheet(book: _Book, cons: Consolidation) -> None:
    base = [Col("facility_name", "医療機関名", "wrap", 18), Col("vendor_name", "事業者名", "wrap", 16),
            Col("system_name", "システム名", "wrap", 13), Col("checked_on", "初回確認日", width=11),
            _count("n_yes", "はい"), _count("n_no", "いいえ"), _count("n_blank", "未回答"),
            _count("n_done", "いいえのうち完了日あり"), _count("findings", "不一致")]
    _table_sheet(book, cons, "contract", base, 3,
                 "1 行が 1 件の確認表（医療機関×事業者×システム、控えごと）です。茶色の見出しの列は、"
                 "その項目に関連するチェックリスト項目への当施設の回答（現在の版。いいえ＞未回答＞はいの順で代表）"
                 "です。関連づけは mappings/tables/contract.yaml の checklist（再構成）によります。")


def _bcp_sheet(book: _Book, cons: Consolidation) -> None:
    base = [Col("facility_name", "医療機関名", "wrap", 18),
            Col("checklist_bcp", "チェックリスト「BCPを策定している」", "answer", 7.5,
                head="header_link"),
            _count("n_yes", "はい"), _count("n_no", "いいえ"), _count("n_blank", "未回答"),
            Col("tick_rate", "チェック率", "pct", 7, rotate=True), _count("findings", "不一致"),
            Col("answer_column", "回答として読んだ列", "wrap", 22)]
    _table_sheet(book, cons, "bcp", base, 2,
                 "1 行が 1 件のBCP確認表です。公式の確認表には回答欄がないため、施設が追加した列"
                 "（「回答として読んだ列」）を読んでいます。空欄は未実施と未記入を区別できないため「未回答」です。")


def _table_findings(book: _Book, cons: Consolidation) -> None:
    ws = book.sheet("確認表の突き合わせ")
    ja = schema.ja_headers("findings")
    cols = [Col("severity", ja["severity"], "severity", 7), Col("title", ja["title"], "wrap", 20),
            Col("facility_name", ja["facility_name"], "wrap", 16), Col("vendor_name", ja["vendor_name"], "wrap", 14),
            Col("item_id", "項目", width=6), Col("item_title", ja["item_title"], "wrap", 20),
            Col("left_form", ja["left_form"], "wrap", 16), Col("left_answer", ja["left_answer"], "answer", 9),
            Col("left_cell", ja["left_cell"], "wrap", 11), Col("right_form", ja["right_form"], "wrap", 16),
            Col("right_answer", ja["right_answer"], "answer", 12),
            Col("right_cell", ja["right_cell"], "wrap", 11), Col("message", ja["message"], "wrap", 60),
            Col("system_name", ja["system_name"], width=14), Col("left_path", ja["left_path"], width=28),
            Col("right_path", ja["right_path"], width=28), Col("rule", ja["rule"], width=26)]
    write_table(book, ws, cons.tables.findings, cols, freeze_cols=3, print_cols=13,
                empty_note="確認表の不一致はありません。")


def _table_sheets(book: _Book, cons: Consolidation) -> None:
    """契約確認表 / BCP確認表 / 確認表の突き合わせ, when any table was read."""
    t = cons.tables
    if len(t.contract):
        _contract_sheet(book, cons)
    if len(t.bcp):
        _bcp_sheet(book, cons)
    if len(t.contract) or len(t.bcp):
        _table_findings(book, cons)


def write_workbook(cons: Consolidation, path: str | Path, *, font: str = FONT) -> Path:
    """Write the consolidated workbook (sheets :data:`SHEETS`; :data:`TABLE_SHEETS` after 不一致
    when contract or BCP tables were read; グループ別 when grouped)."""
    path = Path(path)
    book = _Book(path, font, cons.as_of)
    _overview(book, cons)
    _item_summary(book, cons)
    _matrix(book, cons)
    _findings(book, cons)
    _table_sheets(book, cons)
    _targets(book, cons)
    _missing(book, cons)
    _problems(book, cons)
    _details(book, cons)
    _history(book, cons)
    if cons.group_by:
        _groups(book, cons)
    book.wb.set_properties({"title": "サイバーセキュリティ対策チェックリスト 集計結果",
                            "comments": f"基準日 {cons.as_of}"})
    book.close()
    return path


# --------------------------------------------------------------------------------------------
# per-facility feedback

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: str, max_len: int = 80) -> str:
    """A file name Windows accepts: no <>:"/\\|?* or control characters, no trailing dot or
    space, no reserved device name, at most ``max_len`` characters."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.sub(r'[<>:"/\\|?*\x00-\x1f\x7f]', "_", text)
    text = re.sub(r"\s+", " ", text).strip().rstrip(". ")
    text = text[:max_len].rstrip(". ") or "_"
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    return text


def _feedback_sections(cons: Consolidation, fid: str) -> dict[str, pd.DataFrame]:
    fac = cons.facilities.set_index("facility_id").loc[fid]
    cur = cons.details[(cons.details["submission_id"] == fac["submission_id"])
                       & cons.details["counted"] & (cons.details["answer"] == "blank")] \
        if fac["submission_id"] else cons.details.iloc[0:0]
    own = cons.submissions.loc[(cons.submissions["facility_id"] == fid)
                               & (cons.submissions["role"] != "vendor"), "submission_id"]
    probs = cons.problems[cons.problems["submission_id"].isin(set(own))
                          & cons.problems["severity"].isin(["error", "warning"])
                          & (cons.problems["code"] != "answer.blank")]
    tg = cons.targets[(cons.targets["facility_id"] == fid)
                      & (cons.targets["overdue"] | (cons.targets["target_on"] == ""))]
    tf = cons.tables.findings
    return {"blank": cur, "problems": probs,
            "findings": cons.findings[cons.findings["facility_id"] == fid], "targets": tg,
            "tables": tf[tf["facility_id"] == fid]}


def _feedback_status(cons: Consolidation, fid: str) -> list[str]:
    f = cons.facilities.set_index("facility_id").loc[fid]
    lines = []
    if f["submission_id"]:
        lines.append(f"チェックリスト：{f['edition']} 版を受領しました（{Path(str(f['path'])).name}）。")
    else:
        lines.append("チェックリスト（医療機関確認用・薬局確認用）が提出されていません。提出をお願いします。")
    if int(f["vendor_forms"]):
        lines.append(f"事業者確認用：{int(f['vendor_forms'])} 件（{f['vendor_names']}）を受領しました。")
    elif f["has_system"] == "yes":
        lines.append("事業者確認用が提出されていません。契約している事業者ごとに記入を依頼し、提出してください。")
    t = cons.tables
    contract = t.contract[t.contract["facility_id"] == fid] if len(t.contract) else t.contract
    bcp = t.bcp[t.bcp["facility_id"] == fid] if len(t.bcp) else t.bcp
    if len(contract):
        vendors = "、".join(dict.fromkeys(v for v in contract["vendor_name"] if v))
        lines.append(f"契約の役割分担確認表：{len(contract)} 件（{vendors or '事業者名なし'}）を受領しました。")
    if len(bcp):
        lines.append(f"BCP策定の確認表：{len(bcp)} 件を受領しました。")
    return lines


def _write_feedback_one(cons: Consolidation, fid: str, path: Path, font: str) -> None:
    f = cons.facilities.set_index("facility_id").loc[fid]
    book = _Book(path, font, cons.as_of)
    ws = book.sheet("確認事項", landscape=False, header_rows=0)
    for c, w in enumerate(_FB_WIDTHS):
        ws.set_column(c, c, w)
    ws.write_string(0, 0, f"{f['facility_name']} 様", book.fmt["title"])
    ws.write_string(1, 0, f"サイバーセキュリティ対策チェックリストの確認結果（基準日 {cons.as_of}）",
                    book.fmt["subtitle"])
    ws.write_string(2, 0, "ご提出いただいた様式を確認しました。次の点のご確認・ご対応をお願いします。",
                    book.fmt["text"])
    row = 4
    ws.write_string(row, 0, "1. 提出状況", book.fmt["subtitle"])
    for line in _feedback_status(cons, fid):
        row += 1
        ws.write_string(row, 0, line)
    sec = _feedback_sections(cons, fid)
    row = _fb_table(book, ws, row + 2, "2. 未回答の項目", sec["blank"],
                    [Col("ref", "項番"), Col("item_text", "項目", "wrap"), Col("scope", "対象", "scope"),
                     Col("cell", "セル")])
    row = _fb_table(book, ws, row + 2, "3. 記入内容の確認", sec["problems"],
                    [Col("cell", "セル"), Col("message", "内容", "wrap"), Col("sheet", "シート")])
    row = _fb_table(book, ws, row + 2, "4. 事業者の回答との不一致", sec["findings"],
                    [Col("ref", "項番"), Col("message", "内容", "wrap"),
                     Col("vendor_name", "事業者", "wrap"), Col("facility_cell", "貴施設のセル", "wrap"),
                     Col("vendor_cell", "事業者のセル", "wrap")])
    row = _fb_table(book, ws, row + 2, "5. 目標日（期限超過・記入なし）", sec["targets"],
                    [Col("ref", "項番"), Col("item_text", "項目", "wrap"), Col("status_ja", "状況"),
                     Col("target_on", "目標日"), Col("vendor_name", "事業者", "wrap")],
                    highlight=lambda r: "overdue_wrap" if r.get("overdue") else None)
    if len(cons.tables.contract) or len(cons.tables.bcp):
        _fb_table(book, ws, row + 2, "6. 確認表（契約の役割分担・BCP）の食い違い", sec["tables"],
                  [Col("item_id", "項目"), Col("message", "内容", "wrap"),
                   Col("vendor_name", "事業者", "wrap"), Col("left_cell", "セル（様式A）", "wrap"),
                   Col("right_cell", "セル（様式B）", "wrap")])
    book.close()


def _fb_table(book: _Book, ws: Worksheet, row: int, title: str, df: pd.DataFrame,
              cols: list[Col], highlight: Callable[[dict[str, Any]], str | None] | None = None) -> int:
    ws.write_string(row, 0, title, book.fmt["subtitle"])
    if df.empty:
        ws.write_string(row + 1, 0, "ありません。")
        return row + 1
    for j, col in enumerate(cols):
        ws.write_string(row + 1, j, col.header, book.fmt["header"])
    for i, rec in enumerate(df.to_dict("records"), start=row + 2):
        over = highlight(rec) if highlight else None
        for j, col in enumerate(cols):
            _write_cell(book, ws, i, j, col, rec.get(col.key), over)
        lines = _lines(rec, cols, list(_FB_WIDTHS[: len(cols)]))
        if lines > 1:
            ws.set_row(i, 13.5 * lines + 2)
    return row + 1 + len(df)


_FB_WIDTHS = (11.0, 56.0, 18.0, 16.0, 16.0)


def write_feedback(cons: Consolidation, directory: str | Path, *, font: str = FONT) -> list[Path]:
    """One workbook per facility (施設名 様): status, blanks, problems (its contract and BCP
    tables' too), mismatches, targets and, when tables were read, the tables' findings."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    used: set[str] = set()
    for f in cons.facilities.to_dict("records"):
        stem = safe_filename(f"{f['facility_name']}_{f['facility_code']}" if f["facility_code"]
                             else str(f["facility_name"]))
        name, n = stem, 1
        while name.lower() in used:
            n += 1
            name = f"{stem}_{n}"
        used.add(name.lower())
        path = directory / f"{name}.xlsx"
        _write_feedback_one(cons, f["facility_id"], path, font)
        written.append(path)
    return written
