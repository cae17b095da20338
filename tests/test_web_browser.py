"""The page in a real browser: Debian's headless Chromium driven by Playwright against a real
``xltools serve`` process on a free loopback port (one server and one browser per module).

What staff do, checked against what the command line gives on the same files:
the bundled samples uploaded as a folder give a 集計.xlsx with the same sheets and rows as
``xltools consolidate`` (file names compared without their folder), and the page's numbers
equal the workbook's 概要; the 一括記入 page returns the same files as ``xltools fill``; the
確認 page shows what ``xltools inspect`` prints. Skipped when Chromium or Playwright is absent.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("Chromium is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
httpx = pytest.importorskip("httpx")

from test_web import make_answers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "workbooks" / "samples"
TEMPLATES = ROOT / "workbooks" / "templates"
AS_OF = "2026-04-01"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync",
        "--disable-dev-shm-usage", "--lang=ja"]
CLI = [sys.executable, "-c", "from xltools.cli import main; main()"]
TOKEN = secrets.token_urlsafe(16)
SHOTS = os.environ.get("XLTOOLS_SCREENSHOTS")  # a folder to keep the screenshots in


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A real `xltools serve` on a free port, with a token (so every request the page makes,
    scripts, events and downloads included, must carry the session cookie); its URL once it
    answers (the page fixture logs in first)."""
    proc = subprocess.Popen([*CLI, "serve", "--port", "0", "--no-open", "--token", TOKEN],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        m = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=", proc.stderr.readline())
        assert m, "serve printed no address"
        url = m.group(1)
        for _ in range(200):
            try:
                if httpx.get(url + "/").status_code == 403:  # up, and demanding the token
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except sync_api.Error as exc:  # installed but unusable here (libraries, sandbox)
            pytest.skip(f"Chromium does not start: {str(exc).splitlines()[0]}")
        context = browser.new_context(locale="ja-JP", accept_downloads=True,
                                      viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(120_000)
        pg.goto(f"{server}/?token={TOKEN}")
        pg.wait_for_url(f"{server}/")
        assert pg.locator("#drop").count() == 1
        yield pg
        browser.close()


@pytest.fixture()
def shots(tmp_path: Path) -> Path:
    return Path(SHOTS) if SHOTS else tmp_path


def _wait_result(page: object, selector: str) -> None:
    """Wait for the result (or the job's error, which then fails the test with its text)."""
    page.wait_for_selector(f"{selector}, #job-error")
    assert page.locator("#job-error").count() == 0, page.inner_text("#job-error")


def _download(page: object, selector: str, target: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    info.value.save_as(target)
    return target


def _rows(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's rows, file paths reduced to their names (the page's uploads have no
    folder on the server, the command line's do)."""

    def cell(v: object) -> object:
        if isinstance(v, str) and re.search(r"\.(xlsx|xlsm|xls|ods)$", v):
            return v.replace("\\", "/").rsplit("/", 1)[-1]
        return v

    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [tuple(cell(v) for v in row) for row in ws.iter_rows(values_only=True)]
            for ws in wb.worksheets}


def test_consolidate_a_folder_gives_the_cli_workbook(server: str, page: object,
                                                     tmp_path: Path, shots: Path) -> None:
    page.goto(server + "/")
    page.screenshot(path=str(shots / "集計.png"), full_page=True)
    page.set_input_files("#pick-folder", str(SAMPLES))
    assert f"{len(list(SAMPLES.iterdir()))} 件" in page.inner_text("#chosen-count")
    page.fill("input[name=as_of]", AS_OF)
    page.click("#submit")
    _wait_result(page, "#dl-workbook")
    page.screenshot(path=str(shots / "集計の結果.png"))
    got = _download(page, "#dl-workbook", tmp_path / "page.xlsx")
    letters = _download(page, "#dl-letters", tmp_path / "letters.zip")

    cli = tmp_path / "cli.xlsx"
    subprocess.run([*CLI, "consolidate", str(SAMPLES), "--out", str(cli), "--as-of", AS_OF,
                    "--feedback", str(tmp_path / "cli_letters"), "--no-store", "-q"],
                   check=True, cwd=ROOT)
    mine, theirs = _rows(got), _rows(cli)
    assert list(mine) == list(theirs)
    for sheet in theirs:
        assert mine[sheet] == theirs[sheet], sheet
    assert sorted(zipfile.ZipFile(letters).namelist()) == sorted(
        p.name for p in (tmp_path / "cli_letters").iterdir())

    # the page's numbers are the 概要 dashboard's: same label, same value
    dashboard = {}
    ws = openpyxl.load_workbook(got)["概要"]
    for row in ws.iter_rows():
        for c in row:
            if c.hyperlink is not None and isinstance(c.value, int) and c.row > 1:
                dashboard[ws.cell(c.row - 1, c.column).value] = c.value
    shown = {page.inner_text(f".number[data-key={k}] .n-label").strip():
             int(page.inner_text(f".number[data-key={k}] .n-value").replace(",", ""))
             for k in ("submitted", "action", "findings", "overdue")}
    assert shown and all(dashboard[label] == n for label, n in shown.items())

    # the 要確認 list: its rows are the workbook's 要確認 sheet, filterable on the page
    sheet_rows = [r for r in openpyxl.load_workbook(got, read_only=True)["要確認"].iter_rows(
        min_row=2, values_only=True) if r[0]]
    rows = page.locator("#list-problems tbody tr")
    assert rows.count() == len(sheet_rows)
    page.select_option("#list-problems .filter-severity", "")
    page.fill("#list-problems .filter-text", "99_壊れたファイル")
    visible = page.locator("#list-problems tbody tr:visible")
    assert visible.count() == sum("99_壊れたファイル" in str(r) for r in sheet_rows) >= 1
    page.screenshot(path=str(shots / "集計の結果_絞り込み.png"))


def test_fill_page_gives_the_cli_files(server: str, page: object, tmp_path: Path,
                                       shots: Path) -> None:
    template = TEMPLATES / "R8_事業者確認用.xlsx"
    answers = make_answers(tmp_path / "回答.xlsx")
    page.goto(server + "/fill")
    example = _download(page, "#ex-link", tmp_path / "example.xlsx")
    assert {"既定回答", "施設一覧"} <= set(openpyxl.load_workbook(example).sheetnames)
    page.set_input_files("input[name=template]", str(template))
    page.set_input_files("input[name=answers]", str(answers))
    page.screenshot(path=str(shots / "一括記入.png"), full_page=True)
    page.click("#submit")
    _wait_result(page, "#dl-filled")
    page.screenshot(path=str(shots / "一括記入の結果.png"))
    got = zipfile.ZipFile(_download(page, "#dl-filled", tmp_path / "filled.zip"))

    out = tmp_path / "cli"
    subprocess.run([*CLI, "fill", str(template), str(answers), "--out", str(out), "-q"],
                   check=True, cwd=ROOT)
    want = sorted(p.name for p in out.iterdir())
    assert sorted(got.namelist()) == want and len(want) == 3
    for name in want:
        a = openpyxl.load_workbook(io.BytesIO(got.read(name)))
        b = openpyxl.load_workbook(out / name)
        assert a.sheetnames == b.sheetnames
        for wa, wb in zip(a.worksheets, b.worksheets):
            assert [[c.value for c in r] for r in wa.iter_rows()] == \
                [[c.value for c in r] for r in wb.iter_rows()], (name, wa.title)


def test_inspect_page_shows_what_inspect_prints(server: str, page: object, shots: Path) -> None:
    p = SAMPLES / "03_R7_ひかり記念病院_取消線.xlsx"
    page.goto(server + "/inspect")
    page.set_input_files("input[name=file]", str(p))
    page.click("#submit")
    _wait_result(page, "#inspect-text")
    page.screenshot(path=str(shots / "確認の結果.png"))
    shown = page.inner_text("#inspect-text")
    printed = subprocess.run([*CLI, "inspect", str(p)], capture_output=True, text=True,
                             check=True, cwd=ROOT).stdout
    assert shown.strip() == printed.replace(str(p), p.name).strip()


def test_hostile_zip_gets_its_message_on_the_page(server: str, page: object,
                                                  tmp_path: Path) -> None:
    evil = tmp_path / "返送分.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../evil.xlsx", b"PK")
    page.goto(server + "/")
    page.set_input_files("#pick-files", str(evil))
    page.click("#submit")
    page.wait_for_selector("#client-error:not([hidden])")
    assert "安全でない名前" in page.inner_text("#client-error")
    assert not (tmp_path.parent / "evil.xlsx").exists() and not (ROOT / "evil.xlsx").exists()
