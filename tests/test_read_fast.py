"""The reader's fast paths give what the plain way gives (issue 19: cheaper per-file parse).

Each fast path of :mod:`xltools.xlsx.book` is compared with a slow reference on real-shaped
workbooks (testkit's official-look and plain generators) and on hostile-shaped inputs.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from testkit import synth
from xltools.xlsx import book as B


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A few plain and official-look (方眼紙, merged grid, dropdowns, struck words) workbooks."""
    d = tmp_path_factory.mktemp("fast")
    rng = random.Random(20261202)
    out = []
    for i in range(12):
        spec = synth.random_spec(rng, seed=i, official_look=i % 2 == 0)
        path = d / f"f{i:02d}.xlsx"
        synth.write_workbook(path, [spec])
        out.append(path)
    return out


def _first_listed(merged: list[tuple[int, int, int, int]], row: int, col: int
                  ) -> tuple[int, int, int]:
    """The reference: the first listed merge holding the cell, else the cell itself."""
    return next(((r0, c0, c1) for r0, c0, r1, c1 in merged
                 if r0 <= row <= r1 and c0 <= col <= c1), (row, col, col))


def _check_merges(merged: list[tuple[int, int, int, int]], rows: int, cols: int) -> None:
    sheet = B.Sheet("s", 0, [], list(merged))
    fresh = B.Sheet("s", 0, [], list(merged))  # merged_origin asked first: it builds the index
    for r in range(-1, rows + 2):
        for c in range(-1, cols + 2):
            want = _first_listed(merged, r, c)
            assert fresh.merged_origin(r, c) == want[:2], (merged, r, c)
            assert sheet.merged_span(r, c) == want, (merged, r, c)
            assert sheet.merged_origin(r, c) == want[:2], (merged, r, c)


def test_merge_index_matches_the_first_listed_merge_on_random_and_overlapping_merges() -> None:
    rng = random.Random(7)
    for _ in range(400):
        merged = []
        for _ in range(rng.randint(0, 30)):
            r0, c0 = rng.randint(0, 12), rng.randint(0, 12)
            merged.append((r0, c0, r0 + rng.choice((0, 0, 0, 1, 3)), c0 + rng.randint(0, 3)))
        _check_merges(merged, 16, 16)


def test_merge_index_too_many_rows_scans_the_list() -> None:
    merged = [(0, 0, 300_000, 1), (2, 3, 2, 5), (2, 4, 4, 4)]
    assert B._merge_rows(merged) is B._HUGE
    _check_merges(merged, 6, 7)


def test_merge_index_on_generated_workbooks(generated: list[Path]) -> None:
    for path in generated:
        for sheet in B.read_book(path).sheets:
            _check_merges(sheet.merged, min(sheet.nrows, 80), min(sheet.ncols, 40))
