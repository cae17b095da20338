"""Roster CSVs in every encoding Japanese offices save them in, or a refusal naming the encoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from xltools.aggregate.roster import RosterError, decode_roster, load_roster

TEXT = ("医療機関コード,医療機関名,種別,保健所,法人\r\n"
        "0112345678,さくら病院,病院,中央保健所,医療法人社団桜会\r\n"
        ",あおば薬局,保険薬局,北保健所,\r\n"
        "0113000001,髙橋クリニック,診療所,南保健所,（医）髙橋会\r\n")
NAMES = ["さくら病院", "あおば薬局", "髙橋クリニック"]


def _write(tmp_path: Path, data: bytes) -> Path:
    p = tmp_path / "roster.csv"
    p.write_bytes(data)
    return p


ENCODED = {
    "utf-8": TEXT.encode("utf-8"),
    "utf-8-sig": TEXT.encode("utf-8-sig"),
    "utf-16-le": b"\xff\xfe" + TEXT.encode("utf-16-le"),
    "utf-16-be": b"\xfe\xff" + TEXT.encode("utf-16-be"),
    "cp932": TEXT.encode("cp932"),
    "euc_jp": TEXT.replace("髙", "高").encode("euc_jp"),  # 髙 is not in EUC-JP
}


@pytest.mark.parametrize("encoding", list(ENCODED))
def test_roster_is_read_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    df = load_roster(_write(tmp_path, ENCODED[encoding]))
    want = NAMES if encoding != "euc_jp" else ["さくら病院", "あおば薬局", "高橋クリニック"]
    assert df["name"].tolist() == want
    assert df["facility_code"].tolist() == ["0112345678", "", "0113000001"]
    assert df["kind"].tolist() == ["病院", "薬局", "診療所"]
    assert df["area"].tolist() == ["中央保健所", "北保健所", "南保健所"]


@pytest.mark.parametrize("encoding", list(ENCODED))
def test_the_encoding_is_named(encoding: str) -> None:
    assert decode_roster(ENCODED[encoding])[1] == encoding


# every character chosen so that the EUC-JP bytes are also valid CP932 bytes: read as CP932
# they decode without error into half-width kana (the garbling the issue saw)
TRAP = "医療機関コード,医療機関名,区分\n0112345678,さくら病院,病院\n,あおば薬局,保険薬局\n,中央病院,病院\n"


def test_euc_jp_bytes_that_are_also_valid_cp932_are_read_as_euc_jp(tmp_path: Path) -> None:
    data = TRAP.encode("euc_jp")
    assert "医療機関名" not in data.decode("cp932")  # decodes without error: the trap
    assert decode_roster(data) == (TRAP, "euc_jp")
    df = load_roster(_write(tmp_path, data))
    assert df["name"].tolist() == ["さくら病院", "あおば薬局", "中央病院"]


def test_euc_jp_without_a_header_word_is_still_told_from_cp932() -> None:
    text = "さくら病院,中央病院\n青葉薬局,山田医院\n"
    data = text.encode("euc_jp")
    data.decode("cp932")
    assert decode_roster(data) == (text, "euc_jp")


def test_half_width_kana_in_cp932_stays_cp932(tmp_path: Path) -> None:
    text = "医療機関名,種別\nｻｸﾗ病院,病院\n"
    df = load_roster(_write(tmp_path, text.encode("cp932")))
    assert df["name"].tolist() == ["ｻｸﾗ病院"]


def test_bytes_in_no_known_encoding_are_refused_naming_the_encoding(tmp_path: Path) -> None:
    data = "医療機関名\n".encode() + b"\x82\xa0\xff\xfe\x80\xa0\n"
    with pytest.raises(RosterError, match="文字コードを判別できません") as err:
        load_roster(_write(tmp_path, data))
    assert "EUC-JP" in str(err.value) and "CSV UTF-8" in str(err.value)


def test_a_bom_that_lies_is_refused(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + TEXT.encode("cp932")
    with pytest.raises(RosterError, match=r"UTF-8（BOM 付き）.*文字コードではありません"):
        load_roster(_write(tmp_path, data))


def test_no_name_column_says_which_encoding_was_assumed(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match=r"名称の列が見つかりません.*Shift_JIS（CP932）"):
        load_roster(_write(tmp_path, "番号,住所\n1,札幌市\n".encode("cp932")))
