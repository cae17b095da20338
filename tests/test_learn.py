"""``learn``: a form edition learned from its blank workbook, checked, and used by the reader.

Fixtures are generated once per module: the bundled templates (conftest), a modified R7 blank
(reworded, reordered, added, removed items) and an "R9" edition xltools has never seen, laid
out in a layout the reader has not seen, with returned copies made from the learned mapping.
"""

from __future__ import annotations

import csv
import dataclasses as dc
import json
import random
from pathlib import Path
from types import SimpleNamespace

import pytest
import xlsxwriter
import yaml
from click.testing import CliRunner

from testkit import evaluate, synth
from xltools import api
from xltools.cli import cli
from xltools.cli.learn import learn_command
from xltools.forms.catalogue import FormMapping, Item, load_catalogue, parse_mapping
from xltools.forms.learn import (
    Learned,
    LearnError,
    OptionNeeded,
    check,
    clean_ref,
    describe_forms,
    fiscal_year_of_edition,
    learn,
    ref_key,
    strip_ref_raw,
    text_diff,
)
from xltools.output.templates import Layout, write_checklist

CAT = load_catalogue()
EDITIONS = ("R5", "R6", "R7", "R8")
VARIANTS = ("hospital", "pharmacy", "vendor")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _shape(m: FormMapping, variant: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((it.id, it.ref, tuple(it.scopes)) for it in m.items_for(variant))


def _workbook(path: Path, m: FormMapping, sheets: list[tuple[str, str]],
              layout: Layout | None = None) -> Path:
    """One workbook, one sheet per (sheet name, variant), laid out by the template writer."""
    wb = xlsxwriter.Workbook(str(path))
    for name, variant in sheets:
        write_checklist(wb, wb.add_worksheet(name), m, variant, layout or Layout())
    wb.close()
    return path


def _renumber(items: list[Item], style: str = "circled") -> tuple[Item, ...]:
    n: dict[int, int] = {}
    out = []
    for it in items:
        if it.section == 0:
            out.append(it)
            continue
        n[it.section] = n.get(it.section, 0) + 1
        k = n[it.section]
        ref = f"{it.section}-{CIRCLED[k - 1]}" if style == "circled" else f"{it.section}-({k})"
        out.append(dc.replace(it, ref=ref))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# learning the bundled editions back from their templates


@pytest.fixture(scope="module")
def bundled(templates_dir: Path) -> dict[str, Learned]:
    return {e: learn([(templates_dir / f"{e}_{v}.xlsx", v) for v in VARIANTS], edition=e)
            for e in EDITIONS}


@pytest.mark.parametrize("edition", EDITIONS)
def test_learning_a_bundled_template_gives_back_its_mapping(edition: str,
                                                            bundled: dict[str, Learned]) -> None:
    learned, m = bundled[edition], CAT.get("checklist", edition)
    assert set(learned.mapping.variants) == set(m.variants)
    for v in m.variants:
        assert _shape(learned.mapping, v) == _shape(m, v), v
        for it in learned.mapping.items_for(v):
            assert it.text_for(v) == m.item(it.id).text_for(v), (v, it.id)
    assert [it.kind for it in learned.items] == ["matched"] * len(m.items)
    assert learned.changes == [] and learned.removed == [] and learned.ok
    lm = learned.mapping
    assert (lm.numbering, lm.scope_style, lm.date_column, lm.fiscal_year) == (
        m.numbering, m.scope_style, m.date_column, m.fiscal_year)
    assert lm.markers[0] == f"{m.era}版"
    assert parse_mapping(learned.text, "again").items == lm.items  # the file is what we parsed


def test_learned_file_has_the_bundled_files_shape(bundled: dict[str, Learned]) -> None:
    text = bundled["R8"].text
    data = yaml.safe_load(text)
    bundled_keys = set(yaml.safe_load(Path(CAT.get("checklist", "R8").source).read_text("utf-8")))
    assert set(data) <= bundled_keys | {"era"}
    assert "- id: security_officer  # 100% match" in text
    assert data["items"][1]["texts"]["vendor"].startswith("事業者内に")
    assert data["items"][0]["gate"] is True  # carried over from the known item


@pytest.mark.parametrize("name, layout", [
    ("scope column", Layout(scope_style="column")),
    ("ref in text, one header row", Layout(ref_in_text=True, header_rows=1)),
    ("split yes/no, notes, blank rows", Layout(split_yes_no=True, note_rows=True, blank_rows_between=3)),
    ("no sections, shifted, fields below", Layout(sections=False, start_row=3, start_col=2,
                                                  fields_at="bottom")),
])
@pytest.mark.parametrize("edition", ["R5", "R7"])
def test_layouts_do_not_change_what_is_learned(edition: str, name: str, layout: Layout,
                                               tmp_path: Path) -> None:
    m = CAT.get("checklist", edition)
    path = _workbook(tmp_path / "blank.xlsx", m, [(f"Sheet{n}", v) for n, v in enumerate(VARIANTS)],
                     layout)
    learned = learn([path], edition=edition)
    for v in VARIANTS:
        assert _shape(learned.mapping, v) == _shape(m, v), (name, v)
    assert not [c for c in learned.changes if c.kind != "moved"], name


def test_variants_come_from_the_labels_printed_in_the_sheet(templates_dir: Path) -> None:
    # R8 prints one facility sheet (医療機関・薬局確認用) for hospitals and pharmacies
    learned = learn([templates_dir / "R8_hospital.xlsx", templates_dir / "R8_vendor.xlsx"],
                    edition="R8")
    assert [t.variants for t in learned.tables] == [("hospital", "pharmacy"), ("vendor",)]
    assert {t.variant_source for t in learned.tables} == {"label"}
    lm = learned.mapping
    assert lm.variants["pharmacy"].labels[0] == "医療機関・薬局確認用"
    assert lm.variants["vendor"].labels == ("事業者確認用",)
    for v in VARIANTS:
        assert _shape(lm, v) == _shape(CAT.get("checklist", "R8"), v)
    # the pharmacy wording of backup_recovery was not printed: said, not hidden
    assert [c.item_id for c in learned.changes] == ["backup_recovery"]
    assert "[pharmacy]" in learned.changes[0].detail


def test_one_workbook_with_a_sheet_per_variant(tmp_path: Path) -> None:
    """Sheet names mean nothing; each sheet's printed label decides; wording kept per variant."""
    m = CAT.get("checklist", "R7")
    path = _workbook(tmp_path / "R7.xlsx", m, [("Sheet1", "vendor"), ("回答", "hospital"),
                                               ("Sheet3", "pharmacy")])
    learned = learn([path], edition="R7")
    assert [t.variants for t in learned.tables] == [("vendor",), ("hospital",), ("pharmacy",)]
    lm = learned.mapping
    for v in VARIANTS:
        assert _shape(lm, v) == _shape(m, v)
        for it in lm.items_for(v):
            assert it.text_for(v) == m.item(it.id).text_for(v)
    assert lm.item("backup_recovery").texts == {"pharmacy": m.item("backup_recovery").texts["pharmacy"]}


def test_a_sheet_without_a_label_needs_the_variant_option(tmp_path: Path) -> None:
    m = CAT.get("checklist", "R7")
    path = _workbook(tmp_path / "nolabel.xlsx", m, [("Sheet1", "vendor")], Layout(label="", title=""))
    with pytest.raises(OptionNeeded, match="--variant"):
        learn([path], edition="R7")
    learned = learn([path], edition="R7", variant="vendor")
    assert _shape(learned.mapping, "vendor") == _shape(m, "vendor")


def test_unusable_inputs_raise_one_clear_error(tmp_path: Path, templates_dir: Path) -> None:
    other = tmp_path / "other.xlsx"
    wb = xlsxwriter.Workbook(str(other))
    wb.add_worksheet("表紙").write_string(0, 0, "提出について")
    wb.close()
    with pytest.raises(LearnError, match="項目表が見つかりません"):
        learn([other], edition="R9")
    with pytest.raises(OptionNeeded, match="--edition"):
        learn([templates_dir / "R7_hospital.xlsx"])  # the R7 title prints no 令和7年度版
    with pytest.raises(OptionNeeded, match="--fiscal-year"):
        learn([templates_dir / "R7_hospital.xlsx"], edition="2027")
    with pytest.raises(OptionNeeded, match="--base"):
        learn([templates_dir / "R7_hospital.xlsx"], edition="R7", base="R4")


# --------------------------------------------------------------------------------------------
# changes against the base edition


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """R7 with one item mildly reworded, one heavily, two swapped, one added, one removed."""
    r7 = CAT.get("checklist", "R7")
    items = {it.id: it for it in r7.items}
    items["external_media"] = dc.replace(items["external_media"],
                                         text="USBストレージ等の外部記録媒体の利用を制限している。")
    items["access_log"] = dc.replace(items["access_log"], text="アクセスログを取得し、定期的に確認している。")
    del items["password_reuse"]
    order = list(items)
    i, j = order.index("backup_recovery"), order.index("bcp")
    order[i], order[j] = order[j], order[i]
    new = Item(id="x", ref="2-⑭", section=2, variants=("hospital", "pharmacy", "vendor"),
               scopes=("network",), text="無線LANのアクセスポイントを暗号化している。")
    seq = [items[k] for k in order]
    seq.insert(order.index("source_restriction") + 1, new)
    m = dc.replace(r7, edition="R7x", items=tuple(seq))
    d = tmp_path_factory.mktemp("changed")
    path = _workbook(d / "R7_changed.xlsx", m, [(v, v) for v in VARIANTS])
    return SimpleNamespace(path=path, learned=learn([path], edition="R7"), dir=d)


def test_each_change_is_reported(changed: SimpleNamespace) -> None:
    learned = changed.learned
    kinds: dict[str, set[str]] = {}
    for c in learned.changes:
        kinds.setdefault(c.kind, set()).add(c.item_id)
    new_id = next(it.id for it in learned.items if it.kind == "new")
    moved = kinds.pop("moved")
    assert len(moved) == 1 and moved <= {"bcp", "backup_recovery"}  # one of the swapped pair
    assert kinds == {"uncertain": {"access_log"}, "reworded": {"external_media", "access_log"},
                     "removed": {"password_reuse"}, "added": {new_id}}
    assert new_id == "wifi_access_encryption"  # proposed from the text, never a known id
    assert new_id not in {it.id for m in CAT.forms for it in m.items}
    item = learned.mapping.item(new_id)
    assert (item.status, item.scopes, item.ref) == ("learned", ("network",), "2-⑭")
    assert learned.mapping.item("access_log").status == "learned"
    assert learned.mapping.item("asset_ledger").status == "verified"
    lines = "\n".join(learned.report_lines())
    for word in ("要確認 / uncertain: access_log", "削除 / removed: password_reuse",
                 "文言変更 / reworded: external_media — [hospital, pharmacy, vendor] 92% "
                 "「USBストレージ等の外部記録媒体の接続を制限している。」→「USBストレージ等の外部記録媒体の利用を制限",
                 "追加 / added: wifi_access_encryption", "順序変更 / moved"):
        assert word in lines, word
    assert "# Removed since R7" in learned.text and "# - password_reuse 2-⑧" in learned.text
    assert "# NEW: not like any known item" in learned.text
    assert "# UNCERTAIN: 65% like known access_log" in learned.text


def test_uncertain_items_wait_for_a_person(changed: SimpleNamespace) -> None:
    assert not changed.learned.ok
    assert [it.id for it in changed.learned.uncertain] == ["access_log"]
    accepted = learn([changed.path], edition="R7", accept_uncertain=True)
    assert accepted.ok and accepted.mapping.item("access_log").scopes == ("server",)
    assert "# UNCERTAIN (accepted)" in accepted.text


def test_every_printed_row_is_accounted_for(changed: SimpleNamespace) -> None:
    learned = changed.learned
    printed = sum(len(t.rows) for t in learned.tables)
    assert printed == sum(len(it.rows) for it in learned.items)
    assert {it.kind for it in learned.items} == {"matched", "uncertain", "new"}


def test_a_near_but_different_item_is_never_matched(tmp_path: Path) -> None:
    """A new item that shares half its words with a known one is new (or uncertain), not it."""
    r8 = CAT.get("checklist", "R8")
    drill = Item(id="x", ref="3-④", section=3, variants=("hospital", "pharmacy"), scopes=("all",),
                 text="サイバー攻撃を想定した訓練を年1回以上実施している。")
    m = dc.replace(r8, items=(*r8.items, drill))
    learned = learn([_workbook(tmp_path / "b.xlsx", m, [("Sheet1", "hospital")])], edition="R8")
    got = next(it for it in learned.items if it.ref == "3-④")
    assert got.kind == "new" and got.id != "bcp" and got.candidate == "bcp"
    assert learned.mapping.item("bcp").ref == "3-③"


# --------------------------------------------------------------------------------------------
# helpers


def test_ref_helpers() -> None:
    assert strip_ref_raw("2-(4) 利用者の職種") == ("利用者の職種", "2-(4)")
    assert strip_ref_raw("２－④利用者の職種") == ("利用者の職種", "2-④")
    assert strip_ref_raw("0 医療情報システムを導入") == ("医療情報システムを導入", "0")
    assert strip_ref_raw("13文字以上のパスワード") == ("13文字以上のパスワード", "")
    assert clean_ref("2-（4）") == "2-(4)"
    assert [ref_key(r) for r in ("0", "1-①", "2-(4)", "2-⑬", "abc")] == [
        (0, 0), (1, 1), (2, 4), (2, 13), None]
    assert fiscal_year_of_edition("R9") == 2027 and fiscal_year_of_edition("2027") is None
    assert text_diff("外部記録媒体の接続を制限", "外部記録媒体の利用を制限") == "…部記録媒体の[接続→利用]を制限…"


# --------------------------------------------------------------------------------------------
# check: does a mapping read a blank workbook completely?


@pytest.mark.parametrize("edition", EDITIONS)
def test_bundled_mappings_read_their_templates_completely(edition: str, templates_dir: Path) -> None:
    report = check(CAT.get("checklist", edition),
                   [(templates_dir / f"{edition}_{v}.xlsx", v) for v in VARIANTS])
    assert report.complete, "\n".join(report.report_lines())
    assert {c.variant for c in report.checks} == set(VARIANTS)


def test_check_names_what_is_missing_extra_or_misrecognised(changed: SimpleNamespace,
                                                            templates_dir: Path) -> None:
    report = check(CAT.get("checklist", "R7"), [changed.path])
    assert not report.complete
    vendor = next(c for c in report.checks if c.variant == "vendor")
    assert ("password_reuse", "all") in vendor.missing and ("access_log", "server") in vendor.missing
    assert {t for _c, t in vendor.extra} == {"アクセスログを取得し、定期的に確認している。",
                                             "無線LANのアクセスポイントを暗号化している。"}
    text = "\n".join(report.report_lines())
    assert "不足 / missing: password_reuse (all)" in text and "余分 / extra row" in text
    # R7 and R8 ask the same items, but an R8 blank is read as R8, not R7
    wrong = check(CAT.get("checklist", "R7"), [templates_dir / "R8_vendor.xlsx"])
    assert not wrong.complete and wrong.checks[0].recognised == "R8/vendor"
    assert wrong.checks[0].missing == [] and "判定 / recognised as: R8/vendor" in "\n".join(
        wrong.report_lines())


# --------------------------------------------------------------------------------------------
# an edition xltools has never seen: R9


def r9_truth() -> FormMapping:
    """R8's items with two reworded, two added, one removed, renumbered; 令和9年度版 title."""
    r8 = CAT.get("checklist", "R8")
    items: list[Item] = []
    for it in r8.items:
        if it.id == "password_reuse":
            continue
        if it.id == "access_log":
            it = dc.replace(it, text="アクセスログを取得し、定期的に確認している。")
        if it.id == "external_media":
            it = dc.replace(it, text="USBストレージ等の外部記録媒体の利用を制限している。")
        items.append(it)
        if it.id == "source_restriction":
            items.append(Item(id="t_offline", ref="", section=2, variants=("hospital", "pharmacy", "vendor"),
                              scopes=("server",), text="バックアップデータをネットワークから切り離して保管している。"))
    items.append(Item(id="t_drill", ref="", section=3, variants=("hospital", "pharmacy"), scopes=("all",),
                      text="サイバー攻撃を想定した訓練を年1回以上実施している。"))
    title = "令和9年度版 医療機関・薬局におけるサイバーセキュリティ対策チェックリスト"
    return dc.replace(r8, edition="R9", fiscal_year=2027, era="令和9年度", items=_renumber(items),
                      variants={k: dc.replace(v, title=title) for k, v in r8.variants.items()},
                      markers=("令和9年度版", "令和9年度"))


# a layout the reader has never seen: item text before the ref, one header row, the target
# date between the rounds, the table shifted right and down
R9_LAYOUT = Layout(header_rows=1, start_row=2, start_col=1,
                   columns=("item", "ref", "answer1", "date1", "target", "answer2", "date2", "remarks"))


@pytest.fixture(scope="module")
def r9(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    d = tmp_path_factory.mktemp("r9")
    truth = r9_truth()
    blank = _workbook(d / "令和9年度版_チェックリスト.xlsx", truth,
                      [("医療機関・薬局確認用", "hospital"), ("事業者確認用", "vendor")], R9_LAYOUT)
    vendor_blank = _workbook(d / "R9_事業者確認用.xlsx", truth, [("事業者確認用", "vendor")], R9_LAYOUT)
    first = learn([blank], edition="R9")
    learned = learn([blank], edition="R9", accept_uncertain=True)
    maps = d / "my_mappings"
    learned.write(maps / "checklist" / "R9.yaml")
    # returned copies made from the learned mapping: half in the blank's own layout, half in
    # the messy layouts synth knows; plus R8 copies that must stay R8
    rng = random.Random(20270401)
    truths: list[synth.Truth] = []
    files: list[Path] = []
    for i in range(30):
        spec = dc.replace(synth.random_spec(rng, edition="R8", seed=i), edition="R9")
        if i % 2:
            spec = dc.replace(spec, layout=dc.replace(R9_LAYOUT, title=rng.choice([None, ""])),
                              answer_style=rng.choice(("typed", "marks", "dropdown", "mixed", "deleted")))
        f = d / "returned" / f"r9_{i:02d}.xlsx"
        f.parent.mkdir(exist_ok=True)
        truths += synth.write_workbook(f, [spec], mappings=str(maps))
        files.append(f)
    r8_truths: list[synth.Truth] = []
    for i in range(8):
        f = d / "returned" / f"r8_{i:02d}.xlsx"
        r8_truths += synth.write_workbook(f, [synth.random_spec(rng, edition="R8", seed=500 + i)])
        files.append(f)
    result = api.read_many(files, mappings=str(maps))
    return SimpleNamespace(dir=d, truth=truth, blank=blank, vendor_blank=vendor_blank, first=first,
                           learned=learned, maps=maps, truths=truths, r8_truths=r8_truths,
                           files=files, result=result)


def test_r9_is_learned_with_every_change_reported(r9: SimpleNamespace) -> None:
    first = r9.first
    assert [it.id for it in first.uncertain] == ["access_log"] and not first.ok
    kinds: dict[str, set[str]] = {}
    for c in first.changes:
        kinds.setdefault(c.kind, set()).add(c.item_id)
    assert first.base == "R8"
    assert kinds["removed"] == {"password_reuse"}
    assert kinds["reworded"] == {"access_log", "external_media", "backup_recovery"}
    assert len(kinds["added"]) == 2
    assert kinds["ref"] == {"external_media", "two_factor", "access_log", "unneeded_services",
                            "source_restriction"}
    lm = r9.learned.mapping
    assert (lm.edition, lm.fiscal_year, lm.era, lm.numbering) == ("R9", 2027, "令和9年度", "circled")
    assert lm.markers == ("令和9年度版", "令和9年度")
    assert lm.variants["hospital"].title.startswith("令和9年度版")
    assert (lm.scope_style, lm.date_column, lm.rounds) == ("label", True, 2)
    # same rows as the truth, per variant, with the two new items under proposed ids
    rename = {"t_offline": "backup_network", "t_drill": "drill"}
    for v in VARIANTS:
        want = sorted((rename.get(i, i), ref, sc) for i, ref, sc in _shape(r9.truth, v))
        assert _shape(lm, v) == want, v


def test_r9_blank_is_read_completely_by_its_learned_mapping(r9: SimpleNamespace) -> None:
    report = check(r9.maps / "checklist" / "R9.yaml", [r9.blank], mappings=str(r9.maps))
    assert report.complete, "\n".join(report.report_lines())
    assert [c.recognised for c in report.checks] == ["R9/hospital", "R9/hospital", "R9/vendor"]


def test_r9_copies_are_read_exactly(r9: SimpleNamespace) -> None:
    subs, answers, problems = r9.result
    s = evaluate.score(r9.truths + r9.r8_truths, subs, answers, problems)
    assert s.sheets_right == s.sheets == 38, s.line()
    assert s.silent == 0, "\n".join(s.silent_examples)
    assert s.exact_rate >= 0.98, s.line()
    assert set(subs.loc[subs["path"].str.contains("r9_"), "edition"]) == {"R9"}
    assert set(subs.loc[subs["path"].str.contains("r8_"), "edition"]) == {"R8"}
    assert {"backup_network", "drill"} <= set(answers["item_id"])
    assert not problems["code"].str.startswith(("form.edition", "locate.")).any()


def test_without_the_folder_r9_is_not_known(r9: SimpleNamespace) -> None:
    """The learned mapping, not luck, reads R9: without it the copies are not complete R8s."""
    sub = api.read(r9.files[0]).submissions.iloc[0]
    assert sub.edition != "R9"


def test_forms_show_where_each_mapping_comes_from(r9: SimpleNamespace,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rows = describe_forms(load_catalogue(r9.maps))
    by = {r["edition"]: r for r in rows if r["form"] == "checklist"}
    assert by["R9"]["origin"] == "user" and by["R9"]["source"].endswith("R9.yaml")
    # learned: the uncertain, the two new, and the three reworded (one only for pharmacies)
    assert by["R9"]["items"] == 20 and by["R9"]["learned"] == 5
    assert {by[e]["origin"] for e in EDITIONS} == {"bundled"}
    shown = CliRunner().invoke(cli, ["forms", "--mappings", str(r9.maps)])
    assert shown.exit_code == 0, shown.output
    assert any(" R9 " in line and "R9.yaml" in line for line in shown.output.splitlines())
    monkeypatch.setenv("XLTOOLS_MAPPINGS", str(r9.maps))  # the environment works like --mappings
    assert "checklist/R9" in {m.key for m in load_catalogue().forms}


def test_a_user_mapping_overrides_the_bundled_edition(tmp_path: Path, templates_dir: Path) -> None:
    learned = learn([templates_dir / "R7_vendor.xlsx"], edition="R7")
    learned.write(tmp_path / "R7.yaml")
    cat = load_catalogue(tmp_path)
    assert cat.get("checklist", "R7").source == str(tmp_path / "R7.yaml")
    assert set(cat.get("checklist", "R7").variants) == {"vendor"}
    assert {r["edition"]: r["origin"] for r in describe_forms(cat)}["R7"] == "user"


def test_normalize_consolidate_and_fill_use_the_learned_folder(r9: SimpleNamespace,
                                                               tmp_path: Path) -> None:
    from xltools.aggregate.core import consolidate
    from xltools.cli import cli
    from xltools.output.fill import fill

    runner = CliRunner()
    res = runner.invoke(cli, ["normalize", str(r9.files[0]), "--out", str(tmp_path / "out"),
                              "--mappings", str(r9.maps), "-q"])
    assert res.exit_code == 0, res.output
    with (tmp_path / "out" / "submissions.csv").open(encoding="utf-8-sig") as f:
        assert next(csv.DictReader(f))["edition"] == "R9"
    cons = consolidate(r9.result, catalogue=load_catalogue(r9.maps), as_of="2027-10-01")
    assert {"backup_network", "drill"} <= set(cons.items["item_id"])
    # fill the R9 vendor blank for one facility; read it back with the learned mapping
    m = r9.learned.mapping
    rows = [["項番", "対象", "回答", "確認日", "目標日"]]
    rows += [[m.item(i).ref, s, "はい", "2027/10/1", ""] for i, s in m.expected_rows("vendor")]
    defaults = tmp_path / "既定回答.csv"
    facilities = tmp_path / "施設一覧.csv"
    for path, data in ((defaults, rows), (facilities, [["医療機関名", "システム名", "事業者名"],
                                                       ["さくら総合病院", "電子カルテ", "株式会社メディ"]])):
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(data)
    filled = fill(r9.vendor_blank, [defaults, facilities], tmp_path / "filled", mappings=str(r9.maps))
    back = api.read(filled.files[0].path, mappings=str(r9.maps))
    assert back.submissions.iloc[0].edition == "R9"
    r1 = back.answers[back.answers["round"] == 1]
    assert len(r1) == len(m.expected_rows("vendor")) and set(r1["answer"]) == {"yes"}
    assert set(r1["checked_on"]) == {"2027-10-01"}


# --------------------------------------------------------------------------------------------
# the command


def test_cli_learn_writes_reports_and_exits_by_what_is_left_to_decide(r9: SimpleNamespace,
                                                                      tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "m" / "checklist" / "R9.yaml"
    res = runner.invoke(learn_command, [str(r9.blank), "--edition", "R9", "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert res.stdout.strip() == str(out)
    assert "要確認 / uncertain: access_log" in res.stderr and "--accept-uncertain" in res.stderr
    assert parse_mapping(out.read_text("utf-8"), str(out)).edition == "R9"  # written for review
    res = runner.invoke(learn_command, [str(r9.blank), "--out", str(out), "--accept-uncertain"])
    assert res.exit_code == 0, res.output  # edition read from the 令和9年度版 title
    res = runner.invoke(learn_command, [str(r9.blank), "--accept-uncertain"])
    assert res.exit_code == 0 and res.stdout == r9.learned.text  # stdout carries the mapping
    res = runner.invoke(learn_command, [str(r9.blank), "--json", "--out", str(out)])
    assert res.exit_code == 1 and '"kind": "uncertain"' in res.stdout


def test_cli_check_and_errors(r9: SimpleNamespace, templates_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    mapping = str(r9.maps / "checklist" / "R9.yaml")
    res = runner.invoke(learn_command, ["--check", mapping, str(r9.blank), "--mappings", str(r9.maps)])
    assert res.exit_code == 0 and "完全 / complete" in res.stdout
    res = runner.invoke(learn_command, ["--check", str(CAT.get("checklist", "R8").source), str(r9.blank)])
    assert res.exit_code == 1 and "不足 / missing: password_reuse" in res.stdout
    res = runner.invoke(learn_command, [str(templates_dir / "R7_hospital.xlsx")])
    assert res.exit_code == 2 and res.stderr.startswith("エラー: 版が分かりません")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"%PDF-1.4")
    res = runner.invoke(learn_command, [str(bad), "--edition", "R9"])
    assert res.exit_code == 3 and res.stderr.startswith(f"エラー: {bad} を読めません")
    broken = tmp_path / "broken.yaml"
    broken.write_text("form: checklist\nedition: R9\nfiscal_year: 2027\nvariants: {}\nitems: []\nbogus: 1\n",
                      encoding="utf-8")
    res = runner.invoke(learn_command, ["--check", str(broken), str(r9.blank)])
    assert res.exit_code == 3 and "bogus" in res.stderr
    res = runner.invoke(learn_command, [str(r9.blank), "--json"])
    assert res.exit_code == 2


def test_command_help_has_an_example() -> None:
    assert "例:" in (learn_command.help or "")
    res = CliRunner().invoke(learn_command, ["--help"])
    assert res.exit_code == 0 and "--accept-uncertain" in res.output


def test_filled_copies_teach_the_same_items(tmp_path: Path) -> None:
    """A returned (filled) copy in a messy layout is as good a teacher as the blank."""
    rng = random.Random(31)
    for i in range(12):
        spec = synth.random_spec(rng, seed=i)
        path = tmp_path / f"filled{i}.xlsx"
        synth.write_workbook(path, [spec])
        learned = learn([path], edition=spec.edition, variant=spec.variant)
        m = CAT.get("checklist", spec.edition)
        assert _shape(learned.mapping, spec.variant) == _shape(m, spec.variant), (i, spec.layout)
        assert learned.ok


def test_a_mapping_written_while_running_is_seen(r9: SimpleNamespace, tmp_path: Path) -> None:
    """learn, then read, in one process: the folder's catalogue is not a stale cached one."""
    assert "checklist/R9" not in {m.key for m in load_catalogue(tmp_path).forms}
    r9.learned.write(tmp_path / "checklist" / "R9.yaml")
    assert "checklist/R9" in {m.key for m in load_catalogue(tmp_path).forms}
    assert api.read(r9.files[0], mappings=str(tmp_path)).submissions.iloc[0].edition == "R9"


def test_two_sheets_with_one_label_are_told_apart_by_their_names(tmp_path: Path) -> None:
    """Both R8 facility sheets print 医療機関・薬局確認用; the pharmacy one words an item for
    pharmacies. The same items twice must not become a 'new' item: the names decide."""
    m = CAT.get("checklist", "R8")
    path = _workbook(tmp_path / "R8.xlsx", m, [("医療機関用", "hospital"), ("薬局用", "pharmacy"),
                                               ("事業者", "vendor")])
    learned = learn([path], edition="R8")
    assert [t.variants for t in learned.tables] == [("hospital",), ("pharmacy",), ("vendor",)]
    assert learned.changes == [] and {it.kind for it in learned.items} == {"matched"}
    for v in VARIANTS:
        assert _shape(learned.mapping, v) == _shape(m, v)
    assert learned.mapping.item("backup_recovery").texts == dict(m.item("backup_recovery").texts)
    assert any(p.code == "learn.variant_elsewhere" and p.sheet in ("薬局用", "医療機関用")
               for p in learned.problems)


def test_fields_below_the_table_are_not_items(tmp_path: Path) -> None:
    m = CAT.get("checklist", "R7")
    spec = synth.Spec(edition="R7", variant="vendor", seed=1, facility_name="社会医療法人 若草会 若草病院",
                      vendor_name="株式会社メディシステム", system_name="電子カルテシステム",
                      layout=Layout(fields_at="bottom", fields_style="below", start_col=1))
    path = tmp_path / "filled.xlsx"
    synth.write_workbook(path, [spec])
    learned = learn([path], edition="R7", variant="vendor")
    assert _shape(learned.mapping, "vendor") == _shape(m, "vendor")
    assert {it.kind for it in learned.items} == {"matched"}


def test_a_title_of_another_edition_is_a_problem_record(templates_dir: Path, tmp_path: Path) -> None:
    """Learning an R6 blank (titled 令和6年度版) as R12 says so as a catalogued problem: code in --json, the Japanese
    message in the report."""
    path = templates_dir / "R6_vendor.xlsx"
    learned = learn([path], edition="R12", fiscal_year=2030, accept_uncertain=True)
    found = [p for p in learned.problems if p.code == "learn.title_edition_differs"]
    assert found and found[0].sheet and "R12" in found[0].message
    assert any(found[0].message in line for line in learned.report_lines())
    res = CliRunner().invoke(learn_command, [str(path), "--edition", "R12", "--fiscal-year", "2030",
                                             "--accept-uncertain", "--json", "--out",
                                             str(tmp_path / "R12.yaml")])
    assert res.exit_code == 0, res.output
    assert "learn.title_edition_differs" in {p["code"] for p in json.loads(res.stdout)["problems"]}
