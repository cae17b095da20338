"""Blank, printable templates of the contract role table and the BCP table, and the layout
writers :mod:`xltools.table_synth` reuses to make realistic returned copies.

Neither table was published as Excel, so these templates are our re-keying of the PDFs, laid
out from the catalogues (``mappings/tables``) so templates and catalogues cannot drift.
Wording the catalogue marks *reconstructed* is printed with a red 「※文言は再構成」 (or
「※項目名は再構成」 …) so nobody mistakes it for the official text.

``write_contract_template(path)`` / ``write_bcp_template(path)`` are what ``xltools template
contract|bcp`` calls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltools.forms.table_catalogue import TableCatalogue, load_table_catalogue

PRINTED_CHOICE = "はい・いいえ"
EMPTY_DATE = "（　　/　　）"
FIELD_LABELS = {"facility_name": "医療機関名", "vendor_name": "事業者名", "system_name": "対象システム",
                "contract_name": "契約名", "respondent": "記入者", "answered_on": "記入日"}


@dataclass(frozen=True)
class Printed:
    """One item row to print: its id decides its part and group."""

    id: str
    title: str
    text: str  # contract 内容 / BCP 確認項目
    mark: str = ""  # 「※文言は再構成」 and the like; "" for verified wording


# --------------------------------------------------------------------------------------------
# formats and small writers


def formats(wb: Any) -> dict[str, Any]:
    """The workbook's formats, made once (xlsxwriter wants one object per distinct format)."""
    cache = getattr(wb, "_xltools_table_formats", None)
    if cache is None:
        base = {"font_name": "游ゴシック", "font_size": 10, "valign": "vcenter"}
        cache = {
            "title": wb.add_format({**base, "bold": True, "font_size": 14, "align": "center"}),
            "note": wb.add_format({**base, "font_size": 9}),
            "head": wb.add_format({**base, "bold": True, "border": 1, "align": "center",
                                   "text_wrap": True, "bg_color": "#D9E1F2"}),
            "part": wb.add_format({**base, "bold": True, "border": 1, "bg_color": "#EDEDED"}),
            "group": wb.add_format({**base, "bold": True, "border": 1, "text_wrap": True,
                                    "align": "center"}),
            "text": wb.add_format({**base, "border": 1, "text_wrap": True}),
            "center": wb.add_format({**base, "border": 1, "align": "center", "text_wrap": True}),
            "date": wb.add_format({**base, "border": 1, "align": "center", "num_format": "yyyy/m/d"}),
            "field": wb.add_format({**base, "bold": True}),
            "value": wb.add_format({**base, "bottom": 1}),
            "red": wb.add_format({**base, "font_color": "#C00000", "font_size": 8}),
            "strike": wb.add_format({**base, "font_strikeout": True}),
            "plain": wb.add_format(base),
        }
        wb._xltools_table_formats = cache
    return cache


def write_value(ws: Any, r: int, c: int, value: Any, f: Any) -> None:
    """A cell value of any kind a returned copy holds (date, number, text)."""
    if isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(r, c, value if isinstance(value, dt.datetime)
                          else dt.datetime.combine(value, dt.time()), f)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, f)
    elif value in ("", None):
        ws.write_blank(r, c, None, f)
    else:
        ws.write_string(r, c, str(value), f)


def write_text(ws: Any, r: int, c: int, text: str, mark: str, fmt: dict[str, Any],
               key: str = "text") -> None:
    """Item text, with the reconstructed-wording note in small red type on its own line."""
    if mark:
        ws.write_rich_string(r, c, fmt["plain"], text, fmt["red"], f"\n{mark}", fmt[key])
    else:
        ws.write_string(r, c, text, fmt[key])


def _mark_for(title_ok: bool, text_ok: bool) -> str:
    if title_ok and text_ok:
        return ""
    if text_ok:
        return "※項目名は再構成"
    if title_ok:
        return "※内容は再構成"
    return "※文言は再構成"


def _write_fields(ws: Any, r: int, c0: int, fields: dict[str, Any], style: str,
                  fmt: dict[str, Any]) -> int:
    """Header fields as ``label | value`` or ``label：value``; returns the next free row."""
    for key, value in fields.items():
        label = FIELD_LABELS.get(key, key)
        if style == "colon":
            text = value if isinstance(value, str) else str(value)
            ws.write_string(r, c0, f"{label}：{text}", fmt["field"])
        else:
            ws.write_string(r, c0, label, fmt["field"])
            write_value(ws, r, c0 + 1, value, fmt["value"])
        r += 1
    return r


def _begin(wb: Any, ws: Any, layout: Any, cols: list[str], widths: dict[str, float],
           cat: TableCatalogue) -> tuple[dict[str, Any], dict[str, int], int, int]:
    """What both tables start with: formats, column positions and widths, the title row.
    Returns (formats, column -> position, last column, next free row)."""
    fmt = formats(wb)
    c0 = layout.start_col
    pos = {name: c0 + i for i, name in enumerate(cols)}
    last = c0 + len(cols) - 1
    for name, c in pos.items():
        ws.set_column(c, c, widths[name])
    r = layout.start_row
    title = cat.title if layout.title is None else layout.title
    if title:
        ws.merge_range(r, c0, r, last, title, fmt["title"])
        ws.set_row(r, 24)
        r += 1
    return fmt, pos, last, r


def _finish(ws: Any) -> None:
    """Landscape A4, one page wide."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


# --------------------------------------------------------------------------------------------
# contract role table


@dataclass
class ContractLayout:
    """How a contract table is laid out; the defaults are our reading of the official PDF."""

    title: str | None = None  # None: the catalogue's title; "" = no title row
    group_style: str = "one_cell"  # one_cell | heading_row | left_column | every_row
    ref_style: str = "A-1"  # every_row only: A-1 | Ａ－１ | A1 | A‐1
    part_style: str = "bracket"  # bracket 【…】 | part "Part1 【…】" | plain | none
    date_at: str = "header"  # header | field_colon | field_right | field_right2 | none
    date_label: str = "初回確認日"
    split: bool = False  # separate はい / いいえ columns under a merged 初回確認
    remarks: bool = False
    fields_at: str = "top"  # top | bottom | none
    fields_style: str = "right"  # right | colon
    header_repeat: bool = False  # the header printed again above Part2 (a page break)
    start_row: int = 0
    start_col: int = 0
    dropdown: bool = False
    marks: bool = True  # print 「※文言は再構成」 notes
    parts: tuple[str, ...] = ("P1", "P2")  # ("P1",) / ("P2",): one part of a split table


@dataclass
class ContractFill:
    """What a returned copy holds."""

    answers: dict[str, Any] = field(default_factory=dict)  # id -> value | writer | {"yes": "○"}
    completed: dict[str, Any] = field(default_factory=dict)  # id -> date value as written
    checked_on: Any = None  # the 初回確認 date as written (text or date)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Written:
    """Where things went, for drawn marks and tests: id -> (row, col) of the answer cell."""

    sheet: str
    answer_cells: dict[str, tuple[int, int]] = field(default_factory=dict)
    no_cells: dict[str, tuple[int, int]] = field(default_factory=dict)  # split columns


def contract_items(cat: TableCatalogue | None = None) -> list[Printed]:
    """The catalogue's items in printed order."""
    cat = cat or load_table_catalogue("contract")
    return [Printed(e.id, e.title, e.text,
                    _mark_for(e.wording_verified("title"), e.wording_verified("text")))
            for e in cat.entries]


def _contract_columns(layout: ContractLayout) -> list[str]:
    cols = ["group"] if layout.group_style == "left_column" else []
    cols += ["ref", "title", "content"]
    cols += ["yes", "no"] if layout.split else ["answer"]
    cols.append("completed")
    if layout.remarks:
        cols.append("remarks")
    return cols


_CONTRACT_WIDTH = {"group": 9, "ref": 6, "title": 24, "content": 52, "answer": 13, "yes": 6,
                   "no": 6, "completed": 12, "remarks": 16}


def _checked_text(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year}/{value.month}/{value.day}"
    return str(value)


def _contract_header(ws: Any, r: int, pos: dict[str, int], layout: ContractLayout,
                     fill: ContractFill, fmt: dict[str, Any]) -> int:
    checked = EMPTY_DATE
    if layout.date_at == "header" and fill.checked_on not in (None, ""):
        checked = f"（{_checked_text(fill.checked_on)}）"
    labels = {"group": "", "ref": "項番", "title": "項目", "content": "内容",
              "answer": f"初回確認\n{checked}", "completed": "完了日", "remarks": "備考"}
    ws.set_row(r, 30)
    if not layout.split:
        for name, c in pos.items():
            ws.write_string(r, c, labels[name], fmt["head"])
        return r + 1
    for name, c in pos.items():
        if name in ("yes", "no"):
            continue
        ws.merge_range(r, c, r + 1, c, labels[name], fmt["head"])
    ws.merge_range(r, pos["yes"], r, pos["no"], f"初回確認\n{checked}", fmt["head"])
    ws.write_string(r + 1, pos["yes"], "はい", fmt["head"])
    ws.write_string(r + 1, pos["no"], "いいえ", fmt["head"])
    return r + 2


def _part_text(key: str, name: str, style: str) -> str:
    if style == "part":
        return f"{key.replace('P', 'Part')} 【{name}】"
    if style == "plain":
        return name
    return f"【{name}】"


def _contract_ref(item_id: str, style: str) -> str:
    letter, n = item_id.split("-")
    if style == "Ａ－１":
        return chr(ord(letter) + 0xFEE0) + "－" + "".join(chr(ord(d) + 0xFEE0) for d in n)
    if style == "A1":
        return f"{letter}{n}"
    if style == "A‐1":
        return f"{letter}‐{n}"
    return f"{letter}-{n}"


def write_contract(wb: Any, ws: Any, items: list[Printed], layout: ContractLayout | None = None,
                   fill: ContractFill | None = None, cat: TableCatalogue | None = None) -> Written:
    """Lay one contract role table out on an xlsxwriter worksheet, filled when ``fill`` is."""
    layout, fill = layout or ContractLayout(), fill or ContractFill()
    cat = cat or load_table_catalogue("contract")
    fmt, pos, last, r = _begin(wb, ws, layout, _contract_columns(layout), _CONTRACT_WIDTH, cat)
    c0 = layout.start_col
    r += 1 if r > layout.start_row else 0  # a blank row under the title
    fields = dict(fill.fields)
    if layout.date_at in ("field_colon", "field_right", "field_right2"):
        r = _contract_date_field(ws, r, c0, layout, fill, fmt)
    if layout.fields_at == "top" and fields:
        r = _write_fields(ws, r, pos["title"], fields, layout.fields_style, fmt) + 1
    written = Written(sheet=ws.get_name())
    r = _contract_header(ws, r, pos, layout, fill, fmt)
    for part in layout.parts:
        rows = [it for it in items if (it.id.startswith("P1-")) == (part == "P1")]
        if part == "P2" and layout.header_repeat and "P1" in layout.parts:
            r = _contract_header(ws, r + 1, pos, layout, fill, fmt)
        if layout.part_style != "none" and part in cat.parts:
            ws.merge_range(r, c0, r, last, _part_text(part, cat.parts[part].name, layout.part_style),
                           fmt["part"])
            r += 1
        r = _contract_part(ws, r, rows, part, pos, last, layout, fill, fmt, cat, written)
    if layout.fields_at == "bottom" and fields:
        _write_fields(ws, r + 1, pos["title"], fields, layout.fields_style, fmt)
    _finish(ws)
    return written


def _contract_date_field(ws: Any, r: int, c0: int, layout: ContractLayout, fill: ContractFill,
                         fmt: dict[str, Any]) -> int:
    value = fill.checked_on if fill.checked_on not in (None, "") else ""
    if layout.date_at == "field_colon":
        ws.write_string(r, c0, f"{layout.date_label}：{_checked_text(value) if value else ''}",
                        fmt["field"])
    else:
        ws.write_string(r, c0, layout.date_label, fmt["field"])
        gap = 2 if layout.date_at == "field_right2" else 1
        write_value(ws, r, c0 + gap, value, fmt["date"] if value else fmt["value"])
    return r + 1


def _contract_part(ws: Any, r: int, rows: list[Printed], part: str, pos: dict[str, int],
                   last: int, layout: ContractLayout, fill: ContractFill, fmt: dict[str, Any],
                   cat: TableCatalogue, written: Written) -> int:
    if part == "P1":
        for it in rows:
            _contract_item(ws, r, it, it.id.split("-")[1], pos, layout, fill, fmt, written)
            r += 1
        return r
    letters = list(dict.fromkeys(it.id.split("-")[0] for it in rows))
    for letter in letters:
        group_rows = [it for it in rows if it.id.startswith(letter + "-")]
        h = cat.groups.get(letter)
        name = h.name if h else "独自項目"
        if h and h.status != "verified" and layout.marks:
            name = f"{name} ※名称は再構成"
        start = r
        if layout.group_style == "one_cell":
            ws.merge_range(r, pos["ref"], r, pos["content"], f"{letter} {name}", fmt["group"])
            r += 1
        elif layout.group_style == "heading_row":
            ws.write_string(r, pos["ref"], letter, fmt["group"])
            ws.write_string(r, pos["title"], name, fmt["text"])
            r += 1
        for it in group_rows:
            n = it.id.split("-")[1]
            ref = _contract_ref(it.id, layout.ref_style) if layout.group_style == "every_row" else n
            _contract_item(ws, r, it, ref, pos, layout, fill, fmt, written)
            r += 1
        if layout.group_style == "left_column":
            text = f"{letter}\n{name}"
            if r - 1 > start:
                ws.merge_range(start, pos["group"], r - 1, pos["group"], text, fmt["group"])
            else:
                ws.write_string(start, pos["group"], text, fmt["group"])
    return r


def _contract_item(ws: Any, r: int, it: Printed, ref: str, pos: dict[str, int],
                   layout: ContractLayout, fill: ContractFill, fmt: dict[str, Any],
                   written: Written) -> None:
    ws.set_row(r, 42)
    ws.write_string(r, pos["ref"], ref, fmt["center"])
    ws.write_string(r, pos["title"], it.title, fmt["text"])
    write_text(ws, r, pos["content"], it.text, it.mark if layout.marks else "", fmt)
    value = fill.answers.get(it.id)
    if layout.split:
        marks = value if isinstance(value, dict) else {}
        for k in ("yes", "no"):
            write_value(ws, r, pos[k], marks.get(k, ""), fmt["center"])
        written.answer_cells[it.id] = (r, pos["yes"])
        written.no_cells[it.id] = (r, pos["no"])
    else:
        cell_fmt = {"plain": fmt["plain"], "strike": fmt["strike"], "center": fmt["center"]}
        if callable(value):
            value(ws, r, pos["answer"], cell_fmt)
        else:
            write_value(ws, r, pos["answer"], PRINTED_CHOICE if value is None else value,
                        fmt["center"])
        if layout.dropdown:
            ws.data_validation(r, pos["answer"], r, pos["answer"],
                               {"validate": "list", "source": ["はい", "いいえ"]})
        written.answer_cells[it.id] = (r, pos["answer"])
    done = fill.completed.get(it.id)
    write_value(ws, r, pos["completed"], EMPTY_DATE if done is None else done,
                fmt["date"] if isinstance(done, (dt.date, float, int)) else fmt["center"])
    if "remarks" in pos:
        ws.write_blank(r, pos["remarks"], None, fmt["text"])


# --------------------------------------------------------------------------------------------
# BCP table


@dataclass
class BcpLayout:
    """How a BCP table is laid out; the defaults are our template (official columns plus an
    added 確認欄 and 備考, since the official table prints no answer column)."""

    title: str | None = None
    notes: bool = True
    major_style: str = "merged"  # merged: one cell across the table | ref: 1 | 平時(…)
    major_definition: bool = True
    middle_column: bool = False  # a separate 中項目 column
    middle_ref: str = "first"  # first | every | merged
    middle_name: str = "first"  # first | every | ditto | merged
    answer_at: str = "right"  # right | left | none
    answer_header: str = "確認欄"  # "" = an unheaded column
    split: bool = False  # はい / いいえ columns (answer_at right only)
    date_column: bool = False
    remarks: bool = True
    fields_at: str = "top"  # top | bottom | none
    fields_style: str = "right"
    start_row: int = 0
    start_col: int = 0
    dropdown: list[str] | None = None
    marks: bool = True


@dataclass
class BcpFill:
    answers: dict[str, Any] = field(default_factory=dict)  # id -> value (or {"yes": "○"})
    dates: dict[str, Any] = field(default_factory=dict)
    remarks: dict[str, str] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


def bcp_items(cat: TableCatalogue | None = None) -> list[Printed]:
    """The catalogue's questions in printed order (``title`` holds the 中項目 number)."""
    cat = cat or load_table_catalogue("bcp")
    return [Printed(e.id, e.id.rsplit(".", 1)[0], e.text,
                    "" if e.wording_verified("text") else "※文言は再構成") for e in cat.entries]


def _bcp_columns(layout: BcpLayout) -> list[str]:
    cols = ["answer"] if layout.answer_at == "left" else []
    cols += ["ref", "major"] + (["middle"] if layout.middle_column else []) + ["question"]
    if layout.answer_at == "right":
        cols += ["yes", "no"] if layout.split else ["answer"]
    if layout.date_column:
        cols.append("date")
    if layout.remarks:
        cols.append("remarks")
    return cols


_BCP_WIDTH = {"answer": 10, "yes": 6, "no": 6, "ref": 6, "major": 30, "middle": 30,
              "question": 56, "date": 12, "remarks": 18}


def write_bcp(wb: Any, ws: Any, items: list[Printed], layout: BcpLayout | None = None,
              fill: BcpFill | None = None, cat: TableCatalogue | None = None,
              middle_names: dict[str, str] | None = None) -> Written:
    """Lay one BCP table out on an xlsxwriter worksheet, filled when ``fill`` is.

    ``items`` are printed in order; each ``Printed.title`` is its 中項目 number (``"1-1"``), so
    inserted questions simply sit in the list where they appear on paper.
    """
    layout, fill = layout or BcpLayout(), fill or BcpFill()
    cat = cat or load_table_catalogue("bcp")
    names = {k: h.name for k, h in cat.middles.items()} | (middle_names or {})
    fmt, pos, last, r = _begin(wb, ws, layout, _bcp_columns(layout), _BCP_WIDTH, cat)
    c0 = layout.start_col
    if layout.notes:
        for note in cat.notes:
            ws.write_string(r, c0, note, fmt["note"])
            r += 1
    r += 1
    if layout.fields_at == "top" and fill.fields:
        r = _write_fields(ws, r, pos["major"], fill.fields, layout.fields_style, fmt) + 1
    labels = {"answer": layout.answer_header, "yes": "はい", "no": "いいえ", "ref": "項番",
              "major": "大項目", "middle": "中項目", "question": "確認項目", "date": "確認日",
              "remarks": "備考"}
    ws.set_row(r, 24)
    for name, c in pos.items():
        ws.write_string(r, c, labels[name], fmt["head"])
    r += 1
    written = Written(sheet=ws.get_name())
    for n, h in cat.sections.items():
        r = _bcp_major(ws, r, n, h.name, h.definition, h.status, pos, last, layout, fmt)
        middles = list(dict.fromkeys(it.title for it in items if it.title.split("-")[0] == str(n)))
        for middle in middles:
            rows = [it for it in items if it.title == middle]
            r = _bcp_middle(ws, r, middle, names.get(middle, "独自の中項目"), rows, pos, layout, fill,
                            fmt, written, cat)
    if layout.fields_at == "bottom" and fill.fields:
        _write_fields(ws, r + 1, pos["major"], fill.fields, layout.fields_style, fmt)
    _finish(ws)
    return written


def _bcp_major(ws: Any, r: int, n: int, name: str, definition: str, status: str,
               pos: dict[str, int], last: int, layout: BcpLayout, fmt: dict[str, Any]) -> int:
    label = f"{name}（{definition}）" if layout.major_definition and definition else name
    if layout.marks and status != "verified" and layout.major_definition:
        label += " ※定義は再構成"
    if layout.major_style == "merged":
        ws.merge_range(r, pos["ref"], r, last, f"{n} {label}", fmt["part"])
    else:
        ws.write_string(r, pos["ref"], str(n), fmt["part"])
        end = pos["question"]
        ws.merge_range(r, pos["major"], r, end, label, fmt["part"])
    return r + 1


def _bcp_middle(ws: Any, r: int, middle: str, name: str, rows: list[Printed], pos: dict[str, int],
                layout: BcpLayout, fill: BcpFill, fmt: dict[str, Any], written: Written,
                cat: TableCatalogue) -> int:
    start = r
    name_col = pos["middle"] if layout.middle_column else pos["major"]
    status = cat.middles[middle].status if middle in cat.middles else "verified"  # ours
    shown = f"{name} ※名称は再構成" if layout.marks and status != "verified" else name
    for i, it in enumerate(rows):
        ws.set_row(r, 30)
        if layout.middle_ref == "every" or (layout.middle_ref == "first" and i == 0) or \
                (layout.middle_ref == "merged" and len(rows) == 1):
            ws.write_string(r, pos["ref"], middle, fmt["center"])
        elif layout.middle_ref == "first":
            ws.write_blank(r, pos["ref"], None, fmt["center"])
        if layout.middle_name == "every" or i == 0 and layout.middle_name != "merged" or \
                (layout.middle_name == "merged" and len(rows) == 1):
            ws.write_string(r, name_col, shown, fmt["text"])
        elif layout.middle_name == "ditto":
            ws.write_string(r, name_col, "〃", fmt["center"])
        elif layout.middle_name == "first":
            ws.write_blank(r, name_col, None, fmt["text"])
        if layout.middle_column:
            ws.write_blank(r, pos["major"], None, fmt["text"])
        write_text(ws, r, pos["question"], it.text, it.mark if layout.marks else "", fmt)
        _bcp_answer(ws, r, it, pos, layout, fill, fmt, written)
        r += 1
    if len(rows) > 1:
        if layout.middle_ref == "merged":
            ws.merge_range(start, pos["ref"], r - 1, pos["ref"], middle, fmt["center"])
        if layout.middle_name == "merged":
            ws.merge_range(start, name_col, r - 1, name_col, shown, fmt["text"])
    return r


def _bcp_answer(ws: Any, r: int, it: Printed, pos: dict[str, int], layout: BcpLayout,
                fill: BcpFill, fmt: dict[str, Any], written: Written) -> None:
    value = fill.answers.get(it.id, "")
    if "answer" in pos:
        write_value(ws, r, pos["answer"], value, fmt["center"])
        if layout.dropdown:
            ws.data_validation(r, pos["answer"], r, pos["answer"],
                               {"validate": "list", "source": list(layout.dropdown)})
        written.answer_cells[it.id] = (r, pos["answer"])
    elif "yes" in pos:
        marks = value if isinstance(value, dict) else {}
        for k in ("yes", "no"):
            write_value(ws, r, pos[k], marks.get(k, ""), fmt["center"])
        written.answer_cells[it.id] = (r, pos["yes"])
    if "date" in pos:
        write_value(ws, r, pos["date"], fill.dates.get(it.id, ""), fmt["date"])
    if "remarks" in pos:
        write_value(ws, r, pos["remarks"], fill.remarks.get(it.id, ""), fmt["text"])


# --------------------------------------------------------------------------------------------
# public template writers


def _template(path: str | Path, sheet: str, write: Any, note: str) -> Path:
    """Write one blank table with ``write(wb, ws)`` and a footnote; an unwritable ``path`` is
    an :class:`OSError` (the CLI's exit 3), never xlsxwriter's own exception."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet)
    write(wb, ws)
    _footnote(ws, wb, note)
    try:
        wb.close()
    except FileCreateError as exc:
        cause = exc.args[0] if exc.args else exc
        raise OSError(f"{path}: {getattr(cause, 'strerror', None) or cause}") from exc
    return path


def write_contract_template(path: str | Path) -> Path:
    """A blank contract role table (Part1 and Part2, はい・いいえ cells, 完了日 ( / ))."""
    fields = {"facility_name": "", "vendor_name": "", "system_name": "", "contract_name": ""}
    return _template(
        path, "役割分担確認表",
        lambda wb, ws: write_contract(wb, ws, contract_items(), ContractLayout(),
                                      ContractFill(fields=fields)),
        "※「※文言は再構成」などの印がある文言は公開資料から確認できなかったため再構成したものです。"
        "正式な様式の文言で上書きしてください。")


def write_bcp_template(path: str | Path) -> Path:
    """A blank BCP table with an added 確認欄 (済 / 未対応 / 検討中) and 備考 column."""
    return _template(
        path, "BCP確認表",
        lambda wb, ws: write_bcp(wb, ws, bcp_items(), BcpLayout(dropdown=["済", "未対応", "検討中"]),
                                 BcpFill(fields={"facility_name": "", "answered_on": ""})),
        "※確認欄・備考の列は記入用に追加したものです（公式の確認表には回答欄がありません）。"
        "「※文言は再構成」の印がある文言は再構成したものです。")


def _footnote(ws: Any, wb: Any, text: str) -> None:
    """A note under everything written so far (xlsxwriter keeps the used range)."""
    r = ws.dim_rowmax + 2 if ws.dim_rowmax is not None else 0
    ws.write_string(r, 0, text, formats(wb)["note"])


__all__ = ["write_contract_template", "write_bcp_template", "write_contract", "write_bcp",
           "ContractLayout", "ContractFill", "BcpLayout", "BcpFill", "Printed", "Written",
           "contract_items", "bcp_items"]
