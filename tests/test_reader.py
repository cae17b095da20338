"""The reader end to end on generated, real-shaped workbooks: editions, variants, layouts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from testkit import synth
from testkit.evaluate import score
from testkit.synth import Spec
from xltools import api
from xltools.forms.catalogue import load_catalogue
from xltools.output.templates import Layout

EDITIONS = ("R5", "R6", "R7", "R8")
VARIANTS = ("hospital", "pharmacy", "vendor")

CAT = load_catalogue()


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_blank_template_is_recognised_with_every_item(templates_dir: Path, edition: str, variant: str) -> None:
    res = api.read(templates_dir / f"{edition}_{variant}.xlsx")
    assert len(res.submissions) == 1
    sub = res.submissions.iloc[0]
    assert (sub.form, sub.edition, sub.variant) == ("checklist", edition, variant)
    m = CAT.get("checklist", edition)
    expected = {(i, s) for i, s in m.expected_rows(variant)}
    got = set(zip(res.answers.item_id, res.answers.scope))
    assert got == expected
    assert set(res.answers.answer) == {"blank"}
    assert "locate.item_missing" not in set(res.problems.code)
    # every expected row yields a round-1 and a round-2 row, each with its cell
    assert len(res.answers) == 2 * len(expected)
    assert (res.answers.cell != "").all()


def _one(tmp_path: Path, spec: Spec, name: str = "x.xlsx") -> tuple[api.Result, synth.Truth]:
    truth = synth.write_workbook(tmp_path / name, [spec])[0]
    return api.read(tmp_path / name), truth


def _assert_exact(res: api.Result, truth: synth.Truth) -> None:
    s = score([truth], res.submissions, res.answers, res.problems)
    assert s.silent == 0, s.silent_examples
    assert s.exact == s.total, (s.line(), res.problems[["code", "cell", "message"]].to_string())
    assert s.sheets_right == 1


LAYOUTS = {
    "official": Layout(),
    "one_header_row": Layout(header_rows=1),
    "columns_moved": Layout(columns=("item", "ref", "target", "answer2", "answer1", "remarks"),
                            answer_date_same_cell=True),
    "date_columns_moved": Layout(columns=("ref", "item", "date1", "answer1", "target", "answer2", "date2"),
                                 answer_date_same_cell=False),
    "rows_inserted": Layout(blank_rows_between=2, note_rows=True),
    "offset_table": Layout(start_row=5, start_col=2),
    "no_title_no_sections": Layout(title="", sections=False, label=""),
    "fields_colon_bottom": Layout(fields_style="colon", fields_at="bottom"),
    "fields_below": Layout(fields_style="below"),
    "ref_in_text": Layout(ref_in_text=True),
    "separate_date_columns": Layout(answer_date_same_cell=False),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("edition", ["R6", "R7"])
def test_layouts(tmp_path: Path, layout: str, edition: str) -> None:
    spec = Spec(edition, "hospital", LAYOUTS[layout], "typed", "slash", seed=3,
                facility_name="さくら総合病院")
    res, truth = _one(tmp_path, spec)
    _assert_exact(res, truth)
    assert res.submissions.iloc[0].facility_name == "さくら総合病院"


@pytest.mark.parametrize("style", ["typed", "marks", "deleted", "strike", "bracket", "dropdown",
                                   "yesno_en", "mixed"])
def test_answer_encodings(tmp_path: Path, style: str) -> None:
    spec = Spec("R6", "vendor", Layout(), style, "paren", seed=5, facility_name="ひかり記念病院",
                vendor_name="株式会社メディシステム", system_name="電子カルテシステム")
    res, truth = _one(tmp_path, spec)
    _assert_exact(res, truth)
    sources = set(res.answers.source)
    expected_source = {"strike": "strike", "dropdown": "dropdown", "bracket": "mark"}.get(style)
    if expected_source:
        assert expected_source in sources
    sub = res.submissions.iloc[0]
    assert (sub.vendor_name, sub.system_name) == ("株式会社メディシステム", "電子カルテシステム")


def test_split_yes_no_columns(tmp_path: Path) -> None:
    spec = Spec("R8", "hospital", Layout(split_yes_no=True, answer_date_same_cell=False), "split",
                "excel", seed=6, facility_name="若草病院")
    res, truth = _one(tmp_path, spec)
    _assert_exact(res, truth)
    assert "columns" in set(res.answers.source)


@pytest.mark.parametrize("date_style", synth.DATE_STYLES)
def test_date_spellings(tmp_path: Path, date_style: str) -> None:
    spec = Spec("R7", "hospital", Layout(answer_date_same_cell=False), "typed", date_style, seed=8,
                p_no=0.4, facility_name="たんぽぽ内科医院")
    res, truth = _one(tmp_path, spec)
    _assert_exact(res, truth)
    assert (res.answers.target_on != "").any()


def test_scope_from_headings_column_and_label(tmp_path: Path) -> None:
    for n, (edition, layout) in enumerate([("R6", Layout()), ("R6", Layout(scope_style="column")),
                                           ("R7", Layout())]):
        res, truth = _one(tmp_path, Spec(edition, "pharmacy", layout, "typed", "slash", seed=n,
                                         facility_name="みなと薬局"), f"s{n}.xlsx")
        _assert_exact(res, truth)
    r7 = res.answers
    assert set(r7[r7.item_id == "unneeded_services"].scope) == {"server+terminal"}


def test_vendor_workbook_with_cover_and_several_facilities(tmp_path: Path) -> None:
    specs = [Spec("R8", "vendor", Layout(), "typed", "kanji", seed=i, facility_name=f,
                  vendor_name="ネットケア株式会社", system_name="院内ネットワーク", sheet_name=f[:6])
             for i, f in enumerate(["さくら総合病院", "ひかり記念病院", "若草病院"])]
    truths = synth.write_workbook(tmp_path / "multi.xlsx", specs, cover=True)
    res = api.read(tmp_path / "multi.xlsx")
    assert list(res.submissions.facility_name) == ["さくら総合病院", "ひかり記念病院", "若草病院"]
    assert res.submissions.submission_id.is_unique
    assert "form.sheet_skipped" in set(res.problems.code)  # the cover sheet, at info level
    s = score(truths, res.submissions, res.answers, res.problems)
    assert s.exact == s.total and s.sheets_right == 3


def test_wrong_sheet_name_does_not_decide_the_variant(tmp_path: Path) -> None:
    spec = Spec("R6", "hospital", Layout(), "typed", "slash", seed=1, facility_name="さくら総合病院",
                sheet_name="事業者確認用")
    res, _ = _one(tmp_path, spec)
    assert res.submissions.iloc[0].variant == "hospital"


def test_messy_corpus_accuracy(corpus: tuple[Path, list[synth.Truth]]) -> None:
    """The promise: >= 98% exact, the rest flagged, zero silently wrong."""
    folder, truths = corpus
    res = api.read_many([folder])
    s = score(truths, res.submissions, res.answers, res.problems)
    assert s.silent == 0, s.silent_examples
    assert s.exact_rate >= 0.98, s.line()
    wrong = [t for t in truths if not ((res.submissions.path == t.path) & (res.submissions.edition == t.edition)
                                       & (res.submissions.variant == t.variant)).any()]
    flagged = set(res.problems[res.problems.code.isin(["form.edition_uncertain", "form.variant_uncertain"])].path)
    assert all(t.path in flagged for t in wrong), [t.path for t in wrong]
    assert s.sheets_right >= 0.95 * s.sheets


def test_every_expected_row_present_even_when_missing(tmp_path: Path) -> None:
    """A deleted item row still yields blank answer rows plus an error naming the item."""
    path = tmp_path / "deleted.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    m = CAT.get("checklist", "R7")
    ws.write_row(0, 0, ["項番", "確認事項", "1回目", "確認日", "2回目", "確認日", "目標日"])
    r = 1
    for it in m.items_for("hospital"):
        if it.id == "bcp":
            continue  # the respondent deleted this row
        ws.write_row(r, 0, [it.ref, it.text, "はい", dt.datetime(2025, 6, 1)])
        r += 1
    wb.close()
    res = api.read(path)
    bcp = res.answers[res.answers.item_id == "bcp"]
    assert len(bcp) == 2 and set(bcp.answer) == {"blank"}
    missing = res.problems[res.problems.code == "locate.item_missing"]
    assert list(missing.item_id) == ["bcp"] and missing.iloc[0].severity == "error"
    assert res.submissions.iloc[0].status == "partial"


def test_gate_item_no_suppresses_blank_warnings(tmp_path: Path) -> None:
    path = tmp_path / "gate.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    m = CAT.get("checklist", "R6")
    ws.write_row(0, 0, ["項番", "確認事項", "1回目", "2回目", "目標日"])
    for r, (item_id, scope) in enumerate(m.expected_rows("hospital"), start=1):
        it = m.item(item_id)
        ws.write_row(r, 0, [it.ref, f"{it.text}（{ {'all': '全般', 'server': 'サーバ', 'terminal': '端末PC', 'network': 'ネットワーク機器'}[scope]}）",
                            "いいえ (6/1)" if it.gate else ""])
    wb.close()
    res = api.read(path)
    codes = list(res.problems.code)
    assert "answer.gate_no" in codes
    assert "answer.blank" not in codes


def test_validation_problems(tmp_path: Path) -> None:
    """Answer without date, いいえ without target, target beyond the fiscal year, bad date."""
    path = tmp_path / "v.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    m = CAT.get("checklist", "R7")
    ws.write_row(0, 0, ["項番", "確認事項", "1回目", "確認日", "2回目", "確認日", "目標日"])
    rows = {"security_officer": ["はい", ""], "asset_ledger": ["いいえ", "2025/6/1", "", "", ""],
            "mds_sds": ["いいえ", "2025/6/1", "", "", "2027/6/1"], "two_factor": ["いいえ", "2025/6/1", "", "", "2028/1/10"],
            "access_log": ["はい", "来週"], "bcp": ["たぶん", "2025/6/1"]}
    r = 1
    for it in m.items_for("hospital"):
        ws.write_row(r, 0, [it.ref, it.text, *rows.get(it.id, ["はい", "2025/6/1"])])
        r += 1
    wb.close()
    res = api.read(path)
    p = res.problems
    by = {(row.code, row.item_id) for row in p.itertuples()}
    assert ("answer.date_missing", "security_officer") in by
    assert ("answer.target_missing", "asset_ledger") in by
    assert ("answer.target_out_of_year", "mds_sds") in by
    assert ("answer.target_out_of_year", "two_factor") not in by  # two-factor may run to FY2027
    assert ("answer.date_unreadable", "access_log") in by
    assert ("answer.unreadable", "bcp") in by
    bcp = res.answers[(res.answers.item_id == "bcp") & (res.answers["round"] == 1)].iloc[0]
    assert (bcp.answer, bcp.raw, bcp.cell) == ("blank", "たぶん", "C" + str(bcp.cell[1:]))


def test_drawn_ellipses_answer_printed_cells(templates_dir: Path, tmp_path: Path) -> None:
    """A printed はい・いいえ with an ellipse drawn over one word reads as that word (source shape)."""
    from testkit import drawing_writer

    blank = templates_dir / "R6_hospital.xlsx"
    res = api.read(blank)
    first = res.answers[res.answers["round"] == 1].head(6)
    data = blank.read_bytes()
    want = {}
    for n, row in enumerate(first.itertuples()):
        word = "はい" if n % 2 == 0 else "いいえ"
        data = drawing_writer.add_ellipse_over_word(data, row.sheet, row.cell, word)
        want[row.cell] = "yes" if word == "はい" else "no"
    (tmp_path / "drawn.xlsx").write_bytes(data)
    got = api.read(tmp_path / "drawn.xlsx").answers
    got = got[got.cell.isin(want) & (got["round"] == 1)]
    assert dict(zip(got.cell, got.answer)) == want
    assert set(got.source) == {"shape"}


def test_unheaded_merged_scope_column(tmp_path: Path) -> None:
    """Device names in a vertically merged column left of the items, with no header."""
    path = tmp_path / "merged_scope.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    m = CAT.get("checklist", "R6")
    ws.write_row(0, 1, ["確認事項", "1回目", "2回目", "目標日"])
    r = 1
    want = {}
    for scope in ("all", "server", "terminal", "network"):
        rows = [(i, s) for i, s in m.expected_rows("hospital") if s == scope]
        if len(rows) > 1:
            ws.merge_range(r, 0, r + len(rows) - 1, 0, {"all": "全般", "server": "サーバ", "terminal": "端末PC",
                                                         "network": "ネットワーク機器"}[scope])
        else:
            ws.write(r, 0, {"all": "全般", "network": "ネットワーク機器"}.get(scope, scope))
        for n, (item_id, sc) in enumerate(rows):
            answer = "はい" if (n + len(scope)) % 2 else "いいえ"
            ws.write_row(r, 1, [m.item(item_id).text, f"{answer} (6/1)", "", "2025/3/1" if answer == "いいえ" else ""])
            want[(item_id, sc)] = "yes" if answer == "はい" else "no"
            r += 1
    wb.close()
    res = api.read(path)
    a = res.answers[res.answers["round"] == 1]
    assert {(x.item_id, x.scope): x.answer for x in a.itertuples()} == want
    assert "locate.scope_unclear" not in set(res.problems.code)


def test_untouched_counterpart_sheet_is_skipped_not_a_submission(tmp_path: Path) -> None:
    """A facility returns the official workbook: its own sheet filled, the vendor sheet left
    blank. One submission, and an info problem naming the skipped sheet."""
    from dataclasses import replace

    spec = Spec(edition="R7", variant="hospital", facility_name="さくら総合病院",
                answer_style="typed", seed=3)
    spec = replace(spec, extra_sheets=("counterpart",), sheet_name="医療機関確認用")
    path = tmp_path / "returned.xlsx"
    synth.write_workbook(path, [spec])
    res = api.read(path)
    assert list(res.submissions["variant"]) == ["hospital"]
    skipped = res.problems[res.problems["code"] == "form.blank_sheet"]
    assert len(skipped) == 1 and skipped["severity"].iloc[0] == "info"
    assert "事業者確認用" in skipped["message"].iloc[0]
    assert not (res.problems["sheet"] == skipped["sheet"].iloc[0]).sum() > 1  # no answer.blank rows


def test_a_file_of_only_untouched_forms_is_still_read(templates_dir: Path) -> None:
    """The blank form sent back: the aggregator must see it, with every item unanswered."""
    res = api.read(templates_dir / "R8_vendor.xlsx")
    assert len(res.submissions) == 1
    assert (res.answers["answer"] == "blank").all()
    assert not (res.problems["code"] == "form.blank_sheet").any()


def test_answer_outside_the_read_columns_is_reported_once(tmp_path: Path) -> None:
    """A ○ typed in an unheaded column right of the table (merged over three grid columns and
    two item rows) is one locate.stray_answer, not one per column or silence."""
    import openpyxl

    spec = Spec(edition="R6", variant="hospital", facility_name="さくら総合病院", seed=5)
    path = tmp_path / "stray.xlsx"
    truths = synth.write_workbook(path, [spec])
    res = api.read(path)
    first, second = sorted(res.answers["cell"].map(lambda a: int("".join(filter(str.isdigit, a)))))[:2]
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    col = ws.max_column + 3
    ws.cell(first, col, "○")
    ws.merge_cells(start_row=first, start_column=col, end_row=second, end_column=col + 2)
    wb.save(path)
    res = api.read(path)
    stray = res.problems[res.problems["code"] == "locate.stray_answer"]
    assert len(stray) == 1, stray[["cell", "message"]]
    assert stray["cell"].iloc[0] == f"{openpyxl.utils.get_column_letter(col)}{first}"
    assert truths  # the generated sheet is a real checklist


def test_grid_sheet_with_an_unnumbered_answer_header_has_one_round(tmp_path: Path) -> None:
    """方眼紙: every label merged over three grid columns, the answer column headed 「回答」
    (no 1回目). The grid columns under one merged label are one column, not rounds 1, 2, 3."""
    m = next(x for x in load_catalogue().editions("checklist") if x.edition == "R6")
    path = tmp_path / "grid.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("回答")
    box = wb.add_format({"border": 1})
    ws.set_column(0, 20, 2.6)

    def put(r: int, logical: int, text: str) -> None:
        ws.merge_range(r, logical * 3, r, logical * 3 + 2, text, box)

    ws.write(0, 0, "令和6年度版 医療機関におけるサイバーセキュリティ対策チェックリスト")
    ws.write(1, 0, "医療機関名")
    ws.write(1, 3, "グリッド病院")
    for n, label in enumerate(("項番", "確認事項", "対象", "回答", "備考")):
        put(3, n, label)
    r = 4
    for it in m.items_for("hospital"):
        for scope in it.scopes:
            for n, text in enumerate((it.ref, it.text_for("hospital"),
                                      {"all": "全般", "server": "サーバ", "terminal": "端末PC",
                                       "network": "ネットワーク機器"}[scope], "はい", "")):
                put(r, n, text)
            r += 1
    wb.close()
    res = api.read(path)
    assert set(res.answers["round"]) == {1}
    assert (res.answers["answer"] == "yes").all() and len(res.answers) == r - 4
    assert set(res.answers["cell"].str.extract(r"^([A-Z]+)")[0]) == {"J"}


def test_a_blank_looking_sheet_with_a_stray_answer_is_kept(tmp_path: Path) -> None:
    """The counterpart sheet is blank except for a ○ typed beside the table: something the
    reader did not understand is there, so it stays a submission with its problem."""
    from dataclasses import replace

    import openpyxl

    spec = replace(Spec(edition="R7", variant="hospital", facility_name="さくら総合病院", seed=3),
                   extra_sheets=("counterpart",), sheet_name="医療機関確認用")
    path = tmp_path / "returned.xlsx"
    synth.write_workbook(path, [spec])
    blank = api.read(path).problems
    other = blank[blank["code"] == "form.blank_sheet"]["sheet"].iloc[0]
    wb = openpyxl.load_workbook(path)
    ws = wb[other]
    row = next(r for r in range(1, ws.max_row + 1)  # the first item row (項番 like 1-①)
               if isinstance(ws.cell(r, 1).value, str) and ws.cell(r, 1).value[:2] == "1-")
    ws.cell(row, ws.max_column + 2, "○")
    wb.save(path)
    res = api.read(path)
    assert sorted(res.submissions["sheet"]) == sorted(["医療機関確認用", other])
    assert "locate.stray_answer" in set(res.problems[res.problems["sheet"] == other]["code"])
    assert not (res.problems["code"] == "form.blank_sheet").any()
