"""Locate stage: a sheet's cells + the form mappings -> which form it is and where each answer is.

Nothing is found by a fixed address. Items are found by their (normalised, fuzzily matched)
text; their scope by device-heading rows, a scope column or a scope label printed beside the
text; the answer, date and target-date columns by the header labels above the first item row
(one or more header rows, merged cells spread over their span), falling back to the columns'
contents. Header fields (facility, vendor, system, respondent) are found by their labels
wherever they stand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import compress, count
from typing import Any

from rapidfuzz import fuzz, process

from xltools.forms.catalogue import Catalogue, FormMapping
from xltools.text import _BRACKETS, cell_text, norm, remembered
from xltools.xlsx.book import Sheet

ITEM_ACCEPT = 86.0  # fuzzy score (0..100) above which a row is that item
ITEM_REVIEW = 70.0  # between REVIEW and ACCEPT: a match only with a clear margin
MARGIN = 8.0
SCOPE_ORDER = ("server", "terminal", "network")

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# a printed ref at the start of an item cell: "2-(4)", "2-④", "(4)", "④", "2.4", "0"
# (norm() has already turned circled digits into plain ones, so look at the raw text too)
_REF_PREFIX = re.compile(r"^(?:[0-9]{1,2}\s*[-.]\s*)?(?:\([0-9]{1,2}\)|[0-9]{1,2}[.)]?)(?=[^0-9/])")
_SCOPE_LABEL = re.compile(r"\(([^()]{2,40})\)$")


@dataclass
class Columns:
    """Answer-table columns (0-based), keyed by round (target key 0 = shared by both rounds)."""

    answer: dict[int, int] = field(default_factory=dict)
    yes: dict[int, int] = field(default_factory=dict)
    no: dict[int, int] = field(default_factory=dict)
    date: dict[int, int] = field(default_factory=dict)
    target: dict[int, int] = field(default_factory=dict)
    scope: int | None = None
    ref: int | None = None
    header_rows: tuple[int, ...] = ()
    by_content: bool = False

    @property
    def rounds(self) -> list[int]:
        return sorted(set(self.answer) | set(self.yes) | set(self.no))

    def target_for(self, rnd: int) -> int | None:
        return self.target.get(rnd, self.target.get(0))


@dataclass
class RowHit:
    """A sheet row that is an item of the form."""

    row: int
    col: int  # column of the item text
    item_id: str
    score: float
    raw_text: str
    ref_text: str = ""
    scope_hint: str = ""  # from label, scope column or heading; "" = none
    hint_source: str = ""  # label | column | heading
    scope: str = ""  # resolved scope
    runner_up: str = ""


@dataclass(frozen=True)
class Field:
    """A header field as written: its value, where the value stands, and the label used."""

    value: str
    row: int
    col: int
    label: str


@dataclass
class Located:
    """Everything the normalize stage needs to read one sheet as one form."""

    sheet: Sheet
    mapping: FormMapping
    variant: str
    confidence: float
    columns: Columns
    rows: list[RowHit]
    fields: dict[str, Field]
    unknown_rows: list[tuple[int, int, str]]
    uncertain_rows: list[tuple[int, int, str]]
    duplicates: list[RowHit]
    unclear_scope: list[RowHit]
    notes: list[tuple[str, str]]  # (problem code, detail) from recognition
    title: str = ""
    # what follows from the location alone (the checklist's answer places and expected answers),
    # made once: a sheet reusing this location (the structure cache) shares it
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


# --------------------------------------------------------------------------------------------
# vocabulary helpers


@dataclass(frozen=True)
class Words:
    """The vocabulary's header, field and scope words, normalised once."""

    headers: dict[str, tuple[str, ...]]
    fields: dict[str, tuple[str, ...]]
    scopes: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, catalogue: Catalogue) -> Words:
        return _words(catalogue)


_WORDS: dict[str, Words] = {}


def _words(catalogue: Catalogue) -> Words:
    """Normalise the vocabulary once per catalogue version."""
    cached = _WORDS.get(catalogue.version)
    if cached is None:
        vocab = catalogue.vocabulary

        def section(name: str) -> dict[str, tuple[str, ...]]:
            out = {}
            for k, ws in (vocab.get(name) or {}).items():
                ns = {norm(str(w)) for w in ws}
                out[k] = tuple(sorted(ns, key=len, reverse=True))
            return out

        cached = _WORDS[catalogue.version] = Words(section("headers"), section("fields"),
                                                   section("scopes"))
    return cached


# --------------------------------------------------------------------------------------------
# item index


@dataclass(frozen=True)
class ItemIndex:
    """Every known wording of every checklist item (all editions), normalised for matching.

    ``seen`` memoises a cell's match: thousands of returned copies print the same item texts,
    so after the first few files almost every cell is a dictionary hit, not a fuzzy search.
    """

    texts: tuple[str, ...]
    ids: tuple[str, ...]
    seen: dict[int, dict[str, tuple[str, str, str, float, str, float]]] = field(
        default_factory=dict, compare=False, hash=False, repr=False)


@lru_cache(maxsize=8)
def _item_index(catalogue_version: str, form: str, pairs: tuple[tuple[str, str], ...]) -> ItemIndex:
    seen = {}
    for item_id, text in pairs:
        seen.setdefault(norm(text), item_id)
    return ItemIndex(tuple(seen), tuple(seen.values()))


_INDEXES: dict[tuple[str, str], ItemIndex] = {}


def item_index(catalogue: Catalogue, form: str) -> ItemIndex:
    """The index of a catalogue version (its content hash), built once: asked for every sheet."""
    key = (catalogue.version, form)
    got = _INDEXES.get(key)
    if got is None:
        pairs = tuple((it.id, t) for m in catalogue.editions(form) for it in m.items
                      for t in it.all_texts())
        got = _INDEXES[key] = _item_index(catalogue.version, form, pairs)
    return got


def strip_ref(text: str) -> tuple[str, str]:
    """Split a printed ref off the start of an item cell ("2-(4) 利用者の…")."""
    raw = text.strip()
    m = re.match(r"^\s*((?:[0-9０-９]{1,2}\s*[-－‐.．]\s*)?[" + _CIRCLED + r"])\s*", raw)
    if m:
        return raw[m.end():], m.group(1)
    t = norm(raw)
    m2 = _REF_PREFIX.match(t)
    if m2 and len(t) > m2.end() + 4:
        return t[m2.end():], m2.group(0)
    return raw, ""


def split_scope_label(t: str, words: Words) -> tuple[str, str]:
    """Split a trailing ``（サーバ、端末PC）`` label off normalised item text."""
    m = _SCOPE_LABEL.search(t)
    if not m:
        return t, ""
    scope = parse_scope(m.group(1), words)
    if not scope:
        return t, ""
    return t[:m.start()].rstrip("。"), scope


_SCOPES: dict[int, dict[str, str]] = {}


def parse_scope(text: str, words: Words) -> str:
    """Scope words in a label or column value -> canonical scope ("server+terminal").

    Memoised per vocabulary: asked for every short cell left of an item and every scope
    column value, which a batch repeats."""
    memo = _SCOPES.get(id(words))
    if memo is None:
        memo = _SCOPES[id(words)] = {}
    return remembered(memo, text, _parse_scope, text, words)


def _parse_scope(text: str, words: Words) -> str:
    t = norm(text)
    if not t:
        return ""
    found = []
    rest = t
    for scope in SCOPE_ORDER:
        for w in words.scopes.get(scope, ()):
            if w and w in rest:
                found.append(scope)
                rest = rest.replace(w, "")
                break
    if not found:
        for w in words.scopes.get("all", ()):
            if w and w in t:
                return "all"
        return ""
    if len(found) == 3:
        return "all"
    return "+".join(found)


def match_item(text: str, index: ItemIndex) -> tuple[str, float, str, float]:
    """Best and second-best item for a normalised text: (id, score, runner_up_id, its score)."""
    results = process.extract(text, index.texts, scorer=fuzz.ratio, limit=6)
    best_id, best, second_id, second = "", 0.0, "", 0.0
    for choice, score, pos in results:
        item_id = index.ids[pos]
        if text and choice and (choice in text or text in choice):
            shorter, longer = sorted((len(choice), len(text)))
            if shorter / longer > 0.6:
                score = max(score, 92.0)
        if score > best:
            if item_id != best_id:
                second_id, second = best_id, best
            best_id, best = item_id, score
        elif item_id != best_id and score > second:
            second_id, second = item_id, score
    return best_id, best, second_id, second


# --------------------------------------------------------------------------------------------
# scanning a sheet


@dataclass
class Scan:
    """Normalised text of every non-empty cell, computed once per sheet."""

    sheet: Sheet
    text: dict[tuple[int, int], str]  # norm text
    raw: dict[tuple[int, int], str]
    _by_row: dict[int, list[tuple[int, str]]] | None = field(default=None, repr=False,
                                                             compare=False)
    _joined: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, sheet: Sheet) -> Scan:
        text, raw = {}, {}
        for r, row in enumerate(sheet.rows):
            # the truthy cells' columns, picked in C (most cells of a grid row are empty); when
            # they and the empty strings (counted in C) are not the whole row, a 0 / 0.0 /
            # FALSE (written content although falsy) or a None is there: pick again, slowly
            filled: Iterable[int] = list(compress(count(), row))
            if len(filled) + row.count("") != len(row):
                filled = [c for c, v in enumerate(row) if v != "" and v is not None]
            for c in filled:
                v = row[c]
                s = v if type(v) is str else cell_text(v)
                n = norm(s)
                if n:
                    key = (r, c)
                    text[key] = n
                    raw[key] = s
        return cls(sheet, text, raw)

    def _rows(self) -> dict[int, list[tuple[int, str]]]:
        if self._by_row is None:  # asked once per candidate row: index the cells once
            by_row: dict[int, list[tuple[int, str]]] = {}
            for (rr, c), t in self.text.items():
                by_row.setdefault(rr, []).append((c, t))
            self._by_row = {k: sorted(v) for k, v in by_row.items()}
        return self._by_row

    def row_cells(self, r: int) -> list[tuple[int, str]]:
        """(column, normalised text) of a row's written cells, left to right (a new list)."""
        return list(self._rows().get(r, ()))

    def cells_in(self, r: int) -> Sequence[tuple[int, str]]:
        """:meth:`row_cells` without the copy, for a reader that does not change it."""
        return self._rows().get(r, ())

    def joined(self) -> str:
        """Every cell's normalised text run together, in cell order (made once): a word in
        no cell is not in it, so a search here is a cheap necessary test."""
        if self._joined is None:
            self._joined = "".join(self.text.values())
        return self._joined

    def text_rows(self) -> list[int]:
        """The rows with a written cell, top to bottom."""
        return sorted(self._rows())


_SEEN_LIMIT = 200_000


def _memo(index: ItemIndex, words: Words) -> dict[str, tuple[str, str, str, float, str, float]]:
    """The cell-match memo of one index and vocabulary (``words`` is one object per catalogue
    version): raw cell text -> :func:`_cell_match`'s answer."""
    key = id(words)
    got = index.seen.get(key)
    if got is None:
        got = index.seen[key] = {}
    return got


# No item scores this close to a text that find_item_rows (or the structure cache) could use:
# below ITEM_REVIEW - 10 a row is neither an item nor an undecided one.
NEAR = ITEM_REVIEW - 15


def _cell_match(raw: str, index: ItemIndex, words: Words) -> tuple[str, str, str, float, str, float]:
    """(ref, scope label, item id, score, runner-up id, its score) of one cell's text; memoised
    per index and vocabulary.

    A text no item comes near (every plain score below :data:`NEAR`; the containment bonus of
    :func:`match_item` needs a plain score above 75) is no item at all, as a short one is: most
    such texts are answers and dates, unique per file, and the one cut-off search costs less
    than ranking every item."""
    memo = _memo(index, words)
    got = memo.get(raw)
    if got is None:
        body, ref = strip_ref(raw)
        body_n, label = split_scope_label(norm(body), words)
        if len(body_n) < 6 or process.extractOne(body_n, index.texts, scorer=fuzz.ratio,
                                                 score_cutoff=NEAR) is None:
            got = (ref, label, "", 0.0, "", 0.0)
        else:
            got = (ref, label, *match_item(body_n, index))
        if len(memo) >= _SEEN_LIMIT:
            memo.clear()
        memo[raw] = got
    return got


def find_item_rows(scan: Scan, index: ItemIndex, words: Words, ignore: tuple[str, ...] = ()
                   ) -> tuple[list[RowHit], list[tuple[int, int, str]]]:
    """Rows whose text is an item; also rows that look like one but are not decided.

    A row's best cell is the first (in the scan's cell order) of its highest-scoring item
    matches; one pass over the cells keeps it per row, and a :class:`RowHit` is made only for
    a row that becomes a hit."""
    memo = _memo(index, words)
    raw = scan.raw
    best: dict[int, tuple[int, str, tuple[str, str, str, float, str, float]]] = {}
    for pos, t in scan.text.items():
        if len(t) < 6:
            continue
        s = raw[pos]
        got = memo.get(s)
        if got is None:
            got = _cell_match(s, index, words)
        if not got[2]:
            continue
        r = pos[0]
        cur = best.get(r)
        if cur is None or got[3] > cur[2][3]:
            best[r] = (pos[1], s, got)
    hits: list[RowHit] = []
    uncertain: list[tuple[int, int, str]] = []
    for r in sorted(best):
        c, s, (ref, label, item_id, score, second_id, second) = best[r]
        margin = score - second if second_id else 100.0
        if score >= ITEM_ACCEPT and (margin >= 3.0 or score >= 97) or score >= ITEM_REVIEW and margin >= MARGIN:
            hits.append(RowHit(row=r, col=c, item_id=item_id, score=score, raw_text=s,
                               ref_text=ref, scope_hint=label,
                               hint_source="label" if label else "", runner_up=second_id))
        elif score >= ITEM_REVIEW - 10 and not any(w in norm(s) for w in ignore):
            uncertain.append((r, c, s))
    return hits, uncertain


def heading_scope(cells: Sequence[tuple[int, str]], words: Words) -> str | None:
    """A device-heading row ("サーバについて", "【端末PC】") -> its scope, else None."""
    if not cells or len(cells) > 3:
        return None
    text = "".join(t for _, t in cells)
    if len(text) > 30:
        return None
    return remembered(_HEADINGS, (text, id(words)), _heading_text_scope, text, words)


_HEADINGS: dict[tuple[str, int], str | None] = {}


def _heading_text_scope(text: str, words: Words) -> str | None:
    core = re.sub(r"^[0-9().\-【】\[\]<>■□◆◇●・]+", "", text)
    core = re.sub(r"(について|に関する項目|に関すること|関連|の管理|編)?[】\])>:]*$", "", core)
    for scope in ("all", *SCOPE_ORDER):
        for w in words.scopes.get(scope, ()):
            if core == w or core in {w + "について", w + "関連"}:
                return scope
    return None


def _scope_left_of(scan: Scan, h: RowHit, words: Words) -> str:
    """A short scope word left of the item text, e.g. an unheaded, vertically merged
    ``サーバ`` column beside the rows it covers."""
    for c in range(h.col - 1, -1, -1):
        r0, c0 = scan.sheet.merged_origin(h.row, c)
        t = scan.text.get((r0, c0), "")
        if t and len(t) <= 16:
            sc = parse_scope(t, words)
            if sc:
                return sc
    return ""


_SCOPE_SEPARATORS = re.compile(r"[()\[\]【】<>《》「」・、,/&+及びと]")


def device_label(t: str, words: Words) -> str:
    """The scope of a cell that names devices and nothing else (``サーバ``, ``（端末PC）``,
    ``サーバ、端末PC``), else "" (``サーバについて`` is a heading, not a device label)."""
    if len(t) > 30:
        return ""
    rest = _SCOPE_SEPARATORS.sub("", t)
    for w in sorted((w for ws in words.scopes.values() for w in ws), key=len, reverse=True):
        rest = rest.replace(w, "")
    return parse_scope(t, words) if not rest else ""


def split_scope_rows(scan: Scan, hits: list[RowHit], cols: Columns, words: Words
                     ) -> list[RowHit]:
    """An item printed once with one row per device under it (``サーバ`` / ``端末PC``), the
    answers on the device rows: each device row becomes a row of the item with that scope.

    Only when a device row has something written in an answer or date column and the item's
    own row has nothing there: a device heading above the next items (R5/R6) never carries an
    answer, and a row nobody answered stays the item's one row (its scope unclear, reported).
    """
    answer_cols = {*cols.answer.values(), *cols.yes.values(), *cols.no.values(),
                   *cols.date.values(), *cols.target.values()}
    if not answer_cols:
        return hits
    hit_rows = {h.row for h in hits}
    out: list[RowHit] = []
    for h in sorted(hits, key=lambda h: h.row):
        subs: list[tuple[int, str]] = []
        r = h.row + 1
        while r not in hit_rows and len(subs) < 4:
            sc = _device_row(scan, r, h.col, answer_cols, cols.scope, words)
            if not sc:
                break
            subs.append((r, sc))
            r += 1
        if subs and not _written(scan, h.row, answer_cols) and \
                any(_written(scan, rr, answer_cols) for rr, _sc in subs):
            out += [replace(h, row=rr, scope_hint=sc, hint_source="column") for rr, sc in subs]
        else:
            out.append(h)
    return out


def _written(scan: Scan, r: int, answer_cols: set[int]) -> bool:
    return any(c in answer_cols for c, _t in scan.row_cells(r))


def _device_row(scan: Scan, r: int, item_col: int, answer_cols: set[int],
                scope_col: int | None, words: Words) -> str:
    """The scope a device row under an item names: one device label in the item column (or
    left of it, or in the scope column), not merged across the answer columns."""
    cells = [(c, t) for c, t in scan.row_cells(r) if c not in answer_cols]
    if len(cells) != 1:
        return ""
    c, t = cells[0]
    if c > item_col and c != scope_col:
        return ""
    last = scan.sheet.merged_span(r, c)[2]
    if any(c < a <= last for a in answer_cols):
        return ""  # a heading across the table
    return device_label(t, words)


def assign_scope_hints(scan: Scan, hits: list[RowHit], cols: Columns, words: Words,
                       sections: dict[int, str]) -> None:
    """Give each item row the scope its row, column or nearest heading names."""
    hit_by_row = {h.row: h for h in hits}
    if not hit_by_row:
        return
    last = max(hit_by_row)  # a heading below the last item row gives nothing a scope
    section_names = {norm(s) for s in sections.values()}
    heading: str | None = None
    for r in sorted({*scan.text_rows(), *hit_by_row}):
        if r > last:
            break
        if r in hit_by_row:
            h = hit_by_row[r]
            if cols.scope is not None and not h.scope_hint:
                v = scan.text.get(scan.sheet.merged_origin(r, cols.scope), "")  # merged down
                sc = parse_scope(v, words) if v else ""
                if sc:
                    h.scope_hint, h.hint_source = sc, "column"
            if not h.scope_hint:
                sc = _scope_left_of(scan, h, words)
                if sc:
                    h.scope_hint, h.hint_source = sc, "column"
            if not h.scope_hint and heading:
                h.scope_hint, h.hint_source = heading, "heading"
            continue
        cells = scan.cells_in(r)
        sc = heading_scope(cells, words)
        if sc is not None:
            heading = None if sc == "all" else sc
            continue
        joined = "".join(t for _, t in cells)
        if len(joined) < 40 and any(s and s in joined for s in section_names):
            heading = None  # a new section starts: device headings no longer apply


# --------------------------------------------------------------------------------------------
# header columns


def _header_path(scan: Scan, rows: tuple[int, ...], col: int) -> list[str]:
    sheet = scan.sheet
    parts = []
    for r in rows:
        rr, cc = sheet.merged_origin(r, col)
        t = scan.text.get((rr, cc), "")
        if t and (not parts or parts[-1] != t):
            parts.append(t)
    return parts


def _has(words: tuple[str, ...], text: str) -> bool:
    return any(w and w in text for w in words)


_HEADER_KINDS: dict[tuple[int, tuple[str, ...]], tuple[str, int]] = {}


def classify_header(path: list[str], words: Words) -> tuple[str, int]:
    """(kind, round) of a column from its header path; kind '' when not an answer-table column.

    Memoised per vocabulary: a batch prints the same few headers, and a 方眼紙 sheet repeats one
    merged header over every grid column it spans.
    """
    return remembered(_HEADER_KINDS, (id(words), tuple(path)), _classify_header, path, words)


_ITEM_HEADER_ENDS = ("項目", "事項")  # 確認項目, 点検項目, 確認事項: never an answer column


def _classify_header(path: list[str], words: Words) -> tuple[str, int]:
    h = words.headers
    joined = "|".join(path)
    rnd = 2 if _has(h.get("round2", ()), joined) else (1 if _has(h.get("round1", ()), joined) else 0)
    last = path[-1] if path else ""
    core = last
    for w in (*h.get("round1", ()), *h.get("round2", ())):
        core = core.replace(w, "")
    core = core.strip("()[]【】:-_ ") or last
    if _has(h.get("target", ()), last):
        return "target", rnd
    if _has(h.get("date", ()), last) and not _has(("はい", "いいえ"), last):
        return "date", rnd
    if any(last == w for w in h.get("item", ())) or _has(("確認事項", "チェック項目"), last) \
            or last.endswith(_ITEM_HEADER_ENDS):
        return "item", rnd  # before the answer words: 確認項目 holds 確認 but is the item column
    if any(last == w for w in h.get("ref", ())):
        return "ref", rnd
    if any(last == w for w in h.get("scope", ())):
        return "scope", rnd
    if _has(h.get("remarks", ()), last):
        return "remarks", rnd
    if any(core == w for w in h.get("yes_column", ())):
        return "yes", rnd
    if any(core == w for w in h.get("no_column", ())):
        return "no", rnd
    if _has(h.get("answer", ()), last) or (rnd and _has(h.get("answer", ()), joined)):
        return "answer", rnd
    if _has(h.get("target", ()), joined):
        return "target", rnd
    if _has(h.get("date", ()), joined):
        return "date", rnd
    return "", rnd


_HEADER_WORD_CELLS: dict[int, dict[str, bool]] = {}


def _header_word_cell(t: str, words: Words) -> bool:
    """A short cell holding an answer-table header word (memoised per vocabulary: a batch
    prints the same few header texts)."""
    memo = _HEADER_WORD_CELLS.get(id(words))
    if memo is None:
        memo = _HEADER_WORD_CELLS[id(words)] = {}
    got = memo.get(t)
    if got is None:
        keys = tuple(w for k in ("round1", "round2", "target", "date", "answer", "yes_column",
                                 "no_column") for w in words.headers.get(k, ()))
        if len(memo) > 50_000:
            memo.clear()
        got = memo[t] = len(t) <= 24 and _has(keys, t)
    return got


def find_header(scan: Scan, first_item_row: int, words: Words, max_up: int = 8) -> tuple[int, ...]:
    """Rows above the first item row that carry answer-table header words."""
    found = []
    for r in range(first_item_row - 1, max(-1, first_item_row - 1 - max_up), -1):
        cells = scan.cells_in(r)
        if not cells:
            if found:
                break
            continue
        if any(_header_word_cell(t, words) for _, t in cells):
            found.append(r)
        elif found and len(cells) >= 2 and all(len(t) <= 16 for _, t in cells):
            found.append(r)  # a header row with other labels (項番, 確認事項)
        elif found:
            break
    return tuple(sorted(found))


def locate_columns(scan: Scan, hits: list[RowHit], words: Words) -> Columns:
    first = min(h.row for h in hits)
    header = find_header(scan, first, words)
    cols = Columns(header_rows=header)
    if header:
        seen_answer: list[int] = []
        # a column is a header column when some header row has its own text there; the grid
        # columns a merged label spans carry that label's column, not columns of their own
        own = sorted({c for r in header for c, _t in scan.row_cells(r)})
        for c in own:
            path = _header_path(scan, header, c)
            if not path:
                continue
            kind, rnd = classify_header(path, words)
            _place(cols, kind, rnd, c, seen_answer)
        _assign_unnumbered(cols)
        _drop_item_text_columns(cols, hits)
    if not cols.rounds:
        cols = _columns_by_content(scan, hits, cols)
    return cols


def _drop_item_text_columns(cols: Columns, hits: list[RowHit]) -> None:
    """A column where the item texts stand is never an answer column (a header word read as an
    answer label would otherwise invent a round whose answers are the items themselves)."""
    item_cols = {h.col for h in hits}
    for table in (cols.answer, cols.yes, cols.no, cols.date):
        for rnd in [k for k, c in table.items() if c in item_cols]:
            del table[rnd]


def _place(cols: Columns, kind: str, rnd: int, c: int, seen_answer: list[int]) -> None:
    if kind == "answer":
        key = rnd or -(len(seen_answer) + 1)  # provisional: numbered left to right later
        if key not in cols.answer:
            cols.answer[key] = c
            seen_answer.append(c)
    elif kind in ("yes", "no"):
        target = cols.yes if kind == "yes" else cols.no
        target.setdefault(rnd or -1, c)
    elif kind == "date":
        cols.date.setdefault(rnd or -(c + 1000), c)
    elif kind == "target":
        cols.target.setdefault(rnd, c)
    elif kind == "scope" and cols.scope is None:
        cols.scope = c
    elif kind == "ref" and cols.ref is None:
        cols.ref = c


def _assign_unnumbered(cols: Columns) -> None:
    """Answer columns without 1回目/2回目 are rounds 1, 2 from left to right; an unnumbered
    date column belongs to the nearest answer column on its left."""
    provisional = sorted((c, k) for k, c in cols.answer.items() if k < 0)
    taken = {k for k in cols.answer if k > 0}
    for c, k in provisional:
        del cols.answer[k]
        rnd = next(n for n in (1, 2, 3, 4) if n not in taken)
        if rnd <= 2:
            cols.answer[rnd] = c
            taken.add(rnd)
    for key in [k for k in cols.yes if k < 0]:
        cols.yes[1] = cols.yes.pop(key)
    for key in [k for k in cols.no if k < 0]:
        cols.no[1] = cols.no.pop(key)
    for key, c in sorted(((k, c) for k, c in cols.date.items() if k < 0), key=lambda x: x[1]):
        del cols.date[key]
        left = [(ac, r) for r, ac in {**cols.answer, **cols.yes, **cols.no}.items() if ac < c]
        if left:
            rnd = max(left)[1]
            cols.date.setdefault(rnd, c)


_ANSWERISH = re.compile(r"^(はい|いいえ|[○〇◯●×✓✔☑レ]|済|未|yes|no)")


def _columns_by_content(scan: Scan, hits: list[RowHit], cols: Columns) -> Columns:
    """No usable header: answer columns are those whose cells on item rows read like answers."""
    item_col = max(h.col for h in hits)
    rows = [h.row for h in hits]
    answer_cols = []
    for c in range(item_col + 1, scan.sheet.ncols):
        vals = [scan.text.get((r, c), "") for r in rows]
        filled = [v for v in vals if v]
        if not filled:
            continue
        answerish = sum(1 for v in filled if _ANSWERISH.match(v) or "はい" in v)
        if answerish >= max(2, len(filled) * 0.6):
            answer_cols.append(c)
    out = Columns(header_rows=cols.header_rows, scope=cols.scope, ref=cols.ref, by_content=True)
    for n, c in enumerate(answer_cols[:2], start=1):
        out.answer[n] = c
    return out


# --------------------------------------------------------------------------------------------
# header fields

FIELD_LIMIT = 60


def find_fields(scan: Scan, words: Words, skip_rows: set[int] | frozenset[int],
                cells: list[tuple[int, int]] | None = None) -> dict[str, Field]:
    """Header fields by label, however the respondent wrote them: the label alone with its
    value to the right (past empty merged cells) or below, or label and value in one cell
    (``label：value``, ``label: value``, ``label　value``, ``【label】value``, a note in
    brackets after the label: ``会社名（事業者名）：…``).

    ``cells``: the cells that can be labels (:func:`label_cells`), when the caller knows them
    already (a sheet printed like one located before)."""
    out: dict[str, Field] = {}
    labels, all_labels = _field_labels(words)
    if cells is None:
        cells = label_cells(scan, words, skip_rows)
    for r, c in cells:
        t = scan.text[(r, c)]
        for name, w, exact in _label_matches(t, words, labels):
            if name in out:
                continue
            value = None
            if exact:
                value = _value_near(scan, r, c, all_labels)
            else:
                inline = _inline_value(scan.raw[(r, c)], w)
                if inline and _bare_label(norm(inline)) not in all_labels and \
                        not any(x in norm(inline) for x in _NOT_A_VALUE):
                    value = inline, r, c
            if value and value[0].strip():
                out[name] = Field(value[0].strip(), value[1], value[2], w)
            break
    return out


def label_cells(scan: Scan, words: Words, skip_rows: set[int] | frozenset[int]
                ) -> list[tuple[int, int]]:
    """The cells :func:`find_fields` reads, in its order (row, then column): outside
    ``skip_rows``, short enough, and holding a field label. Every other cell can do nothing
    there, so they are left out before sorting."""
    labels = _field_labels(words)[0]
    memo = _LABEL_MATCHES.get(id(words)) or {}
    out = []
    for pos, t in scan.text.items():
        if pos[0] in skip_rows or len(t) > FIELD_LIMIT:
            continue
        got = memo.get(t)
        if got is None:
            got = _label_matches(t, words, labels)
        if got:
            out.append(pos)
    out.sort()
    return out


def is_label_text(t: str, words: Words, labels: list[tuple[str, str]] | None = None) -> bool:
    """Whether :func:`find_fields` would look at a cell of this (normalised) text at all."""
    if len(t) > FIELD_LIMIT:
        return False
    return bool(_label_matches(t, words, labels if labels is not None else
                               _field_labels(words)[0]))


# words of a printed form label, never of a name: 「医療機関 確認用」 is no facility called 確認用
_NOT_A_VALUE = ("確認用", "チェックリスト", "記入欄", "記入してください")
_OPEN = "【[<《「『〔"
_CLOSE = "】]>》」』〕"


def _bare_label(t: str) -> str:
    """A normalised cell as a bare label: brackets round it, a trailing note and colon off."""
    t = t.lstrip(_OPEN)
    t = re.sub(r"\(.*?\)$", "", t.rstrip(":")).rstrip(":")
    return t.rstrip(_CLOSE).rstrip(":")


def _inline_value(raw: str, label: str) -> str | None:
    """The value written after ``label`` in the same cell, or None when the cell does not
    hold that label followed by a separator (colon, closing bracket or a space)."""
    u = unicodedata.normalize("NFKC", raw).translate(_BRACKETS)
    low = u.lower()
    i = len(low) - len(low.lstrip())
    bracket = low[i:i + 1] in _OPEN
    if bracket:
        i += 1
        i += len(low[i:]) - len(low[i:].lstrip())
    if not low.startswith(label, i):
        return None
    i += len(label)
    sep = False
    if low[i:i + 1] == "(":  # 会社名（事業者名）：… — a note on the label (after a space, a
        close = low.find(")", i)  # bracket starts the value: 会社名　(株)レセプトワークス)
        if close < 0:
            return None
        i = close + 1
    for ch in (_CLOSE, ":"):
        j = i + len(low[i:]) - len(low[i:].lstrip())
        if low[j:j + 1] and low[j] in ch:
            sep, i = True, j + 1
    if not sep and (i >= len(low) or not low[i].isspace()):
        return None  # 医療機関における…: the label word starts a sentence, not a field
    return u[i:].strip(" :")


_FIELD_LABELS: dict[int, tuple[list[tuple[str, str]], set[str]]] = {}
_LABEL_MATCHES: dict[int, dict[str, tuple[tuple[str, str, bool], ...]]] = {}


def _field_labels(words: Words) -> tuple[list[tuple[str, str]], set[str]]:
    """(field, label) pairs, longest label first, and the set of labels (once per vocabulary)."""
    got = _FIELD_LABELS.get(id(words))
    if got is None:
        labels = sorted(((name, w) for name, ws in words.fields.items() for w in ws),
                        key=lambda x: len(x[1]), reverse=True)
        got = _FIELD_LABELS[id(words)] = (labels, {w for _, w in labels})
    return got


def _label_matches(t: str, words: Words, labels: list[tuple[str, str]]
                   ) -> tuple[tuple[str, str, bool], ...]:
    """The labels a cell's text is, in label order: (field, label, the whole cell is the label)
    or (…, False) for 「label：value」. Memoised per vocabulary: most cells of a batch repeat."""
    memo = _LABEL_MATCHES.get(id(words))
    if memo is None:
        memo = _LABEL_MATCHES[id(words)] = {}
    got = memo.get(t)
    if got is None:
        bare = _bare_label(t)
        body = t.lstrip(_OPEN)
        got = tuple((name, w, bare == w) for name, w in labels
                    if bare == w or body.startswith(w))
        if len(memo) > 100_000:
            memo.clear()
        memo[t] = got
    return got


RIGHT_CELLS = 6  # cells (a merged range counts once) looked at right of a label
RIGHT_REACH = 40  # sheet columns: a 方眼紙 form spreads one value over many grid columns


def _value_near(scan: Scan, r: int, c: int, labels: set[str]) -> tuple[str, int, int] | None:
    """The value beside a bare label: the first written cell to its right (empty merged
    cells passed over; another label stops the search), else the cell below it."""
    sheet = scan.sheet
    cc = sheet.merged_span(r, c)[2] + 1  # skip the rest of the label's own merge
    for _ in range(RIGHT_CELLS):
        if cc >= sheet.ncols or cc - c > RIGHT_REACH:
            break
        r0, c0, c1 = sheet.merged_span(r, cc)
        t = scan.text.get((r0, c0)) if r0 == r else None
        if t:
            if _bare_label(t) in labels or any(x in t for x in _NOT_A_VALUE):
                return None  # another label, or the form's own words: no value written
            return scan.raw[(r0, c0)], r0, c0
        cc = max(c1, cc) + 1
    below = _below(sheet, r, c)
    t = scan.text.get((below, c))
    if t and _bare_label(t) not in labels and len(t) < FIELD_LIMIT and \
            not any(x in t for x in _NOT_A_VALUE):
        return scan.raw[(below, c)], below, c
    return None


def _below(sheet: Sheet, r: int, c: int) -> int:
    """The row under a label, under its whole merge when the label is merged down."""
    last = r
    while sheet.merged_origin(last + 1, c) == (r, c) and last - r < 10:
        last += 1
    return last + 1
