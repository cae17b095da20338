"""Consolidation on hand-made frames (fixtures_consolidate.py); rates computed by hand."""

from __future__ import annotations

from pathlib import Path

import fixtures_consolidate as fx
import pandas as pd
import pytest

from xltools.aggregate.core import (
    ConsolidateError,
    Consolidation,
    consolidate,
    effective_answers,
    parse_as_of,
)
from xltools.checks.crosscheck import scopes_overlap
from xltools.checks.rules import load_rules, parse_rules
from xltools.forms.catalogue import MappingError, load_catalogue
from xltools.output import schema


@pytest.fixture(scope="module")
def cons() -> Consolidation:
    return consolidate(fx.frames(), roster=fx.roster(), as_of=fx.AS_OF, group_by="area")


def _fac(cons: Consolidation, name: str) -> pd.Series:
    return cons.facilities.set_index("facility_name").loc[name]


# --- identity and pairing ---------------------------------------------------------------------


def test_every_submission_gets_a_facility_and_a_match_method(cons: Consolidation) -> None:
    s = cons.submissions.set_index("submission_id")
    sakura = _fac(cons, "さくら病院")["facility_id"]
    assert s.loc["A7", "facility_id"] == s.loc["A6", "facility_id"] == sakura
    assert s.loc["A7", "match_method"] == "normalized"  # 医療法人社団 桜会 さくら病院
    assert s.loc["A6", "match_method"] == "code"
    assert s.loc["B7", "match_method"] == "name"
    assert s.loc["V2", "match_method"] == "name"  # "さくら 病院"
    assert s.loc["D7", "match_method"] == "none"
    assert "みどり医院（95" in s.loc["D7", "near_misses"]
    assert s.loc["V4", "facility_id"] == ""


def test_near_miss_is_reported_not_merged(cons: Consolidation) -> None:
    clinic, iin = _fac(cons, "みどりクリニック"), _fac(cons, "みどり医院")
    assert clinic["facility_id"] != iin["facility_id"]
    assert bool(clinic["submitted"]) and not bool(iin["submitted"])
    near = cons.missing[cons.missing["category"] == "name_near_miss"]
    assert near["facility_name"].tolist() == ["みどりクリニック"]
    assert "みどり医院" in near["candidates"].iloc[0]
    assert "consolidate.name_near_miss" in set(cons.problems["code"])


def test_pairs_use_same_edition_else_current(cons: Consolidation) -> None:
    p = cons.pairs.set_index("v_submission_id")
    assert set(p.index) == {"V1", "V2", "V3"}  # V4 matches no facility
    assert p.loc["V1", "f_submission_id"] == "A7"
    assert p.loc["V2", "f_submission_id"] == "A7"  # no R5 facility form: current one
    assert (p.loc["V2", "f_edition"], p.loc["V2", "v_edition"]) == ("R7", "R5")
    assert p.loc["V3", "f_submission_id"] == "D7"


def test_facility_kind_from_roster_else_variant(cons: Consolidation) -> None:
    kinds = cons.facilities.set_index("facility_name")["kind"].to_dict()
    assert kinds == {"さくら病院": "病院", "あおば薬局": "薬局", "みどり医院": "診療所",
                     "みどりクリニック": "医療機関"}


def test_without_roster_facilities_come_from_submissions() -> None:
    c = consolidate(fx.frames(), as_of=fx.AS_OF)
    assert sorted(c.facilities["facility_name"]) == ["あおば薬局", "さくら病院", "みどりクリニック"]
    assert set(c.missing["category"]) == {"vendor_form_missing", "vendor_unmatched"}
    assert c.facilities["in_roster"].sum() == 0


# --- cross-check findings ----------------------------------------------------------------------


def test_findings_of_the_fixture(cons: Consolidation) -> None:
    got = sorted(zip(cons.findings["rule"], cons.findings["vendor_name"],
                     cons.findings["item_id"], strict=True))
    assert got == sorted([
        ("facility_yes_vendor_no", "ABCシステム", "security_officer"),
        ("facility_yes_vendor_no", "XYZメディカル", "access_rights"),  # all vs server: overlap
        ("facility_no_vendor_yes", "ABCシステム", "access_log"),
        ("remote_maintenance_unconfirmed", "ABCシステム", "remote_maintenance"),
        ("mds_sds_not_provided", "ABCシステム", "mds_sds"),
        ("editions_differ", "XYZメディカル", ""),
        ("vendor_checked_after_facility", "ABCシステム", "security_officer"),
        ("no_system_but_vendor", "ABCシステム", "has_system"),
    ])


def test_a_finding_names_both_sides(cons: Consolidation) -> None:
    f = cons.findings[cons.findings["rule"] == "facility_yes_vendor_no"].set_index("vendor_name")
    row = f.loc["ABCシステム"]
    assert (row["facility_name"], row["facility_answer"], row["vendor_answer"]) == ("さくら病院", "yes", "no")
    assert (row["facility_cell"], row["vendor_cell"]) == ("回答!E11", "回答!E10")
    assert (row["facility_path"], row["vendor_path"]) == ("in/A7.xlsx", "in/V1.xlsx")
    assert (row["facility_scope"], row["vendor_scope"], row["ref"]) == ("all", "all", "1-①")
    assert row["message"].startswith("項目 1-①「医療情報システム安全管理責任者を設置している。」（全般）")
    assert "ですが、事業者 ABCシステム は「いいえ」（回答!E10）" in row["message"]
    # round 2 answered -> the facility answer and cell come from round 2
    xyz = f.loc["XYZメディカル"]
    assert (xyz["facility_cell"], xyz["vendor_scope"]) == ("回答!G15", "server")


def _pair(fac: list[tuple], ven: list[tuple], fac_ed: str = "R7", ven_ed: str = "R7") -> set[str]:
    subs = [fx._sub("F", "hospital", fac_ed, "テスト病院"),
            fx._sub("V", "vendor", ven_ed, "テスト病院", vendor="ベンダー")]
    answers = fx._rows("F", fac) + fx._rows("V", ven)
    c = consolidate({"submissions": schema.frame("submissions", subs),
                     "answers": schema.frame("answers", answers)}, as_of=fx.AS_OF)
    return set(c.findings["rule"])


@pytest.mark.parametrize(("fac", "ven", "expected"), [
    ([("security_officer", "all", "yes", "", "")], [("security_officer", "all", "no", "", "")],
     {"facility_yes_vendor_no"}),
    ([("security_officer", "all", "yes", "", "")], [("security_officer", "all", "yes", "", "")], set()),
    ([("security_officer", "all", "no", "", "")], [("security_officer", "all", "yes", "", "")],
     {"facility_no_vendor_yes"}),
    ([("security_officer", "all", "no", "", "")], [("security_officer", "all", "no", "", "")], set()),
    ([("security_officer", "all", "blank", "", "")], [("security_officer", "all", "no", "", "")], set()),
    ([("remote_maintenance", "all", "no", "", "")], [("remote_maintenance", "all", "yes", "", "")],
     {"remote_maintenance_unconfirmed"}),
    ([("remote_maintenance", "all", "blank", "", "")], [("remote_maintenance", "all", "yes", "", "")],
     {"remote_maintenance_unconfirmed"}),
    ([("remote_maintenance", "all", "yes", "", "")], [("remote_maintenance", "all", "yes", "", "")], set()),
    ([("remote_maintenance", "all", "no", "", "")], [("remote_maintenance", "all", "no", "", "")], set()),
    ([("mds_sds", "all", "yes", "", "")], [("mds_sds", "all", "no", "", "")], {"mds_sds_not_provided"}),
    ([("mds_sds", "all", "no", "", "")], [("mds_sds", "all", "no", "", "")], set()),
    ([("mds_sds", "all", "yes", "", "")], [("mds_sds", "all", "yes", "", "")], set()),
    ([("asset_ledger", "all", "yes", "2025-05-01", "")], [("asset_ledger", "all", "yes", "2025-05-02", "")],
     {"vendor_checked_after_facility"}),
    ([("asset_ledger", "all", "yes", "2025-05-02", "")], [("asset_ledger", "all", "yes", "2025-05-01", "")],
     set()),
    ([("asset_ledger", "all", "yes", "2025-05-02", "")], [("asset_ledger", "all", "yes", "", "")], set()),
    ([("has_system", "all", "no", "", "")], [("asset_ledger", "all", "yes", "", "")],
     {"no_system_but_vendor"}),
    ([("has_system", "all", "yes", "", "")], [("asset_ledger", "all", "yes", "", "")], set()),
])
def test_each_rule_fires_and_does_not_fire(fac: list[tuple], ven: list[tuple],
                                           expected: set[str]) -> None:
    assert _pair(fac, ven) == expected


def test_editions_differ_fires_only_when_editions_differ() -> None:
    one = [("security_officer", "all", "yes", "", "")]
    assert _pair(one, one, "R7", "R6") == {"editions_differ"}
    assert _pair(one, one, "R6", "R6") == set()


def test_scopes_compare_when_they_overlap() -> None:
    # R7 server+terminal row against an R6 terminal row: comparable
    assert _pair([("unneeded_services", "server+terminal", "yes", "", "")],
                 [("unneeded_services", "terminal", "no", "", "")], "R7", "R6") == {
        "facility_yes_vendor_no", "editions_differ"}
    # R6 network row against an R6 server row of the same item: not comparable
    assert _pair([("security_patch", "network", "yes", "", "")],
                 [("security_patch", "server", "no", "", "")], "R6", "R6") == set()


def test_scopes_overlap() -> None:
    assert scopes_overlap("all", "server")
    assert scopes_overlap("server+terminal", "terminal")
    assert not scopes_overlap("server+terminal", "network")
    assert not scopes_overlap("server", "terminal")


# --- answers, rates, targets ---------------------------------------------------------------------


def test_round_two_counts_only_when_answered() -> None:
    rows = fx._rows("X", [("a", "all", "no", "", "", 1), ("a", "all", "yes", "", "", 2),
                          ("b", "all", "yes", "", "", 1), ("b", "all", "blank", "", "", 2)])
    subs = pd.DataFrame({"submission_id": ["X"], "role": ["facility"]})
    eff = effective_answers(schema.frame("answers", rows), subs).set_index("item_id")
    assert (eff.loc["a", "answer"], eff.loc["a", "round"]) == ("yes", 2)
    assert (eff.loc["b", "answer"], eff.loc["b", "round"]) == ("yes", 1)


def test_gate_no_turns_blanks_into_not_applicable(cons: Consolidation) -> None:
    d = _fac(cons, "みどりクリニック")
    assert (d["has_system"], d["no"], d["na"], d["blank"]) == ("no", 1, 2, 0)


def test_item_summary_rates_by_hand(cons: Consolidation) -> None:
    s = cons.item_summary.set_index(["item_id", "scope", "kind"])
    # security_officer: A yes, B yes, D na (gated) -> 2/3 yes, implementation 2/2
    so = s.loc[("security_officer", "all", "全体")]
    assert (so["n"], so["yes"], so["na"]) == (3, 2, 1)
    assert so["yes_rate"] == pytest.approx(2 / 3)
    assert so["na_rate"] == pytest.approx(1 / 3)
    assert so["implementation_rate"] == pytest.approx(1.0)
    # remote_maintenance: A no, B blank, D na -> implementation 0/2
    rm = s.loc[("remote_maintenance", "all", "全体")]
    assert (rm["no"], rm["blank"], rm["na"]) == (1, 1, 1)
    assert rm["implementation_rate"] == 0
    assert rm[["yes_rate", "no_rate", "blank_rate", "na_rate"]].sum() == pytest.approx(1)
    # per kind: the pharmacy's blank
    assert s.loc[("remote_maintenance", "all", "薬局"), "blank_rate"] == 1
    # the R6 form of A is not current: no R6-only scope rows
    assert ("access_rights", "server", "全体") not in s.index


def test_section_and_facility_rates_by_hand(cons: Consolidation) -> None:
    sec = cons.section_summary.set_index(["section", "kind"])
    # all items, all current forms: yes 5 (A) + 3 (B) = 8; rows 7 + 7 + 3 = 17; na 1 (B) + 2 (D)
    total = sec.loc[(99, "全体")]
    assert (total["n"], total["yes"], total["na"]) == (17, 8, 3)
    assert total["implementation_rate"] == pytest.approx(8 / 14)
    a = _fac(cons, "さくら病院")
    assert (a["yes"], a["no"], a["implementation_rate"]) == (5, 2, pytest.approx(5 / 7))
    b = _fac(cons, "あおば薬局")
    assert b["implementation_rate"] == pytest.approx(3 / 6)


def test_facility_matrix(cons: Consolidation) -> None:
    m = cons.facility_matrix.set_index("facility_name")
    assert m.loc["さくら病院", "access_rights"] == "yes"  # round 2
    assert m.loc["さくら病院", "access_log@server"] == "no"
    assert m.loc["あおば薬局", "unneeded_services@server+terminal"] == "blank"
    assert m.loc["みどりクリニック", "mds_sds"] == ""  # not in that form
    assert m.loc["さくら病院", "vendor_forms"] == 2
    assert "みどり医院" not in m.index


def test_targets_overdue_against_as_of(cons: Consolidation) -> None:
    t = cons.targets
    over = t[t["overdue"]]
    assert sorted(zip(over["facility_name"], over["item_id"], over["days_overdue"], strict=True)) == [
        ("さくら病院", "access_log", 62), ("さくら病院", "security_officer", 32)]
    assert set(over["role"]) == {"facility", "vendor"}
    assert "has_system" not in set(t["item_id"])  # the gate item has no target
    assert set(t.loc[t["target_on"] == "", "status_ja"]) == {"目標日なし"}
    later = consolidate(fx.frames(), roster=fx.roster(), as_of="2026-04-01")
    assert later.targets["overdue"].sum() == 4


def test_missing(cons: Consolidation) -> None:
    m = cons.missing.set_index("category")
    assert m.loc["not_submitted", "facility_name"] == "みどり医院"
    assert m.loc["vendor_form_missing", "facility_name"] == "あおば薬局"
    assert m.loc["vendor_unmatched", "facility_name"] == "存在しない病院"
    assert "存在しない病院" in m.loc["vendor_unmatched", "message"]


def test_history_shows_editions_side_by_side(cons: Consolidation) -> None:
    h = cons.history.set_index(["item_id", "scope"])
    assert {"R6", "R7"} <= set(h.columns)
    assert (h.loc[("security_officer", "all"), "R6"], h.loc[("security_officer", "all"), "R7"]) == ("no", "yes")
    assert bool(h.loc[("security_officer", "all"), "changed"])
    assert h.loc[("access_rights", "terminal"), "R6"] == "no"
    assert h.loc[("access_rights", "terminal"), "R7"] == ""


def test_group_summary(cons: Consolidation) -> None:
    g = cons.group_summary.set_index("group_value")
    assert (g.loc["北保健所", "facilities"], g.loc["北保健所", "submitted"]) == (2, 1)
    assert g.loc["北保健所", "submission_rate"] == 0.5
    assert g.loc["北保健所", "vendor_forms_missing"] == 1
    assert g.loc["中央保健所", "overdue_targets"] == 1
    assert "（未設定）" in g.index  # みどりクリニック, not in the roster


def test_group_by_needs_a_known_column() -> None:
    with pytest.raises(ConsolidateError, match="存在しない"):
        consolidate(fx.frames(), roster=fx.roster(), group_by="存在しない")
    with pytest.raises(ConsolidateError, match="名簿"):
        consolidate(fx.frames(), group_by="area")
    assert consolidate(fx.frames(), group_by="edition").group_summary["group_value"].tolist() == ["R7"]


def test_problems_keep_reader_rows_and_add_consolidation_rows(cons: Consolidation) -> None:
    codes = set(cons.problems["code"])
    assert "answer.blank" in codes
    assert {"consolidate.not_submitted", "consolidate.vendor_form_missing",
            "consolidate.vendor_unmatched", "consolidate.name_near_miss"} <= codes
    assert set(schema.ja_headers("problems")) <= set(cons.problems.columns)
    assert cons.worst_severity() == "warning"


def test_several_forms_of_one_edition_pick_the_best() -> None:
    f = fx.frames()
    extra = fx._sub("A7b", "hospital", "R7", "さくら病院", path="in/old.xlsx")
    extra["status"] = "partial"
    subs = pd.concat([f["submissions"], schema.frame("submissions", [extra])], ignore_index=True)
    c = consolidate({**f, "submissions": subs}, roster=fx.roster(), as_of=fx.AS_OF)
    assert _fac(c, "さくら病院")["submission_id"] == "A7"
    assert "consolidate.several_forms" in set(c.problems["code"])


def test_empty_input() -> None:
    c = consolidate({"submissions": schema.frame("submissions", []),
                     "answers": schema.frame("answers", [])}, roster=fx.roster())
    assert len(c.facilities) == 3 and not c.facilities["submitted"].any()
    assert (c.missing["category"] == "not_submitted").sum() == 3
    assert c.findings.empty and c.item_summary.empty


def test_parse_as_of() -> None:
    assert parse_as_of("2025/4/1") == "2025-04-01"
    assert parse_as_of("2025年4月1日") == "2025-04-01"
    with pytest.raises(ConsolidateError):
        parse_as_of("来週")
    with pytest.raises(ConsolidateError):
        parse_as_of("2025-02-30")


# --- the rules file -----------------------------------------------------------------------------

_RULE = """
rules:
  - id: r1
    code: crosscheck.facility_yes_vendor_no
    facility_item: "*"
    vendor_item: "*"
    scope: overlap
    condition: {type: answers, facility: [yes], vendor: ["no"]}
    severity: warning
"""


def test_bundled_rules_load() -> None:
    ids = {r.id for r in load_rules()}
    assert {"facility_yes_vendor_no", "facility_no_vendor_yes", "remote_maintenance_unconfirmed",
            "mds_sds_not_provided", "editions_differ", "vendor_checked_after_facility",
            "contract_copies_answer_differs", "checklist_bcp_yes_table_open"} <= ids


def test_unquoted_yes_is_read_as_meant() -> None:
    assert parse_rules(_RULE, "t.yaml")[0].condition.facility == ["yes"]


@pytest.mark.parametrize(("text", "match"), [
    (_RULE.replace("    severity: warning", "    severity: warning\n    colour: red"),
     r"^t\.yaml: rules\[0\]\.colour: 知らない項目です"),
    (_RULE.replace("type: answers,", "type: answers, extra: 1,"),
     r"^t\.yaml: rules\[0\]\.condition\.extra: 知らない項目です"),
    (_RULE.replace("type: answers", "type: magic"), r"rules\[0\]\.condition: type「magic」は使えません"),
    (_RULE.replace('vendor: ["no"]', 'vendor: ["maybe"]'),
     r"rules\[0\]\.condition\.vendor\[0\]: .*yes.*のどれかが必要です"),
    (_RULE.replace("severity: warning", "severity: fatal"), r"rules\[0\]\.severity: .*のどれかが必要です"),
    (_RULE.replace("code: crosscheck.facility_yes_vendor_no", "code: crosscheck.r1"),
     r"rules\[0\]\.code: 「crosscheck\.r1」は問題コード一覧"),
    (_RULE.replace("    code: crosscheck.facility_yes_vendor_no\n", ""), r"rules\[0\]\.code: 必須の項目がありません"),
    (_RULE.replace("severity: warning", "enabled: 'false'"), r"rules\[0\]\.enabled: true か false"),
    (_RULE + "  - id: r1\n    code: crosscheck.editions_differ\n    condition: {type: editions_differ}\n",
     r"rules\[1\]\.id: 規則 ID「r1」が重複しています"),
    ("rules: []\nextra: 1\n", r"^t\.yaml: extra: 知らない項目です"),
])
def test_rules_are_validated_strictly(text: str, match: str) -> None:
    with pytest.raises(MappingError, match=match):
        parse_rules(text, "t.yaml")


def test_rule_items_must_be_catalogue_items(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mine.yaml").write_text(
        _RULE.replace('facility_item: "*"', "facility_item: no_such_item").replace(
            'vendor_item: "*"', "vendor_item: no_such_item"), encoding="utf-8")
    with pytest.raises(MappingError, match=r"mine\.yaml: rules\[0\]\.facility_item: 項目 ID「no_such_item」"):
        load_rules(tmp_path, known_items={it.id for m in load_catalogue().forms for it in m.items})


def test_user_rules_replace_disable_and_add(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "crosscheck.yaml").write_text(
        "rules:\n"
        "  - id: facility_no_vendor_yes\n    enabled: false\n"
        "    code: crosscheck.facility_no_vendor_yes\n"
        "    facility_item: '*'\n    vendor_item: '*'\n    scope: overlap\n"
        "    condition: {type: answers, facility: ['no'], vendor: ['yes']}\n"
        "  - id: facility_blank_vendor_yes\n"
        "    code: crosscheck.answers_differ\n    severity: info\n"
        "    facility_item: '*'\n    vendor_item: '*'\n    scope: same\n"
        "    condition: {type: answers, facility: ['blank'], vendor: ['yes']}\n", encoding="utf-8")
    ids = {r.id for r in load_rules(tmp_path)}
    assert "facility_no_vendor_yes" not in ids
    assert "facility_blank_vendor_yes" in ids


def test_supersedes_must_name_a_rule(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "crosscheck.yaml").write_text(
        _RULE + "    supersedes: [ghost]\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"crosscheck\.yaml: rules\[0\]\.supersedes: 規則「ghost」がありません"):
        load_rules(tmp_path)
