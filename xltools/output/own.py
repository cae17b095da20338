"""Workbooks xltools itself writes, told apart from returned forms.

Outputs land next to inputs: a vendor's ``xltools fill`` folder holds the filled forms and
提出用一覧.xlsx; a prefecture keeps 集計.xlsx and the 返送用 letters in the folder it collects
returns in, and runs ``consolidate`` on it again next week. Read as forms, the consolidated
workbook's 明細 and 不一致 sheets look like checklists (item texts, はい/いいえ, dates) and would
be counted as submissions with thousands of problems. So every workbook xltools writes for
people carries a hidden sheet named ``xltools_<kind>`` (:func:`mark`), kept by Excel and
LibreOffice when the file is opened and saved again, and the reader asks :func:`own_workbook`
before looking for a form. Workbooks written before the mark existed are known by their sheet
names. Blank forms (``xltools template``) and filled forms (``xltools fill``) are returns to
be, and are never marked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MARK_PREFIX = "xltools_"

#: the kind in a mark sheet's name -> what the workbook is, for the info row
MARKS: dict[str, str] = {
    "集計": "xltools consolidate が書いた集計ブック",
    "返送用": "xltools consolidate が書いた返送用の確認事項",
    "提出用一覧": "xltools fill が書いた提出用一覧",
}

#: unmarked outputs, by their sheet names in order
OWN_WORKBOOKS: dict[tuple[str, ...], str] = {
    ("提出用一覧", "既定と異なる回答", "様式"): MARKS["提出用一覧"],
    ("submissions", "answers", "problems"): "xltools normalize が書いた tables.xlsx",
}


def mark_name(kind: str) -> str:
    """The hidden sheet's name: ``xltools_集計``."""
    return f"{MARK_PREFIX}{kind}"


def mark(workbook: Any, kind: str) -> None:
    """Add the hidden mark sheet to an xlsxwriter workbook (call last: sheets keep their
    order, and the first sheet must stay a visible one)."""
    ws = workbook.add_worksheet(mark_name(kind))
    ws.write_string(0, 0, f"このブックは{MARKS[kind]}です。xltools はこのブックを様式として読みません。")
    ws.hide()


def own_workbook(sheet_names: Iterable[str]) -> str:
    """What xltools output this is ('' when it is not one)."""
    names = tuple(sheet_names)
    for name in names:
        if name.startswith(MARK_PREFIX) and name[len(MARK_PREFIX):] in MARKS:
            return MARKS[name[len(MARK_PREFIX):]]
    if names[:1] == ("概要",) and {"未提出", "要確認", "明細"} <= set(names):
        return MARKS["集計"]  # a consolidated workbook from before the mark
    return OWN_WORKBOOKS.get(names, "")


__all__ = ["MARKS", "OWN_WORKBOOKS", "mark", "mark_name", "own_workbook"]
