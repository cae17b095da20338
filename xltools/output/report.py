"""Write a :class:`~xltools.aggregate.core.Consolidation`: the consolidated workbook and the
letters, the two entry points the command line and the web page call.

:func:`write_workbook` writes the consolidated workbook (:mod:`xltools.output.workbook`: a
one-page 概要 dashboard, then :data:`SHEETS`); :func:`write_feedback` writes one letter per
facility (:mod:`xltools.output.letters`). Cells and formats: :mod:`xltools.output.book`.
"""

from __future__ import annotations

from pathlib import Path

from xltools.aggregate.core import Consolidation
from xltools.output.book import FONT, SEVERITY_JA, Col, display_width, write_table
from xltools.output.letters import safe_filename, write_letters
from xltools.output.workbook import (
    GROUP_COLUMN_JA,
    GROUP_SHEET,
    NOTES_SHEET,
    SHEETS,
    TABLE_SHEETS,
    build,
    overview_numbers,
    sheet_names,
)

__all__ = ["FONT", "GROUP_COLUMN_JA", "GROUP_SHEET", "NOTES_SHEET", "SEVERITY_JA", "SHEETS",
           "TABLE_SHEETS", "Col", "display_width", "overview_numbers", "safe_filename", "sheet_names",
           "write_feedback", "write_table", "write_workbook"]


def write_workbook(cons: Consolidation, path: str | Path, *, font: str = FONT) -> Path:
    """Write the consolidated workbook (sheets :func:`sheet_names`: 概要, グループ別 when
    grouped, 未提出, 要確認, 不一致, 目標日, 施設別一覧, 項目別集計, the contract/BCP sheets
    when tables were read, 参考情報, 明細, 経年比較)."""
    return build(cons, path, font)


def write_feedback(cons: Consolidation, directory: str | Path, *, font: str = FONT,
                   include_notes: bool = False, due: str | None = None) -> list[Path]:
    """One letter per facility expected (施設名 様): a request to a facility that submitted
    nothing, a short confirmation to one with nothing to fix, else the sections that hold
    something. ``include_notes``: add the notes of severity 情報; ``due``: the date (ISO) a
    missing checklist is asked for."""
    return write_letters(cons, directory, font, include_notes=include_notes, due=due)
