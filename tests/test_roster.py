"""Roster loading and facility-name matching (near-misses are reported, never merged)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xltools.aggregate.roster import (
    NameIndex,
    RosterError,
    facility_part,
    load_roster,
    make_roster,
    normalize_code,
    normalize_name,
    resolve_column,
)


@pytest.mark.parametrize(("written", "key"), [
    ("医療法人社団 桜会 さくら病院", "桜会さくら病院"),
    ("医療法人財団さくら会", "さくら会"),
    ("社会医療法人 あおば", "あおば"),
    ("㈱ さくら薬局", "さくら薬局"),
    ("（株）さくら薬局", "さくら薬局"),
    ("さくら薬局株式会社", "さくら薬局"),
    ("有限会社 みどり薬局", "みどり薬局"),
    ("地方独立行政法人 市立病院機構 市民病院", "市立病院機構市民病院"),
    ("独立行政法人 国立病院", "国立病院"),
    ("一般財団法人 あおば会", "あおば会"),
    ("公益財団法人 あおば会", "あおば会"),
    ("ｻｸﾗ　ｸﾘﾆｯｸ", "サクラクリニック"),
    ("髙橋医院", "高橋医院"),
    ("霞ヶ関病院", "霞ケ関病院"),
    ("ABC Clinic", "abcclinic"),
])
def test_normalize_name(written: str, key: str) -> None:
    assert normalize_name(written) == key


def test_facility_part_only_after_a_legal_entity_name() -> None:
    assert facility_part("医療法人社団 桜会 さくら病院") == "さくら病院"
    assert facility_part("さくら 病院") == ""  # no legal form: not split
    assert facility_part("医療法人社団 桜会") == ""  # last part is not a facility name


def test_normalize_code_ignores_width_hyphens_and_leading_zeros() -> None:
    assert normalize_code("０１-１２３４５６７８") == normalize_code("112345678") == "112345678"


@pytest.fixture
def index() -> NameIndex:
    return NameIndex.from_records([
        ("a", "さくら病院", "1312345678"), ("b", "さくら医院", ""), ("c", "あおば総合病院", ""),
        ("d", "みどりクリニック", ""), ("e", "ひかり薬局", ""), ("f", "ひかり 薬局", ""),
    ])


def test_match_by_code_first(index: NameIndex) -> None:
    m = index.match("全く別の名前", "1312345678")
    assert (m.target_id, m.method, m.score) == ("a", "code", 100.0)


def test_match_by_exact_name_ignoring_spaces_and_width(index: NameIndex) -> None:
    assert index.match("さくら　病院").method == "name"
    assert index.match("さくら病院").target_id == "a"


def test_match_by_normalized_name(index: NameIndex) -> None:
    m = index.match("医療法人社団 桜会 さくら病院")
    assert (m.target_id, m.method) == ("a", "normalized")
    assert index.match("㈱みどりクリニック").method == "normalized"


def test_suffix_variant_is_a_near_miss_not_a_match(index: NameIndex) -> None:
    m = index.match("さくらクリニック")
    assert not m.matched and m.method == "none" and m.target_id == ""
    assert {(c.target_id, c.score) for c in m.candidates} == {("a", 95.0), ("b", 95.0)}
    assert "末尾の種別名が異なる" in m.near_misses()


def test_fuzzy_near_miss_carries_a_score(index: NameIndex) -> None:
    m = index.match("あおば病院")
    assert not m.matched
    assert m.candidates[0].target_id == "c"
    assert 75 <= m.candidates[0].score < 100


def test_code_conflict_is_not_merged(index: NameIndex) -> None:
    m = index.match("さくら病院", "9999999999")
    assert not m.matched
    assert m.candidates[0].reason == "コードが異なる"


def test_duplicate_names_are_ambiguous(index: NameIndex) -> None:
    m = index.match("ひかり薬局")
    assert not m.matched
    assert {c.target_id for c in m.candidates} == {"e", "f"}
    assert all(c.reason == "同名が複数" for c in m.candidates)


def test_unrelated_name_has_no_candidates(index: NameIndex) -> None:
    m = index.match("まったく違う施設名")
    assert not m.matched and m.candidates == ()


def _csv(tmp_path: Path, text: str, encoding: str) -> Path:
    p = tmp_path / "roster.csv"
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_load_csv_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    text = ("医療機関コード,医療機関名,種別,保健所,法人\n"
            "0112345678,さくら病院,病院,中央保健所,桜会\n,あおば薬局,保険薬局,北保健所,\n")
    df = load_roster(_csv(tmp_path, text, encoding))
    assert df["name"].tolist() == ["さくら病院", "あおば薬局"]
    assert df["facility_code"].tolist() == ["0112345678", ""]  # leading zero kept
    assert df["kind"].tolist() == ["病院", "薬局"]
    assert df["area"].tolist() == ["中央保健所", "北保健所"]
    assert df["group"].tolist() == ["桜会", ""]
    assert df["roster_id"].tolist() == ["C112345678", "R2"]
    assert df["row"].tolist() == [2, 3]


def test_load_csv_with_title_rows_english_headers_and_extra_columns(tmp_path: Path) -> None:
    text = "令和7年度 名簿\n\ncode,name,kind,area,group,担当\n1,A Hospital,hospital,North,G1,山田\n"
    df = load_roster(_csv(tmp_path, text, "utf-8"))
    assert df.loc[0, "name"] == "A Hospital"
    assert df.loc[0, "kind"] == "病院"
    assert df.loc[0, "担当"] == "山田"
    assert resolve_column(df, "担当") == "担当"


def test_load_xlsx(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["施設一覧"])
    ws.append(["施設コード", "施設名", "区分", "地域", "グループ"])
    ws.append(["1312345678", "さくら病院", "病院", "中央", "桜会"])
    ws.append([None, None, None, None, None])
    ws.append([None, "みどり医院", "診療所", "北", None])
    p = tmp_path / "roster.xlsx"
    wb.save(p)
    df = load_roster(p)
    assert df["name"].tolist() == ["さくら病院", "みどり医院"]
    assert df["kind"].tolist() == ["病院", "診療所"]
    assert df["row"].tolist() == [3, 5]


def test_roster_without_a_name_column_fails_naming_the_file(tmp_path: Path) -> None:
    p = _csv(tmp_path, "コード,住所\n1,東京\n", "utf-8")
    with pytest.raises(RosterError, match="roster.csv.*名称の列"):
        load_roster(p)


def test_missing_roster_file(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="見つかりません"):
        load_roster(tmp_path / "none.csv")


def test_resolve_column_by_field_or_japanese_header() -> None:
    roster = make_roster([{"name": "x"}])
    assert resolve_column(roster, "保健所") == "area"
    assert resolve_column(roster, "法人") == "group"
    assert resolve_column(roster, "kind") == "kind"
    assert resolve_column(None, "edition") == "edition"
    with pytest.raises(RosterError):
        resolve_column(roster, "存在しない列")
