"""Draw ellipses into an existing xlsx package: ``xltools fill --mark circle`` circles the chosen
word of a ``はい・いいえ`` cell (:func:`add_shapes` with boxes from :func:`ellipse_box`).

Every function takes the package bytes and returns new bytes; the input is never modified. The
parts written follow what Excel itself writes (drawing part + rels + ``<drawing r:id>`` +
content-type override), in the element order the schema requires, so Excel and LibreOffice
open the result without repair. Positions use the geometry model the reader uses
(:mod:`xltools.xlsx.drawings`). The fixture half (groups, VML shapes, check boxes, one ellipse
over a word) lives in ``testkit/drawing_writer.py``: only tests and benchmarks draw those.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from xltools.xlsx.drawings import (
    _LAX_PARSER,
    _PARSER,
    EMU_PER_PT,
    Box,
    SheetLayout,
    _kids,
    _rid,
    _t,
    load_layout,
)
from xltools.xlsx.parts import read_parts, rels_name, resolve_target

__all__ = [
    "DrawingWriteError",
    "Shape",
    "add_shapes",
    "ellipse_box",
    "sheet_part_for",
]

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
A14 = "http://schemas.microsoft.com/office/drawing/2010/main"
V = "urn:schemas-microsoft-com:vml"
NS_O = "urn:schemas-microsoft-com:office:office"
X = "urn:schemas-microsoft-com:office:excel"

RT_DRAWING = REL_NS + "/drawing"
RT_VML = REL_NS + "/vmlDrawing"
RT_CTRL = REL_NS + "/ctrlProp"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_CTRL = "application/vnd.ms-excel.controlproperties+xml"

# CT_Worksheet child order (ECMA-376 Part 1, 18.3.1.99): new children go in their place.
_SHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
    "controls", "webPublishItems", "tableParts", "extLst",
]


class DrawingWriteError(ValueError):
    """The mark cannot be written (unknown sheet, no such word in the cell, bad package)."""


@dataclass(frozen=True)
class Shape:
    """One DrawingML shape to write, positioned in sheet points."""

    box: Box
    prst: str = "ellipse"
    text: str = ""
    txbox: bool = False
    name: str = ""
    line_rgb: str = "FF0000"
    line_pt: float = 1.0
    fill_rgb: str | None = None


# ---------------------------------------------------------------------------------------------
# Package handling
# ---------------------------------------------------------------------------------------------


class _Package:
    """The zip as an ordered dict of parts, with helpers for rels and content types."""

    def __init__(self, data: bytes) -> None:
        try:
            self.parts: dict[str, bytes] = read_parts(data)
        except zipfile.BadZipFile as exc:
            raise DrawingWriteError(f"not an xlsx package: {exc}") from exc

    def zip(self) -> zipfile.ZipFile:
        buf = io.BytesIO()
        self._write(buf)
        return zipfile.ZipFile(io.BytesIO(buf.getvalue()))

    def _write(self, buf: io.BytesIO) -> None:
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            names = sorted(self.parts, key=lambda n: n != "[Content_Types].xml")
            for n in names:
                out.writestr(n, self.parts[n])

    def bytes(self) -> bytes:
        buf = io.BytesIO()
        self._write(buf)
        return buf.getvalue()

    def xml(self, name: str, lax: bool = False) -> etree._Element:
        return etree.fromstring(self.parts[name], _LAX_PARSER if lax else _PARSER)

    def put_xml(self, name: str, root: etree._Element) -> None:
        self.parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                          standalone=True)

    def free_name(self, prefix: str, ext: str) -> str:
        i = 1
        while f"{prefix}{i}{ext}" in self.parts:
            i += 1
        return f"{prefix}{i}{ext}"

    def content_type(self, part: str, ctype: str) -> None:
        root = self.xml("[Content_Types].xml")
        ext = part.rsplit(".", 1)[-1].lower()
        if ext == "vml":
            if not any(d.get("Extension", "").lower() == "vml" for d in root
                       if _t(d)[1] == "Default"):
                el = etree.Element(f"{{{CT_NS}}}Default", Extension="vml", ContentType=ctype)
                root.insert(0, el)
        elif not any(o.get("PartName") == "/" + part for o in root if _t(o)[1] == "Override"):
            etree.SubElement(root, f"{{{CT_NS}}}Override", PartName="/" + part, ContentType=ctype)
        self.put_xml("[Content_Types].xml", root)

    def rels(self, part: str) -> tuple[str, etree._Element]:
        name = rels_name(part)
        if name in self.parts:
            return name, self.xml(name)
        return name, etree.Element(f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL})

    def add_rel(self, part: str, rtype: str, target: str) -> str:
        name, root = self.rels(part)
        ids = {r.get("Id") for r in root}
        i = 1
        while f"rId{i}" in ids:
            i += 1
        rid = f"rId{i}"
        rel_target = posixpath.relpath(target, posixpath.dirname(part))
        etree.SubElement(root, f"{{{PKG_REL}}}Relationship", Id=rid, Type=rtype, Target=rel_target)
        self.put_xml(name, root)
        return rid

    def rel_target(self, part: str, rid: str) -> str | None:
        name, root = self.rels(part)
        for r in root:
            if r.get("Id") == rid:
                return resolve_target(part, r.get("Target") or "")
        return None


def sheet_part_for(zf: zipfile.ZipFile, sheet_name: str) -> str:
    """The worksheet part (``xl/worksheets/sheetN.xml``) of the sheet called ``sheet_name``."""
    wb = etree.fromstring(zf.read("xl/workbook.xml"), _PARSER)
    rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"), _PARSER)
    targets = {r.get("Id"): resolve_target("xl/workbook.xml", r.get("Target") or "") for r in rels}
    for el in wb.iter():
        if _t(el)[1] == "sheet" and el.get("name") == sheet_name:
            rid = _rid(el)
            if rid in targets:
                return targets[rid]
    raise DrawingWriteError(f"no sheet named {sheet_name!r}")


def _layout(pkg: _Package, sheet_name: str) -> tuple[str, SheetLayout, zipfile.ZipFile]:
    zf = pkg.zip()
    part = sheet_part_for(zf, sheet_name)
    return part, load_layout(zf, part), zf


def _open(xlsx_bytes: bytes, sheet_name: str) -> tuple[_Package, str, SheetLayout]:
    pkg = _Package(xlsx_bytes)
    part, lay, _ = _layout(pkg, sheet_name)
    return pkg, part, lay


# ---------------------------------------------------------------------------------------------
# Sheet XML patching
# ---------------------------------------------------------------------------------------------


def _order_name(el: etree._Element) -> str:
    ns, local = _t(el)
    if ns == "mc" and local == "AlternateContent":
        for inner in _kids(el):
            return _t(inner)[1]
        for choice in el:
            for inner in choice:
                return _t(inner)[1]
    return local


def _insert_sheet_child(root: etree._Element, el: etree._Element, name: str) -> None:
    rank = _SHEET_ORDER.index(name)
    for i, ch in enumerate(root):
        other = _order_name(ch)
        if other in _SHEET_ORDER and _SHEET_ORDER.index(other) > rank:
            root.insert(i, el)
            return
    root.append(el)


def _sheet_child(root: etree._Element, name: str) -> etree._Element | None:
    for ch in _kids(root):
        if _t(ch)[1] == name:
            return ch
    return None


def _ensure_drawing(pkg: _Package, sheet_part: str) -> tuple[str, etree._Element]:
    """The sheet's DrawingML part (created and linked when missing) and its parsed root."""
    found = _linked_part(pkg, sheet_part, "drawing")
    if found is not None:
        return found
    name = pkg.free_name("xl/drawings/drawing", ".xml")
    root = etree.Element(f"{{{XDR}}}wsDr", nsmap={"xdr": XDR, "a": A})
    pkg.put_xml(name, root)
    _link_part(pkg, sheet_part, name, "drawing", CT_DRAWING, RT_DRAWING)
    return name, root


def _linked_part(pkg: _Package, sheet_part: str, child: str, lax: bool = False
                 ) -> tuple[str, etree._Element] | None:
    """The part the sheet's ``<drawing>`` / ``<legacyDrawing>`` element points at, parsed."""
    el = _sheet_child(pkg.xml(sheet_part), child)
    if el is not None:
        target = pkg.rel_target(sheet_part, _rid(el) or "")
        if target and target in pkg.parts:
            return target, pkg.xml(target, lax=lax)
    return None


def _link_part(pkg: _Package, sheet_part: str, name: str, child: str, ctype: str,
               rtype: str) -> None:
    """Register a new part and point the sheet's ``child`` element at it."""
    pkg.content_type(name, ctype)
    rid = pkg.add_rel(sheet_part, rtype, name)
    new = etree.Element(f"{{{MAIN}}}{child}")
    new.set(f"{{{REL_NS}}}id", rid)
    sheet = _with_ns(pkg.xml(sheet_part), {"r": REL_NS})
    _insert_sheet_child(sheet, new, child)
    pkg.put_xml(sheet_part, sheet)


def _with_ns(root: etree._Element, extra: dict[str, str]) -> etree._Element:
    """Return ``root`` declaring ``extra`` prefixes (lxml cannot add nsmap entries in place)."""
    if all(root.nsmap.get(p) == u for p, u in extra.items()):
        return root
    nsmap = dict(root.nsmap)
    for p, u in extra.items():
        if p not in nsmap:
            nsmap[p] = u
    new = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=nsmap)
    new.text = root.text
    for ch in list(root):
        new.append(ch)
    return new


# ---------------------------------------------------------------------------------------------
# Anchors
# ---------------------------------------------------------------------------------------------


def _cell_offset(lay: SheetLayout, x: float, y: float) -> tuple[int, float, int, float]:
    col, row = lay.cols.index_at(x), lay.rows.index_at(y)
    return col, x - lay.x(col), row, y - lay.y(row)


def _xdr_marker(parent: etree._Element, tag: str, lay: SheetLayout, x: float, y: float,
                ns: str = XDR) -> None:
    col, dx, row, dy = _cell_offset(lay, x, y)
    m = etree.SubElement(parent, f"{{{ns}}}{tag}")
    for k, v in (("col", col), ("colOff", round(dx * EMU_PER_PT)), ("row", row),
                 ("rowOff", round(dy * EMU_PER_PT))):
        etree.SubElement(m, f"{{{XDR}}}{k}").text = str(v)


def _emu(v: float) -> str:
    return str(round(v * EMU_PER_PT))


def _anchor(lay: SheetLayout, box: Box, kind: str, edit_as: str | None = None) -> etree._Element:
    if kind == "twoCell":
        an = etree.Element(f"{{{XDR}}}twoCellAnchor")
        if edit_as:
            an.set("editAs", edit_as)
        _xdr_marker(an, "from", lay, box.x0, box.y0)
        _xdr_marker(an, "to", lay, box.x1, box.y1)
    elif kind == "oneCell":
        an = etree.Element(f"{{{XDR}}}oneCellAnchor")
        _xdr_marker(an, "from", lay, box.x0, box.y0)
        etree.SubElement(an, f"{{{XDR}}}ext", cx=_emu(box.w), cy=_emu(box.h))
    elif kind == "absolute":
        an = etree.Element(f"{{{XDR}}}absoluteAnchor")
        etree.SubElement(an, f"{{{XDR}}}pos", x=_emu(box.x0), y=_emu(box.y0))
        etree.SubElement(an, f"{{{XDR}}}ext", cx=_emu(box.w), cy=_emu(box.h))
    else:
        raise DrawingWriteError(f"anchor must be twoCell, oneCell or absolute, not {kind!r}")
    return an


def _next_shape_id(root: etree._Element) -> int:
    ids = [int(e.get("id")) for e in root.iter(f"{{{XDR}}}cNvPr")
           if (e.get("id") or "").isdigit()]
    return max(ids, default=1) + 1


def _sp(shape: Shape, sid: int, xfrm: tuple[float, float, float, float]) -> etree._Element:
    """An ``xdr:sp`` as Excel writes it; ``xfrm`` = (x, y, cx, cy) in EMU."""
    sp = etree.Element(f"{{{XDR}}}sp", macro="", textlink="")
    nv = etree.SubElement(sp, f"{{{XDR}}}nvSpPr")
    default = "テキスト ボックス" if shape.txbox else "楕円"
    etree.SubElement(nv, f"{{{XDR}}}cNvPr", id=str(sid), name=shape.name or f"{default} {sid - 1}")
    c = etree.SubElement(nv, f"{{{XDR}}}cNvSpPr")
    if shape.txbox:
        c.set("txBox", "1")
    pr = etree.SubElement(sp, f"{{{XDR}}}spPr")
    xf = etree.SubElement(pr, f"{{{A}}}xfrm")
    etree.SubElement(xf, f"{{{A}}}off", x=str(round(xfrm[0])), y=str(round(xfrm[1])))
    etree.SubElement(xf, f"{{{A}}}ext", cx=str(round(xfrm[2])), cy=str(round(xfrm[3])))
    g = etree.SubElement(pr, f"{{{A}}}prstGeom", prst="rect" if shape.txbox else shape.prst)
    etree.SubElement(g, f"{{{A}}}avLst")
    if shape.fill_rgb:
        f = etree.SubElement(pr, f"{{{A}}}solidFill")
        etree.SubElement(f, f"{{{A}}}srgbClr", val=shape.fill_rgb)
    else:
        etree.SubElement(pr, f"{{{A}}}noFill")
    ln = etree.SubElement(pr, f"{{{A}}}ln", w=str(round(shape.line_pt * EMU_PER_PT)))
    if shape.txbox and not shape.line_rgb:
        etree.SubElement(ln, f"{{{A}}}noFill")
    else:
        lf = etree.SubElement(ln, f"{{{A}}}solidFill")
        etree.SubElement(lf, f"{{{A}}}srgbClr", val=shape.line_rgb or "000000")
    body = etree.SubElement(sp, f"{{{XDR}}}txBody")
    etree.SubElement(body, f"{{{A}}}bodyPr", vertOverflow="clip", horzOverflow="clip",
                     wrap="none" if shape.txbox else "square", rtlCol="0", anchor="ctr")
    etree.SubElement(body, f"{{{A}}}lstStyle")
    p = etree.SubElement(body, f"{{{A}}}p")
    etree.SubElement(p, f"{{{A}}}pPr", algn="ctr")
    if shape.text:
        r = etree.SubElement(p, f"{{{A}}}r")
        etree.SubElement(r, f"{{{A}}}rPr", lang="ja-JP", altLang="en-US", sz="1100")
        etree.SubElement(r, f"{{{A}}}t").text = shape.text
    else:
        etree.SubElement(p, f"{{{A}}}endParaRPr", lang="ja-JP", altLang="en-US", sz="1100")
    return sp


# ---------------------------------------------------------------------------------------------
# Public writers
# ---------------------------------------------------------------------------------------------


def add_shapes(xlsx_bytes: bytes, sheet_name: str, shapes: Sequence[Shape], *,
               anchor: str = "twoCell", edit_as: str | None = None) -> bytes:
    """Add several DrawingML shapes, each in its own anchor."""
    pkg, part, lay = _open(xlsx_bytes, sheet_name)
    dname, root = _ensure_drawing(pkg, part)
    for shape in shapes:
        sid = _next_shape_id(root)
        b = shape.box
        an = _anchor(lay, b, anchor, edit_as)
        an.append(_sp(shape, sid, (b.x0 * EMU_PER_PT, b.y0 * EMU_PER_PT,
                                   b.w * EMU_PER_PT, b.h * EMU_PER_PT)))
        etree.SubElement(an, f"{{{XDR}}}clientData")
        root.append(an)
    pkg.put_xml(dname, root)
    return pkg.bytes()


def ellipse_box(boxes: dict[str, Box], key: str, cell_b: Box, margin: float = 2.0) -> Box:
    """Where a respondent's ellipse around word ``key`` ("yes"/"no") goes.

    The word's box plus ``margin`` points each side, the margin clipped to half the gap to the
    other word (an ellipse touching both reads as ambiguous), and kept inside the cell
    vertically (a mark poking into the next row reads as "between cells").
    """
    b = boxes[key]
    mx = margin
    other = boxes.get("no" if key == "yes" else "yes")
    if other is not None:
        gap = min(abs(other.x0 - b.x1), abs(b.x0 - other.x1))
        if gap < 2 * mx + 1:
            mx = max(0.5, gap / 2 - 0.5)
    y0 = max(b.y0 - margin / 2, cell_b.y0 + 0.75)
    y1 = min(b.y1 + margin / 2, cell_b.y1 - 0.75)
    if y1 <= y0:
        y0, y1 = b.y0, b.y1
    return Box(b.x0 - mx, y0, b.x1 + mx, y1)


