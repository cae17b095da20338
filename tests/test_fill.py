"""``fill``: the official form filled per facility, read back exactly; nothing else touched.

Fixtures are generated once per module: templates for every edition and variant (conftest),
one answers workbook per edition/variant made from ``--example`` and edited like a vendor
would, and one fill run per (edition, variant, mark).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree

from xltools.api import read
from xltools.cli.fill import fill_command
from xltools.forms.catalogue import load_catalogue
from xltools.output.fill import (
    SUMMARY_NAME,
    AnswersError,
    FillResult,
    TemplateError,
    cell_edits,
    fill,
    open_template,
    write_example,
)
from xltools.output.templates import Layout, default_fields, write_checklist
from xltools.problems import CATALOGUE
from xltools.xlsx.patch import NS_MAIN, Patcher, PatchError, address, parse_address, parts_of

EDITIONS = ("R5", "R6", "R7", "R8")
VARIANTS = ("hospital", "pharmacy", "vendor")
CAT = load_catalogue()


def _name_for(variant: str, n: int = 0) -> str:
    # R8 prints one sheet for hospitals and pharmacies: the facility name tells them apart
    return ["みなと薬局", "つばさ調剤薬局"][n % 2] if variant == "pharmacy" else \
        ["さくら総合病院", "ひかり記念病院"][n % 2]


@dataclass
class Case:
    template: Path
    answers: Path
    truth: dict[str, dict[tuple[str, str], tuple[str, str, str]]]  # facility -> key -> row
    fields: dict[str, dict[str, str]]


def _make_answers(path: Path, edition: str, variant: str, seed: str) -> Case:
    """An answers workbook from --example, edited with openpyxl as a vendor would.

    Facility 1 takes the defaults; facility 2 overrides one item (by printed ref) with いいえ
    and its own 目標日, and has its own 確認日.
    """
    m = CAT.get("checklist", edition)
    fy = m.fiscal_year
    write_example(path, edition, variant)
    wb = openpyxl.load_workbook(path)
    ws = wb["既定回答"]
    rng = random.Random(seed)
    defaults = {}
    for r in range(2, ws.max_row + 1):
        item_id, scope = ws.cell(r, 7).value.split(":")
        a = rng.choice(["はい", "いいえ"])
        chk = dt.date(fy, rng.randint(4, 12), rng.randint(1, 28))
        tgt = dt.date(fy + 1, rng.randint(1, 3), rng.randint(1, 28))
        ws.cell(r, 4).value, ws.cell(r, 5).value = a, chk
        ws.cell(r, 6).value = tgt if a == "いいえ" or r % 3 == 0 else None  # a はい target is unused
        defaults[(item_id, scope)] = (a, chk, ws.cell(r, 6).value)
    fs = wb["施設一覧"]
    heads = [c.value for c in fs[1]]
    col = {h: i + 1 for i, h in enumerate(heads)}
    first_yes = next(k for k, v in defaults.items() if v[0] == "はい")
    item = m.item(first_yes[0])
    ref_head = item.ref if len(item.scopes) == 1 else next(
        h for h in heads if h and h.startswith(item.ref) and "（" in h and _scope_in(h, first_yes[1]))
    target_col = len(heads) + 1
    fs.cell(1, target_col).value = f"{ref_head} 目標日"
    own_checked = dt.date(fy, 11, 5)
    own_target = dt.date(fy + 1, 2, 14)
    fields = {}
    for n in range(2):
        row = n + 2
        f = {"facility_name": _name_for(variant, n), "system_name": ["電子カルテ", "PACS"][n],
             "respondent": ["山田 太郎", "佐藤 花子"][n]}
        if variant == "vendor":
            f["vendor_name"] = "株式会社メディシステム"
        fs.cell(row, col["医療機関名"]).value = f["facility_name"]
        fs.cell(row, col["システム名"]).value = f["system_name"]
        fs.cell(row, col["回答者"]).value = f["respondent"]
        if "事業者名" in col:
            fs.cell(row, col["事業者名"]).value = f.get("vendor_name", "")
        fields[f["facility_name"]] = f
    fs.cell(3, col["確認日"]).value = own_checked
    fs.cell(3, col[ref_head]).value = "いいえ"
    fs.cell(3, target_col).value = own_target
    wb.save(path)
    truth: dict[str, dict[tuple[str, str], tuple[str, str, str]]] = {}
    for n in range(2):
        t = {}
        for key, (a, chk, tgt) in defaults.items():
            if n == 1:
                chk = own_checked
                if key == first_yes:
                    a, tgt = "いいえ", own_target
            ans = "yes" if a == "はい" else "no"
            t[key] = (ans, chk.isoformat(), tgt.isoformat() if ans == "no" and tgt else "")
        truth[_name_for(variant, n)] = t
    return Case(Path(), path, truth, fields)


def _scope_in(header: str, scope: str) -> bool:
    words = {"server": "サーバ", "terminal": "端末PC", "network": "ネットワーク機器", "all": "全般"}
    return all(words[s] in header for s in scope.split("+"))


@pytest.fixture(scope="module")
def cases(templates_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Case]:
    d = tmp_path_factory.mktemp("answers")
    out = {}
    for e in EDITIONS:
        for v in VARIANTS:
            case = _make_answers(d / f"{e}_{v}.xlsx", e, v, f"{e}{v}")
            case.template = templates_dir / f"{e}_{v}.xlsx"
            out[(e, v)] = case
    return out


@pytest.fixture(scope="module")
def runs(cases: dict[tuple[str, str], Case], tmp_path_factory: pytest.TempPathFactory
         ) -> dict[tuple[str, str, str], FillResult]:
    d = tmp_path_factory.mktemp("filled")
    out = {}
    for (e, v), case in cases.items():
        for mark in ("word", "circle"):
            out[(e, v, mark)] = fill(case.template, case.answers, d / f"{e}_{v}_{mark}", mark=mark)
    return out


# --------------------------------------------------------------------------------------------
# round trip


@pytest.mark.parametrize("mark", ["word", "circle"])
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("edition", EDITIONS)
def test_round_trip_reads_back_exactly_the_answers_given(
        edition: str, variant: str, mark: str, cases: dict, runs: dict) -> None:
    case, result = cases[(edition, variant)], runs[(edition, variant, mark)]
    assert len(result.files) == 2
    for w in result.files:
        got = read(w.path)
        sub = got.submissions.iloc[0]
        assert (sub.edition, sub.variant) == (edition, variant)
        name = w.facility.facility_name
        assert sub.facility_name == name
        for fld in default_fields(variant):  # the fields this template prints
            assert sub[fld] == case.fields[name][fld], fld
        r1 = {(a.item_id, a.scope): (a.answer, a.checked_on, a.target_on)
              for a in got.answers.itertuples() if a.round == 1}
        assert r1 == case.truth[name]
        r2 = got.answers[got.answers["round"] == 2]
        assert set(r2["answer"]) == {"blank"}, "round 2 stays unanswered"
        sources = set(got.answers[got.answers["round"] == 1]["source"])
        if edition == "R8":
            assert sources == {"dropdown"}  # R8 answer cells have a はい/いいえ list
        elif mark == "circle":
            assert sources == {"shape"}  # the ellipse, not the cell text, carries the answer
        else:
            assert sources == {"text"}
        # generated R7/R8 templates print no 令和N年度版, so the reader may call the edition
        # uncertain (it still decides right, from the dates): that is the template, not fill
        serious = got.problems[(got.problems["severity"] != "info")
                               & (got.problems["code"] != "form.edition_uncertain")]
        assert serious.empty, serious[["code", "message"]].to_string()


def test_summary_lists_files_and_differences(runs: dict, cases: dict) -> None:
    result = runs[("R7", "vendor", "word")]
    wb = openpyxl.load_workbook(result.summary)
    ws = wb["提出用一覧"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:6] == ("医療機関名", "医療機関コード", "システム名", "回答者", "ファイル",
                           "既定と異なる回答")
    by_name = {r[0]: r for r in rows[1:]}
    first, second = by_name["さくら総合病院"], by_name["ひかり記念病院"]
    assert first[4] == "さくら総合病院_電子カルテ_事業者確認用.xlsx"
    assert (first[5] or "") == ""  # took every default
    assert "いいえ（目標日" in second[5]
    assert (Path(result.summary).parent / second[4]).exists()


# --------------------------------------------------------------------------------------------
# nothing in the template is lost


def _sheet_without(data: bytes, cells: set[str], drop: tuple[str, ...] = ()) -> bytes:
    root = etree.fromstring(data)
    for c in list(root.iter(f"{{{NS_MAIN}}}c")):
        if c.get("r") in cells:
            c.getparent().remove(c)
    for name in drop:
        for el in list(root.iter(f"{{{NS_MAIN}}}{name}")):
            el.getparent().remove(el)
    return etree.tostring(root, method="c14n")


@pytest.mark.parametrize("mark", ["word", "circle"])
@pytest.mark.parametrize("edition", EDITIONS)
def test_only_written_cells_change(edition: str, mark: str, cases: dict, runs: dict) -> None:
    case, result = cases[(edition, "vendor")], runs[(edition, "vendor", mark)]
    tpl = open_template(case.template)
    before = parts_of(case.template.read_bytes())
    for w in result.files:
        after = parts_of(w.path.read_bytes())
        final = {k: v for k, v in _final(case, w.facility.facility_name).items()}
        edits, circles, _ = cell_edits(tpl, final, w.facility.fields(), mark)
        sheet_parts = set(edits)
        changed = {n for n in before if before[n] != after.get(n)}
        added = set(after) - set(before)
        if mark == "circle" and circles:
            assert changed == sheet_parts | {"[Content_Types].xml"}
            assert added and all(n.startswith("xl/drawings/") or n == "xl/worksheets/_rels/sheet1.xml.rels"
                                 for n in added), added
        else:
            assert changed == sheet_parts, "only the worksheet may differ (dates keep their styles)"
            assert not added
        assert not set(before) - set(after), "no part may disappear"
        for part, cells in edits.items():
            refs = {address(*c) for c in cells}
            drop = ("drawing",) if mark == "circle" else ()
            assert _sheet_without(before[part], refs) == _sheet_without(after[part], refs, drop)
            # and every one of those cells really was written
            root = etree.fromstring(after[part])
            got = {c.get("r") for c in root.iter(f"{{{NS_MAIN}}}c")
                   if c.get("r") in refs and (c.get("t") == "inlineStr" or c.find(f"{{{NS_MAIN}}}v") is not None)}
            assert got == refs


def _final(case: Case, name: str) -> dict:
    from xltools.output.fill import Answer

    out = {}
    for key, (a, chk, tgt) in case.truth[name].items():
        out[key] = Answer(a, dt.date.fromisoformat(chk), dt.date.fromisoformat(tgt) if tgt else None)
    return out


def test_dates_are_date_cells_in_the_templates_format(runs: dict) -> None:
    w = runs[("R7", "vendor", "word")].files[0]
    wb = openpyxl.load_workbook(w.path)
    ws = wb.active
    dates = [c for row in ws.iter_rows() for c in row if isinstance(c.value, dt.datetime)]
    assert dates, "check and target dates must be real date cells"
    assert {c.number_format for c in dates} == {"yyyy/m/d"}


def _without_date_format(src: Path, dst: Path) -> None:
    """The same template with its date style's number format reset to General."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/styles.xml":
                data = data.replace(b'numFmtId="164" fontId', b'numFmtId="0" fontId')
            zout.writestr(info, data)


def test_a_date_style_is_added_when_the_template_has_none(cases: dict, tmp_path: Path) -> None:
    case = cases[("R7", "hospital")]
    tpl = tmp_path / "no_date_format.xlsx"
    _without_date_format(case.template, tpl)
    result = fill(tpl, case.answers, tmp_path / "out")
    before, after = parts_of(tpl.read_bytes()), parts_of(result.files[0].path.read_bytes())
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/styles.xml"}
    ws = openpyxl.load_workbook(result.files[0].path).active
    dates = [c for row in ws.iter_rows() for c in row if isinstance(c.value, dt.datetime)]
    assert dates and {c.number_format for c in dates} == {"yyyy/m/d"}
    got = read(result.files[0].path)
    r1 = {(a.item_id, a.scope): (a.answer, a.checked_on, a.target_on)
          for a in got.answers.itertuples() if a.round == 1}
    assert r1 == case.truth[_name_for("hospital")]


@pytest.mark.parametrize("edition", ["R5", "R7"])
def test_fast_ellipses_equal_add_ellipse_over_word(edition: str, cases: dict) -> None:
    """fill draws all ellipses of a file in one rewrite; they must be exactly the ones
    drawing_writer.add_ellipse_over_word draws one at a time."""
    from testkit.drawing_writer import add_ellipse_over_word
    from xltools.output.fill import render

    case = cases[(edition, "vendor")]
    tpl = open_template(case.template)
    name = _name_for("vendor", 1)
    final = _final(case, name)
    fast = render(tpl, final, {}, "circle")
    edits, circles, _ = cell_edits(tpl, final, {}, "circle")
    slow = tpl.patcher.render(edits)
    for sheet, cell, word in circles:
        slow = add_ellipse_over_word(slow, sheet, cell, word)
    a, b = parts_of(fast), parts_of(slow)
    assert len(circles) == len(final)
    assert a["xl/drawings/drawing1.xml"] == b["xl/drawings/drawing1.xml"]
    assert a.keys() == b.keys()


# --------------------------------------------------------------------------------------------
# templates that are not the generated layout


def _custom_template(path: Path, edition: str, variant: str, layout: Layout,
                     dropdown_source: list[str] | None = None) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    m = CAT.get("checklist", edition)
    written = write_checklist(wb, ws, m, variant, layout)
    if dropdown_source:
        for r, c in written.answer_cells.values():
            ws.data_validation(r, c, r, c, {"validate": "list", "source": dropdown_source})
    wb.close()
    return path


@pytest.mark.parametrize("layout,source", [
    (Layout(fields_style="colon"), "text"),
    (Layout(fields_style="below", columns=("item", "ref", "answer1", "date1", "answer2",
                                          "date2", "target", "remarks")), "text"),
    (Layout(split_yes_no=True, answer_date_same_cell=False), "columns"),
    (Layout(header_rows=1, start_row=3, start_col=1, blank_rows_between=4), "text"),
], ids=["colon-fields", "below-fields-moved-columns", "split-yes-no", "offset-one-row-header"])
def test_other_layouts_round_trip(layout: Layout, source: str, cases: dict, tmp_path: Path) -> None:
    case = cases[("R7", "vendor")]
    tpl = _custom_template(tmp_path / "custom.xlsx", "R7", "vendor", layout)
    result = fill(tpl, case.answers, tmp_path / "out")
    for w in result.files:
        got = read(w.path)
        sub = got.submissions.iloc[0]
        assert sub.facility_name == w.facility.facility_name
        assert sub.vendor_name == "株式会社メディシステム"
        assert sub.system_name == w.facility.system_name
        r1 = {(a.item_id, a.scope): (a.answer, a.checked_on, a.target_on)
              for a in got.answers.itertuples() if a.round == 1}
        assert r1 == case.truth[w.facility.facility_name]
        assert set(got.answers[got.answers["round"] == 1]["source"]) == {source}


def test_dropdown_gets_its_own_list_values(cases: dict, tmp_path: Path) -> None:
    case = cases[("R7", "vendor")]
    tpl = _custom_template(tmp_path / "marks.xlsx", "R7", "vendor", Layout(), ["○", "×"])
    result = fill(tpl, case.answers, tmp_path / "out")
    ws = openpyxl.load_workbook(result.files[0].path).active
    values = {c.value for row in ws.iter_rows(min_col=3, max_col=3) for c in row}
    assert {"○", "×"} <= values and not {"はい", "いいえ"} & values
    got = read(result.files[0].path)
    r1 = {(a.item_id, a.scope): (a.answer, a.checked_on, a.target_on)
          for a in got.answers.itertuples() if a.round == 1}
    assert r1 == case.truth[result.files[0].facility.facility_name]


# --------------------------------------------------------------------------------------------
# the contract role table (xltools.tables, when present)


def _contract_answers(path: Path) -> dict[str, dict[str, tuple[str, str, str]]]:
    """--example --form contract, edited: defaults with a few いいえ (one with 完了日); the
    second contract overrides A-1 with いいえ and its own 完了日 and has no 初回確認日."""
    write_example(path, form="contract")
    wb = openpyxl.load_workbook(path)
    d = wb["既定回答"]
    defaults = {}
    for r in range(2, d.max_row + 1):
        item_id = d.cell(r, 6).value.split(":")[0]
        a = "いいえ" if r % 4 == 0 else "はい"
        done = dt.date(2025, 12, r) if a == "いいえ" and r % 8 == 0 else None
        d.cell(r, 4).value, d.cell(r, 5).value = a, done
        defaults[item_id] = (a, done)
    f = wb["施設一覧"]
    col = {c.value: c.column for c in f[1]}
    f.cell(1, f.max_column + 1).value = "A-1 完了日"
    for row, (name, system) in enumerate([("さくら総合病院", "電子カルテ"), ("ひかり記念病院", "PACS")], 2):
        f.cell(row, col["医療機関名"]).value = name
        f.cell(row, col["事業者名"]).value = "株式会社メディシステム"
        f.cell(row, col["対象システム"]).value = system
    f.cell(2, col["初回確認日"]).value = dt.date(2025, 10, 28)
    f.cell(3, col["A-1"]).value = "いいえ"
    f.cell(3, f.max_column).value = "2026/1/15"
    wb.save(path)
    truth: dict[str, dict[str, tuple[str, str, str]]] = {"さくら総合病院": {}, "ひかり記念病院": {}}
    for item_id, (a, done) in defaults.items():
        ans = "yes" if a == "はい" else "no"
        truth["さくら総合病院"][item_id] = (ans, "2025-10-28", done.isoformat() if done else "")
        if item_id == "A-1":
            ans, done = "no", dt.date(2026, 1, 15)
        truth["ひかり記念病院"][item_id] = (ans, "", done.isoformat() if done and ans == "no" else "")
    return truth


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tt = pytest.importorskip("xltools.output.table_templates")
    pytest.importorskip("xltools.forms.tables")
    d = tmp_path_factory.mktemp("contract")
    tpl = tt.write_contract_template(d / "役割分担確認表.xlsx")
    return tpl, _contract_answers(d / "answers.xlsx")


def _contract_layout_template(path: Path, **layout: object) -> Path:
    tt = pytest.importorskip("xltools.output.table_templates")
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("確認表")
    fields = {"facility_name": "", "vendor_name": "", "system_name": ""}
    tt.write_contract(wb, ws, tt.contract_items(), tt.ContractLayout(**layout), tt.ContractFill(fields=fields))
    wb.close()
    return path


@pytest.mark.parametrize("mark", ["word", "circle"])
@pytest.mark.parametrize("layout", [None, {"date_at": "field_right"}, {"date_at": "field_colon"},
                                    {"split": True, "group_style": "left_column"}],
                         ids=["official", "date-field-right", "date-field-colon", "split-left-groups"])
def test_contract_round_trip(layout: dict | None, mark: str, contract: tuple[Path, dict],
                             tmp_path: Path) -> None:
    tpl, truth = contract
    if layout is not None:
        tpl = _contract_layout_template(tmp_path / "layout.xlsx", **layout)
    result = fill(tpl, contract[0].parent / "answers.xlsx", tmp_path / "out", mark=mark)
    assert result.template.form == "contract"
    for w in result.files:
        got = read(w.path)
        sub = got.submissions.iloc[0]
        assert (sub.form, sub.variant) == ("contract", "joint")
        assert (sub.facility_name, sub.vendor_name) == (w.facility.facility_name, "株式会社メディシステム")
        rows = {a.item_id: (a.answer, a.checked_on, a.completed_on) for a in got.answers.itertuples()}
        assert rows == truth[w.facility.facility_name]
        sources = set(got.answers["source"])
        expected = {"columns"} if layout and layout.get("split") else {"shape" if mark == "circle" else "text"}
        assert sources == expected


def test_contract_only_written_cells_change(contract: tuple[Path, dict], tmp_path: Path) -> None:
    tpl_path, _ = contract
    result = fill(tpl_path, tpl_path.parent / "answers.xlsx", tmp_path / "out")
    before = parts_of(tpl_path.read_bytes())
    tpl = result.template
    for w in result.files:
        after = parts_of(w.path.read_bytes())
        changed = {n for n in before if before[n] != after[n]}
        assert set(after) == set(before)
        assert changed <= {"xl/worksheets/sheet1.xml", "xl/styles.xml"}
        # 完了日 cells print （　/　） in a text style: a date style was added for them
        assert "xl/styles.xml" in changed
        part = "xl/worksheets/sheet1.xml"
        root_b, root_a = etree.fromstring(before[part]), etree.fromstring(after[part])
        cells_b = {c.get("r"): etree.tostring(c) for c in root_b.iter(f"{{{NS_MAIN}}}c")}
        cells_a = {c.get("r"): etree.tostring(c) for c in root_a.iter(f"{{{NS_MAIN}}}c")}
        differ = {r for r in cells_a if cells_a[r] != cells_b.get(r)}
        # answers, 完了日 of いいえ, the fields, the 初回確認 header: and nothing else
        answer_rows = {s.answer_cell for slots in tpl.slots.values() for s in slots}
        allowed = {address(*c) for c in answer_rows}
        allowed |= {address(*s.target_cell) for slots in tpl.slots.values() for s in slots if s.target_cell}
        allowed |= {address(*f.cell) for f in tpl.fields.values()}
        allowed |= {address(*f.cell) for f in tpl.sheet_dates}
        assert differ and differ <= allowed
        assert _sheet_without(before[part], differ) == _sheet_without(after[part], differ)


# --------------------------------------------------------------------------------------------
# answers input: CSV, ids, refs, validation


def _write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_answers_in_every_encoding(encoding: str, templates_dir: Path, tmp_path: Path) -> None:
    m = CAT.get("checklist", "R6")
    defaults = [["項番", "対象", "回答", "確認日", "目標日"]]
    for item_id, scope in m.expected_rows("vendor"):
        it = m.item(item_id)
        label = {"all": "全般", "server": "サーバ", "terminal": "端末PC", "network": "ネットワーク機器"}[scope]
        defaults.append([it.ref, label, "はい", "2024/10/1", ""])
    facilities = [["医療機関名", "システム名", "事業者名", "回答者", "2-(9)（端末PC）", "2-(9)（端末PC） 目標日",
                   "access_rights:server", "access_rights:server 目標日"],
                  ["さくら総合病院", "電子カルテ", "株式会社メディ", "山田", "いいえ", "令和7年3月31日", "", ""],
                  ["ひかり記念病院", "PACS", "株式会社メディ", "佐藤", "", "", "×", "R7.2.1"]]
    a = _write_csv(tmp_path / "既定回答.csv", defaults, encoding)
    b = _write_csv(tmp_path / "施設一覧.csv", facilities, encoding)
    result = fill(templates_dir / "R6_vendor.xlsx", [a, b], tmp_path / "out")
    got = {w.facility.facility_name: read(w.path).answers for w in result.files}
    first = got["さくら総合病院"].set_index(["item_id", "scope", "round"])
    assert first.loc[("unneeded_services", "terminal", 1), ["answer", "target_on"]].tolist() == ["no", "2025-03-31"]
    assert first.loc[("unneeded_services", "server", 1), "answer"] == "yes"
    assert first.loc[("asset_ledger", "all", 1), "checked_on"] == "2024-10-01"
    second = got["ひかり記念病院"].set_index(["item_id", "scope", "round"])
    assert second.loc[("access_rights", "server", 1), ["answer", "target_on"]].tolist() == ["no", "2025-02-01"]
    assert second.loc[("access_rights", "terminal", 1), "answer"] == "yes"


def _bad_answers(path: Path) -> Path:
    """One workbook with one of every answers problem, each on its own row."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    d = wb.add_worksheet("既定回答")
    for c, h in enumerate(["項番", "対象", "回答", "確認日", "目標日"]):
        d.write(0, c, h)
    rows = [["1-①", "", "はい", "2026/10/1", ""],
            ["2-⑩", "", "いいえ", "2026/10/1", ""],  # いいえ with no target anywhere
            ["9-⑨", "", "はい", "", ""],  # unknown ref
            ["2-(4)", "", "はい", "", ""],  # an R5/R6 ref: not this edition's numbering
            ["2-①", "", "たぶん", "", ""],  # not はい/いいえ
            ["2-②", "", "はい", "来週", ""],  # unreadable date
            ["1-①", "", "はい", "", ""]]  # the same item twice
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            d.write_string(r, c, v)
    f = wb.add_worksheet("施設一覧")
    for c, h in enumerate(["医療機関名", "システム名", "確認日", "2-⑬", "存在しない項目"]):
        f.write(0, c, h)
    facilities = [["さくら総合病院", "電子カルテ", "", "", "はい"],  # a used unknown column
                  ["", "電子カルテ", "", "", ""],  # no name
                  ["さくら総合病院", "電子カルテ", "", "", ""],  # same output name as row 2
                  ["ひかり記念病院", "PACS", "13月1日", "", ""]]  # unreadable date
    for r, row in enumerate(facilities, start=1):
        for c, v in enumerate(row):
            f.write_string(r, c, v)
    wb.close()
    return path


def test_every_bad_row_is_reported_at_once_and_nothing_is_written(templates_dir: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(AnswersError) as err:
        fill(templates_dir / "R8_vendor.xlsx", _bad_answers(tmp_path / "bad.xlsx"), out)
    problems = err.value.problems
    codes = [p.code for p in problems]
    assert {"fill.unknown_item", "fill.bad_answer", "fill.bad_date", "fill.duplicate_item",
            "fill.no_facility_name", "fill.no_target"} <= set(codes)
    where = {p.where for p in problems}
    assert {"既定回答 4行目", "既定回答 5行目", "既定回答 6行目", "既定回答 7行目", "既定回答 8行目",
            "施設一覧 3行目", "施設一覧 5行目"} <= where
    assert any("存在しない項目" in p.where for p in problems)
    msg = str(err.value)
    assert msg.startswith("回答ファイルに問題があるため、ファイルを1つも書き出していません")
    assert msg.count("\n  - ") == len(problems)
    assert not out.exists() or not any(out.iterdir())


def test_items_the_template_lacks_are_ignored_while_unanswered(templates_dir: Path,
                                                                tmp_path: Path) -> None:
    """An R8 answers workbook on an R5 template: rows and columns of items R5 does not ask are
    fine as long as nobody answered them there (an answered one is an error, above)."""
    d = _write_csv(tmp_path / "d.csv", [["ID", "回答"], ["security_officer:all", "はい"],
                                         ["two_factor:all", ""]], "utf-8")
    f = _write_csv(tmp_path / "f.csv", [["医療機関名", "2-⑩"], ["さくら病院", ""]], "utf-8")
    result = fill(templates_dir / "R5_vendor.xlsx", [d, f], tmp_path / "out")
    got = read(result.files[0].path).answers.set_index(["item_id", "round"])
    assert got.loc[("security_officer", 1), "answer"] == "yes"
    assert "two_factor" not in set(got.reset_index()["item_id"])


def test_duplicate_output_names_are_refused(templates_dir: Path, tmp_path: Path) -> None:
    rows = [["医療機関名", "システム名", "1-①"], ["さくら/病院", "電子カルテ", "はい"],
            ["さくら:病院", "電子カルテ", "はい"], ["ひかり病院", "", "はい"]]
    f = _write_csv(tmp_path / "f.csv", rows, "utf-8")
    with pytest.raises(AnswersError) as err:
        fill(templates_dir / "R8_vendor.xlsx", f, tmp_path / "out")
    assert [p.code for p in err.value.problems] == ["fill.duplicate_name"]
    assert err.value.problems[0].where == "f.csv 3行目"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    result = fill(templates_dir / "R8_vendor.xlsx", f, tmp_path / "out2", name_pattern="{row}_{facility}.xlsx")
    assert sorted(w.path.name for w in result.files) == ["2_さくら_病院.xlsx", "3_さくら_病院.xlsx", "4_ひかり病院.xlsx"]


def test_bad_name_pattern(templates_dir: Path, tmp_path: Path) -> None:
    f = _write_csv(tmp_path / "f.csv", [["医療機関名"], ["さくら病院"]], "utf-8")
    with pytest.raises(AnswersError) as err:
        fill(templates_dir / "R8_vendor.xlsx", f, tmp_path / "out", name_pattern="{hospital}.xlsx")
    assert err.value.problems[0].code == "fill.bad_pattern"


def test_answers_without_a_facility_list(templates_dir: Path, tmp_path: Path) -> None:
    d = _write_csv(tmp_path / "d.csv", [["項番", "回答"], ["1-①", "はい"]], "utf-8")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(AnswersError) as err:
        fill(templates_dir / "R8_vendor.xlsx", [d, broken], tmp_path / "out")
    codes = {p.code for p in err.value.problems}
    assert codes == {"fill.answers_unreadable"}
    with pytest.raises(AnswersError) as err:
        fill(templates_dir / "R8_vendor.xlsx", d, tmp_path / "out")
    assert [p.code for p in err.value.problems] == ["fill.no_facility_table"]
    empty = _write_csv(tmp_path / "e.csv", [["医療機関名", "システム名"]], "utf-8")
    with pytest.raises(AnswersError) as err:
        fill(templates_dir / "R8_vendor.xlsx", [d, empty], tmp_path / "out")
    assert [p.code for p in err.value.problems] == ["fill.no_facility_table"]
    assert "1行もありません" in err.value.problems[0].message


def test_unusable_templates(cases: dict, tmp_path: Path) -> None:
    import xlsxwriter

    answers = cases[("R8", "vendor")].answers
    not_form = tmp_path / "memo.xlsx"
    wb = xlsxwriter.Workbook(str(not_form))
    wb.add_worksheet().write(0, 0, "メモ")
    wb.close()
    pdf = tmp_path / "form.xlsx"
    pdf.write_bytes(b"%PDF-1.4 not a workbook")
    for path, code in ((not_form, "fill.template_not_form"), (pdf, "fill.template_unreadable")):
        with pytest.raises(TemplateError) as err:
            fill(path, answers, tmp_path / "out")
        assert err.value.exit_code == 3
        assert [p.code for p in err.value.problems] == [code]
    assert not (tmp_path / "out").exists()


def _without_row(cases: dict, tmp_path: Path) -> Path:
    """The R8 vendor template with the 2-⑩ row deleted."""
    case = cases[("R8", "vendor")]
    src = parts_of(case.template.read_bytes())
    tpl = open_template(case.template)
    row = tpl.slots[("two_factor", "all")][0].answer_cell[0] + 1
    sheet = src["xl/worksheets/sheet1.xml"]
    root = etree.fromstring(sheet)
    for r in root.iter(f"{{{NS_MAIN}}}row"):
        if r.get("r") == str(row):
            r.getparent().remove(r)
    broken = tmp_path / "no_two_factor.xlsx"
    with zipfile.ZipFile(case.template) as zin, zipfile.ZipFile(broken, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            zout.writestr(info, data)
    return broken


def test_a_template_missing_an_answered_row(cases: dict, tmp_path: Path) -> None:
    """Rows the answers need but the template lacks: refused rather than silently skipped."""
    with pytest.raises(TemplateError) as err:
        fill(_without_row(cases, tmp_path), cases[("R8", "vendor")].answers, tmp_path / "out")
    assert err.value.problems[0].code == "fill.template_item_missing"
    assert "2-⑩" in err.value.problems[0].message


# --------------------------------------------------------------------------------------------
# summary: text stays text


def test_summary_never_writes_formulas(templates_dir: Path, tmp_path: Path) -> None:
    rows = [["医療機関名", "システム名", "回答者", "1-①"],
            ["=HYPERLINK(\"http://x\",\"a\")", "+cmd", "@SUM(A1)", "はい"]]
    f = _write_csv(tmp_path / "f.csv", rows, "utf-8")
    result = fill(templates_dir / "R8_vendor.xlsx", f, tmp_path / "out", name_pattern="{row}.xlsx")
    with zipfile.ZipFile(result.summary) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet
    ws = openpyxl.load_workbook(result.summary)["提出用一覧"]
    assert ws["A2"].value == '=HYPERLINK("http://x","a")' and ws["A2"].data_type == "s"
    got = read(result.files[0].path).submissions.iloc[0]
    assert got.facility_name == '=HYPERLINK("http://x","a")'


# --------------------------------------------------------------------------------------------
# example workbook and CLI


def test_example_workbook_lists_every_item_with_dropdowns(tmp_path: Path) -> None:
    for e in EDITIONS:
        for v in VARIANTS:
            p = write_example(tmp_path / f"{e}_{v}.xlsx", e, v)
            wb = openpyxl.load_workbook(p)
            assert wb.sheetnames == ["既定回答", "施設一覧", "記入方法"]
            d = wb["既定回答"]
            keys = [tuple(d.cell(r, 7).value.split(":")) for r in range(2, d.max_row + 1)]
            assert keys == CAT.get("checklist", e).expected_rows(v)
            lists = [dv for dv in d.data_validations.dataValidation if dv.type == "list"]
            assert lists and '"はい,いいえ"' in lists[0].formula1
            heads = [c.value for c in wb["施設一覧"][1]]
            assert heads[0] == "医療機関名" and ("事業者名" in heads) == (v == "vendor")


def test_cli_example_fill_and_exit_codes(cases: dict, templates_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(fill_command, ["--example", str(tmp_path / "ex.xlsx"), "--edition", "R6"])
    assert res.exit_code == 0 and (tmp_path / "ex.xlsx").exists()
    case = cases[("R8", "vendor")]
    res = runner.invoke(fill_command, [str(case.template), str(case.answers), "--out",
                                       str(tmp_path / "out"), "-q"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[-1].endswith(SUMMARY_NAME) and len(lines) == 3
    bad = runner.invoke(fill_command, [str(templates_dir / "R8_vendor.xlsx"),
                                       str(_bad_answers(tmp_path / "bad.xlsx")), "--out",
                                       str(tmp_path / "out2")])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("エラー: 回答ファイルに問題があるため")
    assert "Traceback" not in bad.output
    memo = tmp_path / "memo.xlsx"
    memo.write_bytes(b"not a workbook")
    unusable = runner.invoke(fill_command, [str(memo), str(case.answers), "--out", str(tmp_path / "o3")])
    assert unusable.exit_code == 3 and unusable.stderr.startswith("エラー: テンプレートに記入できない")
    usage = runner.invoke(fill_command, [str(case.template)])
    assert usage.exit_code == 2
    assert "例:" in (fill_command.help or "")


# --------------------------------------------------------------------------------------------
# xlsx_patch


def test_patcher_inserts_rows_and_cells_in_order_and_refuses_formulas(tmp_path: Path) -> None:
    import xlsxwriter

    p = tmp_path / "p.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet()
    ws.write(0, 1, "B1")
    ws.write(4, 0, "A5")
    ws.write_formula(2, 2, "=1+1", None, 2)
    wb.close()
    patcher = Patcher(p.read_bytes())
    part = "xl/worksheets/sheet1.xml"
    out = patcher.render({part: {(0, 0): " lead\nline", (2, 0): 3.5, (4, 3): dt.date(2026, 4, 1),
                                 (9, 27): "AB10"}})
    root = etree.fromstring(parts_of(out)[part])
    refs = [c.get("r") for c in root.iter(f"{{{NS_MAIN}}}c")]
    assert refs == sorted(refs, key=lambda r: parse_address(r))
    assert root.find(f"{{{NS_MAIN}}}dimension").get("ref") == "A1:AB10"
    ws2 = openpyxl.load_workbook(io.BytesIO(out)).active
    assert ws2["A1"].value == " lead\nline" and ws2["A3"].value == 3.5
    assert ws2["D5"].value == dt.datetime(2026, 4, 1) and ws2["D5"].is_date
    assert ws2["AB10"].value == "AB10" and ws2["B1"].value == "B1"
    with pytest.raises(PatchError):
        patcher.render({part: {(2, 2): "x"}})


# --------------------------------------------------------------------------------------------
# LibreOffice opens what we write


def _soffice_pdf(src: Path, outdir: Path) -> Path:
    exe = shutil.which("soffice")
    assert exe
    outdir.mkdir(exist_ok=True)
    subprocess.run([exe, "--headless", f"-env:UserInstallation=file://{outdir}/profile",
                    "--convert-to", "pdf", "--outdir", str(outdir), str(src)],
                   check=True, capture_output=True, timeout=180)
    return outdir / (src.stem + ".pdf")


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("key", [("R6", "vendor", "circle"), ("R8", "vendor", "word")])
def test_libreoffice_opens_filled_files(key: tuple[str, str, str], runs: dict, tmp_path: Path) -> None:
    src = tmp_path / "filled.xlsx"
    shutil.copy(runs[key].files[0].path, src)
    pdf = _soffice_pdf(src, tmp_path / "pdf")
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000


# --------------------------------------------------------------------------------------------
# problem codes


FILL_CODES = sorted(c for c in CATALOGUE if c.startswith("fill."))


def test_every_problem_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "fill.md").read_text(encoding="utf-8")
    missing = [c for c in FILL_CODES if f"`{c}`" not in doc]
    assert not missing, f"document these codes in docs/fill.md: {missing}"


def _problems_of(call) -> list:
    try:
        result = call()
    except (AnswersError, TemplateError) as exc:
        return exc.problems
    return result.warnings


@pytest.mark.parametrize("code", sorted(FILL_CODES))
def test_every_problem_code_is_produced(code: str, cases: dict, templates_dir: Path,
                                       tmp_path: Path) -> None:
    r8 = templates_dir / "R8_vendor.xlsx"
    answers = cases[("R8", "vendor")].answers
    out = tmp_path / "out"

    def csv_(rows: list[list[str]]) -> Path:
        return _write_csv(tmp_path / "a.csv", rows, "utf-8")

    calls = {
        "fill.answers_unreadable": lambda: fill(r8, [csv_([["医療機関名"], ["a"]]),
                                                     _junk(tmp_path / "x.xlsx")], out),
        "fill.no_facility_table": lambda: fill(r8, csv_([["項番", "回答"], ["1-①", "はい"]]), out),
        "fill.bad_header": lambda: fill(r8, csv_([["医療機関名", "2-⑩（サーバ）"], ["a", "はい"]]), out),
        "fill.unknown_item": lambda: fill(r8, csv_([["医療機関名", "9-⑨"], ["a", "はい"]]), out),
        "fill.duplicate_item": lambda: fill(r8, _bad_answers(tmp_path / "b.xlsx"), out),
        "fill.bad_answer": lambda: fill(r8, csv_([["医療機関名", "2-⑩"], ["a", "多分"]]), out),
        "fill.bad_date": lambda: fill(r8, csv_([["医療機関名", "確認日"], ["a", "昨日"]]), out),
        "fill.no_target": lambda: fill(r8, csv_([["医療機関名", "2-⑩"], ["a", "いいえ"]]), out),
        "fill.no_facility_name": lambda: fill(r8, csv_([["医療機関名", "2-⑩"], ["", "はい"]]), out),
        "fill.duplicate_name": lambda: fill(r8, csv_([["医療機関名"], ["a"], ["a"]]), out),
        "fill.bad_pattern": lambda: fill(r8, answers, out, name_pattern="{x}.xlsx"),
        "fill.template_unreadable": lambda: fill(_junk(tmp_path / "t.xlsx"), answers, out),
        "fill.template_not_form": lambda: fill(_memo(tmp_path / "m.xlsx"), answers, out),
        "fill.template_item_missing": lambda: fill(_without_row(cases, tmp_path), answers, out),
        "fill.no_date_cell": lambda: fill(
            _custom_template(tmp_path / "dd.xlsx", "R5", "vendor", Layout(dropdown=True)),
            cases[("R5", "vendor")].answers, out),
    }
    assert set(calls) == set(FILL_CODES)
    codes = {p.code for p in _problems_of(calls[code])}
    assert code in codes


def _junk(path: Path) -> Path:
    path.write_bytes(b"PK\x03\x04 not really a zip")
    return path


def _memo(path: Path) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet().write(0, 0, "メモ")
    wb.close()
    return path
