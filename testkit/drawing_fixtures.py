"""Workbooks shaped like returned checklists, for the drawing-reader tests.

xlsxwriter lays out the cells (item text in B, the answer cell in C); :mod:`xltools.drawing_writer`
adds the drawing layer. Word positions used to place marks are computed here with plain
arithmetic (full-width characters are one em wide), independently of the reader's layout code,
so a test fails when the reader's geometry drifts.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import xlsxwriter

from xltools.xlsx.drawings import AnswerSlot, Box, col_width_pt, read_slots

SHEET = "チェックリスト"
PART = "xl/worksheets/sheet1.xml"
ANSWER_COL = 2  # column C
FIRST_ROW = 1  # row 2 in Excel terms
PAD = 2.25  # points between the cell border and left/right-aligned text
MDW = 7  # Calibri 11, xlsxwriter's default font


@dataclass(frozen=True)
class Book:
    """A generated workbook plus what the test needs to place marks and build slots."""

    data: bytes
    rows: int
    text: str
    width: float  # answer column width in characters as given to xlsxwriter
    align: str
    font_size: float
    merge_cols: int  # answer cell spans this many columns
    row_height: float
    hidden_b: bool
    yes_no_columns: bool

    # --- geometry by hand (Excel's rules, as documented in docs/drawings.md) -----------------
    def col_pt(self, chars: float) -> float:
        # xlsxwriter stores width + padding: w + trunc(128/7)... it writes the "width" attribute
        # as round-tripped by Excel: chars + 5 px padding expressed in characters
        stored = chars + 5 / MDW if chars > 0 else 0
        stored = int(stored * 256) / 256
        return col_width_pt(stored, MDW)

    @property
    def answer_x0(self) -> float:
        a = self.col_pt(4)
        b = 0.0 if self.hidden_b else self.col_pt(30)
        return a + b

    @property
    def answer_w(self) -> float:
        return self.col_pt(self.width) * self.merge_cols

    def row_y0(self, row: int) -> float:
        return 15.0 + (row - FIRST_ROW) * self.row_height  # header row keeps the default 15 pt

    def word_x(self, word: str) -> tuple[float, float]:
        """(x0, x1) of はい or いいえ on the cell's first line, by hand."""
        first = self.text.split("\n")[0]
        size = self.font_size

        def width(s: str) -> float:
            return sum(size * (0.3 if ch == " " else 1.0 if ord(ch) > 0x2000 else 0.5) for ch in s)
        total = width(first)
        x0, w = self.answer_x0, self.answer_w
        if self.align == "center":
            start = x0 + (w - total) / 2
        elif self.align == "right":
            start = x0 + w - PAD - total
        else:
            start = x0 + PAD
        i = first.index("いいえ") if word == "いいえ" else first.index("はい")
        return start + width(first[:i]), start + width(first[:i]) + width(word)

    def word_box(self, row: int, word: str, pad_x: float = 2.0) -> Box:
        """A respondent's ellipse over ``word`` in answer row ``row``: a little larger than it."""
        x0, x1 = self.word_x(word)
        y0 = self.row_y0(row)
        return Box(x0 - pad_x, y0 + 1.5, x1 + pad_x, y0 + min(self.row_height, 18) - 1.5)

    def cell(self, row: int, col: int = ANSWER_COL) -> Box:
        x0 = self.answer_x0 if col == ANSWER_COL else (self.answer_x0 + self.answer_w
                                                        if col == ANSWER_COL + 1 else 0.0)
        return Box(x0, self.row_y0(row), x0 + self.col_pt(self.width), self.row_y0(row) + self.row_height)

    def slots(self) -> list[AnswerSlot]:
        out = []
        for r in range(FIRST_ROW, FIRST_ROW + self.rows):
            if self.yes_no_columns:
                out.append(AnswerSlot(r, ((r, ANSWER_COL), (r, ANSWER_COL + 1)), ("yes", "no"),
                                      ("", "")))
            else:
                out.append(AnswerSlot(r, ((r, ANSWER_COL),), ("both",), (self.text,)))
        return out

    def read(self, data: bytes | None = None) -> tuple[dict, list]:
        with zipfile.ZipFile(io.BytesIO(data if data is not None else self.data)) as zf:
            return read_slots(zf, PART, self.slots(), [])


def make_book(*, width: float = 20, align: str = "center", text: str = "はい・いいえ", rows: int = 4,
              font_size: float = 11, merge_cols: int = 1, row_height: float = 15.0,
              wrap: bool = False, hidden_b: bool = False, yes_no_columns: bool = False) -> Book:
    """A checklist-shaped sheet: header row, then ``rows`` items with an answer cell in C."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(SHEET)
    ws.set_column(0, 0, 4)
    ws.set_column(1, 1, 30, None, {"hidden": hidden_b})
    ws.set_column(ANSWER_COL, ANSWER_COL + max(merge_cols, 2) - 1, width)
    fmt = {"font_size": font_size, "valign": "top" if "\n" in text else "vcenter"}
    if align != "general":
        fmt["align"] = align
    if wrap:
        fmt["text_wrap"] = True
    answer = wb.add_format(fmt)
    ws.write_row(0, 0, ["No", "項目", "回答"])
    for i in range(rows):
        r = FIRST_ROW + i
        if row_height != 15.0:
            ws.set_row(r, row_height)
        ws.write(r, 0, i + 1)
        ws.write(r, 1, f"項目 {i + 1} の確認事項")
        if yes_no_columns:
            ws.write(r, ANSWER_COL, "", answer)
            ws.write(r, ANSWER_COL + 1, "", answer)
        elif merge_cols > 1:
            ws.merge_range(r, ANSWER_COL, r, ANSWER_COL + merge_cols - 1, text, answer)
        else:
            ws.write(r, ANSWER_COL, text, answer)
    if yes_no_columns:
        ws.write_row(0, ANSWER_COL, ["はい", "いいえ"])
    wb.close()
    return Book(buf.getvalue(), rows, text, width, align, font_size, merge_cols, row_height,
                hidden_b, yes_no_columns)
