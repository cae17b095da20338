"""Header fields in every spelling respondents use, read into the submission's columns.

``label：value``, ``label: value``, ``label　value``, ``【label】value`` in one cell; the label
alone with the value to the right (past empty merged cells) or below; every label of the
vocabulary's common spellings (医療機関名 / 医療機関等名称 / 薬局名, 事業者名 / 会社名 /
会社名（事業者名）, システム名, 記入者 / 回答者, 医療機関コード).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit import relay
from xltools import api
from xltools.forms.catalogue import load_catalogue
from xltools.forms.locate import Words, _inline_value

CASES = [(style, n, variant) for style in relay.FIELD_STYLES for n in range(3)
         for variant in ("vendor", "hospital")]


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int, str], tuple]:
    d = tmp_path_factory.mktemp("fields")
    out = {}
    for style, n, variant in CASES:
        labels = {f: ls[n % len(ls)] for f, ls in relay.FIELD_LABELS.items()}
        pharmacy = labels["facility_name"] == "薬局名"
        spec = relay.OneRound(
            edition="R7", variant=variant if not (pharmacy and variant == "hospital") else "pharmacy",
            field_style=style, labels=labels, seed=n, grid=n == 1,
            facility_name="みなと薬局 本町店" if pharmacy else "さくら総合病院",
            vendor_name="ファーマネット株式会社" if variant == "vendor" else "",
            system_name="電子カルテシステム" if variant == "vendor" else "",
            respondent="佐藤 花子", facility_code="" if variant == "vendor" else "0112345")
        path = d / f"{style}_{n}_{variant}.xlsx"
        out[(style, n, variant)] = (relay.write_one_round(path, spec), path)
    return out


@pytest.fixture(scope="module")
def read(copies: dict) -> api.Result:
    return api.read_many([p for _t, p in copies.values()])


@pytest.mark.parametrize("style", relay.FIELD_STYLES)
def test_every_spelling_is_read(copies: dict, read: api.Result, style: str) -> None:
    subs = read.submissions.set_index("path")
    for (st, _n, _v), (truth, path) in copies.items():
        if st != style:
            continue
        got = subs.loc[str(path)]
        for f in ("facility_name", "vendor_name", "system_name", "respondent", "facility_code"):
            assert got[f] == getattr(truth, f), (path.name, f)
    codes = set(read.problems[read.problems.path.str.contains(f"/{style}_")].code)
    assert not {"locate.facility_missing", "locate.vendor_missing"} & codes


@pytest.mark.parametrize(("raw", "label", "value"), [
    ("会社名（事業者名）：ファーマネット株式会社", "会社名", "ファーマネット株式会社"),
    ("医療機関名: さくら総合病院", "医療機関名", "さくら総合病院"),
    ("医療機関等名称　医療法人社団 青葉会 青葉クリニック", "医療機関等名称", "医療法人社団 青葉会 青葉クリニック"),
    ("【記入者】情報 太郎", "記入者", "情報 太郎"),
    ("会社名　(株)レセプトワークス", "会社名", "(株)レセプトワークス"),
    ("会社名：(株)レセプトワークス", "会社名", "(株)レセプトワークス"),
    ("［システム名］ 電子カルテ", "システム名", "電子カルテ"),
    ("医療機関におけるサイバーセキュリティ対策チェックリスト", "医療機関", None),
    ("事業者確認用", "事業者", None),
    ("会社名（事業者名", "会社名", None),
])
def test_inline_value(raw: str, label: str, value: str | None) -> None:
    assert _inline_value(raw, label) == value


def test_a_form_label_after_a_space_is_no_value() -> None:
    from xltools.forms.locate import Scan, find_fields
    from xltools.xlsx.book import Sheet

    words = Words.of(load_catalogue())
    sheet = Sheet("s", 0, [["医療機関 確認用", "事業者 記入欄"], ["医療機関名", "さくら総合病院"],
                           ["システム名", "", "", "", "事業者確認用"]], [])
    fields = find_fields(Scan.of(sheet), words, set())
    assert fields["facility_name"].value == "さくら総合病院"
    assert "vendor_name" not in fields and "system_name" not in fields


def test_a_sentence_starting_with_a_label_is_no_field(tmp_path: Path) -> None:
    """The title 医療機関における… starts with the label 医療機関 but is not a field."""
    words = Words.of(load_catalogue())
    assert "医療機関" in words.fields["facility_name"]
    spec = relay.OneRound(edition="R7", variant="hospital", field_style="right",
                          labels={"facility_name": "医療機関名"}, facility_name="")
    relay.write_one_round(tmp_path / "x.xlsx", spec)
    res = api.read(tmp_path / "x.xlsx")
    assert res.submissions.iloc[0].facility_name == ""
    assert "locate.facility_missing" in set(res.problems.code)
