"""Decode stage: answer places -> answers (yes/no/na/blank) and ISO dates, for every form.

A locator says where each answer is written (:class:`xltools.forms.located.Place`);
:func:`read_form` reads them all the same way: typed words, dropdowns, ``○はい・いいえ`` and
bracketed words, struck or deleted words (:func:`decode_text`, :func:`decode_runs`), separate
はい・いいえ columns, then drawn ellipses, ○ text boxes and check boxes over the cells left open
(:func:`apply_drawn_marks`), and the dates (:func:`parse_date`, :func:`read_completed`).

Every decision here either is certain or says why it is not: decoders return a reason string
when they cannot decide, and the caller turns it into a blank answer plus a problem row. A guess
is never returned as an answer.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from xltools.text import _BRACKETS, _SPACE, cell_text, norm, remembered  # noqa: F401  (re-exported)
from xltools.xlsx.book import Run
from xltools.xlsx.cells import address

if TYPE_CHECKING:
    from xltools.forms.located import LocatedForm, Place

# --------------------------------------------------------------------------------------------
# vocabulary


@dataclass(frozen=True)
class Vocabulary:
    yes: frozenset[str]
    no: frozenset[str]
    na: frozenset[str]
    unanswered: frozenset[str]
    marks: frozenset[str]
    brackets: tuple[tuple[str, str], ...]
    # decoded text answers, memoised: a batch sees a few dozen distinct answer texts
    decoded: dict[str, Decoded] = field(default_factory=dict, compare=False, hash=False,
                                        repr=False)
    # the same by the answer words left once a date is taken out ("はい 2024/10/1" and
    # "はい 2025/1/8" are one entry): the texts are unique, their words are a handful
    by_words: dict[str, Decoded] = field(default_factory=dict, compare=False, hash=False,
                                         repr=False)
    # separate はい / いいえ columns by their two texts (None: no such column) -> (answer, raw)
    split: dict[tuple[str | None, str | None], tuple[Decoded, str]] = field(
        default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def from_mapping(cls, vocab: dict[str, Any]) -> Vocabulary:
        a = vocab.get("answers", {})

        def words(key: str) -> frozenset[str]:
            return frozenset(norm(str(w)) for w in a.get(key, []))

        brackets = tuple((b[0], b[1]) for b in (norm(x) for x in a.get("brackets", [])) if len(b) == 2)
        return cls(words("yes"), words("no"), words("na"), words("unanswered"),
                   frozenset(norm(str(m)) for m in a.get("marks", [])), brackets)


YES, NO, NA, BLANK = "yes", "no", "na", "blank"


@dataclass(frozen=True)
class Decoded:
    """An answer read from a cell: value, how it was read, and why not when undecidable."""

    answer: str  # yes | no | na | blank
    source: str  # text | dropdown | strike | mark | columns | shape | checkbox | empty
    reason: str = ""  # non-empty: the cell holds something we could not decide (Japanese)


# A date written inside an answer cell: "はい ( 10 / 1 )", "はい 2024/10/1", "いいえ R6.10.1".
_DATE_IN_TEXT = re.compile(
    r"\(\s*[0-9]{0,4}\s*[/.]?\s*[0-9]{0,2}\s*/\s*[0-9]{0,2}\s*\)"  # ( 10 / 1 ) or ( / )
    r"|(?:令和|平成|r|h)\s*(?:[0-9]{1,2}|元)\s*[年./-]\s*[0-9]{1,2}\s*[月./-]\s*[0-9]{1,2}\s*日?"
    r"(?:\s*\([月火水木金土日](?:曜日?)?\))?(?:\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?"
    r"|[0-9]{4}\s*[年./-]\s*[0-9]{1,2}\s*[月./-]\s*[0-9]{1,2}\s*日?"
    r"(?:\s*\([月火水木金土日](?:曜日?)?\))?(?:\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?"
    r"|[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日"
    r"|(?<![0-9])[0-9]{1,2}/[0-9]{1,2}(?![0-9/])"
)


@lru_cache(maxsize=16384)
def split_answer_and_date(text: str) -> tuple[str, str]:
    """Separate the answer words from a date written in the same cell (NFKC text in)."""
    t = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    low = t.lower()
    m = _DATE_IN_TEXT.search(low)
    if not m:
        return t, ""
    date = t[m.start():m.end()]
    rest = (t[:m.start()] + " " + t[m.end():]).strip()
    return rest, date


_YES_WORD, _NO_WORD = "はい", "いいえ"


_EMPTY = Decoded(BLANK, "empty")


def decode_text(value: Any, vocab: Vocabulary) -> Decoded:
    """Decode a typed, picked or edited answer cell."""
    if type(value) is str:  # most cells: a text already decoded ("" too: it decodes empty)
        got = vocab.decoded.get(value)
        if got is not None:
            return got
    if value is None or value == "":
        return _EMPTY
    if isinstance(value, bool):
        return Decoded(YES if value else NO, "text")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value == 1:
            return Decoded(YES, "text")
        if value == 0:
            return Decoded(NO, "text")
        return Decoded(BLANK, "text", "数値が入力されています")
    if isinstance(value, (dt.date, dt.datetime)):
        return Decoded(BLANK, "empty")  # a date in the answer cell: no answer word
    text = str(value)
    return remembered(vocab.decoded, text, _decode_words, text, vocab)


def _decode_words(text: str, vocab: Vocabulary) -> Decoded:
    rest, _date = split_answer_and_date(text)
    t = norm(rest)
    return remembered(vocab.by_words, t, _decode_normalised, t, vocab)


def _decode_normalised(t: str, vocab: Vocabulary) -> Decoded:
    """The answer of a cell's normalised words (its date already taken out)."""
    if not t:
        return Decoded(BLANK, "empty")
    if t in vocab.yes:
        return Decoded(YES, "text")
    if t in vocab.no:
        return Decoded(NO, "text")
    if t in vocab.na:
        return Decoded(NA, "text")
    marked = _marked_word(t, vocab)
    if marked is not None:
        return marked
    if t in vocab.unanswered or _only_both_words(t):
        return Decoded(BLANK, "empty")
    return Decoded(BLANK, "text", "はい・いいえ以外の記入です")


def _only_both_words(t: str) -> bool:
    """``はい・いいえ`` as printed, with any separator and an empty date bracket."""
    stripped = re.sub(r"[・/、,|\-\s()]+", "", t)
    return stripped == _YES_WORD + _NO_WORD


def _marked_word(t: str, vocab: Vocabulary) -> Decoded | None:
    """``○はい・いいえ``, ``はい・【いいえ】``, ``はい(○)・いいえ``: a mark or bracket picks a word.

    Both words present and exactly one of them marked -> that word. Both or neither marked
    while both are present -> undecidable. Returns None when the text is not of this kind.
    """
    y = t.find(_YES_WORD)
    n = t.find(_NO_WORD)
    if y < 0 and n < 0:
        return None
    words = [(YES, y, len(_YES_WORD)), (NO, n, len(_NO_WORD))]
    present = [(a, s, ln) for a, s, ln in words if s >= 0]
    chosen = set()
    for a, s, ln in present:
        before, after = t[:s], t[s + ln:]
        if before[-1:] in vocab.marks or after[:1] in vocab.marks:
            chosen.add(a)
        if (after.startswith("(") and after[1:2] in vocab.marks):
            chosen.add(a)
        for o, c in vocab.brackets:
            if before.endswith(o) and after.startswith(c):
                chosen.add(a)
    if len(present) == 1:
        a, s, ln = present[0]
        others = t[:s] + t[s + ln:]
        leftover = re.sub(r"[・/、,|\-()\[\]【】「」]", "", others)
        if not leftover or all(ch in vocab.marks for ch in leftover):
            return Decoded(a, "text")
        return Decoded(BLANK, "text", f"「{t}」の意味を確定できません")
    if len(chosen) == 1:
        return Decoded(chosen.pop(), "mark")
    if len(chosen) == 2:
        return Decoded(BLANK, "mark", "はい・いいえの両方に印があります")
    return None


def decode_runs(runs: list[Run]) -> Decoded | None:
    """A printed ``はい・いいえ`` where one word is struck through, or set apart by colour.

    Struck word = rejected, the other is the answer. A colour or bold difference alone does not
    tell which word was meant (people highlight both the chosen and the rejected word), so it is
    reported, not read.
    """
    text = "".join(r.text for r in runs)
    if _YES_WORD not in text or _NO_WORD not in text:
        return None
    yes_struck = _word_struck(runs, _YES_WORD)
    no_struck = _word_struck(runs, _NO_WORD)
    if yes_struck is None or no_struck is None:
        return Decoded(BLANK, "strike", "取り消し線が語の一部にだけ掛かっています")
    if yes_struck and not no_struck:
        return Decoded(NO, "strike")
    if no_struck and not yes_struck:
        return Decoded(YES, "strike")
    if yes_struck and no_struck:
        return Decoded(BLANK, "strike", "はい・いいえの両方に取り消し線があります")
    return Decoded(BLANK, "text", "はい・いいえの一方だけ色や太字が違いますが、どちらを選んだか確定できません")


def _word_struck(runs: list[Run], word: str) -> bool | None:
    """True when every character of the (first) word is struck, False when none, else None."""
    flags: list[bool] = []
    for r in runs:
        flags.extend([r.strike] * len(r.text))
    text = "".join(r.text for r in runs)
    # find the word as a whole: "いいえ" contains no "はい", but search "はい" outside "いいえ"
    start = _find_word(text, word)
    if start < 0:
        return False
    span = flags[start:start + len(word)]
    if all(span):
        return True
    if not any(span):
        return False
    return None


def _find_word(text: str, word: str) -> int:
    return text.find(word)


# --------------------------------------------------------------------------------------------
# dates

_ERA = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988}
_RE_ERA = re.compile(r"^(令和|平成|r|h)(元|[0-9]{1,2})[年./-]([0-9]{1,2})[月./-]([0-9]{1,2})日?$")
_RE_YMD = re.compile(r"^([0-9]{4})[年./-]([0-9]{1,2})[月./-]([0-9]{1,2})日?$")
_RE_MD = re.compile(r"^\(?([0-9]{1,2})(?:[/.]|月)([0-9]{1,2})日?\)?$")
_RE_EMPTY = re.compile(r"^\(?[/.月日年]*\)?$")
_RE_COMPACT = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_RE_ERA_YM = re.compile(r"^(令和|r)(元|[0-9]{1,2})年度?(?:中|末)?$")


@dataclass(frozen=True)
class DateRead:
    value: dt.date | None
    ok: bool  # False: something was written but could not be read
    year_inferred: bool = False


EXCEL_EPOCH = dt.date(1899, 12, 30)
_NO_DATE_READ = DateRead(None, True)  # nothing written (DateRead is frozen: one is enough)


def fiscal_year_of(month: int, fiscal_year: int) -> int:
    """Calendar year of a month in a Japanese fiscal year (April..March)."""
    return fiscal_year if month >= 4 else fiscal_year + 1


def parse_date(value: Any, fiscal_year: int | None) -> DateRead:
    """Read a date in any of the forms people write; a year-less date lands in ``fiscal_year``."""
    if value is None or value == "":
        return _NO_DATE_READ
    if isinstance(value, dt.datetime):
        return DateRead(value.date(), True)
    if isinstance(value, dt.date):
        return DateRead(value, True)
    if isinstance(value, bool):
        return DateRead(None, False)
    if isinstance(value, (int, float)):
        if 20000 < value < 80000:  # an Excel serial (1954..2119)
            return DateRead(EXCEL_EPOCH + dt.timedelta(days=int(value)), True)
        return DateRead(None, False)
    return _parse_date_text(str(value), fiscal_year)


# What people (and Excel's text export) write after a date: a time, a weekday. Both are taken
# off before whitespace goes ("2024/10/1 0:00:00" would otherwise read as "2024/10/10:00:00");
# a weekday that contradicts the date makes the date unreadable, never silently one of the two.
_RE_TIME_TAIL = re.compile(
    r"(?:(?<=[0-9日])[\sTt]+|(?<=\))\s*)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*$")
_RE_WEEKDAY_TAIL = re.compile(r"\s*(?:\(([月火水木金土日])(?:曜日?)?\)|([月火水木金土日])曜日?)\s*$")
_WEEKDAYS = "月火水木金土日"


def _date_tails(t: str) -> tuple[str, int | None]:
    """``t`` without a trailing time and weekday, and the weekday (0 = Monday) if written."""
    t = _RE_TIME_TAIL.sub("", t.strip())
    m = _RE_WEEKDAY_TAIL.search(t)
    if not m or m.start() == 0:
        return t, None
    return _RE_TIME_TAIL.sub("", t[:m.start()]), _WEEKDAYS.index(m.group(1) or m.group(2))


# The shapes nearly every written date takes, after NFKC and the bracket unification:
# 令和7年8月1日 / R7.8.1, 2024/10/1 / 2024年10月1日, ( 10 / 1 ), 10月1日 / 10/1. A text wholly of
# one of them holds nothing the slow path's tail, space and bracket steps change, so it is
# decided straight from the groups, the same as the slow path decides it (tests/test_decode_fast)
_QUICK_DATE = re.compile(
    r"(令和|平成|[rRhH])(元|[0-9]{1,2})[年./-]([0-9]{1,2})[月./-]([0-9]{1,2})日?"
    r"|([0-9]{4})[年./-]([0-9]{1,2})[月./-]([0-9]{1,2})日?"
    r"|\( *([0-9]{1,2}) *(?:[/.]|月) *([0-9]{1,2}) *日? *\)"
    r"|([0-9]{1,2})(?:[/.]|月)([0-9]{1,2})日?")


@lru_cache(maxsize=16384)
def _parse_date_text(text: str, fiscal_year: int | None) -> DateRead:
    """A written date: the common shapes (:data:`_QUICK_DATE`) read directly, the rest by
    :func:`_parse_date_text_slow` (dates are mostly unique texts, so this runs once a date)."""
    m = _QUICK_DATE.fullmatch(unicodedata.normalize("NFKC", text).translate(_BRACKETS))
    if m is None:
        return _parse_date_text_slow(text, fiscal_year)
    era, era_year, era_month, era_day, year, month, day, pm, pd, sm, sd = m.groups()
    if era is not None:
        y = _ERA[era.lower()] + (1 if era_year == "元" else int(era_year))
        v = _safe_date(y, int(era_month), int(era_day))
        return DateRead(v, v is not None)
    if year is not None:
        v = _safe_date(int(year), int(month), int(day))
        return DateRead(v, v is not None)
    mo, d = (int(pm), int(pd)) if pm is not None else (int(sm), int(sd))
    if fiscal_year and 1 <= mo <= 12:
        v = _safe_date(fiscal_year_of(mo, fiscal_year), mo, d)
        return DateRead(v, v is not None, year_inferred=True)
    return DateRead(None, False)


def _parse_date_text_slow(text: str, fiscal_year: int | None) -> DateRead:
    """Every way of writing a date: the reference :func:`_parse_date_text` falls back to."""
    t = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    t, weekday = _date_tails(t)
    t = _SPACE.sub("", t).lower().strip("。.")
    if not t or _RE_EMPTY.match(t):
        return DateRead(None, weekday is None)
    t = t.strip("()")
    got = _parse_text_date(t, fiscal_year)
    if weekday is not None and got.value is not None and got.value.weekday() != weekday:
        return DateRead(None, False)
    return got


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _parse_text_date(t: str, fiscal_year: int | None) -> DateRead:
    m = _RE_ERA.match(t)
    if m:
        era, yy, mo, d = m.groups()
        y = _ERA[era] + (1 if yy == "元" else int(yy))
        v = _safe_date(y, int(mo), int(d))
        return DateRead(v, v is not None)
    m = _RE_YMD.match(t)
    if m:
        v = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return DateRead(v, v is not None)
    m = _RE_COMPACT.match(t)
    if m:
        v = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return DateRead(v, v is not None)
    m = _RE_MD.match(t)
    if m and fiscal_year:
        mo, d = int(m.group(1)), int(m.group(2))
        if 1 <= mo <= 12:
            v = _safe_date(fiscal_year_of(mo, fiscal_year), mo, d)
            return DateRead(v, v is not None, year_inferred=True)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[t ][0-9:]+", t):
        v = _safe_date(int(t[:4]), int(t[5:7]), int(t[8:10]))
        return DateRead(v, v is not None)
    return DateRead(None, False)


def iso(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


# -- dates of a table (no fiscal year printed: a year-less date is not guessed) -------------

NO_DATE_WORDS = frozenset({"-", "ー", "―", "なし", "無し", "不要", "該当なし", "未定", "n/a", "na"})


def read_date_text(raw: Any) -> tuple[DateRead, bool]:
    """A date as written (no fiscal year known). Returns (read, year_missing): a month/day
    without a year is not guessed here; the caller decides what year it belongs to."""
    got = parse_date(raw, None)
    if got.value is not None or got.ok:
        return got, False
    probe = parse_date(raw, 2003)  # a leap February: any month/day is valid
    if probe.value is not None and probe.year_inferred:
        return DateRead(None, False), True
    return got, False


def month_day(raw: Any) -> tuple[int, int] | None:
    probe = parse_date(raw, 2003)
    if probe.value is not None and probe.year_inferred:
        return probe.value.month, probe.value.day
    return None


def first_on_or_after(md: tuple[int, int], start: dt.date) -> dt.date:
    """The first ``month/day`` on or after ``start`` (a 29 February waits for a leap year)."""
    for year in range(start.year, start.year + 8):
        try:
            d = dt.date(year, *md)
        except ValueError:
            continue
        if d >= start:
            return d
    raise ValueError(md)


@dataclass
class SheetDate:
    """A date read from one cell (a table's 初回確認, 完了日), where, and why not when unread."""

    value: dt.date | None = None
    cell: str = ""
    raw: str = ""
    problem: str = ""  # "" | "unreadable" | "no_year"


def date_value(raw_value: Any) -> SheetDate:
    """A full date as written; a month/day without a year is ``no_year``, never guessed."""
    if isinstance(raw_value, (dt.date, dt.datetime, int, float)) and not isinstance(raw_value, bool):
        got = parse_date(raw_value, None)
        return SheetDate(got.value, raw=cell_text(raw_value),
                         problem="" if got.value or got.ok else "unreadable")
    text = str(raw_value or "")
    got, no_year = read_date_text(text)
    if got.value is not None:
        return SheetDate(got.value, raw=text)
    if no_year:
        return SheetDate(None, raw=text, problem="no_year")
    return SheetDate(None, raw=text, problem="" if got.ok else "unreadable")


def read_completed(value: Any, after: dt.date | None) -> SheetDate:
    """A 完了日: a full date as written; a month/day is the first such day on or after
    ``after`` (the sheet's 初回確認), ``no_year`` without one; 「なし」「-」 is no date."""
    raw = cell_text(value)
    if norm(raw) in NO_DATE_WORDS:
        return SheetDate(None, raw=raw)
    got = date_value(value)
    if got.value is not None:
        return SheetDate(got.value, raw=raw)
    if got.problem == "no_year":
        md = month_day(value)
        if md and after is not None:
            return SheetDate(first_on_or_after(md, after), raw=raw)
    return SheetDate(None, raw=raw, problem=got.problem)


# --------------------------------------------------------------------------------------------
# a located sheet -> answer rows


@dataclass
class Slot:
    """One answer place (:class:`xltools.forms.located.Place`) as read: the answer decided
    from its cells (then from drawn marks), its dates, and the raw text and cells kept."""

    item_id: str
    scope: str
    round: int
    row: int
    decoded: Decoded
    raw: str
    cell: str
    checked: DateRead
    raw_date: str = ""
    date_cell: str = ""
    target: DateRead = DateRead(None, True)
    raw_target: str = ""
    target_cell: str = ""
    answer_cells: tuple[tuple[int, int], ...] = ()
    roles: tuple[str, ...] = ()
    ref: str = ""  # the item's number as the answer row names it
    item_cell: str = ""  # the item's own cell, named when there is no answer cell
    completed: SheetDate | None = None  # 完了日 (contract table)
    dated_only_if_answered: bool = False  # a table shows no date on an unanswered row


SLOT_ORDER = ("item_id", "scope", "round", "row", "decoded", "raw", "cell", "checked", "raw_date",
              "date_cell", "target", "raw_target", "target_cell", "answer_cells", "roles", "ref",
              "item_cell", "completed", "dated_only_if_answered")  # as read_place passes them


def _cell_value(sheet: Any, row: int, col: int) -> tuple[Any, tuple[int, int]]:
    r, c = sheet.merged_origin(row, col)
    return sheet.value(r, c), (r, c)


def _decode_split(sheet: Any, row: int, yes_col: int | None, no_col: int | None,
                  vocab: Vocabulary) -> tuple[Decoded, str, str, tuple[tuple[int, int], ...]]:
    """Separate はい and いいえ columns: a mark under one of them is the answer (decided once
    per pair of cell texts, :func:`_split_answer`: a batch writes a handful of marks)."""
    cells = []
    yes_raw = no_raw = None
    if yes_col is not None:
        value, rc = _cell_value(sheet, row, yes_col)
        cells.append(rc)
        yes_raw = cell_text(value)
    if no_col is not None:
        value, rc = _cell_value(sheet, row, no_col)
        cells.append(rc)
        no_raw = cell_text(value)
    decoded, raw = remembered(vocab.split, (yes_raw, no_raw), _split_answer, yes_raw, no_raw,
                              vocab)
    return decoded, raw, ":".join(_addr(*rc) for rc in cells), tuple(cells)


def _split_answer(yes_raw: str | None, no_raw: str | None, vocab: Vocabulary
                  ) -> tuple[Decoded, str]:
    """The answer of the はい and いいえ columns' texts (None: no such column), and the raw
    text the answer row shows."""
    marked = {}
    raws = []
    for role, raw in (("yes", yes_raw), ("no", no_raw)):
        if raw is None:
            continue
        raws.append(f"{'はい' if role == 'yes' else 'いいえ'}欄:{raw}")
        t = norm(raw)
        if not t:
            marked[role] = False
        elif t in vocab.marks or t in vocab.yes or t in ("はい", "いいえ"):
            marked[role] = True
        else:
            marked[role] = None  # something, but not a mark
    raw = " / ".join(raws)
    if None in marked.values():
        return Decoded(BLANK, "columns", "はい・いいえ欄に印以外の記入があります"), raw
    if marked.get("yes") and marked.get("no"):
        return Decoded(BLANK, "columns", "はい・いいえの両方の欄に印があります"), raw
    if marked.get("yes"):
        return Decoded(YES, "columns"), raw
    if marked.get("no"):
        return Decoded(NO, "columns"), raw
    return Decoded(BLANK, "empty"), raw


_addr = lru_cache(maxsize=65536)(address)



def read_place(sheet: Any, place: Place, vocab: Vocabulary) -> Slot:
    """Read one answer place, whatever the form: the one answer cell (typed, dropdown,
    ○-prefixed, bracketed, struck or deleted word) or the separate はい・いいえ columns, then
    its dates. Drawn marks come after, over every slot of the sheet (:func:`read_form`).

    One call per answer (a file has dozens): each cell is read once, its merge origin once."""
    row = place.row
    col = place.answer
    if col is not None:
        r, c = sheet.merged_origin(row, col)
        value = sheet.value(r, c)
        raw = value if type(value) is str else cell_text(value)
        decoded = _decode_cell_value(sheet, r, c, value, vocab)
        cell, cells = _addr(r, c), ((r, c),)
        roles: tuple[str, ...] = _BOTH_ROLE
        if place.tick:  # a check column: a lone mark means yes, unless はい・いいえ is printed
            text = str(value or "")
            roles = _BOTH_ROLE if _YES_WORD in text and _NO_WORD in text else _YES_ROLE
    else:
        decoded, raw, cell, cells = _decode_split(sheet, row, place.yes, place.no, vocab)
        roles = tuple(role for role, col in (("yes", place.yes), ("no", place.no))
                      if col is not None)
    checked, raw_date, date_cell, target, raw_target, target_cell = _dates_of(
        sheet, place, raw, cell, decoded.answer != BLANK)
    completed = None
    if place.completed is not None:
        completed = _completed_of(sheet, place)
    # positional, in SLOT_ORDER (a keyword call costs twice as much; one slot per answer)
    return Slot(place.item_id, place.scope, place.round, row, decoded, raw, cell, checked,
                raw_date, date_cell, target, raw_target, target_cell, cells, roles, place.ref,
                place.item_cell, completed, place.dated_only_if_answered)


_BOTH_ROLE, _YES_ROLE = ("both",), ("yes",)


def _decode_cell_value(sheet: Any, r: int, c: int, value: Any, vocab: Vocabulary) -> Decoded:
    """The answer of one answer cell's value: struck or coloured runs can only decide a cell
    printing both words (:func:`decode_runs`), so the package's rich text is looked up only
    then; else the typed value, then whether it was picked from a dropdown."""
    if isinstance(value, str) and _YES_WORD in value and _NO_WORD in value:
        runs = sheet.rich_runs(r, c)
        if runs:
            got = decode_runs(runs)
            if got is not None:
                return got
    return _as_dropdown(sheet, r, c, decode_text(value, vocab))


_DROPDOWN: dict[Decoded, Decoded] = {}


def _as_dropdown(sheet: Any, r: int, c: int, got: Decoded) -> Decoded:
    """A typed answer in a cell with a list validation was picked from the dropdown."""
    if got.source == "text" and got.answer != BLANK and sheet.has_list_validation(r, c):
        return remembered(_DROPDOWN, got, Decoded, got.answer, "dropdown", got.reason)
    return got


def _dates_of(sheet: Any, place: Place, raw: str, cell: str, answered: bool
              ) -> tuple[DateRead, str, str, DateRead, str, str]:
    """A place's 確認日 (its date cell, a date written in the answer cell, or the sheet's one
    date) and 目標日, each as (read, raw text, cell)."""
    checked, raw_date, date_cell = _NO_DATE_READ, "", ""
    given = place.given_date
    if given is not None:
        checked = DateRead(given.value, not given.problem)
        raw_date, date_cell = given.raw, given.cell
    if place.date is not None:
        checked, raw_date, date_cell = _date_cell(sheet, place.row, place.date, place.fiscal_year)
    if place.date_in_answer and checked.value is None and checked.ok and raw:
        date_text = split_answer_and_date(raw)[1]
        if date_text:  # text (what parse_date does with a text)
            checked = _parse_date_text(date_text, place.fiscal_year)
            if checked.value is not None or not checked.ok:
                raw_date, date_cell = date_text, cell
    target, raw_target, target_cell = _NO_DATE_READ, "", ""
    if place.target is not None and (place.target_always or answered):
        target, raw_target, target_cell = _date_cell(sheet, place.row, place.target,
                                                     place.target_fiscal_year)
    return checked, raw_date, date_cell, target, raw_target, target_cell


def _date_cell(sheet: Any, row: int, col: int, fiscal_year: int | None
               ) -> tuple[DateRead, str, str]:
    """One date cell of a row (through its merge): (read, raw text, cell address)."""
    r, c = sheet.merged_origin(row, col)
    value = sheet.value(r, c)
    if type(value) is str:  # "" in most date cells of an unanswered form: nothing to parse
        read = _parse_date_text(value, fiscal_year) if value else _NO_DATE_READ
        return read, value, _addr(r, c)
    return parse_date(value, fiscal_year), cell_text(value), _addr(r, c)


def _completed_of(sheet: Any, place: Place) -> SheetDate:
    """A table's 完了日, a month/day placed after the sheet's 初回確認 (``given_date``)."""
    value, (r, c) = _cell_value(sheet, place.row, place.completed)
    given = place.given_date
    got = read_completed(value, given.value if given is not None else None)
    got.cell = _addr(r, c)
    return got


def read_form(located: LocatedForm, vocab: Vocabulary
              ) -> tuple[list[list[Slot]], list[tuple[str, MarkNote]]]:
    """Decode every answer place of a located form, part by part (sheet by sheet): cells
    first, then drawn marks for the slots the cells left open. Returns the slots of each part
    and the drawing layer's findings as (sheet name, note)."""
    slots: list[list[Slot]] = []
    notes: list[tuple[str, MarkNote]] = []
    for part in located.parts:
        got = [read_place(part.sheet, p, vocab) for p in part.places]
        notes += [(part.sheet.name, n) for n in apply_drawn_marks(part.sheet, got, part.item_rows)]
        slots.append(got)
    return slots, notes


# --------------------------------------------------------------------------------------------
# drawn marks: ellipses, ○ text boxes and check boxes over the answer cells


class MarkNote(NamedTuple):
    """A finding of the drawing layer, before it becomes a problem row."""

    code: str  # mark.stray | mark.drawing_unreadable
    cell: str
    detail: str


UNDECIDED_MARK = "印の位置から回答を確定できません"


def apply_drawn_marks(sheet: Any, slots: list[Slot], item_rows: list[int]) -> list[MarkNote]:
    """Let drawn marks decide the slots their cells left open; the one place for every form.

    A slot whose cells hold nothing decisive (blank, or the printed ``はい・いいえ``) is decided
    by the ellipse, ○ text box or checked box over one of its words
    (:func:`xltools.xlsx.drawings.read_slots_with_issues`); marks that are not clearly over
    one word leave it blank with the reason. A mark inside the item table (between the first
    and last of ``item_rows``) but over no answer cell is reported (``mark.stray``): most
    likely an answer drawn a row or a column off, which must not vanish silently. A drawing
    part that cannot be read is reported (``mark.drawing_unreadable``): answers may hide in it.
    """
    book = sheet.book
    if book is not None and book.kind in ("xls", "ods") and sheet.has_unread_shapes():
        return [MarkNote("mark.drawing_unreadable", "", f".{book.kind} の図形・チェックボックス"
                         "は読み取りの対象外です。.xlsx で保存し直して送ってもらってください")]
    if book is None or book.kind != "xlsx" or sheet.part is None or book.zip is None:
        return []
    from xltools.xlsx import drawings

    if not drawings.sheet_has_drawings(book.zip, sheet.part):
        return []
    open_slots = [s for s in slots if s.answer_cells and s.decoded.answer == BLANK
                  and not s.decoded.reason]
    asks = [drawings.AnswerSlot(key=n, cells=s.answer_cells, roles=s.roles,
                                texts=tuple(cell_text(sheet.value(r, c)) for r, c in s.answer_cells))
            for n, s in enumerate(open_slots)]
    readings, stray, unreadable = drawings.read_slots_with_issues(book.zip, sheet.part, asks,
                                                                  sheet.merged)
    for n, reading in readings.items():
        s = open_slots[n]
        s.decoded = (Decoded(reading.answer, reading.source) if reading.answer is not None else
                     Decoded(BLANK, reading.source, reading.detail or UNDECIDED_MARK))
    notes = [MarkNote("mark.drawing_unreadable", "", issue) for issue in unreadable]
    if item_rows:
        first, last = min(item_rows), max(item_rows)
        notes += [MarkNote("mark.stray", address(m.row, m.col), f"{m.kind} {m.name}".strip())
                  for m in stray if first <= m.row <= last and (m.kind != "checkbox" or m.checked)]
    return notes
