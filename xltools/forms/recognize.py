"""Recognition: which form, variant and edition a sheet is, and how sure we are.

Sheet names mean nothing (``Sheet1``, ``回答``, even a wrong ``…確認用``): only what is printed
in the sheet counts. Evidence, strongest first:
- the edition printed in the title area (``令和6年度版``);
- the set of items found and how many device rows each has (R5 vs R6), and the numbering
  style (``2-(4)`` vs ``2-④``);
- the variant label (``事業者確認用``…) and the wording of items that differ per variant;
- as a last resort for R7 vs R8, whose item lists are identical in our sources, the fiscal year
  of the dates written in the answers (reported as uncertain).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from xltools.decode import parse_date
from xltools.forms.catalogue import Catalogue, FormMapping
from xltools.forms.locate import RowHit, Scan
from xltools.labels import VARIANT_JA
from xltools.text import norm

_CIRCLED = set("①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳")
_PAREN_REF = re.compile(r"[0-9]\s*[-－‐]\s*[(（][0-9]{1,2}[)）]|^[(（][0-9]{1,2}[)）]")


@dataclass
class Recognition:
    mapping: FormMapping
    variant: str
    confidence: float
    notes: list[tuple[str, str]]  # (problem code, detail)
    title: str


def title_area(scan: Scan, first_item_row: int) -> list[tuple[int, int, str, str]]:
    """Cells above the item table: (row, col, norm, raw)."""
    return [(r, c, t, scan.raw[(r, c)]) for (r, c), t in scan.text.items() if r < first_item_row]


def _numbering(scan: Scan, hits: list[RowHit], ref_col: int | None) -> str:
    circled = paren = 0
    for h in hits:
        texts = [h.raw_text[:8], h.ref_text]
        if ref_col is not None:
            texts.append(scan.raw.get((h.row, ref_col), ""))
        texts += [scan.raw[(h.row, c)] for c, _t in scan.row_cells(h.row) if c < h.col]
        joined = " ".join(texts)
        if not _CIRCLED.isdisjoint(joined):
            circled += 1
        elif _PAREN_REF.search(joined):
            paren += 1
    if circled > paren:
        return "circled"
    if paren > circled:
        return "paren"
    return ""


def _marker_score(m: FormMapping, area: list[tuple[int, int, str, str]],
                  joined: str | None = None) -> float:
    """Edition markers printed above the table: ``令和6年度版`` strongly, ``令和6年度`` in the
    title cell strongly, elsewhere weakly (R5 prints ``令和6年度中`` targets). ``joined`` is
    the area's texts joined by newlines (computed once per sheet by the caller)."""
    score = 0.0
    if joined is None:
        joined = "\n".join(t for _r, _c, t, _raw in area)
    markers = [mk for mk in (norm(marker) for marker in m.markers) if mk in joined]
    era = (f"{m.fiscal_year}年度版", f"fy{m.fiscal_year}")
    if not markers and era[0] not in joined and era[1] not in joined:
        return score
    for _r, _c, t, _raw in area:
        for mk in markers:
            if mk not in t:
                continue
            if mk.endswith("版") or "チェックリスト" in t:
                score = max(score, 4.0)
            elif mk in t and not re.search(re.escape(mk) + r"中", t):
                score = max(score, 1.0)
        if era[0] in t or era[1] in t:
            score = max(score, 4.0)
    return score


def _set_score(m: FormMapping, variant: str, found: Counter, found_total: int | None = None
               ) -> float:
    """Weighted Jaccard of the item rows found and the rows the edition asks. The union is
    counted as found + expected - intersection (max(a, b) = a + b - min(a, b) per item)."""
    expected, expected_total = _expected_rows(m, variant)
    if not expected:
        return 0.0
    get = expected.get
    inter = 0
    for k, n in found.items():
        e = get(k)
        if e is not None:
            inter += n if n < e else e
    if found_total is None:
        found_total = sum(found.values())
    union = found_total + expected_total - inter
    return inter / union if union else 0.0


def _variant_evidence(scan: Scan, hits: list[RowHit], catalogue: Catalogue,
                      area: list[tuple[int, int, str, str]]) -> tuple[Counter, str, bool]:
    """Votes per variant, the printed title, and whether the R8 merged facility label is used."""
    votes: Counter = Counter()
    title = ""
    merged_label = False
    for _r, _c, t, raw in area:
        if "チェックリスト" in t and len(t) < 80 and not title:
            title = raw.strip()
    for t in scan.text.values():
        # every label below holds 確認用 or における: most cells are passed on those two tests
        if len(t) > 40 or ("確認用" not in t and "における" not in t):
            continue
        if "医療機関・薬局確認用" in t or "医療機関・薬局における" in t:
            merged_label = True
        elif "事業者確認用" in t:
            votes["vendor"] += 3
        elif "薬局確認用" in t:
            votes["pharmacy"] += 3
        elif "医療機関確認用" in t or "医療機関等確認用" in t:
            votes["hospital"] += 3
    tn = norm(title)
    if "薬局における" in tn and "医療機関・薬局" not in tn:
        votes["pharmacy"] += 2
    if "医療機関・薬局" in tn:
        merged_label = True
    # item wording that differs per variant
    for h in hits:
        for who, n in _wording_votes(catalogue, h.item_id, h.raw_text):
            votes[who] += n
    return votes, title, merged_label


_WORDING: dict[tuple[str, str, str], tuple[tuple[str, int], ...]] = {}


def _wording_votes(catalogue: Catalogue, item_id: str, raw_text: str) -> tuple[tuple[str, int], ...]:
    """Votes one item row's wording gives (vendor / facility / pharmacy / hospital wording).

    Memoised per catalogue version and printed text: a batch prints the same few wordings
    thousands of times, and the partial-ratio comparisons were most of recognition's time.
    """
    key = (catalogue.version, item_id, raw_text)
    got = _WORDING.get(key)
    if got is not None:
        return got
    it = _items_by_id(catalogue).get(item_id)
    out: list[tuple[str, int]] = []
    if it is not None:
        body = norm(raw_text)
        if "vendor" not in it.variants:
            out.append(("facility", 1))  # has_system, backup_recovery, bcp: never on a vendor form
        for variant, margin, other in (("vendor", 5, "facility"), ("pharmacy", 3, "hospital")):
            if variant in it.texts:  # this variant words the item its own way: which one is it?
                own = fuzz.partial_ratio(norm(it.texts[variant]), body)
                base = fuzz.partial_ratio(norm(it.text), body)
                if own > base + margin:
                    out.append((variant, 2))
                elif base > own + margin:
                    out.append((other, 1))
    if len(_WORDING) > 100_000:
        _WORDING.clear()
    got = _WORDING[key] = tuple(out)
    return got


_ITEMS: dict[str, dict[str, object]] = {}


def _items_by_id(catalogue: Catalogue) -> dict:
    """Each checklist item id's first definition (oldest edition), per catalogue version."""
    got = _ITEMS.get(catalogue.version)
    if got is None:
        got = {}
        for m in catalogue.editions("checklist"):
            for it in m.items:
                got.setdefault(it.id, it)
        _ITEMS[catalogue.version] = got
    return got


_EXPECTED: dict[tuple[int, str], tuple[FormMapping, Counter, int]] = {}


def _expected_rows(m: FormMapping, variant: str) -> tuple[Counter, int]:
    """Rows per item a variant of an edition asks, and their total (the mapping is kept so its
    id stays its own)."""
    key = (id(m), variant)
    got = _EXPECTED.get(key)
    if got is None or got[0] is not m:
        rows = Counter({it.id: len(it.scopes) for it in m.items_for(variant)})
        got = _EXPECTED[key] = (m, rows, sum(rows.values()))
    return got[1], got[2]


def _decide_variant(votes: Counter, merged_label: bool, fields: dict) -> tuple[str, bool]:
    """(variant, certain)."""
    vendor = votes["vendor"]
    facility = votes["facility"] + votes["hospital"] + votes["pharmacy"]
    if vendor and vendor >= facility:
        return "vendor", facility == 0 or vendor >= 2 * facility
    if votes["pharmacy"] > votes["hospital"]:
        return "pharmacy", votes["hospital"] == 0
    if merged_label or not (votes["hospital"] or votes["pharmacy"]):
        # R8 prints one facility form: a pharmacy's copy when the name label names only a
        # pharmacy or the facility's name contains 薬局
        f = fields.get("facility_name")
        if f is not None:
            label = norm(f.label)
            if label.startswith("薬局") or "薬局" in norm(f.value):
                return "pharmacy", True
        if vendor == 0 and "vendor_name" in fields and votes["facility"] == 0:
            return "vendor", False
        return "hospital", bool(merged_label or votes["facility"])
    return "hospital", votes["pharmacy"] == 0


_DATE_CUE = re.compile(r"[0-9]{4}[/.年-]|令和|r[0-9]")


def _date_years(scan: Scan, hits: list[RowHit]) -> Counter:
    """Fiscal years of dates written on item rows (a weak cue for R7 vs R8)."""
    years: Counter = Counter()
    rows = {h.row for h in hits}
    value = scan.sheet.value
    for r in rows:
        for c, _t in scan.row_cells(r):
            v = value(r, c)
            if isinstance(v, str):
                fy = _text_fiscal_year(v)
                if fy is not None:
                    years[fy] += 1
            elif isinstance(v, (dt.date, dt.datetime)):
                d = v if isinstance(v, dt.date) else v.date()
                years[d.year if d.month >= 4 else d.year - 1] += 1
    return years


@lru_cache(maxsize=65536)
def _text_fiscal_year(text: str) -> int | None:
    """The fiscal year of a date written as text, None when it holds no date. Memoised: the
    item texts of every row are asked again on every file of a batch."""
    n = norm(text)
    if not _DATE_CUE.search(n):
        return None
    d = parse_date(n, None).value
    if d is None:
        return None
    return d.year if d.month >= 4 else d.year - 1


def recognise(scan: Scan, hits: list[RowHit], catalogue: Catalogue, fields: dict,
              ref_col: int | None) -> Recognition | None:
    """Pick the edition and variant of a checklist sheet, with a confidence in 0..1."""
    editions = catalogue.editions("checklist")
    if not editions or not hits:
        return None
    first = min(h.row for h in hits)
    area = title_area(scan, first)
    votes, title, merged_label = _variant_evidence(scan, hits, catalogue, area)
    variant, variant_certain = _decide_variant(votes, merged_label, fields)
    numbering = _numbering(scan, hits, ref_col)
    found = Counter(h.item_id for h in hits)
    found_total = len(hits)
    joined = "\n".join(t for _r, _c, t, _raw in area)
    scored = []
    for m in editions:
        v = variant if variant in m.variants else next(iter(m.variants))
        strong = 10.0 * _set_score(m, v, found, found_total)
        if numbering and m.numbering == numbering:
            strong += 2.0
        marker = _marker_score(m, area, joined)
        strong += marker if marker >= 4.0 else 0.0
        r8_labels = "医療機関・薬局確認用" in " ".join(
            lab for var in m.variants.values() for lab in var.labels)
        if merged_label:
            strong += 3.0 if r8_labels else -1.0
        weak = marker if marker < 4.0 else 0.0
        if title and not merged_label and r8_labels and "医療機関・薬局" not in norm(title):
            weak -= 0.5  # a printed title without the merged R8 wording suggests an older one
        scored.append((strong, weak, m))
    scored.sort(key=lambda x: (x[0], x[1], x[2].fiscal_year), reverse=True)
    best_s, _, best = scored[0]
    notes: list[tuple[str, str]] = []
    tied = [(w, m) for s_, w, m in scored if best_s - s_ < 0.5]
    if len(tied) == 1:
        second = scored[1][0] if len(scored) > 1 else 0.0
        confidence = min(1.0, 0.6 + (best_s - second) / 10.0)
    else:
        best, confidence, note = _break_tie(tied, scan, hits)
        if note:
            notes.append(("form.edition_uncertain", note))
    if not variant_certain:
        notes.append(("form.variant_uncertain", VARIANT_JA[variant]))
        confidence = min(confidence, 0.6)
    if variant not in best.variants:
        variant = next(iter(best.variants))
    return Recognition(best, variant, round(confidence, 2), notes, title)


def _break_tie(tied: list[tuple[float, FormMapping]], scan: Scan, hits: list[RowHit]
               ) -> tuple[FormMapping, float, str]:
    """Editions the printed evidence cannot tell apart (R7 and R8 ask the same items).

    An edition year printed somewhere above the table decides quietly; otherwise the fiscal
    year of the dates written, then the title's wording, then the newest edition decide, and
    the choice is reported as uncertain.
    """
    names = "・".join(sorted(m.edition for _, m in tied))
    best_weak = max(w for w, _ in tied)
    if best_weak >= 1.0 and sum(1 for w, _ in tied if w == best_weak) == 1:
        return next(m for w, m in tied if w == best_weak), 0.7, ""
    years = _date_years(scan, hits)
    by_year = [m for _, m in tied if years.get(m.fiscal_year)]
    if by_year:
        best = max(by_year, key=lambda m: years[m.fiscal_year])
        how = "記入された日付の年度"
    elif best_weak > min(w for w, _ in tied):
        best = next(m for w, m in tied if w == best_weak)
        how = "表題の文言"
    else:
        best = max((m for _, m in tied), key=lambda m: m.fiscal_year)
        how = "最新の年度版であること"
    return best, 0.5, f"{best.edition}（{names} の区別がつかないため{how}から判断）"


