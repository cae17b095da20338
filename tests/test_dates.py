"""Date spellings seen in returned forms: a weekday after the date, a time after the date."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit import synth
from testkit.evaluate import score
from testkit.synth import Spec
from xltools import api
from xltools.decode import parse_date, split_answer_and_date
from xltools.output.templates import Layout


@pytest.mark.parametrize("raw,want", [
    ("2024/10/1(火)", "2024-10-01"),
    ("2024/10/1（火）", "2024-10-01"),
    ("2024/10/1 (火曜日)", "2024-10-01"),
    ("2024年10月1日 火曜日", "2024-10-01"),
    ("2024/10/1 0:00:00", "2024-10-01"),
    ("2024/10/1 0:00", "2024-10-01"),
    ("2024-10-01 00:00:00", "2024-10-01"),
    ("2024-10-01T00:00:00", "2024-10-01"),
    ("2024/10/1（火） 10:30", "2024-10-01"),
    ("令和6年10月1日(火)", "2024-10-01"),
    ("令和6年10月1日（火）", "2024-10-01"),
    ("R6.10.1(火)", "2024-10-01"),
    ("10/1(火)", "2024-10-01"),
    ("2月3日(月)", "2025-02-03"),
])
def test_weekday_and_time_after_a_date_are_read(raw: str, want: str) -> None:
    got = parse_date(raw, 2024)
    assert got.ok and got.value is not None and got.value.isoformat() == want


@pytest.mark.parametrize("raw", [
    "2024/10/1(水)",  # the weekday contradicts the date: which one is wrong cannot be told
    "令和6年10月1日(日)",
    "(火)",  # a weekday alone is not a date
    "12:30",  # nor a time alone
    "2024/10/10:00",  # digits run together: not silently 2024-10-10
])
def test_contradicting_or_partial_spellings_are_unreadable(raw: str) -> None:
    got = parse_date(raw, 2024)
    assert not got.ok and got.value is None


@pytest.mark.parametrize("text,answer,date", [
    ("はい 2024/10/1(火)", "はい", "2024/10/1(火)"),
    ("いいえ 令和6年10月1日（火）", "いいえ", "令和6年10月1日(火)"),
    ("はい 2024/10/1 0:00:00", "はい", "2024/10/1 0:00:00"),
])
def test_answer_and_dated_weekday_in_one_cell_split(text: str, answer: str, date: str) -> None:
    assert split_answer_and_date(text) == (answer, date)


@pytest.mark.parametrize("style", ["weekday", "era_weekday", "datetime"])
@pytest.mark.parametrize("same_cell", [False, True])
def test_checklist_with_these_spellings_reads_exactly(tmp_path: Path, style: str,
                                                      same_cell: bool) -> None:
    spec = Spec(edition="R7", variant="hospital", date_style=style, seed=7,
                facility_name="さくら病院", layout=Layout(answer_date_same_cell=same_cell))
    truth = synth.write_workbook(tmp_path / "x.xlsx", [spec])[0]
    res = api.read(tmp_path / "x.xlsx")
    s = score([truth], res.submissions, res.answers, res.problems)
    assert s.silent == 0, s.silent_examples
    assert s.exact == s.total, s.line()
    assert "answer.date_unreadable" not in set(res.problems["code"])
    assert (res.answers["checked_on"] != "").sum() > 10
