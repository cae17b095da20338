"""Write answer marks into an existing xlsx package: ellipses, text boxes, groups, VML shapes and
form-control check boxes.

Two users: the tests, which need real-shaped workbooks (xlsxwriter lays out the cells, this
module adds the drawing layer the way Excel writes it), and ``xltools fill --mark circle``, which
draws an ellipse over the chosen word of a ``はい・いいえ`` cell (:func:`add_ellipse_over_word`).

Every function takes the package bytes and returns new bytes; the input is never modified. The
parts written follow what Excel itself writes (drawing part + rels + ``<drawing r:id>`` +
content-type override; VML part + ``<legacyDrawing>``; ``ctrlProp`` part + ``<controls>`` block +
VML check box + hidden DrawingML mirror), in the element order the schema requires, so Excel and
LibreOffice open the result without repair. Positions are computed with the same geometry
model the reader uses (:mod:`xltools.drawings`).
"""

from __future__ import annotations

import io
import posixpath
import re
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
    _resolve,
    _rid,
    _t,
    load_layout,
    parse_ref,
)

__all__ = [
    "DrawingWriteError",
    "Shape",
    "add_checkbox",
    "add_ellipse_over_word",
    "add_group",
    "add_shape",
    "add_vml_shape",
    "cell_box",
    "cell_text",
    "sheet_part_for",
    "word_box",
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
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                self.parts: dict[str, bytes] = {n: zf.read(n) for n in zf.namelist()}
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
        d, f = posixpath.split(part)
        name = posixpath.join(d, "_rels", f + ".rels")
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
                return _resolve(part, r.get("Target") or "")
        return None


def sheet_part_for(zf: zipfile.ZipFile, sheet_name: str) -> str:
    """The worksheet part (``xl/worksheets/sheetN.xml``) of the sheet called ``sheet_name``."""
    wb = etree.fromstring(zf.read("xl/workbook.xml"), _PARSER)
    rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"), _PARSER)
    targets = {r.get("Id"): _resolve("xl/workbook.xml", r.get("Target") or "") for r in rels}
    for el in wb.iter():
        if _t(el)[1] == "sheet" and el.get("name") == sheet_name:
            rid = _rid(el)
            if rid in targets:
                return targets[rid]
    raise DrawingWriteError(f"no sheet named {sheet_name!r}")


def cell_text(zf: zipfile.ZipFile, sheet_part: str, ref: str) -> str:
    """The displayed text of a string cell (shared, inline or formula string); "" if none."""
    root = etree.fromstring(zf.read(sheet_part), _PARSER)
    want = ref.upper().replace("$", "")
    for c in root.iter(f"{{{MAIN}}}c"):
        if c.get("r") != want:
            continue
        typ = c.get("t")
        if typ == "inlineStr":
            return "".join(t.text or "" for t in c.iter(f"{{{MAIN}}}t"))
        v = c.find(f"{{{MAIN}}}v")
        if v is None or v.text is None:
            return ""
        if typ == "s":
            sst = etree.fromstring(zf.read("xl/sharedStrings.xml"), _PARSER)
            si = [e for e in sst if _t(e)[1] == "si"][int(v.text)]
            return "".join(t.text or "" for t in si.iter(f"{{{MAIN}}}t")
                           if _t(t.getparent())[1] != "rPh")
        return v.text
    return ""


def _layout(pkg: _Package, sheet_name: str) -> tuple[str, SheetLayout, zipfile.ZipFile]:
    zf = pkg.zip()
    part = sheet_part_for(zf, sheet_name)
    return part, load_layout(zf, part), zf


def _open(xlsx_bytes: bytes, sheet_name: str) -> tuple[_Package, str, SheetLayout]:
    pkg = _Package(xlsx_bytes)
    part, lay, _ = _layout(pkg, sheet_name)
    return pkg, part, lay


def cell_box(xlsx_bytes: bytes, sheet_name: str, cell: str) -> Box:
    """A cell's rectangle in sheet points (spanning its merge), as the reader sees it."""
    _, _, lay = _open(xlsx_bytes, sheet_name)
    return lay.cell_box(*parse_ref(cell))


def word_box(xlsx_bytes: bytes, sheet_name: str, cell: str, word: str) -> Box:
    """Where the reader expects ``word`` (はい/いいえ or yes/no) to be printed in ``cell``."""
    boxes, key, _cell_box = _word_boxes(xlsx_bytes, sheet_name, cell, word)
    return boxes[key]


def _word_boxes(xlsx_bytes: bytes, sheet_name: str, cell: str, word: str
                ) -> tuple[dict[str, Box], str, Box]:
    """The estimated boxes of the words printed in ``cell``, which of them is ``word``, and
    the cell's own box; :class:`DrawingWriteError` when the cell does not print it."""
    pkg = _Package(xlsx_bytes)
    part, lay, zf = _layout(pkg, sheet_name)
    key = _word_key(word)
    row, col = parse_ref(cell)
    boxes = lay.word_boxes(row, col, cell_text(zf, part, cell))
    if key not in boxes:
        raise DrawingWriteError(f"{sheet_name}!{cell} does not print {word!r}")
    return boxes, key, lay.cell_box(row, col)


def _word_key(word: str) -> str:
    w = word.strip().lower()
    if w in ("はい", "yes", "y"):
        return "yes"
    if w in ("いいえ", "no", "n"):
        return "no"
    raise DrawingWriteError(f"word must be はい or いいえ, not {word!r}")


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


def _ensure_vml(pkg: _Package, sheet_part: str) -> tuple[str, etree._Element]:
    """The sheet's legacy VML part (created and linked when missing) and its parsed root."""
    found = _linked_part(pkg, sheet_part, "legacyDrawing", lax=True)
    if found is not None:
        return found
    block = 1 + max((int(m) for n, data in pkg.parts.items() if n.endswith(".vml")
                     for m in re.findall(rb'data="(\d+)', data)), default=0)
    name = pkg.free_name("xl/drawings/vmlDrawing", ".vml")
    root = etree.Element("xml", nsmap={"v": V, "o": NS_O, "x": X})
    layout = etree.SubElement(root, f"{{{NS_O}}}shapelayout")
    layout.set(f"{{{V}}}ext", "edit")
    idmap = etree.SubElement(layout, f"{{{NS_O}}}idmap", data=str(block))
    idmap.set(f"{{{V}}}ext", "edit")
    pkg.parts[name] = etree.tostring(root)
    _link_part(pkg, sheet_part, name, "legacyDrawing", CT_VML, RT_VML)
    return name, root


def _next_spid(root: etree._Element) -> int:
    """Next VML shape number: in the part's idmap block (1024 ids each), after existing ones."""
    block = 1
    for el in root.iter(f"{{{NS_O}}}idmap"):
        try:
            block = int((el.get("data") or "1").split(",")[0])
        except ValueError:
            block = 1
    used = [int(m) for el in root.iter() if isinstance(el.tag, str)
            for m in re.findall(r"_x0000_s(\d+)", el.get("id") or "")]
    return max(used, default=block * 1024) + 1


def _shapetype(root: etree._Element, number: int, path: str, textbox: bool = False) -> str:
    sid = f"_x0000_t{number}"
    if not any(el.get("id") == sid for el in root.iter(f"{{{V}}}shapetype")):
        st = etree.Element(f"{{{V}}}shapetype", id=sid, coordsize="21600,21600", path=path)
        st.set(f"{{{NS_O}}}spt", str(number))
        etree.SubElement(st, f"{{{V}}}stroke", joinstyle="miter")
        p = etree.SubElement(st, f"{{{V}}}path")
        if textbox:
            p.set("gradientshapeok", "t")
            p.set(f"{{{NS_O}}}connecttype", "rect")
        else:
            p.set("shadowok", "f")
            p.set(f"{{{NS_O}}}extrusionok", "f")
            p.set("strokeok", "f")
            p.set("fillok", "f")
            p.set(f"{{{NS_O}}}connecttype", "rect")
        lock = etree.SubElement(st, f"{{{NS_O}}}lock", shapetype="t")
        lock.set(f"{{{V}}}ext", "edit")
        idx = 0
        for i, ch in enumerate(root):
            if _t(ch)[1] == "shapelayout":
                idx = i + 1
        root.insert(idx, st)
    return "#" + sid


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


def add_shape(xlsx_bytes: bytes, sheet_name: str, box: Box, *, prst: str = "ellipse",
              anchor: str = "twoCell", text: str = "", txbox: bool = False, name: str = "",
              line_rgb: str = "FF0000", fill_rgb: str | None = None,
              edit_as: str | None = None) -> bytes:
    """Add one DrawingML shape (ellipse, roundRect, text box …) covering ``box`` (points)."""
    return add_shapes(xlsx_bytes, sheet_name,
                      [Shape(box, prst, text, txbox, name, line_rgb, 1.0, fill_rgb)],
                      anchor=anchor, edit_as=edit_as)


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


def add_group(xlsx_bytes: bytes, sheet_name: str, shapes: Sequence[Shape], *,
              child_scale: float = 2.0, anchor: str = "twoCell") -> bytes:
    """Add shapes grouped in one ``xdr:grpSp`` whose child space is scaled by ``child_scale``.

    The child coordinates (chOff/chExt) deliberately differ from the group's off/ext, as they
    do after a user resizes a group in Excel, so a reader that ignores the group transform
    places the children wrongly.
    """
    if not shapes:
        raise DrawingWriteError("a group needs at least one shape")
    pkg, part, lay = _open(xlsx_bytes, sheet_name)
    dname, root = _ensure_drawing(pkg, part)
    gb = Box(min(s.box.x0 for s in shapes), min(s.box.y0 for s in shapes),
             max(s.box.x1 for s in shapes), max(s.box.y1 for s in shapes))
    an = _anchor(lay, gb, anchor)
    gid = _next_shape_id(root)
    grp = etree.SubElement(an, f"{{{XDR}}}grpSp")
    nv = etree.SubElement(grp, f"{{{XDR}}}nvGrpSpPr")
    etree.SubElement(nv, f"{{{XDR}}}cNvPr", id=str(gid), name=f"グループ化 {gid - 1}")
    etree.SubElement(nv, f"{{{XDR}}}cNvGrpSpPr")
    gpr = etree.SubElement(grp, f"{{{XDR}}}grpSpPr")
    xf = etree.SubElement(gpr, f"{{{A}}}xfrm")
    off = (gb.x0 * EMU_PER_PT, gb.y0 * EMU_PER_PT)
    ext = (gb.w * EMU_PER_PT, gb.h * EMU_PER_PT)
    ch_off = (1000.0, 2000.0)  # arbitrary child origin
    k = child_scale
    etree.SubElement(xf, f"{{{A}}}off", x=str(round(off[0])), y=str(round(off[1])))
    etree.SubElement(xf, f"{{{A}}}ext", cx=str(round(ext[0])), cy=str(round(ext[1])))
    etree.SubElement(xf, f"{{{A}}}chOff", x=str(round(ch_off[0])), y=str(round(ch_off[1])))
    etree.SubElement(xf, f"{{{A}}}chExt", cx=str(round(ext[0] * k)), cy=str(round(ext[1] * k)))
    for i, s in enumerate(shapes):
        b = s.box
        cx = ch_off[0] + (b.x0 - gb.x0) * EMU_PER_PT * k
        cy = ch_off[1] + (b.y0 - gb.y0) * EMU_PER_PT * k
        grp.append(_sp(s, gid + 1 + i, (cx, cy, b.w * EMU_PER_PT * k, b.h * EMU_PER_PT * k)))
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


def add_ellipse_over_word(xlsx_bytes: bytes, sheet_name: str, cell: str, word: str, *,
                          margin: float = 2.0, prst: str = "ellipse", line_rgb: str = "FF0000",
                          anchor: str = "twoCell") -> bytes:
    """Circle ``word`` (はい or いいえ) in ``sheet_name!cell`` the way a respondent would.

    The ellipse covers the word's estimated box plus ``margin`` points on each side; it never
    reaches the other word (the reader would call that ambiguous), so the margin is clipped to
    half the gap between the words. Raises :class:`DrawingWriteError` when the cell does not
    print the word.
    """
    boxes, key, cell_box_ = _word_boxes(xlsx_bytes, sheet_name, cell, word)
    box = ellipse_box(boxes, key, cell_box_, margin)
    return add_shape(xlsx_bytes, sheet_name, box, prst=prst, anchor=anchor, line_rgb=line_rgb)


def add_vml_shape(xlsx_bytes: bytes, sheet_name: str, box: Box, *, element: str = "oval",
                  position: str = "both", text: str = "", object_type: str = "Shape") -> bytes:
    """Add a legacy VML shape (``v:oval``, ``v:roundrect``, ``v:rect`` or a ``v:shape`` text box).

    ``position="anchor"`` writes only ``x:ClientData/x:Anchor`` (cell + pixel offsets);
    ``"style"`` only the CSS margin-left/top/width/height in points; ``"both"`` what Excel
    writes (both, the CSS giving the size).
    """
    if element not in ("oval", "roundrect", "rect", "shape"):
        raise DrawingWriteError(f"unsupported VML element {element!r}")
    pkg, part, lay = _open(xlsx_bytes, sheet_name)
    vname, root = _ensure_vml(pkg, part)
    n = _next_spid(root)
    el = etree.SubElement(root, f"{{{V}}}{element}", id=f"_x0000_s{n}")
    if element == "shape":
        el.set("type", _shapetype(root, 202, "m,l,21600r21600,l21600,xe", textbox=True))
    if position in ("style", "both"):
        el.set("style", f"position:absolute;margin-left:{box.x0:.2f}pt;margin-top:{box.y0:.2f}pt;"
                        f"width:{box.w:.2f}pt;height:{box.h:.2f}pt;z-index:{n % 1024}")
    else:
        el.set("style", f"position:absolute;z-index:{n % 1024}")
    el.set("filled", "f")
    el.set("strokecolor", "red")
    el.set("strokeweight", "1pt")
    if text:
        tb = etree.SubElement(el, f"{{{V}}}textbox")
        div = etree.SubElement(tb, "div", style="text-align:center")
        etree.SubElement(div, "font", face="ＭＳ Ｐゴシック", size="220").text = text
    if position in ("anchor", "both"):
        cd = etree.SubElement(el, f"{{{X}}}ClientData", ObjectType=object_type)
        etree.SubElement(cd, f"{{{X}}}Anchor").text = _vml_anchor_text(lay, box)
    elif position != "style":
        raise DrawingWriteError(f"position must be anchor, style or both, not {position!r}")
    pkg.parts[vname] = etree.tostring(root)
    return pkg.bytes()


def _vml_anchor_text(lay: SheetLayout, box: Box) -> str:
    c0, dx0, r0, dy0 = _cell_offset(lay, box.x0, box.y0)
    c1, dx1, r1, dy1 = _cell_offset(lay, box.x1, box.y1)
    px = [round(v / 0.75) for v in (dx0, dy0, dx1, dy1)]
    return f"{c0}, {px[0]}, {r0}, {px[1]}, {c1}, {px[2]}, {r1}, {px[3]}"


def add_checkbox(xlsx_bytes: bytes, sheet_name: str, box: Box, *, checked: bool | str = True,
                 label: str = "", flavour: str = "control", mirror: bool = True) -> bytes:
    """Add a form-control check box over ``box``.

    ``flavour="control"`` writes what Excel 2010+ writes: a ``ctrlProp`` part
    (``checked="Checked"``), the sheet's ``<controls>`` block with its anchor, the VML shape
    (``x:Checked``) and, with ``mirror``, the hidden DrawingML twin carrying ``a14:compatExt``.
    ``flavour="vml"`` writes only the VML shape, as Excel 2007 and converted .xls files do.
    ``checked`` may be ``"mixed"``.
    """
    if flavour not in ("control", "vml"):
        raise DrawingWriteError(f"flavour must be control or vml, not {flavour!r}")
    mixed = checked == "mixed"
    on = bool(checked)
    pkg, part, lay = _open(xlsx_bytes, sheet_name)
    vname, vroot = _ensure_vml(pkg, part)
    n = _next_spid(vroot)
    spid = f"_x0000_s{n}"
    name = f"Check Box {n % 1024}"
    el = etree.SubElement(vroot, f"{{{V}}}shape", id=spid,
                          type=_shapetype(vroot, 201, "m,l,21600r21600,l21600,xe"))
    el.set("style", f"position:absolute;margin-left:{box.x0:.2f}pt;margin-top:{box.y0:.2f}pt;"
                    f"width:{box.w:.2f}pt;height:{box.h:.2f}pt;z-index:{n % 1024};"
                    "mso-wrap-style:tight")
    el.set("filled", "f")
    el.set("fillcolor", "window [65]")
    el.set("stroked", "f")
    el.set("strokecolor", "windowText [64]")
    el.set(f"{{{NS_O}}}insetmode", "auto")
    p = etree.SubElement(el, f"{{{V}}}path", shadowok="t", strokeok="t", fillok="t")
    p.set(f"{{{NS_O}}}connecttype", "rect")
    lock = etree.SubElement(el, f"{{{NS_O}}}lock", rotation="t")
    lock.set(f"{{{V}}}ext", "edit")
    tb = etree.SubElement(el, f"{{{V}}}textbox", style="mso-direction-alt:auto")
    tb.set(f"{{{NS_O}}}singleclick", "f")
    div = etree.SubElement(tb, "div", style="text-align:left")
    etree.SubElement(div, "font", face="ＭＳ Ｐゴシック", size="220", color="#000000").text = label
    cd = etree.SubElement(el, f"{{{X}}}ClientData", ObjectType="Checkbox")
    etree.SubElement(cd, f"{{{X}}}Anchor").text = _vml_anchor_text(lay, box)
    etree.SubElement(cd, f"{{{X}}}AutoFill").text = "False"
    etree.SubElement(cd, f"{{{X}}}AutoLine").text = "False"
    etree.SubElement(cd, f"{{{X}}}TextVAlign").text = "Center"
    if on:
        etree.SubElement(cd, f"{{{X}}}Checked").text = "2" if mixed else "1"
    etree.SubElement(cd, f"{{{X}}}NoThreeD")
    pkg.parts[vname] = etree.tostring(vroot)
    if flavour == "vml":
        return pkg.bytes()

    cname = pkg.free_name("xl/ctrlProps/ctrlProp", ".xml")
    prop = etree.Element(f"{{{X14}}}formControlPr", nsmap={None: X14}, objectType="CheckBox")
    if on:
        prop.set("checked", "Mixed" if mixed else "Checked")
    prop.set("lockText", "1")
    prop.set("noThreeD", "1")
    pkg.put_xml(cname, prop)
    pkg.content_type(cname, CT_CTRL)
    rid = pkg.add_rel(part, RT_CTRL, cname)

    sheet = pkg.xml(part)
    sheet = _with_ns(sheet, {"r": REL_NS})
    controls = _sheet_child(sheet, "controls")
    if controls is None:
        outer = etree.Element(f"{{{MC}}}AlternateContent", nsmap={"mc": MC, "x14": X14})
        choice = etree.SubElement(outer, f"{{{MC}}}Choice", Requires="x14")
        controls = etree.SubElement(choice, f"{{{MAIN}}}controls")
        _insert_sheet_child(sheet, outer, "controls")
    ac = etree.SubElement(controls, f"{{{MC}}}AlternateContent",
                          nsmap={"mc": MC, "x14": X14, "xdr": XDR})
    ch = etree.SubElement(ac, f"{{{MC}}}Choice", Requires="x14")
    ctl = etree.SubElement(ch, f"{{{MAIN}}}control", shapeId=str(n), name=name)
    ctl.set(f"{{{REL_NS}}}id", rid)
    cpr = etree.SubElement(ctl, f"{{{MAIN}}}controlPr", defaultSize="0", autoFill="0",
                           autoLine="0", autoPict="0")
    an = etree.SubElement(cpr, f"{{{MAIN}}}anchor", moveWithCells="1")
    _xdr_marker(an, "from", lay, box.x0, box.y0, ns=MAIN)
    _xdr_marker(an, "to", lay, box.x1, box.y1, ns=MAIN)
    pkg.put_xml(part, sheet)

    if mirror:
        dname, droot = _ensure_drawing(pkg, part)
        mac = etree.SubElement(droot, f"{{{MC}}}AlternateContent", nsmap={"mc": MC})
        mch = etree.SubElement(mac, f"{{{MC}}}Choice", Requires="a14", nsmap={"a14": A14})
        anchor = _anchor(lay, box, "twoCell", "oneCell")
        sp = _sp(Shape(box, "rect", label, False, name, "", 1.0, None), n,
                 (box.x0 * EMU_PER_PT, box.y0 * EMU_PER_PT, box.w * EMU_PER_PT,
                  box.h * EMU_PER_PT))
        cnv = sp.find(f"{{{XDR}}}nvSpPr/{{{XDR}}}cNvPr")
        assert cnv is not None
        cnv.set("hidden", "1")
        ext_lst = etree.SubElement(cnv, f"{{{A}}}extLst")
        ext = etree.SubElement(ext_lst, f"{{{A}}}ext", uri="{63B3BB69-23CF-44E3-9099-C40C66FF867C}")
        etree.SubElement(ext, f"{{{A14}}}compatExt", spid=spid)
        anchor.append(sp)
        etree.SubElement(anchor, f"{{{XDR}}}clientData")
        mch.append(anchor)
        etree.SubElement(mac, f"{{{MC}}}Fallback")
        pkg.put_xml(dname, droot)
    return pkg.bytes()
