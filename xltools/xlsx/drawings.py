"""Read answers that were drawn, not typed: ellipses, ○ text boxes and check boxes.

Until R7 the checklist asked respondents to circle はい or いいえ. In Excel that becomes an
ellipse drawn over one word of the printed ``はい・いいえ`` cell, a ``○`` text box dropped on it,
or a form-control check box. The cell value still reads ``はい・いいえ``; only the drawing layer
carries the answer. This module reads that layer straight from the xlsx package with lxml
(openpyxl drops shapes and is far too slow for this) and decides, per answer slot, which word a
mark covers.

Geometry model (see ``docs/drawings.md``): everything is converted to points measured from the
sheet's top-left corner. Column widths follow Excel's character-width rule, row heights come
from ``<row ht>``; anchors are cell + EMU offset (DrawingML), cell + pixel offset (VML
``x:Anchor``) or absolute. Word positions inside a cell are *estimated* from the cell's
alignment, font size and the characters' East Asian width, so decisions keep a margin: a mark
that is not clearly over one word is reported as undecidable, never guessed.

Nothing here raises on a bad file: a broken or oversized part is skipped and named in the
``issues`` list of :func:`read_marks_with_issues`.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import re
import unicodedata
import weakref
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from xltools.xlsx.cells import parse_ref  # noqa: F401  (re-exported for drawing_writer)
from xltools.xlsx.parts import rels_name, resolve_target

__all__ = [
    "AnswerSlot",
    "Box",
    "Mark",
    "MarkReading",
    "SheetLayout",
    "load_layout",
    "read_marks",
    "read_marks_with_issues",
    "read_slots",
    "read_slots_with_issues",
    "sheet_has_drawings",
]

# ---------------------------------------------------------------------------------------------
# Public records
# ---------------------------------------------------------------------------------------------


class _Centre:
    """The centre of anything with ``x0, x1, y0, y1`` in points."""

    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class Mark(_Centre):
    """One drawn object that may carry an answer, in sheet points."""

    kind: str  # "shape" | "textbox" | "checkbox"
    part: str  # package part it came from
    row: int  # 0-based cell under the mark's centre
    col: int
    x0: float  # points from the sheet's left edge
    x1: float
    y0: float  # points from the sheet's top edge
    y1: float
    checked: bool | None  # check boxes only (a "Mixed" box reads True with mixed=True)
    text: str  # text-box text / check-box label
    name: str  # shape name or id, for messages
    mixed: bool = False  # check box in the grey "Mixed" state (deviation: extra field)


@dataclass(frozen=True)
class AnswerSlot:
    """Where one answer is expected: one ``はい・いいえ`` cell, or a yes-cell and a no-cell."""

    key: object
    cells: tuple[tuple[int, int], ...]
    roles: tuple[str, ...]  # per cell: "both" | "yes" | "no"
    texts: tuple[str, ...]  # cell text as found


@dataclass(frozen=True)
class MarkReading:
    """The answer the marks over one slot give, or None with a Japanese reason."""

    answer: str | None  # "yes" | "no" | None
    source: str  # "shape" | "checkbox"
    detail: str  # Japanese reason when answer is None, else ""
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class Box(_Centre):
    """An axis-aligned rectangle in sheet points."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0


# Japanese reasons handed back in MarkReading.detail (the core reader puts them in a problem).
BOTH_WORDS = "両方の語（はい・いいえ）に丸が掛かっています"
BETWEEN_WORDS = "印がはいといいえの間にあり、どちらの語か判別できません"
OFF_WORDS = "印がはい・いいえの語の上にありません"
NO_WORDS = "セルにはい・いいえの文字がなく、印の位置から判別できません"
BETWEEN_CELLS = "印が複数のセルにまたがっています"
CONFLICT = "はいといいえの両方に印があります"
MIXED = "チェックボックスが中間（灰色）の状態です"
BOX_UNPLACED = "チェックボックスがはい・いいえのどちらの横にあるか判別できません"

# ---------------------------------------------------------------------------------------------
# Namespaces: matched by URI (transitional and strict), never by prefix
# ---------------------------------------------------------------------------------------------

_NS_ALIAS: dict[str, str] = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main": "main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main": "main",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing": "xdr",
    "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing": "xdr",
    "http://schemas.openxmlformats.org/drawingml/2006/main": "a",
    "http://purl.oclc.org/ooxml/drawingml/main": "a",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships": "r",
    "http://purl.oclc.org/ooxml/officeDocument/relationships": "r",
    "http://schemas.openxmlformats.org/package/2006/relationships": "pr",
    "http://schemas.openxmlformats.org/markup-compatibility/2006": "mc",
    "urn:schemas-microsoft-com:vml": "v",
    "urn:schemas-microsoft-com:office:office": "o",
    "urn:schemas-microsoft-com:office:excel": "x",
    "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main": "x14",
    "http://schemas.microsoft.com/office/drawing/2010/main": "a14",
}
# mc:Choice Requires= namespaces we understand (take the Choice), others fall back.
_UNDERSTOOD = {"main", "xdr", "a", "r", "x14", "a14", "v", "o", "x"}
_R_IDS = tuple(f"{{{u}}}id" for u, a in _NS_ALIAS.items() if a == "r")

_tag_cache: dict[str, tuple[str, str]] = {}
_TC = _tag_cache  # hot loops inline the cache hit: `_TC.get(el.tag) or _t(el)`


def _t(el: etree._Element) -> tuple[str, str]:
    """(namespace alias, local name) of an element; ("", "") for comments and PIs."""
    tag = el.tag
    hit = _tag_cache.get(tag)
    if hit is None:
        if not isinstance(tag, str):  # entity references left unresolved, PIs
            return ("", "")
        if tag[0] == "{":
            uri, _, local = tag[1:].partition("}")
            hit = (_NS_ALIAS.get(uri, uri), local)
        else:
            hit = ("", tag)
        if len(_tag_cache) < 4096:
            _tag_cache[tag] = hit
    return hit


def _kids(el: etree._Element) -> Iterator[etree._Element]:
    """Children with ``mc:AlternateContent`` unwrapped (Choice if understood, else Fallback)."""
    for ch in el:
        ns, local = (_TC.get(ch.tag) or _t(ch))
        if ns == "mc" and local == "AlternateContent":
            yield from _kids(_pick_alternative(ch))
        elif local:
            yield ch


def _pick_alternative(ac: etree._Element) -> etree._Element:
    fallback: etree._Element | None = None
    for alt in ac:
        ns, local = _t(alt)
        if ns != "mc":
            continue
        if local == "Choice":
            req = (alt.get("Requires") or "").split()
            if all(_NS_ALIAS.get(alt.nsmap.get(p, ""), "") in _UNDERSTOOD for p in req):
                return alt
        elif local == "Fallback":
            fallback = alt
    return fallback if fallback is not None else etree.Element("empty")


def _find(el: etree._Element, ns: str, local: str) -> etree._Element | None:
    for ch in _kids(el):
        if _t(ch) == (ns, local):
            return ch
    return None


def _rid(el: etree._Element) -> str | None:
    for a in _R_IDS:
        v = el.get(a)
        if v:
            return v
    return None


# ---------------------------------------------------------------------------------------------
# Package access: safe parser, size limits, relationships
# ---------------------------------------------------------------------------------------------

MAX_PART_BYTES = 20 * 1024 * 1024  # drawing/VML/sheet parts larger than this are skipped
MAX_SHEET_BYTES = 64 * 1024 * 1024  # the sheet itself is needed for geometry: allow more

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_comments=True, remove_pis=True)
# VML written by Excel is not always well-formed (unclosed <br> in text boxes): recover.
_LAX_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                              remove_comments=True, remove_pis=True, recover=True)


class _PartError(Exception):
    """A part could not be read; carries a short Japanese reason for the issues list."""


def _zip_name(zf: zipfile.ZipFile, name: str) -> str | None:
    """The archive member for a part name (tolerates case and a leading slash)."""
    name = name.lstrip("/")
    try:
        zf.getinfo(name)
        return name
    except KeyError:
        pass
    low = name.lower()
    for n in zf.namelist():
        if n.lower() == low:
            return n
    return None


def _read_part(zf: zipfile.ZipFile, name: str, limit: int | None = None) -> bytes:
    if limit is None:
        limit = MAX_PART_BYTES
    member = _zip_name(zf, name)
    if member is None:
        raise _PartError(f"{name} がありません")
    info = zf.getinfo(member)
    if info.file_size > limit:
        raise _PartError(f"{name} が大きすぎます（{info.file_size:,} バイト）")
    try:
        with zf.open(member) as fh:
            data = fh.read(limit + 1)
    except Exception as exc:  # zlib errors, bad CRC, encrypted member ...
        raise _PartError(f"{name} を展開できません（{type(exc).__name__}）") from exc
    if len(data) > limit:
        raise _PartError(f"{name} が大きすぎます")
    return data


def _parse(data: bytes, name: str, lax: bool = False) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        if lax:
            try:
                root = etree.fromstring(data, _LAX_PARSER)
            except etree.XMLSyntaxError:
                root = None
            if root is not None:
                return root
        raise _PartError(f"{name} の XML が壊れています（{exc.msg}）") from exc


def _read_rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """rId -> (type suffix, resolved target) for internal relationships of ``part``."""
    name = rels_name(part)
    if _zip_name(zf, name) is None:
        return {}
    root = _parse(_read_part(zf, name), name)
    out: dict[str, tuple[str, str]] = {}
    for rel in root:
        if _t(rel)[1] != "Relationship" or rel.get("TargetMode") == "External":
            continue
        rid, typ, target = rel.get("Id"), rel.get("Type") or "", rel.get("Target")
        if rid and target:
            out[rid] = (typ.rsplit("/", 1)[-1], resolve_target(part, target))
    return out


_DRAWING_TYPES = {"drawing", "vmlDrawing", "ctrlProp"}


def sheet_has_drawings(zf: zipfile.ZipFile, sheet_part: str) -> bool:
    """Cheap pre-check: does the sheet relate to any drawing, VML or control part?

    Only the sheet's ``.rels`` is read, so the caller can skip :func:`read_slots` (and the
    sheet re-parse it needs) on the vast majority of sheets that carry no drawings.
    """
    try:
        rels = _read_rels(zf, sheet_part)
    except Exception:
        return False
    return any(typ in _DRAWING_TYPES for typ, _ in rels.values())


# ---------------------------------------------------------------------------------------------
# Styles (cached per open ZipFile: many sheets share one styles.xml)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Xf:
    font_size: float
    horizontal: str  # general | left | center | right | distributed | ...
    vertical: str  # bottom (Excel's default) | top | center | ...
    wrap: bool
    indent: int


@dataclass(frozen=True)
class _Styles:
    mdw: int  # maximum digit width of the default font, px
    default_size: float
    xfs: tuple[_Xf, ...]

    def xf(self, index: int) -> _Xf:
        if 0 <= index < len(self.xfs):
            return self.xfs[index]
        return _Xf(self.default_size, "general", "bottom", False, 0)


_LATIN_FONTS = ("calibri", "arial", "times", "cambria", "tahoma", "verdana", "segoe", "helvetica",
                "liberation", "dejavu", "carlito", "aptos", "century", "courier")
_styles_cache: weakref.WeakKeyDictionary[zipfile.ZipFile, _Styles] = weakref.WeakKeyDictionary()


def _mdw(font_name: str, size: float) -> int:
    """Max digit width in px. Excel's default Calibri 11 is 7 px; 游ゴシック/ＭＳ Ｐゴシック 11 are 8."""
    base = 7 if font_name.lower().startswith(_LATIN_FONTS) else 8
    return max(1, round(base * size / 11.0))


def _load_styles(zf: zipfile.ZipFile) -> _Styles:
    hit = _styles_cache.get(zf)
    if hit is not None:
        return hit
    styles = _Styles(7, 11.0, ())
    try:
        root = _parse(_read_part(zf, "xl/styles.xml"), "xl/styles.xml")
        fonts: list[tuple[str, float]] = []
        xfs: list[_Xf] = []
        for sec in root:
            local = _t(sec)[1]
            if local == "fonts":
                for f in sec:
                    name, size = "", 11.0
                    for p in f:
                        pl = _t(p)[1]
                        if pl == "sz":
                            size = _float(p.get("val"), 11.0)
                        elif pl == "name":
                            name = p.get("val") or ""
                    fonts.append((name, size))
            elif local == "cellXfs":
                default = fonts[0][1] if fonts else 11.0
                for xf in sec:
                    if _t(xf)[1] != "xf":
                        continue
                    fid = _int(xf.get("fontId"), 0)
                    size = fonts[fid][1] if 0 <= fid < len(fonts) else default
                    h, v, wrap, indent = "general", "bottom", False, 0
                    for al in xf:
                        if _t(al)[1] == "alignment":
                            h = al.get("horizontal") or "general"
                            v = al.get("vertical") or "bottom"
                            wrap = al.get("wrapText") in ("1", "true")
                            indent = _int(al.get("indent"), 0)
                    xfs.append(_Xf(size, h, v, wrap, indent))
        name0, size0 = fonts[0] if fonts else ("Calibri", 11.0)
        styles = _Styles(_mdw(name0, size0), size0, tuple(xfs))
    except Exception:
        pass  # no or broken styles: Excel's defaults are the best estimate
    with contextlib.suppress(TypeError):  # a ZipFile subclass without weakref support
        _styles_cache[zf] = styles
    return styles


def _float(v: str | None, default: float) -> float:
    try:
        return float(v) if v is not None else default
    except ValueError:
        return default


def _int(v: str | None, default: int) -> int:
    try:
        return int(float(v)) if v is not None else default
    except ValueError:
        return default


# ---------------------------------------------------------------------------------------------
# Sheet geometry
# ---------------------------------------------------------------------------------------------


class _Axis:
    """Piecewise-constant sizes along one axis: run starts, their offsets, size per index.

    Kept as runs rather than one entry per index because ``<col min="5" max="16384">`` is common
    and expanding it would cost more than the whole read is allowed to take.
    """

    __slots__ = ("starts", "offsets", "sizes")

    def __init__(self, spans: Iterable[tuple[int, int, float]], default: float) -> None:
        starts: list[int] = []
        offsets: list[float] = []
        sizes: list[float] = []
        pos, nxt = 0.0, 0
        for a, b, size in sorted(spans):
            if b < nxt:
                continue
            a = max(a, nxt)
            if a > nxt:
                starts.append(nxt)
                offsets.append(pos)
                sizes.append(default)
                pos += (a - nxt) * default
            if sizes and sizes[-1] == size and starts and offsets[-1] + (a - starts[-1]) * size == pos:
                pass  # contiguous run of equal size: extend the previous one
            else:
                starts.append(a)
                offsets.append(pos)
                sizes.append(size)
            pos += (b - a + 1) * size
            nxt = b + 1
        starts.append(nxt)
        offsets.append(pos)
        sizes.append(default)
        self.starts, self.offsets, self.sizes = starts, offsets, sizes

    def pos(self, i: int) -> float:
        k = bisect.bisect_right(self.starts, i) - 1
        return self.offsets[k] + (i - self.starts[k]) * self.sizes[k]

    def size(self, i: int) -> float:
        return self.sizes[bisect.bisect_right(self.starts, i) - 1]

    def index_at(self, p: float) -> int:
        """Index of the (visible) cell containing position ``p``."""
        if p <= 0:
            return 0
        k = bisect.bisect_right(self.offsets, p) - 1
        # skip back over zero-size runs sharing the offset
        while k > 0 and self.sizes[k] == 0 and self.offsets[k] == self.offsets[k - 1]:
            k -= 1
        size = self.sizes[k]
        if size <= 0:
            return self.starts[k]
        i = self.starts[k] + int((p - self.offsets[k]) // size)
        if k + 1 < len(self.starts):
            i = min(i, self.starts[k + 1] - 1)
        return i


def col_width_pt(width: float, mdw: int) -> float:
    """Excel's rule: characters (incl. padding) -> whole pixels -> points."""
    if width <= 0:
        return 0.0
    px = math.trunc(((256 * width + math.trunc(128 / mdw)) / 256) * mdw)
    return px * 0.75


@dataclass
class SheetLayout:
    """Column/row geometry, merges and cell styles of one sheet, in points."""

    cols: _Axis
    rows: _Axis
    merges: list[tuple[int, int, int, int]]
    styles: _Styles
    drawing_rids: list[tuple[str, str]]  # (element local name, r:id)
    controls: list[etree._Element]  # x14 <control> elements
    row_elements: dict[int, etree._Element] = field(default_factory=dict)
    row_styles: dict[int, int] = field(default_factory=dict)
    col_styles: list[tuple[int, int, int]] = field(default_factory=list)
    _merge_at: dict[tuple[int, int], tuple[int, int, int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for m in self.merges:
            r0, c0, r1, c1 = m
            if (r1 - r0 + 1) * (c1 - c0 + 1) <= 4096:
                for r in range(r0, r1 + 1):
                    for c in range(c0, c1 + 1):
                        self._merge_at[(r, c)] = m
            else:
                self._merge_at[(r0, c0)] = m

    def x(self, col: int) -> float:
        return self.cols.pos(col)

    def y(self, row: int) -> float:
        return self.rows.pos(row)

    def cell_at(self, x: float, y: float) -> tuple[int, int]:
        return self.rows.index_at(y), self.cols.index_at(x)

    def merge_of(self, row: int, col: int) -> tuple[int, int, int, int]:
        return self._merge_at.get((row, col), (row, col, row, col))

    def cell_box(self, row: int, col: int) -> Box:
        """The cell's rectangle, spanning its merge when the cell belongs to one."""
        r0, c0, r1, c1 = self.merge_of(row, col)
        return Box(self.x(c0), self.y(r0), self.x(c1 + 1), self.y(r1 + 1))

    def style_index(self, row: int, col: int) -> int:
        el = self.row_elements.get(row)
        if el is not None:
            for c in el:
                ref = c.get("r")
                if ref is not None:
                    try:
                        if parse_ref(ref)[1] == col:
                            return _int(c.get("s"), 0)
                    except ValueError:
                        continue
        if row in self.row_styles:
            return self.row_styles[row]
        for a, b, s in self.col_styles:
            if a <= col <= b:
                return s
        return 0

    def word_boxes(self, row: int, col: int, text: str) -> dict[str, Box]:
        """Estimated boxes of the words はい / いいえ printed in a cell (keys "yes" / "no")."""
        xf = self.styles.xf(self.style_index(*self.merge_of(row, col)[:2]))
        return layout_words(self.cell_box(row, col), text, xf)


def _controls_of(el: etree._Element) -> list[etree._Element]:
    return [c for c in _kids(el) if _t(c)[1] == "control"]


def load_layout(zf: zipfile.ZipFile, sheet_part: str,
                merged: Iterable[tuple[int, int, int, int]] = ()) -> SheetLayout:
    """Parse the sheet XML for geometry; raises ``_PartError`` when the sheet is unreadable."""
    styles = _load_styles(zf)
    root = _parse(_read_part(zf, sheet_part, MAX_SHEET_BYTES), sheet_part)
    mdw = styles.mdw
    default_row = 15.0
    base_w = 8.0
    default_w: float | None = None
    zero_height = False
    col_spans: list[tuple[int, int, float]] = []
    col_styles: list[tuple[int, int, int]] = []
    row_spans: list[tuple[int, int, float]] = []
    row_elements: dict[int, etree._Element] = {}
    row_styles: dict[int, int] = {}
    merges: set[tuple[int, int, int, int]] = set(merged)
    rids: list[tuple[str, str]] = []
    controls: list[etree._Element] = []
    cols_el = None
    for sec in _kids(root):
        local = (_TC.get(sec.tag) or _t(sec))[1]
        if local == "sheetFormatPr":
            default_row = _float(sec.get("defaultRowHeight"), 15.0)
            base_w = _float(sec.get("baseColWidth"), 8.0)
            if sec.get("defaultColWidth") is not None:
                default_w = _float(sec.get("defaultColWidth"), 8.43)
            zero_height = sec.get("zeroHeight") in ("1", "true")
        elif local == "cols":
            cols_el = sec
        elif local == "sheetData":
            nxt = 0
            for row in sec:
                if (_TC.get(row.tag) or _t(row))[1] != "row":
                    continue
                r = _int(row.get("r"), nxt + 1) - 1
                nxt = r + 1
                row_elements[r] = row
                if row.get("hidden") in ("1", "true"):
                    row_spans.append((r, r, 0.0))
                elif row.get("ht") is not None:
                    row_spans.append((r, r, _float(row.get("ht"), default_row)))
                elif zero_height:
                    row_spans.append((r, r, default_row))
                if row.get("customFormat") in ("1", "true") and row.get("s"):
                    row_styles[r] = _int(row.get("s"), 0)
        elif local == "mergeCells":
            for mc in sec:
                ref = mc.get("ref") or ""
                a, _, b = ref.partition(":")
                try:
                    r0, c0 = parse_ref(a)
                    r1, c1 = parse_ref(b or a)
                except ValueError:
                    continue
                merges.add((min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)))
        elif local in ("drawing", "legacyDrawing"):
            rid = _rid(sec)
            if rid:
                rids.append((local, rid))
        elif local == "controls":
            controls.extend(_controls_of(sec))
    if default_w is not None:
        dcol = col_width_pt(default_w, mdw)
    else:  # Excel: base width in digits + 5 px padding, rounded up to a multiple of 8 px
        dcol = math.ceil((base_w * mdw + 5) / 8) * 8 * 0.75
    if cols_el is not None:
        for c in cols_el:
            if (_TC.get(c.tag) or _t(c))[1] != "col":
                continue
            a, b = _int(c.get("min"), 1) - 1, _int(c.get("max"), 1) - 1
            if a < 0 or b < a:
                continue
            b = min(b, 16383)
            hidden = c.get("hidden") in ("1", "true")
            w = 0.0 if hidden else (col_width_pt(_float(c.get("width"), 0.0), mdw)
                                    if c.get("width") is not None else dcol)
            col_spans.append((a, b, w))
            if c.get("style"):
                col_styles.append((a, b, _int(c.get("style"), 0)))
    rows_default = 0.0 if zero_height else default_row
    return SheetLayout(
        cols=_Axis(col_spans, dcol),
        rows=_Axis(row_spans, rows_default),
        merges=sorted(merges),
        styles=styles,
        drawing_rids=rids,
        controls=controls,
        row_elements=row_elements,
        row_styles=row_styles,
        col_styles=col_styles,
    )


# ---------------------------------------------------------------------------------------------
# Where the words sit in a cell (an estimate; decisions keep margins for its error)
# ---------------------------------------------------------------------------------------------

PAD_PT = 2.25  # Excel leaves ~3 px between the cell border and the text
_YES_WORDS = ("はい", "yes")
_NO_WORDS = ("いいえ", "no")


def char_width(ch: str, size: float) -> float:
    """Full-width (and ambiguous, in a Japanese font) ≈ 1 em, half-width ≈ 1/2 em."""
    if ch == " ":
        return size * 0.3
    if ch == "\u3000":
        return size
    eaw = unicodedata.east_asian_width(ch)
    if eaw in ("F", "W", "A"):
        return size
    return size * 0.5


def _norm_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


def _find_word(norm: list[str], words: tuple[str, ...], avoid: tuple[int, int] | None) -> \
        tuple[int, int] | None:
    """First occurrence (start, end) of any word in the per-char normalised text."""
    s = "".join(c if len(c) == 1 else "\x00" for c in norm)
    best: tuple[int, int] | None = None
    for w in words:
        start = 0
        while True:
            i = s.find(w, start)
            if i < 0:
                break
            span = (i, i + len(w))
            clash = avoid is not None and i < avoid[1] and avoid[0] < span[1]
            # "no"/"yes" only as whole words: not inside "note", "eyes"
            ascii_ok = not w.isascii() or (
                (i == 0 or not s[i - 1].isalpha()) and (span[1] == len(s) or not s[span[1]].isalpha()))
            if not clash and ascii_ok:
                if best is None or span[0] < best[0]:
                    best = span
                break
            start = i + 1
    return best


def layout_words(cell: Box, text: str, xf: _Xf) -> dict[str, Box]:
    """Estimate where はい and いいえ are printed inside ``cell``.

    Lines are laid out from the cell's alignment; a wrapped cell is broken greedily. The result
    is good to a few points, which is why :func:`_decide_word` works with margins.
    """
    size = xf.font_size or 11.0
    line_h = size * 1.3
    inner = max(cell.w - 2 * PAD_PT, 1.0)
    # visual lines: list of (chars, widths)
    lines: list[list[tuple[str, float]]] = []
    for raw_line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        cur: list[tuple[str, float]] = []
        cur_w = 0.0
        for ch in raw_line:
            w = char_width(ch, size)
            if xf.wrap and cur and cur_w + w > inner:
                lines.append(cur)
                cur, cur_w = [], 0.0
            cur.append((ch, w))
            cur_w += w
        lines.append(cur)
    block_h = len(lines) * line_h
    v = xf.vertical
    if v == "top":
        top = cell.y0 + 1.0
    elif v in ("center", "justify", "distributed"):
        top = cell.cy - block_h / 2
    else:  # bottom is Excel's default
        top = cell.y1 - 1.0 - block_h
    h = xf.horizontal
    indent = xf.indent * size  # one indent level ≈ one full-width character
    positions: list[tuple[str, float, float, int]] = []  # char, x0, x1, line
    for li, line in enumerate(lines):
        total = sum(w for _, w in line)
        gap = 0.0
        if h in ("center", "centerContinuous"):
            x = cell.cx - total / 2
        elif h == "right":
            x = cell.x1 - PAD_PT - indent - total
        elif h == "distributed" and len(line) > 1:
            x = cell.x0 + PAD_PT + indent
            gap = max(0.0, (inner - 2 * indent - total) / (len(line) - 1))
        elif h == "distributed":
            x = cell.cx - total / 2
        else:  # general (text), left, fill, justify
            x = cell.x0 + PAD_PT + indent
        for ch, w in line:
            positions.append((ch, x, x + w, li))
            x += w + gap
    norm = [_norm_char(p[0]) for p in positions]
    out: dict[str, Box] = {}
    no_span = _find_word(norm, _NO_WORDS, None)
    yes_span = _find_word(norm, _YES_WORDS, no_span)
    for key, span in (("yes", yes_span), ("no", no_span)):
        if span is None:
            continue
        first = positions[span[0]]
        chars = [p for p in positions[span[0]:span[1]] if p[3] == first[3]]
        li = first[3]
        out[key] = Box(chars[0][1], top + li * line_h, chars[-1][2], top + (li + 1) * line_h)
    return out


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _decide_word(mark: Mark, words: dict[str, Box], size: float) -> tuple[str | None, str]:
    """Which word a shape mark is over: ("yes"|"no", "") or (None, Japanese reason)."""
    if not words:
        return None, NO_WORDS
    cx, cy = mark.cx, mark.cy
    tol_out = size * 1.0  # how far past a word's outer end a centre may sit
    if len(words) == 1:
        key, b = next(iter(words.items()))
        if b.x0 - tol_out <= cx <= b.x1 + tol_out or _overlap(mark.x0, mark.x1, b.x0, b.x1) >= 0.5 * b.w:
            return key, ""
        return None, OFF_WORDS
    yes, no = words["yes"], words["no"]
    same_line = _overlap(yes.y0, yes.y1, no.y0, no.y1) > 0.5 * min(yes.h, no.h)

    def cover(b: Box) -> float:
        fx = _overlap(mark.x0, mark.x1, b.x0, b.x1) / max(b.w, 1e-6)
        if same_line:
            return fx
        fy = _overlap(mark.y0, mark.y1, b.y0, b.y1) / max(b.h, 1e-6)
        return fx * fy

    if same_line:
        left_key, right_key = ("yes", "no") if yes.cx <= no.cx else ("no", "yes")
        L, R = words[left_key], words[right_key]
        gap = max(0.0, R.x0 - L.x1)
        if cx <= L.x1 + gap * 0.25:
            cand, other = left_key, right_key
            if cx < L.x0 - tol_out:
                return None, OFF_WORDS
        elif cx >= R.x0 - gap * 0.25:
            cand, other = right_key, left_key
            if cx > R.x1 + tol_out:
                return None, OFF_WORDS
        else:
            cl, cr = cover(L), cover(R)
            if cl >= 0.6 and cr <= 0.2:
                cand, other = left_key, right_key
            elif cr >= 0.6 and cl <= 0.2:
                cand, other = right_key, left_key
            else:
                return None, BETWEEN_WORDS
    else:
        # words on different lines: the line the centre is on decides
        dy = {k: (0.0 if b.y0 <= cy <= b.y1 else min(abs(cy - b.y0), abs(cy - b.y1)))
              for k, b in words.items()}
        if dy["yes"] == dy["no"]:
            return None, BETWEEN_WORDS
        cand = "yes" if dy["yes"] < dy["no"] else "no"
        other = "no" if cand == "yes" else "yes"
        b = words[cand]
        if _overlap(mark.x0, mark.x1, b.x0 - tol_out, b.x1 + tol_out) <= 0:
            return None, OFF_WORDS
    if cover(words[other]) >= 0.5:
        return None, BOTH_WORDS
    return cand, ""


def _decide_checkbox(mark: Mark, words: dict[str, Box], size: float) -> tuple[str | None, str]:
    """A checked box in a ``はい・いいえ`` cell: its label, else the word it stands beside."""
    label = _label_answer(mark.text)
    if label:
        return label, ""
    if not words:
        return None, NO_WORDS
    # the square itself sits at the left of the control, the label to its right
    gx = mark.x0 + min(6.75, (mark.x1 - mark.x0) / 2)
    if len(words) == 2:
        yes, no = words["yes"], words["no"]
        if _overlap(yes.y0, yes.y1, no.y0, no.y1) <= 0.5 * min(yes.h, no.h):
            # words on different lines: the line decides
            cy = mark.cy
            dy = {k: abs(cy - b.cy) for k, b in words.items()}
            if abs(dy["yes"] - dy["no"]) < size * 0.3:
                return None, BOX_UNPLACED
            return ("yes" if dy["yes"] < dy["no"] else "no"), ""
    dist: dict[str, float] = {}
    for key, b in words.items():
        lo = b.x0 - 1.2 * size  # a box standing just before the word
        dist[key] = 0.0 if lo <= gx <= b.x1 else min(abs(gx - lo), abs(gx - b.x1))
    ranked = sorted(dist.items(), key=lambda kv: kv[1])
    best_key, best = ranked[0]
    if best > 2 * size:
        return None, BOX_UNPLACED
    if len(ranked) > 1 and ranked[1][1] - best < (1e-9 if best == 0 else size):
        return None, BOX_UNPLACED
    return best_key, ""


def _label_answer(text: str) -> str | None:
    t = unicodedata.normalize("NFKC", text or "").strip().lower().replace(" ", "")
    if t in ("はい", "ハイ", "yes", "y"):
        return "yes"
    if t in ("いいえ", "イイエ", "no", "n"):
        return "no"
    return None


# ---------------------------------------------------------------------------------------------
# DrawingML
# ---------------------------------------------------------------------------------------------

EMU_PER_PT = 12700.0
_MARK_CHARS = set("○〇◯●◎⭕✓✔☑✅レﾚ")
_NOT_MARK_PRST = {
    "line", "lineInv", "arc", "leftBracket", "rightBracket", "leftBrace", "rightBrace",
    "straightConnector1", "bentConnector2", "bentConnector3", "bentConnector4", "bentConnector5",
    "curvedConnector2", "curvedConnector3", "curvedConnector4", "curvedConnector5",
    "mathMultiply", "mathMinus", "mathPlus", "mathDivide", "mathEqual", "mathNotEqual",
}


def _prst_is_mark(prst: str) -> bool:
    if prst in _NOT_MARK_PRST:
        return False
    low = prst.lower()
    # flowChartConnector is a circle; the real connectors are listed in _NOT_MARK_PRST
    return not ("arrow" in low or "callout" in low)


def _is_mark_text(text: str) -> bool:
    t = "".join(text.split())
    return bool(t) and all(ch in _MARK_CHARS for ch in t)


def _a_text(el: etree._Element) -> str:
    """Text of a txBody / VML textbox: paragraphs joined with newlines."""
    paras: list[str] = []
    for p in el.iter("{*}p", "div", "p"):
        if _t(p)[0] == "a":
            paras.append("".join(t.text or "" for t in p.iter("{*}t")))
        else:
            paras.append("".join(p.itertext()))
    if not paras:
        return "".join(el.itertext()).strip()
    return "\n".join(x for x in paras if x.strip()).strip()


class _Xform:
    """Affine map from a (group) coordinate space to sheet points, per axis."""

    __slots__ = ("sx", "bx", "sy", "by")

    def __init__(self, sx: float, bx: float, sy: float, by: float) -> None:
        self.sx, self.bx, self.sy, self.by = sx, bx, sy, by

    def box(self, x: float, y: float, cx: float, cy: float) -> Box:
        xa, xb = self.sx * x + self.bx, self.sx * (x + cx) + self.bx
        ya, yb = self.sy * y + self.by, self.sy * (y + cy) + self.by
        return Box(min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))


def _xfrm(el: etree._Element | None) -> dict[str, float]:
    """Read a:xfrm off/ext/chOff/chExt into a flat dict (EMU)."""
    out: dict[str, float] = {}
    if el is None:
        return out
    for ch in el:
        local = (_TC.get(ch.tag) or _t(ch))[1]
        if local in ("off", "chOff"):
            out[local + ".x"] = _float(ch.get("x"), 0.0)
            out[local + ".y"] = _float(ch.get("y"), 0.0)
        elif local in ("ext", "chExt"):
            out[local + ".x"] = _float(ch.get("cx"), 0.0)
            out[local + ".y"] = _float(ch.get("cy"), 0.0)
    return out


def _anchor_map(box: Box, xf: dict[str, float]) -> _Xform:
    """Map the top-level object's own xfrm rectangle onto its anchor box."""
    ex, ey = xf.get("ext.x", 0.0), xf.get("ext.y", 0.0)
    sx = box.w / ex if ex > 0 else 1 / EMU_PER_PT
    sy = box.h / ey if ey > 0 else 1 / EMU_PER_PT
    return _Xform(sx, box.x0 - sx * xf.get("off.x", 0.0), sy, box.y0 - sy * xf.get("off.y", 0.0))


def _enter_group(t: _Xform, xf: dict[str, float]) -> _Xform:
    """Compose the group's child-space transform (chOff/chExt -> off/ext) with ``t``."""
    def axis(s: float, b: float, a: str) -> tuple[float, float]:
        ext, chext = xf.get(f"ext.{a}", 0.0), xf.get(f"chExt.{a}", 0.0)
        k = ext / chext if ext > 0 and chext > 0 else 1.0
        off, choff = xf.get(f"off.{a}", 0.0), xf.get(f"chOff.{a}", 0.0)
        return s * k, s * (off - choff * k) + b
    sx, bx = axis(t.sx, t.bx, "x")
    sy, by = axis(t.sy, t.by, "y")
    return _Xform(sx, bx, sy, by)


def _marker(el: etree._Element | None, lay: SheetLayout) -> tuple[float, float] | None:
    """xdr:from / xdr:to (col, colOff EMU, row, rowOff EMU) -> sheet points."""
    if el is None:
        return None
    v = {(_TC.get(ch.tag) or _t(ch))[1]: (ch.text or "").strip() for ch in el}
    try:
        col, row = int(v["col"]), int(v["row"])
    except (KeyError, ValueError):
        return None
    return (lay.x(col) + _float(v.get("colOff"), 0.0) / EMU_PER_PT,
            lay.y(row) + _float(v.get("rowOff"), 0.0) / EMU_PER_PT)


def _anchor_box(anchor: etree._Element, kind: str, lay: SheetLayout) -> Box | None:
    frm = to = pos = ext = None
    for ch in anchor:
        local = (_TC.get(ch.tag) or _t(ch))[1]
        if local == "from":
            frm = ch
        elif local == "to":
            to = ch
        elif local == "pos":
            pos = ch
        elif local == "ext":
            ext = ch
    if kind == "twoCellAnchor":
        a, b = _marker(frm, lay), _marker(to, lay)
        if a is None or b is None:
            return None
        return Box(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))
    if ext is None:
        return None
    cx = _float(ext.get("cx"), 0.0) / EMU_PER_PT
    cy = _float(ext.get("cy"), 0.0) / EMU_PER_PT
    if kind == "oneCellAnchor":
        a = _marker(frm, lay)
    elif pos is not None:
        a = (_float(pos.get("x"), 0.0) / EMU_PER_PT, _float(pos.get("y"), 0.0) / EMU_PER_PT)
    else:
        a = None
    if a is None:
        return None
    return Box(a[0], a[1], a[0] + cx, a[1] + cy)


def _sp_info(sp: etree._Element, control_ids: frozenset[str] = frozenset()) -> \
        tuple[str | None, str, str, bool, str]:
    """(mark kind or None, text, name, hidden, legacy spid) for an xdr:sp.

    A shape that stands in for a form control (Excel: ``a14:compatExt spid``; LibreOffice:
    ``cNvPr id`` equal to the control's ``shapeId``) is not a mark: the control is read from
    its ctrlProp/VML, and only the twin's text is kept as the control's label.
    """
    name, hidden, txbox, spid = "", False, False, ""
    prst, cust, invisible_fill, invisible_line = "", False, False, False
    text = ""
    for ch in _kids(sp):
        local = (_TC.get(ch.tag) or _t(ch))[1]
        if local == "nvSpPr":
            for n in ch:
                nl = (_TC.get(n.tag) or _t(n))[1]
                if nl == "cNvPr":
                    name = n.get("name") or n.get("id") or ""
                    hidden = n.get("hidden") in ("1", "true")
                    if n.get("id") in control_ids:
                        spid = "_x0000_s" + (n.get("id") or "")
                    if len(n):
                        for e in n.iter("{*}compatExt"):
                            spid = e.get("spid") or ""
                elif nl == "cNvSpPr":
                    txbox = n.get("txBox") in ("1", "true")
        elif local == "spPr":
            for g in ch:
                gl = (_TC.get(g.tag) or _t(g))[1]
                if gl == "prstGeom":
                    prst = g.get("prst") or ""
                elif gl == "custGeom":
                    cust = True
                elif gl == "noFill":
                    invisible_fill = True
                elif gl == "ln":
                    invisible_line = any((_TC.get(x.tag) or _t(x))[1] == "noFill" for x in g)
        elif local == "txBody":
            text = _a_text(ch)
    if spid:
        return None, text, name, hidden, spid  # mirror of a legacy form control
    if text:
        if _is_mark_text(text) or _label_answer(text):
            return "textbox", text, name, hidden, spid
        return None, text, name, hidden, spid  # a note or a callout, not a mark
    if invisible_fill and invisible_line:
        return None, text, name, hidden, spid
    if txbox or cust or (prst and _prst_is_mark(prst)):
        return "shape", text, name, hidden, spid
    return None, text, name, hidden, spid


def _walk_drawing_obj(obj: etree._Element, t: _Xform | None, anchor_box: Box, part: str,
                      lay: SheetLayout, out: list[Mark], mirror_text: dict[str, str],
                      control_ids: frozenset[str], depth: int = 0) -> None:
    local = (_TC.get(obj.tag) or _t(obj))[1]
    if depth > 32:
        return
    if local == "sp":
        kind, text, name, hidden, spid = _sp_info(obj, control_ids)
        if spid:
            mirror_text[spid] = text
        if kind is None or hidden:
            return
        if t is None:
            box = anchor_box
        else:
            spPr = _find(obj, "xdr", "spPr")
            xf = _xfrm(_find(spPr, "a", "xfrm") if spPr is not None else None)
            if "ext.x" not in xf:
                return
            box = t.box(xf.get("off.x", 0.0), xf.get("off.y", 0.0), xf["ext.x"], xf["ext.y"])
        if box.w < 0.5 and box.h < 0.5:
            return  # a zero-size shape marks nothing
        out.append(_mark(kind, part, box, lay, None, text, name))
    elif local == "grpSp":
        gpr = _find(obj, "xdr", "grpSpPr")
        xf = _xfrm(_find(gpr, "a", "xfrm") if gpr is not None else None)
        for n in obj:
            if (_TC.get(n.tag) or _t(n))[1] == "nvGrpSpPr":
                c = _find(n, "xdr", "cNvPr")
                if c is not None and c.get("hidden") in ("1", "true"):
                    return
        base = t if t is not None else _anchor_map(anchor_box, xf)
        inner = _enter_group(base, xf)
        for ch in _kids(obj):
            if (_TC.get(ch.tag) or _t(ch))[1] in ("sp", "grpSp"):
                _walk_drawing_obj(ch, inner, anchor_box, part, lay, out, mirror_text,
                                  control_ids, depth + 1)
    # cxnSp (connectors), pic, graphicFrame (charts), contentPart (ink): not marks


def _mark(kind: str, part: str, box: Box, lay: SheetLayout, checked: bool | None, text: str,
          name: str, mixed: bool = False) -> Mark:
    r, c = lay.cell_at(box.cx, box.cy)
    return Mark(kind, part, r, c, box.x0, box.x1, box.y0, box.y1, checked, text, name, mixed)


def _read_drawingml(root: etree._Element, part: str, lay: SheetLayout,
                    mirror_text: dict[str, str]) -> list[Mark]:
    out: list[Mark] = []
    control_ids = frozenset(c.get("shapeId") or "" for c in lay.controls) - {""}
    for anchor in _kids(root):
        kind = (_TC.get(anchor.tag) or _t(anchor))[1]
        if kind not in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor"):
            continue
        box = _anchor_box(anchor, kind, lay)
        if box is None:
            continue
        for obj in _kids(anchor):
            if (_TC.get(obj.tag) or _t(obj))[1] in ("sp", "grpSp"):
                _walk_drawing_obj(obj, None, box, part, lay, out, mirror_text, control_ids)
    return out


# ---------------------------------------------------------------------------------------------
# Legacy VML
# ---------------------------------------------------------------------------------------------

_VML_SHAPES = {"shape", "oval", "roundrect", "rect"}
_VML_LINE_SPT = {"20", "32", "33", "34", "35", "36", "37", "38", "39", "40", "75"}
_VML_SKIP_OBJECTS = {"note", "button", "drop", "list", "spin", "scroll", "label", "dialog",
                     "gbox", "edit", "movie", "pict", "camera"}
_CSS_UNIT = {"pt": 1.0, "px": 0.75, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "pc": 12.0,
             "emu": 1 / EMU_PER_PT, "": 0.75}
_CSS_LEN = re.compile(r"^\s*(-?[\d.]+)\s*([a-z]*)\s*$")


def _css(style: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (style or "").split(";"):
        k, _, v = item.partition(":")
        if k.strip():
            out[k.strip().lower()] = v.strip()
    return out


def _css_len(v: str | None, unitless: float = 0.75) -> float | None:
    if not v:
        return None
    m = _CSS_LEN.match(v.lower())
    if not m:
        return None
    try:
        num = float(m.group(1))
    except ValueError:
        return None
    unit = m.group(2)
    return num * (unitless if unit == "" else _CSS_UNIT.get(unit, 0.75))


def _vml_anchor(text: str, lay: SheetLayout) -> Box | None:
    try:
        n = [int(float(p)) for p in text.replace("\n", " ").split(",")]
    except ValueError:
        return None
    if len(n) != 8:
        return None
    lc, lo, tr, to, rc, ro, br, bo = n
    return Box(lay.x(lc) + lo * 0.75, lay.y(tr) + to * 0.75,
               lay.x(rc) + ro * 0.75, lay.y(br) + bo * 0.75)


def _vml_style_box(css: dict[str, str], origin: tuple[float, float] = (0.0, 0.0),
                   scale: tuple[float, float] | None = None) -> Box | None:
    """Box from VML CSS; top level uses margin-left/top (pt), group children left/top (coords)."""
    if scale is None:
        left = _css_len(css.get("margin-left")) or _css_len(css.get("left")) or 0.0
        top = _css_len(css.get("margin-top")) or _css_len(css.get("top")) or 0.0
        w, h = _css_len(css.get("width")), _css_len(css.get("height"))
        if w is None or h is None:
            return None
        return Box(left, top, left + w, top + h)
    sx, sy = scale
    left = _css_len(css.get("left"), 1.0) or 0.0
    top = _css_len(css.get("top"), 1.0) or 0.0
    w, h = _css_len(css.get("width"), 1.0), _css_len(css.get("height"), 1.0)
    if w is None or h is None:
        return None
    return Box(origin[0] + left * sx, origin[1] + top * sy,
               origin[0] + (left + w) * sx, origin[1] + (top + h) * sy)


@dataclass
class _VmlControl:
    spid: str
    box: Box
    checked: bool
    mixed: bool
    text: str
    name: str
    part: str


def _read_vml(root: etree._Element, part: str, lay: SheetLayout,
              controls: list[_VmlControl]) -> list[Mark]:
    shapetypes: dict[str, str] = {}
    for el in root.iter("{urn:schemas-microsoft-com:vml}shapetype"):
        shapetypes["#" + (el.get("id") or "")] = el.get(
            "{urn:schemas-microsoft-com:office:office}spt") or ""
    out: list[Mark] = []

    def walk(parent: etree._Element, origin: tuple[float, float],
             scale: tuple[float, float] | None, depth: int) -> None:
        for el in _kids(parent):
            ns, local = _t(el)
            if ns != "v" or depth > 32:
                continue
            css = _css(el.get("style") or "")
            if css.get("visibility") == "hidden" or css.get("display") == "none":
                continue
            if local == "group":
                gbox = _vml_style_box(css, origin, scale)
                if gbox is None:
                    continue
                cs = [float(p) for p in (el.get("coordsize") or "1000,1000").split(",")[:2]
                      if p.strip()] or [1000.0, 1000.0]
                co = [float(p) for p in (el.get("coordorigin") or "0,0").split(",")[:2]
                      if p.strip()] or [0.0, 0.0]
                cs += [cs[0]] * (2 - len(cs))
                co += [0.0] * (2 - len(co))
                sx = gbox.w / cs[0] if cs[0] else 1.0
                sy = gbox.h / cs[1] if cs[1] else 1.0
                walk(el, (gbox.x0 - co[0] * sx, gbox.y0 - co[1] * sy), (sx, sy), depth + 1)
                continue
            if local not in _VML_SHAPES:
                continue  # v:line, v:polyline, v:arc, v:curve, v:image
            client = None
            textbox = None
            for ch in el:
                cl = _t(ch)
                if cl == ("x", "ClientData"):
                    client = ch
                elif cl == ("v", "textbox"):
                    textbox = ch
            obj = (client.get("ObjectType") or "").lower() if client is not None else ""
            anchor_text = checked_text = None
            if client is not None:
                for ch in client:
                    cl = _t(ch)[1]
                    if cl == "Anchor":
                        anchor_text = ch.text or ""
                    elif cl == "Checked":
                        checked_text = (ch.text or "").strip()
            box = _vml_anchor(anchor_text, lay) if anchor_text and scale is None else None
            styled = _vml_style_box(css, origin, scale)
            if box is not None and styled is not None and styled.w > 0 and styled.h > 0:
                # the anchored top-left corner, sized by the CSS: LibreOffice computes the
                # bottom-right cell offset from its own column widths (even negative ones)
                box = Box(box.x0, box.y0, box.x0 + styled.w, box.y0 + styled.h)
            if box is None:
                box = styled
            if box is None:
                continue
            text = _a_text(textbox) if textbox is not None else ""
            sid = el.get("id") or el.get("{urn:schemas-microsoft-com:office:office}spid") or ""
            if obj in ("checkbox", "radio"):
                ck = checked_text or "0"
                controls.append(_VmlControl(sid, box, ck in ("1", "2"), ck == "2", text,
                                            el.get("alt") or sid, part))
                continue
            if obj in _VML_SKIP_OBJECTS:
                continue
            if local == "shape" and shapetypes.get(el.get("type") or "") in _VML_LINE_SPT:
                continue
            if el.get("stroked") in ("f", "false") and el.get("filled") in ("f", "false") \
                    and not text:
                continue
            if text:
                if not (_is_mark_text(text) or _label_answer(text)):
                    continue
                kind = "textbox"
            else:
                kind = "shape"
            out.append(_mark(kind, part, box, lay, None, text, sid))

    walk(root, (0.0, 0.0), None, 0)
    return out


# ---------------------------------------------------------------------------------------------
# Form controls (x14 <controls> + ctrlProps)
# ---------------------------------------------------------------------------------------------


def _control_marks(zf: zipfile.ZipFile, sheet_part: str, lay: SheetLayout,
                   rels: dict[str, tuple[str, str]], vml_controls: list[_VmlControl],
                   mirror_text: dict[str, str], issues: list[str]) -> list[Mark]:
    """Check boxes: x14 controls (state from ctrlProp) joined to their VML twins, then VML-only.

    Excel links a control to its VML shape by ``shapeId`` ↔ ``_x0000_s<id>``. LibreOffice
    writes every VML shape as ``shape_0`` and a zero anchor on the control, so unlinked VML
    boxes are paired with unlinked controls by label, else in document order.
    """
    out: list[Mark] = []
    used: set[int] = set()  # id() of VML controls already represented
    by_spid: dict[str, _VmlControl] = {}
    for v in vml_controls:
        by_spid.setdefault(v.spid, v)
    linked = {f"_x0000_s{c.get('shapeId')}" for c in lay.controls}
    spare = [v for v in vml_controls if v.spid not in linked]
    for ctl in lay.controls:
        sid = ctl.get("shapeId") or ""
        spid = f"_x0000_s{sid}" if sid else ""
        rid = _rid(ctl)
        if not rid or rid not in rels:
            continue
        _, target = rels[rid]
        try:
            prop = _parse(_read_part(zf, target), target)
        except _PartError as exc:
            issues.append(str(exc))
            continue
        if (prop.get("objectType") or "").lower() not in ("checkbox", "radio"):
            continue
        state = (prop.get("checked") or "").lower()
        box: Box | None = None
        for pr in _kids(ctl):
            if _t(pr)[1] != "controlPr":
                continue
            for an in _kids(pr):
                if _t(an)[1] == "anchor":
                    frm = to = None
                    for m in _kids(an):
                        if _t(m)[1] == "from":
                            frm = _marker(m, lay)
                        elif _t(m)[1] == "to":
                            to = _marker(m, lay)
                    if frm and to and (to[0] - frm[0] > 0.5 or to[1] - frm[1] > 0.5):
                        box = Box(frm[0], frm[1], to[0], to[1])
        legacy = by_spid.get(spid) if spid else None
        if legacy is None and spare:
            # no id link: the spare VML box with the control's label, else the next in order
            name = ctl.get("name") or ""
            legacy = next((v for v in spare if v.text and v.text == name), spare[0])
            spare.remove(legacy)
        if legacy is not None:
            used.add(id(legacy))
        if box is None and legacy is not None:
            box = legacy.box
        if box is None:
            continue
        text = (legacy.text if legacy is not None else "") or mirror_text.get(spid, "")
        out.append(_mark("checkbox", target, box, lay, state in ("checked", "mixed"), text,
                         ctl.get("name") or spid, mixed=state == "mixed"))
    for v in vml_controls:
        if id(v) in used:
            continue
        out.append(_mark("checkbox", v.part, v.box, lay, v.checked,
                         v.text or mirror_text.get(v.spid, ""), v.name, mixed=v.mixed))
    return out


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------


def read_marks_with_issues(zf: zipfile.ZipFile, sheet_part: str,
                           layout: SheetLayout | None = None) -> tuple[list[Mark], list[str]]:
    """All marks on a sheet plus Japanese notes on parts that could not be read.

    Never raises: a broken rel, a missing or oversized part each become one issue and the rest
    of the sheet is still read.
    """
    issues: list[str] = []
    try:
        rels = _read_rels(zf, sheet_part)
    except _PartError as exc:
        return [], [str(exc)]
    except Exception as exc:  # pragma: no cover - defensive
        return [], [f"{sheet_part}: {type(exc).__name__}"]
    if not any(typ in _DRAWING_TYPES for typ, _ in rels.values()):
        return [], issues
    try:
        lay = layout or load_layout(zf, sheet_part)
    except _PartError as exc:
        return [], [str(exc)]
    except Exception as exc:  # pragma: no cover - defensive
        return [], [f"{sheet_part}: {type(exc).__name__}"]
    marks: list[Mark] = []
    vml_controls: list[_VmlControl] = []
    mirror_text: dict[str, str] = {}
    for local, rid in lay.drawing_rids:
        hit = rels.get(rid)
        if hit is None:
            issues.append(f"{sheet_part} の図形の参照 {rid} が見つかりません")
            continue
        _, target = hit
        try:
            if local == "drawing":
                root = _parse(_read_part(zf, target), target)
                marks.extend(_read_drawingml(root, target, lay, mirror_text))
            else:
                root = _parse(_read_part(zf, target), target, lax=True)
                marks.extend(_read_vml(root, target, lay, vml_controls))
        except _PartError as exc:
            issues.append(str(exc))
        except Exception as exc:  # malformed numbers etc.: keep what was read
            issues.append(f"{target} を読めません（{type(exc).__name__}）")
    try:
        marks.extend(_control_marks(zf, sheet_part, lay, rels, vml_controls, mirror_text, issues))
    except Exception as exc:  # pragma: no cover - defensive
        issues.append(f"{sheet_part} のフォームコントロールを読めません（{type(exc).__name__}）")
    return marks, issues


def read_marks(zf: zipfile.ZipFile, sheet_part: str) -> list[Mark]:
    """All shapes, ○ text boxes and check boxes on a sheet that may carry an answer."""
    return read_marks_with_issues(zf, sheet_part)[0]


MAX_MARK_W = 288.0  # larger shapes are frames or decoration, not marks over a word
MAX_MARK_H = 96.0


def _relevant(m: Mark) -> bool:
    if m.kind == "checkbox":
        return bool(m.checked)
    return (m.x1 - m.x0) <= MAX_MARK_W and (m.y1 - m.y0) <= MAX_MARK_H


def read_slots(zf: zipfile.ZipFile, sheet_part: str, slots: list[AnswerSlot],
               merged: list[tuple[int, int, int, int]]) -> tuple[dict[object, MarkReading],
                                                                 list[Mark]]:
    """Decide each slot's answer from the marks over it; also return stray marks (on no slot).

    Slots without any mark are absent from the result. A reading is None (with a reason) when
    the marks are not clearly over one word: both words covered, a mark straddling cells, two
    marks that disagree. Unchecked check boxes and frame-sized shapes are not marks. ``merged``
    is combined with the sheet's own ``<mergeCells>``. :func:`read_slots_with_issues` also
    says which drawing parts could not be read.
    """
    readings, stray, _issues = read_slots_with_issues(zf, sheet_part, slots, merged)
    return readings, stray


def read_slots_with_issues(zf: zipfile.ZipFile, sheet_part: str, slots: list[AnswerSlot],
                           merged: list[tuple[int, int, int, int]]
                           ) -> tuple[dict[object, MarkReading], list[Mark], list[str]]:
    """:func:`read_slots` plus Japanese notes on drawing parts that could not be read (a
    damaged drawing may hide an answer: the caller reports each note)."""
    try:
        if not sheet_has_drawings(zf, sheet_part):
            return {}, [], []
        lay = load_layout(zf, sheet_part, merged)
    except _PartError as exc:
        return {}, [], [str(exc)]
    except Exception as exc:  # pragma: no cover - defensive
        return {}, [], [f"{sheet_part}: {type(exc).__name__}"]
    marks, issues = read_marks_with_issues(zf, sheet_part, lay)
    readings, stray = decide_slots(lay, marks, slots)
    return readings, stray, issues


class _SlotCell:
    """One cell of a slot; its word layout is computed only when a mark comes near it."""

    __slots__ = ("slot", "idx", "row", "col", "role", "text", "lay", "_box", "cell", "words",
                 "size")

    def __init__(self, slot: int, idx: int, row: int, col: int, role: str, text: str,
                 lay: SheetLayout) -> None:
        self.slot, self.idx, self.row, self.col = slot, idx, row, col
        self.role, self.text, self.lay = role, text, lay
        self._box: Box | None = None
        self.cell: Box = Box(0, 0, 0, 0)
        self.words: dict[str, Box] = {}
        self.size = lay.styles.default_size

    @property
    def box(self) -> Box:
        """The cell (or its merge), widened to text that overflows it."""
        if self._box is None:
            lay = self.lay
            self.cell = box = lay.cell_box(self.row, self.col)
            if self.role == "both":
                xf = lay.styles.xf(lay.style_index(*lay.merge_of(self.row, self.col)[:2]))
                self.size = xf.font_size
                self.words = _layout_words_cached(box, self.text, xf)
                if self.words:  # text overflowing into empty neighbours is still circled there
                    ws = self.words.values()
                    box = Box(min(box.x0, *(b.x0 - 2 for b in ws)), box.y0,
                              max(box.x1, *(b.x1 + 2 for b in ws)), box.y1)
            self._box = box
        return self._box


_words_memo: dict[tuple[str, _Xf, float, float], dict[str, Box]] = {}


def _layout_words_cached(cell: Box, text: str, xf: _Xf) -> dict[str, Box]:
    """layout_words, memoised on (text, style, cell size): a form repeats one answer cell."""
    key = (text, xf, round(cell.w, 3), round(cell.h, 3))
    rel = _words_memo.get(key)
    if rel is None:
        rel = layout_words(Box(0.0, 0.0, cell.w, cell.h), text, xf)
        if len(_words_memo) > 2048:
            _words_memo.clear()
        _words_memo[key] = rel
    return {k: Box(b.x0 + cell.x0, b.y0 + cell.y0, b.x1 + cell.x0, b.y1 + cell.y0)
            for k, b in rel.items()}


def decide_slots(lay: SheetLayout, marks: list[Mark], slots: list[AnswerSlot]) -> \
        tuple[dict[object, MarkReading], list[Mark]]:
    """The decision half of :func:`read_slots`, usable on marks already read."""
    by_row: dict[int, list[_SlotCell]] = {}
    for si, slot in enumerate(slots):
        for ci, (r, c) in enumerate(slot.cells):
            role = slot.roles[ci] if ci < len(slot.roles) else "both"
            text = slot.texts[ci] if ci < len(slot.texts) else ""
            sc = _SlotCell(si, ci, r, c, role, text, lay)
            r0, _, r1, _ = lay.merge_of(r, c)
            for rr in range(r0, min(r1, r0 + 256) + 1):
                by_row.setdefault(rr, []).append(sc)
    per_slot: dict[int, list[tuple[Mark, str | None, str]]] = {}
    stray: list[Mark] = []
    for m in marks:
        if not _relevant(m):
            continue
        area = max((m.x1 - m.x0), 0.5) * max((m.y1 - m.y0), 0.5)
        r_lo, r_hi = lay.rows.index_at(m.y0), lay.rows.index_at(m.y1)
        cand: list[_SlotCell] = []
        for rr in range(r_lo, min(r_hi, r_lo + 64) + 1):
            for sc in by_row.get(rr, ()):
                if all(sc is not o for o in cand):
                    cand.append(sc)
        home = [sc for sc in cand if sc.box.x0 <= m.cx < sc.box.x1 and sc.box.y0 <= m.cy < sc.box.y1]
        share: list[tuple[_SlotCell, float]] = []
        for sc in cand:
            bx = sc.box
            ov = (_overlap(m.x0, m.x1, bx.x0, bx.x1) or (0.5 if bx.x0 <= m.cx <= bx.x1 else 0)) * \
                 (_overlap(m.y0, m.y1, bx.y0, bx.y1) or (0.5 if bx.y0 <= m.cy <= bx.y1 else 0))
            share.append((sc, ov / area))
        # another cell counts only when the mark covers it nearly as much as its home cell: a
        # generous ellipse centred on one row may spill a little into the rows around it
        home_share = next((f for sc, f in share if home and sc is home[0]), 0.0)
        floor = max(0.25, 0.75 * home_share)
        involved = home[:1] + [sc for sc, f in share
                               if f >= floor and (not home or sc is not home[0])]
        if not involved:
            stray.append(m)
            continue
        if len(involved) > 1:
            for si in {sc.slot for sc in involved}:
                per_slot.setdefault(si, []).append((m, None, BETWEEN_CELLS))
            continue
        sc = involved[0]
        slot = slots[sc.slot]
        role = slot.roles[sc.idx] if sc.idx < len(slot.roles) else "both"
        if m.mixed:
            verdict: tuple[str | None, str] = (None, MIXED)
        elif role in ("yes", "no"):
            verdict = (role, "")
        elif m.kind == "checkbox":
            verdict = _decide_checkbox(m, sc.words, sc.size)
        elif m.kind == "textbox" and _label_answer(m.text):
            verdict = (_label_answer(m.text), "")
        else:
            verdict = _decide_word(m, sc.words, sc.size)
        per_slot.setdefault(sc.slot, []).append((m, verdict[0], verdict[1]))
    result: dict[object, MarkReading] = {}
    for si, items in per_slot.items():
        ms = tuple(m for m, _, _ in items)
        source = "checkbox" if all(m.kind == "checkbox" for m in ms) else "shape"
        undecided = [d for _, a, d in items if a is None]
        answers = {a for _, a, _ in items if a is not None}
        if undecided:
            reading = MarkReading(None, source, undecided[0], ms)
        elif len(answers) > 1:
            reading = MarkReading(None, source, CONFLICT, ms)
        else:
            deciding = [m for m, a, _ in items if a is not None]
            src = "checkbox" if deciding and deciding[0].kind == "checkbox" else "shape"
            reading = MarkReading(answers.pop(), src, "", ms)
        result[slots[si].key] = reading
    return result, stray
