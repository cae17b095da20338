"""What the result pages show, taken from the library's results (no reading logic here).

* :func:`relabel` puts the user's own file names into the frames the batch runner returned,
  in place of the names the page stored the uploads under, before the consolidation and the
  workbook are made (so 集計.xlsx names the files as the user knows them).
* :func:`overview_numbers`: the 概要 sheet's headline numbers
  (``xltools.output.report.overview_numbers``) in the page's words.
* :func:`missing_table`, :func:`problem_table`, :func:`finding_table`: the lists of the
  未提出, 要確認 and 不一致 sheets, a few columns each, in the workbook's Japanese headings.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xltools.aggregate.core import needs_action
from xltools.labels import ANSWER_JA as _ANSWER_JA
from xltools.labels import SEVERITY_JA

ANSWER_JA = {**_ANSWER_JA, "": ""}
MAX_ROWS = 3000  # rows a list shows on the page; the workbook has them all
# how a column sits in the page's table: short codes on one line, messages wide
WIDE = {"message": "wide", "severity": "nowrap", "category_ja": "nowrap", "sheet": "nowrap",
        "cell": "nowrap", "ref": "nowrap", "facility_answer": "nowrap", "vendor_answer": "nowrap",
        "facility_code": "nowrap"}


# the library's messages name command-line options; on the page the same step is a control
PAGE_WORDS = (("名簿（--roster）", "名簿"), ("（--roster）", ""),
              ("xltools fill --example で作った回答ファイル", "このページの記入例から作った回答ファイル"),
              ("--as-of", "基準日"), ("--group-by", "グループ別の集計"))


def page_words(text: str) -> str:
    """A library sentence with the command-line options it names put as the page's controls."""
    for cli_words, words in PAGE_WORDS:
        text = text.replace(cli_words, words)
    return text


def rename_text(text: str, names: dict[str, str]) -> str:
    """Replace the stored paths and names in a message by the user's names (and the
    command-line options it names by the page's controls)."""
    text = page_words(text)
    for stored, shown in sorted(names.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(stored, shown)
    for stored, shown in names.items():
        text = text.replace(os.path.basename(stored), os.path.basename(shown) or shown)
    return text


def relabel(result: Any, names: dict[str, str]) -> Any:
    """The same result with every ``path`` the user's name for it (messages too)."""

    def paths(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        if "path" in df.columns:
            df["path"] = df["path"].map(lambda p: names.get(str(p), p)).astype(df["path"].dtype)
        return df

    problems = paths(result.problems)
    if len(problems):
        problems["message"] = problems["message"].map(
            lambda m: rename_text(str(m), names)).astype(problems["message"].dtype)
    return dataclasses.replace(result, submissions=paths(result.submissions),
                               answers=result.answers, problems=problems)


def rename_in_workbook(path: Any, names: dict[str, str]) -> None:
    """Put the user's file names into a workbook the library wrote naming a stored file (the
    一括記入 summary names its template): whole shared strings equal to a stored name only."""
    import zipfile
    from xml.sax.saxutils import escape

    swaps = {f"<t>{escape(os.path.basename(k))}</t>".encode(): f"<t>{escape(os.path.basename(v))}</t>".encode()
             for k, v in names.items()}
    with zipfile.ZipFile(path) as zf:
        parts = [(i, zf.read(i)) for i in zf.infolist()]
    changed = False
    for n, (info, data) in enumerate(parts):
        if info.filename == "xl/sharedStrings.xml":
            for old, new in swaps.items():
                if old in data:
                    data, changed = data.replace(old, new), True
            parts[n] = (info, data)
    if changed:
        with zipfile.ZipFile(path, "w") as zf:
            for info, data in parts:
                zf.writestr(info, data)


# --------------------------------------------------------------------------------------------
# the headline numbers


@dataclass(frozen=True)
class Number:
    key: str
    label: str
    value: int
    note: str = ""
    tone: str = "plain"  # plain | good | warn | bad


def overview_numbers(cons: Any) -> list[Number]:
    """The 概要 sheet's own tiles (:func:`xltools.output.report.overview_numbers`), in the
    page's words: the page and the workbook show the same numbers."""
    from xltools.output.report import overview_numbers as from_report

    return [dataclasses.replace(Number(**n), label=page_words(n["label"]),
                                note=page_words(n["note"]))
            for n in from_report(cons)]


# --------------------------------------------------------------------------------------------
# the lists


@dataclass
class Table:
    """A list for the page: headings, rows of text, a severity per row for filtering."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    total: int = 0
    empty: str = ""
    classes: list[str] = field(default_factory=list)  # per column: "", "nowrap" or "wide"

    @property
    def shown(self) -> int:
        return len(self.rows)


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return ""
    return str(v)


def _table(key: str, title: str, df: pd.DataFrame, cols: list[tuple[str, str]], empty: str,
           severity: str | None = "severity") -> Table:
    t = Table(key, title, [h for _, h in cols], total=len(df), empty=empty)
    head = df.head(MAX_ROWS)
    for rec in head.to_dict("records"):
        row = []
        for c, _ in cols:
            v = _text(rec.get(c, ""))
            if c == "severity":
                v = SEVERITY_JA.get(v, v)
            elif c.endswith("answer"):
                v = ANSWER_JA.get(v, v)
            row.append(v)
        t.rows.append(row)
        t.severities.append(_text(rec.get(severity, "")) if severity else "")
    keep = [i for i in range(len(cols)) if any(r[i] for r in t.rows)] if t.rows else list(range(len(cols)))
    t.headers = [t.headers[i] for i in keep]
    t.rows = [[r[i] for i in keep] for r in t.rows]
    t.classes = [WIDE.get(cols[i][0], "") for i in keep]
    return t


def missing_table(cons: Any) -> Table:
    return _table("missing", "未提出", cons.missing,
                  [("category_ja", "区分"), ("facility_name", "医療機関名"),
                   ("facility_code", "医療機関コード"), ("vendor_name", "事業者名"),
                   ("system_name", "システム名"), ("message", "内容"), ("path", "ファイル")],
                  "未提出・不足はありません。", severity=None)


def problem_table(cons: Any) -> Table:
    names = cons.facilities.set_index("facility_id")["facility_name"] if len(cons.facilities) \
        else pd.Series(dtype=str)
    df = cons.problems.assign(facility_name=cons.problems["facility_id"].map(names).fillna(""))
    return _table("problems", "要確認", df,
                  [("severity", "重要度"), ("path", "ファイル"), ("sheet", "シート"),
                   ("cell", "セル"), ("message", "内容"), ("facility_name", "医療機関名")],
                  "要確認の事項はありません。")


_FINDING_COLS = [("severity", "重要度"), ("facility_name", "医療機関名"),
                  ("vendor_name", "事業者名"), ("ref", "項番"),
                  ("facility_answer", "医療機関の回答"), ("vendor_answer", "事業者の回答"),
                  ("message", "内容")]


def finding_table(cons: Any) -> Table:
    """不一致 as the workbook's sheet lists it: 警告 and above only (its tile counts these)."""
    f = cons.findings
    return _table("findings", "不一致", f[needs_action(f["severity"])], _FINDING_COLS,
                  "要対応の不一致はありません。")


def notes_table(cons: Any) -> Table:
    """参考情報: the 情報 notes the workbook keeps on their own sheet, out of 不一致's count."""
    f = cons.findings
    return _table("notes", "参考情報", f[~needs_action(f["severity"])], _FINDING_COLS,
                  "参考情報はありません。")


def table_finding_table(cons: Any) -> Table | None:
    """確認表の突き合わせ (contract and BCP tables), when any table was read."""
    tf = cons.tables.findings
    if not (len(cons.tables.contract) or len(cons.tables.bcp)):
        return None
    return _table("table_findings", "確認表の突き合わせ", tf,
                  [("severity", "重要度"), ("title", "規則"), ("facility_name", "医療機関名"),
                   ("vendor_name", "事業者名"), ("item_title", "項目"), ("message", "内容")],
                  "確認表の食い違いはありません。")


__all__ = ["relabel", "rename_text", "rename_in_workbook", "overview_numbers", "Number", "Table",
           "missing_table", "problem_table", "finding_table", "notes_table",
           "table_finding_table"]
