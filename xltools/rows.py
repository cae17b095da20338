"""The plain rows a file becomes, and the three frames they make: light to import.

The process gathering a batch holds rows and frames but never parses a file; keeping these
apart from :mod:`xltools.pipeline` (which imports every stage of reading) lets it start
without importing what only its workers need.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xltools.output.schema import arrow_table, frame_from_arrow

if TYPE_CHECKING:  # frames are built by to_result only: workers never import pandas
    import pandas as pd


@dataclass
class Result:
    """The three tables of the output contract."""

    submissions: pd.DataFrame
    answers: pd.DataFrame
    problems: pd.DataFrame

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return iter((self.submissions, self.answers, self.problems))


@dataclass
class FileRows:
    """Plain rows for one file: picklable, so workers and the store can carry them."""

    path: str
    sha256: str
    submissions: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


def to_result(parts: Iterable[FileRows]) -> Result:
    subs: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for part in parts:
        subs.extend(part.submissions)
        answers.extend(part.answers)
        problems.extend(part.problems)
    return Result(_frame("submissions", subs), _frame("answers", answers),
                  _frame("problems", problems))


def _frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Row dicts -> the declared frame, through Arrow (made in C, text kept as Arrow keeps it:
    ten times quicker than pandas' records for a batch's thousands of rows; the same frame)."""
    return frame_from_arrow(table, arrow_table(table, rows))


__all__ = ["FileRows", "Result", "to_result"]
