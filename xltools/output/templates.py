"""Blank checklist templates, generated from the mappings (so templates and mappings cannot drift).

``write_checklist`` lays one form out on a worksheet; :mod:`xltools.synth` reuses it with other
layout knobs and filled answers to make realistic returned copies for demos, tests and
benchmarks. The official layout is the default :class:`Layout`.

Official-look knobs (all off by default, so existing layouts are written byte for byte as
before): ``grid`` lays the sheet out "Excel 方眼紙" style the way ministry forms are drawn (every
column narrow, each logical cell a bordered merged range over several grid columns), ``notes``
adds a block of long 記入要領 / 注意事項 text above or below the table, ``font`` sets the
typeface (ＭＳ Ｐゴシック etc.), ``print_setup`` sets a print area, repeated header rows and
hidden gridlines. :func:`write_instructions` writes a separate 記入要領 sheet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltools.forms.catalogue import FormMapping, Item, load_catalogue
from xltools.labels import VARIANT_JA

SCOPE_HEADINGS = {"server": "サーバについて", "terminal": "端末PCについて",
                  "network": "ネットワーク機器について", "all": "医療情報システム全般について"}
SCOPE_LABELS = {"server": "サーバ", "terminal": "端末PC", "network": "ネットワーク機器",
                "all": "医療情報システム全般"}
PRINTED_CHOICE = "はい・いいえ"


@dataclass
class Layout:
    """How a sheet is laid out. Defaults = the official layout of the edition."""

    title: str | None = None  # None: the mapping's title; "" = no title row
    label: str | None = None  # variant label printed top-right; None: official
    fields_style: str = "right"  # right | colon | below
    fields_at: str = "top"  # top | bottom
    field_names: tuple[str, ...] = ()  # which header fields to print; () = official set
    header_rows: int = 2  # 1 or 2
    columns: tuple[str, ...] = ()  # order of answer-table columns; () = official
    answer_date_same_cell: bool | None = None  # None: R5/R6 yes, R7+ no
    scope_style: str | None = None  # headings | label | column; None: mapping's
    split_yes_no: bool = False  # separate はい / いいえ columns with a mark under one
    blank_rows_between: int = 0  # extra empty rows after every N-th item
    note_rows: bool = False  # instruction rows inside the table
    start_row: int = 0
    start_col: int = 0
    sections: bool = True  # print section heading rows
    ref_in_text: bool = False  # "2-(4) 利用者の…" in one cell, no 項番 column
    dropdown: bool | None = None  # list validation on answer cells; None: R8 yes
    col_widths: dict[str, float] = field(default_factory=dict)
    # official-look knobs (see the module docstring); defaults write exactly the plain layout
    grid: int = 0  # 0 = one sheet column per logical column; k >= 2 = 方眼紙: >= k narrow columns each
    notes: str = ""  # "" | "top" | "bottom": a block of long instruction text beside the table
    font: str | None = None  # None = 游ゴシック 10 pt; e.g. "ＭＳ Ｐゴシック" (11 pt, as official forms)
    print_setup: bool = False  # print area, repeated header rows, gridlines hidden


def _official_columns(m: FormMapping, layout: Layout) -> tuple[str, ...]:
    if layout.columns:
        return layout.columns
    same = layout.answer_date_same_cell if layout.answer_date_same_cell is not None else not m.date_column
    cols: list[str] = ["ref", "item"] if not layout.ref_in_text else ["item"]
    if (layout.scope_style or m.scope_style) == "column":
        cols.insert(len(cols) - 1, "scope")
    for rnd in (1, 2):
        if layout.split_yes_no:
            cols += [f"yes{rnd}", f"no{rnd}"]
        else:
            cols.append(f"answer{rnd}")
        if not same:
            cols.append(f"date{rnd}")
    cols += ["target", "remarks"]
    return tuple(cols)


_HEAD2 = {  # (top, bottom) header texts for a two-row header
    "ref": ("項番", None), "item": ("確認事項", None), "scope": ("対象", None),
    "answer1": ("1回目", "はい・いいえ"), "answer2": ("2回目", "はい・いいえ"),
    "date1": ("1回目", "確認日"), "date2": ("2回目", "確認日"),
    "yes1": ("1回目", "はい"), "no1": ("1回目", "いいえ"), "yes2": ("2回目", "はい"),
    "no2": ("2回目", "いいえ"), "target": ("目標日", None), "remarks": ("備考", None),
}
_HEAD1 = {
    "ref": "項番", "item": "確認事項", "scope": "対象", "answer1": "1回目（はい・いいえ）",
    "answer2": "2回目（はい・いいえ）", "date1": "1回目確認日", "date2": "2回目確認日",
    "yes1": "1回目はい", "no1": "1回目いいえ", "yes2": "2回目はい", "no2": "2回目いいえ",
    "target": "目標日", "remarks": "備考",
}
_WIDTH = {"ref": 7, "item": 58, "scope": 14, "answer": 14, "date": 12, "yes": 7, "no": 7,
          "target": 12, "remarks": 18}


def _kind(col: str) -> str:
    return col.rstrip("12")


def default_fields(variant: str) -> tuple[str, ...]:
    if variant == "vendor":
        return ("facility_name", "vendor_name", "system_name", "respondent")
    return ("facility_name", "respondent")


FIELD_LABELS = {"facility_name": "医療機関名", "vendor_name": "事業者名", "system_name": "システム名",
                "respondent": "回答者", "facility_code": "医療機関コード", "answered_on": "記入日"}


@dataclass
class Filled:
    """Answers to write into a laid-out sheet (synth, fill)."""

    answers: dict[tuple[str, str, int], Any] = field(default_factory=dict)  # cell value or writer
    dates: dict[tuple[str, str, int], Any] = field(default_factory=dict)
    targets: dict[tuple[str, str], Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    field_labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Written:
    """Where things went: (item, scope, round) -> answer cell (row, col), for fill and tests."""

    answer_cells: dict[tuple[str, str, int], tuple[int, int]] = field(default_factory=dict)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)


def scope_label(scope: str) -> str:
    return "、".join(SCOPE_LABELS[s] for s in scope.split("+"))


def _rows(m: FormMapping, variant: str, scope_style: str) -> list[tuple[str, Any]]:
    """The printed sequence: ('section', n) / ('heading', scope) / ('item', (item, scope))."""
    items = m.items_for(variant)
    out: list[tuple[str, Any]] = []
    for sec in sorted({it.section for it in items}):
        out.append(("section", sec))
        sec_items = [it for it in items if it.section == sec]
        if scope_style != "headings":
            out += [("item", (it, sc)) for it in sec_items for sc in it.scopes]
            continue
        general = [(it, sc) for it in sec_items for sc in it.scopes if sc == "all"]
        out += [("item", x) for x in general]
        for scope in ("server", "terminal", "network"):
            rows = [(it, sc) for it in sec_items for sc in it.scopes if sc == scope]
            if rows:
                out.append(("heading", scope))
                out += [("item", x) for x in rows]
    return out


def write_checklist(wb: Any, ws: Any, m: FormMapping, variant: str, layout: Layout | None = None,
                    filled: Filled | None = None) -> Written:
    """Lay one checklist out on an xlsxwriter worksheet; fill answers when given."""
    layout = layout or Layout()
    filled = filled or Filled()
    fmt = _formats(wb, layout.font)
    cols = _official_columns(m, layout)
    scope_style = layout.scope_style or m.scope_style
    same_cell = layout.answer_date_same_cell if layout.answer_date_same_cell is not None else not m.date_column
    dropdown = layout.dropdown if layout.dropdown is not None else m.edition >= "R8"
    c0 = layout.start_col
    pos = {name: c0 + i for i, name in enumerate(cols)}
    grid = _Grid.build(ws, layout, cols, c0) if layout.grid else None
    sheet = grid or ws  # everything below writes logical cells through this
    if grid is None:
        for name, c in pos.items():
            ws.set_column(c, c, layout.col_widths.get(name, _WIDTH[_kind(name)]))
    r = layout.start_row
    title = m.variants[variant].title if layout.title is None else layout.title
    label = VARIANT_JA.get(variant, "") if layout.label is None else layout.label
    if m.edition >= "R8" and variant != "vendor" and layout.label is None:
        label = "医療機関・薬局確認用"
    last = c0 + len(cols) - 1
    if label:
        sheet.write_string(r, last, label, fmt["label"])
        r += 1
    if title:
        sheet.merge_range(r, c0, r, last, title, fmt["title"])
        ws.set_row(r, 24)
        r += 2
    names = layout.field_names or default_fields(variant)
    if layout.fields_at == "top":
        r = _write_fields(sheet, r, c0, names, layout, filled, fmt) + 1
    if layout.notes == "top":
        r = _write_notes(sheet, r, c0, last, variant, cols, layout, fmt) + 1
    head_top = r
    r = _write_header(sheet, r, cols, pos, layout, fmt)
    head_bottom = r - 1
    written = Written()
    n_item = 0
    for kind, payload in _rows(m, variant, scope_style):
        if kind == "section":
            if layout.sections:
                sheet.merge_range(r, c0, r, last, f"{payload} {m.sections.get(payload, '')}", fmt["section"])
                r += 1
            continue
        if kind == "heading":
            sheet.merge_range(r, c0, r, last, SCOPE_HEADINGS[payload], fmt["heading"])
            r += 1
            continue
        it, scope = payload
        _write_item_row(sheet, r, it, scope, variant, m, cols, pos, layout, filled, fmt, same_cell,
                        dropdown, scope_style, written)
        r += 1
        n_item += 1
        if layout.blank_rows_between and n_item % layout.blank_rows_between == 0:
            r += 1
        if layout.note_rows and n_item == 3:
            sheet.write_string(r, pos["item"], "※「いいえ」の場合は目標日を記入してください", fmt["note"])
            r += 1
    if layout.fields_at == "bottom":
        r = _write_fields(sheet, r + 1, c0, names, layout, filled, fmt)
    if layout.notes == "bottom":
        r = _write_notes(sheet, r + 1, c0, last, variant, cols, layout, fmt)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    if layout.print_setup:
        first_col, last_col = (grid.first[c0], grid.last[last]) if grid else (c0, last)
        ws.print_area(layout.start_row, first_col, max(r, head_bottom + 1), last_col)
        ws.repeat_rows(head_top, head_bottom)
        ws.hide_gridlines(2)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&C&P / &N")
    if grid is not None:  # callers address real cells: the top-left cell of each merged range
        written.answer_cells = {k: (rr, grid.first[cc]) for k, (rr, cc) in written.answer_cells.items()}
    return written


GRID_WIDTH = 2.63  # 方眼紙: a column about as wide as a default row is high
GRID_ITEM_WIDTH = 40  # 確認事項 on the grid forms: ~40 characters, wrapped onto two lines


class _Grid:
    """An xlsxwriter worksheet seen through logical columns, laid out "Excel 方眼紙" style.

    Logical column ``c`` (as :func:`write_checklist` numbers them) covers the narrow sheet
    columns ``first[c]..last[c]``: at least ``layout.grid`` of them, more for wide columns so the
    printed widths stay those of the plain layout (確認事項 narrower, ≈ 15 grid columns, as the
    ministry's forms wrap it; a R7 form is ≈ 49 grid columns wide, A–AW). Every write goes to
    the top-left cell of a bordered merged range over the span, as on the ministry's forms; margin
    columns left of the table stay one grid column each. Methods not listed pass through.
    """

    def __init__(self, ws: Any, first: dict[int, int], last: dict[int, int]) -> None:
        self.ws, self.first, self.last = ws, first, last

    @classmethod
    def build(cls, ws: Any, layout: Layout, cols: tuple[str, ...], c0: int) -> _Grid:
        first, last = {c: c for c in range(c0)}, {c: c for c in range(c0)}
        g = c0
        for i, name in enumerate(cols):
            width = layout.col_widths.get(name, GRID_ITEM_WIDTH if name == "item" else _WIDTH[_kind(name)])
            span = max(layout.grid, round(width / GRID_WIDTH))
            first[c0 + i], last[c0 + i] = g, g + span - 1
            g += span
        ws.set_column(0, g + 1, GRID_WIDTH)  # the whole form area is the grid
        return cls(ws, first, last)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ws, name)

    def _merge(self, r: int, c: int, f: Any) -> int:
        g0, g1 = self.first[c], self.last[c]
        if g1 > g0:
            self.ws.merge_range(r, g0, r, g1, "", f)
        return g0

    def merge_range(self, r1: int, c1: int, r2: int, c2: int, data: Any, f: Any = None) -> None:
        g0, g1 = self.first[c1], self.last[c2]
        if r1 == r2 and g0 == g1:
            self.ws.write(r1, g0, data, f)
        else:
            self.ws.merge_range(r1, g0, r2, g1, data, f)

    def write_string(self, r: int, c: int, s: str, f: Any = None) -> None:
        self.merge_range(r, c, r, c, s, f)

    def write_blank(self, r: int, c: int, _blank: Any = None, f: Any = None) -> None:
        self.merge_range(r, c, r, c, "", f)

    def write_number(self, r: int, c: int, x: float, f: Any = None) -> None:
        self.ws.write_number(r, self._merge(r, c, f), x, f)

    def write_datetime(self, r: int, c: int, d: Any, f: Any = None) -> None:
        self.ws.write_datetime(r, self._merge(r, c, f), d, f)

    def write_rich_string(self, r: int, c: int, *parts: Any) -> None:
        f = parts[-1] if parts and not isinstance(parts[-1], str) and len(parts) % 2 == 1 else None
        self.ws.write_rich_string(r, self._merge(r, c, f), *parts)

    def data_validation(self, r1: int, c1: int, r2: int, c2: int, options: dict) -> None:
        self.ws.data_validation(r1, self.first[c1], r2, self.last[c2], options)


NOTES_TITLE = "【記入要領】"
NOTES = (
    "1．本チェックリストは、「医療機関におけるサイバーセキュリティ対策チェックリストマニュアル"
    "～医療機関・事業者向け～」を参照しながら記入してください。各項目の考え方や確認の方法はマニュアルに"
    "記載しています。",
    "2．各項目について、対策が実施できている場合は「はい」、実施できていない場合は「いいえ」を選択し、"
    "確認した日付を確認日の欄に記入してください（例：2025/6/1）。",
    "3．「いいえ」の項目については、対応する予定の時期を目標日の欄に記入してください。令和７年度中の対応が"
    "求められる項目と、令和９年度までに対応すればよい項目（二要素認証）があります。",
    "4．1回目の確認の後、「いいえ」の項目について対応が完了した時点で2回目の確認を行い、結果と確認日を"
    "2回目の欄に記入してください。",
    "5．医療情報システムの提供事業者に確認が必要な項目は、事業者確認用のチェックリストを事業者に記入して"
    "いただき、その結果を踏まえて記入してください。",
    "6．本チェックリストは、医療法第25条第1項の規定に基づく立入検査の際に提示を求めることがあります。"
    "記入後は適切に保管してください。",
)
CAUTIONS_TITLE = "【注意事項】"
CAUTIONS = (
    "※ サーバ、端末PC、ネットワーク機器のそれぞれについて確認してください。該当する機器がない場合は"
    "備考欄にその旨を記入してください。",
    "※ 本様式の行・列の追加や削除、シート名の変更、セルの結合の解除は行わないでください。集計に支障が"
    "生じることがあります。",
    "※ 記入に当たって不明な点がある場合は、所管の保健所又は都道府県の医療安全担当部署にお問い合わせください。",
)


def _note_height(text: str, width_chars: float, per_line: float = 13.5) -> float:
    """Row height for wrapped text: a full-width character takes about two width units."""
    lines = max(1, -(-int(len(text) * 2) // max(1, int(width_chars))))
    return per_line * lines + 3


def _write_notes(sheet: Any, r: int, c0: int, last: int, variant: str, cols: tuple[str, ...],
                 layout: Layout, fmt: dict[str, Any]) -> int:
    """The official forms' instruction block: 記入要領 and 注意事項, each paragraph one merged row."""
    width = sum(layout.col_widths.get(n, _WIDTH[_kind(n)]) for n in cols)
    for heading, paras in ((NOTES_TITLE, NOTES), (CAUTIONS_TITLE, CAUTIONS)):
        sheet.merge_range(r, c0, r, last, heading, fmt["notes_head"])
        r += 1
        for text in paras:
            if variant == "vendor":
                text = text.replace("事業者確認用のチェックリストを事業者に記入していただき",
                                    "医療機関確認用のチェックリストと併せて医療機関に提出し")
            sheet.merge_range(r, c0, r, last, text, fmt["notes"])
            sheet.set_row(r, _note_height(text, width))
            r += 1
    return r


def write_instructions(wb: Any, ws: Any, grid: int = 0, font: str | None = None) -> None:
    """An instructions sheet (記入要領) as the official workbooks carry beside the forms."""
    fmt = _formats(wb, font)
    span = 36 if grid else 1
    if grid:
        ws.set_column(0, span + 1, GRID_WIDTH)
    else:
        ws.set_column(0, 0, 100)

    def put(r: int, text: str, f: Any, height: float | None = None) -> None:
        if span > 1:
            ws.merge_range(r, 0, r, span - 1, text, f)
        else:
            ws.write_string(r, 0, text, f)
        if height:
            ws.set_row(r, height)

    put(0, "医療機関におけるサイバーセキュリティ対策チェックリスト　記入要領", fmt["title"], 24)
    r = 2
    for heading, paras in ((NOTES_TITLE, NOTES), (CAUTIONS_TITLE, CAUTIONS)):
        put(r, heading, fmt["notes_head"])
        r += 1
        for text in paras:
            put(r, text, fmt["notes"], _note_height(text, span * GRID_WIDTH if grid else 100))
            r += 1
        r += 1
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.hide_gridlines(2)


def _formats(wb: Any, font: str | None = None) -> dict[str, Any]:
    caches = getattr(wb, "_xltools_formats_by_font", None)
    if caches is None:
        caches = wb._xltools_formats_by_font = {}
    cache = caches.get(font)
    if cache is None:
        base = {"font_name": font or "游ゴシック", "font_size": 11 if font else 10, "valign": "vcenter"}
        cache = {
            "title": wb.add_format({**base, "bold": True, "font_size": 14, "align": "center"}),
            "label": wb.add_format({**base, "bold": True, "border": 1, "align": "center"}),
            "head": wb.add_format({**base, "bold": True, "border": 1, "align": "center",
                                   "text_wrap": True, "bg_color": "#D9E1F2"}),
            "section": wb.add_format({**base, "bold": True, "border": 1, "bg_color": "#EDEDED"}),
            "heading": wb.add_format({**base, "bold": True, "border": 1}),
            "text": wb.add_format({**base, "border": 1, "text_wrap": True}),
            "center": wb.add_format({**base, "border": 1, "align": "center", "text_wrap": True}),
            "date": wb.add_format({**base, "border": 1, "align": "center", "num_format": "yyyy/m/d"}),
            "field": wb.add_format({**base, "bold": True}),
            "value": wb.add_format({**base, "bottom": 1}),
            "note": wb.add_format({**base, "font_size": 9, "italic": True}),
            "strike": wb.add_format({**base, "font_strikeout": True}),
            "plain": wb.add_format(base),
        }
        cache["notes_head"] = wb.add_format({**base, "bold": True})  # unused formats are not written
        cache["notes"] = wb.add_format({**base, "text_wrap": True, "valign": "top", "border": 1})
        caches[font] = cache
    return cache


def _write_fields(ws: Any, r: int, c0: int, names: tuple[str, ...], layout: Layout,
                  filled: Filled, fmt: dict[str, Any]) -> int:
    for name in names:
        label = filled.field_labels.get(name, FIELD_LABELS[name])
        value = filled.fields.get(name, "")
        if layout.fields_style == "colon":
            ws.write_string(r, c0 + 1, f"{label}：{value}", fmt["field"])
        elif layout.fields_style == "below":
            ws.write_string(r, c0 + 1, label, fmt["field"])
            r += 1
            ws.write_string(r, c0 + 1, value, fmt["value"])
        else:
            ws.write_string(r, c0 + 1, label, fmt["field"])
            ws.write_string(r, c0 + 2, value, fmt["value"])
        r += 1
    return r


def _write_header(ws: Any, r: int, cols: tuple[str, ...], pos: dict[str, int], layout: Layout,
                  fmt: dict[str, Any]) -> int:
    if layout.header_rows == 1:
        for name in cols:
            ws.write_string(r, pos[name], _HEAD1[name], fmt["head"])
        return r + 1
    done: set[str] = set()
    for i, name in enumerate(cols):
        top, bottom = _HEAD2[name]
        c = pos[name]
        if bottom is None:
            ws.merge_range(r, c, r + 1, c, top, fmt["head"])
            continue
        if top not in done:
            span = [pos[n] for n in cols[i:] if _HEAD2[n][0] == top and _HEAD2[n][1]]
            # contiguous run of columns sharing the same top label
            end = c
            for cc in span:
                if cc == end + 1 or cc == c:
                    end = cc
            if end > c:
                ws.merge_range(r, c, r, end, top, fmt["head"])
            else:
                ws.write_string(r, c, top, fmt["head"])
            done.add(top)
        ws.write_string(r + 1, c, bottom, fmt["head"])
    return r + 2


def _item_text(it: Item, scope: str, variant: str, m: FormMapping, layout: Layout,
               scope_style: str) -> str:
    text = it.text_for(variant)
    if layout.ref_in_text:
        text = f"{it.ref} {text}"
    if scope_style == "label" and scope != "all":
        text = f"{text}（{scope_label(scope)}）"
    return text


def _write_item_row(ws: Any, r: int, it: Item, scope: str, variant: str, m: FormMapping,
                    cols: tuple[str, ...], pos: dict[str, int], layout: Layout, filled: Filled,
                    fmt: dict[str, Any], same_cell: bool, dropdown: bool, scope_style: str,
                    written: Written) -> None:
    ws.set_row(r, 30)
    for name in cols:
        c = pos[name]
        k = _kind(name)
        rnd = int(name[-1]) if name[-1] in "12" else 0
        if k == "ref":
            ws.write_string(r, c, it.ref, fmt["center"])
        elif k == "item":
            ws.write_string(r, c, _item_text(it, scope, variant, m, layout, scope_style), fmt["text"])
        elif k == "scope":
            ws.write_string(r, c, scope_label(scope), fmt["center"])
        elif k == "answer":
            written.answer_cells[(it.id, scope, rnd)] = (r, c)
            value = filled.answers.get((it.id, scope, rnd))
            _write_answer(ws, r, c, value, fmt, same_cell and not dropdown)
            if dropdown:
                ws.data_validation(r, c, r, c, {"validate": "list", "source": ["はい", "いいえ"]})
        elif k in ("yes", "no"):
            written.answer_cells[(it.id, scope, rnd)] = (r, c)
            value = filled.answers.get((it.id, scope, rnd))
            mark = value.get(k) if isinstance(value, dict) else None
            _write_value(ws, r, c, mark or "", fmt["center"])
        elif k == "date":
            _write_value(ws, r, c, filled.dates.get((it.id, scope, rnd), ""), fmt["date"])
        elif k == "target":
            _write_value(ws, r, c, filled.targets.get((it.id, scope), ""), fmt["date"])
        else:
            ws.write_blank(r, c, None, fmt["text"])
    written.rows[(it.id, scope)] = r


def _write_value(ws: Any, r: int, c: int, value: Any, f: Any) -> None:
    if isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(r, c, value if isinstance(value, dt.datetime)
                          else dt.datetime.combine(value, dt.time()), f)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, f)
    elif value == "" or value is None:
        ws.write_blank(r, c, None, f)
    else:
        ws.write_string(r, c, str(value), f)


def _write_answer(ws: Any, r: int, c: int, value: Any, fmt: dict[str, Any], printed: bool) -> None:
    """An answer cell: a value, a rich string (struck word), or the printed choice."""
    if callable(value):
        value(ws, r, c, fmt)
        return
    if value is None:
        value = PRINTED_CHOICE + "\n（　/　）" if printed else ""
    _write_value(ws, r, c, value, fmt["center"])


def write_template(path: str | Path, form: str = "checklist", edition: str = "R8",
                   variant: str = "hospital", mappings: str | None = None) -> Path:
    """Write a blank official-style workbook for one edition and variant."""
    import xlsxwriter

    m = load_catalogue(mappings).get(form, edition)
    if variant not in m.variants:
        raise ValueError(f"{form} {edition} has no variant {variant!r}; known: {sorted(m.variants)}")
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(VARIANT_JA.get(variant, variant) if edition < "R8" or variant == "vendor"
                          else "医療機関・薬局確認用")
    write_checklist(wb, ws, m, variant)
    wb.close()
    return path
