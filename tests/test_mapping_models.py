"""Malformed mapping files (checklist editions, vocabulary, table catalogues, rules, user
folders) are refused through the CLI with exit 3 and one Japanese line naming the file and the
field path: never a traceback, never a silently different setting."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltools.cli import cli
from xltools.errors import XltoolsError
from xltools.forms.catalogue import BUNDLED_DIR, MappingError, load_catalogue
from xltools.forms.models import ChecklistFile, read_yaml, validate

SAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "samples" / "01_R6_さくら総合病院_記入.xlsx"
R8 = (BUNDLED_DIR / "checklist" / "R8.yaml").read_text(encoding="utf-8")
R9 = R8.replace("edition: R8", "edition: R9").replace("fiscal_year: 2026", "fiscal_year: 2027")


def _bundled(rel: str) -> str:
    return (BUNDLED_DIR / rel).read_text(encoding="utf-8")


def _once(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# (file in the user folder, its text, the field path, the message) -- each one malformed way
CASES: dict[str, tuple[str, Callable[[], str], str, str]] = {
    "quoted boolean": ("checklist/R9.yaml", lambda: _once(R9, "  gate: true", '  gate: "false"'),
                       "items[0].gate", "true か false が必要です"),
    "empty variant": ("checklist/R9.yaml",
                      lambda: _once(R9, "  vendor:\n    labels: [事業者確認用]\n    title: 医療機関・薬局におけるサイバーセキュリティ対策チェックリスト\n",
                                    "  vendor:\n"),
                      "variants.vendor", "「キー: 値」の対応表が必要です"),
    "list for a mapping": ("checklist/R9.yaml",
                           lambda: _once(R9, "recognition:\n  markers: [令和8年度版, 令和8年度]\n  numbering: circled\n",
                                         "recognition: [令和9年度版]\n"),
                           "recognition", "「キー: 値」の対応表が必要です"),
    "bad year": ("checklist/R9.yaml", lambda: _once(R9, "fiscal_year: 2027", "fiscal_year: R9"),
                 "fiscal_year", "西暦の年（例: 2026）を整数で書いてください"),
    "impossible year": ("checklist/R9.yaml", lambda: _once(R9, "fiscal_year: 2027", "fiscal_year: 27"),
                        "fiscal_year", "年 27 は西暦の年"),
    "wrong type": ("checklist/R9.yaml",
                   lambda: _once(R9, "    title: 医療機関・薬局におけるサイバーセキュリティ対策チェックリスト\nsections",
                                 "    title: [医療機関]\nsections"),
                   "variants.vendor.title", "文字列が必要です"),
    "unknown key": ("checklist/R9.yaml", lambda: _once(R9, "- id: bcp\n", "- id: bcp\n  sope: [all]\n"),
                    "items[18].sope", "知らない項目です"),
    "undeclared variant": ("checklist/R9.yaml", lambda: _once(R9, "  variants: [hospital, pharmacy]\n  scopes: [all]\n  text: 医療情報システムを導入",
                                                             "  variants: [hospital, joint]\n  scopes: [all]\n  text: 医療情報システムを導入"),
                           "items[0].variants", "様式の種類 joint が variants に書かれていません"),
    "learned file at the top": ("R7.yaml", lambda: _once(_bundled("checklist/R7.yaml"), "  rounds: 2\n",
                                                         "  rounds: three\n"),
                                "layout.rounds", "1・2 のどれかが必要です"),
    "key written twice": ("checklist/R9.yaml", lambda: _once(R9, "  rounds: 2\n", "  rounds: 2\n  rounds: 1\n"),
                          "", "行目: 同じキー「rounds」が 2 回書かれています"),
    "vocabulary unquoted yes": ("vocabulary.yaml", lambda: 'answers:\n  "yes": [はい, yes]\n',
                                "answers.yes[1]", "文字列が必要です"),
    "vocabulary unknown section": ("vocabulary.yaml", lambda: "answer:\n  yes_words: [はい]\n",
                                   "answer", "知らない項目です"),
    "table unknown key": ("tables/bcp.yaml", lambda: _bundled("tables/bcp.yaml") + "colour: red\n",
                          "colour", "知らない項目です"),
    "table bad status": ("tables/contract.yaml",
                         lambda: _once(_bundled("tables/contract.yaml"), "    status: verified\n    title_status",
                                       "    status: maybe\n    title_status"),
                         "entries[0].status", "verified・reconstructed のどれかが必要です"),
    "table key of the other table": ("tables/contract.yaml",
                                     lambda: _bundled("tables/contract.yaml") + "answer_headers: [チェック]\n",
                                     "answer_headers", "contract の確認表には書けない項目です"),
    "rule quoted boolean": ("rules/crosscheck.yaml",
                            lambda: "rules:\n  - id: editions_differ\n    code: crosscheck.editions_differ\n"
                                    "    condition: {type: editions_differ}\n    enabled: 'false'\n",
                            "rules[0].enabled", "true か false が必要です"),
    "rule code built from its id": ("rules/mine.yaml",
                                    lambda: "rules:\n  - id: mine\n    code: crosscheck.mine\n"
                                            "    condition: {type: editions_differ}\n",
                                    "rules[0].code", "「crosscheck.mine」は問題コード一覧"),
    "rule condition list": ("rules/tables.yaml",
                            lambda: "rules:\n  - id: x\n    code: crosscheck.contract_answer_differs\n"
                                    "    condition: [contract_copies]\n",
                            "rules[0].condition", "「キー: 値」の対応表が必要です"),
    "not YAML": ("checklist/R9.yaml", lambda: "form: checklist\nitems: [\n", "", "YAML として読めません"),
    "a list for the whole file": ("checklist/R9.yaml", lambda: "- form: checklist\n", "",
                                  "ファイル全体が「キー: 値」の対応表になっていません"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_mapping_exits_3_with_one_line(case: str, tmp_path: Path) -> None:
    rel, text, field, message = CASES[case]
    maps = tmp_path / "maps"
    (maps / rel).parent.mkdir(parents=True, exist_ok=True)
    (maps / rel).write_text(text(), encoding="utf-8")
    res = CliRunner().invoke(cli, ["normalize", str(SAMPLE), "--out", str(tmp_path / "out"),
                                   "--mappings", str(maps), "-q"])
    assert res.exit_code == 3, res.output
    assert "Traceback" not in res.output and not isinstance(res.exception, MappingError)
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    where = f"{maps / rel}: {field}: " if field else f"{maps / rel}: "
    assert where in lines[0] and message in lines[0], lines[0]
    assert not (tmp_path / "out").exists()  # nothing was read with a half-understood mapping


def test_mapping_error_is_the_library_exception_family(tmp_path: Path) -> None:
    (tmp_path / "R9.yaml").write_text(_once(R9, "  gate: true", '  gate: "false"'), encoding="utf-8")
    with pytest.raises(MappingError) as err:
        load_catalogue(tmp_path)
    assert isinstance(err.value, XltoolsError) and err.value.exit_code == 3
    assert "\n" not in str(err.value)


def test_a_correct_user_edition_loads(tmp_path: Path) -> None:
    (tmp_path / "checklist").mkdir()
    (tmp_path / "checklist" / "R9.yaml").write_text(R9, encoding="utf-8")
    r9 = load_catalogue(tmp_path).get("checklist", "R9")
    assert r9.fiscal_year == 2027 and r9.item("has_system").gate is True
    assert r9.items == load_catalogue().get("checklist", "R8").items


@pytest.mark.parametrize("path", sorted(p.relative_to(BUNDLED_DIR).as_posix()
                                        for p in BUNDLED_DIR.rglob("*.yaml")))
def test_every_bundled_file_fits_its_model(path: str) -> None:
    """The bundled files load (through the catalogue) and a checklist file's booleans are
    booleans, not words: ``gate: "false"`` can never be read as true."""
    load_catalogue()
    if path.startswith("checklist/"):
        spec = validate(ChecklistFile, read_yaml(_bundled(path), path), path)
        assert all(isinstance(it.gate, bool) for it in spec.items)
        assert re.fullmatch(r"R\d+", spec.edition)
