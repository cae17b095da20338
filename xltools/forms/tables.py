"""The contract role table and the BCP table: recognise a sheet by structure and read it.

Neither table has an official Excel version: what arrives is a re-keyed copy in whatever layout
the facility or vendor made (``docs/tables.md``). So nothing here relies on a fixed item list or
address. The header row is found by its labels (``項番`` plus table-specific ones), parts,
groups and 大項目 by their labels, and each item's identity is the number printed in ``項番``
(contract) or the 中項目 number plus the question's place under it (BCP). The catalogues in
``mappings/tables`` only name items, check titles and spot missing ones.

Answers are decoded by :mod:`xltools.decode` like every form's (typed words, marks, deleted
word, strike, brackets, dropdowns, separate はい/いいえ columns, and, for cells left open, drawn
marks and check boxes). Whatever cannot be decided is ``blank`` plus a problem row.

:data:`CONTRACT` and :data:`BCP` are the tables' :class:`~xltools.forms.located.FormKind`: each
turns its locator's findings (:class:`LocatedTable`) into the located form every form shares
and checks what was decoded there; :mod:`xltools.pipeline` reads them like the checklist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from xltools import problems as P
from xltools.checks.validate import Context
from xltools.decode import (
    BLANK,
    NO,
    YES,
    SheetDate,
    Slot,
    Vocabulary,
    first_on_or_after,
)
from xltools.decode import date_value as _date_value
from xltools.forms.catalogue import Catalogue
from xltools.forms.locate import Field, Scan, Words, find_fields
from xltools.forms.located import Expected, LocatedForm, Part, Place
from xltools.forms.table_catalogue import (
    RECONSTRUCTED_MARK,
    Entry,
    TableCatalogue,
    load_table_catalogue,
)
from xltools.text import cell_text, norm
from xltools.xlsx.book import address

YES_LABELS = ("はい", "○", "〇", "実施")
NO_LABELS = ("いいえ", "×", "未実施")
SIMILAR = 80.0  # fuzzy ratio (0..100) from which two wordings are the same item
_DIGITS = "0123456789"


# --------------------------------------------------------------------------------------------
# a merge-aware, row-indexed view of a sheet


@dataclass
class Grid:
    """A sheet's normalised text by row, and each cell's "own" text under merges."""

    scan: Scan
    by_row: dict[int, list[tuple[int, str]]]

    @classmethod
    def of(cls, scan: Scan) -> Grid:
        by_row: dict[int, list[tuple[int, str]]] = {}
        for (r, c), t in scan.text.items():
            by_row.setdefault(r, []).append((c, t))
        for cells in by_row.values():
            cells.sort()
        return cls(scan, by_row)

    @property
    def sheet(self) -> Any:
        return self.scan.sheet

    def own(self, r: int, c: int | None, down: bool = True) -> str:
        """Normalised text of (r, c): a cell merged from the left is empty here; one merged
        from above repeats its text when ``down`` (a vertically merged 項番 or name)."""
        if c is None:
            return ""
        r0, c0 = self.sheet.merged_origin(r, c)
        if c0 != c or (r0 != r and not down):
            return ""
        return self.scan.text.get((r0, c0), "")

    def raw(self, r: int, c: int | None) -> str:
        if c is None:
            return ""
        return self.scan.raw.get(self.sheet.merged_origin(r, c), "")

    def row_text(self, r: int) -> str:
        return "".join(t for _, t in self.by_row.get(r, ()))

    @property
    def last_row(self) -> int:
        return max(self.by_row, default=-1)


def _short(text: str, n: int = 40) -> str:
    t = " ".join(str(text).split())
    return t if len(t) <= n else t[: n - 1] + "…"


_MARK_NOTE = re.compile(r"※[^※\n]{0,12}再構成")


def _strip_mark(text: str) -> str:
    """Drop the 「※文言は再構成」 note our templates print after reconstructed wording."""
    return _MARK_NOTE.sub("", text.replace(RECONSTRUCTED_MARK, "")).strip()


def similar(printed: str, catalogued: str) -> float:
    """How alike two wordings are (0..100), kind to cut or extended copies."""
    a = norm(_strip_mark(printed)).rstrip("か")
    b = norm(catalogued).rstrip("か")
    if not a or not b:
        return 0.0
    score = fuzz.ratio(a, b)
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= 4 and len(shorter) / len(longer) >= 0.5 and \
            fuzz.partial_ratio(shorter, longer) >= 92:
        score = max(score, 90.0)
    return float(score)


# --------------------------------------------------------------------------------------------
# header rows and columns


def _bare(t: str) -> str:
    """A header label without a trailing bracket note or colon: 「チェック欄(✓)」 -> チェック欄."""
    return re.sub(r"\(.*?\)$", "", t).strip(":")


def _is_ref_label(t: str) -> bool:
    return t == "項番" or (t.startswith("項番") and len(t) <= 5)


LabelTest = Callable[[list[str]], bool]


def _never(texts: list[str]) -> bool:
    return False


def header_block(grid: Grid, r: int, below: LabelTest, above: LabelTest = _never
                 ) -> tuple[int, ...]:
    """The header row ``r`` plus an adjacent row of sub-labels below (or above) it: a merged
    「初回確認」 over 「はい」「いいえ」 makes a two-row header."""
    rows = [r]
    for rr, test in ((r - 1, above), (r + 1, below)):
        texts = [t for _, t in grid.by_row.get(rr, ())]
        if texts and all(len(t) <= 24 for t in texts) and test(texts):
            rows.append(rr)
    return tuple(sorted(rows))


def header_path(grid: Grid, rows: tuple[int, ...], c: int) -> list[str]:
    """A column's header texts top-down (merged cells spread over their span)."""
    out: list[str] = []
    for r in rows:
        t = grid.scan.text.get(grid.sheet.merged_origin(r, c), "")
        if t and (not out or out[-1] != t):
            out.append(t)
    return out


def header_columns(grid: Grid, rows: tuple[int, ...], classify: Callable[[list[str]], str]
                   ) -> dict[str, list[int]]:
    """Column kind -> columns, left to right."""
    out: dict[str, list[int]] = {}
    for c in range(grid.sheet.ncols):
        path = header_path(grid, rows, c)
        if path:
            out.setdefault(classify(path), []).append(c)
    return out


def _header_rows(scan: Scan, is_header: LabelTest) -> tuple[Grid, list[int]]:
    """The sheet's grid and the rows whose texts pass ``is_header``, top down."""
    grid = Grid.of(scan)
    return grid, [r for r, cells in sorted(grid.by_row.items()) if is_header([t for _, t in cells])]


def _first(cols: dict[str, list[int]], kind: str) -> int | None:
    return cols[kind][0] if cols.get(kind) else None


# --------------------------------------------------------------------------------------------
# dates


def _date_in_label(raw: str, label_norm: str) -> str:
    """The text after a label inside the same cell: 「初回確認（2025/10/28）」 -> 2025/10/28."""
    t = unicodedata.normalize("NFKC", raw).replace("（", "(").replace("）", ")")
    t = re.sub(r"\s+", "", t)
    idx = norm(t).find(label_norm)
    rest = t[idx + len(label_norm):] if idx >= 0 else ""
    return rest.strip(":：()[]【】 ")


# --------------------------------------------------------------------------------------------
# header fields and names from the file name

_FACILITY_ENDS = ("病院", "医院", "クリニック", "診療所", "薬局", "医療センター", "センター", "歯科")
_VENDOR_WORDS = ("株式会社", "(株)", "有限会社", "(有)", "合同会社", "inc", "corp", "co.,ltd", "ltd")
_NOT_NAMES = ("確認表", "役割分担", "契約", "bcp", "回答", "提出", "記入", "チェック", "控え", "写し",
              "最終", "版")


def names_from_filename(path: str) -> tuple[str, str]:
    """(facility, vendor) guessed from a file name such as 「確認表_さくら病院_(株)ABC.xlsx」.

    Only tokens that look like a facility (ending 病院, クリニック …) or a company (株式会社 …)
    are taken; anything else is left empty rather than guessed.
    """
    stem = unicodedata.normalize("NFKC", Path(path).stem)
    tokens = [t for t in re.split(r"[_\s,、+&×]+|(?<=[^\x00-\x7f])-|-(?=[^\x00-\x7f])", stem) if t]
    facility = vendor = ""
    for tok in tokens:
        low = tok.lower()
        core = re.sub(r"(様|御中|殿)$", "", tok)
        if not vendor and any(w in low for w in _VENDOR_WORDS):
            vendor = core
        elif not facility and core.endswith(_FACILITY_ENDS) and \
                not any(w in low for w in _NOT_NAMES):
            facility = core
    return facility, vendor


def header_fields(grid: Grid, words: Words, table_rows: set[int]) -> dict[str, Field]:
    return find_fields(grid.scan, words, skip_rows=table_rows)


# --------------------------------------------------------------------------------------------
# shared row model


@dataclass
class ItemRow:
    """One item row of a table as found."""

    item_id: str
    ref: str  # printed 項番 (contract) or 中項目 number (BCP)
    row: int
    col: int  # column of the item's text (title / question) for cell addresses
    text: str  # printed title (contract) or question (BCP)
    content: str = ""  # contract 内容
    how: str = "ref"  # ref | text | position | new: how the id was decided


@dataclass
class Issue:
    """A problem before it becomes a row (code, location and template fields)."""

    code: str
    cell: str = ""
    item_id: str = ""
    detail: str = ""
    severity: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    sheet: str = ""  # "" = the table's own sheet


def _entry_text(entry: Entry | None) -> str:
    if entry is None:
        return ""
    return _short(entry.title or entry.text, 30)


# --------------------------------------------------------------------------------------------
# the located table (common output half)


@dataclass
class LocatedTable:
    """A sheet recognised as one of the tables: its items, columns, header fields, dates and
    what locating it found wrong (``issues``)."""

    form: str  # contract | bcp
    grid: Grid
    catalogue: TableCatalogue
    columns: dict[str, list[int]]
    header_rows: tuple[int, ...]
    items: list[ItemRow] = field(default_factory=list)
    duplicates: list[tuple[ItemRow, ItemRow]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)
    confidence: float = 1.0
    checked: SheetDate = field(default_factory=SheetDate)
    answer_column_note: str = ""
    labelled: set[str] = field(default_factory=set)  # contract parts found by their label
    joined: list[LocatedTable] = field(default_factory=list)  # further sheets of this table

    @property
    def sheet(self) -> Any:
        return self.grid.sheet

    def places(self, tick: bool) -> list[Place]:
        """One answer place per item row: the answer column (``tick``: a check column, where
        a lone mark means yes) or separate はい・いいえ columns; the BCP 対応日, or the contract's
        sheet-wide 初回確認 date and its 完了日 column."""
        cols = self.columns
        answer = _first(cols, "answer")
        yes, no = (None, None) if answer is not None else (_first(cols, "yes"), _first(cols, "no"))
        contract = self.form == "contract"
        return [Place(it.item_id, "all", 1, it.row, it.ref, item_cell=address(it.row, it.col),
                      answer=answer, yes=yes, no=no, tick=tick,
                      date=None if contract else _first(cols, "date"),
                      given_date=self.checked if contract else None,
                      completed=_first(cols, "completed") if contract else None,
                      dated_only_if_answered=True)
                for it in self.items]

    def check(self, slots: list[list[Slot]], ctx: Context) -> list[P.Problem]:
        """Problems of this table (and any sheet joined to it: a contract whose Part1 and
        Part2 sit on two sheets) and of its decoded answers, one list of slots per sheet."""
        issues: list[Issue] = []
        for seg, seg_slots in zip((self, *self.joined), slots):
            own = list(seg.issues)
            if self.form == "contract":
                seg._contract_checks(seg_slots, own)
            else:
                seg._bcp_checks(seg_slots, own)
            issues += [replace(i, sheet=i.sheet or seg.sheet.name) for i in own]
        issues += self._catalogue_issues()
        return [self._problem(ctx.path, ctx.submission_id, i) for i in issues]

    # -- pieces ------------------------------------------------------------------------------

    def _field(self, name: str) -> str:
        f = self.fields.get(name)
        return f.value if f else ""

    def names(self, path: str) -> dict[str, str]:
        """The header fields; a facility (or vendor) name missing there is taken from the file
        name when it plainly holds one, and said so (``issues``)."""
        facility, vendor = self._field("facility_name"), self._field("vendor_name")
        from_file = names_from_filename(path)
        taken = []
        if not facility and from_file[0]:
            facility = from_file[0]
            taken.append("医療機関名")
        if self.form == "contract" and not vendor and from_file[1]:
            vendor = from_file[1]
            taken.append("事業者名")
        if taken:
            self.issues.append(Issue("locate.name_from_filename", detail="・".join(taken)))
        if not facility:
            self.issues.append(Issue("locate.facility_missing"))
        if self.form == "contract" and not vendor:
            self.issues.append(Issue("locate.vendor_missing"))
        return {"facility_name": facility, "vendor_name": vendor,
                "system_name": self._field("system_name"),
                "facility_code": self._field("facility_code"),
                "respondent": self._field("respondent")}

    def _problem(self, path: str, sid: str, i: Issue) -> P.Problem:
        return P.make(i.code, path=path, submission_id=sid, sheet=i.sheet or self.sheet.name,
                      cell=i.cell,
                      item_id=i.item_id, scope="all" if i.item_id else "",
                      round=1 if i.item_id else None, detail=i.detail, severity=i.severity,
                      item=i.item_id, **i.fields)

    def _answer_of(self, s: Slot, issues: list[Issue], blank_detail: str = "") -> str:
        """The decoded answer; an undecidable one or a blank one is reported."""
        d = s.decoded
        if d.reason:
            code = "mark.ambiguous" if d.source in ("shape", "checkbox") else "answer.unreadable"
            issues.append(Issue(code, cell=s.cell, item_id=s.item_id, detail=d.reason,
                                fields={"raw": _short(s.raw)}))
        elif d.answer == BLANK:
            issues.append(Issue("table.answer_blank", cell=s.cell, item_id=s.item_id,
                                detail=blank_detail))
        return d.answer

    def _contract_checks(self, slots: list[Slot], issues: list[Issue]) -> None:
        checked = self.checked.value
        for s in slots:
            done = s.completed or SheetDate()
            if done.problem == "no_year":
                issues.append(Issue("table.completed_year_unknown", cell=done.cell,
                                    item_id=s.item_id, fields={"raw": _short(done.raw)}))
            elif done.problem:
                issues.append(Issue("answer.date_unreadable", cell=done.cell, item_id=s.item_id,
                                    fields={"raw": _short(done.raw)}))
            answer = self._answer_of(s, issues)
            completed = done.value
            if answer == NO and completed is None and not done.raw.strip("()（）/／ 　"):
                issues.append(Issue("table.completed_missing", cell=done.cell,
                                    item_id=s.item_id))
            if completed is not None and checked is not None and completed < checked:
                issues.append(Issue("table.completed_before_checked", cell=done.cell,
                                    item_id=s.item_id, detail=completed.isoformat(),
                                    fields={"checked": checked.isoformat()}))
            if completed is not None and answer == YES:
                issues.append(Issue("table.completed_with_yes", cell=done.cell,
                                    item_id=s.item_id, detail=completed.isoformat()))

    def _bcp_checks(self, slots: list[Slot], issues: list[Issue]) -> None:
        for s in slots:
            if not s.checked.ok:
                issues.append(Issue("answer.date_unreadable", cell=s.date_cell,
                                    item_id=s.item_id, fields={"raw": _short(s.raw_date)}))
            self._answer_of(s, issues, "チェックがないため、未実施か未記入か区別できません。")

    def _catalogue_issues(self) -> list[Issue]:
        """Missing verified items, unknown items, titles that contradict the catalogue."""
        out: list[Issue] = []
        segs = (self, *self.joined)
        found = {it.item_id for seg in segs for it in seg.items}
        for entry in self.catalogue.entries:
            if entry.exists_verified and entry.id not in found:
                out.append(Issue("table.item_missing", item_id=entry.id,
                                 fields={"text": _entry_text(entry)}))
        for seg in segs:
            out += [replace(i, sheet=seg.sheet.name) for i in seg._item_issues()]
        return out

    def _item_issues(self) -> list[Issue]:
        out: list[Issue] = []
        for it in self.items:
            cell = address(it.row, it.col)
            entry = self.catalogue.entry(it.item_id)
            if entry is None:
                out.append(Issue("table.unknown_item", cell=cell, item_id=it.item_id,
                                 fields={"text": _short(it.text or it.content, 30)}))
                continue
            expected = _mismatch(it, entry)
            if expected:
                out.append(Issue("table.title_mismatch", cell=cell, item_id=it.item_id,
                                 fields={"text": _short(it.text or it.content, 30),
                                         "expected": _short(expected, 30)}))
        for first, dup in self.duplicates:
            out.append(Issue("table.item_duplicated", cell=address(dup.row, dup.col),
                             item_id=dup.item_id, detail=address(first.row, first.col)))
        return out


def _mismatch(it: ItemRow, entry: Entry) -> str:
    """The catalogue wording a row contradicts, or "" (only verified wording is checked)."""
    checks = [(it.text, entry.title, entry.wording_verified("title")),
              (it.content if it.content else it.text, entry.text, entry.wording_verified("text"))]
    verified = [(printed, want) for printed, want, ok in checks if ok and printed]
    if not verified:
        return ""
    if any(similar(printed, want) >= SIMILAR for printed, want in verified):
        return ""
    return verified[0][1]


# --------------------------------------------------------------------------------------------
# contract role table

_GROUP = re.compile(r"^[(\[【]?([a-z])[)\]】]?"
                    r"(?:$|[\s.:、．・)\]】-]+(?P<n1>[^0-9].{0,19})$|(?P<n2>[^\x00-\x7f0-9].{0,19})$)")
_LETTER_REF = re.compile(r"^([a-z])\s*[-.]?\s*([0-9]{1,3})$")
_PLAIN_REF = re.compile(r"^(?:p1-?)?\(?([0-9]{1,3})[.)]?$")


def _group_label(t: str) -> tuple[str, str] | None:
    """「A」「A 共通」「(A)共通」 -> ("A", "共通"); an item ref such as A-1 is not a group."""
    if not t or _LETTER_REF.match(t):
        return None
    m = _GROUP.match(t)
    if not m:
        return None
    return m.group(1).upper(), (m.group("n1") or m.group("n2") or "").strip(":.、 ")


def parse_contract_ref(t: str) -> tuple[str, int] | None:
    """A printed 項番 -> (group letter or "", number): 「A-1」「Ａ－１」「A1」「A‐1」 -> ("A", 1)."""
    m = _LETTER_REF.match(t)
    if m:
        return m.group(1).upper(), int(m.group(2))
    m = _PLAIN_REF.match(t)
    if m:
        return "", int(m.group(1))
    return None


def _contract_kind(path: list[str]) -> str:
    last = _bare(path[-1])
    if any(t.startswith("初回確認") for t in path):
        if last in YES_LABELS:
            return "yes"
        if last in NO_LABELS:
            return "no"
        return "answer"
    if any(t.startswith("完了") or "完了日" in t for t in path):
        return "completed"
    if _is_ref_label(last):
        return "ref"
    if last in ("項目", "項目名"):
        return "title"
    if last in ("内容", "項目内容", "実施内容", "確認内容"):
        return "content"
    if last in ("備考", "コメント", "特記事項", "メモ"):
        return "remarks"
    return "other"


def _is_contract_header(texts: list[str]) -> bool:
    kinds = {_contract_kind([t]) for t in texts}
    return "ref" in kinds and bool(kinds & {"answer", "completed"})


def _yes_no_labels(texts: list[str]) -> bool:
    """A row of 「はい」「いいえ」 sub-labels (under a merged 初回確認)."""
    return any(_bare(t) in (*YES_LABELS, *NO_LABELS) for t in texts) and \
        not any(parse_contract_ref(t) for t in texts)


def _contract_block(grid: Grid, r: int) -> tuple[int, ...]:
    """Header rows around ``r``: はい/いいえ below it, or 初回確認 above a はい/いいえ row."""
    own = [t for _, t in grid.by_row.get(r, ())]

    def above(texts: list[str]) -> bool:
        return _yes_no_labels(own) and any(t.startswith("初回確認") for t in texts)

    return header_block(grid, r, _yes_no_labels, above)


def _pick_ref_col(grid: Grid, cols: dict[str, list[int]], start: int) -> None:
    """Of several columns under 「項番」 (a merged header), the one holding item numbers."""
    refs = cols.get("ref", [])
    if len(refs) < 2:
        return

    def hits(c: int) -> int:
        return sum(1 for r in grid.by_row if r > start and parse_contract_ref(grid.own(r, c, down=False)))

    best = max(refs, key=lambda c: (hits(c), c))
    cols["ref"] = [best]
    cols.setdefault("left", []).extend(c for c in refs if c < best)


def locate_contract(scan: Scan, catalogue: Catalogue) -> LocatedTable | None:
    """Recognise a contract role table on a sheet (None when the sheet is not one).

    A table holding one part only, whose other part stands on the next (or previous) contract
    sheet of the workbook, is read as one table: the first sheet's table carries both, the
    second sheet gives None (it is read with the first).
    """
    located = _locate_contract_sheet(scan, catalogue)
    if located is None or len(_parts_of(located.items)) != 1 or scan.sheet.book is None:
        return located
    role, other = split_pairs(scan.sheet.book, catalogue).get(scan.sheet.name, ("", None))
    if role == "follower":
        return None
    if role == "lead" and other is not None:
        join_parts(located, other)
    return located


def _may_be_contract(scan: Scan) -> bool:
    """A cheap necessary condition: a header cell 「初回確認…」「完了…」「…完了日…」 (a checklist
    prints none; 完了 in the prose of its notes does not count). Every checklist sheet of a
    batch passes through here, and the full test below cost more than reading its answers."""
    whole = scan.joined()
    if "初回確認" not in whole and "完了" not in whole:  # in no cell, so starting none
        return False
    return any(t.startswith(("初回確認", "完了")) or "完了日" in t for t in scan.text.values())


def _locate_contract_sheet(scan: Scan, catalogue: Catalogue) -> LocatedTable | None:
    if not _may_be_contract(scan):
        return None
    grid, headers = _header_rows(scan, _is_contract_header)
    if not headers:
        return None
    cat = load_table_catalogue("contract")
    block = _contract_block(grid, headers[0])
    cols = header_columns(grid, block, _contract_kind)
    _pick_ref_col(grid, cols, block[-1])
    whole = "".join(grid.row_text(r) for r in sorted(grid.by_row))
    titled = cat.title_found(whole)
    parts = any(norm(w) in whole for h in cat.parts.values() for w in h.words)
    both = bool(cols.get("completed")) and bool(cols.get("answer") or cols.get("yes"))
    if not (titled or parts or both):
        return None
    located = LocatedTable("contract", grid, cat, cols, block,
                           confidence=1.0 if titled else 0.8)
    repeated = {r for h in headers for r in _contract_block(grid, h)}
    _read_contract_rows(located, repeated)
    last = max((it.row for it in located.items), default=block[-1])
    words = Words.of(catalogue)
    located.fields = header_fields(grid, words, set(range(block[0], last + 1)))
    located.checked = _contract_checked_date(grid, cat, block, cols, set(range(block[0], last + 1)))
    _contract_date_issues(located)
    return located


def _contract_date_issues(located: LocatedTable) -> None:
    d = located.checked
    if d.value is not None:
        return
    if d.problem:
        located.issues.append(Issue("answer.date_unreadable", cell=d.cell,
                                    fields={"raw": _short(d.raw) + ("（年がありません）" if d.problem == "no_year" else "")}))
    else:
        located.issues.append(Issue("table.checked_date_missing"))


def _contract_checked_date(grid: Grid, cat: TableCatalogue, block: tuple[int, ...],
                           cols: dict[str, list[int]], table_rows: set[int]) -> SheetDate:
    """The sheet's 初回確認 date: in the 初回確認 column header, else a header field."""
    answer_cols = cols.get("answer", []) + cols.get("yes", []) + cols.get("no", [])
    seen: set[tuple[int, int]] = set()
    fallback = SheetDate()
    for c in answer_cols:
        for r in block:
            origin = grid.sheet.merged_origin(r, c)
            if origin in seen:
                continue
            seen.add(origin)
            raw = grid.scan.raw.get(origin, "")
            rest = _date_in_label(raw, "初回確認") if "初回確認" in norm(raw) else raw
            got = _date_value(rest) if rest and _has_digit(rest) else SheetDate()
            if got.value is not None or (got.problem and not fallback.problem):
                got.cell = address(*origin)
                got.raw = raw
                if got.value is not None:
                    return got
                fallback = got
    labels = sorted((norm(w) for w in cat.checked_on_labels), key=len, reverse=True)
    for (r, c), t in sorted(grid.scan.text.items()):
        if r in table_rows or len(t) > 40:
            continue
        label = next((w for w in labels if t.startswith(w)), None)
        if label is None:
            continue
        rest = _date_in_label(grid.scan.raw[(r, c)], label)
        if rest and _has_digit(rest):
            got = _date_value(rest)
            got.cell, got.raw = address(r, c), grid.scan.raw[(r, c)]
        else:
            value, cell = _value_right(grid, r, c)
            if value in (None, ""):
                continue
            got = _date_value(value)
            got.cell, got.raw = cell, cell_text(value)
        if got.value is not None:
            return got
        if not fallback.problem:
            fallback = got
    return fallback


def _has_digit(text: str) -> bool:
    return any(ch in _DIGITS for ch in unicodedata.normalize("NFKC", text))


def _value_right(grid: Grid, r: int, c: int, reach: int = 2) -> tuple[Any, str]:
    """The first value one or two cells right of a label (skipping the label's own merge)."""
    sheet = grid.sheet
    end = c
    for r0, c0, r1, c1 in sheet.merged:
        if r0 <= r <= r1 and c0 <= c <= c1:
            end = c1
    cc, steps = end + 1, 0
    while steps < reach and cc < sheet.ncols:
        origin = sheet.merged_origin(r, cc)
        value = sheet.value(*origin)
        if value not in (None, ""):
            return value, address(*origin)
        nxt = cc + 1
        for r0, c0, _r1, c1 in sheet.merged:
            if (r0, c0) == origin:
                nxt = c1 + 1
        cc, steps = nxt, steps + 1
    return None, ""


@dataclass
class _ContractState:
    part: str = ""
    group: str = ""
    labelled: set[str] = field(default_factory=set)
    group_names: dict[str, str] = field(default_factory=dict)


def _part_of_row(text: str, cat: TableCatalogue) -> str:
    for key, h in cat.parts.items():
        if any(norm(w) in text for w in h.words):
            return key
    return ""


def _read_contract_rows(located: LocatedTable, header_rows: set[int]) -> None:
    grid, cat, cols = located.grid, located.catalogue, located.columns
    ref_col = _first(cols, "ref")
    title_col, content_col = _first(cols, "title"), _first(cols, "content")
    if title_col is None and content_col is None:  # 「確認事項」 or another word: the first
        answer_at = min(answer_cols_of(cols), default=grid.sheet.ncols)  # text column after 項番
        title_col = next((c for c in cols.get("other", []) if (ref_col or 0) < c < answer_at), None)
    answer_cols = set(cols.get("answer", []) + cols.get("yes", []) + cols.get("no", []))
    left_cols = [c for c in range(ref_col or 0)
                 if not any(c in v for k, v in cols.items() if k != "left")]
    st = _ContractState()
    first_header = min(located.header_rows)
    seen: dict[str, ItemRow] = {}
    for r in sorted(grid.by_row):
        text = grid.row_text(r)
        part = _part_of_row(text, cat)
        if part and len(text) < 80 and not _row_answered(grid, r, answer_cols):
            st.part, st.group = part, ""
            st.labelled.add(part)
            continue
        if r <= first_header or r in header_rows:
            continue
        _contract_row(located, st, r, ref_col, title_col, content_col, left_cols, answer_cols, seen)
    _contract_structure_issues(located, st)


def answer_cols_of(cols: dict[str, list[int]]) -> list[int]:
    return cols.get("answer", []) + cols.get("yes", []) + cols.get("no", [])


def _row_answered(grid: Grid, r: int, answer_cols: set[int]) -> bool:
    return any(grid.own(r, c, down=False) for c in answer_cols)


def _contract_row(located: LocatedTable, st: _ContractState, r: int, ref_col: int | None,
                  title_col: int | None, content_col: int | None, left_cols: list[int],
                  answer_cols: set[int], seen: dict[str, ItemRow]) -> None:
    grid = located.grid
    for c in left_cols:  # a group column left of 項番 (often merged down the group's rows)
        g = _group_label(grid.own(r, c))
        if g:
            _enter_group(st, g)
    ref = grid.own(r, ref_col, down=False)
    title, content = grid.raw(r, title_col), grid.raw(r, content_col)
    if title_col is not None and not grid.own(r, title_col, down=False):
        title = ""
    if content_col is not None and not grid.own(r, content_col, down=False):
        content = ""
    answered = _row_answered(grid, r, answer_cols)
    g = _group_label(ref) if ref else None
    if g is None and not ref and not answered and not content:
        cells = grid.by_row.get(r, [])
        g = _group_label(cells[0][1]) if cells else None
    if g is not None and not answered:
        name = g[1] or norm(title)
        _enter_group(st, (g[0], name))
        return
    parsed = parse_contract_ref(ref) if ref else None
    if parsed is None:
        refish = bool(ref) and len(ref) <= 8 and any(ch in _DIGITS for ch in ref)
        if (title or content) and (answered or refish):
            located.issues.append(Issue(
                "table.ref_unclear", cell=address(r, ref_col if ref_col is not None else 0),
                detail="項番がありません" if not ref else f"項番「{_short(grid.raw(r, ref_col), 10)}」",
                fields={"text": _short(title or content, 30)}))
        return
    if not (title or content):
        return  # a numbered but empty row (a template's spare line)
    letter, n = parsed
    if letter:
        _enter_group(st, (letter, st.group_names.get(letter, "")))
        item_id = f"{letter}-{n}"
    elif st.group:
        item_id = f"{st.group}-{n}"
    elif st.part == "P2":
        located.issues.append(Issue(
            "table.ref_unclear", cell=address(r, ref_col or 0),
            detail="Part2 の項目ですが、グループ（A 共通など）が分かりません",
            fields={"text": _short(title or content, 30)}))
        return
    else:
        item_id = f"P1-{n}"
    text_col = title_col if title else (content_col if content_col is not None else ref_col or 0)
    row = ItemRow(item_id, grid.raw(r, ref_col), r, text_col, title, content)
    if item_id in seen:
        located.duplicates.append((seen[item_id], row))
        return
    seen[item_id] = row
    located.items.append(row)


def _enter_group(st: _ContractState, g: tuple[str, str]) -> None:
    letter, name = g
    st.group = letter
    if name:
        st.group_names[letter] = name


def _contract_structure_issues(located: LocatedTable, st: _ContractState) -> None:
    cols = located.columns
    if not (cols.get("answer") or cols.get("yes") or cols.get("no")):
        located.issues.append(Issue("table.no_answer_column", detail="見出し「初回確認」の列がありません"))
    located.labelled = set(st.labelled)
    located.issues += _part_issues(located.catalogue, located.items, located.labelled)


_PART_CODES = ("table.part_missing", "table.part_label_missing", "table.group_missing")


def _parts_of(items: list[ItemRow]) -> set[str]:
    return {"P1" if it.item_id.startswith("P1-") else "P2" for it in items}


def _part_issues(cat: TableCatalogue, items: list[ItemRow], labelled: set[str]) -> list[Issue]:
    """A part absent or unlabelled, a verified group absent."""
    out = []
    parts_found = _parts_of(items)
    for key, h in cat.parts.items():
        label = f"{key.replace('P', 'Part')}【{h.name}】"
        if key not in parts_found:
            out.append(Issue("table.part_missing", detail=label))
        elif key not in labelled:
            out.append(Issue("table.part_label_missing", detail=label))
    groups_found = {it.item_id.split("-")[0] for it in items}
    for letter, h in cat.groups.items():
        if h.status == "verified" and letter not in groups_found:
            out.append(Issue("table.group_missing", detail=f"{letter}（{h.name}）"))
    return out


# -- a contract table split over two sheets --------------------------------------------------

_SPLIT: dict[str, Any] = {}  # the last book's pairing (the api reads a book sheet by sheet)


def _names_agree(a: LocatedTable, b: LocatedTable) -> bool:
    """No header field names a different facility, vendor or system on the two sheets."""
    for key in ("facility_name", "vendor_name", "system_name"):
        x, y = norm(a._field(key)), norm(b._field(key))
        if x and y and x != y:
            return False
    return True


def split_pairs(book: Any, catalogue: Catalogue) -> dict[str, tuple[str, LocatedTable | None]]:
    """Contract tables whose Part1 and Part2 stand on two consecutive contract sheets of one
    workbook (and whose header fields do not contradict each other): sheet name ->
    ("lead", the other sheet's table) for the first, ("follower", None) for the second."""
    key = (getattr(book, "path", ""), getattr(book, "sha256", ""), id(book))
    if _SPLIT.get("key") == key:
        return _SPLIT["pairs"]
    found = []
    for sheet in getattr(book, "sheets", ()):
        located = _locate_contract_sheet(Scan.of(sheet), catalogue)
        if located is not None:
            found.append((sheet.name, located))
    pairs: dict[str, tuple[str, LocatedTable | None]] = {}
    i = 0
    while i + 1 < len(found):
        (n1, a), (n2, b) = found[i], found[i + 1]
        one = _parts_of(a.items), _parts_of(b.items)
        if {frozenset(x) for x in one} == {frozenset({"P1"}), frozenset({"P2"})} and \
                _names_agree(a, b):
            pairs[n1], pairs[n2] = ("lead", b), ("follower", None)
            i += 2
        else:
            i += 1
    _SPLIT.update(key=key, pairs=pairs)
    return pairs


def join_parts(lead: LocatedTable, other: LocatedTable) -> None:
    """Make ``lead`` one table with ``other`` (its other part on another sheet): part problems
    are judged on both together, the 初回確認 date and header fields are shared."""
    for seg in (lead, other):
        seg.issues = [i for i in seg.issues if i.code not in _PART_CODES]
    lead.issues += _part_issues(lead.catalogue, lead.items + other.items,
                                lead.labelled | other.labelled)
    date = lead.checked if lead.checked.value is not None else other.checked
    if date.value is not None:
        for seg in (lead, other):
            if seg.checked.value is None:
                seg.checked = date
                seg.issues = [i for i in seg.issues if i.code != "table.checked_date_missing"]
    for name, f in other.fields.items():
        lead.fields.setdefault(name, f)
    lead.joined.append(other)
    lead.issues.append(Issue("table.parts_joined", detail=other.sheet.name))


# --------------------------------------------------------------------------------------------
# BCP table

_MIDDLE_REF = re.compile(r"^([1-9])-([0-9]{1,2})$")
_MIDDLE_PREFIX = re.compile(r"^([1-9])-([0-9]{1,2})(?![0-9.])")  # 「1-1 情報機器等の…」 in one cell
_DITTO = ("〃", "同上", "\"", "''", "々")


def _bcp_kind_factory(cat: TableCatalogue, words: Words) -> Callable[[list[str]], str]:
    answer_words = {norm(w) for w in (*cat.answer_headers, *words.headers.get("answer", ()))}
    date_words = tuple(words.headers.get("date", ())) + ("対応日", "策定日", "完了日")
    remarks = tuple(words.headers.get("remarks", ())) + ("備考",)

    def kind(path: list[str]) -> str:
        last = _bare(path[-1])
        if _is_ref_label(last):
            return "ref"
        if last == "大項目":
            return "major"
        if last == "中項目":
            return "middle"
        if last in ("確認項目", "確認事項", "確認内容"):
            return "question"
        if any(w in last for w in remarks):
            return "remarks"
        if any(w in last for w in date_words):
            return "date"
        if last in YES_LABELS[:1]:
            return "yes"
        if last in NO_LABELS[:1]:
            return "no"
        if last in answer_words or any(len(w) >= 3 and w in last for w in answer_words):
            return "answer"
        return "other"

    return kind


def _is_bcp_header(texts: list[str]) -> bool:
    return any(_is_ref_label(t) for t in texts) and \
        any(_bare(t) in ("確認項目", "確認事項", "確認内容") for t in texts)


def _section_of(t: str, cat: TableCatalogue) -> int | None:
    """A 大項目 label 「1 平時（平時において…）」「平時」 -> 1."""
    core = re.sub(r"^[0-9][\s.、:．)]*", "", t).lstrip("【[(「<■●◆")
    for n, h in cat.sections.items():
        name = norm(h.name)
        if core.startswith(name) and (len(core) == len(name) or core[len(name)] in "(【[:】])」>、"):
            return n
    return None


_BCP_GATE: list[tuple[tuple[str, ...], tuple[str, ...]]] = []


def _may_be_bcp(scan: Scan) -> bool:
    """A cheap necessary condition: the table's title, or two 大項目 names, somewhere in the
    sheet's text (the words are read once per process: the catalogue loader checks the file's
    time stamp on every call)."""
    if not _BCP_GATE:
        cat = load_table_catalogue("bcp")
        titles = tuple(norm(w) for w in (cat.title, *cat.title_words) if w)
        _BCP_GATE.append((titles, tuple(norm(h.name) for h in cat.sections.values())))
    titles, sections = _BCP_GATE[0]
    whole = scan.joined()
    return any(w in whole for w in titles) or sum(w in whole for w in sections) >= 2


def locate_bcp(scan: Scan, catalogue: Catalogue) -> LocatedTable | None:
    """Recognise a BCP table on a sheet (None when the sheet is not one)."""
    if not _may_be_bcp(scan):
        return None
    grid, headers = _header_rows(scan, _is_bcp_header)
    if not headers:
        return None
    cat = load_table_catalogue("bcp")
    words = Words.of(catalogue)
    whole = "".join(grid.row_text(r) for r in sorted(grid.by_row))
    titled = cat.title_found(whole)
    sections = {n for r in grid.by_row for _, t in grid.by_row[r]
                if (n := _section_of(t, cat)) is not None}
    if not titled and len(sections) < 2:
        return None
    kind = _bcp_kind_factory(cat, words)
    block = header_block(grid, headers[0], lambda texts: all(kind([t]) != "other" for t in texts))
    vocab = Vocabulary.from_mapping(catalogue.vocabulary)
    cols = header_columns(grid, block, kind)
    located = LocatedTable("bcp", grid, cat, cols, block, confidence=1.0 if titled else 0.8)
    repeated = set(headers)
    questions = _read_bcp_rows(located, repeated)
    _assign_bcp_ids(located, questions)
    _choose_answer_column(located, vocab)
    last = max((it.row for it in located.items), default=block[-1])
    located.fields = header_fields(grid, words, set(range(block[0], last + 1)))
    return located


@dataclass
class _BcpState:
    major: int | None = None
    middle: str = ""
    labelled: set[int] = field(default_factory=set)
    majors: set[int] = field(default_factory=set)


def _read_bcp_rows(located: LocatedTable, header_rows: set[int]) -> dict[str, list[ItemRow]]:
    grid, cat, cols = located.grid, located.catalogue, located.columns
    ref_col, q_col = _first(cols, "ref"), _first(cols, "question")
    name_col = _first(cols, "middle") if cols.get("middle") else _first(cols, "major")
    structural = {c for k in ("ref", "major", "middle", "question") for c in cols.get(k, [])}
    st = _BcpState()
    out: dict[str, list[ItemRow]] = {}
    for r in sorted(grid.by_row):
        if r <= min(located.header_rows) or r in header_rows:
            continue
        question = grid.own(r, q_col, down=False)
        cands = [c for c, _t in grid.by_row[r] if not question or (c in structural and c != q_col)]
        section = next((n for c in cands
                        if (n := _section_of(grid.own(r, c, down=False), cat)) is not None), None)
        if section is not None:
            st.major = section
            st.labelled.add(section)
            st.majors.add(section)
            if not question:
                st.middle = ""
                continue
        m = _MIDDLE_REF.match(grid.own(r, ref_col)) or _MIDDLE_PREFIX.match(grid.own(r, name_col))
        if m:
            st.middle = f"{m.group(1)}-{int(m.group(2))}"
            st.majors.add(int(m.group(1)))
        if not question or question in _DITTO or len(question) < 4:
            continue
        if not st.middle:
            located.issues.append(Issue("table.ref_unclear", cell=address(r, q_col or 0),
                                        detail="中項目の項番（1-1 など）がありません",
                                        fields={"text": _short(grid.raw(r, q_col), 30)}))
            continue
        out.setdefault(st.middle, []).append(
            ItemRow("", st.middle, r, q_col or 0, grid.raw(r, q_col)))
    for n, h in cat.sections.items():
        label = f"{n} {h.name}"
        if n not in st.majors:
            located.issues.append(Issue("table.section_missing", detail=label))
        elif n not in st.labelled:
            located.issues.append(Issue("table.section_label_missing", detail=label))
    return out


def assign_question_ids(middle: str, questions: list[str], entries: list[Entry]
                        ) -> list[tuple[str, str]]:
    """Ids for the printed questions of one 中項目: by text first, by position second.

    A question whose text matches a catalogued one takes its id; the others take their printed
    position when no matched question holds it, else the next number after every known one, so
    an inserted row never shifts the ids of the rows around it. Returns (id, how) per question.
    """
    def k_of(e: Entry) -> int:
        return int(e.id.rsplit(".", 1)[1])

    pairs = sorted(((similar(q, e.text), i, k_of(e)) for i, q in enumerate(questions)
                    for e in entries if e.text), reverse=True)
    taken: dict[int, int] = {}  # question index -> k
    used: set[int] = set()
    for score, i, k in pairs:
        if score >= SIMILAR and i not in taken and k not in used:
            taken[i] = k
            used.add(k)
    next_k = max([k_of(e) for e in entries] + list(used) + [0]) + 1
    out: list[tuple[str, str]] = []
    for i in range(len(questions)):
        if i in taken:
            out.append((f"{middle}.{taken[i]}", "text"))
            continue
        pos = i + 1
        if pos not in used and pos not in taken.values():
            k, how = pos, "position"
        else:
            while next_k in used:
                next_k += 1
            k, how = next_k, "new"
        used.add(k)
        out.append((f"{middle}.{k}", how))
    return out


def _assign_bcp_ids(located: LocatedTable, questions: dict[str, list[ItemRow]]) -> None:
    seen: dict[str, ItemRow] = {}
    for middle, rows in questions.items():
        ids = assign_question_ids(middle, [it.text for it in rows], located.catalogue.under(middle))
        for it, (item_id, how) in zip(rows, ids):
            it.item_id, it.how = item_id, how
    for it in sorted((it for rows in questions.values() for it in rows), key=lambda x: x.row):
        if it.item_id in seen:  # the same 中項目 printed twice
            located.duplicates.append((seen[it.item_id], it))
            continue
        seen[it.item_id] = it
        located.items.append(it)


# -- the answer column the facility added ----------------------------------------------------


def _answerish(grid: Grid, rows: list[int], c: int, vocab: Vocabulary) -> tuple[int, int]:
    """(filled, answer-like) cells of column ``c`` on the question rows."""
    from xltools.decode import decode_text

    filled = answerish = 0
    for r in rows:
        origin = grid.sheet.merged_origin(r, c)
        if origin[1] != c:
            continue
        value = grid.sheet.value(*origin)
        if value in (None, ""):
            continue
        filled += 1
        got = decode_text(value, vocab)
        if (got.answer != BLANK and not isinstance(value, (int, float))) or \
                norm(str(value)) in vocab.unanswered:
            answerish += 1
    return filled, answerish


def _choose_answer_column(located: LocatedTable, vocab: Vocabulary) -> None:
    """Find the answer column a facility added: by header, else by content, else by check
    boxes; say which and why (an ``info`` problem), or report that there is none."""
    grid, cols = located.grid, located.columns
    rows = [it.row for it in located.items]
    q_col = _first(cols, "question")
    ref_col = _first(cols, "ref")
    heads = {c: "・".join(header_path(grid, located.header_rows, c)) for c in range(grid.sheet.ncols)}
    choice = _split_choice(cols, heads) or _header_choice(grid, cols, rows, vocab, heads) or \
        _content_choice(grid, cols, rows, vocab, q_col, ref_col) or _checkbox_choice(grid, rows)
    if choice is None:
        located.columns = {k: v for k, v in cols.items() if k not in ("answer", "yes", "no")}
        located.issues.append(Issue("table.no_answer_column",
                                    detail="確認項目の右にも項番の左にも回答らしい列がありません"))
        return
    chosen, note = choice
    located.columns = {**{k: v for k, v in cols.items() if k not in ("answer", "yes", "no")},
                       **chosen}
    located.answer_column_note = note
    located.issues.append(Issue("table.answer_column", detail=note))


def _col_name(c: int) -> str:
    return address(0, c).rstrip("0123456789")


def _split_choice(cols: dict[str, list[int]], heads: dict[int, str]
                  ) -> tuple[dict[str, list[int]], str] | None:
    if cols.get("yes") and cols.get("no"):
        y, n = cols["yes"][0], cols["no"][0]
        return ({"yes": [y], "no": [n]},
                f"{_col_name(y)}列・{_col_name(n)}列（見出し「はい」「いいえ」の印）")
    return None


def _header_choice(grid: Grid, cols: dict[str, list[int]], rows: list[int], vocab: Vocabulary,
                   heads: dict[int, str]) -> tuple[dict[str, list[int]], str] | None:
    cands = cols.get("answer", [])
    if not cands:
        return None
    best = max(cands, key=lambda c: (_answerish(grid, rows, c, vocab)[1], -c))
    return {"answer": [best]}, f"{_col_name(best)}列（見出し「{heads.get(best, '')}」）"


def _content_choice(grid: Grid, cols: dict[str, list[int]], rows: list[int], vocab: Vocabulary,
                    q_col: int | None, ref_col: int | None
                    ) -> tuple[dict[str, list[int]], str] | None:
    skip = {c for k in ("ref", "major", "middle", "question", "remarks", "date")
            for c in cols.get(k, [])}
    scored = []
    for c in range(grid.sheet.ncols):
        if c in skip:
            continue
        filled, answerish = _answerish(grid, rows, c, vocab)
        if answerish >= max(2, 0.6 * filled):
            scored.append((answerish, -c, c))
    if not scored:
        return None
    c = max(scored)[2]
    side = "項番の左" if ref_col is not None and c < ref_col else "確認項目の右"
    return {"answer": [c]}, f"{_col_name(c)}列（{side}の見出しのない列。記入内容がチェック・はい/いいえ等の回答らしいため）"


def _checkbox_choice(grid: Grid, rows: list[int]) -> tuple[dict[str, list[int]], str] | None:
    """Form-control check boxes standing on the question rows: the column most of them sit in."""
    sheet = grid.sheet
    book = sheet.book
    if book is None or book.kind != "xlsx" or sheet.part is None or book.zip is None:
        return None
    try:
        from xltools.xlsx import drawings

        if not drawings.sheet_has_drawings(book.zip, sheet.part):
            return None
        layout = drawings.load_layout(book.zip, sheet.part, sheet.merged)
        marks, _ = drawings.read_marks_with_issues(book.zip, sheet.part, layout)
    except Exception:  # an unreadable drawing layer: no check-box column, said by the caller
        return None
    row_set = set(rows)
    counts: dict[int, int] = {}
    for m in marks:
        if m.kind == "checkbox" and m.row in row_set:
            counts[m.col] = counts.get(m.col, 0) + 1
    if not counts or max(counts.values()) < 2:
        return None
    c = max(counts, key=lambda k: (counts[k], -k))
    return {"answer": [c]}, f"{_col_name(c)}列（チェックボックスが並んでいるため）"


# --------------------------------------------------------------------------------------------
# the tables as form kinds


@dataclass(frozen=True)
class TableForm:
    """A table's piece of the one form contract (:mod:`xltools.forms.located`)."""

    form: str  # contract | bcp
    find: Callable[[Scan, Catalogue], LocatedTable | None]

    def locate(self, scan: Scan, catalogue: Catalogue) -> LocatedForm | None:
        found = self.find(scan, catalogue)
        if found is None:
            return None
        book = scan.sheet.book
        names = found.names(getattr(book, "path", "") or "")
        # a BCP answer column is a check column: a lone drawn mark or box there means yes
        parts = [Part(seg.sheet, seg.places(tick=self.form == "bcp"), [it.row for it in seg.items])
                 for seg in (found, *found.joined)]
        expected = [Expected(e.id, "all", 1, e.id) for e in found.catalogue.entries
                    if e.exists_verified]
        return LocatedForm(
            kind=self, form=self.form, sheet=found.sheet, mapping=f"tables/{self.form}",
            edition=found.catalogue.year, variant=found.catalogue.variant,
            confidence=found.confidence, names=names, parts=parts, expected=expected,
            found=found)

    def check(self, located: LocatedForm, slots: list[list[Slot]], ctx: Context
              ) -> list[P.Problem]:
        return located.found.check(slots, ctx)

    def partial(self, problems: list[dict[str, Any]]) -> bool:
        """An error, or a catalogued item not found, makes a table submission partial."""
        return any(p["severity"] == "error" or p["code"] == "table.item_missing"
                   for p in problems)


CONTRACT = TableForm("contract", locate_contract)
BCP = TableForm("bcp", locate_bcp)

__all__ = ["BCP", "CONTRACT", "LocatedTable", "TableForm", "locate_contract", "locate_bcp",
           "assign_question_ids", "split_pairs", "join_parts", "first_on_or_after",
           "parse_contract_ref", "names_from_filename", "similar"]
