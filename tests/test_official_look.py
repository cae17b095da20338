"""The reader on copies that look like the ministry's own file filled in (synth official_look).

方眼紙 grid of merged bordered cells, 記入要領 blocks, ＭＳ Ｐゴシック, print setup, a 記入要領
sheet and the other variant's form left blank: the same promise as the messy corpus.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from testkit import synth
from testkit.evaluate import score
from xltools import api


@pytest.fixture(scope="session")
def official_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[synth.Truth], dict]:
    d = tmp_path_factory.mktemp("official")
    rng = random.Random(20261126)
    truths: list[synth.Truth] = []
    specs: dict[str, synth.Spec] = {}
    for i in range(30):
        spec = synth.random_spec(rng, seed=i, official_look=True)
        path = d / f"official{i:02d}.xlsx"
        truths += synth.write_workbook(path, [spec])
        specs[str(path)] = spec
    return d, truths, specs


@pytest.fixture(scope="session")
def official_read(official_corpus: tuple[Path, list[synth.Truth], dict]) -> api.Result:
    return api.read_many([official_corpus[0]])


def test_corpus_is_official_looking(official_corpus: tuple[Path, list[synth.Truth], dict]) -> None:
    _, _, specs = official_corpus
    grid = [s for s in specs.values() if s.layout.grid]
    assert len(grid) >= 15
    assert any(s.extra_sheets for s in grid) and any(s.layout.notes for s in grid)


def test_no_silently_wrong_answers(official_corpus: tuple[Path, list[synth.Truth], dict],
                                   official_read: api.Result) -> None:
    res = official_read
    s = score(official_corpus[1], res.submissions, res.answers, res.problems)
    assert s.silent == 0, s.silent_examples
    assert s.exact_rate >= 0.98, s.line()
    assert s.sheets_right >= 0.9 * s.sheets, s.line()


def test_blank_counterpart_sheets_read_blank(official_corpus: tuple[Path, list[synth.Truth], dict],
                                             official_read: api.Result) -> None:
    """The other variant's form, kept blank in the return, yields no answer and is not lost:
    either a form with nothing answered or a problem row naming the sheet."""
    _, truths, specs = official_corpus
    res = official_read
    kept = [(t.path, synth.official_sheet_name(t.edition, synth.counterpart(t.variant)))
            for t in truths if "counterpart" in specs[t.path].extra_sheets]
    assert kept
    for path, sheet in kept:
        sub = res.submissions[(res.submissions.path == path) & (res.submissions.sheet == sheet)]
        got = res.answers[res.answers.submission_id.isin(sub.submission_id)]
        assert (got.answer == "blank").all(), (path, sheet)
        named = ((res.problems.path == path) & (res.problems.sheet == sheet)).any()
        assert len(sub) == 1 or named, (path, sheet)
