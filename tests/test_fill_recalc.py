"""``fill`` asks Excel to recalculate on open when the template holds formulas.

A template's formulas (a count of はい, a completion rate) carry results cached from the blank
form; without ``<calcPr fullCalcOnLoad="1"/>`` Excel shows those stale numbers after filling.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from xltools.output.fill import fill, write_example
from xltools.output.templates import write_template
from xltools.xlsx.patch import NS_MAIN, parts_of

EXCEL_CALC_PR = b'<calcPr calcId="191029"/>'  # what Excel itself writes: no fullCalcOnLoad
FORMULA = b'<c r="J1"><f>COUNTA(A1:I400)</f><v>0</v></c>'


def _variant(src: Path, dst: Path, calc: bytes, formula: bool, ext: bool = False) -> Path:
    """The generated template as Excel would have saved it, with or without a formula."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "xl/workbook.xml":
                data = re.sub(rb"<calcPr[^>]*/>", calc, data)
                if ext:
                    data = data.replace(b"</workbook>", b'<extLst><ext uri="{x}"/></extLst></workbook>')
            if name == "xl/worksheets/sheet1.xml" and formula:
                data, n = re.subn(rb'(<row r="1"[^>]*>.*?)(</row>)', rb"\1" + FORMULA + rb"\2",
                                  data, count=1, flags=re.S)
                assert n == 1
            zout.writestr(name, data)
    return dst


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("recalc")
    base = d / "base.xlsx"
    write_template(base, "checklist", "R7", "hospital")
    answers = d / "answers.xlsx"
    write_example(answers, "R7", "hospital")
    wb = openpyxl.load_workbook(answers)
    ws = wb["既定回答"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 4).value, ws.cell(r, 5).value = "はい", dt.date(2025, 10, 1)
    wb["施設一覧"].cell(2, 1).value = "さくら総合病院"
    wb.save(answers)
    return {
        "answers": answers,
        "formula": _variant(base, d / "formula.xlsx", EXCEL_CALC_PR, True),
        "formula_no_calc_pr": _variant(base, d / "formula_no_calc.xlsx", b"", True, ext=True),
        "plain": _variant(base, d / "plain.xlsx", EXCEL_CALC_PR, False),
    }


def _filled(made: dict[str, Path], key: str, tmp_path: Path) -> tuple[bytes, bytes]:
    result = fill(made[key], made["answers"], tmp_path / key)
    assert len(result.files) == 1
    before = parts_of(made[key].read_bytes())["xl/workbook.xml"]
    return before, parts_of(result.files[0].path.read_bytes())["xl/workbook.xml"]


def _calc_pr(workbook_xml: bytes) -> etree._Element | None:
    return etree.fromstring(workbook_xml).find(f"{{{NS_MAIN}}}calcPr")


def test_a_template_with_formulas_is_recalculated_on_open(made: dict[str, Path],
                                                         tmp_path: Path) -> None:
    before, after = _filled(made, "formula", tmp_path)
    assert _calc_pr(before).get("fullCalcOnLoad") is None
    calc = _calc_pr(after)
    assert calc.get("fullCalcOnLoad") == "1"
    assert calc.get("calcId") == "191029"  # the rest of calcPr is kept
    wb = openpyxl.load_workbook(tmp_path / "formula" / "さくら総合病院_医療機関確認用.xlsx")
    assert wb.active["J1"].value == "=COUNTA(A1:I400)"  # the formula itself is left alone


def test_calc_pr_is_added_in_schema_order_when_missing(made: dict[str, Path],
                                                       tmp_path: Path) -> None:
    before, after = _filled(made, "formula_no_calc_pr", tmp_path)
    assert _calc_pr(before) is None
    root = etree.fromstring(after)
    names = [etree.QName(el).localname for el in root]
    assert names.index("calcPr") == names.index("extLst") - 1  # calcPr precedes extLst
    assert root.find(f"{{{NS_MAIN}}}calcPr").get("fullCalcOnLoad") == "1"


def test_a_template_without_formulas_keeps_workbook_xml_byte_for_byte(made: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    before, after = _filled(made, "plain", tmp_path)
    assert after == before
