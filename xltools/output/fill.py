"""Fill the official checklist form for many facilities at once (vendors answering in bulk).

A vendor answers the 事業者確認用 form for every client facility, mostly with the same answers.
``fill`` takes the blank official workbook (any edition the mappings know, recognised with the
same locator the reader uses, so a template with moved columns or inserted rows still works)
and an answers workbook (default answers + one row per facility + the few answers that differ),
and writes one filled copy per facility plus a summary ``提出用一覧.xlsx``.

Three promises:

- **Nothing in the template is lost.** Cells are written by patching worksheet XML
  (:mod:`xltools.xlsx_patch`); every other part stays byte-identical.
- **Answers are written the way the template asks**, so ``xltools.api.read`` returns exactly
  what was given: a dropdown cell gets its list value, a printed ``はい・いいえ`` cell gets the
  chosen word (or keeps the words with an ellipse drawn over one, ``mark="circle"``), dates
  become real date cells in the template's number format.
- **Nothing is half-written.** Every problem of the answers is collected first and reported
  together (:class:`AnswersError`, exit code 2); a template that cannot be filled is
  :class:`TemplateError` (exit code 3). Files are rendered into a temporary folder and moved
  into place only when all of them were written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltools.decode import Vocabulary, parse_date
from xltools.errors import XltoolsError, output_error
from xltools.forms.catalogue import Catalogue, FormMapping, Item, load_catalogue
from xltools.forms.locate import Located, Scan, Words
from xltools.labels import VARIANT_JA, scope_ja
from xltools.output.atomic import ensure_folder, move_into
from xltools.output.own import mark
from xltools.problems import Problem, make
from xltools.text import _BRACKETS, cell_text, norm
from xltools.xlsx.book import Sheet, read_book
from xltools.xlsx.patch import Patcher, PatchError, address

Key = tuple[str, str]  # (item_id, scope)
Cell = tuple[int, int]

YES, NO = "yes", "no"
WORD = {YES: "はい", NO: "いいえ"}
MARKS = ("word", "circle")
SUMMARY_NAME = "提出用一覧.xlsx"
DEFAULT_PATTERN = "{facility}_{system}_{label}.xlsx"
PATTERN_FIELDS = ("facility", "system", "code", "vendor", "respondent", "label", "row")
FORMS = ("checklist", "contract")

# Sheet names and headers of the answers workbook (``--example``). Headers are matched after
# norm() by prefix, so "回答（はい/いいえ）" and "回答" both work.
DEFAULTS_SHEET, FACILITIES_SHEET, HELP_SHEET = "既定回答", "施設一覧", "記入方法"
H_ID, H_REF, H_SCOPE, H_TEXT = "ID（変更しないでください）", "項番", "対象", "確認事項"
H_ANSWER, H_CHECKED, H_TARGET = "回答（はい/いいえ）", "確認日", "目標日"
FACILITY_HEADERS = {  # field -> header printed by --example
    "facility_name": "医療機関名", "facility_code": "医療機関コード", "system_name": "システム名",
    "vendor_name": "事業者名", "respondent": "回答者", "checked_on": "確認日",
}


# --------------------------------------------------------------------------------------------
# problems and errors


def _problem(code: str, where: str, detail: str) -> Problem:
    """One problem of the answers or the template: the catalogue's code and title, where it
    is ("施設一覧 5行目", "既定回答 E7", "テンプレート") and the reason found there."""
    return make(code, where=where, detail=detail)


class FillError(XltoolsError, ValueError):
    """Base: something keeps ``fill`` from running; ``problems`` lists every reason at once."""

    exit_code = 2
    headline = ""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        Exception.__init__(self, self.message)  # ``message`` is built from the problems

    @property
    def message(self) -> str:
        lines = "\n".join(f"  - {p.line()}" for p in self.problems)
        return f"{self.headline}（{len(self.problems)} 件）\n{lines}"


class AnswersError(FillError):
    """The answers (or the name pattern) have problems: nothing was written. Exit code 2."""

    exit_code = 2
    headline = "回答ファイルに問題があるため、ファイルを1つも書き出していません"


class TemplateError(FillError):
    """The template cannot be filled (not a known form, rows missing, not xlsx). Exit code 3."""

    exit_code = 3
    headline = "テンプレートに記入できないため、ファイルを1つも書き出していません"


# --------------------------------------------------------------------------------------------
# answers


@dataclass(frozen=True)
class Answer:
    """What to write for one (item, scope), round 1. ``answer`` "" leaves the cell as printed."""

    answer: str = ""
    checked_on: dt.date | None = None
    target_on: dt.date | None = None


@dataclass
class Override:
    """A facility's own answer for one (item, scope); None = take the default."""

    answer: str | None = None
    checked_on: dt.date | None = None
    target_on: dt.date | None = None


@dataclass
class Facility:
    """One row of the facility list, resolved against the form."""

    line: int  # row number as the user sees it
    where: str  # "施設一覧 5行目"
    facility_name: str = ""
    facility_code: str = ""
    system_name: str = ""
    vendor_name: str = ""
    respondent: str = ""
    checked_on: dt.date | None = None
    overrides: dict[Key, Override] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        return {"facility_name": self.facility_name, "facility_code": self.facility_code,
                "system_name": self.system_name, "vendor_name": self.vendor_name,
                "respondent": self.respondent}


@dataclass
class Answers:
    """Default answers and the facility list, resolved against one form edition and variant."""

    mapping: FormMapping
    variant: str
    defaults: dict[Key, Answer]
    facilities: list[Facility]
    source: str = ""

    def final(self, facility: Facility) -> dict[Key, Answer]:
        """Every answer to write for one facility: its overrides over the defaults.

        The check date is the override's, else the facility's 確認日, else the default's. A
        目標日 is written only for いいえ: the defaults sheet may give one for an item most
        facilities answer はい, to be used by those that answer いいえ.
        """
        out: dict[Key, Answer] = {}
        for key in self.mapping.expected_rows(self.variant):
            d = self.defaults.get(key, Answer())
            o = facility.overrides.get(key, Override())
            answer = o.answer if o.answer is not None else d.answer
            if not answer:
                continue
            checked = o.checked_on or facility.checked_on or d.checked_on
            target = (o.target_on or d.target_on) if answer == NO else None
            out[key] = Answer(answer, checked, target)
        return out


@dataclass
class Table:
    """A header row and its data rows, from a sheet or a CSV file."""

    name: str  # sheet name or file name, for messages
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (1-based row number, values)
    header_line: int = 1


def _csv_text(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "cp932"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8/cp932", data, 0, 1, "UTF-8 でも CP932 (Shift_JIS) でもありません")


def _find_header(rows: list[list[Any]], max_scan: int = 10) -> int | None:
    """Index of the header row: the first row naming a facility or an answer column."""
    for i, row in enumerate(rows[:max_scan]):
        names = {_hnorm(v) for v in row if v not in (None, "")}
        if names & _FACILITY_WORDS or any(_header_kind(n) in ("answer", "id", "ref") for n in names):
            return i
    return None


def read_tables(paths: Sequence[str | os.PathLike[str]], passwords: list[str] | None = None
                ) -> tuple[list[Table], list[Problem]]:
    """Tables from the answers files: every sheet of an xlsx, or one table per CSV file."""
    tables: list[Table] = []
    problems: list[Problem] = []
    for p in map(Path, paths):
        if p.suffix.lower() in (".csv", ".txt"):
            try:
                text = _csv_text(p)
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(_problem("fill.answers_unreadable", p.name,
                                            f"CSV を読めません（{exc}）。UTF-8 か Shift_JIS で保存してください。"))
                continue
            rows = [list(r) for r in csv.reader(io.StringIO(text))]
            sheets = [(p.name, rows)]
        else:
            book = read_book(p, passwords=passwords)
            if not book.sheets:
                detail = "；".join(pr.message for pr in book.problems) or "シートがありません"
                problems.append(_problem("fill.answers_unreadable", p.name, detail))
                continue
            sheets = [(s.name, s.rows) for s in book.sheets]
        for name, rows in sheets:
            h = _find_header(rows)
            if h is None:
                continue
            headers = [cell_text(v).strip() for v in rows[h]]
            body = [(h + 2 + i, list(r)) for i, r in enumerate(rows[h + 1:])
                    if any(v not in (None, "") and str(v).strip() for v in r)]
            tables.append(Table(name, headers, body, h + 1))
    return tables, problems


def _hnorm(v: Any) -> str:
    return norm(cell_text(v))


def _header_kind(h: str) -> str:
    """Kind of a defaults-sheet header (normalised): id, ref, scope, text, answer, checked, target."""
    if h.startswith("id"):
        return "id"
    for kind, words in (("ref", ("項番", "番号", "ref")), ("scope", ("対象",)),
                        ("text", ("確認事項", "項目")), ("checked", ("確認日",)),
                        ("target", ("目標日", "完了日")), ("answer", ("回答", "1回目", "初回確認", "answer"))):
        if any(h.startswith(w) for w in words) and not h.startswith("回答者"):
            return kind
    return ""


_FACILITY_WORDS = {norm(w) for w in ("医療機関名", "施設名", "医療機関・薬局名", "薬局名", "病院名",
                                     "医療機関名称", "facility_name")}
_FIELD_WORDS = {
    "facility_name": _FACILITY_WORDS,
    "facility_code": {norm(w) for w in ("医療機関コード", "施設コード", "薬局コード", "facility_code")},
    "system_name": {norm(w) for w in ("システム名", "システム名称", "対象システム", "system_name")},
    "vendor_name": {norm(w) for w in ("事業者名", "会社名", "vendor_name")},
    "respondent": {norm(w) for w in ("回答者", "回答者名", "記入者", "担当者", "respondent")},
    "checked_on": {norm(w) for w in ("確認日", "確認年月日", "初回確認日", "初回確認", "checked_on")},
}


class _Resolver:
    """Turns what a person writes (ids, printed refs, scope words, answer words) into keys."""

    def __init__(self, mapping: FormMapping, variant: str, vocab: Vocabulary, words: Words) -> None:
        self.mapping = mapping
        # a year-less date belongs to the checklist edition's fiscal year; the contract table
        # has no year of its own, so there a date must carry its year
        self.fiscal_year = mapping.fiscal_year if mapping.form == "checklist" else None
        self.variant = variant
        self.vocab = vocab
        self.words = words
        self.items = {it.id: it for it in mapping.items_for(variant)}
        self.by_ref = {_ref_key(it.ref): it for it in self.items.values()}

    def item(self, text: str) -> Item | None:
        t = text.strip()
        if t in self.items:
            return self.items[t]
        return self.by_ref.get(_ref_key(t))

    def scope(self, item: Item, text: str) -> list[str] | None:
        """Scopes named by ``text`` for ``item``; all of them when ``text`` is empty."""
        t = text.strip()
        if not t:
            return list(item.scopes)
        if t in item.scopes:
            return [t]
        from xltools.forms.locate import parse_scope

        sc = parse_scope(t, self.words)
        if sc in item.scopes:
            return [sc]
        if sc == "all" and len(item.scopes) == 1:
            return list(item.scopes)
        if sc and "+" not in sc and any(sc in s.split("+") for s in item.scopes):
            return [s for s in item.scopes if sc in s.split("+")]
        return None

    def answer(self, value: Any) -> str | None:
        """"yes" / "no" / "" (blank), or None when it is neither."""
        t = norm(cell_text(value)) if value not in (None, "") else ""
        if not t:
            return ""
        if t in (norm("はい"),) or t in self.vocab.yes:
            return YES
        if t in (norm("いいえ"),) or t in self.vocab.no:
            return NO
        return None

    def date(self, value: Any, item: Item | None = None) -> tuple[dt.date | None, bool]:
        fy = (item.target_fiscal_year if item and item.target_fiscal_year else None) or \
            self.fiscal_year
        got = parse_date(value, fy)
        return got.value, got.ok

    def describe(self, key: Key) -> str:
        it = self.mapping.item(key[0])
        return it.ref if len(it.scopes) == 1 else f"{it.ref}（{scope_ja(key[1])}）"


def target_word(mapping: FormMapping) -> str:
    """What the per-item date of a いいえ is called on the form."""
    return "完了日" if mapping.form == "contract" else "目標日"


def _ref_key(ref: str) -> str:
    """A printed ref made comparable: widths, dashes and spaces unified, circled digits kept
    (so ``2-⑦`` never matches an R5 ``2-(7)``, which is a different item)."""
    return re.sub(r"\s+", "", _nfkc(ref)).replace("ー", "-")


def _nfkc(text: str) -> str:
    """NFKC with unified brackets, but circled digits kept (they tell R7+ refs from R5/R6)."""
    t = "".join(ch if "①" <= ch <= "⑳" else unicodedata.normalize("NFKC", ch) for ch in text)
    return t.translate(_BRACKETS)


_SPLIT_KEY = re.compile(
    r"^(?P<key>.+?)\s*(?:[:_\s]\s*(?P<field>目標日|完了日|確認日|回答|target|checked_on|answer))$")


def _parse_override_header(header: str, res: _Resolver) -> tuple[list[Key], str] | Problem:
    """``2-⑩``, ``2-⑪（サーバ）``, ``two_factor:all``, ``2-⑩ 目標日`` -> (keys, field).

    Returns a problem (without ``where``) when the header names nothing in this form.
    """
    h = _nfkc(header).strip()
    fld = "answer"
    m = _SPLIT_KEY.match(h)
    if m:
        h = m.group("key").strip()
        fld = {"目標日": "target", "完了日": "target", "target": "target", "確認日": "checked",
               "checked_on": "checked"}.get(m.group("field"), "answer")
    candidates = [(h, "")]
    m2 = re.match(r"^(?P<key>.+?)\s*\((?P<scope>[^()]*)\)$", h)
    if m2:
        candidates.append((m2.group("key").strip(), m2.group("scope")))
    if ":" in h:
        key, _, scope_text = h.partition(":")
        candidates.append((key.strip(), scope_text))
    wrong_scope: tuple[Item, str] | None = None
    for key, scope_text in candidates:
        item = res.item(key)
        if item is None:
            continue
        scopes = res.scope(item, scope_text)
        if scopes:
            return [(item.id, s) for s in scopes], fld
        wrong_scope = wrong_scope or (item, scope_text)
    if wrong_scope:
        item, scope_text = wrong_scope
        have = "、".join(scope_ja(s) for s in item.scopes)
        return _problem("fill.bad_header", "",
                           f"項目 {item.ref} に対象「{scope_text}」はありません（この様式の対象：{have}）。")
    return _problem("fill.unknown_item", "", _unknown_msg(header, res))


def _table_kind(t: Table) -> str:
    names = [_hnorm(h) for h in t.headers]
    if any(n in _FACILITY_WORDS for n in names):
        return "facilities"
    kinds = {_header_kind(n) for n in names}
    if "answer" in kinds and ({"id", "ref"} & kinds):
        return "defaults"
    return ""


def load_answers(paths: Sequence[str | os.PathLike[str]], mapping: FormMapping, variant: str,
                 catalogue: Catalogue | None = None, passwords: list[str] | None = None) -> Answers:
    """Read and validate the answers files against one form; raise :class:`AnswersError`
    listing every problem at once."""
    catalogue = catalogue or load_catalogue()
    tables, problems = read_tables(paths, passwords)
    res = _Resolver(mapping, variant, Vocabulary.from_mapping(catalogue.vocabulary),
                    Words.of(catalogue))
    defaults: dict[Key, Answer] = {}
    facilities: list[Facility] = []
    found_facilities = False
    for t in tables:
        kind = _table_kind(t)
        if kind == "defaults":
            problems += _read_defaults(t, res, defaults)
        elif kind == "facilities":
            found_facilities = True
            problems += _read_facilities(t, res, facilities)
    if not found_facilities and not any(p.code == "fill.answers_unreadable" for p in problems):
        names = ", ".join(Path(p).name for p in paths)
        problems.append(_problem("fill.no_facility_table", names,
                                    "「医療機関名」の列がある表（施設一覧）が見つかりません。"
                                    "xltools fill --example で作った回答ファイルを使ってください。"))
    if found_facilities and not facilities:
        problems.append(_problem("fill.no_facility_table", FACILITIES_SHEET,
                                    "施設が1行もありません。提出先ごとに1行ずつ記入してください。"))
    answers = Answers(mapping, variant, defaults, facilities, ", ".join(map(str, paths)))
    if mapping.form == "checklist":  # a contract's 完了日 comes later, when the item is settled
        problems += _check_targets(answers, res)
    if problems:
        raise AnswersError(problems)
    return answers


def _col(t: Table, i: int) -> str:
    from xltools.xlsx.book import col_letters

    return col_letters(i) if not t.name.lower().endswith((".csv", ".txt")) else f"{i + 1}列目"


def _read_defaults(t: Table, res: _Resolver, out: dict[Key, Answer]) -> list[Problem]:
    problems: list[Problem] = []
    kinds = [_header_kind(_hnorm(h)) for h in t.headers]
    col = {k: kinds.index(k) for k in ("id", "ref", "scope", "answer", "checked", "target")
           if k in kinds}
    seen: dict[Key, int] = {}
    for line, row in t.rows:
        def get(k: str, row: list[Any] = row) -> Any:
            i = col.get(k)
            return row[i] if i is not None and i < len(row) else ""

        where = f"{t.name} {line}行目"
        ident, ref = cell_text(get("id")).strip(), cell_text(get("ref")).strip()
        keys: list[Key] | None = None
        if ident:
            item_id, _, scope = ident.partition(":")
            item = res.items.get(item_id.strip())
            scopes = res.scope(item, scope) if item else None
            keys = [(item.id, s) for s in scopes] if item and scopes else None
        elif ref:
            item = res.item(ref)
            scopes = res.scope(item, cell_text(get("scope"))) if item else None
            keys = [(item.id, s) for s in scopes] if item and scopes else None
        else:
            if any(cell_text(get(k)).strip() for k in ("answer", "checked", "target")):
                problems.append(_problem("fill.unknown_item", where,
                                            "項番（または ID）が空なので、どの項目の回答か分かりません。"))
            continue
        if keys is None:
            if any(cell_text(get(k)).strip() for k in ("answer", "checked", "target")):
                problems.append(_problem("fill.unknown_item", where, _unknown_msg(ident or ref, res)))
            continue  # an unanswered row of an item this template lacks: nothing to write
        item = res.mapping.item(keys[0][0])
        answer = res.answer(get("answer"))
        if answer is None:
            problems.append(_problem("fill.bad_answer", where,
                                        f"回答「{cell_text(get('answer'))}」は「はい」か「いいえ」で記入してください。"))
            answer = ""
        checked, ok1 = res.date(get("checked"))
        target, ok2 = res.date(get("target"), item)
        for ok, k, label in ((ok1, "checked", "確認日"), (ok2, "target", target_word(res.mapping))):
            if not ok:
                problems.append(_problem("fill.bad_date", where,
                                            f"{label}「{cell_text(get(k))}」は年月日で記入してください（例：2026/10/1、令和8年10月1日）。"))
        for key in keys:
            if key in seen:
                problems.append(_problem("fill.duplicate_item", where,
                                            f"項目 {res.describe(key)} は {seen[key]}行目にもあります。1行にまとめてください。"))
                continue
            seen[key] = line
            out[key] = Answer(answer, checked, target)
    return problems


def _unknown_msg(text: str, res: _Resolver) -> str:
    form = f"{res.mapping.era}版 {VARIANT_JA.get(res.variant, res.variant)}"
    if re.fullmatch(r"[A-Za-z0-9_\-]+(:[a-z+]*)?", text.strip()) and not text.strip()[:1].isdigit():
        return (f"ID「{text}」はテンプレートの様式（{form}）にない項目です。回答ファイルを別の年度版・様式で"
                "作った可能性があります。テンプレートと同じ様式で xltools fill --example を作り直すか、"
                "この項目の回答を空にしてください。")
    return (f"「{text}」はテンプレートの様式（{form}）にない項目です。項番は様式に印刷されたとおり"
            f"（例：{_example_ref(res)}）に、対象は「サーバ」などで書いてください。")


def _example_ref(res: _Resolver) -> str:
    return next((it.ref for it in res.items.values() if "-" in it.ref), "1-①")


def _read_facilities(t: Table, res: _Resolver, out: list[Facility]) -> list[Problem]:
    problems: list[Problem] = []
    field_col: dict[str, int] = {}
    overrides: list[tuple[int, list[Key], str]] = []  # (column, keys, field)
    for i, h in enumerate(t.headers):
        n = norm(h)
        if not n:
            continue
        name = next((f for f, ws in _FIELD_WORDS.items() if n in ws), None)
        if name and name not in field_col:
            field_col[name] = i
            continue
        if n in ("備考", "メモ", "no", "no.", "#", "番号"):
            continue  # the vendor's own notes
        got = _parse_override_header(h, res)
        if isinstance(got, Problem):
            used = any(i < len(row) and cell_text(row[i]).strip() for _, row in t.rows)
            if used:  # an empty column of an item this template lacks is harmless
                where = f"{t.name} {_col(t, i)}{t.header_line}（見出し「{h}」）"
                problems.append(_problem(got.code, where, got.detail))
            continue
        overrides.append((i, *got))
    for line, row in t.rows:
        def get(i: int | None, row: list[Any] = row) -> Any:
            return row[i] if i is not None and i < len(row) else ""

        where = f"{t.name} {line}行目"
        f = Facility(line=line, where=where)
        for name in ("facility_name", "facility_code", "system_name", "vendor_name", "respondent"):
            setattr(f, name, _text(get(field_col.get(name))))
        if not f.facility_name:
            problems.append(_problem("fill.no_facility_name", where,
                                        "施設ごとに医療機関名を記入してください（不要な行は削除してください）。"))
        raw_checked = get(field_col.get("checked_on"))
        f.checked_on, ok = res.date(raw_checked)
        if not ok:
            problems.append(_problem("fill.bad_date", where,
                                        f"確認日「{cell_text(raw_checked)}」は年月日で記入してください（例：2026/10/1）。"))
        for i, keys, fld in overrides:
            value = get(i)
            if value in (None, "") or not str(value).strip():
                continue
            cell = f"{where}（{t.headers[i]}）"
            for key in keys:
                o = f.overrides.setdefault(key, Override())
                if fld == "answer":
                    a = res.answer(value)
                    if a is None:
                        problems.append(_problem("fill.bad_answer", cell,
                                                    f"「{cell_text(value)}」は「はい」か「いいえ」で記入してください。"))
                        break
                    o.answer = a
                else:
                    d, ok = res.date(value, res.mapping.item(key[0]) if fld == "target" else None)
                    if not ok:
                        problems.append(_problem("fill.bad_date", cell,
                                                    f"「{cell_text(value)}」は年月日で記入してください（例：2026/10/1）。"))
                        break
                    if fld == "target":
                        o.target_on = d
                    else:
                        o.checked_on = d
        out.append(f)
    return problems


def _text(v: Any) -> str:
    return re.sub(r"\s+", " ", cell_text(v)).strip() if v not in (None, "") else ""


def _check_targets(answers: Answers, res: _Resolver) -> list[Problem]:
    """いいえ needs a 目標日: one line per facility naming every item that lacks it."""
    problems = []
    for f in answers.facilities:
        missing = [res.describe(k) for k, a in answers.final(f).items()
                   if a.answer == NO and a.target_on is None]
        if missing:
            problems.append(_problem(
                "fill.no_target", f"{f.where}（{f.facility_name or '名称なし'}）",
                f"「いいえ」の項目 {'、'.join(missing)} に目標日がありません。既定回答の目標日か、"
                f"この施設の「項番 目標日」列（例：{missing[0].split('（')[0]} 目標日）に記入してください。"))
    return problems


# --------------------------------------------------------------------------------------------
# template


@dataclass
class Slot:
    """Where round 1 of one (item, scope) is written in the template."""

    part: str
    sheet: str
    key: Key
    answer_cell: Cell | None  # None: separate はい / いいえ columns
    kind: str  # dropdown | printed | blank | split
    printed: str = ""  # the cell text as printed (printed kind)
    choices: dict[str, str] = field(default_factory=dict)  # yes/no -> dropdown list value
    yes_cell: Cell | None = None
    no_cell: Cell | None = None
    date_cell: Cell | None = None  # None: the date goes into the answer text (R5/R6)
    target_cell: Cell | None = None  # 目標日 (checklist) / 完了日 (contract)
    row_date: bool = True  # False: the check date is the sheet's (contract 初回確認)


@dataclass
class FieldSlot:
    """Where a header field's value goes: the cell right of (or below) its label, or the label
    cell itself when the label is printed as ``医療機関名：`` (``label``) or, for the contract's
    初回確認 date, as ``初回確認\\n（　/　）`` (``label`` holds the whole printed text)."""

    part: str
    cell: Cell
    label: str = ""  # non-empty: write label + value into the label cell
    bracket: bool = False  # the value goes into the label's "（　/　）"


@dataclass
class Template:
    """A template workbook, located once and filled many times."""

    path: str
    patcher: Patcher
    mapping: FormMapping
    variant: str
    slots: dict[Key, list[Slot]]
    fields: dict[str, FieldSlot]
    sheets: list[str]
    missing: list[Key]
    sheet_dates: list[FieldSlot] = field(default_factory=list)  # contract: 初回確認

    _layouts: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def form(self) -> str:
        return self.mapping.form

    @property
    def label(self) -> str:
        return VARIANT_JA.get(self.variant, self.variant)

    def layout(self, part: str) -> Any:
        """The sheet's geometry (for drawing ellipses), loaded once: filling changes values
        only, never widths, heights or the answer cells' styles."""
        if part not in self._layouts:
            import zipfile

            from xltools.xlsx.drawings import load_layout

            with zipfile.ZipFile(io.BytesIO(self.patcher.template_bytes)) as zf:
                self._layouts[part] = load_layout(zf, part)
        return self._layouts[part]


def open_template(path: str | os.PathLike[str], catalogue: Catalogue | None = None,
                  passwords: list[str] | None = None) -> Template:
    """Read and locate a template; raise :class:`TemplateError` when it cannot be filled.

    A checklist sheet is looked for first (with the reader's locator); a workbook without one
    is tried as the contract role table (:mod:`xltools.tables`) when that module is present.
    """
    from xltools.forms import checklist

    catalogue = catalogue or load_catalogue()
    path = str(path)
    name = Path(path).name
    book = read_book(path, passwords=passwords)
    if not book.sheets:
        detail = "；".join(p.message for p in book.problems) or "シートがありません"
        raise TemplateError([_problem("fill.template_unreadable", name, detail)])
    if book.kind != "xlsx":
        raise TemplateError([_problem("fill.template_unreadable", name,
                                         "書き込めるのは .xlsx / .xlsm だけです。Excel で .xlsx として保存し直してください。")])
    try:
        patcher = Patcher(book.data)
    except PatchError as exc:
        raise TemplateError([_problem("fill.template_unreadable", name, str(exc))]) from exc
    located: list[Located] = []
    for sheet in book.sheets:
        loc = checklist.locate(Scan.of(sheet), catalogue)
        if loc is not None and sheet.part:
            located.append(loc)
    if not located:
        contract = _open_contract(path, book.sheets, patcher, catalogue)
        if contract is not None:
            return contract
        raise TemplateError([_problem("fill.template_not_form", name,
                                         "チェックリスト（または契約の役割分担確認表）の様式として認識できるシートが"
                                         "ありません。公式の様式か xltools template で作った様式を指定してください。")])
    first = located[0]
    other = [lo for lo in located if lo.mapping.key != first.mapping.key
             or set(lo.mapping.expected_rows(lo.variant)) != set(first.mapping.expected_rows(first.variant))]
    if other:
        raise TemplateError([_problem(
            "fill.template_not_form", name,
            f"様式の違うシートが複数あります（{first.sheet.name}: {first.mapping.edition} "
            f"{VARIANT_JA.get(first.variant)}、{other[0].sheet.name}: {other[0].mapping.edition} "
            f"{VARIANT_JA.get(other[0].variant)}）。記入するシートだけを残してください。")])
    problems: list[Problem] = []
    slots: dict[Key, list[Slot]] = {}
    fields: dict[str, FieldSlot] = {}
    words = Words.of(catalogue)
    for loc in located:
        problems += _slots_of(loc, slots)
        skip = {h.row for h in loc.rows} | set(loc.columns.header_rows)
        for fname, fs in _field_slots(loc.sheet, skip, loc.fields, words, patcher).items():
            fields.setdefault(fname, fs)
    if problems:
        raise TemplateError(problems)
    expected = first.mapping.expected_rows(first.variant)
    return Template(path=path, patcher=patcher, mapping=first.mapping, variant=first.variant,
                    slots=slots, fields=fields, sheets=[lo.sheet.name for lo in located],
                    missing=[k for k in expected if k not in slots])


def _answer_slot(sheet: Sheet, part: str, key: Key, row: int, answer_col: int | None,
                 yes_col: int | None, no_col: int | None) -> Slot:
    """How one row's answer cell asks to be filled: dropdown, printed words, blank or split."""
    s = Slot(part=part, sheet=sheet.name, key=key, answer_cell=None, kind="split")
    if answer_col is not None:
        cell = sheet.merged_origin(row, answer_col)
        s.answer_cell = cell
        value = sheet.value(*cell)
        text = value if isinstance(value, str) else ""
        if sheet.has_list_validation(*cell):
            s.kind = "dropdown"
            s.choices = _dropdown_choices(sheet, cell)
        elif "はい" in text and "いいえ" in text:
            s.kind, s.printed = "printed", text
        else:
            s.kind = "blank"
    else:
        s.yes_cell = sheet.merged_origin(row, yes_col) if yes_col is not None else None
        s.no_cell = sheet.merged_origin(row, no_col) if no_col is not None else None
    return s


def _slots_of(loc: Located, out: dict[Key, list[Slot]]) -> list[Problem]:
    sheet = loc.sheet
    cols = loc.columns
    part = sheet.part or ""
    if 1 not in cols.answer and 1 not in cols.yes:
        return [_problem("fill.template_not_form", f"シート「{sheet.name}」",
                            "1回目の回答欄（はい・いいえ）の列が見つかりません。")]
    for h in loc.rows:
        s = _answer_slot(sheet, part, (h.item_id, h.scope), h.row, cols.answer.get(1),
                         cols.yes.get(1), cols.no.get(1))
        if 1 in cols.date:
            s.date_cell = sheet.merged_origin(h.row, cols.date[1])
        tc = cols.target_for(1)
        if tc is not None:
            s.target_cell = sheet.merged_origin(h.row, tc)
        out.setdefault(s.key, []).append(s)
    return []


# --- the contract role table ------------------------------------------------------------------


def contract_mapping(items: Sequence[tuple[str, str]], year: int, title: str) -> FormMapping:
    """The contract table as a one-variant (``joint``), one-scope (``all``) form mapping, so the
    answers machinery is the checklist's. ``items`` are (id, title) in printed order; the ref a
    person sees is ``3`` for ``P1-3`` and ``A-1`` for Part2 items."""
    from xltools.forms.catalogue import Variant

    its = tuple(Item(id=i, ref=i.split("-", 1)[1] if i.startswith("P1-") else i,
                     section=1 if i.startswith("P1-") else 2, variants=("joint",), scopes=("all",),
                     text=t) for i, t in items)
    return FormMapping(form="contract", edition=str(year), fiscal_year=year, era=f"{year}年",
                       variants={"joint": Variant("joint", (), title)}, items=its,
                       sections={1: "Part1", 2: "Part2"}, markers=(), numbering="",
                       scope_style="column", rounds=1, date_column=False, source="tables/contract",
                       digest="")


def _catalogue_contract_mapping() -> FormMapping:
    from xltools.forms.table_catalogue import load_table_catalogue

    cat = load_table_catalogue("contract")
    return contract_mapping([(e.id, e.title or e.text) for e in cat.entries], int(cat.year), cat.title)


def _open_contract(path: str, sheets: list[Sheet], patcher: Patcher,
                   catalogue: Catalogue) -> Template | None:
    """A contract role table template (None when no sheet is one)."""
    from xltools.forms.tables import locate_contract

    found = []
    for sheet in sheets:
        loc = locate_contract(Scan.of(sheet), catalogue) if sheet.part else None
        if loc is not None and loc.items:
            found.append(loc)
    if not found:
        return None
    loc = found[0]  # one contract per workbook: the first table found is filled
    sheet, cols, part = loc.sheet, loc.columns, loc.sheet.part or ""
    entries = {e.id: e for e in loc.catalogue.entries}
    titles = [(it.item_id, it.text or (entries[it.item_id].title if it.item_id in entries else ""))
              for it in loc.items]
    mapping = contract_mapping(titles, int(loc.catalogue.year), loc.catalogue.title)

    def first(kind: str) -> int | None:
        return cols[kind][0] if cols.get(kind) else None

    if first("answer") is None and first("yes") is None:
        raise TemplateError([_problem("fill.template_not_form", f"シート「{sheet.name}」",
                                         "初回確認（はい・いいえ）の列が見つかりません。")])
    slots: dict[Key, list[Slot]] = {}
    for it in loc.items:
        s = _answer_slot(sheet, part, (it.item_id, "all"), it.row, first("answer"), first("yes"),
                         first("no"))
        s.row_date = False
        done = first("completed")
        if done is not None:
            s.target_cell = sheet.merged_origin(it.row, done)
        slots.setdefault(s.key, []).append(s)
    table_rows = set(range(min(loc.header_rows), max(it.row for it in loc.items) + 1))
    words = Words.of(catalogue)
    fields = _field_slots(sheet, table_rows, loc.fields, words, patcher)
    dates = _contract_date_slots(sheet, loc, table_rows, patcher)
    return Template(path=path, patcher=patcher, mapping=mapping, variant="joint", slots=slots,
                    fields=fields, sheets=[sheet.name], missing=[], sheet_dates=dates)


def _contract_date_slots(sheet: Sheet, loc: Any, table_rows: set[int],
                         patcher: Patcher) -> list[FieldSlot]:
    """Where the sheet's 初回確認 date goes: a 初回確認日 field outside the table when the sheet
    has one, else the 初回確認 column header (``初回確認\\n（　/　）``)."""
    part = sheet.part or ""
    scan = Scan.of(sheet)
    labels = sorted((norm(w) for w in loc.catalogue.checked_on_labels), key=len, reverse=True)
    for (r, c), t in sorted(scan.text.items()):
        if r in table_rows or len(t) > 40:
            continue
        w = next((w for w in labels if t.startswith(w)), None)
        if w is None:
            continue
        raw = scan.raw[(r, c)]
        if _DATE_BRACKET.search(raw):
            return [FieldSlot(part, (r, c), raw, bracket=True)]
        if t.rstrip(":") != t or len(t) > len(w):
            sep = "：" if "：" in raw else ":"
            return [FieldSlot(part, (r, c), raw.split(sep, 1)[0] + sep)]
        cell = _value_cell(sheet, scan, patcher, r, c, set(labels))
        if cell is not None:
            return [FieldSlot(part, cell)]
    cols = [*loc.columns.get("answer", []), *loc.columns.get("yes", [])]
    for c in cols[:1]:
        for r in loc.header_rows:
            origin = sheet.merged_origin(r, c)
            raw = scan.raw.get(origin, "")
            if "初回確認" in norm(raw):
                return [FieldSlot(part, origin, raw, bracket=True)]
    return []


# --- shared helpers ---------------------------------------------------------------------------


def _dropdown_choices(sheet: Sheet, cell: Cell) -> dict[str, str]:
    """The list values that mean はい and いいえ (a list of ○/× gets ○/×)."""
    vocab_yes = {norm(w) for w in ("はい", "○", "〇", "yes", "済", "実施")}
    vocab_no = {norm(w) for w in ("いいえ", "×", "no", "未", "未実施")}
    out: dict[str, str] = {}
    for v in sheet.validations():
        if v.kind != "list" or not v.covers(*cell):
            continue
        formula = v.formula.strip()
        if formula.startswith('"'):
            values = [x.strip() for x in formula.strip('"').split(",")]
        else:
            values = _range_values(sheet, formula)
        for x in values:
            if norm(x) in vocab_yes:
                out.setdefault(YES, x)
            elif norm(x) in vocab_no:
                out.setdefault(NO, x)
    return out


def _range_values(sheet: Sheet, formula: str) -> list[str]:
    """Values of a same-sheet range used as a list source (``$H$1:$H$2``)."""
    from xltools.xlsx.book import parse_range

    if "!" in formula or not re.fullmatch(r"\$?[A-Z]+\$?\d+(:\$?[A-Z]+\$?\d+)?", formula):
        return []
    r0, c0, r1, c1 = parse_range(formula)
    return [cell_text(sheet.value(r, c)) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]


_FIELDS_WRITTEN = ("facility_name", "facility_code", "vendor_name", "system_name", "respondent")


def _field_slots(sheet: Sheet, skip: set[int], prefilled: dict[str, Any], words: Words,
                 patcher: Patcher) -> dict[str, FieldSlot]:
    """Label cells of the header fields and where each value goes.

    The locator's ``fields`` only knows labels whose value is already filled in; a blank
    template has none, so labels are found here the same way (exact vocabulary words), and the
    value cell is the first cell right of the label's merge that is empty or an existing
    value, or the cell below when only that one exists in the sheet XML.
    """
    scan = Scan.of(sheet)
    labels = sorted(((name, norm(w)) for name, ws in words.fields.items() for w in ws
                     if name in _FIELDS_WRITTEN), key=lambda x: len(x[1]), reverse=True)
    all_labels = {w for _, w in labels}
    out: dict[str, FieldSlot] = {}
    for (r, c), t in sorted(scan.text.items()):
        if r in skip or len(t) > 60:
            continue
        bare = re.sub(r"\(.*?\)$", "", t)
        for name, w in labels:
            if name in out:
                continue
            if bare.rstrip(":") == w and not bare.endswith(":"):
                cell = _value_cell(sheet, scan, patcher, r, c, all_labels)
                if cell is not None:
                    out[name] = FieldSlot(sheet.part or "", cell)
                break
            if bare.startswith(w + ":"):
                raw = scan.raw[(r, c)]
                sep = "：" if "：" in raw else ":"
                out[name] = FieldSlot(sheet.part or "", (r, c), raw.split(sep, 1)[0] + sep)
                break
    if name_cell := prefilled.get("facility_name"):
        out.setdefault("facility_name", FieldSlot(sheet.part or "", (name_cell.row, name_cell.col)))
    return out


def _value_cell(sheet: Sheet, scan: Scan, patcher: Patcher, r: int, c: int,
                labels: set[str]) -> Cell | None:
    c0 = c
    for r0, mc0, r1, mc1 in sheet.merged:
        if r0 <= r <= r1 and mc0 <= c <= mc1:
            c0 = mc1
    right = sheet.merged_origin(r, c0 + 1)
    t = scan.text.get(right, "")
    if t and re.sub(r"\(.*?\)$", "", t).rstrip(":") in labels:
        right = None  # the next label: the value must be below
    below = sheet.merged_origin(r + 1, c)
    part = sheet.part or ""
    if right is not None and (patcher.has_cell(part, right) or t or
                              not patcher.has_cell(part, below)):
        return right
    if not scan.text.get(below):
        return below
    return right


# --------------------------------------------------------------------------------------------
# writing


@dataclass
class Written:
    """One filled file."""

    facility: Facility
    path: Path
    differences: list[str]
    unanswered: int


@dataclass
class FillResult:
    files: list[Written]
    summary: Path | None
    warnings: list[Problem]
    template: Template


def _date_text(d: dt.date, fiscal_year: int) -> str:
    """A check date inside a printed answer cell: month/day as the form prints ``（　/　）``,
    with the year only when it lies outside the edition's fiscal year (the reader would
    otherwise put it in that year)."""
    start, end = dt.date(fiscal_year, 4, 1), dt.date(fiscal_year + 1, 3, 31)
    return f"{d.month}/{d.day}" if start <= d <= end else f"{d.year}/{d.month}/{d.day}"


_DATE_BRACKET = re.compile(r"[（(][\s\u3000]*/[\s\u3000]*[）)]")


def _with_date(text: str, date: str) -> str:
    if not date:
        return text
    if _DATE_BRACKET.search(text):
        return _DATE_BRACKET.sub(f"（{date}）", text, count=1)
    return f"{text}\n（{date}）"


def cell_edits(template: Template, answers: dict[Key, Answer], fields: dict[str, str],
               mark: str = "word") -> tuple[dict[str, dict[Cell, Any]], list[tuple[str, str, str]],
                                            list[Problem]]:
    """The cells to write for one facility, and the ellipses to draw (sheet, cell, word)."""
    edits: dict[str, dict[Cell, Any]] = {}
    circles: list[tuple[str, str, str]] = []
    warnings: list[Problem] = []
    fy = template.mapping.fiscal_year
    for key, a in answers.items():
        for s in template.slots.get(key, []):
            e = edits.setdefault(s.part, {})
            word = WORD[a.answer]
            date_text = _date_text(a.checked_on, fy) if a.checked_on else ""
            in_text = s.row_date and s.date_cell is None and s.kind in ("printed", "blank")
            if s.kind == "dropdown":
                e[s.answer_cell] = s.choices.get(a.answer, word)
            elif s.kind == "split":
                cell = s.yes_cell if a.answer == YES else s.no_cell
                if cell is not None:
                    e[cell] = "○"
            elif mark == "circle":
                base = s.printed or "はい・いいえ"
                e[s.answer_cell] = _with_date(base, date_text if in_text else "")
                circles.append((s.sheet, address(*s.answer_cell), word))
            else:
                text = word
                if in_text and date_text:
                    text = f"{word}\n（{date_text}）"
                e[s.answer_cell] = text
            if a.checked_on and s.date_cell is not None:
                e[s.date_cell] = a.checked_on
            elif a.checked_on and s.row_date and not in_text:
                warnings.append(_problem("fill.no_date_cell", f"シート「{s.sheet}」",
                                            f"{address(*s.answer_cell or (0, 0))} の行に確認日を書く欄がありません。"))
            if a.target_on and s.target_cell is not None:
                e[s.target_cell] = a.target_on
    for name, value in fields.items():
        fs = template.fields.get(name)
        if not value or fs is None:
            continue
        edits.setdefault(fs.part, {})[fs.cell] = f"{fs.label}{value}" if fs.label else value
    sheet_date = _sheet_date(answers) if template.sheet_dates else None
    for fs in template.sheet_dates if sheet_date else ():
        text = f"{sheet_date.year}/{sheet_date.month}/{sheet_date.day}"
        value: Any = (_with_date(fs.label, text) if fs.bracket else f"{fs.label}{text}"
                      if fs.label else sheet_date)
        edits.setdefault(fs.part, {})[fs.cell] = value
    return edits, circles, warnings


def _sheet_date(answers: dict[Key, Answer]) -> dt.date | None:
    """The one date of a sheet that has one (the contract's 初回確認): the facility's 確認日,
    which every answer carries; the most common one if defaults brought others."""
    from collections import Counter

    dates = Counter(a.checked_on for a in answers.values() if a.checked_on)
    return dates.most_common(1)[0][0] if dates else None


def render(template: Template, answers: dict[Key, Answer], fields: dict[str, str],
           mark: str = "word") -> bytes:
    """One filled workbook as bytes."""
    edits, circles, _ = cell_edits(template, answers, fields, mark)
    return _draw(template, template.patcher.render(edits), circles, edits)


ELLIPSE_MARGIN = 2.0  # points around the word, as testkit.drawing_writer.add_ellipse_over_word


def _draw(template: Template, data: bytes, circles: list[tuple[str, str, str]],
          edits: dict[str, dict[Cell, Any]]) -> bytes:
    """Draw every ellipse of one file in one package rewrite.

    ``testkit.drawing_writer.add_ellipse_over_word`` reopens and rewrites the package per ellipse
    (~5 ms each, 80 ms a form): fine for one file, 40 s for 500. The sheet geometry does not
    change between facilities (only values are written), so it is loaded once per template and
    the boxes come from the same ``drawing_writer.ellipse_box``.
    """
    if not circles:
        return data
    from xltools.xlsx.drawing_writer import Shape, add_shapes, ellipse_box

    by_sheet: dict[str, list[Shape]] = {}
    parts = {s.sheet: s.part for slots in template.slots.values() for s in slots}
    for sheet, ref, word in circles:
        part = parts[sheet]
        lay = template.layout(part)
        cell = _parse_ref(ref)
        text = str(edits[part][cell])
        boxes = lay.word_boxes(*cell, text)
        key = "yes" if word == WORD[YES] else "no"
        if key not in boxes:
            raise TemplateError([_problem("fill.template_not_form", f"シート「{sheet}」",
                                             f"{ref} の「{text}」に「{word}」の位置を見つけられないため丸を描けません。"
                                             "--mark word を使ってください。")])
        box = ellipse_box(boxes, key, lay.cell_box(*cell), ELLIPSE_MARGIN)
        by_sheet.setdefault(sheet, []).append(Shape(box))
    for sheet, shapes in by_sheet.items():
        data = add_shapes(data, sheet, shapes)
    return data


def _parse_ref(ref: str) -> Cell:
    from xltools.xlsx.patch import parse_address

    return parse_address(ref)


_BAD_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def output_name(pattern: str, facility: Facility, label: str, suffix: str) -> str:
    """A file name from the pattern; characters Windows forbids become ``_``."""
    values = {"facility": facility.facility_name, "system": facility.system_name,
              "code": facility.facility_code, "vendor": facility.vendor_name,
              "respondent": facility.respondent, "label": label, "row": str(facility.line)}
    name = pattern.format_map(values)
    name = _BAD_CHARS.sub("_", name)
    name = re.sub(r"_{2,}", "_", name).strip(" ._")
    if Path(name).suffix.lower() not in (".xlsx", ".xlsm"):
        name += suffix
    return unicodedata.normalize("NFC", name)


def check_pattern(pattern: str) -> None:
    import string

    try:
        names = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError as exc:
        raise AnswersError([_problem("fill.bad_pattern", "--name-pattern", f"{pattern}: {exc}")]) from exc
    unknown = [n for n in names if n not in PATTERN_FIELDS]
    if unknown or "facility" not in names and "row" not in names and "code" not in names:
        raise AnswersError([_problem(
            "fill.bad_pattern", "--name-pattern",
            f"「{pattern}」には {{facility}} を含め、使える名前 "
            f"{', '.join('{' + n + '}' for n in PATTERN_FIELDS)} だけを使ってください。")])


def plan_names(answers: Answers, pattern: str, label: str, suffix: str) -> dict[int, str]:
    """Output names per facility (by list index); duplicates raise :class:`AnswersError`."""
    check_pattern(pattern)
    names: dict[int, str] = {}
    seen: dict[str, Facility] = {}
    problems = []
    for i, f in enumerate(answers.facilities):
        name = output_name(pattern, f, label, suffix)
        k = name.casefold()
        if k in seen:
            other = seen[k]
            problems.append(_problem("fill.duplicate_name", f.where,
                                        f"出力ファイル名「{name}」が {other.where}（{other.facility_name}）と同じです。"
                                        "システム名を分けるか、--name-pattern に {code} などを加えてください。"))
        elif name.casefold() == SUMMARY_NAME.casefold():
            problems.append(_problem("fill.duplicate_name", f.where, f"「{name}」は一覧ファイルと同じ名前です。"))
        seen.setdefault(k, f)
        names[i] = name
    if problems:
        raise AnswersError(problems)
    return names


def differences(answers: Answers, facility: Facility, final: dict[Key, Answer]) -> list[str]:
    """This facility's answers that differ from the defaults (answer or target date)."""
    out = []
    for key in answers.mapping.expected_rows(answers.variant):
        d = answers.defaults.get(key, Answer())
        got = final.get(key, Answer())
        d_target = d.target_on if d.answer == NO else None
        if (got.answer, got.target_on) != (d.answer, d_target):
            it = answers.mapping.item(key[0])
            label = it.ref if len(it.scopes) == 1 else f"{it.ref}（{scope_ja(key[1])}）"
            text = WORD.get(got.answer, "未回答")
            if got.target_on:
                text += f"（{target_word(answers.mapping)} {got.target_on:%Y/%m/%d}）"
            out.append(f"{label} {text}")
    return out


def fill(template: str | os.PathLike[str], answers: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
         out_dir: str | os.PathLike[str], *, name_pattern: str = DEFAULT_PATTERN,
         mark: str = "word", mappings: str | None = None,
         progress: Callable[[str], None] | None = None,
         passwords: list[str] | None = None) -> FillResult:
    """Fill ``template`` once per facility of ``answers`` into ``out_dir``; write the summary.

    Everything is validated before the first file is written; files are rendered into a
    temporary folder inside ``out_dir`` and moved into place only when all were written, so
    an error never leaves half the facilities filled.
    """
    if mark not in MARKS:
        raise AnswersError([_problem("fill.bad_pattern", "--mark", f"{mark}: word か circle を指定してください。")])
    catalogue = load_catalogue(mappings)
    tpl = open_template(template, catalogue, passwords)
    paths = [answers] if isinstance(answers, (str, os.PathLike)) else list(answers)
    ans = load_answers(paths, tpl.mapping, tpl.variant, catalogue, passwords)
    needed = {k for f in ans.facilities for k in ans.final(f)}
    lost = [k for k in tpl.missing if k in needed]
    if lost:
        res = ", ".join(_describe(tpl.mapping, k) for k in lost)
        raise TemplateError([_problem("fill.template_item_missing", Path(tpl.path).name,
                                         f"項目 {res} の行がテンプレートに見つからないため記入できません。")])
    suffix = Path(tpl.path).suffix.lower() if Path(tpl.path).suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    names = plan_names(ans, name_pattern, tpl.label, suffix)
    out = ensure_folder(out_dir)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".xltools-fill-", dir=out))
    except OSError as exc:
        raise output_error(out, exc) from exc
    warnings: list[Problem] = []
    written: list[Written] = []
    try:
        for i, f in enumerate(ans.facilities):
            final = ans.final(f)
            edits, circles, warns = cell_edits(tpl, final, f.fields(), mark)
            warnings.extend(warns)
            data = _draw(tpl, tpl.patcher.render(edits), circles, edits)
            (staging / names[i]).write_bytes(data)
            unanswered = len(ans.mapping.expected_rows(ans.variant)) - len(final)
            written.append(Written(f, out / names[i], differences(ans, f, final), unanswered))
            if progress:
                progress(names[i])
        write_summary(staging / SUMMARY_NAME, written, tpl)
        for w in written:  # each file flushed, then renamed into place: whole or absent
            move_into(staging / w.path.name, w.path)
        move_into(staging / SUMMARY_NAME, out / SUMMARY_NAME)
    except OSError as exc:
        raise output_error(out, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return FillResult(written, out / SUMMARY_NAME, _dedupe(warnings), tpl)


def _dedupe(problems: Iterable[Problem]) -> list[Problem]:
    return list({(p.code, p.where, p.message): p for p in problems}.values())


def _describe(mapping: FormMapping, key: Key) -> str:
    it = mapping.item(key[0])
    return it.ref if len(it.scopes) == 1 else f"{it.ref}（{scope_ja(key[1])}）"


def write_summary(path: Path, files: list[Written], template: Template) -> Path:
    """``提出用一覧.xlsx``: one row per facility with its file and answers differing from the
    defaults, plus a long sheet of the differences. Text stays text (no formulas from names)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                          "valign": "vcenter"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet("提出用一覧")
    cols = [("医療機関名", 28), ("医療機関コード", 14), ("システム名", 20), ("回答者", 12),
            ("ファイル", 40), ("既定と異なる回答", 50), ("未回答の項目数", 10)]
    for c, (h, w) in enumerate(cols):
        ws.write_string(0, c, h, head)
        ws.set_column(c, c, w)
    for r, w in enumerate(files, start=1):
        f = w.facility
        for c, v in enumerate((f.facility_name, f.facility_code, f.system_name, f.respondent,
                               w.path.name, "\n".join(w.differences))):
            ws.write_string(r, c, v, wrap)
        ws.write_number(r, 6, w.unanswered)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(1, len(files)), len(cols) - 1)
    ws2 = wb.add_worksheet("既定と異なる回答")
    for c, (h, wd) in enumerate((("医療機関名", 28), ("ファイル", 40), ("項目と回答", 40))):
        ws2.write_string(0, c, h, head)
        ws2.set_column(c, c, wd)
    r = 1
    for w in files:
        for d in w.differences:
            ws2.write_string(r, 0, w.facility.facility_name)
            ws2.write_string(r, 1, w.path.name)
            ws2.write_string(r, 2, d)
            r += 1
    ws2.freeze_panes(1, 0)
    info = wb.add_worksheet("様式")
    info.write_string(0, 0, "テンプレート")
    info.write_string(0, 1, Path(template.path).name)
    info.write_string(1, 0, "様式")
    info.write_string(1, 1, f"{template.mapping.era}版 {template.label}（{template.mapping.key}）")
    info.set_column(0, 0, 14)
    info.set_column(1, 1, 60)
    mark(wb, "提出用一覧")  # never read back as a form (xltools.output.own)
    wb.close()
    return path


# --------------------------------------------------------------------------------------------
# the ready-to-edit answers workbook


def write_example(path: str | os.PathLike[str], edition: str = "R8", variant: str = "vendor",
                  mappings: str | None = None, form: str = "checklist") -> Path:
    """Write an answers workbook for one form edition and variant, ready to edit.

    ``既定回答``: every item and scope with its printed ref and text; 回答 with a はい/いいえ
    dropdown, 確認日, 目標日 (used whenever the answer is いいえ). ``施設一覧``: one row per
    client facility, plus one column per item (headed by the printed ref) where a facility's
    answer differs from the default — no ids to learn. ``記入方法``: how to use it.

    ``form="contract"`` writes the same for the contract role table (items from its catalogue;
    完了日 instead of 目標日; the one 初回確認日 per contract in 施設一覧).
    """
    import xlsxwriter

    from xltools.output.templates import scope_label

    if form == "contract":
        m, variant = _catalogue_contract_mapping(), "joint"
    elif form == "checklist":
        m = load_catalogue(mappings).get("checklist", edition)
        if variant not in m.variants:
            raise ValueError(f"checklist {edition} has no variant {variant!r}; known: {sorted(m.variants)}")
    else:
        raise ValueError(f"form must be one of {FORMS}, not {form!r}")
    contract = form == "contract"
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                          "valign": "vcenter", "align": "center"})
    text = wb.add_format({"text_wrap": True, "valign": "vcenter", "border": 1})
    center = wb.add_format({"align": "center", "valign": "vcenter", "border": 1})
    grey = wb.add_format({"font_color": "#808080", "valign": "vcenter", "border": 1})
    date = wb.add_format({"num_format": "yyyy/m/d", "align": "center", "valign": "vcenter", "border": 1})
    yes_no = {"validate": "list", "source": ["はい", "いいえ"],
              "error_message": "「はい」か「いいえ」を選んでください。"}
    a_date = {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
              "maximum": dt.date(2100, 12, 31), "ignore_blank": True,
              "error_message": "日付（例：2026/10/1）を入力してください。"}

    ws = wb.add_worksheet(DEFAULTS_SHEET)
    rows = m.expected_rows(variant)
    heads = ([("区分", 16), (H_REF, 8), ("項目", 40), (H_ANSWER, 12), ("完了日", 12), (H_ID, 16)]
             if contract else
             [(H_REF, 8), (H_SCOPE, 14), (H_TEXT, 60), (H_ANSWER, 12), (H_CHECKED, 12),
              (H_TARGET, 12), (H_ID, 24)])
    for c, (h, w) in enumerate(heads):
        ws.write_string(0, c, h, head)
        ws.set_column(c, c, w)
    for r, (item_id, scope) in enumerate(rows, start=1):
        it = m.item(item_id)
        if contract:
            part = "Part1" if it.section == 1 else f"Part2 {item_id.split('-')[0]}"
            values = [(part, center), (it.ref, center), (it.text, text), (None, center),
                      (None, date), (f"{item_id}:{scope}", grey)]
        else:
            values = [(it.ref, center), (scope_label(scope), center), (it.text_for(variant), text),
                      (None, center), (None, date), (None, date), (f"{item_id}:{scope}", grey)]
        for c, (v, f) in enumerate(values):
            if v is None:
                ws.write_blank(r, c, None, f)
            else:
                ws.write_string(r, c, v, f)
        ws.set_row(r, 30)
    n = len(rows)
    answer_col = [h for h, _ in heads].index(H_ANSWER)
    ws.data_validation(1, answer_col, n, answer_col, yes_no)
    ws.data_validation(1, answer_col + 1, n, len(heads) - 2, a_date)
    ws.freeze_panes(1, answer_col)

    fs = wb.add_worksheet(FACILITIES_SHEET)
    if contract:
        names = ["facility_name", "facility_code", "vendor_name", "system_name", "respondent",
                 "checked_on"]
        headers = {**FACILITY_HEADERS, "system_name": "対象システム", "checked_on": "初回確認日"}
    else:
        names = ["facility_name", "facility_code", "system_name",
                 *(["vendor_name"] if variant == "vendor" else []), "respondent", "checked_on"]
        headers = FACILITY_HEADERS
    widths = {"facility_name": 30, "facility_code": 14, "system_name": 20, "vendor_name": 24,
              "respondent": 12, "checked_on": 12}
    c = 0
    for name in names:
        fs.write_string(0, c, headers[name], head)
        fs.set_column(c, c, widths[name], date if name == "checked_on" else None)
        c += 1
    first_override = c
    for item_id, scope in rows:
        it = m.item(item_id)
        label = (item_id if contract else it.ref if len(it.scopes) == 1
                 else f"{it.ref}（{scope_label(scope)}）")
        fs.write_string(0, c, label, head)
        fs.write_comment(0, c, f"{it.text_for(variant)}\n既定回答と違う施設だけ「はい」「いいえ」を選びます。",
                         {"x_scale": 2, "y_scale": 1.5})
        fs.set_column(c, c, 9)
        c += 1
    last_row = 1000
    fs.data_validation(1, names.index("checked_on"), last_row, names.index("checked_on"), a_date)
    if c > first_override:
        fs.data_validation(1, first_override, last_row, c - 1, yes_no)
    fs.freeze_panes(1, 1)
    fs.set_row(0, 30)

    hs = wb.add_worksheet(HELP_SHEET)
    hs.set_column(0, 0, 110)
    for r, line in enumerate(_contract_help(m) if contract else _help_lines(m, variant)):
        hs.write_string(r, 0, line)
    wb.close()
    return path


def _help_lines(m: FormMapping, variant: str) -> list[str]:
    it = m.items_for(variant)[-1]
    return [
        f"{m.era}版 {VARIANT_JA.get(variant, variant)} の一括記入用ファイルです。",
        "",
        f"1. 「{DEFAULTS_SHEET}」に、ほとんどの施設に共通する回答（はい／いいえ）・確認日・目標日を記入します。",
        "   目標日は回答が「いいえ」の項目に使われます（施設ごとに「いいえ」にする項目の目標日も、ここに書いておけます）。",
        f"2. 「{FACILITIES_SHEET}」に、提出先の施設を1行に1つずつ記入します（医療機関名は必須）。",
        "   確認日を書いた施設は、その日付がすべての回答の確認日になります（空欄なら既定回答の確認日）。",
        f"3. 既定回答と違う施設だけ、項番の列（例：{it.ref}）で「はい」「いいえ」を選びます。",
        f"   その施設だけの目標日は、見出しを「{it.ref} 目標日」とした列を追加して記入します（確認日は「{it.ref} 確認日」）。",
        "   対象が複数ある項目は「2-(9)（サーバ）」のように対象を括弧で書きます。括弧がなければ、その項目のすべての対象に使います。",
        "4. 次のコマンドで施設ごとの様式と「提出用一覧.xlsx」を作ります。",
        "   xltools fill 公式様式.xlsx この回答ファイル.xlsx --out 出力フォルダ",
        "",
        f"「{H_ID}」の列は、xltools が項目を見分けるためのものです。変更しないでください。",
    ]


def _contract_help(m: FormMapping) -> list[str]:
    return [
        "医療情報システムの契約における当事者間の役割分担等に関する確認表 の一括記入用ファイルです。",
        "",
        f"1. 「{DEFAULTS_SHEET}」に、ほとんどの契約に共通する初回確認の回答（はい／いいえ）を記入します。",
        "   完了日は「いいえ」の項目が後で取り決め済みになった日です（分かっているときだけ記入します）。",
        f"2. 「{FACILITIES_SHEET}」に、契約ごと（医療機関と対象システムの組ごと）に1行ずつ記入します（医療機関名は必須）。",
        "   初回確認日は、その契約で確認表を確認した日です（様式の「初回確認（ / ）」に書かれます）。",
        "3. 既定回答と違う契約だけ、項目の列（例：P1-1、A-1）で「はい」「いいえ」を選びます。",
        "   その契約だけの完了日は、見出しを「A-1 完了日」とした列を追加して記入します。",
        "4. 次のコマンドで契約ごとの確認表と「提出用一覧.xlsx」を作ります。",
        "   xltools fill 役割分担確認表.xlsx この回答ファイル.xlsx --out 出力フォルダ --name-pattern \"{facility}_{system}_役割分担確認表.xlsx\"",
        "",
        f"「{H_ID}」の列は、xltools が項目を見分けるためのものです。変更しないでください。",
    ]


__all__ = ["Answer", "Answers", "AnswersError", "Facility", "FillError",
           "FillResult", "Template", "TemplateError", "cell_edits", "fill",
           "load_answers", "open_template", "render", "write_example", "write_summary",
           "contract_mapping", "SUMMARY_NAME", "DEFAULT_PATTERN"]
