"""Structure cache: a checklist sheet printed like one already located reuses that location.

Most returned files are the official form filled in: the same item texts in the same cells,
the same merges, the same header; only the answers, dates and names differ. Locating such a
sheet (fuzzy item match, header columns, scopes, recognition) repeats work whose result is
already known. :func:`locate` keeps, per process, *templates*: a located sheet together with
its printed structure (every written cell outside the cells a return fills in, the merges, the
width). A later sheet whose printed structure is identical to a template's, cell for cell,
reuses the template's location after a cheap check; anything else goes the full way
(:func:`xltools.forms.checklist.locate`) and may become a template.

It must never change a result. The cells a return fills in (the *variable* cells: answer,
yes/no, date and target cells of every item row, and the header fields' values) are the only
ones allowed to differ, and they are allowed only where the locator provably ignores them; for
each step of :func:`~xltools.forms.checklist.locate`:

* item rows: a variable cell never matches an item (fuzzy score below the lowest that makes a
  row an item or an undecided row), so every row's best cell is unchanged;
* header: no variable cell in the rows the header search reads, nor under a header label;
  sheets whose answer columns were found by content (no header) are never templates;
* header fields: found again on every sheet (their values are the variable cells) — at the
  template's label cells and any variable cell written like a label, the only cells
  find_fields can use — and the facility-name facts recognition uses (薬局 in the name or
  label, a vendor name) must match;
* scopes: no variable cell left of an item text or in the scope or number column; a row with
  variable cells that is not an item row must read as the same heading (or not) as in the
  template;
* recognition: variable cells carry none of the words it looks for (title, edition markers,
  variant labels); a template whose edition was decided by the dates written is never reused;
* stray rows: no variable cell on a non-item row inside the item table.

A reused location shares the template's answer places and expected answers
(:attr:`~xltools.forms.locate.Located.derived`): they follow from the location alone.

The frames with and without the cache are compared on every generated corpus by
``tests/test_structure_cache.py``. ``XLTOOLS_STRUCTURE_CACHE=0`` (or :func:`disabled`) turns it
off.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from xltools.forms import checklist
from xltools.forms import locate as locate_module
from xltools.forms.catalogue import Catalogue
from xltools.forms.locate import (
    ITEM_REVIEW,
    Field,
    Located,
    RowHit,
    Scan,
    Words,
    _cell_match,
    find_fields,
    find_item_rows,
    heading_scope,
    is_label_text,
    item_index,
    label_cells,
)
from xltools.forms.recognize import recognise
from xltools.text import norm

MATCH_FLOOR = ITEM_REVIEW - 10  # find_item_rows keeps nothing scoring below this
PER_KEY = 32  # templates per (width, merges)
TOTAL = 1024  # templates per process
_PROBES = 4  # item cells compared before the whole structure
_TOP_PROBES = 24  # printed cells above the item table compared before the whole structure
_VARIANT_WORDS = ("確認用", "医療機関・薬局における")  # what recognition's variant votes look for
_TITLE_WORD = "チェックリスト"
_HEADER_UP = 8  # find_header's max_up


@dataclass
class Template:
    """A located sheet and what a sheet must share with it to reuse its location."""

    located: Located
    structure: dict[tuple[int, int], str]  # raw text of every written non-variable cell
    variable: frozenset[tuple[int, int]]
    probes: tuple[tuple[tuple[int, int], str], ...]
    first: int  # first item row
    skip_rows: frozenset[int]  # rows find_fields skips
    effects: dict[int, Any]  # non-item row with variable cells -> its heading effect
    facts: tuple[bool, bool]  # what recognition reads of the header fields
    label_cells: tuple[tuple[int, int], ...]  # non-variable cells find_fields reads, in order
    hits_for_recognition: list[RowHit] | None = None  # recognition is redone with these
    hits: int = 0


@dataclass
class _Stats:
    hits: int = 0
    misses: int = 0
    templates: int = 0
    refused: int = 0  # located sheets that could not become templates


_TEMPLATES: dict[tuple[Any, ...], list[Template]] = {}
_STATS = _Stats()
_STATE = {"enabled": os.environ.get("XLTOOLS_STRUCTURE_CACHE", "1") != "0"}
_MARKERS: dict[str, tuple[str, ...]] = {}


def stats() -> dict[str, int]:
    return {"hits": _STATS.hits, "misses": _STATS.misses, "templates": _STATS.templates,
            "refused": _STATS.refused}


def clear() -> None:
    _TEMPLATES.clear()
    _SEEN.clear()
    _STATS.__init__()  # type: ignore[misc]


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Locate every sheet the full way inside this block (tests, benchmarks)."""
    before = _STATE["enabled"]
    _STATE["enabled"] = False
    try:
        yield
    finally:
        _STATE["enabled"] = before


def locate(scan: Scan, catalogue: Catalogue) -> Located | None:
    """:func:`xltools.forms.checklist.locate`, reusing a template's location when the sheet's
    printed structure is the template's."""
    if not _STATE["enabled"]:
        return checklist.locate(scan, catalogue)
    sheet = scan.sheet
    key = (catalogue.version, sheet.ncols, tuple(sheet.merged))
    for t in _TEMPLATES.get(key, ()):
        got = _reuse(t, scan, catalogue)
        if got is not None:
            _STATS.hits += 1
            t.hits += 1
            return got
    _STATS.misses += 1
    located = checklist.locate(scan, catalogue)
    if located is not None and _seen_before(key, located, scan):
        t = _template(located, scan, catalogue)
        if t is None:
            _STATS.refused += 1
        else:
            _remember(key, t)
    return located


_SEEN: set[int] = set()
_SEEN_LIMIT = 50_000


def _seen_before(key: tuple[Any, ...], located: Located, scan: Scan) -> bool:
    """Whether a sheet printed like this one was located before: a template is made on the
    second sighting only (most one-off layouts never repeat, and checking one costs about
    as much as locating it). The fingerprint is a hash, so a collision only costs a template
    that will not be reused: reuse compares cells, never hashes."""
    cols = located.columns
    answer_cols = (*cols.answer.values(), *cols.yes.values(), *cols.no.values(),
                   *cols.date.values(), *cols.target.values())
    rows = {h.row for h in located.rows}
    variable = {(r, c) for r in rows for c in answer_cols}
    variable.update((f.row, f.col) for f in located.fields.values())
    fp = hash((key, frozenset((k, v) for k, v in scan.raw.items() if k not in variable)))
    if fp in _SEEN:
        return True
    if len(_SEEN) >= _SEEN_LIMIT:
        _SEEN.clear()
    _SEEN.add(fp)
    return False


def _remember(key: tuple[Any, ...], t: Template) -> None:
    if _STATS.templates >= TOTAL:
        _TEMPLATES.clear()
        _STATS.templates = 0
    group = _TEMPLATES.setdefault(key, [])
    if len(group) >= PER_KEY:
        group.sort(key=lambda x: -x.hits)
        del group[-1]
        _STATS.templates -= 1
    group.append(t)
    _STATS.templates += 1


# --------------------------------------------------------------------------------------------
# reuse


def _reuse(t: Template, scan: Scan, catalogue: Catalogue) -> Located | None:
    raw = scan.raw
    for pos, text in t.probes:
        if raw.get(pos) != text:
            return None
    present = [pos for pos in t.variable if pos in raw]
    # the non-variable cells are the template's, cell for cell: each printed cell is there with
    # its text (a subset test in C), and nothing else is written outside the variable cells
    if len(raw) - len(present) != len(t.structure) or not raw.items() >= t.structure.items():
        return None
    text = scan.text
    first = t.first
    for pos in present:
        if pos in text and not _inert_cell(pos[0] < first, raw[pos], text[pos], catalogue):
            return None
    words = Words.of(catalogue)
    for row, effect in t.effects.items():
        if _effect(scan.row_cells(row), words, catalogue) != effect:
            return None
    fields = find_fields(scan, words, skip_rows=t.skip_rows,
                         cells=_label_cells(t, present, text, words))
    if _facts(fields) != t.facts:
        return None
    located = t.located
    if t.hits_for_recognition is not None:  # its edition was decided by what was written
        rec = recognise(scan, t.hits_for_recognition, catalogue, fields, located.columns.ref)
        if rec is None or (rec.mapping, rec.variant, rec.confidence, rec.notes, rec.title) != (
                located.mapping, located.variant, located.confidence, located.notes,
                located.title):
            return None
    return _copy(located, scan, fields)


def _label_cells(t: Template, present: list[tuple[int, int]], text: dict[tuple[int, int], str],
                 words: Words) -> list[tuple[int, int]]:
    """The cells find_fields reads on a sheet whose non-variable cells are the template's: the
    template's label cells, and any variable cell written (``present``) like a label (a value
    typed as 「施設名：…」 is read as the label it starts with, as on the full path)."""
    skip = t.skip_rows
    extra = [pos for pos in present if pos in text and pos[0] not in skip
             and is_label_text(text[pos], words)]
    return sorted((*t.label_cells, *extra)) if extra else list(t.label_cells)


_INERT: dict[tuple[str, bool], dict[str, bool]] = {}


def _inert_cell(above: bool, raw: str, text: str, catalogue: Catalogue) -> bool:
    """:func:`_inert`, memoised per printed text (one memo per catalogue version and side of
    the table's first row): a batch repeats the same few answers."""
    memo = _INERT.get((catalogue.version, above))
    if memo is None:
        memo = _INERT[(catalogue.version, above)] = {}
    got = memo.get(raw)
    if got is None:
        if len(memo) > 100_000:
            memo.clear()
        got = memo[raw] = _inert(above, raw, text, item_index(catalogue, "checklist"),
                                 Words.of(catalogue), _markers(catalogue))
    return got


def _copy(located: Located, scan: Scan, fields: dict[str, Field]) -> Located:
    """The template's location for this sheet: its own sheet and fields. Rows and columns
    are shared (nothing after locating changes them), the lists around them are new."""
    return Located(
        sheet=scan.sheet, mapping=located.mapping, variant=located.variant,
        confidence=located.confidence, columns=located.columns, rows=list(located.rows),
        fields=fields, unknown_rows=list(located.unknown_rows),
        uncertain_rows=list(located.uncertain_rows), duplicates=list(located.duplicates),
        unclear_scope=list(located.unclear_scope), notes=list(located.notes),
        title=located.title, derived=located.derived)


def _inert(above: bool, raw: str, text: str, index: Any, words: Words,
           markers: tuple[str, ...]) -> bool:
    """A variable cell's text cannot change what the locator decides (see module docstring)."""
    if len(text) >= 6:
        _ref, _label, item_id, score, _second, _s2 = _cell_match(raw, index, words)
        if item_id and score >= MATCH_FLOOR:
            return False
    if len(text) <= 40 and any(w in text for w in _VARIANT_WORDS):
        return False
    return not (above and (_TITLE_WORD in text or any(m in text for m in markers)))


def _effect(cells: list[tuple[int, str]], words: Words, catalogue: Catalogue) -> Any:
    """What a non-item row does to the heading scope in assign_scope_hints: sets a heading,
    or ends one (a section title), or nothing."""
    sc = heading_scope(cells, words)
    if sc is not None:
        return "heading", sc
    joined = "".join(t for _, t in cells)
    sections = _sections(catalogue)
    return "section", any(s and s in joined for s in sections) and len(joined) < 40


_SECTIONS: dict[str, frozenset[str]] = {}


def _sections(catalogue: Catalogue) -> frozenset[str]:
    """The section names assign_scope_hints ends a heading at (those of the first edition,
    as :func:`xltools.forms.checklist.locate` passes them)."""
    got = _SECTIONS.get(catalogue.version)
    if got is None:
        sections = catalogue.editions("checklist")[0].sections
        got = _SECTIONS[catalogue.version] = frozenset(norm(s) for s in sections.values())
    return got


def _facts(fields: dict[str, Field]) -> tuple[bool, bool]:
    """What recognition's variant decision reads of the header fields."""
    f = fields.get("facility_name")
    pharmacy = f is not None and (norm(f.label).startswith("薬局") or "薬局" in norm(f.value))
    return pharmacy, "vendor_name" in fields


def _markers(catalogue: Catalogue) -> tuple[str, ...]:
    got = _MARKERS.get(catalogue.version)
    if got is None:
        out: set[str] = set()
        for m in catalogue.editions("checklist"):
            out.update(norm(mk) for mk in m.markers)
            out.update((f"{m.fiscal_year}年度版", f"fy{m.fiscal_year}"))
        got = _MARKERS[catalogue.version] = tuple(sorted(w for w in out if w))
    return got


# --------------------------------------------------------------------------------------------
# making a template


def _template(located: Located, scan: Scan, catalogue: Catalogue) -> Template | None:
    """A template of a freshly located sheet, or None when its location may depend on what a
    return fills in (then every sheet like it goes the full way)."""
    cols = located.columns
    if cols.by_content:
        return None
    header = cols.header_rows
    if not header:
        return None
    sheet = scan.sheet
    words = Words.of(catalogue)
    markers = _markers(catalogue)
    index = item_index(catalogue, "checklist")
    hits, _uncertain = find_item_rows(scan, index, words)  # every item row, foreign ones too
    if not hits:
        return None
    item_col = {h.row: h.col for h in hits}
    first, last = min(item_col), max(item_col)
    answer_cols = {*cols.answer.values(), *cols.yes.values(), *cols.no.values(),
                   *cols.date.values(), *cols.target.values()}
    variable: set[tuple[int, int]] = set()
    for r in item_col:
        for c in answer_cols:
            origin = sheet.merged_origin(r, c)
            if origin[0] != r or origin[1] <= item_col[r] or origin[1] in (cols.ref, cols.scope):
                return None  # an answer cell left of its item or shared between rows
            variable.add(origin)
    for f in located.fields.values():
        variable.add((f.row, f.col))
    # split_scope_rows gives an item's answers to the device rows under it when the item's own
    # row is unanswered: that decision reads answers, so no template for an item with device
    # rows (nor a variable cell on the row under an item, where a device label would stand)
    below = {r + 1 for r in item_col if r + 1 not in item_col}
    device_row = getattr(locate_module, "_device_row", None)
    if device_row is None or any(r in below for r, _c in variable) or any(
            device_row(scan, r + 1, c, answer_cols, cols.scope, words)
            for r, c in item_col.items() if r + 1 in below):
        return None
    # where the locator reads and a variable cell may not stand
    low = max(first - _HEADER_UP, min(header) - 1)
    for r, _c in variable:
        if low <= r < first or (first < r < last and r not in item_col):
            return None
    for r in header:
        for c in range(sheet.ncols):
            if (r, c) in variable or sheet.merged_origin(r, c) in variable:
                return None
    for r, col in item_col.items():
        if (r, cols.scope) in variable or (r, cols.ref) in variable:
            return None
        for c in range(col):
            if (r, c) in variable or sheet.merged_origin(r, c) in variable:
                return None
    for pos in variable:
        raw = scan.raw.get(pos)
        if raw is not None and pos in scan.text and not _inert(
                pos[0] < first, raw, scan.text[pos], index, words, markers):
            return None
    effects = {r: _effect(scan.row_cells(r), words, catalogue)
               for r, _c in variable if r not in item_col}
    structure = {k: v for k, v in scan.raw.items() if k not in variable}
    items = sorted(item_col.items())
    picks = [items[0], items[len(items) // 2], items[-1], *items[1:_PROBES - 2]][:_PROBES]
    # layouts sharing merges and items differ mostly above the table (title, field labels,
    # header): those cells first, so a template that does not fit is left after a few looks
    top = [(p, v) for p, v in structure.items() if p[0] < first][:_TOP_PROBES]
    probes = (*top, *((p, scan.raw[p]) for p in picks if p in scan.raw))
    skip = frozenset(set(item_col) | set(header))
    labels = tuple(pos for pos in label_cells(scan, words, skip) if pos not in variable)
    frozen = _copy(located, scan, located.fields)
    frozen.sheet = None  # type: ignore[assignment]  # never kept: each reuse gets its own
    return Template(located=frozen, structure=structure, variable=frozenset(variable),
                    probes=probes, first=first, skip_rows=skip, effects=effects,
                    label_cells=labels,
                    facts=_facts(located.fields), hits_for_recognition=hits if any(
                        code == "form.edition_uncertain" for code, _ in located.notes) else None)
