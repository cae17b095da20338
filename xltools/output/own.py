"""Workbooks xltools itself writes, told apart from returned forms by their sheet names.

A vendor's ``xltools fill`` output folder holds the filled forms and 提出用一覧.xlsx, the list
of what was filled; consolidating that folder must count the forms and not report the list as
an unrecognised form. The reader asks :func:`own_workbook` before saying a file holds no form.
"""

from __future__ import annotations

from collections.abc import Iterable

#: sheet names (in order) -> what the workbook is, for the info row
OWN_WORKBOOKS: dict[tuple[str, ...], str] = {
    ("提出用一覧", "既定と異なる回答", "様式"): "xltools fill が書いた提出用一覧",
}


def own_workbook(sheet_names: Iterable[str]) -> str:
    """What xltools output this is ('' when it is not one)."""
    return OWN_WORKBOOKS.get(tuple(sheet_names), "")


__all__ = ["OWN_WORKBOOKS", "own_workbook"]
