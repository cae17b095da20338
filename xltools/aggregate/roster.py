"""Facility rosters and facility-name matching.

A roster is the list of facilities a prefecture, health centre or hospital group expects forms
from. It comes as CSV (UTF-8 with or without BOM, UTF-16, CP932 or EUC-JP: see
:func:`decode_roster`) or xlsx, with columns found by their
Japanese or English header names (see :data:`HEADER_ALIASES`); the header row need not be the
first row.

Names written in forms and rosters differ in width, spaces, legal-form words (医療法人社団,
株式会社, ㈱ ...) and kanji variants. :func:`normalize_name` removes those differences.
:class:`NameIndex` matches a (name, code) pair against a set of known facilities:

1. ``code``: the facility code is equal (digits compared without leading zeros);
2. ``name``: the name is equal after NFKC and removing spaces;
3. ``normalized``: the name is equal after :func:`normalize_name` (or the part after the legal
   entity's name: ``医療法人社団桜会 さくら病院`` -> ``さくら病院``);
4. ``none``: no match. Similar names (rapidfuzz) and names differing only in the trailing
   病院/医院/クリニック/診療所 are returned as *near-miss candidates* with a score: they are
   reported for a person to decide, never merged.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process

from xltools.errors import UsageError

ROSTER_COLUMNS: dict[str, str] = {
    "roster_id": "名簿ID",
    "facility_code": "医療機関コード",
    "name": "名称",
    "kind": "種別",
    "area": "保健所・地域",
    "group": "法人・グループ",
    "row": "名簿の行",
}

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "facility_code": ("医療機関コード", "施設コード", "機関コード", "薬局コード", "医療機関番号",
                      "コード", "code", "facility_code", "facilitycode"),
    "name": ("医療機関名", "医療機関名称", "施設名", "施設名称", "薬局名", "名称", "機関名",
             "名前", "name", "facility_name", "facilityname"),
    "kind": ("種別", "施設種別", "医療機関種別", "区分", "kind", "type"),
    "area": ("保健所", "管轄保健所", "保健所名", "地域", "圏域", "二次医療圏", "area", "region"),
    "group": ("法人", "法人名", "グループ", "グループ名", "group", "corporation"),
}

KIND_ALIASES: dict[str, str] = {
    "病院": "病院", "hospital": "病院",
    "診療所": "診療所", "医科診療所": "診療所", "歯科診療所": "診療所", "クリニック": "診療所",
    "clinic": "診療所", "一般診療所": "診療所",
    "薬局": "薬局", "pharmacy": "薬局", "保険薬局": "薬局",
}

NEAR_MISS_CUTOFF = 75.0


class RosterError(UsageError, ValueError):
    """The roster cannot be used; the message names the file and what to fix."""


# --------------------------------------------------------------------------------------------
# name normalisation

# Longest first, so 医療法人社団 is removed before 医療法人.
_LEGAL_FORMS: tuple[str, ...] = tuple(sorted((
    "地方独立行政法人", "独立行政法人", "国立研究開発法人", "国立大学法人", "公立大学法人",
    "社会医療法人財団", "社会医療法人社団", "社会医療法人", "特定医療法人", "特別医療法人",
    "医療法人社団", "医療法人財団", "医療法人", "一般社団法人", "公益社団法人", "社団法人",
    "一般財団法人", "公益財団法人", "財団法人", "社会福祉法人", "学校法人", "宗教法人",
    "医療生活協同組合", "生活協同組合", "株式会社", "有限会社", "合同会社", "合資会社",
    "合名会社", "(株)", "(有)", "(医)", "(医社)", "(医財)", "(社医)", "(社)", "(財)",
    "(福)", "(学)", "(独)", "(合)", "(同)",
), key=len, reverse=True))

# Trailing words naming the kind of facility; two names differing only here are near-misses.
_SUFFIXES: tuple[str, ...] = tuple(sorted((
    "病院", "医院", "クリニック", "診療所", "歯科医院", "歯科クリニック", "歯科診療所",
    "薬局", "調剤薬局",
), key=len, reverse=True))

_CHAR_MAP = str.maketrans({
    "（": "(", "）": ")", "ヶ": "ケ", "ヵ": "カ", "髙": "高", "﨑": "崎", "濵": "浜", "濱": "浜",
    "邉": "辺", "邊": "辺", "齋": "斎", "齊": "斉", "廣": "広", "櫻": "桜", "澤": "沢",
    "-": "ー", "‐": "ー", "‑": "ー", "−": "ー", "―": "ー", "─": "ー", "–": "ー", "—": "ー",
})
_DROP = re.compile(r"[\s\u3000\u200b\ufeff・･.,、。\"'「」『』]+")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).translate(_CHAR_MAP)


def plain_name(name: str) -> str:
    """NFKC, no whitespace, lower-case Latin: the ``name`` match key."""
    return re.sub(r"[\s\u3000\u200b\ufeff]+", "", unicodedata.normalize("NFKC", str(name or ""))).lower()


def _strip_legal(text: str) -> tuple[str, bool]:
    found = False
    for form in _LEGAL_FORMS:
        if form in text:
            text = text.replace(form, " ")
            found = True
    return text, found


def normalize_name(name: str) -> str:
    """The ``normalized`` match key: NFKC, kanji variants, no legal-form words, no spaces."""
    text, _ = _strip_legal(_nfkc(name))
    return _DROP.sub("", text).lower()


def facility_part(name: str) -> str:
    """The facility's own name when a legal entity's name precedes it, else ``""``.

    ``医療法人社団 桜会 さくら病院`` -> ``さくら病院``: the last space-separated part, taken only
    when a legal-form word was present and the part ends with a facility word (病院 ...).
    """
    text, found = _strip_legal(_nfkc(name))
    parts = [p for p in re.split(r"[\s\u3000]+", text) if p]
    if not found or len(parts) < 2:
        return ""
    last = _DROP.sub("", parts[-1]).lower()
    return last if any(last.endswith(s) for s in _SUFFIXES) and last not in _SUFFIXES else ""


def name_stem(key: str) -> str:
    """A normalised name without its trailing facility word (病院, クリニック ...)."""
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def normalize_code(code: str) -> str:
    """Facility codes compared as NFKC alphanumerics; digit-only codes without leading zeros."""
    text = re.sub(r"[^0-9A-Za-z]", "", unicodedata.normalize("NFKC", str(code or "")))
    if text.isdigit():
        text = text.lstrip("0") or "0"
    return text.upper()


def normalize_kind(kind: str) -> str:
    """病院 / 診療所 / 薬局 when recognisable, else the text as written (NFKC, trimmed)."""
    text = unicodedata.normalize("NFKC", str(kind or "")).strip()
    return KIND_ALIASES.get(text.lower(), KIND_ALIASES.get(text, text))


# --------------------------------------------------------------------------------------------
# matching


@dataclass(frozen=True)
class Candidate:
    """A near-miss: a known facility whose name is similar but not equal."""

    target_id: str
    name: str
    score: float
    reason: str

    def label(self) -> str:
        return f"{self.name}（{self.score:.0f}・{self.reason}）"


@dataclass(frozen=True)
class Match:
    """How one (name, code) pair matched: ``target_id`` is ``""`` when ``method`` is none."""

    target_id: str
    method: str  # code | name | normalized | none
    score: float
    candidates: tuple[Candidate, ...] = ()

    @property
    def matched(self) -> bool:
        return self.method != "none"

    def near_misses(self) -> str:
        return "、".join(c.label() for c in self.candidates)


@dataclass
class _Target:
    id: str
    name: str
    code: str
    plain: str
    key: str
    alt: str


@dataclass
class NameIndex:
    """Known facilities to match names and codes against (grows with :meth:`add`)."""

    targets: dict[str, _Target] = field(default_factory=dict)

    @classmethod
    def from_records(cls, records: Iterable[tuple[str, str, str]]) -> NameIndex:
        """Build from ``(id, name, code)`` triples."""
        index = cls()
        for target_id, name, code in records:
            index.add(target_id, name, code)
        return index

    def add(self, target_id: str, name: str, code: str = "") -> None:
        self.targets[target_id] = _Target(
            target_id, str(name or ""), normalize_code(code) if code else "",
            plain_name(name), normalize_name(name), facility_part(name))

    def _by(self, attr: str, value: str) -> list[_Target]:
        if not value:
            return []
        return [t for t in self.targets.values() if getattr(t, attr) == value]

    def match(self, name: str, code: str = "", *, limit: int = 3,
              cutoff: float = NEAR_MISS_CUTOFF) -> Match:
        """Match by code, else exact name, else normalised name; else near-misses only."""
        qcode = normalize_code(code) if code else ""
        by_code = self._by("code", qcode)
        if len(by_code) == 1:
            return Match(by_code[0].id, "code", 100.0)
        key, alt = normalize_name(name), facility_part(name)
        for method, found in (("name", self._by("plain", plain_name(name))),
                              ("normalized", self._by("key", key)),
                              ("normalized", self._by("alt", key) + self._by("key", alt))):
            found = list({t.id: t for t in found}.values())
            if len(found) == 1 and not _code_conflict(qcode, found[0]):
                return Match(found[0].id, method, 100.0)
            if found:
                return Match("", "none", 0.0, self._conflicts(found, qcode))
        return Match("", "none", 0.0, self._near(key, limit, cutoff))

    @staticmethod
    def _conflicts(found: list[_Target], qcode: str) -> tuple[Candidate, ...]:
        reason = "同名が複数" if len(found) > 1 else "コードが異なる"
        return tuple(Candidate(t.id, t.name, 100.0, reason) for t in found)

    def _near(self, key: str, limit: int, cutoff: float) -> tuple[Candidate, ...]:
        if not key or not self.targets:
            return ()
        found: dict[str, Candidate] = {}
        stem = name_stem(key)
        for t in self.targets.values():
            if stem and name_stem(t.key) == stem and t.key != key:
                found[t.id] = Candidate(t.id, t.name, 95.0, "末尾の種別名が異なる")
        choices = {t.id: t.key for t in self.targets.values() if t.key}
        for _, score, tid in process.extract(key, choices, scorer=fuzz.WRatio,
                                             limit=limit + len(found), score_cutoff=cutoff):
            if tid not in found:
                found[tid] = Candidate(tid, self.targets[tid].name, round(float(score), 1),
                                       "名称が類似")
        ranked = sorted(found.values(), key=lambda c: (-c.score, c.name))
        return tuple(ranked[:limit])


def _code_conflict(qcode: str, target: _Target) -> bool:
    return bool(qcode and target.code and qcode != target.code)


# --------------------------------------------------------------------------------------------
# loading


def _header_key(text: object) -> str:
    return plain_name(str(text if text is not None and not _isna(text) else ""))


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _assign_headers(headers: list[str]) -> dict[str, int]:
    """Which column holds which roster field: exact alias first, then an alias inside."""
    keys = [_header_key(h) for h in headers]
    found: dict[str, int] = {}
    for exact in (True, False):
        for fld, aliases in HEADER_ALIASES.items():
            if fld in found:
                continue
            for i, k in enumerate(keys):
                if i in found.values() or not k or "カナ" in k or "フリガナ" in k:
                    continue
                if any((k == plain_name(a)) if exact else (plain_name(a) in k) for a in aliases):
                    found[fld] = i
                    break
    return found


def _read_raw(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        engine = "openpyxl" if suffix in (".xlsx", ".xlsm") else "calamine"
        try:
            return pd.read_excel(path, header=None, dtype=str, sheet_name=0, engine=engine)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a roster error
            raise RosterError(f"{path}: 名簿を読めません（{exc}）") from exc
    text, encoding = decode_roster(path.read_bytes(), path)
    frame = _csv_frame(text)
    frame.attrs["encoding"] = encoding
    return frame


# --------------------------------------------------------------------------------------------
# CSV encodings

#: how each encoding is named to the user
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（BOM 付き）", "utf-16-le": "UTF-16 LE",
                  "utf-16-be": "UTF-16 BE", "cp932": "Shift_JIS（CP932）", "euc_jp": "EUC-JP"}
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_NAME_HEADERS = tuple(plain_name(a) for a in HEADER_ALIASES["name"] if not a.isascii())


def decode_roster(data: bytes, path: Path | str = "") -> tuple[str, str]:
    """A CSV roster's text and the encoding it was written in.

    A byte-order mark decides (UTF-8, UTF-16 LE/BE). Otherwise UTF-8 when the bytes are valid
    UTF-8, UTF-16 when they hold NUL bytes; else Shift_JIS (CP932) or EUC-JP: many EUC-JP
    files are also valid CP932 bytes (read as half-width kana and stray kanji), so when both
    decode, the one whose text names a facility-name column, then the one that reads as
    ordinary Japanese, wins. Bytes that none of these decode raise :class:`RosterError`
    saying the encoding is the problem.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding.replace("-sig", "")), encoding
            except UnicodeDecodeError as exc:
                raise _encoding_error(path, f"{ENCODING_NAMES[encoding]} の BOM がありますが、"
                                      f"{exc.start} バイト目から先がその文字コードではありません") from exc
    candidates = ("utf-16-le", "utf-16-be") if b"\x00" in data else ("utf-8", "cp932", "euc_jp")
    texts: list[tuple[str, str]] = []
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" or "\x00" not in text:
            texts.append((text, encoding))
        if encoding == "utf-8":
            break
    if not texts:
        raise _encoding_error(path, "UTF-8・UTF-16・Shift_JIS（CP932）・EUC-JP のいずれとしても"
                              "読めません")
    return max(texts, key=lambda te: (_names_column(te[0]), _japanese_score(te[0])))


def _encoding_error(path: Path | str, why: str) -> RosterError:
    return RosterError(f"{path}: 名簿の文字コードを判別できません（{why}）。Excel の「CSV UTF-8"
                       "（コンマ区切り）」で保存し直すか、xlsx のまま指定してください。")


def _names_column(text: str) -> bool:
    head = plain_name(text[:4096])
    return any(h in head for h in _NAME_HEADERS)


def _japanese_score(text: str) -> float:
    """Share of the non-ASCII characters that ordinary Japanese text is made of.

    Half-width kana count little and private-use or control characters not at all: that is
    what EUC-JP bytes read as CP932 (or UTF-16 read in the wrong byte order) look like.
    """
    total = good = 0.0
    for ch in text[:20000]:
        o = ord(ch)
        if o < 0x80:
            continue
        total += 1
        if (0x3000 <= o <= 0x30FF or 0x4E00 <= o <= 0x9FFF or 0xFF01 <= o <= 0xFF5E
                or 0x2010 <= o <= 0x226B or 0x3200 <= o <= 0x33FF):
            good += 1
        elif 0xFF61 <= o <= 0xFF9F:
            good += 0.3
    return good / total if total else 1.0


def _csv_frame(text: str) -> pd.DataFrame:
    """CSV text as a frame of strings; rows may be ragged (title lines above the header)."""
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))  # blank lines kept: row numbers
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def looks_like_roster(rows: Iterable[Iterable[object]]) -> bool:
    """True when one of the first 20 rows is a roster's header: a facility-name column and
    at least two of code, kind, area, group, each header exactly one of their names (a
    form's label rows never hold those side by side)."""
    exact = {fld: {plain_name(a) for a in aliases} for fld, aliases in HEADER_ALIASES.items()}
    for r, row in enumerate(rows):
        if r >= 20:
            break
        keys = {_header_key(v) for v in row if v not in (None, "")}
        found = {fld for fld, names in exact.items() if keys & names}
        if "name" in found and len(found) >= 3:
            return True
    return False


def load_roster(path: str | Path) -> pd.DataFrame:
    """Read a roster file into a frame with :data:`ROSTER_COLUMNS` (+ its other columns).

    The header row is the first of the top 20 rows that names a facility-name column. Rows
    without a name are skipped. Raises :class:`RosterError` naming the file and the fix.
    """
    path = Path(path)
    if not path.exists():
        raise RosterError(f"{path}: 名簿ファイルが見つかりません。")
    raw = _read_raw(path)
    encoding = raw.attrs.get("encoding")
    raw = raw.fillna("")
    for r in range(min(20, len(raw))):
        headers = [str(v) for v in raw.iloc[r].tolist()]
        cols = _assign_headers(headers)
        if "name" in cols:
            return roster_frame(raw.iloc[r + 1:], headers, cols, first_row=r + 2)
    read_as = (f"（文字コード {ENCODING_NAMES[encoding]} として読みました。文字化けしている場合は"
               "「CSV UTF-8（コンマ区切り）」で保存し直してください）") if encoding else ""
    raise RosterError(
        f"{path}: 名称の列が見つかりません。見出しに「医療機関名」「施設名」「名称」"
        f"または name を含む列を用意してください{read_as}。")


def roster_frame(body: pd.DataFrame, headers: list[str], cols: dict[str, int],
                 first_row: int = 2) -> pd.DataFrame:
    """Shape rows of a roster table (already split from its header) into the roster frame."""
    rows = []
    for n, values in enumerate(body.itertuples(index=False)):
        values = ["" if _isna(v) else str(v).strip() for v in values]
        rec = {fld: values[i] if i < len(values) else "" for fld, i in cols.items()}
        if not rec.get("name"):
            continue
        rec["kind"] = normalize_kind(rec.get("kind", ""))
        if re.fullmatch(r"\d+\.0", rec.get("facility_code", "")):
            rec["facility_code"] = rec["facility_code"][:-2]  # a code read as a number
        rec["row"] = first_row + n
        for i, h in enumerate(headers):
            h = str(h).strip()
            if i not in cols.values() and h and h not in ROSTER_COLUMNS and i < len(values):
                rec[h] = values[i]
        rows.append(rec)
    return _finish(pd.DataFrame.from_records(rows))


def make_roster(records: list[dict[str, str]]) -> pd.DataFrame:
    """A roster frame from dicts with the roster field names (for callers and tests)."""
    return _finish(pd.DataFrame.from_records(records))


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    for c in ROSTER_COLUMNS:
        if c not in df.columns:
            df[c] = "" if c != "row" else range(2, len(df) + 2)
    df["kind"] = df["kind"].map(normalize_kind)
    codes = df["facility_code"].fillna("").astype(str)
    norm = codes.map(lambda c: normalize_code(c) if c else "")
    unique = norm.ne("") & ~norm.duplicated(keep=False)
    df["roster_id"] = [f"C{c}" if u else f"R{i + 1}"
                       for i, (c, u) in enumerate(zip(norm, unique, strict=True))]
    extra = [c for c in df.columns if c not in ROSTER_COLUMNS]
    df = df[list(ROSTER_COLUMNS) + extra].reset_index(drop=True)
    for c in df.columns:
        if c != "row":
            df[c] = df[c].fillna("").astype(str)
    return df


def resolve_column(roster: pd.DataFrame | None, name: str) -> str:
    """The roster (or facility) column a user named, by field name or Japanese header."""
    key = plain_name(name)
    for fld, aliases in HEADER_ALIASES.items():
        if key == fld or key in (plain_name(a) for a in aliases):
            return fld
    if key in ("kind", "種別"):
        return "kind"
    if roster is not None:
        for c in roster.columns:
            if plain_name(c) == key:
                return str(c)
    if key == "edition" or key == "年度版":
        return "edition"
    raise RosterError(
        f"集計の単位「{name}」に当たる列がありません。group / area / kind または名簿の見出しを指定してください。")


def inputs_without_roster(inputs: Iterable[str | Path], roster: str | Path | None) -> list[str]:
    """``inputs`` as given, but with the roster file left out when it lies in one of the
    folders read (a roster kept beside the returned forms is not a form to report)."""
    given = [str(p) for p in inputs]
    if not roster:
        return given
    target = Path(roster).resolve()
    inside = any(Path(p).is_dir() and target.is_relative_to(Path(p).resolve()) for p in given)
    if not inside:
        return [p for p in given if Path(p).resolve() != target]
    from xltools.pipeline import expand_inputs

    return [p for p in expand_inputs(given) if Path(p).resolve() != target]
