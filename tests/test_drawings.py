"""Drawn answers: ellipses, ○ text boxes, groups, VML shapes and check boxes over はい・いいえ.

Workbooks are generated (xlsxwriter for the cells, ``drawing_writer`` for the marks); mark
positions come from hand arithmetic in ``drawing_fixtures`` so the reader's geometry is checked,
not echoed. Every test asserts the answer of specific slots.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from testkit import drawing_writer as dw
from testkit.drawing_fixtures import ANSWER_COL, FIRST_ROW, PART, SHEET, make_book
from xltools.xlsx import drawings as d
from xltools.xlsx.drawings import AnswerSlot, Box, read_marks, read_marks_with_issues


def answers(readings: dict) -> dict:
    return {k: v.answer for k, v in readings.items()}


def zf_of(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def replace_part(data: bytes, name: str, content: bytes | None) -> bytes:
    """Copy of the package with one part replaced (or removed when ``content`` is None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for n in src.namelist():
            if n == name:
                if content is not None:
                    dst.writestr(n, content)
            else:
                dst.writestr(n, src.read(n))
        if name not in src.namelist() and content is not None:
            dst.writestr(name, content)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------


def test_column_width_follows_excels_pixel_rule() -> None:
    # Excel's default Calibri 11 column: 8.43 characters stored as 9.140625 -> 64 px = 48 pt
    assert d.col_width_pt(9.140625, 7) == 48.0
    assert d.col_width_pt(20.7109375, 7) == 145 * 0.75
    # 游ゴシック 11 (max digit width 8 px): stored 9 -> 72 px
    assert d.col_width_pt(9, 8) == 54.0
    assert d.col_width_pt(0, 7) == 0.0


def test_layout_reads_widths_heights_hidden_and_merges() -> None:
    book = make_book(width=12, row_height=30, hidden_b=True, merge_cols=2)
    with zf_of(book.data) as zf:
        lay = d.load_layout(zf, PART)
    assert lay.x(ANSWER_COL) == pytest.approx(book.answer_x0)  # hidden B has no width
    assert lay.y(FIRST_ROW + 1) == pytest.approx(15 + 30)
    box = lay.cell_box(FIRST_ROW, ANSWER_COL)
    assert box.w == pytest.approx(book.answer_w)  # the merge C:D
    assert lay.cell_at(box.x0 + 1, box.cy) == (FIRST_ROW, ANSWER_COL)
    assert lay.cell_at(box.cx + 1, box.cy) == (FIRST_ROW, ANSWER_COL + 1)


@pytest.mark.parametrize("align", ["left", "center", "right", "general"])
def test_word_boxes_match_hand_arithmetic(align: str) -> None:
    book = make_book(width=25, align=align)
    with zf_of(book.data) as zf:
        lay = d.load_layout(zf, PART)
    boxes = lay.word_boxes(FIRST_ROW, ANSWER_COL, book.text)
    for key, word in (("yes", "はい"), ("no", "いいえ")):
        x0, x1 = book.word_x(word)
        assert boxes[key].x0 == pytest.approx(x0, abs=0.01)
        assert boxes[key].x1 == pytest.approx(x1, abs=0.01)


# ---------------------------------------------------------------------------------------------
# Ellipses over one word
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("align", ["left", "center", "right", "general"])
@pytest.mark.parametrize("width", [9, 14, 40])
def test_ellipse_over_each_word(align: str, width: float) -> None:
    book = make_book(width=width, align=align, rows=4)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "はい"))
    data = dw.add_shape(data, SHEET, book.word_box(2, "いいえ"), prst="flowChartConnector")
    data = dw.add_shape(data, SHEET, book.word_box(3, "はい"), prst="roundRect", fill_rgb="FFFF00")
    readings, stray = book.read(data)
    assert answers(readings) == {1: "yes", 2: "no", 3: "yes"}  # row 4 has no mark: absent
    assert readings[1].source == "shape" and readings[1].detail == ""
    assert stray == []


@pytest.mark.parametrize("anchor", ["twoCell", "oneCell", "absolute"])
def test_every_anchor_kind(anchor: str) -> None:
    book = make_book(width=20, align="center", row_height=24)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "いいえ"), anchor=anchor)
    data = dw.add_shape(data, SHEET, book.word_box(2, "はい"), anchor=anchor, prst="donut")
    assert answers(book.read(data)[0]) == {1: "no", 2: "yes"}


def test_marks_carry_cell_and_extent() -> None:
    book = make_book()
    box = book.word_box(2, "はい")
    data = dw.add_shape(book.data, SHEET, box, name="楕円 7")
    (mark,) = read_marks(zf_of(data), PART)
    assert (mark.kind, mark.row, mark.col, mark.name) == ("shape", 2, ANSWER_COL, "楕円 7")
    assert mark.part == "xl/drawings/drawing1.xml"
    assert mark.x0 == pytest.approx(box.x0, abs=0.01) and mark.y1 == pytest.approx(box.y1, abs=0.01)
    assert mark.checked is None


def test_merged_answer_cell_uses_the_merge_width() -> None:
    book = make_book(width=10, align="center", merge_cols=3)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "いいえ"))
    data = dw.add_shape(data, SHEET, book.word_box(2, "はい"))
    readings, stray = book.read(data)
    assert answers(readings) == {1: "no", 2: "yes"}
    assert stray == []


def test_multiline_cell_with_date_line_below() -> None:
    text = "はい ・ いいえ\n( / )"
    book = make_book(width=16, align="center", text=text, row_height=32, wrap=True)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "はい"))
    data = dw.add_shape(data, SHEET, book.word_box(2, "いいえ"))
    assert answers(book.read(data)[0]) == {1: "yes", 2: "no"}


def test_add_ellipse_over_word_is_read_back_in_every_layout() -> None:
    for align in ("left", "center", "right", "distributed"):
        for width in (8, 12, 30):
            book = make_book(width=width, align=align, rows=2)
            data = dw.add_ellipse_over_word(book.data, SHEET, "C2", "はい")
            data = dw.add_ellipse_over_word(data, SHEET, "C3", "いいえ")
            assert answers(book.read(data)[0]) == {1: "yes", 2: "no"}, (align, width)


def test_add_ellipse_over_word_refuses_a_cell_without_the_word() -> None:
    book = make_book()
    with pytest.raises(dw.DrawingWriteError):
        dw.add_ellipse_over_word(book.data, SHEET, "B2", "はい")
    with pytest.raises(dw.DrawingWriteError):
        dw.add_ellipse_over_word(book.data, "存在しない", "C2", "はい")


def test_written_package_is_well_formed_and_opens_in_openpyxl() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = make_book()
    data = dw.add_ellipse_over_word(book.data, SHEET, "C2", "はい")
    data = dw.add_checkbox(data, SHEET, book.word_box(2, "いいえ"), label="いいえ")
    with zf_of(data) as zf:
        ct = zf.read("[Content_Types].xml").decode()
        assert "/xl/drawings/drawing1.xml" in ct and "/xl/ctrlProps/ctrlProp1.xml" in ct
        sheet = zf.read(PART).decode()
        # schema order: drawing, legacyDrawing, then controls
        assert sheet.index("<drawing ") < sheet.index("<legacyDrawing ") < sheet.index("<controls>")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb[SHEET]["C2"].value == "はい・いいえ"


# ---------------------------------------------------------------------------------------------
# Text boxes, groups, VML
# ---------------------------------------------------------------------------------------------


def test_text_boxes_with_mark_characters() -> None:
    book = make_book(width=20, align="left", rows=5)
    b = book.word_box
    data = dw.add_shape(book.data, SHEET, b(1, "いいえ"), txbox=True, text="○", line_rgb="")
    data = dw.add_shape(data, SHEET, b(2, "はい"), txbox=True, text="〇")
    data = dw.add_shape(data, SHEET, b(3, "いいえ"), prst="rect", text="レ")  # any sp with a mark
    data = dw.add_shape(data, SHEET, b(4, "はい"), txbox=True, text="要確認")  # a note: no mark
    readings, stray = book.read(data)
    assert answers(readings) == {1: "no", 2: "yes", 3: "no"}
    kinds = sorted(m.kind for m in read_marks(zf_of(data), PART))
    assert kinds == ["textbox", "textbox", "textbox"]
    assert stray == []


def test_lines_arrows_and_connectors_are_not_marks() -> None:
    book = make_book()
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "はい"), prst="line")
    data = dw.add_shape(data, SHEET, book.word_box(2, "はい"), prst="rightArrow")
    data = dw.add_shape(data, SHEET, book.word_box(3, "はい"), prst="wedgeRectCallout")
    assert read_marks(zf_of(data), PART) == []
    assert book.read(data) == ({}, [])


@pytest.mark.parametrize("scale", [1.0, 2.0, 0.25])
def test_grouped_shapes_apply_the_group_transform(scale: float) -> None:
    book = make_book(width=20, align="center", rows=3)
    shapes = [dw.Shape(book.word_box(1, "はい")), dw.Shape(book.word_box(2, "いいえ")),
              dw.Shape(book.word_box(3, "いいえ"), txbox=True, text="◯")]
    data = dw.add_group(book.data, SHEET, shapes, child_scale=scale)
    readings, stray = book.read(data)
    assert answers(readings) == {1: "yes", 2: "no", 3: "no"}
    assert stray == []


def test_nested_group() -> None:
    book = make_book(width=20, align="right", rows=2)
    data = dw.add_group(book.data, SHEET, [dw.Shape(book.word_box(1, "いいえ")),
                                           dw.Shape(book.word_box(2, "はい"))], child_scale=3)
    # wrap the group's grpSp in another group with its own child space
    with zf_of(data) as zf:
        root = etree.fromstring(zf.read("xl/drawings/drawing1.xml"))
    ns = {"xdr": dw.XDR, "a": dw.A}
    inner = root.find(".//xdr:grpSp", ns)
    anchor = inner.getparent()
    off = inner.find("xdr:grpSpPr/a:xfrm/a:off", ns)
    ext = inner.find("xdr:grpSpPr/a:xfrm/a:ext", ns)
    outer = etree.Element(f"{{{dw.XDR}}}grpSp")
    etree.SubElement(etree.SubElement(outer, f"{{{dw.XDR}}}nvGrpSpPr"), f"{{{dw.XDR}}}cNvPr",
                     id="99", name="outer")
    xf = etree.SubElement(etree.SubElement(outer, f"{{{dw.XDR}}}grpSpPr"), f"{{{dw.A}}}xfrm")
    etree.SubElement(xf, f"{{{dw.A}}}off", x=off.get("x"), y=off.get("y"))
    etree.SubElement(xf, f"{{{dw.A}}}ext", cx=ext.get("cx"), cy=ext.get("cy"))
    etree.SubElement(xf, f"{{{dw.A}}}chOff", x="0", y="0")
    etree.SubElement(xf, f"{{{dw.A}}}chExt", cx=str(int(ext.get("cx")) // 2),
                     cy=str(int(ext.get("cy")) // 2))
    # the inner group now lives in the outer's child space: halve its off/ext
    off.set("x", "0")
    off.set("y", "0")
    ext.set("cx", str(int(ext.get("cx")) // 2))
    ext.set("cy", str(int(ext.get("cy")) // 2))
    anchor.replace(inner, outer)
    outer.append(inner)
    data = replace_part(data, "xl/drawings/drawing1.xml", etree.tostring(root))
    assert answers(book.read(data)[0]) == {1: "no", 2: "yes"}


@pytest.mark.parametrize("position", ["anchor", "style", "both"])
@pytest.mark.parametrize("element", ["oval", "roundrect", "rect"])
def test_vml_shapes(element: str, position: str) -> None:
    book = make_book(width=18, align="center", rows=3)
    box = book.word_box(1, "はい")
    data = dw.add_vml_shape(book.data, SHEET, box, element=element, position=position)
    (mark,) = read_marks(zf_of(data), PART)
    # x:Anchor offsets are whole pixels (0.75 pt)
    assert (mark.x0, mark.x1) == (pytest.approx(box.x0, abs=0.5), pytest.approx(box.x1, abs=0.5))
    assert (mark.y0, mark.y1) == (pytest.approx(box.y0, abs=0.5), pytest.approx(box.y1, abs=0.5))
    data = dw.add_vml_shape(data, SHEET, book.word_box(2, "いいえ"), element=element,
                            position=position)
    data = dw.add_vml_shape(data, SHEET, book.word_box(3, "いいえ"), element="shape", text="○",
                            position=position)
    readings, stray = book.read(data)
    assert answers(readings) == {1: "yes", 2: "no", 3: "no"}
    assert stray == []
    marks = read_marks(zf_of(data), PART)
    assert {m.part for m in marks} == {"xl/drawings/vmlDrawing1.vml"}


def test_vml_comments_and_buttons_are_not_marks() -> None:
    book = make_book()
    data = dw.add_vml_shape(book.data, SHEET, book.word_box(1, "はい"), object_type="Note")
    data = dw.add_vml_shape(data, SHEET, book.word_box(2, "はい"), object_type="Button")
    assert read_marks(zf_of(data), PART) == []


def test_excel_style_unclosed_br_in_vml_is_tolerated() -> None:
    book = make_book()
    data = dw.add_vml_shape(book.data, SHEET, book.word_box(1, "いいえ"), element="shape",
                            text="○")
    with zf_of(data) as zf:
        vml = zf.read("xl/drawings/vmlDrawing1.vml")
    vml = vml.replace(b"</font>", b"</font><br>")  # Excel writes HTML-ish <br> in text boxes
    data = replace_part(data, "xl/drawings/vmlDrawing1.vml", vml)
    assert answers(book.read(data)[0]) == {1: "no"}


# ---------------------------------------------------------------------------------------------
# Check boxes
# ---------------------------------------------------------------------------------------------


def _box_before(book, row: int, word: str) -> Box:
    """A check box whose square stands just before ``word`` (label-less, 12 pt square)."""
    x0, _ = book.word_x(word)
    y0 = book.row_y0(row)
    return Box(x0 - 13, y0 + 1.5, x0 - 1, y0 + 13.5)


@pytest.mark.parametrize("flavour", ["control", "vml"])
def test_checkbox_by_label(flavour: str) -> None:
    book = make_book(width=30, align="center", rows=4)
    data = book.data
    for row, word, checked in ((1, "はい", True), (1, "いいえ", False),
                               (2, "はい", False), (2, "いいえ", True),
                               (3, "はい", False), (3, "いいえ", False)):
        x0, x1 = book.word_x(word)
        y0 = book.row_y0(row)
        data = dw.add_checkbox(data, SHEET, Box(x0 - 13, y0 + 1, x1, y0 + 14), checked=checked,
                               label=word, flavour=flavour)
    readings, stray = book.read(data)
    assert answers(readings) == {1: "yes", 2: "no"}  # row 3: nothing checked -> absent
    assert readings[1].source == "checkbox"
    assert stray == []


@pytest.mark.parametrize("flavour", ["control", "vml"])
def test_checkbox_by_position_next_to_word(flavour: str) -> None:
    book = make_book(width=30, align="center", rows=2)
    data = dw.add_checkbox(book.data, SHEET, _box_before(book, 1, "いいえ"), flavour=flavour)
    data = dw.add_checkbox(data, SHEET, _box_before(book, 2, "はい"), flavour=flavour)
    data = dw.add_checkbox(data, SHEET, _box_before(book, 2, "いいえ"), checked=False,
                           flavour=flavour)
    assert answers(book.read(data)[0]) == {1: "no", 2: "yes"}


def test_checkbox_in_three_parts_is_one_mark() -> None:
    """Excel stores a form check box as ctrlProp + VML + a hidden DrawingML twin: read it once."""
    book = make_book(width=30)
    data = dw.add_checkbox(book.data, SHEET, _box_before(book, 1, "はい"), label="はい")
    with zf_of(data) as zf:
        names = set(zf.namelist())
        assert {"xl/ctrlProps/ctrlProp1.xml", "xl/drawings/vmlDrawing1.vml",
                "xl/drawings/drawing1.xml"} <= names
        (mark,) = read_marks(zf, PART)
    assert (mark.kind, mark.checked, mark.text, mark.part) == (
        "checkbox", True, "はい", "xl/ctrlProps/ctrlProp1.xml")
    assert mark.name == "Check Box 1"


def test_ctrlprop_state_wins_over_vml() -> None:
    book = make_book(width=30)
    data = dw.add_checkbox(book.data, SHEET, _box_before(book, 1, "はい"), checked=False)
    with zf_of(data) as zf:
        prop = zf.read("xl/ctrlProps/ctrlProp1.xml")
    data = replace_part(data, "xl/ctrlProps/ctrlProp1.xml",
                        prop.replace(b'objectType="CheckBox"', b'objectType="CheckBox" checked="Checked"'))
    assert answers(book.read(data)[0]) == {1: "yes"}


def test_checked_boxes_beside_both_words_are_undecidable() -> None:
    book = make_book(width=30, rows=1)
    data = dw.add_checkbox(book.data, SHEET, _box_before(book, 1, "はい"))
    data = dw.add_checkbox(data, SHEET, _box_before(book, 1, "いいえ"))
    readings, _ = book.read(data)
    assert readings[1].answer is None
    assert readings[1].detail == d.CONFLICT
    assert len(readings[1].marks) == 2


def test_mixed_checkbox_is_undecidable() -> None:
    book = make_book(width=30, rows=1)
    data = dw.add_checkbox(book.data, SHEET, _box_before(book, 1, "はい"), checked="mixed")
    (mark,) = read_marks(zf_of(data), PART)
    assert mark.mixed and mark.checked
    readings, _ = book.read(data)
    assert (readings[1].answer, readings[1].detail) == (None, d.MIXED)


def test_yes_no_columns_decide_by_role() -> None:
    book = make_book(width=8, yes_no_columns=True, rows=4)
    data = dw.add_checkbox(book.data, SHEET, Box(*_inset(book.cell(1, ANSWER_COL + 1))))
    data = dw.add_shape(data, SHEET, Box(*_inset(book.cell(2, ANSWER_COL))))
    data = dw.add_shape(data, SHEET, Box(*_inset(book.cell(3, ANSWER_COL + 1))), txbox=True,
                        text="○")
    data = dw.add_shape(data, SHEET, Box(*_inset(book.cell(4, ANSWER_COL))))
    data = dw.add_shape(data, SHEET, Box(*_inset(book.cell(4, ANSWER_COL + 1))))
    readings, stray = book.read(data)
    assert answers(readings) == {1: "no", 2: "yes", 3: "no", 4: None}
    assert readings[4].detail == d.CONFLICT
    assert stray == []


def _inset(b: Box, k: float = 3.0) -> tuple[float, float, float, float]:
    return (b.x0 + k, b.y0 + 1, b.x1 - k, b.y1 - 1)


# ---------------------------------------------------------------------------------------------
# Ambiguous and stray marks: never a guess
# ---------------------------------------------------------------------------------------------


def test_ellipse_over_both_words() -> None:
    book = make_book(width=20, align="center", rows=2)
    yes, no = book.word_box(1, "はい"), book.word_box(1, "いいえ")
    data = dw.add_shape(book.data, SHEET, Box(yes.x0, yes.y0, no.x1, no.y1))
    data = dw.add_shape(data, SHEET, book.word_box(2, "いいえ"))
    readings, _ = book.read(data)
    assert answers(readings) == {1: None, 2: "no"}
    assert readings[1].detail == d.BOTH_WORDS


def test_mark_on_the_separator_between_words() -> None:
    book = make_book(width=20, align="center", rows=1)
    yes_x1 = book.word_x("はい")[1]
    y0 = book.row_y0(1)
    data = dw.add_shape(book.data, SHEET, Box(yes_x1 + 1, y0 + 2, yes_x1 + 10, y0 + 13))
    readings, _ = book.read(data)
    assert readings[1].answer is None
    assert readings[1].detail == d.BETWEEN_WORDS


def test_mark_between_two_answer_rows() -> None:
    book = make_book(width=20, align="center", rows=3)
    x0, x1 = book.word_x("はい")
    border = book.row_y0(2)
    data = dw.add_shape(book.data, SHEET, Box(x0 - 2, border - 7, x1 + 2, border + 7))
    data = dw.add_shape(data, SHEET, book.word_box(3, "はい"))
    readings, stray = book.read(data)
    assert answers(readings) == {1: None, 2: None, 3: "yes"}
    assert readings[1].detail == readings[2].detail == d.BETWEEN_CELLS
    assert stray == []


def test_two_marks_on_one_slot_disagree() -> None:
    book = make_book(width=20, align="left", rows=2)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "はい"))
    data = dw.add_shape(data, SHEET, book.word_box(1, "いいえ"), txbox=True, text="○")
    data = dw.add_shape(data, SHEET, book.word_box(2, "いいえ"))
    data = dw.add_shape(data, SHEET, book.word_box(2, "いいえ"), txbox=True, text="✓")
    readings, _ = book.read(data)
    assert answers(readings) == {1: None, 2: "no"}  # two marks that agree are fine
    assert readings[1].detail == d.CONFLICT


def test_mark_on_a_non_answer_cell_is_stray() -> None:
    book = make_book(width=20, rows=2)
    data = dw.add_shape(book.data, SHEET, Box(30, book.row_y0(1) + 2, 60, book.row_y0(1) + 13))
    # and one in the answer column but on the header row (no slot there)
    data = dw.add_shape(data, SHEET, book.word_box(0, "はい"))
    readings, stray = book.read(data)
    assert readings == {}
    assert sorted((m.row, m.col) for m in stray) == [(0, ANSWER_COL), (1, 1)]


def test_mark_far_from_the_words_in_a_wide_cell() -> None:
    book = make_book(width=60, align="left", rows=1)
    cell = book.cell(1)
    data = dw.add_shape(book.data, SHEET, Box(cell.x1 - 40, cell.y0 + 2, cell.x1 - 10, cell.y1 - 2))
    readings, _ = book.read(data)
    assert (readings[1].answer, readings[1].detail) == (None, d.OFF_WORDS)


def test_frame_around_the_table_is_ignored() -> None:
    book = make_book(rows=4)
    data = dw.add_shape(book.data, SHEET, Box(1, 1, 300, 200), prst="rect")
    data = dw.add_shape(data, SHEET, book.word_box(2, "はい"))
    readings, stray = book.read(data)
    assert answers(readings) == {2: "yes"}
    assert stray == []


def test_words_on_separate_lines() -> None:
    book = make_book(width=10, align="center", text="はい\nいいえ", row_height=34, wrap=True,
                     rows=2)
    with zf_of(book.data) as zf:
        lay = d.load_layout(zf, PART)
    boxes = lay.word_boxes(1, ANSWER_COL, book.text)
    yes, no = boxes["yes"], boxes["no"]
    assert yes.y1 <= no.y0 + 0.01
    data = dw.add_shape(book.data, SHEET, Box(no.x0 - 2, no.y0, no.x1 + 2, no.y1))
    yes2 = lay.word_boxes(2, ANSWER_COL, book.text)["yes"]
    data = dw.add_shape(data, SHEET, Box(yes2.x0 - 2, yes2.y0, yes2.x1 + 2, yes2.y1))
    assert answers(book.read(data)[0]) == {1: "no", 2: "yes"}


def test_slot_text_without_the_words() -> None:
    book = make_book(rows=1)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "はい"))
    slot = AnswerSlot("k", ((1, ANSWER_COL),), ("both",), ("",))
    readings, _ = d.read_slots(zf_of(data), PART, [slot], [])
    assert (readings["k"].answer, readings["k"].detail) == (None, d.NO_WORDS)


def test_slot_key_is_opaque_and_merged_argument_is_used() -> None:
    book = make_book(width=10, rows=1, align="center")
    # the caller's merge makes C2:E2 one cell even though the sheet has no mergeCells
    x0 = book.answer_x0
    w = book.col_pt(10) * 3
    start = x0 + (w - 66) / 2
    data = dw.add_shape(book.data, SHEET, Box(start + 31, 17, start + 68, 28))
    slot = AnswerSlot(("2-(4)", "server"), ((1, ANSWER_COL),), ("both",), (book.text,))
    readings, _ = d.read_slots(zf_of(data), PART, [slot], [(1, ANSWER_COL, 1, ANSWER_COL + 2)])
    assert readings[("2-(4)", "server")].answer == "no"


# ---------------------------------------------------------------------------------------------
# Files from other writers: LibreOffice-style XML, prefixes, mc:AlternateContent, strict
# ---------------------------------------------------------------------------------------------


def _rewrite_drawing(data: bytes, fn) -> bytes:
    with zf_of(data) as zf:
        xml = zf.read("xl/drawings/drawing1.xml").decode()
    return replace_part(data, "xl/drawings/drawing1.xml", fn(xml).encode())


def test_other_namespace_prefixes() -> None:
    book = make_book(rows=2)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "いいえ"))
    data = _rewrite_drawing(data, lambda s: s.replace("xdr:", "ns0:").replace("xmlns:xdr", "xmlns:ns0")
                            .replace("a:", "ns1:").replace("xmlns:a=", "xmlns:ns1="))
    assert answers(book.read(data)[0]) == {1: "no"}


def test_strict_ooxml_namespaces() -> None:
    book = make_book(rows=1)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "はい"))
    data = _rewrite_drawing(data, lambda s: s.replace(
        "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
        "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing").replace(
        "http://schemas.openxmlformats.org/drawingml/2006/main", "http://purl.oclc.org/ooxml/drawingml/main"))
    assert answers(book.read(data)[0]) == {1: "yes"}


def test_libreoffice_style_anchor_and_style_block() -> None:
    book = make_book(rows=1)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "いいえ"), edit_as="oneCell")
    data = _rewrite_drawing(data, lambda s: s.replace(
        "</xdr:spPr>", "</xdr:spPr><xdr:style><a:lnRef idx=\"0\"/><a:fillRef idx=\"0\"/>"
                       "<a:effectRef idx=\"0\"/><a:fontRef idx=\"minor\"/></xdr:style>"))
    assert answers(book.read(data)[0]) == {1: "no"}


@pytest.mark.parametrize("requires,expect", [("a14", "no"), ("zz", "yes")])
def test_alternate_content_choice_or_fallback(requires: str, expect: str) -> None:
    book = make_book(rows=1)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "いいえ"))
    data = dw.add_shape(data, SHEET, book.word_box(1, "はい"))

    def wrap(s: str) -> str:
        anchors = re.findall(r"<xdr:twoCellAnchor>.*?</xdr:twoCellAnchor>", s, re.S)
        ac = ('<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
              f'<mc:Choice xmlns:a14="http://schemas.microsoft.com/office/drawing/2010/main" '
              f'xmlns:zz="urn:unknown" Requires="{requires}">{anchors[0]}</mc:Choice>'
              f'<mc:Fallback>{anchors[1]}</mc:Fallback></mc:AlternateContent>')
        return s.replace(anchors[0], "").replace(anchors[1], ac)
    data = _rewrite_drawing(data, wrap)
    assert answers(book.read(data)[0]) == {1: expect}


def test_hidden_and_invisible_shapes_are_ignored() -> None:
    book = make_book(rows=2)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "はい"))
    data = dw.add_shape(data, SHEET, book.word_box(2, "はい"))
    data = _rewrite_drawing(data, lambda s: s.replace('name="楕円 1"', 'name="楕円 1" hidden="1"', 1)
                            .replace('<a:ln w="12700"><a:solidFill><a:srgbClr val="FF0000"/></a:solidFill></a:ln>',
                                     '<a:ln><a:noFill/></a:ln>'))
    assert book.read(data)[0] == {}


# ---------------------------------------------------------------------------------------------
# Robustness: never raise, read what can be read
# ---------------------------------------------------------------------------------------------


def _two_parts(book) -> bytes:
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "はい"))
    return dw.add_vml_shape(data, SHEET, book.word_box(2, "いいえ"))


def test_broken_drawing_part_keeps_the_rest() -> None:
    book = make_book(rows=2)
    data = replace_part(_two_parts(book), "xl/drawings/drawing1.xml", b"<xdr:wsDr><broken")
    marks, issues = read_marks_with_issues(zf_of(data), PART)
    assert [m.part for m in marks] == ["xl/drawings/vmlDrawing1.vml"]
    assert len(issues) == 1 and "drawing1.xml" in issues[0]
    assert answers(book.read(data)[0]) == {2: "no"}


def test_missing_part_and_dangling_rel() -> None:
    book = make_book(rows=2)
    data = replace_part(_two_parts(book), "xl/drawings/vmlDrawing1.vml", None)
    marks, issues = read_marks_with_issues(zf_of(data), PART)
    assert [m.part for m in marks] == ["xl/drawings/drawing1.xml"]
    assert issues and "vmlDrawing1.vml" in issues[0]
    data = replace_part(data, "xl/worksheets/_rels/sheet1.xml.rels", b"not xml")
    assert read_marks(zf_of(data), PART) == []
    assert book.read(data) == ({}, [])


def test_entities_are_not_expanded() -> None:
    book = make_book(rows=1)
    data = dw.add_shape(book.data, SHEET, book.word_box(1, "はい"), txbox=True, text="○")
    evil = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">&e;</xdr:wsDr>')
    data = replace_part(data, "xl/drawings/drawing1.xml", evil)
    marks, _ = read_marks_with_issues(zf_of(data), PART)
    assert marks == []


def test_oversized_part_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    book = make_book(rows=2)
    data = _two_parts(book)
    with zf_of(data) as zf:
        sizes = {n: zf.getinfo(n).file_size for n in zf.namelist()}
    limit = sizes["xl/worksheets/_rels/sheet1.xml.rels"] + 1
    assert sizes["xl/drawings/drawing1.xml"] > limit and sizes["xl/drawings/vmlDrawing1.vml"] > limit
    monkeypatch.setattr(d, "MAX_PART_BYTES", limit)
    marks, issues = read_marks_with_issues(zf_of(data), PART)
    assert marks == [] and len(issues) == 2
    assert all("大きすぎます" in i for i in issues)


def test_sheet_without_drawings() -> None:
    book = make_book(rows=2)
    with zf_of(book.data) as zf:
        assert not d.sheet_has_drawings(zf, PART)
        assert read_marks(zf, PART) == []
        assert d.read_slots(zf, PART, book.slots(), []) == ({}, [])
        assert read_marks(zf, "xl/worksheets/sheet9.xml") == []
    data = dw.add_ellipse_over_word(book.data, SHEET, "C2", "はい")
    with zf_of(data) as zf:
        assert d.sheet_has_drawings(zf, PART)


def test_problem_kinds_are_catalogued() -> None:
    from xltools.problems import CATALOGUE, make
    for code in ("mark.ambiguous", "mark.stray", "mark.drawing_unreadable"):
        assert code in CATALOGUE
    p = make("mark.ambiguous", sheet=SHEET, cell="C2", detail=d.BOTH_WORDS)
    assert "C2" in p.message and d.BOTH_WORDS in p.message


# ---------------------------------------------------------------------------------------------
# LibreOffice round trip (real files written by another program)
# ---------------------------------------------------------------------------------------------


def _soffice(src: Path, fmt: str, outdir: Path) -> Path:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe
    outdir.mkdir(exist_ok=True)
    subprocess.run([exe, "--headless", f"-env:UserInstallation=file://{outdir}/profile",
                    "--convert-to", fmt, "--outdir", str(outdir), str(src)],
                   check=True, capture_output=True, timeout=180)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    assert out.exists(), f"soffice did not write {out}"
    return out


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="LibreOffice (soffice) is not installed")
def test_libreoffice_round_trip_xlsx_and_xls(tmp_path: Path) -> None:
    book = make_book(width=30, align="center", rows=5)
    data = dw.add_ellipse_over_word(book.data, SHEET, "C2", "はい")
    data = dw.add_ellipse_over_word(data, SHEET, "C3", "いいえ")
    # check boxes labelled with the word, as in vendor-made forms (LibreOffice keeps the label)
    for row, word, checked in ((3, "はい", False), (3, "いいえ", True), (4, "はい", True),
                               (4, "いいえ", False)):
        x0, x1 = book.word_x(word)
        y0 = book.row_y0(row)
        data = dw.add_checkbox(data, SHEET, Box(x0 - 13, y0 + 1, x1, y0 + 14), checked=checked,
                               label=word)
    src = tmp_path / "form.xlsx"
    src.write_bytes(data)
    via_xlsx = _soffice(src, "xlsx", tmp_path / "lo")
    xls = _soffice(src, "xls", tmp_path / "xls")
    via_xls = _soffice(xls, "xlsx", tmp_path / "back")
    for path in (via_xlsx, via_xls):
        with zipfile.ZipFile(path) as zf:
            sheet_part = dw.sheet_part_for(zf, SHEET)
            readings, stray = d.read_slots(zf, sheet_part, book.slots(), [])
        assert answers(readings) == {1: "yes", 2: "no", 3: "no", 4: "yes"}, path
        assert readings[3].source == "checkbox"
        assert stray == []


def test_tall_sloppy_ellipse_centred_on_one_row_stays_there() -> None:
    book = make_book(width=20, align="center", rows=3)
    x0, x1 = book.word_x("いいえ")
    y0 = book.row_y0(2)
    # 33 pt tall in a 15 pt row: spills 9 pt (27 %) into each of the rows above and below
    data = dw.add_shape(book.data, SHEET, Box(x0 - 3, y0 - 9, x1 + 3, y0 + 24))
    readings, stray = book.read(data)
    assert answers(readings) == {2: "no"}
    assert stray == []


def test_libreoffice_style_control_twin_linked_by_shape_id() -> None:
    """LibreOffice marks a control's DrawingML twin only by ``cNvPr id`` = ``shapeId``."""
    book = make_book(width=30, rows=1)
    data = dw.add_checkbox(book.data, SHEET, _box_before(book, 1, "はい"), label="はい")
    data = _rewrite_drawing(data, lambda s: re.sub(r"<a:extLst>.*?</a:extLst>", "", s)
                            .replace(' hidden="1"', ""))
    marks = read_marks(zf_of(data), PART)
    assert [(m.kind, m.text) for m in marks] == [("checkbox", "はい")]
    assert answers(book.read(data)[0]) == {1: "yes"}
