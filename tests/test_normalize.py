"""Answer and date decoding: every encoding people use, and the ones we must refuse."""

from __future__ import annotations

import datetime as dt

import pytest

from xltools.decode import (
    Vocabulary,
    decode_runs,
    decode_text,
    parse_date,
    split_answer_and_date,
)
from xltools.forms.catalogue import load_catalogue
from xltools.xlsx.book import Run

VOCAB = Vocabulary.from_mapping(load_catalogue().vocabulary)


@pytest.mark.parametrize("raw,answer", [
    ("はい", "yes"), ("いいえ", "no"), (" はい 。", "yes"), ("ＹＥＳ", "yes"), ("Yes", "yes"),
    ("No", "no"), ("○", "yes"), ("〇", "yes"), ("◯", "yes"), ("●", "yes"), ("✓", "yes"),
    ("✔", "yes"), ("☑", "yes"), ("レ", "yes"), ("済", "yes"), ("未", "no"), ("×", "no"),
    ("✕", "no"), ("✖", "no"), (1.0, "yes"), (0.0, "no"), ("１", "yes"), (True, "yes"),
    (False, "no"), ("該当なし", "na"), ("対象外", "na"), ("", "blank"), (None, "blank"),
    ("はい・いいえ", "blank"), ("はい・いいえ\n（　/　）", "blank"), ("はい / いいえ", "blank"),
    ("はい (10/1)", "yes"), ("いいえ\n( 10 / 1 )", "no"), ("○ R6.10.1", "yes"),
])
def test_decode_text_plain(raw: object, answer: str) -> None:
    got = decode_text(raw, VOCAB)
    assert got.answer == answer
    assert got.reason == ""


@pytest.mark.parametrize("raw,answer", [
    ("○はい・いいえ", "yes"), ("はい・○いいえ", "no"), ("【はい】・いいえ", "yes"),
    ("はい・【いいえ】", "no"), ("(はい)・いいえ", "yes"), ("はい○・いいえ", "yes"),
    ("はい・(いいえ)\n( 5 / 16 )", "no"),
])
def test_decode_marked_word(raw: str, answer: str) -> None:
    got = decode_text(raw, VOCAB)
    assert (got.answer, got.source) == (answer, "mark")


@pytest.mark.parametrize("raw", ["○はい・○いいえ", "【はい】・【いいえ】", "たぶん", "2", "×はい・いいえ", "はい?"])
def test_undecidable_is_blank_with_reason(raw: str) -> None:
    got = decode_text(raw, VOCAB)
    assert got.answer == "blank"
    assert got.reason, "an undecidable cell must say why"


def test_struck_word_picks_the_other() -> None:
    yes = decode_runs([Run("はい・"), Run("いいえ", strike=True)])
    no = decode_runs([Run("はい", strike=True), Run("・いいえ")])
    both = decode_runs([Run("はい", strike=True), Run("・"), Run("いいえ", strike=True)])
    part = decode_runs([Run("は", strike=True), Run("い・いいえ")])
    colour = decode_runs([Run("はい", color="FFFF0000"), Run("・いいえ")])
    assert (yes.answer, yes.source) == ("yes", "strike")
    assert (no.answer, no.source) == ("no", "strike")
    assert both.answer == "blank" and both.reason
    assert part.answer == "blank" and part.reason
    assert colour.answer == "blank" and colour.reason  # colour alone never decides


@pytest.mark.parametrize("raw,fy,want", [
    (dt.date(2024, 10, 1), 2024, "2024-10-01"),
    (dt.datetime(2024, 10, 1, 0, 0), 2024, "2024-10-01"),
    (45566.0, 2024, "2024-10-01"),
    ("2024/10/1", 2024, "2024-10-01"),
    ("2024-10-01", 2024, "2024-10-01"),
    ("2024年10月1日", 2024, "2024-10-01"),
    ("R6.10.1", 2024, "2024-10-01"),
    ("r6/10/1", 2024, "2024-10-01"),
    ("令和6年10月1日", 2024, "2024-10-01"),
    ("令和元年5月1日", 2019, "2019-05-01"),
    ("10月1日", 2024, "2024-10-01"),
    ("2月1日", 2024, "2025-02-01"),  # January-March belong to the next calendar year
    ("( 10 / 1 )", 2024, "2024-10-01"),
    ("（ ２ ／ ３ ）", 2024, "2025-02-03"),
    ("２０２４／１０／１", 2024, "2024-10-01"),
    ("20241001", 2024, "2024-10-01"),
])
def test_parse_date(raw: object, fy: int, want: str) -> None:
    got = parse_date(raw, fy)
    assert got.ok and got.value is not None and got.value.isoformat() == want


@pytest.mark.parametrize("raw", ["", None, "( / )", "（　/　）", "/"])
def test_empty_date(raw: object) -> None:
    got = parse_date(raw, 2024)
    assert got.ok and got.value is None


@pytest.mark.parametrize("raw", ["来月", "2024/13/1", "令和6年2月30日", "99/99", "True"])
def test_unreadable_date(raw: str) -> None:
    got = parse_date(raw, 2024)
    assert not got.ok and got.value is None


def test_split_answer_and_date() -> None:
    assert split_answer_and_date("はい ( 10 / 1 )") == ("はい", "( 10 / 1 )")
    rest, date = split_answer_and_date("いいえ 令和6年10月1日")
    assert (rest, date) == ("いいえ", "令和6年10月1日")
    assert split_answer_and_date("はい")[1] == ""
