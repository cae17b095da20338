"""Write cell values into an existing xlsx package by patching worksheet XML in place.

Why not openpyxl: it loads a workbook into its own object model and writes a new one, dropping
what it does not model (shapes, form controls, some validations, printer settings, themes'
details, ``extLst`` blocks). An official form must come back exactly as issued, so ``fill``
edits only the ``<c>`` elements it writes and copies every other package part byte for byte.

Strings are written as inline strings (``t="inlineStr"``), so ``sharedStrings.xml`` stays
untouched; numbers and dates as ``<v>`` numbers. A date cell keeps its style when that style
already shows a date, otherwise it gets a copy of its style with a date number format, added
to ``styles.xml``. When the template holds formulas, ``workbook.xml`` gets
``<calcPr fullCalcOnLoad="1"/>``: the formulas' cached results were computed from the blank
template, and without it Excel would show them stale until someone presses F9. These two are
the only other parts that may change.

A :class:`Patcher` parses the template once and renders any number of filled copies, because
a vendor fills the same template for hundreds of facilities.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from xltools.xlsx.cells import Cell, address, col_letters, parse_ref  # noqa: F401  (re-exported)
from xltools.xlsx.parts import read_parts

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_C = f"{{{NS_MAIN}}}c"
_ROW = f"{{{NS_MAIN}}}row"

SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                              remove_blank_text=False)
EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_FORMAT = "yyyy/m/d"  # what a Japanese office expects when the template has no date format

# Built-in number formats that show a date (ECMA-376 18.8.30, plus the Japanese-locale ids
# 27-36 and 50-58 that Excel maps to 和暦 / 年月日 formats).
_BUILTIN_DATE_IDS = frozenset({14, 15, 16, 17, 22, *range(27, 37), *range(50, 59)})
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Value = str | int | float | dt.date


class PatchError(ValueError):
    """The package cannot be patched (not an xlsx, part missing, a written cell holds a formula)."""


@dataclass(frozen=True)
class Styled:
    """A number written with an explicit style index (for callers that manage styles)."""

    value: float
    style: int


def parse_address(ref: str) -> Cell:
    """:func:`xltools.xlsx.cells.parse_ref`, failing as a :class:`PatchError`."""
    try:
        return parse_ref(ref)
    except ValueError:
        raise PatchError(f"not a cell address: {ref!r}") from None


def excel_serial(d: dt.date) -> int:
    """Days since Excel's 1900 epoch (dates after 1900-03-01, which every form date is)."""
    if isinstance(d, dt.datetime):
        d = d.date()
    return (d - EXCEL_EPOCH).days


def is_date_format(code: str) -> bool:
    """True when a custom number format shows a date (y/m/d/e/g tokens outside quotes)."""
    t = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    t = t.split(";")[0].lower().replace("general", "")
    t = re.sub(r"e[+-]", "", t)  # scientific notation, not an era
    return bool(re.search(r"[yedg]", t)) or ("m" in t and not re.search(r"h|s", t))


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


class _Styles:
    """``styles.xml`` as far as date cells need it: which xf shows a date; add one that does."""

    def __init__(self, data: bytes | None) -> None:
        self.original = data
        self.root = etree.fromstring(data, SAFE_PARSER) if data else None
        self.dirty = False
        self._date_for: dict[int, int] = {}
        self._fmt_id: int | None = None

    def _xfs(self) -> etree._Element | None:
        return None if self.root is None else self.root.find(f"{{{NS_MAIN}}}cellXfs")

    def _formats(self) -> dict[int, str]:
        if self.root is None:
            return {}
        out = {}
        for nf in self.root.iterfind(f"{{{NS_MAIN}}}numFmts/{{{NS_MAIN}}}numFmt"):
            out[int(nf.get("numFmtId", "0"))] = nf.get("formatCode", "")
        return out

    def shows_date(self, s: int) -> bool:
        xfs = self._xfs()
        if xfs is None or s >= len(xfs):
            return False
        fid = int(xfs[s].get("numFmtId", "0"))
        if fid in _BUILTIN_DATE_IDS:
            return True
        code = self._formats().get(fid)
        return bool(code) and is_date_format(code)

    def date_style(self, s: int) -> int:
        """``s`` when it already shows a date, else the index of a copy that does."""
        if self.shows_date(s):
            return s
        if s in self._date_for:
            return self._date_for[s]
        if self.root is None:
            raise PatchError("このブックには styles.xml がないため日付の書式を設定できません")
        xfs = self._xfs()
        if xfs is None:
            raise PatchError("styles.xml に cellXfs がありません")
        new = copy.deepcopy(xfs[s]) if s < len(xfs) else etree.Element(
            f"{{{NS_MAIN}}}xf", numFmtId="0", fontId="0", fillId="0", borderId="0", xfId="0")
        new.set("numFmtId", str(self._date_format_id()))
        new.set("applyNumberFormat", "1")
        xfs.append(new)
        xfs.set("count", str(len(xfs)))
        self._date_for[s] = len(xfs) - 1
        self.dirty = True
        return len(xfs) - 1

    def _date_format_id(self) -> int:
        if self._fmt_id is not None:
            return self._fmt_id
        assert self.root is not None
        formats = self._formats()
        for fid, code in formats.items():
            if code == DATE_FORMAT:
                self._fmt_id = fid
                return fid
        nfs = self.root.find(f"{{{NS_MAIN}}}numFmts")
        if nfs is None:
            nfs = etree.Element(f"{{{NS_MAIN}}}numFmts")
            self.root.insert(0, nfs)  # numFmts is the first child of styleSheet
        fid = max([163, *formats]) + 1
        etree.SubElement(nfs, f"{{{NS_MAIN}}}numFmt", numFmtId=str(fid), formatCode=DATE_FORMAT)
        nfs.set("count", str(len(nfs)))
        self._fmt_id = fid
        return fid

    def data(self) -> bytes | None:
        if not self.dirty or self.root is None:
            return self.original
        return _serialise(self.root)


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class _Sheet:
    """One worksheet part, parsed once; cells indexed for lookup."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.root = etree.fromstring(data, SAFE_PARSER)
        self.data = self.root.find(f"{{{NS_MAIN}}}sheetData")
        if self.data is None:
            raise PatchError(f"{name} に sheetData がありません")
        self.styles: dict[Cell, int] = {}
        for row in self.data.iterfind(_ROW):
            for c in row.iterfind(_C):
                ref = c.get("r")
                if ref:
                    self.styles[parse_address(ref)] = int(c.get("s", "0"))
        self.row_styles = {int(r.get("r")) - 1: int(r.get("s", "0"))
                           for r in self.data.iterfind(_ROW)
                           if r.get("r") and r.get("customFormat") in ("1", "true")}

    def style(self, cell: Cell) -> int:
        return self.styles.get(cell, self.row_styles.get(cell[0], 0))


class Patcher:
    """A template package, parsed once, from which filled copies are rendered.

    ``render`` returns new package bytes in which only the worksheet parts named in ``edits``
    (and ``styles.xml`` when a date style had to be added) differ from the template.
    """

    def __init__(self, data: bytes) -> None:
        self.template_bytes = data
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            self.infos = zf.infolist()
            self.parts = {i.filename: zf.read(i) for i in self.infos}
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise PatchError(f"xlsx として開けません: {exc}") from exc
        self._sheets: dict[str, _Sheet] = {}
        self._styles = _Styles(self.parts.get("xl/styles.xml"))
        self.has_formulas = any(_FORMULA.search(data) for name, data in self.parts.items()
                                if name.startswith("xl/worksheets/") and name.endswith(".xml"))

    def sheet(self, part: str) -> _Sheet:
        if part not in self._sheets:
            if part not in self.parts:
                raise PatchError(f"パッケージに {part} がありません")
            self._sheets[part] = _Sheet(part, self.parts[part])
        return self._sheets[part]

    def has_cell(self, part: str, cell: Cell) -> bool:
        """Whether the template has a ``<c>`` element there (a styled blank counts)."""
        return cell in self.sheet(part).styles

    def style(self, part: str, cell: Cell) -> int:
        return self.sheet(part).style(cell)

    def shows_date(self, part: str, cell: Cell) -> bool:
        return self._styles.shows_date(self.style(part, cell))

    def render(self, edits: Mapping[str, Mapping[Cell, Value | Styled]]) -> bytes:
        """Package bytes with ``edits`` ({part: {(row, col): value}}) written."""
        out_parts = dict(self.parts)
        for part, cells in edits.items():
            if cells:
                out_parts[part] = self._patched(part, cells)
        styles = self._styles.data()
        if styles is not None:
            out_parts["xl/styles.xml"] = styles
        if self.has_formulas and any(edits.values()) and _WORKBOOK in out_parts:
            out_parts[_WORKBOOK] = full_calc_on_load(out_parts[_WORKBOOK])
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as out:
            for info in self.infos:
                zi = zipfile.ZipInfo(info.filename, info.date_time)
                zi.compress_type = info.compress_type
                zi.external_attr = info.external_attr
                zi.create_system = info.create_system
                out.writestr(zi, out_parts[info.filename])
        return buf.getvalue()

    def _patched(self, part: str, cells: Mapping[Cell, Value | Styled]) -> bytes:
        sheet = self.sheet(part)
        root = copy.deepcopy(sheet.root)
        data = root.find(f"{{{NS_MAIN}}}sheetData")
        rows = {int(r.get("r")) - 1: r for r in data.iterfind(_ROW) if r.get("r")}
        for (r, c), value in sorted(cells.items()):
            row = rows.get(r)
            if row is None:
                row = rows[r] = _insert_row(data, r)
            el = _cell_in(row, r, c)
            style = sheet.style((r, c))
            _set_value(el, value, style, self._styles, f"{part}!{address(r, c)}")
        _grow_dimension(root, cells)
        return _serialise_like(root, self.parts[part])


_WORKBOOK = "xl/workbook.xml"
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
# CT_Workbook's children after calcPr (ECMA-376 18.2.28): calcPr goes before the first of these
_AFTER_CALC_PR = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                  "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


def full_calc_on_load(workbook_xml: bytes) -> bytes:
    """``workbook.xml`` with ``<calcPr fullCalcOnLoad="1"/>``: every formula recalculated on open."""
    root = etree.fromstring(workbook_xml, SAFE_PARSER)
    calc = root.find(f"{{{NS_MAIN}}}calcPr")
    if calc is not None and calc.get("fullCalcOnLoad") in ("1", "true"):
        return workbook_xml  # already so: the part stays byte for byte
    if calc is None:
        calc = etree.Element(f"{{{NS_MAIN}}}calcPr")
        later = [i for i, el in enumerate(root) if isinstance(el.tag, str)
                 and etree.QName(el).localname in _AFTER_CALC_PR]
        root.insert(later[0] if later else len(root), calc)
    calc.set("fullCalcOnLoad", "1")
    return _serialise_like(root, workbook_xml)


def _serialise_like(root: etree._Element, original: bytes) -> bytes:
    standalone = b'standalone="yes"' in original[:200]
    if original.lstrip().startswith(b"<?xml"):
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                              standalone=True if standalone else None)
    return etree.tostring(root, encoding="UTF-8")


def _insert_row(data: etree._Element, r: int) -> etree._Element:
    new = etree.Element(_ROW, r=str(r + 1))
    for row in data.iterfind(_ROW):
        if int(row.get("r", "0")) - 1 > r:
            data.insert(data.index(row), new)
            return new
    data.append(new)
    return new


def _cell_in(row: etree._Element, r: int, c: int) -> etree._Element:
    ref = address(r, c)
    for el in row.iterfind(_C):
        er = el.get("r")
        if er == ref:
            return el
        if er and parse_address(er)[1] > c:
            new = etree.Element(_C, r=ref)
            row.insert(row.index(el), new)
            _widen_spans(row, c)
            return new
    new = etree.SubElement(row, _C, r=ref)
    _widen_spans(row, c)
    return new


def _widen_spans(row: etree._Element, c: int) -> None:
    spans = row.get("spans")
    if not spans or ":" not in spans or " " in spans:
        return
    a, b = (int(x) for x in spans.split(":"))
    if not a <= c + 1 <= b:
        row.set("spans", f"{min(a, c + 1)}:{max(b, c + 1)}")


def _set_value(el: etree._Element, value: Value | Styled, style: int, styles: _Styles,
               where: str) -> None:
    if el.find(f"{{{NS_MAIN}}}f") is not None:
        raise PatchError(f"{where} には数式があるため書き込めません")
    for child in list(el):
        el.remove(child)
    for attr in ("t", "vm", "cm"):
        el.attrib.pop(attr, None)
    if isinstance(value, Styled):
        el.set("s", str(value.style))
        etree.SubElement(el, f"{{{NS_MAIN}}}v").text = _number(value.value)
    elif isinstance(value, dt.date):
        s = styles.date_style(style)
        if s:
            el.set("s", str(s))
        etree.SubElement(el, f"{{{NS_MAIN}}}v").text = str(excel_serial(value))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        etree.SubElement(el, f"{{{NS_MAIN}}}v").text = _number(value)
    else:
        el.set("t", "inlineStr")
        is_ = etree.SubElement(el, f"{{{NS_MAIN}}}is")
        t = etree.SubElement(is_, f"{{{NS_MAIN}}}t")
        text = _clean(str(value))
        t.text = text
        if text != text.strip() or "\n" in text:
            t.set(f"{{{XML_NS}}}space", "preserve")


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _grow_dimension(root: etree._Element, cells: Mapping[Cell, object]) -> None:
    """Widen ``<dimension ref>`` only when a written cell lies outside it."""
    dim = root.find(f"{{{NS_MAIN}}}dimension")
    if dim is None or not cells:
        return
    ref = dim.get("ref", "")
    try:
        a, _, b = ref.partition(":")
        r0, c0 = parse_address(a)
        r1, c1 = parse_address(b) if b else (r0, c0)
    except PatchError:
        return
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    n0, m0, n1, m1 = min(r0, *rows), min(c0, *cols), max(r1, *rows), max(c1, *cols)
    if (n0, m0, n1, m1) != (r0, c0, r1, c1):
        dim.set("ref", f"{address(n0, m0)}:{address(n1, m1)}")


def parts_of(data: bytes) -> dict[str, bytes]:
    """Every part of a package by name (for comparing a template with its filled copy)."""
    return read_parts(data)


__all__ = ["Patcher", "PatchError", "Styled", "address", "excel_serial", "is_date_format",
           "parse_address", "parts_of", "DATE_FORMAT"]
