"""Write answer marks the way respondents do, for test and benchmark workbooks: ellipses over a
word, text boxes, groups, legacy VML shapes and form-control check boxes.

xlsxwriter lays out the cells; this module adds the drawing layer the way Excel writes it
(VML part + ``<legacyDrawing>``; ``ctrlProp`` part + ``<controls>`` block + VML check box +
hidden DrawingML mirror). The package machinery and the DrawingML shapes ``xltools fill``
draws are :mod:`xltools.xlsx.drawing_writer`, re-exported here so a test imports one module.
Nothing in ``xltools/`` imports this file.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence

from lxml import etree

from xltools.xlsx.drawing_writer import (  # noqa: F401  (re-exported)
    A14,
    CT_CTRL,
    CT_VML,
    MAIN,
    MC,
    NS_O,
    REL_NS,
    RT_CTRL,
    RT_VML,
    X14,
    XDR,
    A,
    DrawingWriteError,
    Shape,
    V,
    X,
    _anchor,
    _cell_offset,
    _ensure_drawing,
    _insert_sheet_child,
    _layout,
    _link_part,
    _linked_part,
    _next_shape_id,
    _open,
    _Package,
    _sheet_child,
    _sp,
    _with_ns,
    _xdr_marker,
    add_shapes,
    ellipse_box,
    sheet_part_for,
)
from xltools.xlsx.drawings import _PARSER, EMU_PER_PT, Box, SheetLayout, _t, parse_ref

__all__ = [
    "DrawingWriteError",
    "Shape",
    "add_checkbox",
    "add_ellipse_over_word",
    "add_group",
    "add_shape",
    "add_shapes",
    "add_vml_shape",
    "cell_box",
    "cell_text",
    "ellipse_box",
    "sheet_part_for",
    "word_box",
]


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


def add_shape(xlsx_bytes: bytes, sheet_name: str, box: Box, *, prst: str = "ellipse",
              anchor: str = "twoCell", text: str = "", txbox: bool = False, name: str = "",
              line_rgb: str = "FF0000", fill_rgb: str | None = None,
              edit_as: str | None = None) -> bytes:
    """Add one DrawingML shape (ellipse, roundRect, text box …) covering ``box`` (points)."""
    return add_shapes(xlsx_bytes, sheet_name,
                      [Shape(box, prst, text, txbox, name, line_rgb, 1.0, fill_rgb)],
                      anchor=anchor, edit_as=edit_as)


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
