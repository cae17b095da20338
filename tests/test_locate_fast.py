"""The locate stage's fast paths give what the plain way gives, on real-shaped workbooks.

* item rows: :func:`xltools.forms.locate.find_item_rows` (one pass, memoised cell matches, a
  text no item comes near taken as no item without ranking the items) against the plain way
  (every cell of every row ranked by :func:`match_item`, row by row);
* header fields: :func:`find_fields` reading only the cells holding a label against every
  cell in order;
* answer places and slots built by position: in the order their classes declare.
"""

from __future__ import annotations

import random

import pytest

from testkit import relay, synth, table_synth
from xltools.forms import locate as L
from xltools.forms.catalogue import load_catalogue
from xltools.xlsx.book import read_book


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> list[L.Scan]:
    root = tmp_path_factory.mktemp("locate_fast")
    rng = random.Random(1919)
    for i in range(16):
        spec = synth.random_spec(rng, seed=1919 + i, official_look=i % 2 == 0)
        synth.write_workbook(root / f"s{i}.xlsx", [spec])
    for i in range(4):
        relay.write_one_round(root / f"r{i}.xlsx", relay.random_one_round(rng, 2919 + i))
    table_synth.write_corpus(root / "tables", n_contract=3, n_bcp=3, seed=19)
    files = sorted(root.rglob("*.xlsx"))
    return [L.Scan.of(sheet) for f in files for sheet in read_book(f).sheets]


def _plain_item_rows(scan: L.Scan, index: L.ItemIndex, words: L.Words
                     ) -> tuple[list[L.RowHit], list[tuple[int, int, str]]]:
    """find_item_rows as first written: no memo, every text of six characters ranked."""
    hits: list[L.RowHit] = []
    uncertain: list[tuple[int, int, str]] = []
    by_row: dict[int, list[tuple[int, str]]] = {}
    for (r, c), t in scan.text.items():
        if len(t) >= 6:
            by_row.setdefault(r, []).append((c, t))
    for r in sorted(by_row):
        best: L.RowHit | None = None
        best_second = 0.0
        for c, _t in by_row[r]:
            body, ref = L.strip_ref(scan.raw[(r, c)])
            body_n, label = L.split_scope_label(L.norm(body), words)
            if len(body_n) < 6:
                continue
            item_id, score, second_id, second = L.match_item(body_n, index)
            if not item_id:
                continue
            if best is None or score > best.score:
                best = L.RowHit(row=r, col=c, item_id=item_id, score=score,
                                raw_text=scan.raw[(r, c)], ref_text=ref, scope_hint=label,
                                hint_source="label" if label else "", runner_up=second_id)
                best_second = second
        if best is None:
            continue
        margin = best.score - best_second if best.runner_up else 100.0
        if best.score >= L.ITEM_ACCEPT and (margin >= 3.0 or best.score >= 97) or \
                best.score >= L.ITEM_REVIEW and margin >= L.MARGIN:
            hits.append(best)
        elif best.score >= L.ITEM_REVIEW - 10:
            uncertain.append((best.row, best.col, best.raw_text))
    return hits, uncertain


def test_item_rows_as_the_plain_way(scans: list[L.Scan]) -> None:
    catalogue = load_catalogue()
    words = L.Words.of(catalogue)
    index = L.item_index(catalogue, "checklist")
    index.seen.clear()
    found = 0
    for _ in range(2):  # cold memo, then warm
        for scan in scans:
            got = L.find_item_rows(scan, index, words)
            assert got == _plain_item_rows(scan, index, words)
            found += len(got[0])
    assert found > 500


def test_a_text_taken_as_no_item_scores_below_what_locating_reads(scans: list[L.Scan]) -> None:
    catalogue = load_catalogue()
    words = L.Words.of(catalogue)
    index = L.item_index(catalogue, "checklist")
    skipped = 0
    for scan in scans:
        for raw in scan.raw.values():
            body_n = L.split_scope_label(L.norm(L.strip_ref(raw)[0]), words)[0]
            if len(body_n) < 6:
                continue
            if not L._cell_match(raw, index, words)[2]:
                skipped += 1
                assert L.match_item(body_n, index)[1] < L.ITEM_REVIEW - 10, raw
    assert skipped > 50


def test_fields_from_label_cells_as_from_every_cell(scans: list[L.Scan]) -> None:
    words = L.Words.of(load_catalogue())
    every = 0
    for scan in scans:
        for skip in (set(), {r for r, _c in list(scan.text)[:40]}):
            cells = sorted(p for p, t in scan.text.items()  # what it read before
                           if p[0] not in skip and len(t) <= L.FIELD_LIMIT)
            got = L.find_fields(scan, words, skip)
            assert got == L.find_fields(scan, words, skip, cells=cells)
            every += len(got)
    assert every > 20


def test_checklist_places_are_built_in_the_order_place_declares() -> None:
    """checklist._places passes a Place's fields by position: a reordered Place must fail here,
    not read the wrong cells."""
    from dataclasses import fields

    from xltools.forms import checklist
    from xltools.forms.located import Place

    names = tuple(f.name for f in fields(Place))
    assert names[:len(checklist.PLACE_ORDER)] == checklist.PLACE_ORDER


def test_slots_are_built_in_the_order_slot_declares() -> None:
    """decode.read_place passes a Slot's fields by position (as checklist._places does)."""
    from dataclasses import fields

    from xltools import decode

    assert tuple(f.name for f in fields(decode.Slot)) == decode.SLOT_ORDER
