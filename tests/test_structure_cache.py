"""The structure cache never changes a result: the three frames with and without it are equal
on every generated corpus (plain returns, official-look returns, the two tables, the samples),
and it is really used (templates reused), so the comparison cannot pass by never hitting."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from testkit import relay, synth, table_synth
from xltools.forms import structure_cache
from xltools.forms.catalogue import load_catalogue
from xltools.pipeline import expand_inputs, read_file, to_result

SAMPLES = Path(__file__).resolve().parents[1] / "workbooks" / "samples"


def _copies(folder: Path, official: bool, n: int, repeats: int, seed: int) -> None:
    """n drawn layouts, each returned ``repeats`` times with other answers, dates and names:
    the same printed form filled in by different facilities."""
    rng = random.Random(seed)
    names = [f for f in synth.FACILITIES if "薬局" not in f]
    for i in range(n):
        spec = synth.random_spec(rng, seed=seed + i, official_look=official)
        for k in range(repeats):
            copy = replace(spec, seed=spec.seed * 100 + k, date_style=synth.DATE_STYLES[k % 9])
            if spec.variant != "pharmacy" and k:
                copy = replace(copy, facility_name=names[(i + k) % len(names)])
            synth.write_workbook(folder / f"c{i:02d}_{k}.xlsx", [copy])


def _one_round_copies(folder: Path, n: int, repeats: int, seed: int) -> None:
    """One-round sheets (fields spelt every way, some with device rows under each item), each
    returned several times; a device-row copy whose item row is answered must not reuse the
    location of one whose device rows are."""
    rng = random.Random(seed)
    for i in range(n):
        spec = relay.random_one_round(rng, seed + i)
        if i % 2:
            spec = replace(spec, scope_rows=True)
        for k in range(repeats):
            relay.write_one_round(folder / f"r{i:02d}_{k}.xlsx",
                                  replace(spec, seed=spec.seed * 100 + k, blank=k == 2))


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    root = tmp_path_factory.mktemp("structure_cache")
    folders = {"plain": root / "plain", "official": root / "official", "tables": root / "tables",
               "one_round": root / "one_round"}
    for f in folders.values():
        f.mkdir()
    _copies(folders["plain"], official=False, n=8, repeats=3, seed=1900)
    _copies(folders["official"], official=True, n=12, repeats=4, seed=2900)
    table_synth.write_corpus(folders["tables"], n_contract=8, n_bcp=8, seed=19)
    _one_round_copies(folders["one_round"], n=8, repeats=3, seed=3900)
    out = {k: expand_inputs([v]) for k, v in folders.items()}
    out["samples"] = expand_inputs([SAMPLES])
    return out


def _frames(files: list[str]) -> dict[str, pd.DataFrame]:
    catalogue = load_catalogue()
    res = to_result(read_file(f, catalogue) for f in files)
    return {"submissions": res.submissions, "answers": res.answers, "problems": res.problems}


@pytest.mark.parametrize("corpus", ["plain", "official", "tables", "one_round", "samples"])
def test_frames_identical_with_and_without_the_cache(corpora: dict[str, list[str]],
                                                     corpus: str) -> None:
    files = corpora[corpus]
    structure_cache.clear()
    with structure_cache.disabled():
        without = _frames(files)
    structure_cache.clear()
    first = _frames(files)
    second = _frames(files)  # every template already made: the most reuse
    used = structure_cache.stats()
    for name, frame in without.items():
        pd.testing.assert_frame_equal(frame, first[name])
        pd.testing.assert_frame_equal(frame, second[name])
    if corpus in ("plain", "official"):
        assert used["hits"] > len(files) // 2, used


def test_a_changed_printed_cell_is_located_the_full_way(tmp_path: Path) -> None:
    """A copy whose printed structure differs in one item text is not given the template's
    location: it is read exactly as without the cache."""
    spec = synth.random_spec(random.Random(7), seed=7, official_look=True)
    synth.write_workbook(tmp_path / "a.xlsx", [spec])
    synth.write_workbook(tmp_path / "b.xlsx", [replace(spec, seed=8)])
    files = [str(tmp_path / "a.xlsx"), str(tmp_path / "b.xlsx")]
    structure_cache.clear()
    _frames(files + files)
    hits = structure_cache.stats()["hits"]
    assert hits >= 1
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    ws = wb.worksheets[-1] if spec.extra_sheets else wb.worksheets[0]
    item = next(c for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and len(c.value) > 25)
    item.value = item.value[:-3] + "していない。"
    wb.save(tmp_path / "c.xlsx")
    before = structure_cache.stats()
    got = _frames([str(tmp_path / "c.xlsx")])
    assert structure_cache.stats()["misses"] > before["misses"]
    with structure_cache.disabled():
        want = _frames([str(tmp_path / "c.xlsx")])
    for name, frame in want.items():
        pd.testing.assert_frame_equal(frame, got[name])


def test_an_answer_on_the_item_row_above_device_rows_is_read_the_full_way(tmp_path: Path) -> None:
    """Device rows under an item take its answers only while the item's own row is
    unanswered: a copy answering on the item row must not reuse a location made from copies
    answering on the device rows (the structure printed is the same)."""
    import openpyxl

    from xltools.forms import checklist
    from xltools.forms.locate import Scan
    from xltools.xlsx.book import read_book

    spec = replace(relay.random_one_round(random.Random(5), 5), scope_rows=True, grid=False,
                   scope_column=False)
    a = tmp_path / "a.xlsx"
    relay.write_one_round(a, spec)
    sheet = read_book(a).sheets[0]
    scan = Scan.of(sheet)
    located = checklist.locate(scan, load_catalogue())
    assert located is not None
    # the first device row: its item-column cell is a device word, the row above the item's
    device = min((h for h in located.rows if len(scan.text.get((h.row, h.col), "")) < 10),
                 key=lambda h: h.row)
    item_row = device.row - 1
    assert len(scan.text.get((item_row, device.col), "")) > 10
    answer_col = located.columns.answer[min(located.columns.answer)]
    wb = openpyxl.load_workbook(a)
    wb.save(tmp_path / "b.xlsx")  # saved by the same writer as the changed copy
    wb[sheet.name].cell(item_row + 1, answer_col + 1).value = "はい"  # openpyxl counts from 1
    wb.save(tmp_path / "c.xlsx")
    files = [str(tmp_path / n) for n in ("b.xlsx", "b.xlsx", "c.xlsx")]
    structure_cache.clear()
    with structure_cache.disabled():
        want = _frames(files)
    structure_cache.clear()
    got = _frames(files)
    for name, frame in want.items():
        pd.testing.assert_frame_equal(frame, got[name])


def test_a_field_value_written_like_a_label_is_read_as_on_the_full_way(tmp_path: Path) -> None:
    """A reused location reads header fields at the template's label cells only, plus any
    variable cell written like a label: a facility-name cell holding 「医療機関コード：…」 gives
    the code field exactly as the full way does."""
    import openpyxl

    from xltools.forms import checklist
    from xltools.forms.locate import Scan
    from xltools.xlsx.book import read_book

    spec = synth.random_spec(random.Random(7), seed=7, official_look=True)
    synth.write_workbook(tmp_path / "b.xlsx", [replace(spec, seed=8)])
    sheet = next(s for s in read_book(tmp_path / "b.xlsx").sheets if s.name == spec.sheet_name)
    located = checklist.locate(Scan.of(sheet), load_catalogue())
    assert located is not None and "facility_code" not in located.fields
    where = located.fields["facility_name"]
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    wb.save(tmp_path / "b2.xlsx")  # saved by the same writer as the changed copy
    wb[sheet.name].cell(where.row + 1, where.col + 1).value = "医療機関コード：1234567"
    wb.save(tmp_path / "c.xlsx")
    files = [str(tmp_path / n) for n in ("b2.xlsx", "b2.xlsx", "c.xlsx")]
    structure_cache.clear()
    with structure_cache.disabled():
        want = _frames(files)
    structure_cache.clear()
    _frames(files[:2])
    before = structure_cache.stats()["hits"]
    got = _frames(files)
    assert structure_cache.stats()["hits"] >= before + 3  # c.xlsx reused the location too
    assert "1234567" in set(want["submissions"]["facility_code"])
    for name, frame in want.items():
        pd.testing.assert_frame_equal(frame, got[name])
