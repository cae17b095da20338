"""Synthetic returned copies of the contract role table and the BCP table, with the truth.

Both tables only exist as PDFs, so every copy that arrives is someone's re-keying. This module
makes such copies in the layouts ``docs/tables.md`` lists (groups as heading rows, in one cell,
in a merged column left of 項番 or in every 項番; the 初回確認 date in the column header or as a
header field; BCP 中項目 numbers and names on the first row, every row, merged or 〃; the added
answer column right of 確認項目 or left of 項番, headed or not) with every answer encoding the
checklist reader supports, items the catalogue does not know, and the truth of each answer.
Used by the tests and benchmarks (:func:`score_tables` measures the reader against it).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from testkit.evaluate import Score, score
from testkit.synth import Truth, _answer_value, _fmt_date
from xltools.forms.table_catalogue import load_table_catalogue
from xltools.output.table_templates import (
    BcpFill,
    BcpLayout,
    ContractFill,
    ContractLayout,
    Printed,
    bcp_items,
    contract_items,
    write_bcp,
    write_contract,
)

CONTRACT_ANSWER_STYLES = ("typed", "marks", "deleted", "strike", "bracket", "dropdown", "yesno_en",
                          "split", "shape", "mixed")
BCP_ANSWER_STYLES = ("tick", "yesno", "done", "status", "checkbox", "split", "mixed")
DATE_STYLES = ("excel", "serial", "slash", "era", "era_short", "md", "paren", "kanji", "fullwidth")
FULL_DATE_STYLES = ("excel", "slash", "era", "era_short", "kanji", "fullwidth")
GROUP_STYLES = ("one_cell", "heading_row", "left_column", "every_row")
REF_STYLES = ("A-1", "Ａ－１", "A1", "A‐1")
DATE_AT = ("header", "field_colon", "field_right", "field_right2")
DATE_LABELS = ("初回確認日", "初回確認（日付）", "初回協議日")
ANSWER_HEADERS = ("チェック", "確認", "対応状況", "確認欄", "回答", "", "✓", "策定状況")

FACILITIES = ("さくら総合病院", "ひかり記念病院", "たんぽぽ内科医院", "北斗メディカルセンター",
              "若草病院", "青葉クリニック", "みなと薬局", "つばさ調剤薬局")
VENDORS = ("株式会社メディシステム", "日本電子カルテ株式会社", "(株)レセプトワークス", "ネットケア株式会社")
SYSTEMS = ("電子カルテシステム", "レセプトコンピュータ", "PACS", "院内ネットワーク", "調剤システム")
TICKS = ("✓", "✔", "○", "〇", "レ", "☑", "●")

EXTRA_CONTRACT = (  # items a catalogue does not know (a later revision, or the parties' own)
    Printed("P1-6", "委託範囲の確認", "医療情報システムの保守・運用の委託範囲を確認する。"),
    Printed("C-4", "訓練への参加", "インシデント対応訓練に事業者も参加する。"),
    Printed("D-1", "クラウドサービスの利用", "クラウドサービスの所在地と準拠法を確認する。"),
    Printed("D-2", "監査への協力", "医療機関による監査への協力方法を取り決める。"),
)
EXTRA_BCP = {  # middle -> questions inserted (position, text)
    "1-1": (2, "医療機器のネットワーク接続状況を把握できているか。"),
    "1-2": (1, "情報セキュリティ担当者が任命されているか。"),
    "5-5": (2, "事業者との再発防止策の実施状況を確認する体制があるか。"),
}
NEW_MIDDLE = ("5-7", "独自の確認事項", "BCPの定期的な見直し時期が定められているか。")


@dataclass
class TableTruth(Truth):
    """A :class:`~xltools.synth.Truth` plus each contract item's 完了日 (ISO or "")."""

    completed: dict[tuple[str, str, int], str] = field(default_factory=dict)


@dataclass
class ContractSpec:
    """One generated contract table sheet."""

    layout: ContractLayout = field(default_factory=ContractLayout)
    answer_style: str = "typed"
    completed_style: str = "slash"
    checked_style: str = "slash"  # how the 初回確認 date is written
    seed: int = 0
    p_no: float = 0.3
    p_blank: float = 0.04
    extra_items: bool = False
    reword: bool = False  # reconstructed wording printed differently (as a real copy would)
    drop: tuple[str, ...] = ()  # item ids deleted from the copy
    names_in: str = "fields"  # fields | filename
    facility_name: str = "さくら総合病院"
    vendor_name: str = "株式会社メディシステム"
    system_name: str = "電子カルテシステム"
    checked_on: dt.date | None = dt.date(2025, 10, 28)
    sheet_name: str = "確認表"
    # item id -> (answer, 完了日 or None): answers fixed instead of drawn (the same contract's
    # other copy); items not named are drawn as usual
    forced: dict[str, tuple[str, dt.date | None]] = field(default_factory=dict)


@dataclass
class BcpSpec:
    """One generated BCP table sheet."""

    layout: BcpLayout = field(default_factory=BcpLayout)
    answer_style: str = "tick"
    date_style: str = "slash"
    seed: int = 0
    p_no: float = 0.25
    p_blank: float = 0.04
    inserted: bool = False  # questions the catalogue does not know, in known 中項目 and a new one
    reword: bool = False
    drop: tuple[str, ...] = ()
    names_in: str = "fields"
    facility_name: str = "さくら総合病院"
    sheet_name: str = "BCP確認表"


@dataclass
class _Drawn:
    """Marks to draw after the workbook is closed (xlsxwriter cannot draw them)."""

    sheet: str
    ellipses: list[tuple[tuple[int, int], str]] = field(default_factory=list)  # cell, word
    checkboxes: list[tuple[tuple[int, int], bool]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# contract


def _rephrase(text: str) -> str:
    """A different wording of a reconstructed text (the real form's, as far as we know)."""
    return f"{text[:4]}について双方で確認し、必要な対応を取り決めている。"


def retype(text: str, rng: random.Random) -> str:
    """The small drift of re-keyed text: no final 。, full-width letters, spaces, brackets."""
    choice = rng.randrange(6)
    if choice == 0:
        return text.rstrip("。")
    if choice == 1:
        return text.replace("PC", "ＰＣ").replace("(", "（").replace(")", "）")
    if choice == 2:
        return text.replace("、", "、 ")
    if choice == 3:
        return text.replace("、", ",")
    return text


def _contract_printed(spec: ContractSpec, rng: random.Random) -> list[Printed]:
    cat = load_table_catalogue("contract")
    items = []
    for it in contract_items(cat):
        if it.id in spec.drop:
            continue
        e = cat.entry(it.id)
        if spec.reword and e is not None and not e.wording_verified("text") and rng.random() < 0.5:
            it = replace(it, text=_rephrase(it.text), mark="")
        items.append(replace(it, title=retype(it.title, rng), text=retype(it.text, rng)))
    if spec.extra_items:
        for extra in EXTRA_CONTRACT:
            if rng.random() < 0.75:
                items.append(extra)
    order = {"P1": 0}
    items.sort(key=lambda p: (order.get(p.id.split("-")[0], 1), p.id.split("-")[0],
                              int(p.id.split("-")[1])))
    return items


def _contract_answer(answer: str, spec: ContractSpec, rng: random.Random) -> Any:
    style = spec.answer_style
    if style == "split":
        mark = rng.choice(("○", "✓", "レ", "〇"))
        return {"yes": mark} if answer == "yes" else {"no": mark} if answer == "no" else {}
    if style == "shape":
        return None  # the printed はい・いいえ; the ellipse is drawn later
    return _answer_value(answer, style, rng, "")


def _checked_text(d: dt.date, style: str) -> Any:
    return d if style == "excel" else _fmt_date(d, style, d.year)


def make_contract(spec: ContractSpec) -> tuple[list[Printed], ContractFill, TableTruth, list]:
    """Printed rows, cell contents and truth of one contract copy (no workbook yet)."""
    rng = random.Random(spec.seed)
    items = _contract_printed(spec, rng)
    fill = ContractFill()
    truth = TableTruth(path="", sheet=spec.sheet_name, form="contract", variant="joint",
                       edition="2024", facility_name=spec.facility_name,
                       vendor_name=spec.vendor_name, system_name=spec.system_name)
    checked = spec.checked_on
    if checked is not None:
        style = spec.checked_style
        if spec.layout.date_at in ("header", "field_colon") and style in ("excel", "serial"):
            style = "slash"
        fill.checked_on = _checked_text(checked, style)
    shapes = []
    for it in items:
        x = rng.random()
        answer = "blank" if x < spec.p_blank else ("no" if x < spec.p_blank + spec.p_no else "yes")
        answer, fixed_day = spec.forced.get(it.id, (answer, None))
        fill.answers[it.id] = _contract_answer(answer, spec, rng)
        if spec.answer_style == "shape" and answer != "blank":
            shapes.append((it.id, "はい" if answer == "yes" else "いいえ"))
        done = ""
        drawn = answer == "no" and checked is not None and rng.random() < 0.75
        day = checked + dt.timedelta(days=rng.randint(5, 330)) if drawn and checked else None
        if it.id in spec.forced:
            day = fixed_day if answer == "no" else None
        if day is not None:
            fill.completed[it.id] = _fmt_date(day, spec.completed_style, day.year)
            done = day.isoformat()
        key = (it.id, "all", 1)
        truth.answers[key] = (answer, checked.isoformat() if checked and answer != "blank" else "", "")
        truth.completed[key] = done
    for entry in load_table_catalogue("contract").entries:  # deleted verified rows read blank
        if entry.exists_verified and entry.id in spec.drop:
            truth.answers[(entry.id, "all", 1)] = ("blank", "", "")
            truth.completed[(entry.id, "all", 1)] = ""
    if spec.names_in == "fields":
        fill.fields = _contract_fields(spec, rng)
    return items, fill, truth, shapes


def _contract_fields(spec: ContractSpec, rng: random.Random) -> dict[str, Any]:
    fields = {"facility_name": spec.facility_name, "vendor_name": spec.vendor_name,
              "system_name": spec.system_name, "contract_name": f"{spec.system_name}保守契約"}
    keys = list(fields)
    rng.shuffle(keys)
    keys.sort(key=lambda k: k == "contract_name")  # 対象システム before 契約名 (read first)
    return {k: fields[k] for k in keys}


def write_contract_sheet(wb: Any, spec: ContractSpec) -> tuple[TableTruth, _Drawn]:
    items, fill, truth, shapes = make_contract(spec)
    ws = wb.add_worksheet(spec.sheet_name)
    layout = spec.layout
    if spec.answer_style == "dropdown":
        layout = replace(layout, dropdown=True)
    if spec.answer_style == "split":
        layout = replace(layout, split=True)
    written = write_contract(wb, ws, items, layout, fill)
    drawn = _Drawn(spec.sheet_name, ellipses=[(written.answer_cells[i], w) for i, w in shapes])
    return truth, drawn


# --------------------------------------------------------------------------------------------
# BCP


def _bcp_printed(spec: BcpSpec, rng: random.Random) -> tuple[list[Printed], dict[str, str], set[str]]:
    """Printed questions in order, extra 中項目 names, and the ids of inserted questions."""
    cat = load_table_catalogue("bcp")
    items: list[Printed] = []
    inserted: set[str] = set()
    for it in bcp_items(cat):
        if it.id in spec.drop:
            continue
        e = cat.entry(it.id)
        if spec.reword and e is not None and not e.wording_verified("text") and rng.random() < 0.6:
            it = replace(it, text=_rephrase(it.text).replace("ている。", "ているか。"), mark="")
        items.append(replace(it, text=retype(it.text, rng)))
    names: dict[str, str] = {}
    if spec.inserted:
        for middle, (pos, text) in EXTRA_BCP.items():
            known = [i for i, p in enumerate(items) if p.title == middle]
            if not known:
                continue
            k = len(cat.under(middle)) + 1
            new = Printed(f"{middle}.{k}", middle, text)
            items.insert(known[0] + pos - 1, new)
            inserted.add(new.id)
        middle, name, text = NEW_MIDDLE
        last5 = max(i for i, p in enumerate(items) if p.title.startswith("5-"))
        items.insert(last5 + 1, Printed(f"{middle}.1", middle, text))
        names[middle] = name
        inserted.add(f"{middle}.1")
    return items, names, inserted


def _bcp_value(answer: str, style: str, rng: random.Random) -> tuple[Any, str]:
    """(cell value, the answer a reader can know) for one question."""
    if style == "mixed":
        style = rng.choice(("tick", "yesno", "done", "status"))
    if answer == "blank":
        return "", "blank"
    yes = answer == "yes"
    if style == "tick":
        if yes:
            return rng.choice(TICKS), "yes"
        return ("×", "no") if rng.random() < 0.6 else ("", "blank")
    if style == "yesno":
        return ("はい" if yes else "いいえ"), answer
    if style == "done":
        return (rng.choice(("済", "済み")) if yes else "未"), answer
    if style == "status":
        return (rng.choice(("対応済", "対応済み")) if yes else rng.choice(("未対応", "検討中"))), answer
    if style == "split":
        mark = rng.choice(("○", "✓", "レ"))
        return ({"yes": mark} if yes else {"no": mark}), answer
    if style == "checkbox":
        return "", ("yes" if yes else "blank")  # an unticked box cannot say "no"
    raise ValueError(style)


def make_bcp(spec: BcpSpec) -> tuple[list[Printed], dict[str, str], BcpFill, TableTruth, list]:
    rng = random.Random(spec.seed)
    items, names, _inserted = _bcp_printed(spec, rng)
    fill = BcpFill()
    truth = TableTruth(path="", sheet=spec.sheet_name, form="bcp", variant="hospital",
                       edition="2024", facility_name=spec.facility_name)
    boxes = []
    for it in items:
        x = rng.random()
        answer = "blank" if x < spec.p_blank else ("no" if x < spec.p_blank + spec.p_no else "yes")
        value, known = _bcp_value(answer, spec.answer_style, rng)
        fill.answers[it.id] = value
        if spec.answer_style == "checkbox":
            boxes.append((it.id, known == "yes"))
        checked = ""
        if spec.layout.date_column and known != "blank":
            day = dt.date(2025, rng.randint(4, 12), rng.randint(1, 28))
            fill.dates[it.id] = _fmt_date(day, spec.date_style, 2025)
            checked = day.isoformat()
        if spec.layout.remarks and rng.random() < 0.2:
            fill.remarks[it.id] = rng.choice(("BCP第3章に記載", "来年度見直し予定", "事業者と調整中"))
        truth.answers[(it.id, "all", 1)] = (known, checked, "")
    for entry in load_table_catalogue("bcp").entries:
        if entry.exists_verified and entry.id in spec.drop:
            truth.answers[(entry.id, "all", 1)] = ("blank", "", "")
    if spec.names_in == "fields":
        fill.fields = {"facility_name": spec.facility_name, "answered_on": "2025/11/1"}
    return items, names, fill, truth, boxes


def write_bcp_sheet(wb: Any, spec: BcpSpec) -> tuple[TableTruth, _Drawn]:
    items, names, fill, truth, boxes = make_bcp(spec)
    ws = wb.add_worksheet(spec.sheet_name)
    layout = spec.layout
    if spec.answer_style == "split":
        layout = replace(layout, split=True, answer_at="right")
    written = write_bcp(wb, ws, items, layout, fill, middle_names=names)
    drawn = _Drawn(spec.sheet_name, checkboxes=[(written.answer_cells[i], on) for i, on in boxes])
    return truth, drawn


# --------------------------------------------------------------------------------------------
# workbooks


def write_table_workbook(path: str | Path, specs: list[ContractSpec | BcpSpec],
                         cover: bool = False) -> list[TableTruth]:
    """Write one workbook of contract and/or BCP sheets; draw their marks; return the truth."""
    import xlsxwriter

    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    if cover:
        ws = wb.add_worksheet("表紙")
        ws.write_string(0, 0, "確認表の提出について")
        ws.write_string(2, 0, "次のシートに記入しました。")
    truths, drawn = [], []
    for spec in specs:
        t, d = (write_contract_sheet(wb, spec) if isinstance(spec, ContractSpec)
                else write_bcp_sheet(wb, spec))
        truths.append(t)
        drawn.append(d)
    wb.close()
    if any(d.ellipses or d.checkboxes for d in drawn):
        path.write_bytes(_draw(path.read_bytes(), drawn))
    for t in truths:
        t.path = str(path)
    return truths


def _draw(data: bytes, drawn: list[_Drawn]) -> bytes:
    from testkit import drawing_writer as dw
    from xltools.xlsx import drawings

    for d in drawn:
        if d.ellipses:
            zf = zipfile.ZipFile(io.BytesIO(data))
            part = dw.sheet_part_for(zf, d.sheet)
            lay = drawings.load_layout(zf, part)
            shapes = [dw.Shape(_ellipse_box(lay, rc, word, zf, part)) for rc, word in d.ellipses]
            data = dw.add_shapes(data, d.sheet, shapes)
        for (r, c), on in d.checkboxes:
            cell = dw.cell_box(data, d.sheet, _a1(r, c))
            size = min(11.0, cell.h - 2)
            box = drawings.Box(cell.cx - size / 2, cell.cy - size / 2, cell.cx + size / 2,
                               cell.cy + size / 2)
            data = dw.add_checkbox(data, d.sheet, box, checked=on)
    return data


def _a1(r: int, c: int) -> str:
    from xltools.xlsx.book import address

    return address(r, c)


def _ellipse_box(lay: Any, rc: tuple[int, int], word: str, zf: zipfile.ZipFile, part: str) -> Any:
    """The word's box plus a margin that never reaches the other word (as a respondent draws)."""
    from testkit import drawing_writer as dw
    from xltools.xlsx import drawings

    r, c = rc
    boxes = lay.word_boxes(r, c, dw.cell_text(zf, part, _a1(r, c)))
    key = "yes" if word == "はい" else "no"
    b, other = boxes[key], boxes.get("no" if key == "yes" else "yes")
    mx = 2.0
    if other is not None:
        gap = min(abs(other.x0 - b.x1), abs(b.x0 - other.x1))
        mx = min(mx, max(0.5, gap / 2 - 0.5))
    cell = lay.cell_box(r, c)
    y0, y1 = max(b.y0 - 1, cell.y0 + 0.75), min(b.y1 + 1, cell.y1 - 0.75)
    return drawings.Box(b.x0 - mx, y0, b.x1 + mx, y1)


# --------------------------------------------------------------------------------------------
# random messy specs


def random_contract_spec(rng: random.Random, seed: int = 0) -> ContractSpec:
    """A plausible re-keyed contract copy: layout, encodings, dates and names all drift."""
    group_style = rng.choice(GROUP_STYLES)
    style = rng.choice(CONTRACT_ANSWER_STYLES)
    layout = ContractLayout(
        title=rng.choice((None, None, "", "役割分担等に関する確認表")),
        group_style=group_style, ref_style=rng.choice(REF_STYLES),
        part_style=rng.choice(("bracket", "part", "plain")),
        date_at=rng.choice(DATE_AT), date_label=rng.choice(DATE_LABELS),
        remarks=rng.random() < 0.3, fields_at=rng.choice(("top", "top", "bottom")),
        fields_style=rng.choice(("right", "colon")), header_repeat=rng.random() < 0.25,
        start_row=rng.choice((0, 0, 2)), start_col=rng.choice((0, 0, 1)), marks=rng.random() < 0.3)
    names_in = "filename" if rng.random() < 0.15 else "fields"
    return ContractSpec(
        layout=layout, answer_style=style, completed_style=rng.choice(DATE_STYLES),
        checked_style=rng.choice(FULL_DATE_STYLES), seed=seed, extra_items=rng.random() < 0.4,
        reword=rng.random() < 0.4, names_in=names_in,
        facility_name=rng.choice(FACILITIES), vendor_name=rng.choice(VENDORS),
        system_name=rng.choice(SYSTEMS),
        checked_on=dt.date(2025, rng.randint(1, 12), rng.randint(1, 28)),
        sheet_name=rng.choice(("確認表", "Sheet1", "役割分担", "契約確認表")))


def random_bcp_spec(rng: random.Random, seed: int = 0) -> BcpSpec:
    """A plausible re-keyed BCP copy with an added answer column found by header or content."""
    style = rng.choice(BCP_ANSWER_STYLES)
    header = rng.choice(ANSWER_HEADERS)
    if style == "checkbox":
        header = rng.choice(("チェック", ""))
    layout = BcpLayout(
        title=rng.choice((None, None, "BCP策定の確認表", "サイバー攻撃を想定したBCP策定確認表")),
        notes=rng.random() < 0.6, major_style=rng.choice(("merged", "ref")),
        major_definition=rng.random() < 0.7, middle_column=rng.random() < 0.2,
        middle_ref=rng.choice(("first", "every", "merged")),
        middle_name=rng.choice(("first", "every", "ditto", "merged")),
        answer_at="right" if style == "split" else rng.choice(("right", "right", "left")),
        answer_header=header, date_column=rng.random() < 0.3, remarks=rng.random() < 0.6,
        fields_at=rng.choice(("top", "top", "bottom")), fields_style=rng.choice(("right", "colon")),
        start_row=rng.choice((0, 0, 1)), start_col=rng.choice((0, 0, 1)), marks=rng.random() < 0.3)
    return BcpSpec(layout=layout, answer_style=style, date_style=rng.choice(FULL_DATE_STYLES),
                   seed=seed, inserted=rng.random() < 0.4, reword=rng.random() < 0.4,
                   names_in="filename" if rng.random() < 0.1 else "fields",
                   facility_name=rng.choice(FACILITIES),
                   sheet_name=rng.choice(("BCP確認表", "Sheet1", "確認表", "回答")))


def filename_for(spec: ContractSpec | BcpSpec, n: int) -> str:
    """A file name that carries the names when the sheet does not (as people name files)."""
    if isinstance(spec, ContractSpec):
        if spec.names_in == "filename":
            return f"役割分担確認表_{spec.facility_name}_{spec.vendor_name}_{n:03d}.xlsx"
        return f"contract_{n:03d}.xlsx"
    if spec.names_in == "filename":
        return f"BCP確認表_{spec.facility_name}_{n:03d}.xlsx"
    return f"bcp_{n:03d}.xlsx"


def write_corpus(folder: str | Path, n_contract: int = 40, n_bcp: int = 40, seed: int = 9
                 ) -> list[TableTruth]:
    """A folder of messy copies of both tables, one or two sheets a workbook."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    truths: list[TableTruth] = []
    for n in range(n_contract):
        spec = random_contract_spec(rng, seed=seed * 1000 + n)
        specs: list[ContractSpec | BcpSpec] = [spec]
        if spec.names_in == "fields" and rng.random() < 0.15:  # a vendor's book, several clients
            other = random_contract_spec(rng, seed=seed * 1000 + n + 500)
            other = replace(other, names_in="fields", sheet_name=spec.sheet_name + "(2)")
            specs.append(other)
        truths += write_table_workbook(folder / filename_for(spec, n), specs, cover=rng.random() < 0.1)
    for n in range(n_bcp):
        spec = random_bcp_spec(rng, seed=seed * 2000 + n)
        truths += write_table_workbook(folder / filename_for(spec, n), [spec],
                                       cover=rng.random() < 0.1)
    return truths


# --------------------------------------------------------------------------------------------
# scoring


def score_tables(truths: list[Truth], subs: pd.DataFrame, answers: pd.DataFrame,
                 problems: pd.DataFrame) -> Score:
    """:func:`xltools.evaluate.score` also comparing the form and each 完了日 (``completed_on``)."""
    return score(truths, subs, answers, problems, extra={"completed_on": "completed"},
                 sheet_fields=("form", "edition", "variant"))


__all__ = ["TableTruth", "ContractSpec", "BcpSpec", "write_table_workbook", "write_corpus",
           "random_contract_spec", "random_bcp_spec", "score_tables", "make_contract", "make_bcp"]
