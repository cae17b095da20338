"""The house workbook: formats, typed cells and tables, shared by the consolidated workbook
(:mod:`xltools.output.workbook`) and the letters (:mod:`xltools.output.letters`).

Every text from a submission is written with ``write_string`` and the workbook is opened with
``strings_to_formulas=False, strings_to_urls=False``: a facility or vendor name such as
``=HYPERLINK(...)``, ``+cmd``, ``-1+1`` or ``@SUM(...)`` stays text and never runs as a formula.
Dates are written as date cells (yyyy/mm/dd), counts as numbers, rates as percentages, and
every code value (answer, scope, severity, variant, reading method, form, status) in Japanese.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from xltools.aggregate.core import ROLE_JA
from xltools.labels import ANSWER_JA, FORM_JA, SCOPE_JA, SEVERITY_JA, VARIANT_JA, scope_ja

FONT = "Meiryo UI"  # Windows; Excel falls back by charset, LibreOffice by fontconfig
SOURCE_JA = {"text": "文字", "dropdown": "プルダウン", "strike": "取り消し線", "mark": "記号（○など）",
             "columns": "はい・いいえの列", "shape": "図形（楕円など）", "checkbox": "チェックボックス",
             "deleted": "語の削除", "empty": "記入なし", "cover": "表紙"}
STATUS_JA = {"ok": "読み取り済み", "partial": "一部読み取り", "failed": "読み取り失敗"}
# Column kind -> the code values it shows in Japanese
CODE_JA: dict[str, dict[str, str]] = {
    "answer": ANSWER_JA, "scope": SCOPE_JA, "severity": SEVERITY_JA, "variant": VARIANT_JA,
    "source": SOURCE_JA, "form": FORM_JA, "status": STATUS_JA, "role": ROLE_JA}
DATE_FORMAT = "yyyy/mm/dd"
PRINT_WIDTH = 92.0  # A4 landscape at 100 %, narrow margins, in column-width units (LibreOffice, measured)

_ANSWER_STYLE = {"yes": ("#C6EFCE", "#006100"), "no": ("#FFC7CE", "#9C0006"),
                 "blank": ("#D9D9D9", "#3F3F3F"), "na": ("#F2F2F2", "#7F7F7F")}


@dataclass(frozen=True)
class Col:
    """One column of a written table: frame key, Japanese header, how to write, width."""

    key: str
    header: str
    kind: str = "text"  # text | wrap | int | pct | date | flag | a key of CODE_JA
    width: float | None = None
    rotate: bool = False  # a narrow column with a rotated header (as answer columns get)
    head: str = ""  # header format name ("" = header / header_rot)


# --------------------------------------------------------------------------------------------
# the workbook and its formats


class Book:
    """An xlsxwriter workbook with the house formats (Japanese font, answer colours)."""

    def __init__(self, path: str | Path, font: str = FONT, as_of: str = "",
                 kind: str = "") -> None:
        self.font = font
        self.as_of = as_of
        self.kind = kind  # xltools.output.own mark written on close ("" for none)
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
        add("date", {"num_format": DATE_FORMAT, "align": "left"})
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
        add("note_line", {"font_color": "#595959"})
        add("overdue", {"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True})
        add("overdue_wrap", {"bg_color": "#FFC7CE", "font_color": "#9C0006", "text_wrap": True})
        add("overdue_date", {"bg_color": "#FFC7CE", "font_color": "#9C0006",
                             "num_format": DATE_FORMAT, "align": "left"})
        add("overdue_int", {"bg_color": "#FFC7CE", "font_color": "#9C0006", "num_format": "#,##0"})
        add("error", {"font_color": "#9C0006", "bold": True})
        add("warning", {"font_color": "#9C5700"})
        add("info", {"font_color": "#7F7F7F"})
        add("status_action", {"bg_color": "#FCE4D6", "font_color": "#833C0B", "bold": True})
        add("status_complete", {"bg_color": "#E2EFDA", "font_color": "#375623"})
        add("status_missing", {"bg_color": "#D9D9D9", "font_color": "#3F3F3F", "bold": True})
        for ans, (bg, fg) in _ANSWER_STYLE.items():
            add(f"ans_{ans}", {"bg_color": bg, "font_color": fg, "align": "center",
                               "border": 1, "border_color": "#FFFFFF"})

    def _add(self, name: str, props: dict[str, Any]) -> None:
        self.fmt[name] = self.wb.add_format({"font_name": self.font, "font_size": 10,
                                             "font_charset": 128, "valign": "top", **props})

    def add(self, name: str, props: dict[str, Any]) -> Any:
        """A named format of the house font (created once)."""
        if name not in self.fmt:
            self._add(name, props)
        return self.fmt[name]

    def sheet(self, name: str, *, landscape: bool = True, header_rows: int = 1,
              fit_width: bool = True) -> Worksheet:
        """A sheet set up for A4: landscape by default, fit to one page wide, the header row
        repeated on every page, sheet name and 基準日 in the page header, page numbers below."""
        ws = self.wb.add_worksheet(name)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        if fit_width:
            ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        right = f"基準日 {self.as_of}" if self.as_of else "&D"
        ws.set_header(f'&L&"{self.font}"&A&R&"{self.font}"{right}')
        ws.set_footer(f'&C&"{self.font}"&P / &N')
        if header_rows:
            ws.repeat_rows(0, header_rows - 1)
        return ws

    def close(self) -> None:
        if self.kind:  # so a later run never reads this workbook as a returned form
            from xltools.output.own import mark

            mark(self.wb, self.kind)
        self.wb.close()


# --------------------------------------------------------------------------------------------
# cells and tables


def display_width(text: str) -> int:
    """Width in Excel character units: East Asian wide characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bool)) else False
    except (TypeError, ValueError):
        return False


def as_date(value: Any) -> dt.date | None:
    """An ISO date (2025-04-01, or a date) as a date; ``None`` when blank or not a date."""
    if blank(value) or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def text_of(col: Col, value: Any) -> str:
    """What a person reads in the cell (code values in Japanese)."""
    if blank(value):
        return ""
    if col.kind == "scope":
        return scope_ja(str(value))
    if col.kind in CODE_JA:
        return CODE_JA[col.kind].get(str(value), str(value))
    if col.kind == "flag":
        return "○" if bool(value) else ""
    if col.kind == "date":
        d = as_date(value)
        return d.strftime("%Y/%m/%d") if d else str(value)
    return str(value)


def write_cell(book: Book, ws: Worksheet, r: int, c: int, col: Col, value: Any,
               override: str | None = None) -> None:
    if col.kind in ("int", "pct"):
        if blank(value):
            ws.write_blank(r, c, None, book.fmt[override or "text"])
        else:
            fmt = f"{override.split('_')[0]}_int" if override and col.kind == "int" else col.kind
            ws.write_number(r, c, float(value), book.fmt.get(fmt, book.fmt[col.kind]))
        return
    if col.kind == "date":
        d = as_date(value)
        fmt = "overdue_date" if override else "date"
        if d is not None:
            ws.write_datetime(r, c, dt.datetime(d.year, d.month, d.day), book.fmt[fmt])
            return
    text = text_of(col, value)
    fmt = override or ("wrap" if col.kind == "wrap" else "text")
    if col.kind == "answer" and not blank(value):
        fmt = f"ans_{value}" if str(value) in _ANSWER_STYLE else "wrap"  # a summary: wrap it
    if col.kind == "severity" and str(value) in SEVERITY_JA:
        fmt = str(value)
    if text:
        ws.write_string(r, c, text, book.fmt[fmt])
    else:
        ws.write_blank(r, c, None, book.fmt[fmt])


def col_width(col: Col, values: list[Any]) -> float:
    if col.width:
        return col.width
    longest = max([display_width(text_of(col, v)) for v in values[:500]] + [0])
    head = max(display_width(part) for part in col.header.split("\n"))
    cap = 48 if col.kind == "wrap" else 36
    return float(min(max(longest, head, 4) + 2, cap))


def lines_needed(rec: dict[str, Any], cols: list[Col], widths: list[float]) -> int:
    """Lines the tallest wrapped cell of a row needs (LibreOffice does not autofit rows)."""
    most = 1
    for col, width in zip(cols, widths, strict=True):
        if col.kind == "wrap":
            text = text_of(col, rec.get(col.key))
            # rendered CJK glyphs are a little narrower than two width units
            most = max(most, sum(math.ceil(max(display_width(part), 1) * 0.95 / max(width - 1.5, 1))
                                 for part in text.split("\n")))
    return min(most, 12)


def write_table(book: Book, ws: Worksheet, df: pd.DataFrame, cols: list[Col], *,
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
    col_widths = [col_width(col, [r.get(col.key) for r in records]) for col in cols]
    if not rotate_answers:
        head = max(math.ceil(display_width(c.header) * 0.85 / max(w - 1, 1))
                   for c, w in zip(cols, col_widths, strict=True) if not c.rotate)
        if head > 1:
            ws.set_row(first_row, 13.5 * min(head, 4) + 2)
    for i, rec in enumerate(records, start=first_row + 1):
        over = highlight(rec) if highlight else None
        for j, col in enumerate(cols):
            override = over if over and col.kind != "answer" else None
            write_cell(book, ws, i, first_col + j, col, rec.get(col.key), override)
        lines = lines_needed(rec, cols, col_widths)
        if lines > 1:
            ws.set_row(i, 13.5 * lines + 2)
    last = first_row + len(records)
    if not records and empty_note:
        last = first_row + 1
        ws.write_string(last, first_col, empty_note, book.fmt["note_line"])
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
