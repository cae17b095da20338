"""The consolidated workbook and the letters, read back with openpyxl (and rendered by
LibreOffice when it is installed).

Two consolidations: the hand-made frames of ``fixtures_consolidate`` (exact arithmetic) and the
bundled samples read with the bundled roster (a folder as a user has it: every form kind, one
facility that never submitted, one whose name is written differently on its form).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import fixtures_consolidate as fx
import openpyxl
import pytest

from xltools import api
from xltools.aggregate.core import Consolidation, consolidate, facility_status, overview
from xltools.aggregate.roster import inputs_without_roster, load_roster
from xltools.output import schema
from xltools.output.own import mark_name
from xltools.output.report import (
    FONT,
    GROUP_SHEET,
    NOTES_SHEET,
    SHEETS,
    TABLE_SHEETS,
    safe_filename,
    sheet_names,
    write_feedback,
    write_workbook,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "workbooks" / "samples"
ROSTER = SAMPLES / "施設一覧.xlsx"
AS_OF = "2026-04-01"
ORDER = ["概要", "未提出", "要確認", "不一致", "目標日", "施設別一覧", "項目別集計", NOTES_SHEET,
         "明細", "経年比較"]
# English code values that must never reach a cell a person reads
CODES = {"hospital", "pharmacy", "vendor", "joint", "facility", "text", "dropdown", "strike",
         "mark", "columns", "shape", "checkbox", "empty", "yes", "no", "na", "blank", "error",
         "warning", "info", "ok", "partial", "failed", "checklist", "contract", "bcp", "all",
         "server", "terminal", "network", "server+terminal", "other", "action", "complete",
         "missing"}
# columns that quote the submission or name a file, cell or id (not values the tool decides)
QUOTED = {"記入内容", "シート", "ファイル", "ファイル（場所）", "セル", "提出ID", "コード", "規則ID",
          "項目ID", "医療機関のファイル", "事業者のファイル", "様式Aのファイル", "様式Bのファイル",
          "回答セル", "目標日セル", "医療機関のセル", "事業者のセル", "様式Aのセル", "様式Bのセル"}
DATE_HEADERS = {"確認日", "目標日", "完了日", "初回確認日", "医療機関の確認日", "事業者の確認日"}


# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def cons() -> Consolidation:
    return consolidate(fx.frames(), roster=fx.roster(), as_of=fx.AS_OF, group_by="area")


@pytest.fixture(scope="module")
def wb(cons: Consolidation, tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    return openpyxl.load_workbook(write_workbook(cons, tmp_path_factory.mktemp("wb") / "集計.xlsx"))


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[Consolidation, Path, list[Path]]:
    """The bundled samples with the bundled roster, as the README's first command runs them."""
    out = tmp_path_factory.mktemp("samples")
    done = api.consolidate(SAMPLES, roster=ROSTER, as_of=AS_OF, out=out / "集計.xlsx",
                           feedback=out / "返送用", store=out / "store.sqlite", jobs=1)
    return done.consolidation, done.workbook, done.letters


@pytest.fixture(scope="module")
def swb(samples: tuple[Consolidation, Path, list[Path]]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(samples[1])


def _header(ws: Any) -> list[str]:
    return [c.value for c in ws[1] if c.value is not None]


def _table_rows(ws: Any) -> list[list[Any]]:
    """The data rows of a sheet's table (down to the first empty row)."""
    out = []
    for row in ws.iter_rows(min_row=2):
        if all(c.value is None for c in row):
            break
        out.append(row)
    return out


# --------------------------------------------------------------------------------------------
# sheets and order


def visible(wb: openpyxl.Workbook) -> list[str]:
    """The sheets a person sees (the last, hidden one marks the workbook as xltools' own)."""
    return [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]


def test_sheets_in_the_order_of_the_work(wb: openpyxl.Workbook, cons: Consolidation) -> None:
    assert visible(wb) == [ORDER[0], GROUP_SHEET, *ORDER[1:]]
    assert visible(wb) == sheet_names(cons)
    assert set(ORDER) == set(SHEETS)
    assert wb.sheetnames[-1] == mark_name("集計") and wb.worksheets[-1].sheet_state == "hidden"


def test_no_group_sheet_without_group_by(tmp_path: Path) -> None:
    c = consolidate(fx.frames(), roster=fx.roster(), as_of=fx.AS_OF)
    assert visible(openpyxl.load_workbook(write_workbook(c, tmp_path / "a.xlsx"))) == ORDER


def test_samples_sheet_order_with_tables(swb: openpyxl.Workbook) -> None:
    at = ORDER.index(NOTES_SHEET)
    assert visible(swb) == ORDER[:at] + list(TABLE_SHEETS) + ORDER[at:]


def test_headers(wb: openpyxl.Workbook) -> None:
    want = {
        "未提出": ["区分", "医療機関名", "医療機関コード", "種別", "保健所・地域"],
        "要確認": ["重要度", "医療機関名", "内容", "ファイル", "シート", "セル"],
        "不一致": ["重要度", "規則", "医療機関名", "事業者名", "項番", "医療機関の回答", "事業者の回答", "内容"],
        NOTES_SHEET: ["重要度", "規則", "医療機関名", "事業者名"],
        "目標日": ["状況", "医療機関名", "立場", "事業者名", "項番", "項目", "対象", "目標日", "超過日数"],
        "施設別一覧": ["対応", "医療機関名", "種別", "保健所・地域", "年度版", "実施率"],
        "項目別集計": ["項番", "項目", "対象", "種別", "件数", "はい", "いいえ", "未回答", "該当なし"],
        "明細": ["医療機関名", "種別", "立場", "回答者"],
        "経年比較": ["医療機関名", "項番（最新版）", "項目", "対象", "R6 版", "R7 版", "変化"],
        GROUP_SHEET: ["保健所・地域", "施設数", "提出", "未提出", "提出率"],
    }
    for name, headers in want.items():
        assert _header(wb[name])[: len(headers)] == headers, name
    ja = schema.ja_headers("answers")
    assert {ja["item_id"], ja["answer"], ja["cell"], ja["raw"]} <= set(_header(wb["明細"]))


def test_formula_like_text_stays_text(wb: openpyxl.Workbook) -> None:
    wanted = {'=HYPERLINK("http://x","y")', "+cmd", "-1+1", "@SUM(A1)"}
    seen: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and (c.value in wanted or c.value.startswith("=")):
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)
                    seen.add(c.value)
    assert wanted <= seen


# --------------------------------------------------------------------------------------------
# 概要


def _links(ws: Any) -> list[tuple[Any, str, int, int]]:
    """(value, sheet, first row, last row) of every linked number on the dashboard."""
    out = []
    for row in ws.iter_rows():
        for c in row:
            if c.hyperlink is not None and isinstance(c.value, (int, float)):
                m = re.fullmatch(r"'(.+)'!A(\d+)(?::[A-Z]+(\d+))?", c.hyperlink.location)
                assert m, c.hyperlink.location
                first = int(m.group(2))
                last = int(m.group(3)) if m.group(3) else first - 1  # A1: no rows
                out.append((c.value, m.group(1), first, last))
    return out


@pytest.mark.parametrize("which", ["fixture", "samples"])
def test_every_dashboard_number_is_the_rows_it_links_to(
        which: str, wb: openpyxl.Workbook, swb: openpyxl.Workbook) -> None:
    book = wb if which == "fixture" else swb
    links = _links(book["概要"])
    assert len(links) >= 11
    for value, sheet, first, last in links:
        ws = book[sheet]
        rows = _table_rows(ws)
        if isinstance(value, float) and value <= 1 and sheet == "項目別集計":
            continue  # the rate links to the items it is computed from
        assert value == max(0, last - first + 1), (sheet, value, first, last)
        assert last <= 1 + len(rows), (sheet, last)  # the range is inside the table


def test_dashboard_blocks_hold_what_they_count(
        samples: tuple[Consolidation, Path, list[Path]], swb: openpyxl.Workbook) -> None:
    cons = samples[0]
    ov = overview(cons)
    fac = [r[0].value for r in _table_rows(swb["施設別一覧"])]
    assert len(fac) == ov["expected"] == 8
    assert fac == ["要対応"] * ov["action"] + ["対応なし"] * ov["complete"] + ["未提出"] * ov["missing"]
    assert ov["missing"] == 1 and ov["submitted"] == 7
    names = [r[1].value for r in _table_rows(swb["施設別一覧"])]
    assert names[-1] == "あおぞら内科クリニック"
    assert "若草病院" in names and "社会医療法人 若草会 若草病院" not in names  # roster name wins
    overdue = [r[0].value for r in _table_rows(swb["目標日"])][: ov["overdue_targets"]]
    assert set(overdue) == {"期限超過"}
    sev = [r[0].value for r in _table_rows(swb["要確認"])]
    assert sev[: ov["problems_error"]] == ["エラー"] * ov["problems_error"]


def test_disagreements_count_only_warnings_and_above(
        samples: tuple[Consolidation, Path, list[Path]], swb: openpyxl.Workbook) -> None:
    cons = samples[0]
    f = cons.findings
    ov = overview(cons)
    assert ov["findings_action"] == int(f["severity"].isin(["warning", "error"]).sum()) > 0
    assert ov["findings_notes"] == int((f["severity"] == "info").sum()) > 0
    assert {r[0].value for r in _table_rows(swb["不一致"])} <= {"警告", "エラー"}
    assert {r[0].value for r in _table_rows(swb[NOTES_SHEET])} == {"情報"}
    assert len(_table_rows(swb["不一致"])) == ov["findings_action"]


def test_dashboard_prints_on_one_a4_landscape_page(swb: openpyxl.Workbook) -> None:
    ws = swb["概要"]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.fitToHeight or 1) == 1 and int(ws.page_setup.fitToWidth or 1) == 1
    assert len(ws._charts) == 1
    assert any(str(r).startswith("A2:") for r in ws.merged_cells.ranges)  # 基準日 spans the page


def test_overview_is_data_for_the_web_page(cons: Consolidation) -> None:
    ov = overview(cons)
    assert ov["expected"] == len(facility_status(cons))
    assert ov["expected"] == ov["submitted"] + ov["missing"]
    assert ov["submitted"] == ov["action"] + ov["complete"]
    assert 0 <= ov["implementation_rate"] <= 1
    assert all({"name", "rate", "n"} <= set(s) for s in ov["sections"])


# --------------------------------------------------------------------------------------------
# typed cells, Japanese values


@pytest.mark.parametrize("which", ["fixture", "samples"])
def test_dates_are_date_cells(which: str, wb: openpyxl.Workbook, swb: openpyxl.Workbook) -> None:
    book = wb if which == "fixture" else swb
    seen = 0
    for ws in book.worksheets[1:]:
        head = [c.value for c in ws[1]]
        for j, h in enumerate(head):
            if not isinstance(h, str) or not (h in DATE_HEADERS or h.endswith(" 完了日")):
                continue
            for row in _table_rows(ws):
                c = row[j]
                if c.value is None:
                    continue
                assert isinstance(c.value, dt.datetime), (ws.title, h, c.coordinate, c.value)
                assert c.number_format == "yyyy/mm/dd"
                seen += 1
    assert seen > 10


@pytest.mark.parametrize("which", ["fixture", "samples"])
def test_no_english_code_values(which: str, wb: openpyxl.Workbook, swb: openpyxl.Workbook) -> None:
    book = wb if which == "fixture" else swb
    for ws in book.worksheets[1:]:
        head = [c.value for c in ws[1]]
        for row in _table_rows(ws):
            for h, c in zip(head, row, strict=False):
                if h in QUOTED or not isinstance(c.value, str):
                    continue
                assert c.value.strip() not in CODES, (ws.title, h, c.coordinate, c.value)


def test_respondent_is_the_person_and_role_apart(swb: openpyxl.Workbook) -> None:
    ws = swb["明細"]
    head = [c.value for c in ws[1]]
    rows = _table_rows(ws)
    who = {r[head.index("回答者")].value for r in rows}
    roles = {r[head.index("立場")].value for r in rows}
    assert "情報 太郎" in who and not who & {"医療機関等", "事業者"}
    assert {"医療機関等", "事業者"} <= roles
    kinds = {r[head.index("種類")].value for r in rows}
    assert {"医療機関確認用", "事業者確認用"} <= kinds
    assert "プルダウン" in {r[head.index("読み取り方法")].value for r in rows}


def test_rates_are_percent_and_counts_numbers(swb: openpyxl.Workbook) -> None:
    ws = swb["施設別一覧"]
    head = [c.value for c in ws[1]]
    row = _table_rows(ws)[0]
    assert row[head.index("実施率")].number_format == "0.0%"
    assert isinstance(row[head.index("いいえ")].value, int | float)


def test_answers_coloured(wb: openpyxl.Workbook) -> None:
    ws = wb["施設別一覧"]
    cells = [c for r in _table_rows(ws) for c in r if c.value in ("はい", "いいえ")]
    assert {c.fill.fgColor.rgb[-6:] for c in cells if c.value == "はい"} == {"C6EFCE"}
    assert {c.fill.fgColor.rgb[-6:] for c in cells if c.value == "いいえ"} == {"FFC7CE"}


def test_overdue_targets_highlighted(wb: openpyxl.Workbook) -> None:
    ws = wb["目標日"]
    first = ws[2]
    assert first[0].value == "期限超過"
    assert first[0].fill.fgColor.rgb.endswith("FFC7CE")
    assert first[8].value == 62  # 超過日数
    assert first[7].value == dt.datetime(2025, 3, 31)
    later = [r[0].value for r in ws.iter_rows(min_row=2)]
    assert "期限内" in later and "目標日なし" in later


# --------------------------------------------------------------------------------------------
# print


def test_print_setup(swb: openpyxl.Workbook) -> None:
    for ws in (swb[name] for name in visible(swb)):
        assert int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        if ws.title == "概要":
            continue
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2"), ws.title
        assert ws.auto_filter.ref, ws.title
        if ws.title in ("施設別一覧", "契約確認表", "BCP確認表"):
            # blocks of columns, one page wide each, the names repeated on every page
            assert ws.print_title_cols in ("$A:$B", "$A:$C"), ws.title
            assert ws.col_breaks.count >= 1 and 40 <= int(ws.page_setup.scale) <= 100, ws.title
        else:
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert ws.page_setup.fitToWidth in (None, 1) and int(ws.page_setup.fitToHeight) == 0
    assert swb["不一致"]["A2"].font.name == FONT


def test_empty_consolidation_still_writes_every_sheet(tmp_path: Path) -> None:
    c = consolidate({"submissions": schema.frame("submissions", []),
                     "answers": schema.frame("answers", [])})
    wb = openpyxl.load_workbook(write_workbook(c, tmp_path / "empty.xlsx"))
    assert visible(wb) == ORDER
    assert wb["不一致"]["A2"].value == "要対応の不一致はありません。"


# --------------------------------------------------------------------------------------------
# letters


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


def _texts(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path).active
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def _sections(path: Path) -> list[tuple[str, list[str]]]:
    """(numbered section title, the texts below it up to the next section)."""
    out: list[tuple[str, list[str]]] = []
    for t in _texts(path):
        if re.match(r"\d+\. ", t):
            out.append((t, []))
        elif out:
            out[-1][1].append(t)
    return out


def test_one_letter_per_facility_expected(samples: tuple[Consolidation, Path, list[Path]]) -> None:
    cons, _wb, letters = samples
    assert len(letters) == len(facility_status(cons)) == 8
    assert {p.name for p in letters} >= {"あおぞら内科クリニック_1310000060.xlsx",
                                         "若草病院_1310000037.xlsx"}


def test_letter_to_a_non_submitter_asks_and_never_thanks(
        samples: tuple[Consolidation, Path, list[Path]]) -> None:
    letter = next(p for p in samples[2] if p.name.startswith("あおぞら"))
    text = "\n".join(_texts(letter))
    assert "ありがとう" not in text and "ご提出いただいた" not in text and "受領した" not in text
    assert "確認できていません" in text and "医療機関確認用" in text and "R8 版" in text
    assert "お早めに" in text  # no --due given


def test_no_letter_has_an_empty_section(samples: tuple[Consolidation, Path, list[Path]]) -> None:
    for letter in samples[2]:
        assert not {t.strip() for t in _texts(letter)} & CODES, letter.name
        sections = _sections(letter)
        assert sections, letter.name
        for title, body in sections:
            assert body and "ありません。" not in body, (letter.name, title)
            assert [int(t.split(".")[0]) for t, _ in sections] == list(range(1, len(sections) + 1))


def test_letters_leave_notes_out_unless_asked(
        samples: tuple[Consolidation, Path, list[Path]], tmp_path: Path) -> None:
    cons = samples[0]
    plain = {p.name: "\n".join(_texts(p)) for p in samples[2]}
    noted = {p.name: "\n".join(_texts(p))
             for p in write_feedback(cons, tmp_path, include_notes=True, due="2026-05-31")}
    notes = cons.findings[cons.findings["severity"] == "info"]
    assert len(notes)
    for name, text in plain.items():
        assert "参考（" not in text and "後に確認" not in text, name
    assert any("参考（重要度「情報」" in t for t in noted.values())
    assert "2026年5月31日までに" in noted["あおぞら内科クリニック_1310000060.xlsx"]


def test_short_confirmation_when_nothing_to_fix(tmp_path: Path) -> None:
    subs = [{"submission_id": "K", "path": "in/K.xlsx", "sheet": "回答", "sha256": "k" * 16,
             "form": "checklist", "variant": "hospital", "edition": "R8", "facility_name": "きらり医院",
             "status": "ok", "respondent": "山田 花子"}]
    answers = [{"submission_id": "K", "item_id": i, "scope": "all", "round": 1, "answer": a,
                "source": "text", "raw": "", "sheet": "回答", "cell": f"E{n}"}
               for n, (i, a) in enumerate([("has_system", "no"), ("security_officer", "yes")], 10)]
    c = consolidate({"submissions": schema.frame("submissions", subs),
                     "answers": schema.frame("answers", answers)}, as_of=AS_OF)
    assert overview(c)["complete"] == 1 and overview(c)["action"] == 0
    [letter] = write_feedback(c, tmp_path)
    texts = _texts(letter)
    assert any("確認が必要な点はありません" in t for t in texts)
    assert [t for t, _ in _sections(letter)] == ["1. 受領した様式"]


def test_fixture_letters(cons: Consolidation, tmp_path: Path) -> None:
    paths = write_feedback(cons, tmp_path / "fb")
    assert sorted(p.name for p in paths) == sorted([
        "さくら病院_1312345678.xlsx", "あおば薬局.xlsx", "みどり医院.xlsx", "みどりクリニック.xlsx"])
    texts = _texts(tmp_path / "fb" / "さくら病院_1312345678.xlsx")
    assert texts[0] == "さくら病院 様"
    assert any("事業者確認用：2 件" in t for t in texts)
    assert any(t.endswith("事業者の回答との不一致") for t in texts)
    assert any("ABCシステム" in t and "MDS" in t for t in texts)
    pharmacy = _texts(tmp_path / "fb" / "あおば薬局.xlsx")
    assert any("事業者確認用が届いていません" in t for t in pharmacy)
    assert "2-②" in pharmacy  # the blank item


def test_feedback_names_are_unique(cons: Consolidation, tmp_path: Path) -> None:
    fac = cons.facilities.copy()
    fac["facility_name"] = "同じ/名前"
    fac["facility_code"] = ""
    twin = Consolidation(**{**cons.__dict__, "facilities": fac})
    names = sorted(p.name for p in write_feedback(twin, tmp_path))
    assert names == ["同じ_名前.xlsx", "同じ_名前_2.xlsx", "同じ_名前_3.xlsx", "同じ_名前_4.xlsx"]


# --------------------------------------------------------------------------------------------
# the roster beside the forms


def test_roster_in_the_forms_folder_is_not_read_as_a_form(
        samples: tuple[Consolidation, Path, list[Path]]) -> None:
    cons = samples[0]
    assert not cons.submissions["path"].str.endswith("施設一覧.xlsx").any()
    assert not cons.problems["path"].str.endswith("施設一覧.xlsx").any()
    files = inputs_without_roster([SAMPLES], ROSTER)
    assert str(ROSTER) not in files and len(files) == len(list(SAMPLES.iterdir())) - 1
    assert inputs_without_roster([SAMPLES], None) == [str(SAMPLES)]
    assert len(load_roster(ROSTER)) == 8


def test_reader_skips_a_roster_with_a_note() -> None:
    """Read without --roster (normalize, the web page's folder upload): one 情報 row, no error."""
    got = api.read_many([ROSTER])
    assert got.submissions.empty
    assert list(got.problems["code"]) == ["form.roster_skipped"]
    assert set(got.problems["severity"]) == {"info"}
    blank = api.read_many([ROOT / "workbooks" / "templates" / "R8_医療機関確認用.xlsx"])
    assert "form.roster_skipped" not in set(blank.problems["code"])


# --------------------------------------------------------------------------------------------
# rendered by LibreOffice


def _render(path: Path, out: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftotext"):
        pytest.skip("LibreOffice (soffice) or poppler (pdftotext) is not installed")
    profile = (out / "lo-profile").as_uri()
    done = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(out), str(path)],
                          capture_output=True, timeout=300, check=False)
    pdf = out / (path.stem + ".pdf")
    assert done.returncode == 0 and pdf.exists(), done.stderr
    return pdf


def _pages(pdf: Path) -> list[tuple[str, str]]:
    """(page header, page text) of every page; the header is the top strip (sheet name and
    基準日), read apart because rotated headers scramble the text order below it."""
    def text(*args: str) -> str:
        return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True,
                              check=True, text=True).stdout

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return [(text("-f", str(i), "-l", str(i), "-x", "0", "-y", "0", "-W", "2000", "-H", "45").strip(),
             text("-layout", "-f", str(i), "-l", str(i))) for i in range(1, n + 1)]


def test_rendered_workbook_pages(samples: tuple[Consolidation, Path, list[Path]],
                                 swb: openpyxl.Workbook, tmp_path: Path) -> None:
    pages = _pages(_render(samples[1], tmp_path))
    by_sheet: dict[str, list[str]] = {}
    for head, page in pages:  # the page header names the sheet
        name = max((s for s in swb.sheetnames if s in head), key=len, default=head)
        by_sheet.setdefault(name, []).append(page)
    assert len(by_sheet["概要"]) == 1
    assert set(by_sheet) == set(visible(swb))  # the hidden mark sheet is never printed
    assert "基準日 2026/04/01" in by_sheet["概要"][0]
    # the wide sheets print in blocks of columns: every page repeats the names, so the last
    # facility is on each, and there is a page per block
    assert len(by_sheet["施設別一覧"]) == 1 + swb["施設別一覧"].col_breaks.count
    assert all("あおぞら内科クリニック" in p for p in by_sheet["施設別一覧"])
    assert all("ひかり記念病院" in p for p in by_sheet["契約確認表"])
    for name in ("未提出", "要確認", "不一致", "目標日", "項目別集計", NOTES_SHEET, "明細"):
        ws = swb[name]
        area = ws.print_area[0] if isinstance(ws.print_area, list) else ws.print_area
        last_col = re.search(r":\$?([A-Z]+)\$?\d+", str(area)) if area else None
        head = [c.value for c in ws[1]]
        idx = openpyxl.utils.column_index_from_string(last_col.group(1)) - 1 if last_col \
            else len(head) - 1
        joined = re.sub(r"\s+", "", "".join(by_sheet[name]))
        assert re.sub(r"\s+", "", str(head[idx])) in joined, (name, head[idx])  # not cut


def test_rendered_letters_fit(samples: tuple[Consolidation, Path, list[Path]], tmp_path: Path) -> None:
    for letter in samples[2]:
        pages = _pages(_render(letter, tmp_path))
        assert all(head.startswith("確認事項") for head, _ in pages), letter.name
        name = letter.stem.split("_")[0]
        assert f"{name} 様" in pages[0][1] or f"{name}様" in pages[0][1].replace(" ", "")
        if letter.name.startswith("あおぞら"):
            assert len(pages) == 1
