"""Learn a form edition from its blank workbook: a new mapping file, without writing code.

MHLW changes the checklist every fiscal year: items are reworded, added, dropped, renumbered,
and the sheet is laid out anew. Writing the mapping by hand is error-prone, so ``learn`` reads a
blank (or filled) workbook of the new edition and writes the mapping for it:

- the item table is found by its header labels (確認事項, 項番, 1回目 …), never by address;
- every item row gives its printed ref, text, scope (label, scope column or device heading) and
  section; the sheet gives its variant label, title and layout hints;
- each printed item is matched to the known item ids of every edition by text similarity, so
  ids stay stable across editions (answers are compared across years by id);
- nothing is guessed silently: a row is *matched* (similar enough to one known item), *new*
  (nothing known is close; an id is proposed from its text) or *uncertain* (in between, or two
  known items are equally close), and uncertain rows fail the run until a person accepts them.

``check`` does the reverse: it reads a blank workbook with a given mapping, exactly as the
reader would, and says per variant whether every expected item is found once and nothing is
left over. It reviews a learned mapping, or validates a bundled one against an official blank.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from xltools.errors import XltoolsError
from xltools.forms.catalogue import (
    BUNDLED_DIR,
    VARIANTS,
    Catalogue,
    FormMapping,
    Item,
    load_catalogue,
    parse_mapping,
)
from xltools.forms.locate import (
    ItemIndex,
    Scan,
    Words,
    assign_scope_hints,
    classify_header,
    device_label,
    find_header,
    find_item_rows,
    heading_scope,  # the reader's own rule for device headings, so learner and reader agree
    item_index,
    locate_columns,
    parse_scope,
    split_scope_rows,
)
from xltools.labels import SCOPE_JA, VARIANT_JA
from xltools.problems import Problem, make
from xltools.text import norm
from xltools.xlsx.book import Sheet, address, read_book

MATCH = 85.0  # similarity (0..100) from which a printed item keeps a known item's id
NEW_BELOW = 60.0  # below this nothing known is close: the item is new
AMBIGUOUS = 4.0  # a second known item this close to the best one makes the match uncertain
VARIANT_ORDER = ("hospital", "pharmacy", "joint", "vendor")  # the first present prints `text`
SCOPE_RANK = {"all": 0, "server": 1, "terminal": 2, "network": 3}
DEFAULT_LABELS = {
    "hospital": ("医療機関確認用", "医療機関等確認用"),
    "pharmacy": ("薬局確認用",),
    "vendor": ("事業者確認用",),
    "joint": (),
}
# label printed on a sheet -> the variants that sheet serves (longest label first)
SHEET_LABELS = (
    ("医療機関・薬局確認用", ("hospital", "pharmacy")),
    ("医療機関等確認用", ("hospital",)),
    ("医療機関確認用", ("hospital",)),
    ("事業者確認用", ("vendor",)),
    ("薬局確認用", ("pharmacy",)),
)

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_DIGITS = str.maketrans("０１２３４５６７８９（）－‐―．", "0123456789()---.")
_REF_RAW = re.compile(
    r"^\s*((?:[0-9０-９]{1,2}\s*[-－‐.．]\s*)?(?:[" + _CIRCLED + r"]|[（(][0-9０-９]{1,2}[）)])"
    r"|[0-9０-９]{1,2}(?:\s*[-－‐.．]\s*[0-9０-９]{1,2})?(?=[\s\u3000.．、)）]))[\s\u3000.．、]*")
_LABEL_RAW = re.compile(r"[（(]([^（）()]{1,40})[）)]\s*$")
_SECTION = re.compile(r"^([0-9]{1,2})[.、:)\s]*([^0-9].{1,40})$")
_SENTENCE_END = re.compile(r"(いる|ある|した|する|ない|ている|いるか|か|ます|た|う)$")
_ERA = re.compile(r"令和\s*([0-9０-９]{1,2})\s*年度\s*版")
_ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{1,11}")

# A few words these forms use, for proposing readable ids for new items ("backup_offline");
# anything without one of them gets ``new_<section>_<n>``. Longest words first.
GLOSSARY = (
    ("多要素認証", "mfa"), ("二要素認証", "mfa"), ("バックアップ", "backup"), ("オフライン", "offline"),
    ("暗号化", "encryption"), ("パスワード", "password"), ("アカウント", "account"),
    ("アクセス", "access"), ("ログ", "log"), ("権限", "privilege"), ("教育", "training"),
    ("研修", "training"), ("訓練", "drill"), ("演習", "exercise"), ("脆弱性", "vulnerability"),
    ("ウイルス", "antivirus"), ("マルウェア", "malware"), ("ファイアウォール", "firewall"),
    ("無線LAN", "wifi"), ("Wi-Fi", "wifi"), ("クラウド", "cloud"), ("リモート", "remote"),
    ("保守", "maintenance"), ("委託", "outsourcing"), ("契約", "contract"), ("連絡", "contact"),
    ("インシデント", "incident"), ("復旧", "recovery"), ("事業継続", "continuity"),
    ("外部記録媒体", "media"), ("持ち出し", "takeout"), ("監視", "monitoring"), ("点検", "inspection"),
    ("パッチ", "patch"), ("台帳", "ledger"), ("規程", "rules"), ("責任者", "officer"),
    ("メール", "email"), ("入退室", "entry"), ("廃棄", "disposal"), ("資産", "asset"),
    ("分離", "segmentation"), ("遮断", "isolation"), ("検知", "detection"), ("手順", "procedure"),
    ("計画", "plan"), ("報告", "report"), ("サーバ", "server"), ("端末", "terminal"),
    ("ネットワーク", "network"), ("ソフトウェア", "software"), ("サービス", "service"),
    ("接続", "connection"), ("更新", "update"), ("設定", "settings"), ("確認", "check"),
    ("管理", "management"), ("体制", "structure"), ("情報", "information"),
)


class LearnError(XltoolsError):
    """The workbook cannot be learned from (unreadable, no item table); says what to do next."""


class OptionNeeded(LearnError):
    """The workbook does not say something an option must (edition, fiscal year, variant)."""

    exit_code = 2


# --------------------------------------------------------------------------------------------
# what a sheet prints


@dataclass
class PrintedRow:
    """One item row as printed: ref, text (ref and scope label taken off), scope, section."""

    sheet: str
    row: int  # 0-based
    ref: str
    text: str
    scope: str
    scope_source: str  # label | column | heading | "" (no scope printed: all)
    section: int | None

    @property
    def cell(self) -> str:
        return f"{self.sheet}!{self.row + 1}行"


@dataclass
class SheetTable:
    """The item table of one sheet and what the sheet says about itself."""

    path: str
    sheet: str
    variants: tuple[str, ...]
    variant_source: str  # option | label | sheet name | title | wording
    label: str
    title: str
    rows: list[PrintedRow]
    sections: dict[int, str]
    date_column: bool
    rounds: int
    header_row: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def numbering(self) -> str:
        return numbering_of([r.ref for r in self.rows])

    @property
    def scope_sources(self) -> set[str]:
        return {r.scope_source for r in self.rows if r.scope_source}


def numbering_of(refs: Iterable[str]) -> str:
    """``circled`` (2-④), ``paren`` (2-(4)) or "" when the refs show neither."""
    circled = paren = 0
    for ref in refs:
        if any(ch in _CIRCLED for ch in ref):
            circled += 1
        elif re.search(r"\([0-9]{1,2}\)", ref):
            paren += 1
    if circled > paren:
        return "circled"
    return "paren" if paren else ""


def clean_ref(ref: str) -> str:
    """A printed ref in the mappings' spelling: ASCII digits, dashes and brackets, no spaces."""
    return re.sub(r"[\s\u3000]+", "", ref.translate(_DIGITS)).rstrip(".、")


def ref_key(ref: str) -> tuple[int, int] | None:
    """(section, number) of a ref such as ``2-④``, ``2-(4)``, ``0``; None when it has no number."""
    r = clean_ref(ref)
    m = re.fullmatch(r"(?:([0-9]{1,2})[-.])?(?:\(([0-9]{1,2})\)|([" + _CIRCLED + r"])|([0-9]{1,2}))", r)
    if not m:
        return None
    sec, paren, circ, plain = m.groups()
    n = int(paren) if paren else (_CIRCLED.index(circ) + 1 if circ else int(plain))
    if sec is None and plain is not None:
        return (n, 0)  # "0": the gate item of section 0
    return (int(sec) if sec else -1, n)


def strip_ref_raw(text: str) -> tuple[str, str]:
    """Split a printed ref off the start of an item cell, keeping the text as printed."""
    m = _REF_RAW.match(text)
    if m and len(text) - m.end() >= 4:
        return text[m.end():].strip(), clean_ref(m.group(1))
    return text.strip(), ""


def split_label_raw(text: str, words: Words) -> tuple[str, str]:
    """Split a trailing scope label (``（サーバ、端末PC）``) off an item text as printed."""
    m = _LABEL_RAW.search(text.rstrip())
    if not m:
        return text.strip(), ""
    scope = parse_scope(m.group(1), words)
    if not scope:
        return text.strip(), ""
    return text[:m.start()].rstrip(), scope


def _has_item_ref(text: str) -> bool:
    """The cell starts with an item ref (``2-⑬``, ``2-(4)``, ``③``), not a section number."""
    _body, ref = strip_ref_raw(text)
    return bool(ref) and bool(re.search(r"[-.(" + _CIRCLED + r"]", ref))


def _is_sentence(t: str) -> bool:
    return bool(_SENTENCE_END.search(norm(t).rstrip("。.")))


def _section_heading(t: str, known: dict[str, int]) -> tuple[int, str] | None:
    """A section heading ("2 医療情報システムの管理・運用", "１．体制構築") -> (number, name)."""
    n = norm(t)
    m = _SECTION.match(n)
    if m and not _is_sentence(m.group(2)):
        name = re.sub(r"^[0-9０-９]{1,2}[\s\u3000.．、:：)）]*", "", t.strip()).strip()
        return int(m.group(1)), name
    for name, num in known.items():
        if len(n) < 40 and fuzz.ratio(n, name) >= 90:
            return num, t.strip()
    return None


def _field_label(t: str, words: Words) -> bool:
    bare = re.sub(r"\(.*?\)$", "", t).rstrip(":")
    labels = {w for ws in words.fields.values() for w in ws}
    return bare in labels or any(t.startswith(w + ":") for w in labels)


def _sheet_variants(scan: Scan, sheet: Sheet, header_row: int) -> tuple[tuple[str, ...], str, str]:
    """(variants, how they were found, the label printed) from a 確認用 label or the sheet name."""
    for (r, _c), t in sorted(scan.text.items()):
        if len(t) > 40 or r > header_row + 2:
            continue
        for label, variants in SHEET_LABELS:
            if label in t:
                return variants, "label", label
    for label, variants in SHEET_LABELS:
        if label in norm(sheet.name):
            return variants, "sheet name", label
    return (), "", ""


def _title(scan: Scan, header_row: int) -> str:
    for (r, c), t in sorted(scan.text.items()):
        if r < header_row and "チェックリスト" in t and len(t) < 80:
            return scan.raw[(r, c)].strip()
    return ""


def _header_paths(scan: Scan, rows: tuple[int, ...], ncols: int) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for c in range(ncols):
        parts: list[str] = []
        for r in rows:
            rr, cc = scan.sheet.merged_origin(r, c)
            t = scan.text.get((rr, cc), "")
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        if parts:
            out[c] = parts
    return out


def _find_header(scan: Scan, words: Words, catalogue: Catalogue, form: str) -> tuple[int, ...]:
    """The header rows of the item table: a row naming the item column (確認事項…) next to
    answer-table words; failing that, the rows above the first known item (a table whose header
    uses words we do not know but whose items we do)."""
    answerish = {"answer", "yes", "no", "date", "target"}
    for r in sorted({r for (r, _c) in scan.text}):
        cells = [(c, t) for c, t in scan.row_cells(r) if len(t) <= 24]
        kinds = {classify_header([t], words)[0] for _c, t in cells}
        if "item" not in kinds:
            continue
        rows = [r]
        for rr in range(r + 1, r + 3):
            # a second header row holds labels only (はい・いいえ, 確認日 under 1回目); the first
            # item row of a blank R5 form also shows はい・いいえ, but its ref and text are no labels
            nxt = scan.row_cells(rr)
            if nxt and all(len(t) <= 24 and classify_header([t], words)[0] for _c, t in nxt):
                rows.append(rr)
            else:
                break
        for r0, _c0, r1, _c1 in scan.sheet.merged:  # a header cell merged down (項番 over 2 rows)
            if r0 == r and r1 > rows[-1] and r1 - r < 3:
                rows.extend(range(rows[-1] + 1, r1 + 1))
        paths = _header_paths(scan, tuple(rows), scan.sheet.ncols)
        if any(classify_header(p, words)[0] in answerish for p in paths.values()):
            return tuple(rows)
    hits, _unsure = find_item_rows(scan, item_index(catalogue, form), words)
    if len(hits) >= 3:
        return find_header(scan, min(h.row for h in hits), words)
    return ()


@dataclass
class _Columns:
    """The item table's columns, classified from its header rows."""

    item: list[int]
    ref: int | None
    scope: int | None
    answers: set[int]
    date_column: bool
    rounds: int

    @property
    def table(self) -> set[int]:
        return set(self.item) | self.answers | ({self.ref} if self.ref is not None else set())


def _columns(scan: Scan, header: tuple[int, ...], words: Words, catalogue: Catalogue,
             form: str) -> _Columns | None:
    kinds = {c: classify_header(p, words) for c, p in _header_paths(scan, header, scan.sheet.ncols).items()}
    of = {kind: [c for c, (k, _r) in kinds.items() if k == kind] for kind in
          ("item", "ref", "scope", "answer", "yes", "no", "date")}
    item = of["item"]
    if not item:  # header found from known items: the item column is where they stand
        hits, _u = find_item_rows(scan, item_index(catalogue, form), words)
        if not hits:
            return None
        cols = [h.col for h in hits]
        item = [max(set(cols), key=cols.count)]
    numbered = {r for c, (k, r) in kinds.items() if k in ("answer", "yes", "no")} - {0}
    rounds = len(numbered) or min(2, len(of["answer"])) or 2
    return _Columns(item=item, ref=next(iter(of["ref"]), None), scope=next(iter(of["scope"]), None),
                    answers={*of["answer"], *of["yes"], *of["no"]}, date_column=bool(of["date"]),
                    rounds=rounds)


def _item_cell(scan: Scan, r: int, cols: _Columns) -> tuple[str, bool, str]:
    """(item text, whether its cell is merged across other table columns, printed ref) of a row."""
    sheet = scan.sheet
    item_raw, wide = "", False
    for c in cols.item:
        r0, c0 = sheet.merged_origin(r, c)
        if r0 == r and (r0, c0) in scan.raw:
            item_raw = scan.raw[(r0, c0)]
            span = next(((a, b) for mr0, a, _mr1, b in sheet.merged if mr0 == r and a == c0), (c0, c0))
            wide = any(c not in cols.item and span[0] <= c <= span[1] for c in cols.table)
            break
    ref_raw = ""
    if cols.ref is not None and sheet.merged_origin(r, cols.ref) == (r, cols.ref):
        ref_raw = scan.raw.get((r, cols.ref), "")
    cells = scan.row_cells(r)
    if not item_raw and len(cells) == 1 and not ref_raw:  # a heading left of the item column
        item_raw, wide = scan.raw[(r, cells[0][0])], True
    return item_raw, wide, ref_raw


def _prev_row(scan: Scan, r: int, last_item: int) -> int:
    """The nearest row above ``r`` with anything written (``last_item`` when none between)."""
    for rr in range(r - 1, last_item, -1):
        if scan.row_cells(rr):
            return rr
    return last_item


def _device_subrow(scan: Scan, r: int, cols: _Columns, words: Words) -> str:
    """The scope of a device row printed right under an item (``サーバ`` alone in the item
    column, not merged across the table as a heading is), else ""."""
    cells = [(c, t) for c, t in scan.row_cells(r) if c not in cols.answers]
    if len(cells) != 1:
        return ""
    c, t = cells[0]
    last = scan.sheet.merged_span(r, c)[2]
    if any(c < a <= last for a in cols.table if a != c):
        return ""  # merged across other table columns: a device heading, not a device row
    return device_label(t, words)


def read_table(scan: Scan, words: Words, catalogue: Catalogue, form: str, path: str,
               variant: str | None = None) -> SheetTable | None:
    """Read the item table of one sheet (None when the sheet has none).

    Walks the rows below the header: device headings set the scope of the rows under them
    (until the numbering shows a new section), section headings set the section, instruction
    rows and header fields are passed over, every other row with a sentence is an item.
    """
    sheet = scan.sheet
    header = _find_header(scan, words, catalogue, form)
    cols = _columns(scan, header, words, catalogue, form) if header else None
    if cols is None:
        return None
    known_sections = {norm(name): n for m in catalogue.editions(form) for n, name in m.sections.items()}
    rows: list[PrintedRow] = []
    skipped: list[Problem] = []
    sections: dict[int, str] = {}
    section: int | None = None
    heading: str | None = None
    heading_section: int | None = None  # the section the device heading was printed in
    last_item = -1  # the last row read as an item (or one of its device rows)
    for r in range(max(header) + 1, sheet.nrows):
        cells = scan.row_cells(r)
        if not cells:
            continue
        device = _device_subrow(scan, r, cols, words) if rows and last_item == _prev_row(scan, r, last_item) else ""
        if device:  # an item's device rows under it (サーバ / 端末PC): one row per scope
            prev = rows[-1]
            if prev.scope_source == "" and prev.row == last_item:
                rows[-1] = replace(prev, scope=device, scope_source="column")
            else:
                rows.append(replace(prev, row=r, scope=device, scope_source="column"))
            rows[-1] = replace(rows[-1], row=r)
            last_item = r
            continue
        scope = heading_scope(cells, words)
        if scope is not None:
            heading, heading_section = (None if scope == "all" else scope), None
            continue
        item_raw, wide, ref_raw = _item_cell(scan, r, cols)
        if not item_raw:
            continue
        sec = _section_heading(item_raw, known_sections)
        if sec and (wide or not ref_raw) and not _has_item_ref(item_raw):
            section, heading = sec[0], None
            sections.setdefault(sec[0], sec[1])
            continue
        t = norm(item_raw)
        if _field_label(t, words):
            if rows:
                break  # header fields printed below the table: the table has ended
            continue
        if t.startswith(("※", "*", "注")) or "確認用" in t:
            continue
        body, ref2 = strip_ref_raw(item_raw)
        ref = clean_ref(ref_raw) if ref_raw and ref_key(ref_raw) is not None else ref2
        body, label = split_label_raw(body, words)
        if len(norm(body)) < 6 or not _is_sentence(body) and len(norm(body)) < 12:
            if len(norm(body)) >= 4:
                skipped.append(make("learn.row_not_item", path=path, sheet=sheet.name,
                                    cell=address(r, cols.item[0]), detail=item_raw.strip()[:30]))
            continue
        column_scope = parse_scope(scan.text.get(sheet.merged_origin(r, cols.scope), ""), words) \
            if cols.scope is not None else ""  # a 対象 cell merged down over its items
        if label:
            row_scope, source = label, "label"
        elif column_scope:
            row_scope, source = column_scope, "column"
        elif heading:
            row_scope, source = heading, "heading"
        else:
            row_scope, source = "all", ""
        key = ref_key(ref) if ref else None
        sec_n = key[0] if key and key[0] >= 0 else section  # "2-④" -> 2, "0" -> 0, "(4)" -> heading
        if source == "heading":
            if heading_section is None:
                heading_section = sec_n
            elif sec_n != heading_section:  # a new section (by its numbering) ends the heading
                heading, row_scope, source = None, "all", ""
        rows.append(PrintedRow(sheet.name, r, ref, body, row_scope, source, sec_n))
        last_item = r
    if not rows:
        return None
    variants, how, label = _sheet_variants(scan, sheet, max(header))
    if variant:
        variants, how = (variant,), "option"
    title = _title(scan, min(header))
    if not variants:
        tn = norm(title)
        if "薬局における" in tn and "医療機関・薬局" not in tn:
            variants, how = ("pharmacy",), "title"
    return SheetTable(path=path, sheet=sheet.name, variants=variants, variant_source=how,
                      label=label, title=title, rows=rows, sections=sections,
                      date_column=cols.date_column, rounds=cols.rounds, header_row=min(header),
                      problems=skipped)


def read_tables(sources: Sequence[tuple[str, str | None]], catalogue: Catalogue, form: str,
                passwords: list[str] | None = None) -> tuple[list[SheetTable], list[Problem]]:
    """Every item table in the given workbooks, and problems on sheets and rows skipped."""
    words = Words.of(catalogue)
    tables: list[SheetTable] = []
    problems: list[Problem] = []
    for path, variant in sources:
        book = read_book(path, passwords=passwords)
        if not book.sheets:
            detail = "; ".join(p.message for p in book.problems) or "シートがありません"
            raise LearnError(f"{path} を読めません: {detail}")
        for sheet in book.sheets:
            table = read_table(Scan.of(sheet), words, catalogue, form, str(path), variant)
            if table is None:
                problems.append(make("learn.no_item_table", path=str(path), sheet=sheet.name))
            else:
                tables.append(table)
                problems.extend(table.problems)
    if not tables:
        raise LearnError("項目表が見つかりません（確認事項と 1回目／回答 の列がある見出し行か、既知の"
                         "項目の文言の行が必要です）。チェックリストの白紙様式を指定してください。")
    return tables, problems


# --------------------------------------------------------------------------------------------
# matching printed items to known ids


@dataclass
class Printed:
    """One item as printed on one variant's sheet: rows with the same ref and text merged."""

    variant: str
    ref: str
    text: str
    scopes: list[str]
    section: int | None
    position: int
    rows: list[PrintedRow]
    # decision
    kind: str = ""  # matched | uncertain | new
    item_id: str = ""
    score: float = 0.0
    candidate: str = ""  # the closest known id (also for new items, for the report)
    candidate_score: float = 0.0
    runner_up: str = ""
    runner_up_score: float = 0.0


@dataclass
class Known:
    """Every wording of every known item of a form (all editions, newest first)."""

    entries: list[tuple[str, str, str]]  # (item id, normalised text, edition)
    items: dict[str, Item]  # newest description of each id
    editions: dict[str, str]  # id -> newest edition asking it

    @classmethod
    def of(cls, catalogue: Catalogue, form: str, skip_edition: str = "") -> Known:
        entries: list[tuple[str, str, str]] = []
        items: dict[str, Item] = {}
        editions: dict[str, str] = {}
        maps = sorted(catalogue.editions(form), key=lambda m: m.fiscal_year, reverse=True)
        for m in maps:
            if m.edition == skip_edition:
                continue
            for it in m.items:
                items.setdefault(it.id, it)
                editions.setdefault(it.id, m.edition)
                for t in it.all_texts():
                    entries.append((it.id, norm(t), m.edition))
        return cls(entries, items, editions)

    def scores(self, text: str) -> dict[str, float]:
        """Best similarity of a printed text to each known id (0..100)."""
        t = norm(text)
        out: dict[str, float] = {}
        for item_id, known, _ed in self.entries:
            s = fuzz.ratio(t, known)
            if t and known and (known in t or t in known):
                shorter, longer = sorted((len(known), len(t)))
                if shorter / longer > 0.6:
                    s = max(s, 90.0)  # the same sentence with a note added or cut
            if s > out.get(item_id, -1.0):
                out[item_id] = s
        return out


def _names_variant(sheet_name: str, variant: str) -> bool:
    """The sheet's name speaks of this variant alone (names are weak evidence: a tie-breaker)."""
    n = norm(sheet_name)
    words = {"hospital": ("医療機関", "病院", "hospital"), "pharmacy": ("薬局", "pharmacy"),
             "vendor": ("事業者", "vendor"), "joint": ("joint",)}
    mine = any(w in n for w in words.get(variant, ()))
    others = any(w in n for v, ws in words.items() if v != variant for w in ws)
    return mine and not others


def resolve_sheet_variants(tables: list[SheetTable]) -> list[Problem]:
    """Two sheets claiming one variant: continue each other when their items differ (R5 printed
    its 参考項目 on a second sheet), compete when they repeat the same items (two sheets labelled
    医療機関・薬局確認用, one worded for pharmacies). A sheet whose label or name names the variant
    alone wins; the other keeps its other variants. Returns problems on what was dropped."""
    problems: list[Problem] = []

    def keys(t: SheetTable) -> set[str]:
        return {norm(r.text) for r in t.rows}

    def specific(t: SheetTable, v: str) -> int:
        return 2 if t.variants == (v,) else (1 if _names_variant(t.sheet, v) else 0)

    for v in VARIANTS:
        claiming = [t for t in tables if v in t.variants]
        kept: list[SheetTable] = []
        for t in claiming:
            rival = next((k for k in kept if len(keys(k) & keys(t)) >= 0.5 * min(
                len(keys(k)), len(keys(t)))), None)
            if rival is None:
                kept.append(t)
                continue
            loser = t if specific(t, v) <= specific(rival, v) else rival
            if loser is rival:
                kept[kept.index(rival)] = t
            loser.variants = tuple(x for x in loser.variants if x != v)
            problems.append(make("learn.variant_elsewhere", path=loser.path, sheet=loser.sheet,
                                 detail=v, variant=VARIANT_JA[v]))
    return problems


def _printed_items(tables: list[SheetTable]) -> dict[str, list[Printed]]:
    """Per variant, the printed items in order (sheets of one variant are read in turn)."""
    out: dict[str, list[Printed]] = {}
    for table in tables:
        for v in table.variants:
            seq = out.setdefault(v, [])
            by_key = {(p.ref, norm(p.text)): p for p in seq}
            for row in table.rows:
                key = (row.ref, norm(row.text))
                p = by_key.get(key)
                if p is None:
                    p = Printed(v, row.ref, row.text, [], row.section, len(seq), [])
                    seq.append(p)
                    by_key[key] = p
                if row.scope not in p.scopes:
                    p.scopes.append(row.scope)
                p.rows.append(row)
    return out


def _decide(printed: list[Printed], known: Known) -> None:
    """Match one variant's printed items to known ids: each id at most once, best pairs first."""
    scores = [known.scores(p.text) for p in printed]
    pairs = sorted(((s, i, item_id) for i, sc in enumerate(scores) for item_id, s in sc.items()
                    if s >= NEW_BELOW), key=lambda x: (-x[0], x[1], x[2]))
    taken: set[str] = set()
    for s, i, item_id in pairs:
        p = printed[i]
        if p.item_id or item_id in taken:
            continue
        p.item_id, p.score = item_id, s
        taken.add(item_id)
    for p, sc in zip(printed, scores):
        ranked = sorted(sc.items(), key=lambda x: -x[1])
        if ranked:
            p.candidate, p.candidate_score = ranked[0]
        others = [(i, s) for i, s in ranked if i != (p.item_id or p.candidate)]
        if others:
            p.runner_up, p.runner_up_score = others[0]
        if not p.item_id:
            p.kind = "new"
        elif p.score >= MATCH and (p.score >= 97 or p.score - p.runner_up_score >= AMBIGUOUS):
            p.kind = "matched"
        else:
            p.kind = "uncertain"


# --------------------------------------------------------------------------------------------
# learned items


@dataclass
class LearnedItem:
    """One item of the learned mapping, with how it was decided."""

    id: str
    kind: str  # matched | uncertain | new
    ref: str
    section: int
    variants: list[str]
    scopes: list[str]
    texts: dict[str, str]  # per variant, as printed
    score: float  # similarity to the known item (matched/uncertain), else 0
    candidate: str  # closest known id
    candidate_score: float
    runner_up: str
    runner_up_score: float
    status: str
    extra: dict[str, Any]  # gate, blank_ok_without_vendor, target_fiscal_year carried over
    rows: list[PrintedRow]
    problems: list[Problem] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.texts[self.primary]

    @property
    def primary(self) -> str:
        return next(v for v in VARIANT_ORDER if v in self.texts)


@dataclass
class Change:
    """One difference from the base edition (or one thing a person must decide)."""

    kind: str  # uncertain | added | removed | reworded | moved | ref | scopes | variants
    item_id: str
    detail: str

    def line(self) -> str:
        ja = {"uncertain": "要確認", "added": "追加", "removed": "削除", "reworded": "文言変更",
              "moved": "順序変更", "ref": "番号変更", "scopes": "対象変更", "variants": "様式変更"}
        return f"{ja[self.kind]} / {self.kind}: {self.item_id} — {self.detail}"


def _group(per_variant: dict[str, list[Printed]]) -> list[list[Printed]]:
    """Printed items of all variants -> one group per item of the learned mapping.

    Matched and uncertain items join by id; new items join another variant's new item with the
    same ref and a similar text (the vendor form words an item differently), else by text alone.
    """
    groups: list[list[Printed]] = []
    by_id: dict[str, list[Printed]] = {}
    for v in VARIANT_ORDER:
        for p in per_variant.get(v, []):
            if p.item_id:
                g = by_id.get(p.item_id)
                if g is None:
                    g = by_id[p.item_id] = []
                    groups.append(g)
                g.append(p)
                continue
            best, best_s = None, 0.0
            for g in groups:
                if g[0].item_id or any(q.variant == v for q in g):
                    continue
                s = max(fuzz.ratio(norm(p.text), norm(q.text)) for q in g)
                same_ref = p.ref and any(q.ref == p.ref for q in g)
                if (same_ref and s >= 50 or s >= MATCH) and s > best_s:
                    best, best_s = g, s
            if best is None:
                groups.append([p])
            else:
                best.append(p)
    return groups


def _slug(text: str, section: int, taken: set[str]) -> str:
    """A readable id proposed for a new item: glossary words of its text, else new_<sec>_<n>."""
    found: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    for ja, en in GLOSSARY:
        pos = text.find(ja)
        if pos >= 0 and not any(a <= pos < b for a, b in spans) and en not in (e for _p, e in found):
            found.append((pos, en))
            spans.append((pos, pos + len(ja)))
    for m in _ASCII_WORD.finditer(text):
        w = m.group(0).lower()
        if not any(a <= m.start() < b for a, b in spans) and w not in (e for _p, e in found):
            found.append((m.start(), w))
    words = [e for _p, e in sorted(found)][:3]
    base = "_".join(words) if words else f"new_{section}"
    cand, n = base, 1
    while cand in taken or not words and n == 1:
        n += 1
        cand = f"{base}_{n - 1}" if not words else f"{base}_{n}"
    taken.add(cand)
    return cand


def _variant_differences(g: list[Printed], item_id: str) -> list[Problem]:
    """One printed item whose ref or scopes differ between the variants' sheets."""
    out: list[Problem] = []
    refs = {p.ref for p in g}
    if len(refs) > 1:
        out.append(make("learn.ref_differs", item_id=item_id, item=item_id,
                        detail="、".join(sorted(refs))))
    if any(p.scopes != g[0].scopes for p in g):
        detail = "、".join(f"{VARIANT_JA.get(p.variant, p.variant)}："
                          + "・".join(SCOPE_JA.get(s, s) for s in p.scopes) for p in g)
        out.append(make("learn.scopes_differ", item_id=item_id, item=item_id, detail=detail))
    return out


def _build_items(groups: list[list[Printed]], known: Known, base: FormMapping | None,
                 fiscal_year: int) -> list[LearnedItem]:
    taken = set(known.items) | {p.item_id for g in groups for p in g if p.item_id}
    items: list[LearnedItem] = []
    for g in groups:
        first = g[0]  # variants were visited in VARIANT_ORDER: the primary wording
        texts = {p.variant: p.text for p in g}
        scopes = first.scopes
        section = next((p.section for p in g if p.section is not None), 0)
        kinds = {p.kind for p in g}
        kind = "uncertain" if "uncertain" in kinds else ("new" if "new" in kinds else "matched")
        if first.item_id:
            item_id = first.item_id
            score = min(p.score for p in g)
        else:
            item_id = _slug(first.text, section, taken)
            score = 0.0
        problems = _variant_differences(g, item_id)
        extra: dict[str, Any] = {}
        status = "learned"
        prior = (base.item(item_id) if base and item_id in {i.id for i in base.items}
                 else known.items.get(item_id))
        if prior is not None and kind == "matched":
            extra = {"gate": prior.gate, "blank_ok_without_vendor": prior.blank_ok_without_vendor}
            if prior.target_fiscal_year and prior.target_fiscal_year >= fiscal_year:
                extra["target_fiscal_year"] = prior.target_fiscal_year
            if all(norm(prior.text_for(v)) == norm(t) for v, t in texts.items()):
                status = prior.status
        best = max(g, key=lambda p: p.candidate_score)
        items.append(LearnedItem(
            id=item_id, kind=kind, ref=first.ref, section=section,
            variants=[v for v in VARIANTS if v in texts], scopes=list(scopes), texts=texts,
            score=score, candidate=best.candidate, candidate_score=best.candidate_score,
            runner_up=first.runner_up, runner_up_score=first.runner_up_score, status=status,
            extra=extra, rows=[r for p in g for r in p.rows], problems=problems))
    keys = [ref_key(it.ref) for it in items]
    if all(keys) and len(set(keys)) == len(keys):
        items.sort(key=lambda it: ref_key(it.ref) or (0, 0))  # the official numbering order
    return items


def _printed_order(m: FormMapping, variant: str, scope_style: str) -> list[str]:
    """The order a sheet of this mapping prints its items in a given layout (device headings
    group the rows of each section by device)."""
    items = m.items_for(variant)
    if scope_style != "headings":
        return [it.id for it in items]
    keyed = sorted(enumerate(items), key=lambda x: (x[1].section, min(
        SCOPE_RANK.get(s.split("+")[0], 0) for s in x[1].scopes), x[0]))
    return [it.id for _n, it in keyed]


def _moved(learned_order: list[str], base_order: list[str]) -> list[str]:
    """Ids printed out of the base's order: those outside the longest common run in order."""
    pos = {i: n for n, i in enumerate(base_order)}
    seq = [i for i in learned_order if i in pos]
    best: list[list[str]] = []  # patience-free O(n^2) LIS: forms have < 40 items
    for n, i in enumerate(seq):
        cands = [best[k] for k in range(n) if pos[seq[k]] < pos[i]]
        best.append(max(cands, key=len, default=[]) + [i])
    keep = set(max(best, key=len, default=[]))
    return [i for i in seq if i not in keep]


def text_diff(a: str, b: str, context: int = 6) -> str:
    """The changed parts of a wording, with a little context: 「…の接続を→利用を制限…」."""
    import difflib

    parts = []
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        left = a[max(0, i1 - context):i1]
        right = a[i2:i2 + context]
        parts.append(f"…{left}[{a[i1:i2]}→{b[j1:j2]}]{right}…")
    return " ".join(parts[:3]) + (" …" if len(parts) > 3 else "")


def _changes(items: list[LearnedItem], per_variant: dict[str, list[Printed]], known: Known,
             base: FormMapping | None, scope_style: str) -> tuple[list[Change], list[Item]]:
    changes: list[Change] = []
    base_ids = {it.id: it for it in base.items} if base else {}
    for it in items:
        where = f"{it.ref} {it.text[:40]}"
        if it.kind == "uncertain":
            cand = known.items.get(it.id)
            changes.append(Change("uncertain", it.id, (
                f"{where} ≈ {it.id}「{cand.text[:40] if cand else ''}」 {it.score:.0f}%"
                + (f"; 次点 / runner-up {it.runner_up} {it.runner_up_score:.0f}%" if it.runner_up else "")
                + " — 同じ設問なら --accept-uncertain、違えば id を書き換え / same question: "
                  "--accept-uncertain; else rename the id")))
        if it.kind == "new":
            hint = (f"; 最も近い既知項目 / closest known {it.candidate} {it.candidate_score:.0f}%"
                    if it.candidate else "")
            changes.append(Change("added", it.id, f"{where} (新規・id は提案 / new, proposed id){hint}"))
            continue
        prior = base_ids.get(it.id)
        if prior is None:
            ed = known.editions.get(it.id, "?")
            changes.append(Change("added", it.id, f"{where} ({ed} の項目が復活 / known from {ed})"))
            continue
        rewordings: dict[tuple[str, str], list[str]] = {}
        for v in it.variants:
            if v in prior.variants and norm(prior.text_for(v)) != norm(it.texts[v]):
                rewordings.setdefault((prior.text_for(v), it.texts[v]), []).append(v)
        for (old, new), vs in rewordings.items():
            sim = fuzz.ratio(norm(old), norm(new))
            what = f"「{old}」→「{new}」" if len(old) + len(new) <= 90 else text_diff(old, new)
            changes.append(Change("reworded", it.id, f"[{', '.join(vs)}] {sim:.0f}% {what}"))
        if clean_ref(prior.ref) != it.ref:
            changes.append(Change("ref", it.id, f"{prior.ref} → {it.ref}"))
        if list(prior.scopes) != it.scopes:
            changes.append(Change("scopes", it.id, f"{list(prior.scopes)} → {it.scopes}"))
        if set(prior.variants) != set(it.variants):
            changes.append(Change("variants", it.id, f"{list(prior.variants)} → {it.variants}"))
    removed: list[Item] = []
    if base:
        learned_ids = {it.id for it in items}
        removed = [it for it in base.items if it.id not in learned_ids]
        for it in removed:
            changes.append(Change("removed", it.id, f"{it.ref} {it.text[:40]} (この様式に見当たらない "
                                                   f"/ not printed in this workbook)"))
        moved: set[str] = set()
        for v, seq in per_variant.items():
            if v not in base.variants:
                continue
            order = list(dict.fromkeys(p.item_id for p in seq if p.item_id))
            for item_id in _moved(order, _printed_order(base, v, scope_style)):
                if item_id not in moved:
                    moved.add(item_id)
                    changes.append(Change("moved", item_id, f"[{v}] 印刷順が {base.edition} と異なる "
                                                           f"/ printed out of {base.edition}'s order"))
    return changes, removed


# --------------------------------------------------------------------------------------------
# the mapping file


def _scalar(v: Any) -> str:
    out = yaml.safe_dump(v, allow_unicode=True, default_flow_style=True, width=10**6).strip()
    return out[:-4].rstrip() if out.endswith("\n...") else out.removesuffix("...").rstrip()


def _flow(values: Iterable[Any]) -> str:
    return yaml.safe_dump(list(values), allow_unicode=True, default_flow_style=True,
                          width=10**6).strip()


@dataclass
class Header:
    """The top part of a learned mapping: edition, recognition, layout, variants, sections."""

    form: str
    edition: str
    fiscal_year: int
    era: str
    markers: list[str]
    numbering: str
    scope_style: str
    rounds: int
    date_column: bool
    variants: dict[str, tuple[list[str], str]]  # name -> (labels, title)
    sections: dict[int, str]
    sources: list[str]


def render_mapping(h: Header, items: list[LearnedItem], removed: list[Item],
                   base: FormMapping | None, accept_uncertain: bool) -> str:
    """The mapping file, in the bundled files' format, with the learning decisions as comments."""
    title = next((t for _l, t in h.variants.values() if t), "")
    counts = {k: sum(1 for it in items if it.kind == k) for k in ("matched", "uncertain", "new")}
    lines = [
        f"# {title} ({h.edition}, FY{h.fiscal_year})",
        f"# Learned by `xltools learn` from {', '.join(h.sources)}.",
        f"# {len(items)} items: {counts['matched']} matched to known ids, {counts['new']} new "
        f"(proposed ids), {counts['uncertain']} uncertain"
        + (" (accepted)" if counts["uncertain"] and accept_uncertain else "")
        + (f"; compared with {base.edition}: {len(removed)} removed." if base else "."),
        "# Review items with `status: learned` and the comments; rename proposed ids freely.",
        "# Edit freely: items are found by their text, never by cell address.",
        f"form: {_scalar(h.form)}",
        f"edition: {_scalar(h.edition)}",
        f"fiscal_year: {h.fiscal_year}",
        f"era: {_scalar(h.era)}",
        "recognition:",
        f"  markers: {_flow(h.markers)}",
        f"  numbering: {_scalar(h.numbering)}",
        f"  note: {_scalar('learned from ' + ', '.join(h.sources))}",
        "layout:",
        f"  scope_style: {_scalar(h.scope_style)}",
        f"  rounds: {h.rounds}",
        f"  date_column: {'true' if h.date_column else 'false'}",
        "variants:",
    ]
    for name in VARIANTS:
        if name in h.variants:
            labels, vtitle = h.variants[name]
            lines += [f"  {name}:", f"    labels: {_flow(labels)}", f"    title: {_scalar(vtitle)}"]
    lines.append("sections:")
    for n in sorted(h.sections):
        lines.append(f"  {n}: {_scalar(h.sections[n])}")
    lines.append("items:")
    for it in items:
        lines += _item_lines(it, base, accept_uncertain)
    if removed:
        lines.append(f"# Removed since {base.edition if base else '?'} (not printed in this workbook):")
        for it in removed:
            lines.append(f"# - {it.id} {it.ref} {it.text}")
    return "\n".join(lines) + "\n"


def _item_lines(it: LearnedItem, base: FormMapping | None, accept: bool) -> list[str]:
    out: list[str] = []
    if it.kind == "new":
        hint = (f"; closest known: {it.candidate} {it.candidate_score:.0f}%" if it.candidate else "")
        out.append(f"# NEW: not like any known item; id proposed from the text{hint}")
        head = f"- id: {_scalar(it.id)}"
    elif it.kind == "uncertain":
        out.append(f"# UNCERTAIN{' (accepted)' if accept else ''}: {it.score:.0f}% like known "
                   f"{it.id}" + (f", {it.runner_up_score:.0f}% like {it.runner_up}" if it.runner_up else "")
                   + "; keep the id if it is the same question, else rename it")
        head = f"- id: {_scalar(it.id)}  # {it.score:.0f}% uncertain"
    else:
        head = f"- id: {_scalar(it.id)}  # {it.score:.0f}% match"
    for p in it.problems:
        out.append(f"# note: {p.message}")
    out += [head, f"  ref: {_scalar(it.ref)}", f"  section: {it.section}",
            f"  variants: {_flow(it.variants)}", f"  scopes: {_flow(it.scopes)}",
            f"  text: {_scalar(it.text)}"]
    others = {v: t for v, t in it.texts.items() if v != it.primary and t != it.text}
    if others:
        out.append("  texts:")
        out += [f"    {v}: {_scalar(t)}" for v, t in others.items()]
    out.append(f"  status: {_scalar(it.status)}")
    for key in ("target_fiscal_year", "gate", "blank_ok_without_vendor"):
        v = it.extra.get(key)
        if v:
            out.append(f"  {key}: {_scalar(v)}")
    return out


# --------------------------------------------------------------------------------------------
# learn


@dataclass
class Learned:
    """The result of learning: the mapping text, its parsed form, and what to review."""

    text: str
    mapping: FormMapping
    items: list[LearnedItem]
    changes: list[Change]
    removed: list[Item]
    base: str  # edition compared with ("" when none)
    tables: list[SheetTable]
    problems: list[Problem]
    accept_uncertain: bool = False

    @property
    def uncertain(self) -> list[LearnedItem]:
        return [it for it in self.items if it.kind == "uncertain"]

    @property
    def ok(self) -> bool:
        """True when nothing waits for a person's decision."""
        return not self.uncertain or self.accept_uncertain

    def write(self, path: str | os.PathLike[str]) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.text, encoding="utf-8")
        return p

    def report_lines(self) -> list[str]:
        """The review report, Japanese then English on each line."""
        m = self.mapping
        out = [f"{m.form} {m.edition} (FY{m.fiscal_year}): 項目 {len(self.items)} / items"
               + (f"; 比較対象 / compared with {self.base}" if self.base else "")]
        for t in self.tables:
            vs = "・".join(VARIANT_JA.get(v, v) for v in t.variants) or "様式不明 / variant unknown"
            out.append(f"  {Path(t.path).name}!{t.sheet}: {vs} ({t.variant_source}), "
                       f"{len(t.rows)} 行 / rows")
        out += [f"  {p.message}" for p in self.problems]
        counts = {k: sum(1 for it in self.items if it.kind == k) for k in ("matched", "uncertain", "new")}
        out.append(f"一致 {counts['matched']}・新規 {counts['new']}・要確認 {counts['uncertain']} / "
                   f"matched {counts['matched']}, new {counts['new']}, uncertain {counts['uncertain']}")
        order = ("uncertain", "added", "removed", "reworded", "ref", "scopes", "variants", "moved")
        for kind in order:
            out += ["  " + c.line() for c in self.changes if c.kind == kind]
        for it in self.items:
            out += [f"  注 / note {it.id}: {p.message}" for p in it.problems]
        if self.uncertain and not self.accept_uncertain:
            out.append("要確認の項目があります。確認して --accept-uncertain で受け入れるか、id を直してください。"
                       " / Uncertain items: review them, then rerun with --accept-uncertain or fix the ids.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "form": self.mapping.form, "edition": self.mapping.edition,
            "fiscal_year": self.mapping.fiscal_year, "base": self.base, "ok": self.ok,
            "items": [{"id": it.id, "kind": it.kind, "ref": it.ref, "variants": it.variants,
                       "scopes": it.scopes, "score": round(it.score, 1),
                       "candidate": it.candidate, "text": it.text} for it in self.items],
            "changes": [{"kind": c.kind, "item_id": c.item_id, "detail": c.detail}
                        for c in self.changes],
            "sheets": [{"path": t.path, "sheet": t.sheet, "variants": list(t.variants),
                        "variant_source": t.variant_source, "rows": len(t.rows)} for t in self.tables],
            "problems": [p.row() for p in self.all_problems],
        }

    @property
    def all_problems(self) -> list[Problem]:
        """The sheets' and files' problems, then each item's."""
        return self.problems + [p for it in self.items for p in it.problems]


def _sources(sources: Iterable[Any], variant: str | None) -> list[tuple[str, str | None]]:
    out = []
    for s in sources:
        if isinstance(s, tuple):
            out.append((str(s[0]), s[1] or variant))
        else:
            out.append((str(s), variant))
    return out


def fiscal_year_of_edition(edition: str) -> int | None:
    """``R9`` -> 2027 (令和 n = FY 2018 + n); None when the edition is not written Rn."""
    m = re.fullmatch(r"[Rr]([0-9]{1,2})", edition.strip())
    return 2018 + int(m.group(1)) if m else None


def _edition_from_titles(tables: list[SheetTable]) -> str:
    for t in tables:
        m = _ERA.search(t.title)
        if m:
            return f"R{int(m.group(1).translate(_DIGITS))}"
    return ""


def _pick_base(catalogue: Catalogue, form: str, edition: str, fiscal_year: int,
               base: str | None) -> FormMapping | None:
    if base:
        known = [m.edition for m in catalogue.editions(form)]
        if base not in known:
            raise OptionNeeded(f"--base {base}: {form} にその版はありません（既知の版: {', '.join(known)}）。")
        return catalogue.get(form, base)
    maps = catalogue.editions(form)
    same = [m for m in maps if m.edition == edition]
    if same:
        return same[0]
    older = [m for m in maps if m.fiscal_year < fiscal_year]
    pool = older or maps
    return max(pool, key=lambda m: m.fiscal_year) if pool else None


def learn(sources: Iterable[Any], *, form: str = "checklist", edition: str = "",
          fiscal_year: int | None = None, variant: str | None = None, base: str | None = None,
          mappings: str | os.PathLike[str] | None = None, accept_uncertain: bool = False,
          catalogue: Catalogue | None = None, passwords: list[str] | None = None) -> Learned:
    """Learn one form edition from blank (or filled) workbooks.

    ``sources``: workbook paths, or ``(path, variant)`` pairs when a workbook's sheets do not
    print their variant label. ``variant`` applies to every sheet that is not given one.
    ``edition``: ``R9`` (fiscal year 2018+9) or any name with ``fiscal_year``; when empty it is
    read from a ``令和N年度版`` title. ``base``: the edition to compare with (default: the same
    edition if known, else the newest older one). Raises :class:`LearnError` when nothing can
    be learned; uncertain items do not raise: see :attr:`Learned.ok`.
    """
    if variant is not None and variant not in VARIANTS:
        raise OptionNeeded(f"様式「{variant}」は使えません。{', '.join(VARIANTS)} のどれかを指定してください。")
    catalogue = catalogue or load_catalogue(mappings)
    srcs = _sources(sources, variant)
    if not srcs:
        raise LearnError("ブックが指定されていません。公式の白紙様式を指定してください。")
    tables, problems = read_tables(srcs, catalogue, form, passwords)
    edition = edition or _edition_from_titles(tables)
    if not edition:
        raise OptionNeeded("版が分かりません（表題に「令和N年度版」がありません）。--edition で指定してください（例: --edition R9）。")
    fy = fiscal_year or fiscal_year_of_edition(edition)
    if fy is None:
        raise OptionNeeded(f"版「{edition}」は Rn の形ではありません。--fiscal-year も指定してください。")
    for t in tables:
        m = _ERA.search(t.title)
        if m and f"R{int(m.group(1).translate(_DIGITS))}" != edition:
            problems.append(make("learn.title_edition_differs", path=t.path, sheet=t.sheet,
                                 detail=m.group(0), title=m.group(0), edition=edition))
        if not t.variants:
            raise OptionNeeded(f"{Path(t.path).name}!{t.sheet}: シートに「確認用」の表示がありません。"
                               "--variant（hospital, pharmacy, vendor）でどの様式か指定してください。")
    base_map = _pick_base(catalogue, form, edition, fy, base)
    known = Known.of(catalogue, form)
    problems += resolve_sheet_variants(tables)
    per_variant = _printed_items(tables)
    for seq in per_variant.values():
        _decide(seq, known)
    items = _build_items(_group(per_variant), known, base_map, fy)
    header = _header(tables, items, base_map, form, edition, fy, [Path(p).name for p, _v in srcs])
    changes, removed = _changes(items, per_variant, known, base_map, header.scope_style)
    text = render_mapping(header, items, removed, base_map, accept_uncertain)
    mapping = parse_mapping(text, f"learned:{form}/{edition}")
    return Learned(text=text, mapping=mapping, items=items, changes=changes, removed=removed,
                   base=base_map.edition if base_map else "", tables=tables,
                   problems=problems, accept_uncertain=accept_uncertain)


def _header(tables: list[SheetTable], items: list[LearnedItem], base: FormMapping | None,
            form: str, edition: str, fy: int, sources: list[str]) -> Header:
    n = fy - 2018
    era = f"令和{n}年度" if n > 0 else (base.era if base else "")
    markers = [f"{era}版", era] if era else []
    numbering = numbering_of(it.ref for it in items) or (base.numbering if base else "")
    sources_seen = {s for t in tables for s in t.scope_sources}
    if "heading" in sources_seen:
        scope_style = "headings"
    elif "label" in sources_seen:
        scope_style = "label"
    elif "column" in sources_seen:
        scope_style = "column"
    else:
        scope_style = base.scope_style if base else "label"
    variants: dict[str, tuple[list[str], str]] = {}
    present = {v for it in items for v in it.variants}
    for v in VARIANTS:
        if v not in present:
            continue
        printed = [t for t in tables if v in t.variants]
        labels = list(dict.fromkeys(t.label for t in printed if t.label))
        fallback = base.variants[v] if base and v in base.variants else None
        if not labels and fallback:
            labels = list(fallback.labels)
        labels = list(dict.fromkeys([*labels, *DEFAULT_LABELS.get(v, ())]))
        title = next((t.title for t in printed if t.title), fallback.title if fallback else "")
        variants[v] = (labels, title)
    sections: dict[int, str] = {}
    for t in tables:
        for k, name in t.sections.items():
            sections.setdefault(k, name)
    for it in items:
        if it.section not in sections:
            sections[it.section] = base.sections.get(it.section, "") if base else ""
    return Header(form=form, edition=edition, fiscal_year=fy, era=era, markers=markers,
                  numbering=numbering, scope_style=scope_style,
                  rounds=max(t.rounds for t in tables),
                  date_column=any(t.date_column for t in tables), variants=variants,
                  sections=dict(sorted(sections.items())), sources=sources)


# --------------------------------------------------------------------------------------------
# check a mapping against a blank workbook


@dataclass
class VariantCheck:
    """How one variant's sheet reads with the mapping."""

    path: str
    sheet: str
    variant: str
    expected: int
    found: int
    missing: list[tuple[str, str]]  # (item id, scope)
    duplicates: list[tuple[str, str]]  # (item id, cell)
    unclear: list[tuple[str, str]]  # (item id, cell): scope not decidable
    extra: list[tuple[str, str]]  # (cell, text): item rows the mapping does not ask
    recognised: str  # edition/variant the reader picks with this mapping installed
    recognition_ok: bool

    @property
    def complete(self) -> bool:
        return not (self.missing or self.duplicates or self.unclear or self.extra) and self.recognition_ok

    def lines(self) -> list[str]:
        head = f"{Path(self.path).name}!{self.sheet} [{VARIANT_JA.get(self.variant, self.variant)} / {self.variant}]: "
        if self.complete:
            return [head + f"完全 / complete — {self.found}/{self.expected} 行 / rows"]
        out = [head + f"不完全 / incomplete — {self.found}/{self.expected} 行 / rows"]
        out += [f"  不足 / missing: {i} ({s})" for i, s in self.missing]
        out += [f"  重複 / duplicate: {i} at {c}" for i, c in self.duplicates]
        out += [f"  対象不明 / scope unclear: {i} at {c}" for i, c in self.unclear]
        out += [f"  余分 / extra row: {c} {t[:50]}" for c, t in self.extra]
        if not self.recognition_ok:
            out.append(f"  判定 / recognised as: {self.recognised}")
        return out


@dataclass
class CheckReport:
    mapping: FormMapping
    checks: list[VariantCheck]
    problems: list[Problem]

    @property
    def complete(self) -> bool:
        return bool(self.checks) and all(c.complete for c in self.checks)

    def report_lines(self) -> list[str]:
        m = self.mapping
        out = [f"{m.form} {m.edition} ({m.source})"]
        for c in self.checks:
            out += c.lines()
        out += [p.message for p in self.problems]
        missing = sorted(set(m.variants) - {c.variant for c in self.checks})
        if missing:
            out.append("未確認の様式 / variants not in the workbook: " + ", ".join(missing))
        out.append("完全 / complete" if self.complete else "不完全 / incomplete")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"form": self.mapping.form, "edition": self.mapping.edition,
                "complete": self.complete,
                "checks": [{"path": c.path, "sheet": c.sheet, "variant": c.variant,
                            "expected": c.expected, "found": c.found, "missing": c.missing,
                            "duplicates": c.duplicates, "unclear": c.unclear, "extra": c.extra,
                            "recognised": c.recognised, "complete": c.complete}
                           for c in self.checks],
                "problems": [p.row() for p in self.problems]}


def with_mapping(catalogue: Catalogue, mapping: FormMapping) -> Catalogue:
    """The catalogue with one mapping added (or replacing the same form and edition)."""
    forms = tuple(m for m in catalogue.forms if m.key != mapping.key) + (mapping,)
    version = hashlib.sha256((catalogue.version + mapping.digest).encode()).hexdigest()[:16]
    return Catalogue(forms, catalogue.vocabulary, version)


def load_mapping_file(path: str | os.PathLike[str]) -> FormMapping:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LearnError(f"マッピング {p} を読めません（{exc.strerror or exc}）。パスを確認してください。") from exc
    return parse_mapping(text, str(p))


def check(mapping: FormMapping | str | os.PathLike[str], sources: Iterable[Any], *,
          variant: str | None = None, mappings: str | os.PathLike[str] | None = None,
          catalogue: Catalogue | None = None, passwords: list[str] | None = None) -> CheckReport:
    """Read blank workbooks with ``mapping`` as the reader would; report per variant whether
    every expected (item, scope) row is found exactly once, nothing is left over, and the reader
    recognises the sheet as this edition when the mapping is installed."""
    from xltools.forms.checklist import locate, resolve_scopes

    m = mapping if isinstance(mapping, FormMapping) else load_mapping_file(mapping)
    cat = with_mapping(catalogue or load_catalogue(mappings), m)
    words = Words.of(cat)
    texts = {}
    for it in m.items:
        for t in it.all_texts():
            texts.setdefault(norm(t), it.id)
    index = ItemIndex(tuple(texts), tuple(texts.values()))
    checks: list[VariantCheck] = []
    problems: list[Problem] = []
    for path, var in _sources(sources, variant):
        book = read_book(path, passwords=passwords)
        if not book.sheets:
            raise LearnError(f"{path} を読めません: " + "; ".join(p.message for p in book.problems))
        for sheet in book.sheets:
            scan = Scan.of(sheet)
            table = read_table(scan, words, cat, m.form, str(path), var)
            if table is None:
                problems.append(make("learn.no_item_table", path=str(path), sheet=sheet.name))
                continue
            hits, _unsure = find_item_rows(scan, index, words)
            if not hits:
                problems.append(make("learn.no_mapping_items", path=str(path), sheet=sheet.name))
                continue
            cols = locate_columns(scan, hits, words)
            hits = split_scope_rows(scan, hits, cols, words)
            assign_scope_hints(scan, hits, cols, words, m.sections)
            located = locate(scan, cat)
            variants = [v for v in table.variants if v in m.variants] or [next(iter(m.variants))]
            if not table.variants:
                problems.append(make("learn.no_variant_label", path=str(path), sheet=sheet.name,
                                     detail=VARIANT_JA.get(variants[0], variants[0])))
            hit_rows = {h.row for h in hits}
            for v in variants:
                rows, dups, unclear, foreign = resolve_scopes(
                    [_copy_hit(h) for h in hits], m, v)
                got = {(h.item_id, h.scope) for h in rows}
                expected = m.expected_rows(v)
                extra = [(address(h.row, h.col), h.raw_text) for h in foreign]
                extra += [(f"{r.row + 1}行", r.text) for r in table.rows if r.row not in hit_rows]
                rec = f"{located.mapping.edition}/{located.variant}" if located else "—"
                ok = located is not None and located.mapping.key == m.key
                checks.append(VariantCheck(
                    path=str(path), sheet=sheet.name, variant=v, expected=len(expected),
                    found=len(got & set(expected)),
                    missing=[x for x in expected if x not in got],
                    duplicates=[(h.item_id, address(h.row, h.col)) for h in dups],
                    unclear=[(h.item_id, address(h.row, h.col)) for h in unclear],
                    extra=extra, recognised=rec, recognition_ok=ok))
    return CheckReport(m, checks, problems)


def _copy_hit(h: Any) -> Any:
    return replace(h)  # resolve_scopes sets .scope: each variant resolves its own copies


# --------------------------------------------------------------------------------------------
# where each mapping comes from


def describe_forms(catalogue: Catalogue) -> list[dict[str, Any]]:
    """One row per known form edition: variants, item count, and the file it was loaded from
    (bundled with xltools, or from the user's mappings folder, which overrides bundled ones)."""
    rows = []
    for m in sorted(catalogue.forms, key=lambda m: (m.form, m.fiscal_year, m.edition)):
        src = Path(m.source)
        try:
            src.resolve().relative_to(BUNDLED_DIR.resolve())
            origin = "bundled"
        except (ValueError, OSError):
            origin = "user"
        rows.append({"form": m.form, "edition": m.edition, "fiscal_year": m.fiscal_year,
                     "variants": ",".join(m.variants), "items": len(m.items), "origin": origin,
                     "source": m.source,
                     "learned": sum(1 for it in m.items if it.status == "learned")})
    return rows


__all__ = ["learn", "check", "describe_forms", "Learned", "LearnedItem", "Change", "CheckReport",
           "VariantCheck", "LearnError", "OptionNeeded", "read_tables", "with_mapping", "fiscal_year_of_edition"]
