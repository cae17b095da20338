"""The consolidated workbook and the feedback workbooks, read back with openpyxl."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import fixtures_consolidate as fx
import openpyxl
import pytest

from xltools.aggregate.core import Consolidation, consolidate
from xltools.output import schema
from xltools.output.report import (
    FONT,
    GROUP_SHEET,
    SHEETS,
    safe_filename,
    write_feedback,
    write_workbook,
)

HEADERS = {
    "項目別集計": ["項番", "項目", "対象", "種別", "件数", "はい", "いいえ", "未回答", "該当なし",
               "はい率", "いいえ率", "未回答率", "該当なし率", "実施率"],
    "施設別一覧": ["医療機関名", "種別", "保健所・地域", "年度版", "事業者確認用", "実施率"],
    "不一致": ["重要度", "規則", "医療機関名", "事業者名", "項番", "医療機関の回答", "事業者の回答",
            "内容", "医療機関のセル", "事業者のセル"],
    "目標日": ["状況", "医療機関名", "回答者", "事業者名", "年度版", "項番", "項目", "対象", "回",
            "目標日", "超過日数"],
    "未提出": ["区分", "医療機関名", "医療機関コード", "種別", "保健所・地域", "法人・グループ"],
    "要確認": ["重要度", "医療機関名", "内容", "ファイル", "シート", "セル"],
    "明細": ["医療機関名", "種別"],
    "経年比較": ["医療機関名", "項番（最新版）", "項目", "対象", "R6 版", "R7 版", "変化"],
    GROUP_SHEET: ["保健所・地域", "施設数", "提出", "未提出", "提出率"],
}


@pytest.fixture(scope="module")
def cons() -> Consolidation:
    return consolidate(fx.frames(), roster=fx.roster(), as_of=fx.AS_OF, group_by="area")


@pytest.fixture(scope="module")
def book(cons: Consolidation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(cons, tmp_path_factory.mktemp("wb") / "集計.xlsx")


@pytest.fixture(scope="module")
def wb(book: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(book)


def _header(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    return [c.value for c in ws[1] if c.value is not None]


def test_every_sheet_with_its_headers(wb: openpyxl.Workbook) -> None:
    assert wb.sheetnames == [*SHEETS, GROUP_SHEET]
    for name, headers in HEADERS.items():
        got = _header(wb[name])
        assert got[: len(headers)] == headers, name


def test_details_headers_come_from_the_schema(wb: openpyxl.Workbook) -> None:
    ja = schema.ja_headers("answers")
    assert {ja["item_id"], ja["answer"], ja["cell"], ja["raw"]} <= set(_header(wb["明細"]))


def test_no_group_sheet_without_group_by(tmp_path: Path) -> None:
    c = consolidate(fx.frames(), roster=fx.roster(), as_of=fx.AS_OF)
    got = openpyxl.load_workbook(write_workbook(c, tmp_path / "a.xlsx")).sheetnames
    assert got == list(SHEETS)


def test_formula_like_text_stays_text(wb: openpyxl.Workbook) -> None:
    wanted = {'=HYPERLINK("http://x","y")', "+cmd", "-1+1", "@SUM(A1)"}
    seen: dict[str, set[str]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and (c.value in wanted or c.value.startswith("=")):
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)
                    seen.setdefault(c.value, set()).add(ws.title)
    assert wanted <= set(seen)
    assert "明細" in seen["+cmd"] and "未提出" in seen['=HYPERLINK("http://x","y")']


def test_overview_counts_and_charts(wb: openpyxl.Workbook) -> None:
    ws = wb["概要"]
    values = {(r[0], r[1]): r[2] for r in ws.iter_rows(values_only=True) if r[0] and r[2] is not None}
    assert values[("合計", "不一致の件数")] == 8
    assert values[("合計", "未提出施設数（名簿）")] == 1
    assert values[("年度版", "R7")] == 6
    assert len(ws._charts) == 2
    assert len(wb["項目別集計"]._charts) == 1


def test_matrix_colours_answers(wb: openpyxl.Workbook) -> None:
    ws = wb["施設別一覧"]
    cells = {c.value: c for c in ws[2] if isinstance(c.value, str)}
    assert cells["はい"].fill.fgColor.rgb.endswith("C6EFCE")
    assert cells["いいえ"].fill.fgColor.rgb.endswith("FFC7CE")
    grey = {c.value: c for c in ws[3] if isinstance(c.value, str)}
    assert grey["未回答"].fill.fgColor.rgb.endswith("D9D9D9")


def test_overdue_targets_highlighted(wb: openpyxl.Workbook) -> None:
    ws = wb["目標日"]
    first = [c for c in ws[2]]
    assert first[0].value == "期限超過"
    assert first[0].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(2, 11).value == 62  # 超過日数
    later = [r[0].value for r in ws.iter_rows(min_row=2)]
    assert "期限内" in later and "目標日なし" in later


def test_print_setup_filters_and_fonts(wb: openpyxl.Workbook) -> None:
    for name in ("項目別集計", "不一致", "目標日", "未提出", "要確認", "明細", "経年比較"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert int(ws.page_setup.paperSize) == 9, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.page_setup.fitToWidth in (None, 1), name  # 1 is the default, left out
        assert int(ws.page_setup.fitToHeight) == 0, name
        assert ws.print_title_rows == "$1:$1", name
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2"), name
        assert ws.auto_filter.ref, name
    assert wb["不一致"]["A2"].font.name == FONT


def test_empty_consolidation_still_writes_every_sheet(tmp_path: Path) -> None:
    c = consolidate({"submissions": schema.frame("submissions", []),
                     "answers": schema.frame("answers", [])})
    wb = openpyxl.load_workbook(write_workbook(c, tmp_path / "empty.xlsx"))
    assert wb.sheetnames == list(SHEETS)
    assert wb["不一致"]["A2"].value == "不一致はありません。"


@pytest.mark.parametrize(("name", "safe"), [
    ('a<b>c:"d/e\\f|g?h*', "a_b_c__d_e_f_g_h_"),
    ("CON", "_CON"),
    ("com1.txt", "_com1.txt"),
    ("名前. ", "名前"),
    ("", "_"),
    ("x" * 200, "x" * 80),
])
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_feedback_one_workbook_per_facility(cons: Consolidation, tmp_path: Path) -> None:
    paths = write_feedback(cons, tmp_path / "fb")
    assert sorted(p.name for p in paths) == sorted([
        "さくら病院_1312345678.xlsx", "あおば薬局.xlsx", "みどり医院.xlsx", "みどりクリニック.xlsx"])
    texts = _texts(tmp_path / "fb" / "さくら病院_1312345678.xlsx")
    assert texts[0] == "さくら病院 様"
    assert any("事業者確認用：2 件" in t for t in texts)
    assert "4. 事業者の回答との不一致" in texts and "期限超過" in texts
    assert any("ABCシステム" in t and "MDS" in t for t in texts)
    missing = _texts(tmp_path / "fb" / "みどり医院.xlsx")
    assert any("提出されていません" in t for t in missing)
    pharmacy = _texts(tmp_path / "fb" / "あおば薬局.xlsx")
    assert any("事業者確認用が提出されていません" in t for t in pharmacy)
    assert "2-②" in pharmacy  # the blank item


def test_feedback_names_are_unique(cons: Consolidation, tmp_path: Path) -> None:
    fac = cons.facilities.copy()
    fac["facility_name"] = "同じ/名前"
    fac["facility_code"] = ""
    twin = Consolidation(**{**cons.__dict__, "facilities": fac})
    names = sorted(p.name for p in write_feedback(twin, tmp_path))
    assert names == ["同じ_名前.xlsx", "同じ_名前_2.xlsx", "同じ_名前_3.xlsx", "同じ_名前_4.xlsx"]


def _texts(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path).active
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_libreoffice_converts_the_workbook(book: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(book)],
        capture_output=True, timeout=300, check=False)
    pdf = tmp_path / (book.stem + ".pdf")
    assert done.returncode == 0, done.stderr
    assert pdf.exists() and pdf.stat().st_size > 10_000
