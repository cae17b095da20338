"""The cyber checklist (サイバーセキュリティ対策チェックリスト): locate one sheet.

Wires the generic locate helpers and recognition together for this form: find item rows,
recognise edition and variant, find columns and header fields, then give each item row its
scope for that edition. :data:`FORM` is the checklist's :class:`~xltools.forms.located.FormKind`:
it turns those findings into the located form every form shares (one answer place per item
row and round) and checks what was read (:mod:`xltools.checks.validate`).
"""

from __future__ import annotations

from typing import Any

from xltools import problems as P
from xltools.checks.validate import Context, check_answers, check_structure
from xltools.decode import Slot
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
from xltools.forms.located import NAME_FIELDS, Expected, LocatedForm, Part, Place
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
    expected = _expected_scopes(mapping, variant)
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


_SCOPES: dict[tuple[int, str], tuple[FormMapping, dict[str, tuple[str, ...]]]] = {}


def _expected_scopes(mapping: FormMapping, variant: str) -> dict[str, tuple[str, ...]]:
    """Item id -> the scopes a variant's sheet asks of it (made once per mapping and variant;
    the entry keeps its mapping, so the id in the key cannot be another mapping's)."""
    key = (id(mapping), variant)
    got = _SCOPES.get(key)
    if got is None or got[0] is not mapping:
        if len(_SCOPES) > 256:
            _SCOPES.clear()
        got = _SCOPES[key] = (mapping, {it.id: tuple(it.scopes)
                                        for it in mapping.items_for(variant)})
    return got[1]


def _stray_rows(scan: Scan, hits: list[RowHit], cols, words: Words) -> list[tuple[int, int, str]]:
    """Rows inside the item table that carry an answer but match no item."""
    first, last = min(h.row for h in hits), max(h.row for h in hits)
    hit_rows = {h.row for h in hits}
    answer_cols = set(cols.answer.values()) | set(cols.yes.values()) | set(cols.no.values())
    out = []
    for r in range(first + 1, last):
        if r in hit_rows or r in cols.header_rows:
            continue
        cells = scan.cells_in(r)
        if not cells:
            continue
        texts = [(c, t) for c, t in cells if c not in answer_cols and len(t) >= 10]
        answered = any(c in answer_cols for c, _ in cells)
        if texts and answered:
            c, _t = texts[0]
            out.append((r, c, scan.raw[(r, c)]))
    return out


def is_pharmacy_name(name: str) -> bool:
    return "薬局" in norm(name)


# --------------------------------------------------------------------------------------------
# the checklist as a form kind


class ChecklistForm:
    """The checklist's piece of the one form contract (:mod:`xltools.forms.located`)."""

    form = "checklist"
    # a submission is partial when an item row, an answer column or a scope was not found
    PARTIAL = frozenset({"locate.item_missing", "form.no_answer_column", "locate.scope_unclear"})

    def locate(self, scan: Scan, catalogue: Catalogue) -> LocatedForm | None:
        from xltools.forms import structure_cache  # it calls locate() on a miss

        found = structure_cache.locate(scan, catalogue)
        if found is None:
            return None
        mapping = found.mapping
        return LocatedForm(
            kind=self, form=mapping.form, sheet=found.sheet, mapping=mapping.key,
            edition=mapping.edition, variant=found.variant, confidence=found.confidence,
            names={k: found.fields[k].value for k in NAME_FIELDS if k in found.fields},
            parts=[Part(found.sheet, places(found), [h.row for h in found.rows])],
            expected=expected(found), found=found)

    def check(self, located: LocatedForm, slots: list[list[Slot]], ctx: Context
              ) -> list[P.Problem]:
        return check_structure(located.found, ctx) + check_answers(located.found, slots[0], ctx)

    def partial(self, problems: list[dict[str, Any]]) -> bool:
        return any(p["code"] in self.PARTIAL for p in problems)


def places(found: Located) -> list[Place]:
    """One answer place per (item row, round): the round's answer cell or its separate
    はい・いいえ columns, its 確認日 (or a date written in the answer cell) and 目標日.

    Made once per location (:attr:`Located.derived`): sheets reusing a template's location
    share its places (decode only reads them)."""
    got = found.derived.get("places")
    if got is None:
        got = found.derived["places"] = _places(found)
    return list(got)


PLACE_ORDER = ("item_id", "scope", "round", "row", "ref", "item_cell", "answer", "yes", "no",
               "tick", "date", "date_in_answer", "fiscal_year", "target", "target_fiscal_year",
               "target_always")  # Place's first fields, as _places passes them


def _places(found: Located) -> list[Place]:
    cols = found.columns
    fy = found.mapping.fiscal_year
    rounds = cols.rounds  # a computed property: once, not per row
    first_round = min(rounds, default=0)
    per_round = []  # (round, answer, yes, no, date, target, target_always): once per sheet
    for rnd in rounds:
        answer = cols.answer.get(rnd)
        split = answer is None
        per_round.append((rnd, answer, cols.yes.get(rnd) if split else None,
                          cols.no.get(rnd) if split else None, cols.date.get(rnd),
                          cols.target_for(rnd), rnd in cols.target or rnd == first_round))
    out = []
    for hit in found.rows:
        item = found.mapping.item(hit.item_id)
        target_fy = item.target_fiscal_year or fy
        for rnd, answer, yes, no, date, target, target_always in per_round:
            # positional, in PLACE_ORDER (a keyword call costs twice as much, and a sheet
            # makes a hundred places)
            out.append(Place(hit.item_id, hit.scope, rnd, hit.row, item.ref, "", answer, yes, no,
                             False, date, True, fy, target, target_fy, target_always))
    return out


def expected(found: Located) -> list[Expected]:
    """Every (item, scope, round) this edition and variant asks for (made once per location,
    as :func:`places`)."""
    got = found.derived.get("expected")
    if got is None:
        got = found.derived["expected"] = _expected(found)
    return list(got)


_EXPECTED: dict[tuple[int, str, tuple[int, ...]], tuple[FormMapping, list[Expected]]] = {}


def _expected(found: Located) -> list[Expected]:
    """The same for every sheet of one edition, variant and rounds: made once per process
    (the entry keeps its mapping, so the id in the key cannot be another mapping's)."""
    mapping = found.mapping
    rounds = tuple(found.columns.rounds or [1])
    key = (id(mapping), found.variant, rounds)
    got = _EXPECTED.get(key)
    if got is None or got[0] is not mapping:
        if len(_EXPECTED) > 256:
            _EXPECTED.clear()
        got = _EXPECTED[key] = (mapping, [
            Expected(item_id, scope, rnd, mapping.item(item_id).ref)
            for item_id, scope in mapping.expected_rows(found.variant) for rnd in rounds])
    return got[1]


FORM = ChecklistForm()
