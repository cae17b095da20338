"""Returned copies relayed through LibreOffice (.xlsx, .xls, .ods) read like the originals.

A few dozen generated copies (messy, official-look, one-round sheets with header fields spelt
every way) are written once and converted with ONE soffice call per target format; each relay
is read once and scored against the truth (testkit.evaluate).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit import relay, synth
from testkit.evaluate import score
from xltools import api

FORMATS = ("xlsx", "xls", "ods")
FIELDS = ("facility_name", "vendor_name", "system_name", "respondent", "facility_code")


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[synth.Truth]]:
    d = tmp_path_factory.mktemp("relay-originals")
    paths, truths = relay.corpus(d)
    return [*paths, _drawn(d)], truths


def _drawn(d: Path) -> Path:
    """A typed copy with an ellipse drawn over one はい (read from the text in every format;
    .xls and .ods drawings are not read, and the sheet must say so)."""
    from testkit.drawing_writer import add_ellipse_over_word

    src = d / "drawn-src.xlsx"
    relay.write_one_round(src, relay.OneRound(edition="R7", variant="hospital", seed=5))
    res = api.read(src)
    cell = res.answers[res.answers.raw == "はい"].cell.iloc[0]
    out = d / "drawn.xlsx"
    out.write_bytes(add_ellipse_over_word(src.read_bytes(), "チェックリスト", cell, "はい"))
    src.unlink()
    return out


@pytest.fixture(scope="module")
def relays(originals: tuple[list[Path], list[synth.Truth]],
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[synth.Truth], api.Result]]:
    if relay.soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    paths, truths = originals
    out = {}
    for fmt in FORMATS:
        converted = relay.convert(paths, tmp_path_factory.mktemp(f"relay-{fmt}"), fmt)
        out[fmt] = (relay.relayed(truths, converted), api.read_many(converted))
    return out


def _one_round(t: synth.Truth) -> bool:
    return all(rnd == 1 for _i, _s, rnd in t.answers)


def test_originals_are_read_exactly(originals: tuple[list[Path], list[synth.Truth]]) -> None:
    paths, truths = originals
    res = api.read_many(paths)
    s = score(truths, res.submissions, res.answers, res.problems)
    assert s.silent == 0, s.silent_examples
    assert s.exact == s.total and s.sheets_right == s.sheets, s.line()
    assert sum(_one_round(t) for t in truths) >= 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_relayed_copies_read_like_the_originals(relays: dict, fmt: str) -> None:
    truths, res = relays[fmt]
    s = score(truths, res.submissions, res.answers, res.problems)
    print(fmt, s.line())
    assert s.silent == 0, s.silent_examples
    assert s.exact_rate >= 0.995, s.line()
    assert s.sheets_right == s.sheets, s.line()


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_round_sheet_has_one_round(relays: dict, fmt: str) -> None:
    """No round 2 is invented for a sheet with only 確認結果（1回目）, and no item text is read
    as an answer."""
    truths, res = relays[fmt]
    subs = res.submissions.set_index(["path", "sheet"])
    one = [t for t in truths if _one_round(t)]
    assert one
    for t in one:
        sid = subs.loc[(t.path, t.sheet), "submission_id"]
        rounds = set(res.answers[res.answers.submission_id == sid]["round"])
        assert rounds == {1}, (t.path, rounds)
    assert "answer.unreadable" not in set(res.problems.code)


@pytest.mark.parametrize("fmt", FORMATS)
def test_header_fields_survive_the_relay(relays: dict, fmt: str) -> None:
    truths, res = relays[fmt]
    subs = res.submissions.set_index(["path", "sheet"])
    wrong = [(Path(t.path).name, f, getattr(t, f), subs.loc[(t.path, t.sheet), f])
             for t in truths for f in FIELDS
             if getattr(t, f, "") and subs.loc[(t.path, t.sheet), f] != getattr(t, f)]
    assert wrong == []


@pytest.mark.parametrize("fmt", ("xls", "ods"))
def test_shapes_a_format_keeps_unread_are_reported(relays: dict, fmt: str) -> None:
    """Drawn marks are read from .xlsx only: an .xls/.ods sheet holding a shape says so."""
    _truths, res = relays[fmt]
    p = res.problems[res.problems.path.str.endswith(f"drawn.{fmt}")]
    assert "mark.drawing_unreadable" in set(p.code), p[["code", "message"]]
    others = res.problems[~res.problems.path.str.endswith(f"drawn.{fmt}")]
    assert "mark.drawing_unreadable" not in set(others.code)
