"""Synthetic returned checklists, with the truth beside them.

Makes workbooks the way facilities and vendors really return the form (typed answers, marks,
deleted words, struck-through words, dropdowns, separate はい/いいえ columns, dates in every
common spelling, moved columns, inserted rows, one- or two-row headers, cut titles, fields in odd
places, cover sheets, several facilities per workbook) and returns what each answer truly is.
Used by the sample folder (``scripts/make_samples.py``), the tests and the benchmarks.

``random_spec(..., official_look=True)`` also makes copies that look like the ministry's own
file filled in: "Excel 方眼紙" grid of merged bordered cells, ＭＳ Ｐゴシック, print setup, a
記入要領 block, a 記入要領 sheet and the other variant's sheet left blank (shares in its
docstring). The default draws nothing extra, so existing seeds give the same copies.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from xltools.forms.catalogue import FormMapping, load_catalogue
from xltools.labels import VARIANT_JA
from xltools.output.templates import (
    Filled,
    Layout,
    write_checklist,
    write_instructions,
)

ANSWER_STYLES = ("typed", "marks", "deleted", "strike", "bracket", "dropdown", "yesno_en",
                 "split", "mixed")
DATE_STYLES = ("excel", "slash", "era", "era_short", "md", "paren", "kanji", "fullwidth", "serial")

FACILITIES = ["さくら総合病院", "医療法人社団 青葉会 青葉クリニック", "みなと薬局 本町店", "ひかり記念病院",
              "社会医療法人 若草会 若草病院", "たんぽぽ内科医院", "つばさ調剤薬局", "北斗メディカルセンター"]
VENDORS = ["株式会社メディシステム", "日本電子カルテ株式会社", "(株)レセプトワークス", "ネットケア株式会社"]
SYSTEMS = ["電子カルテシステム", "レセプトコンピュータ", "PACS", "院内ネットワーク", "調剤システム"]


@dataclass
class Truth:
    """What a generated sheet truly says."""

    path: str
    sheet: str
    form: str
    variant: str
    edition: str
    facility_name: str
    vendor_name: str = ""
    system_name: str = ""
    answers: dict[tuple[str, str, int], tuple[str, str, str]] = field(default_factory=dict)
    respondent: str = ""
    facility_code: str = ""
    # (item, scope, round) -> (answer, checked_on ISO, target_on ISO)


def _fmt_date(d: dt.date, style: str, fy: int) -> Any:
    era = d.year - 2018
    if style == "excel":
        return d
    if style == "serial":
        return float((d - dt.date(1899, 12, 30)).days)
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "era":
        return f"令和{era}年{d.month}月{d.day}日"
    if style == "era_short":
        return f"R{era}.{d.month}.{d.day}"
    if style == "md":
        return f"{d.month}月{d.day}日"
    if style == "paren":
        return f"( {d.month} / {d.day} )"
    if style == "kanji":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "fullwidth":
        return f"{d.year}/{d.month}/{d.day}".translate(str.maketrans("0123456789/", "０１２３４５６７８９／"))
    if style == "weekday":  # 2024/10/1(火): how a date copied from a calendar arrives
        return f"{d.year}/{d.month}/{d.day}（{'月火水木金土日'[d.weekday()]}）"
    if style == "era_weekday":
        return f"令和{era}年{d.month}月{d.day}日({'月火水木金土日'[d.weekday()]})"
    if style == "datetime":  # a date cell re-typed as text from Excel's display
        return f"{d.year}/{d.month}/{d.day} 0:00:00"
    raise ValueError(style)


def _date_text(d: dt.date, style: str) -> str:
    """A date as text inside an answer cell (no Excel date object possible there)."""
    if style in ("excel", "serial"):
        style = "paren"
    return str(_fmt_date(d, style, 0))


def _answer_value(answer: str, style: str, rng: random.Random, date_text: str) -> Any:
    """The cell content a person leaves for an answer in a given style."""
    if answer == "blank":
        return "はい・いいえ" + (f"\n{date_text}" if date_text else "") if style in (
            "deleted", "strike", "bracket") else ""
    if style == "mixed":
        style = rng.choice(("typed", "marks", "deleted", "bracket", "yesno_en"))
    yes = answer == "yes"
    suffix = f" {date_text}" if date_text else ""
    if style in ("typed", "dropdown"):
        return ("はい" if yes else "いいえ") + suffix
    if style == "marks":
        return rng.choice(("○", "〇", "◯", "✓", "レ")) + suffix if yes else rng.choice(("×", "✕")) + suffix
    if style == "yesno_en":
        return ("Yes" if yes else "No") + suffix
    if style == "deleted":
        return ("はい" if yes else "いいえ") + (f"\n{date_text}" if date_text else "")
    if style == "bracket":
        base = "【はい】・いいえ" if yes else "はい・【いいえ】"
        if rng.random() < 0.5:
            base = "○はい・いいえ" if yes else "はい・○いいえ"
        return base + (f"\n{date_text}" if date_text else "")
    if style == "strike":
        def writer(ws: Any, r: int, c: int, fmt: dict[str, Any]) -> None:
            parts = [fmt["plain"], "はい・", fmt["strike"], "いいえ"] if yes else \
                [fmt["strike"], "はい", fmt["plain"], "・いいえ"]
            if date_text:
                parts += [fmt["plain"], f"\n{date_text}"]
            ws.write_rich_string(r, c, *parts, fmt["center"])
        return writer
    raise ValueError(style)


@dataclass
class Spec:
    """One generated sheet: form edition, variant, layout, and how answers are written."""

    edition: str = "R7"
    variant: str = "hospital"
    layout: Layout = field(default_factory=Layout)
    answer_style: str = "typed"
    date_style: str = "slash"
    seed: int = 0
    p_no: float = 0.2
    p_blank: float = 0.04
    p_round2: float = 0.3
    facility_name: str = ""
    vendor_name: str = ""
    system_name: str = ""
    sheet_name: str = "Sheet1"
    # sheets of the official workbook kept in the return (official look): "instructions" = a
    # 記入要領 sheet first, "counterpart" = the other variant's form left blank after this one
    extra_sheets: tuple[str, ...] = ()


def official_sheet_name(edition: str, variant: str) -> str:
    """The sheet name the ministry's workbook gives a variant's form."""
    if edition >= "R8" and variant != "vendor":
        return "医療機関・薬局確認用"
    return VARIANT_JA[variant]


def counterpart(variant: str) -> str:
    """The other form of the same official workbook (facility <-> vendor)."""
    return "hospital" if variant == "vendor" else "vendor"


def make_answers(m: FormMapping, spec: Spec, rng: random.Random) -> tuple[Filled, dict]:
    """Random but plausible answers for every expected row, and their truth."""
    fy = m.fiscal_year
    filled = Filled()
    truth: dict[tuple[str, str, int], tuple[str, str, str]] = {}
    same_cell = (spec.layout.answer_date_same_cell if spec.layout.answer_date_same_cell is not None
                 else not m.date_column)
    split = spec.layout.split_yes_no
    same_cell = same_cell and not split  # marks-only columns leave no room for a date
    for item_id, scope in m.expected_rows(spec.variant):
        item = m.item(item_id)
        due_fy = item.target_fiscal_year or fy
        target = None
        for rnd in (1, 2):
            if rnd == 2 and rng.random() > spec.p_round2:
                truth[(item_id, scope, 2)] = ("blank", "", "")
                continue
            x = rng.random()
            p_no = 0.03 if item.gate else spec.p_no  # nearly every facility runs a system
            answer = "blank" if x < spec.p_blank else ("no" if x < spec.p_blank + p_no else "yes")
            checked = dt.date(fy, rng.randint(5, 12), rng.randint(1, 28)) if answer != "blank" else None
            if rnd == 2 and checked:
                checked = dt.date(fy + 1, rng.randint(1, 3), rng.randint(1, 28))
            if answer == "no" and target is None:
                target = dt.date(due_fy + 1, rng.randint(1, 3), rng.randint(1, 28))
            date_text = _date_text(checked, spec.date_style) if (checked and same_cell) else ""
            if split:
                mark = rng.choice(("○", "✓", "レ", "〇"))
                filled.answers[(item_id, scope, rnd)] = (
                    {"yes": mark} if answer == "yes" else {"no": mark} if answer == "no" else {})
            else:
                filled.answers[(item_id, scope, rnd)] = _answer_value(answer, spec.answer_style, rng, date_text)
            if checked and not same_cell:
                filled.dates[(item_id, scope, rnd)] = _fmt_date(checked, spec.date_style, fy)
            truth[(item_id, scope, rnd)] = (answer, checked.isoformat() if checked else "", "")
        if target is not None:
            filled.targets[(item_id, scope)] = _fmt_date(target, spec.date_style, fy)
            for rnd in (1, 2):
                a, c, _ = truth[(item_id, scope, rnd)]
                if rnd == 1 or a != "blank":
                    truth[(item_id, scope, rnd)] = (a, c, target.isoformat())
    return filled, truth


def write_sheet(wb: Any, spec: Spec, mappings: str | None = None) -> Truth:
    """Add one filled sheet to an xlsxwriter workbook; return its truth."""
    m = load_catalogue(mappings).get("checklist", spec.edition)
    rng = random.Random(spec.seed)
    filled, truth = make_answers(m, spec, rng)
    filled.fields = {"facility_name": spec.facility_name, "vendor_name": spec.vendor_name,
                     "system_name": spec.system_name, "respondent": "情報 太郎"}
    ws = wb.add_worksheet(spec.sheet_name)
    layout = spec.layout
    if spec.answer_style == "dropdown" and layout.dropdown is None:
        layout = replace(layout, dropdown=True)
    write_checklist(wb, ws, m, spec.variant, layout, filled)
    if "counterpart" in spec.extra_sheets:  # the official workbook's other form, left blank
        other = counterpart(spec.variant)
        blank = Layout(grid=layout.grid, notes=layout.notes, font=layout.font,
                       print_setup=layout.print_setup)
        write_checklist(wb, wb.add_worksheet(official_sheet_name(spec.edition, other)), m, other, blank)
    return Truth(path="", sheet=spec.sheet_name, form="checklist", variant=spec.variant,
                 edition=spec.edition, facility_name=spec.facility_name,
                 vendor_name=spec.vendor_name, system_name=spec.system_name, answers=truth)


def write_workbook(path: str | Path, specs: list[Spec], cover: bool = False,
                   mappings: str | None = None) -> list[Truth]:
    """Write one workbook of one or more filled sheets (and an optional cover sheet)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    if cover:
        ws = wb.add_worksheet("表紙")
        ws.write_string(0, 0, "サイバーセキュリティ対策チェックリスト 提出について")
        ws.write_string(2, 0, "本ファイルには回答を記入したシートが含まれています。")
    if specs and "instructions" in specs[0].extra_sheets:
        write_instructions(wb, wb.add_worksheet("記入要領"), specs[0].layout.grid, specs[0].layout.font)
    truths = [write_sheet(wb, spec, mappings) for spec in specs]
    wb.close()
    for t in truths:
        t.path = str(path)
    return truths


def random_spec(rng: random.Random, edition: str | None = None, variant: str | None = None,
                seed: int = 0, official_look: bool = False) -> Spec:
    """A plausible messy layout, as returned copies drift from the official one.

    With ``official_look`` (the default False draws nothing more from ``rng``, so existing
    seeds and corpora are unchanged), the copy is dressed the way returns of the ministry's own
    Excel file look. The shares are estimates from how the forms circulate (the official file is
    downloaded, filled in and e-mailed back; a minority re-type the items into their own sheet
    or export from another tool), not counts:

    * 80 % are the official file filled in (``Layout.grid`` 2 or 3: 方眼紙 grid of merged,
      bordered cells, ＭＳ Ｐゴシック / ＭＳ ゴシック / 游ゴシック, print area and title rows in
      90 %); half of those untouched in structure (official title, fields, two-row header,
      sections), the other half carrying the drifts drawn above (rows inserted, columns moved,
      titles cut ...). 70 % of them keep the 記入要領/注意事項 block (2/3 above the table), 50 %
      keep the 記入要領 sheet, 25 % keep the other variant's form as a blank sheet, and then the
      sheets keep their official names.
    * 20 % are re-typed copies: the messy plain layout above; 15 % paste the notes block, 30 %
      set a print area, 30 % use ＭＳ Ｐゴシック; no extra sheets.
    """
    edition = edition or rng.choice(("R5", "R6", "R7", "R8"))
    variant = variant or rng.choice(("hospital", "pharmacy", "vendor"))
    m = load_catalogue().get("checklist", edition)
    split = rng.random() < 0.12
    same_cell = (not m.date_column) if rng.random() < 0.8 else m.date_column
    layout = Layout(
        title=rng.choice([None, None, "", "サイバーセキュリティ対策チェックリスト",
                          m.variants[variant].title.replace("令和6年度版 ", "")]),
        label=rng.choice([None, None, ""]) if edition != "R8" else None,
        fields_style=rng.choice(("right", "colon", "below")),
        fields_at=rng.choice(("top", "top", "bottom")),
        header_rows=rng.choice((1, 2)),
        answer_date_same_cell=same_cell and not split,
        scope_style=rng.choice((None, None, "column")) if m.scope_style == "headings" else None,
        split_yes_no=split,
        blank_rows_between=rng.choice((0, 0, 3, 5)),
        note_rows=rng.random() < 0.3,
        start_row=rng.choice((0, 0, 1, 3)),
        start_col=rng.choice((0, 0, 1)),
        sections=rng.random() < 0.8,
        ref_in_text=rng.random() < 0.2,
    )
    facility = rng.choice(FACILITIES)
    if variant == "pharmacy" and "薬局" not in facility:
        facility = rng.choice([f for f in FACILITIES if "薬局" in f])
    if variant != "pharmacy" and "薬局" in facility:
        facility = rng.choice([f for f in FACILITIES if "薬局" not in f])
    style = "split" if split else rng.choice(
        ("typed", "marks", "deleted", "strike", "bracket", "dropdown", "yesno_en", "mixed"))
    spec = Spec(edition=edition, variant=variant, layout=layout, answer_style=style,
                date_style=rng.choice(DATE_STYLES), seed=seed,
                facility_name=facility,
                vendor_name=rng.choice(VENDORS) if variant == "vendor" else "",
                system_name=rng.choice(SYSTEMS) if variant == "vendor" else "",
                sheet_name=rng.choice(("Sheet1", "回答", "チェックリスト", "事業者確認用", f"{facility[:6]}")))
    return _official_look(spec, rng) if official_look else spec


def _official_look(spec: Spec, rng: random.Random) -> Spec:
    """Dress a drawn spec as a return of the official file (shares: :func:`random_spec`)."""
    lay = spec.layout
    if rng.random() < 0.8:  # the official file, filled in
        if rng.random() < 0.5:  # structure untouched
            lay = replace(lay, title=None, label=None, fields_style="right", fields_at="top",
                          header_rows=2, scope_style=None, blank_rows_between=0, note_rows=False,
                          start_row=0, start_col=0, sections=True, ref_in_text=False)
        lay = replace(lay, grid=rng.choice((2, 2, 3)),
                      font=rng.choices(("ＭＳ Ｐゴシック", "ＭＳ ゴシック", "游ゴシック"), (60, 15, 25))[0],
                      notes="" if rng.random() < 0.3 else rng.choice(("top", "top", "bottom")),
                      print_setup=rng.random() < 0.9)
        extra = tuple(x for x, p in (("instructions", 0.5), ("counterpart", 0.25)) if rng.random() < p)
        name = official_sheet_name(spec.edition, spec.variant) if extra else spec.sheet_name
        return replace(spec, layout=lay, extra_sheets=extra, sheet_name=name)
    lay = replace(lay, notes="top" if rng.random() < 0.15 else "", print_setup=rng.random() < 0.3,
                  font="ＭＳ Ｐゴシック" if rng.random() < 0.3 else None)
    return replace(spec, layout=lay)


def write_distinct(folder: str | Path, n: int, *, rng_seed: int, first_seed: int, stem: str,
                   name: str) -> Path:
    """``n`` ordinary returned checklists, one facility each (``{name}病院{i}`` or
    ``{name}薬局{i}``), so newest-wins never joins two of them."""
    folder = Path(folder)
    rng = random.Random(rng_seed)
    for i in range(n):
        spec = random_spec(rng, seed=first_seed + i)
        spec.facility_name = f"{name}{'薬局' if spec.variant == 'pharmacy' else '病院'}{i}"
        write_workbook(folder / f"{stem}{i}.xlsx", [spec])
    return folder
