"""The cyber checklist (サイバーセキュリティ対策チェックリスト): locate one sheet.

Wires the generic locate helpers and recognition together for this form: find item rows,
recognise edition and variant, find columns and header fields, then give each item row its
scope for that edition.
"""

from __future__ import annotations

from xltools.forms.catalogue import Catalogue, FormMapping
from xltools.forms.locate import (
    Located,
    RowHit,
    Scan,
    Words,
    assign_scope_hints,
    find_fields,
    find_item_rows,
    item_index,
    locate_columns,
    split_scope_rows,
)
from xltools.forms.recognize import recognise
from xltools.text import norm

MIN_ITEMS = 3  # fewer matched item rows than this: not a checklist sheet


def locate(scan: Scan, catalogue: Catalogue) -> Located | None:
    """Locate a checklist on a sheet, or None when the sheet is not one."""
    words = Words.of(catalogue)
    index = item_index(catalogue, "checklist")
    sections = catalogue.editions("checklist")[0].sections
    hits, uncertain = find_item_rows(scan, index, words,
                                     ignore=tuple(norm(s) for s in sections.values()))
    if len(hits) < MIN_ITEMS:
        return None
    cols = locate_columns(scan, hits, words)
    hits = split_scope_rows(scan, hits, cols, words)
    item_rows = {h.row for h in hits}
    fields = find_fields(scan, words, skip_rows=item_rows | set(cols.header_rows))
    any_mapping = catalogue.editions("checklist")[0]
    assign_scope_hints(scan, hits, cols, words, any_mapping.sections)
    rec = recognise(scan, hits, catalogue, fields, cols.ref)
    if rec is None:
        return None
    rows, duplicates, unclear, foreign = resolve_scopes(hits, rec.mapping, rec.variant)
    unknown = [(h.row, h.col, h.raw_text) for h in foreign]
    unknown += _stray_rows(scan, hits, cols, words)
    return Located(sheet=scan.sheet, mapping=rec.mapping, variant=rec.variant,
                   confidence=rec.confidence, columns=cols, rows=rows, fields=fields,
                   unknown_rows=unknown, uncertain_rows=uncertain, duplicates=duplicates,
                   unclear_scope=unclear, notes=rec.notes, title=rec.title)


def resolve_scopes(hits: list[RowHit], mapping: FormMapping, variant: str
                   ) -> tuple[list[RowHit], list[RowHit], list[RowHit], list[RowHit]]:
    """Give each hit one of its item's expected scopes in this edition.

    A hint (label, scope column, heading) decides among several expected scopes; an item with
    one expected scope takes it whatever the hint; when exactly one expected scope and one row
    remain, elimination decides. Anything else is reported, never assigned by position.
    Returns (resolved rows, duplicates, rows whose scope is unclear, rows of items this form
    does not ask).
    """
    expected = {it.id: list(it.scopes) for it in mapping.items_for(variant)}
    by_item: dict[str, list[RowHit]] = {}
    foreign: list[RowHit] = []
    for h in sorted(hits, key=lambda h: h.row):
        if h.item_id in expected:
            by_item.setdefault(h.item_id, []).append(h)
        else:
            foreign.append(h)
    resolved: list[RowHit] = []
    duplicates: list[RowHit] = []
    unclear: list[RowHit] = []
    for item_id, item_hits in by_item.items():
        scopes = expected[item_id]
        free = list(scopes)
        pending: list[RowHit] = []
        if len(scopes) == 1:
            first, *rest = item_hits
            first.scope = scopes[0]
            resolved.append(first)
            duplicates.extend(rest)
            continue
        for h in item_hits:
            if h.scope_hint in free:
                h.scope = h.scope_hint
                free.remove(h.scope_hint)
                resolved.append(h)
            elif h.scope_hint in scopes:
                duplicates.append(h)
            else:
                pending.append(h)
        if len(free) == 1 and len(pending) == 1:
            pending[0].scope = free[0]
            resolved.append(pending[0])
        else:
            unclear.extend(pending)
    resolved.sort(key=lambda h: h.row)
    return resolved, duplicates, unclear, foreign


def _stray_rows(scan: Scan, hits: list[RowHit], cols, words: Words) -> list[tuple[int, int, str]]:
    """Rows inside the item table that carry an answer but match no item."""
    first, last = min(h.row for h in hits), max(h.row for h in hits)
    hit_rows = {h.row for h in hits}
    answer_cols = set(cols.answer.values()) | set(cols.yes.values()) | set(cols.no.values())
    out = []
    for r in range(first + 1, last):
        if r in hit_rows or r in cols.header_rows:
            continue
        cells = scan.row_cells(r)
        texts = [(c, t) for c, t in cells if c not in answer_cols and len(t) >= 10]
        answered = any(c in answer_cols for c, _ in cells)
        if texts and answered:
            c, _t = texts[0]
            out.append((r, c, scan.raw[(r, c)]))
    return out


def is_pharmacy_name(name: str) -> bool:
    return "薬局" in norm(name)
