"""Returned copies relayed through LibreOffice, and the sheet shapes that relay exposes.

Many facilities and small vendors open the form in LibreOffice and save it again (as .xlsx,
.xls or .ods); old clinics keep .xls. This module makes

* :func:`write_one_round`: a one-round sheet as vendors lay it out: ``No.`` and ``確認項目``
  merged over two header rows, ``確認結果（1回目）`` merged over ``日付 / 回答 / 対応目標日``, no
  2回目 group, header fields spelt any of the ways respondents type them
  (:data:`FIELD_STYLES`, :data:`FIELD_LABELS`), optionally a ``対象`` scope column;
* :func:`corpus`: a few dozen originals (messy copies, official-look copies, one-round sheets)
  with their truth;
* :func:`convert`: ONE ``soffice --headless --convert-to FMT`` call for a list of files (the
  slow part: a test converts once per target format, module-scoped);
* :func:`relayed`: the truth of the converted copies (same sheets, new paths).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from testkit import synth
from xltools.forms.catalogue import FormMapping, load_catalogue
from xltools.labels import VARIANT_JA
from xltools.output.templates import SCOPE_LABELS, Layout, scope_label

# How a header field's label and value are written (pattern 1 of issue 15)
FIELD_STYLES = ("fullcolon", "colon", "space", "bracket", "right", "right_merged", "below")
FIELD_LABELS = {
    "facility_name": ("医療機関名", "医療機関等名称", "薬局名"),
    "vendor_name": ("事業者名", "会社名", "会社名（事業者名）"),
    "system_name": ("システム名",),
    "respondent": ("記入者", "回答者"),
    "facility_code": ("医療機関コード",),
}
CODES = ("1312345678", "0112345", "2710987654")
RESPONDENTS = ("情報 太郎", "佐藤 花子", "システム管理課 鈴木")


@dataclass
class OneRound:
    """One generated one-round sheet."""

    edition: str = "R7"
    variant: str = "vendor"
    answer_style: str = "typed"  # synth answer styles except split
    date_style: str = "slash"
    field_style: str = "fullcolon"
    labels: dict[str, str] | None = None  # field -> label used; None: the first of each
    scope_column: bool = False  # a 対象 column instead of a scope label in the item text
    scope_merged: bool = False  # the 対象 cells merged down over consecutive rows of one scope
    # scopes as sub-rows: the item text once, then one row per device (サーバ / 端末PC ...)
    # carrying the answer cells, the device word in the item column
    scope_rows: bool = False
    blank: bool = False  # nothing answered (a blank form for learn)
    # 2: a second group 「2回目」 merged over 日付 / 回答 / 目標日（いいえの場合）, each round
    # with its own target column (the .ods merge case of issue 15)
    rounds: int = 1
    grid: bool = False  # 方眼紙: every logical cell merged over two sheet columns
    seed: int = 0
    facility_name: str = "さくら総合病院"
    vendor_name: str = ""
    system_name: str = ""
    respondent: str = "情報 太郎"
    facility_code: str = ""
    sheet_name: str = "チェックリスト"


def _fields_of(spec: OneRound) -> list[tuple[str, str]]:
    names = ["facility_name", "facility_code", "respondent"]
    if spec.variant == "vendor":
        names = ["facility_name", "vendor_name", "system_name", "respondent"]
    labels = spec.labels or {}
    return [(n, labels.get(n, FIELD_LABELS[n][0])) for n in names]


def write_one_round(path: str | Path, spec: OneRound, mappings: str | None = None) -> synth.Truth:
    """Write a one-round checklist sheet (see the module docstring); return its truth."""
    import xlsxwriter

    m = load_catalogue(mappings).get("checklist", spec.edition)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(spec.sheet_name)
    truth = _write_one_round(wb, ws, m, spec)
    wb.close()
    truth.path = str(path)
    return truth


def _formats(wb: Any) -> dict[str, Any]:
    base = {"font_name": "ＭＳ Ｐゴシック", "font_size": 11, "valign": "vcenter"}
    return {
        "head": wb.add_format({**base, "bold": True, "border": 1, "align": "center",
                               "text_wrap": True}),
        "text": wb.add_format({**base, "border": 1, "text_wrap": True}),
        "center": wb.add_format({**base, "border": 1, "align": "center", "text_wrap": True}),
        "date": wb.add_format({**base, "border": 1, "align": "center", "num_format": "yyyy/m/d"}),
        "field": wb.add_format({**base, "bold": True}),
        "value": wb.add_format({**base, "bottom": 1}),
        "title": wb.add_format({**base, "bold": True, "font_size": 14}),
        "strike": wb.add_format({**base, "font_strikeout": True}),
        "plain": wb.add_format(base),
    }


class _Cells:
    """Logical columns over sheet columns: ``span`` sheet columns each (2 on a 方眼紙 grid)."""

    def __init__(self, ws: Any, span: int) -> None:
        self.ws, self.span = ws, span

    def col(self, c: int) -> int:
        return c * self.span

    def put(self, r: int, c: int, value: Any, f: Any, rows: int = 1) -> None:
        c0, c1 = self.col(c), self.col(c) + self.span - 1
        if callable(value):
            if c1 > c0:
                self.ws.merge_range(r, c0, r + rows - 1, c1, "", f)
            value(self.ws, r, c0, self._fmt)
            return
        if rows > 1 or c1 > c0:
            self.ws.merge_range(r, c0, r + rows - 1, c1, "", f)
        synth_write(self.ws, r, c0, value, f)


def synth_write(ws: Any, r: int, c: int, value: Any, f: Any) -> None:
    import datetime as dt

    if isinstance(value, (dt.date, dt.datetime)):
        d = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        ws.write_datetime(r, c, d, f)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, f)
    elif value in ("", None):
        ws.write_blank(r, c, None, f)
    else:
        ws.write_string(r, c, str(value), f)


def _write_field(cells: _Cells, r: int, label: str, value: str, style: str, fmt: dict) -> int:
    """One header field in ``style``; returns the next free row."""
    ws = cells.ws
    if style == "fullcolon":
        ws.write_string(r, 0, f"{label}：{value}", fmt["field"])
    elif style == "colon":
        ws.write_string(r, 0, f"{label}: {value}", fmt["field"])
    elif style == "space":
        ws.write_string(r, 0, f"{label}　{value}", fmt["field"])
    elif style == "bracket":
        ws.write_string(r, 0, f"【{label}】{value}", fmt["field"])
    elif style == "right":
        ws.write_string(r, 0, label, fmt["field"])
        ws.write_string(r, 3, value, fmt["value"])
    elif style == "right_merged":  # label merged over 3 columns, 2 empty merged cells, value
        ws.merge_range(r, 0, r, 2, label, fmt["field"])
        ws.merge_range(r, 3, r, 4, "", fmt["plain"])
        ws.merge_range(r, 5, r, 9, value, fmt["value"])
    elif style == "below":
        ws.write_string(r, 0, label, fmt["field"])
        ws.write_string(r + 1, 0, value, fmt["value"])
        return r + 2
    else:
        raise ValueError(style)
    return r + 1


def _write_one_round(wb: Any, ws: Any, m: FormMapping, spec: OneRound) -> synth.Truth:
    fmt = _formats(wb)
    rng = random.Random(spec.seed)
    cells = _Cells(ws, 2 if spec.grid else 1)
    cells._fmt = fmt  # type: ignore[attr-defined]
    layout = Layout(answer_date_same_cell=False, split_yes_no=False)
    s = synth.Spec(edition=spec.edition, variant=spec.variant, layout=layout,
                   answer_style=spec.answer_style, date_style=spec.date_style, seed=spec.seed,
                   p_round2=0.4 if spec.rounds == 2 else 0.0,
                   p_blank=1.0 if spec.blank else 0.04)
    filled, truth = synth.make_answers(m, s, rng)
    if spec.grid:
        ws.set_column(0, 40, 2.6)
    else:
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 60)
        ws.set_column(2, 6, 12)
    r = 0
    ws.write_string(r, 0, m.variants[spec.variant].title, fmt["title"])
    ws.write_string(r, 6 * cells.span, VARIANT_JA[spec.variant], fmt["field"])
    r += 2
    values = {"facility_name": spec.facility_name, "vendor_name": spec.vendor_name,
              "system_name": spec.system_name, "respondent": spec.respondent,
              "facility_code": spec.facility_code}
    for name, label in _fields_of(spec):
        r = _write_field(cells, r, label, values[name], spec.field_style, fmt)
    r += 1
    cols = ["ref", "item", *(["scope"] if spec.scope_column else []), "date", "answer", "target"]
    if spec.rounds == 2:
        cols += ["date2", "answer2", "target2"]
    pos = {k: i for i, k in enumerate(cols)}
    cells.put(r, pos["ref"], "No.", fmt["head"], rows=2)
    cells.put(r, pos["item"], "確認項目", fmt["head"], rows=2)
    if spec.scope_column:
        cells.put(r, pos["scope"], "対象", fmt["head"], rows=2)
    ws.merge_range(r, cells.col(pos["date"]), r, cells.col(pos["target"]) + cells.span - 1,
                   "確認結果（1回目）", fmt["head"])
    cells.put(r + 1, pos["date"], "日付", fmt["head"])
    cells.put(r + 1, pos["answer"], "回答", fmt["head"])
    cells.put(r + 1, pos["target"], "対応目標日", fmt["head"])
    if spec.rounds == 2:
        ws.merge_range(r, cells.col(pos["date2"]), r, cells.col(pos["target2"]) + cells.span - 1,
                       "2回目", fmt["head"])
        cells.put(r + 1, pos["date2"], "日付", fmt["head"])
        cells.put(r + 1, pos["answer2"], "回答", fmt["head"])
        cells.put(r + 1, pos["target2"], "目標日（いいえの場合）", fmt["head"])
    r += 2
    printed: set[str] = set()
    scope_cells: list[tuple[int, str]] = []
    for item_id, scope in m.expected_rows(spec.variant):
        it = m.item(item_id)
        text = it.text_for(spec.variant)
        if spec.scope_rows and scope != "all":
            if item_id not in printed:  # the item's own row: ref and text, no answer cells
                cells.put(r, pos["ref"], it.ref, fmt["center"])
                cells.put(r, pos["item"], text, fmt["text"])
                r += 1
                printed.add(item_id)
            text = scope_label(scope)
        elif not spec.scope_column and scope != "all":
            text = f"{text}（{scope_label(scope)}）"
        if not (spec.scope_rows and scope != "all"):
            cells.put(r, pos["ref"], it.ref, fmt["center"])
        cells.put(r, pos["item"], text, fmt["text"])
        if spec.scope_column:
            label = scope_label(scope) if scope != "all" else SCOPE_LABELS["all"]
            if spec.scope_merged:
                scope_cells.append((r, label))
            else:
                cells.put(r, pos["scope"], label, fmt["center"])
        cells.put(r, pos["date"], filled.dates.get((item_id, scope, 1), ""), fmt["date"])
        answer = filled.answers.get((item_id, scope, 1), "")
        cells.put(r, pos["answer"], answer, fmt["center"])
        cells.put(r, pos["target"], filled.targets.get((item_id, scope), ""), fmt["date"])
        if spec.rounds == 2:
            second = truth[(item_id, scope, 2)][0] != "blank"
            cells.put(r, pos["date2"], filled.dates.get((item_id, scope, 2), ""), fmt["date"])
            cells.put(r, pos["answer2"], filled.answers.get((item_id, scope, 2), ""),
                      fmt["center"])
            cells.put(r, pos["target2"], filled.targets.get((item_id, scope), "") if second
                      else "", fmt["date"])
        r += 1
    _merge_down(cells, pos.get("scope", 0), scope_cells, fmt["center"])
    answers = {k: v for k, v in truth.items() if k[2] <= spec.rounds}
    return synth.Truth(path="", sheet=spec.sheet_name, form="checklist", variant=spec.variant,
                       edition=spec.edition, facility_name=spec.facility_name,
                       vendor_name=spec.vendor_name, system_name=spec.system_name,
                       answers=answers, respondent=spec.respondent,
                       facility_code=spec.facility_code)


def _merge_down(cells: _Cells, col: int, runs: list[tuple[int, str]], f: Any) -> None:
    """Write a column's cells, merging consecutive rows of the same text into one cell."""
    i = 0
    while i < len(runs):
        j = i
        while j + 1 < len(runs) and runs[j + 1] == (runs[j][0] + 1, runs[i][1]):
            j += 1
        cells.put(runs[i][0], col, runs[i][1], f, rows=j - i + 1)
        i = j + 1


def random_one_round(rng: random.Random, seed: int) -> OneRound:
    """A one-round sheet in a random edition, variant, answer style and field spelling."""
    edition = rng.choice(("R7", "R8", "R6"))
    variant = rng.choice(("vendor", "vendor", "hospital"))
    facility = rng.choice([f for f in synth.FACILITIES if "薬局" not in f])
    labels = {n: rng.choice(ls) for n, ls in FIELD_LABELS.items()}
    if labels["facility_name"] == "薬局名":
        facility = rng.choice([f for f in synth.FACILITIES if "薬局" in f])
        if variant == "hospital":
            variant = "pharmacy"
    return OneRound(
        edition=edition, variant=variant, seed=seed,
        answer_style=rng.choice(("typed", "strike", "bracket", "deleted", "marks", "mixed")),
        date_style=rng.choice(("excel", "slash", "era", "kanji")),
        field_style=rng.choice(FIELD_STYLES), labels=labels,
        scope_column=rng.random() < 0.3, scope_merged=rng.random() < 0.5,
        grid=rng.random() < 0.4,
        rounds=2 if rng.random() < 0.35 else 1,
        facility_name=facility,
        vendor_name=rng.choice(synth.VENDORS) if variant == "vendor" else "",
        system_name=rng.choice(synth.SYSTEMS) if variant == "vendor" else "",
        respondent=rng.choice(RESPONDENTS),
        facility_code=rng.choice(CODES) if variant != "vendor" else "",
        sheet_name=rng.choice(("チェックリスト", "Sheet1", "回答")))


def corpus(d: Path, n: int = 36, seed: int = 20261201) -> tuple[list[Path], list[synth.Truth]]:
    """A few dozen originals: a third messy copies, a third official-look copies, a third
    one-round sheets (fields spelt every way). Written once per session by the caller."""
    d.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths: list[Path] = []
    truths: list[synth.Truth] = []
    for i in range(n):
        path = d / f"relay{i:03d}.xlsx"
        kind = i % 3
        if kind == 2:
            truths.append(write_one_round(path, random_one_round(rng, i)))
        else:
            spec = synth.random_spec(rng, seed=i, official_look=kind == 1)
            truths += synth.write_workbook(path, [spec])
        paths.append(path)
    return paths, truths


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: list[Path], outdir: Path, fmt: str, timeout: int = 900) -> list[Path]:
    """Convert every file with ONE LibreOffice call (its own profile, so it never waits on a
    running instance); the converted paths in the order given."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run([exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                        "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)],
                       check=True, capture_output=True, timeout=timeout)
    out = [outdir / f"{f.stem}.{fmt.split(':')[0]}" for f in files]
    missing = [p.name for p in out if not p.exists()]
    if missing:
        raise RuntimeError(f"soffice did not write {missing[:5]}")
    return out


def relayed(truths: list[synth.Truth], converted: list[Path]) -> list[synth.Truth]:
    """The truth of the converted copies: the same sheets and answers under the new paths."""
    by_stem = {p.stem: p for p in converted}
    return [replace(t, path=str(by_stem[Path(t.path).stem])) for t in truths
            if Path(t.path).stem in by_stem]
