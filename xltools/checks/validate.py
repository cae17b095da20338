"""Check stage: a located, read sheet -> problem rows (validation of one submission).

Rules follow the inspection practice: from R6 every item's 1回目 answer and its date must be
filled; いいえ needs a 目標日 within the fiscal year the item is due (R7 two-factor: FY2027);
the gate item 0 answered いいえ means the rest may be left blank.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import compress, count
from operator import gt, itemgetter
from typing import Any

from xltools import problems as P
from xltools.decode import BLANK, NO, YES, Slot
from xltools.forms.locate import Located
from xltools.text import norm
from xltools.xlsx.book import Sheet, address

DATE_REQUIRED_FROM = 2024  # R6 (FY2024): 立入検査 checks every 1回目 date


@dataclass
class Context:
    path: str
    submission_id: str
    sheet: str


def _ref_and_text(located: Located, item_id: str) -> tuple[str, str]:
    it = located.mapping.item(item_id)
    return it.ref, it.text_for(located.variant)[:40]


def check_structure(located: Located, ctx: Context) -> list[P.Problem]:
    """Recognition notes, missing/duplicate/unknown rows, header fields."""
    out: list[P.Problem] = []
    base = {"path": ctx.path, "submission_id": ctx.submission_id, "sheet": ctx.sheet}
    for code, detail in located.notes:
        out.append(P.make(code, detail=detail, **base))
    if not located.columns.rounds:
        out.append(P.make("form.no_answer_column", **base))
    found = {(h.item_id, h.scope) for h in located.rows}
    for item_id, scope in located.mapping.expected_rows(located.variant):
        if (item_id, scope) not in found:
            ref, text = _ref_and_text(located, item_id)
            out.append(P.make("locate.item_missing", item_id=item_id, scope=scope, ref=ref,
                              text=text, **base))
    for h in located.duplicates:
        ref, _ = _ref_and_text(located, h.item_id)
        out.append(P.make("locate.item_duplicated", cell=address(h.row, h.col), item_id=h.item_id,
                          scope=h.scope_hint, ref=ref, **base))
    for h in located.unclear_scope:
        ref, _ = _ref_and_text(located, h.item_id)
        out.append(P.make("locate.scope_unclear", cell=address(h.row, h.col), item_id=h.item_id,
                          ref=ref, **base))
    for r, c, text in located.unknown_rows:
        out.append(P.make("locate.unknown_row", cell=address(r, c), detail=_short(text), **base))
    for r, c, text in located.uncertain_rows:
        out.append(P.make("locate.item_uncertain", cell=address(r, c), detail=_short(text), **base))
    out.extend(_stray_answers(located, base))
    if "facility_name" not in located.fields:
        out.append(P.make("locate.facility_missing", **base))
    if located.variant == "vendor" and "vendor_name" not in located.fields:
        out.append(P.make("locate.vendor_missing", **base))
    return out


def _short(text: str, n: int = 40) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "…"


def gated(slots: list[Slot], located: Located) -> bool:
    """Item 0 (has a medical information system) answered いいえ."""
    gate_ids = {it.id for it in located.mapping.items if it.gate}
    return any(s.item_id in gate_ids and s.round == 1 and s.decoded.answer == NO for s in slots)


def check_answers(located: Located, slots: list[Slot], ctx: Context) -> list[P.Problem]:
    """Per-answer validation: unreadable, blank, dates, targets.

    Most slots have nothing to report: a slot's problems are decided first and its common
    fields (item, scope, round, ref) built only when there is one."""
    out: list[P.Problem] = []
    base = {"path": ctx.path, "submission_id": ctx.submission_id, "sheet": ctx.sheet}
    mapping = located.mapping
    is_gated = gated(slots, located)
    if is_gated:
        out.append(P.make("answer.gate_no", **base))
    gate_ids = {it.id for it in mapping.items if it.gate}
    later_yes = {(s.item_id, s.scope) for s in slots if s.round > 1 and s.decoded.answer == YES}
    dates_required = mapping.fiscal_year >= DATE_REQUIRED_FROM
    first_day, last_day = _plausible_range(mapping.fiscal_year)
    for s in slots:
        found: list[tuple[str, dict[str, Any]]] = []
        d = s.decoded
        checked = s.checked
        if d.reason:
            found.append(("answer.unreadable", {"cell": s.cell, "raw": _short(s.raw),
                                                "detail": d.reason}))
        elif d.answer == BLANK and checked.value is not None:
            found.append(("answer.date_without_answer", {"cell": s.cell}))
        elif d.answer == BLANK and s.round == 1 and not (is_gated and s.item_id not in gate_ids):
            found.append(("answer.blank", {"cell": s.cell}))
        if not checked.ok:
            found.append(("answer.date_unreadable", {"cell": s.date_cell or s.cell,
                                                     "raw": _short(s.raw_date)}))
        elif d.answer in (YES, NO) and checked.value is None and dates_required:
            found.append(("answer.date_missing", {"cell": s.date_cell or s.cell}))
        elif checked.value is not None and not first_day <= checked.value <= last_day:
            found.append(("answer.date_out_of_range", {"cell": s.date_cell or s.cell,
                                                       "detail": checked.value.isoformat()}))
        if not s.target.ok:
            found.append(("answer.date_unreadable", {"cell": s.target_cell,
                                                     "raw": _short(s.raw_target)}))
        elif d.answer == NO and (s.item_id, s.scope) not in later_yes:
            it = mapping.item(s.item_id)
            found += _check_target(s, it.target_fiscal_year or mapping.fiscal_year)
        if found:
            kw = {**base, "item_id": s.item_id, "scope": s.scope, "round": s.round,
                  "ref": mapping.item(s.item_id).ref}
            out.extend(P.make(code, **extra, **kw) for code, extra in found)
    return out


def _check_target(s: Slot, due_fy: int) -> list[tuple[str, dict[str, Any]]]:
    if s.target.value is None:
        return [("answer.target_missing", {"cell": s.target_cell or s.cell})]
    end = dt.date(due_fy + 1, 3, 31)
    if s.target.value > end:
        return [("answer.target_out_of_year", {
            "cell": s.target_cell, "detail": f"{s.target.value.isoformat()}（期限 {end.isoformat()}）"})]
    return []


def _plausible_range(fy: int) -> tuple[dt.date, dt.date]:
    """The checked dates believable for an edition: from the April before its fiscal year to
    the March after the next."""
    return dt.date(fy - 1, 4, 1), dt.date(fy + 2, 3, 31)


_ANSWER_TOKENS = {"はい", "いいえ", "○", "〇", "◯", "●", "×", "✕", "✓", "✔", "☑", "レ", "yes", "no"}


def _stray_answers(located: Located, base: dict) -> list[P.Problem]:
    """An answer-like mark on an item row outside every column we read: a layout we did not
    understand. Reported so it can never be silently dropped (once per cell, however many
    grid columns or item rows its merge spans)."""
    cols = located.columns
    known = set(cols.answer.values()) | set(cols.yes.values()) | set(cols.no.values()) | \
        set(cols.date.values()) | set(cols.target.values()) | {cols.scope, cols.ref}
    covering = _answer_tokens_by_row(located.sheet, {h.row for h in located.rows})
    out = []
    seen: set[tuple[int, int]] = set()
    for h in located.rows:
        for r0, c0, v in covering.get(h.row, ()):
            if c0 in known or c0 == h.col or (r0, c0) in seen:
                continue
            seen.add((r0, c0))
            out.append(P.make("locate.stray_answer", cell=address(r0, c0), item_id=h.item_id,
                              scope=h.scope, raw=v, **base))
    return out


_FIRST_ROW, _LAST_ROW = itemgetter(0), itemgetter(2)  # of a merge (r0, c0, r1, c1)


def _answer_tokens_by_row(sheet: Sheet, rows: set[int]) -> dict[int, list[tuple[int, int, str]]]:
    """Item row -> answer-like cells covering it: (origin row, origin column, text); a cell
    merged down over several rows covers each of them."""
    out: dict[int, list[tuple[int, int, str]]] = {}
    grid = sheet.rows
    for r in rows:
        row = grid[r] if r < len(grid) else []
        for c in compress(count(), row):  # the written cells, picked in C (a grid row is wide)
            v = row[c]  # tokens are short: long item text never is one
            if isinstance(v, str) and len(v) <= 8 and norm(v) in _ANSWER_TOKENS:
                out.setdefault(r, []).append((r, c, v))
    merged = sheet.merged  # the merges spanning rows, picked in C (a form has a hundred merges)
    for r0, c0, r1, _c1 in compress(merged, map(gt, map(_LAST_ROW, merged), map(_FIRST_ROW, merged))):
        v = sheet.value(r0, c0)
        if v and isinstance(v, str) and norm(v) in _ANSWER_TOKENS:
            for rr in range(r0 + 1, r1 + 1):
                if rr in rows:
                    out.setdefault(rr, []).append((r0, c0, v))
    return out

