"""One letter (a small workbook, A4 portrait) per facility: what was received and what to do.

Three kinds, chosen from :func:`xltools.aggregate.core.facility_status`:

* **未提出** — a request: the checklist to send (variant and edition), by when, and the vendor
  forms when it has systems; never thanks for a submission it did not make.
* **対応なし** — a short confirmation that the forms were received and nothing needs fixing.
* **要対応** — the forms received, then only the sections that hold something: blank items,
  problems on its forms, disagreements with its vendors (警告 and above), 目標日 overdue or
  missing, problems on its vendors' forms, the contract/BCP tables' disagreements.

Notes of severity 情報 (e.g. "the vendor checked later than the facility") are left out unless
``include_notes``: they ask nothing of the facility.

Vendors get no letters of their own: the official's correspondent is the facility, which
collects the vendor forms and forwards what concerns a vendor (its problems and the
disagreements are listed with the vendor's name). A vendor form no facility could be found for
is in the workbook's 要確認 sheet for the official to route.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from xltools.aggregate.core import (
    Consolidation,
    edition_key,
    facility_status,
    letter_problems,
    needs_action,
)
from xltools.output.book import Book, Col, display_width, lines_needed, write_cell

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
_WIDTHS = (11.0, 50.0, 16.0, 11.0, 11.0)  # A4 portrait: about 100 width units
_PAGE = sum(_WIDTHS)


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


def _ymd(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-")[:3])
    return f"{y}年{m}月{d}日"


class _Letter:
    """A letter being written: a cursor over one portrait sheet."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.ws: Worksheet = book.sheet("確認事項", landscape=False, header_rows=0)
        for c, w in enumerate(_WIDTHS):
            self.ws.set_column(c, c, w)
        self.row = 0
        self.n = 0

    def line(self, text: str, fmt: str = "text", gap: int = 0) -> None:
        """A paragraph across the page (merged, wrapped, as tall as it needs)."""
        self.row += gap
        lines = max(1, -(-int(display_width(text) * 0.9) // int(_PAGE - 4)))
        self.ws.merge_range(self.row, 0, self.row, len(_WIDTHS) - 1, text,
                            self.book.fmt["wrap" if fmt == "text" else fmt])
        if lines > 1 or fmt == "title":
            self.ws.set_row(self.row, (20 if fmt == "title" else 13.5) * lines + 3)
        self.row += 1

    def section(self, title: str) -> None:
        self.n += 1
        self.line(f"{self.n}. {title}", "subtitle", gap=1)

    def table(self, df: pd.DataFrame, cols: list[Col], overdue: bool = False) -> None:
        ws, book = self.ws, self.book
        for j, col in enumerate(cols):
            ws.write_string(self.row, j, col.header, book.fmt["header"])
        for rec in df.to_dict("records"):
            self.row += 1
            over = "overdue_wrap" if overdue and rec.get("overdue") else None
            for j, col in enumerate(cols):
                write_cell(book, ws, self.row, j, col, rec.get(col.key), over)
            lines = lines_needed(rec, cols, list(_WIDTHS[: len(cols)]))
            if lines > 1:
                ws.set_row(self.row, 13.5 * lines + 2)
        self.row += 1


def _newest_edition(cons: Consolidation) -> str:
    subs = cons.submissions
    eds = subs.loc[subs["form"] == "checklist", "edition"] if len(subs) else pd.Series(dtype=str)
    eds = [e for e in eds if e]
    return max(eds, key=edition_key) if eds else ""


def _received(cons: Consolidation, f: dict[str, Any]) -> list[str]:
    """What was received from (or for) the facility, one line each."""
    lines = []
    if f["submitted"]:
        lines.append(f"チェックリスト：{f['edition']} 版（{Path(str(f['path'])).name}）")
    if int(f["vendor_forms"]):
        lines.append(f"事業者確認用：{int(f['vendor_forms'])} 件（{f['vendor_names']}）")
    t = cons.tables
    fid = f["facility_id"]
    contract = t.contract[t.contract["facility_id"] == fid] if len(t.contract) else t.contract
    bcp = t.bcp[t.bcp["facility_id"] == fid] if len(t.bcp) else t.bcp
    if len(contract):
        vendors = "、".join(dict.fromkeys(v for v in contract["vendor_name"] if v))
        lines.append(f"契約の役割分担確認表：{len(contract)} 件（{vendors or '事業者名なし'}）")
    if len(bcp):
        lines.append(f"BCP策定の確認表：{len(bcp)} 件")
    return lines


def _request(cons: Consolidation, f: dict[str, Any], letter: _Letter, due: str | None) -> None:
    """The letter to a facility whose checklist is missing."""
    when = f"{_ymd(due)}までに" if due else "お早めに"
    letter.line(f"{_ymd(cons.as_of)}時点で、サイバーセキュリティ対策チェックリストのご提出を確認できていません。"
                f"次の様式を記入のうえ、{when}ご提出ください。", gap=1)
    variant = "薬局確認用" if "薬局" in str(f.get("kind", "")) else "医療機関確認用"
    edition = _newest_edition(cons)
    letter.section("ご提出いただくもの")
    letter.line(f"・チェックリスト（{variant}{'、' + edition + ' 版' if edition else ''}）：1 部")
    letter.line("・医療情報システムを導入している場合は、契約している事業者ごとの事業者確認用"
                "（事業者に記入を依頼してください）")
    got = _received(cons, f)
    if got:
        letter.section("受領済みの様式")
        for line in got:
            letter.line(f"・{line}")


def _findings_cols() -> list[Col]:
    return [Col("ref", "項番"), Col("message", "内容", "wrap"), Col("vendor_name", "事業者", "wrap"),
            Col("facility_cell", "貴施設のセル", "wrap"), Col("vendor_cell", "事業者のセル", "wrap")]


def _sections(cons: Consolidation, f: dict[str, Any], include_notes: bool) -> list[
        tuple[str, pd.DataFrame, list[Col], bool]]:
    """The letter's sections that hold something, in order: (title, rows, columns, overdue)."""
    fid = f["facility_id"]
    d = cons.details
    blank = d[(d["submission_id"] == f["submission_id"]) & d["counted"] & (d["answer"] == "blank")] \
        if f["submission_id"] else d.iloc[0:0]
    probs = letter_problems(cons)
    probs = probs[probs["facility_id"] == fid]
    own, ven = probs[probs["role"] != "vendor"], probs[probs["role"] == "vendor"]
    fnd = cons.findings[cons.findings["facility_id"] == fid]
    tg = cons.targets[(cons.targets["facility_id"] == fid)
                      & (cons.targets["overdue"] | (cons.targets["target_on"] == ""))]
    tf = cons.tables.findings
    tf = tf[tf["facility_id"] == fid] if len(tf) else tf
    if len(tf):  # a checklist item (the BCP rule's) shows as its printed number
        refs = dict(zip(cons.items["item_id"], cons.items["ref"], strict=True))
        tf = tf.assign(item_label=[f"チェックリスト {refs[i]}" if i in refs else i
                                   for i in tf["item_id"]])
    table_cols = [Col("item_label", "項目", "wrap"), Col("message", "内容", "wrap"),
                  Col("vendor_name", "事業者", "wrap"), Col("left_cell", "セル（様式A）", "wrap"),
                  Col("right_cell", "セル（様式B）", "wrap")]
    out = [
        ("未回答の項目", blank, [Col("ref", "項番"), Col("item_text", "項目", "wrap"),
                             Col("scope", "対象", "scope"), Col("cell", "セル")], False),
        ("記入内容の確認", own, [Col("cell", "セル"), Col("message", "内容", "wrap"),
                              Col("sheet", "シート", "wrap")], False),
        ("事業者の回答との不一致", fnd[needs_action(fnd["severity"])], _findings_cols(), False),
        ("目標日（期限超過・記入なし）", tg,
         [Col("ref", "項番"), Col("item_text", "項目", "wrap"), Col("status_ja", "状況"),
          Col("target_on", "目標日", "date"), Col("vendor_name", "事業者", "wrap")], True),
        ("事業者確認用の記入内容（事業者へお伝えください）", ven,
         [Col("cell", "セル"), Col("message", "内容", "wrap"), Col("vendor_name", "事業者", "wrap")],
         False),
        ("確認表（契約の役割分担・BCP）の食い違い",
         tf[needs_action(tf["severity"])] if len(tf) else tf, table_cols, False),
    ]
    if include_notes:
        out += [("参考（重要度「情報」の注記。対応は不要です）", fnd[~needs_action(fnd["severity"])],
                 _findings_cols(), False),
                ("参考（確認表の注記）", tf[~needs_action(tf["severity"])] if len(tf) else tf,
                 table_cols, False)]
    return [s for s in out if len(s[1])]


def _write_one(cons: Consolidation, f: dict[str, Any], path: Path, font: str, *,
               include_notes: bool, due: str | None) -> None:
    book = Book(path, font, cons.as_of, kind="返送用")
    letter = _Letter(book)
    letter.line(f"{f['facility_name']} 様", "title")
    letter.line(f"サイバーセキュリティ対策チェックリストの確認結果（基準日 {_ymd(cons.as_of)}）", "subtitle")
    if not f["submitted"]:
        _request(cons, f, letter, due)
        book.close()
        return
    sections = _sections(cons, f, include_notes)
    action = [s for s in sections if not s[0].startswith("参考")]
    vendor_missing = f.get("has_system") == "yes" and not int(f["vendor_forms"])
    if not action and not vendor_missing:
        letter.line("ご提出いただいた様式を確認しました。記入内容について確認が必要な点はありません。"
                    "ご協力ありがとうございました。", gap=1)
    else:
        letter.line("ご提出ありがとうございました。確認したところ、次の点についてご確認・ご対応をお願いします。"
                    "修正した様式は、あらためてご提出ください。", gap=1)
    letter.section("受領した様式")
    for line in _received(cons, f):
        letter.line(f"・{line}")
    if vendor_missing:
        letter.section("事業者確認用のご提出のお願い")
        letter.line("医療情報システムを「導入している」と回答されていますが、事業者確認用が届いていません。"
                    "契約している事業者ごとに記入を依頼し、ご提出ください。")
    for title, df, cols, overdue in sections:
        letter.section(title)
        letter.table(df, cols, overdue)
    book.close()


def write_letters(cons: Consolidation, directory: str | Path, font: str, *,
                  include_notes: bool = False, due: str | None = None) -> list[Path]:
    """One letter per facility expected (see the module docstring); returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    used: set[str] = set()
    for f in facility_status(cons).to_dict("records"):
        stem = safe_filename(f"{f['facility_name']}_{f['facility_code']}" if f["facility_code"]
                             else str(f["facility_name"]))
        name, n = stem, 1
        while name.lower() in used:
            n += 1
            name = f"{stem}_{n}"
        used.add(name.lower())
        path = directory / f"{name}.xlsx"
        _write_one(cons, f, path, font, include_notes=include_notes, due=due)
        written.append(path)
    return written
