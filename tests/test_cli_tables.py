"""`xltools forms` and `xltools template contract|bcp` through CliRunner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltools import api
from xltools.cli import cli
from xltools.forms.catalogue import BUNDLED_DIR
from xltools.forms.table_catalogue import load_table_catalogue
from xltools.xlsx.book import read_book


def _lines(output: str) -> dict[tuple[str, str], str]:
    rows = {}
    for line in output.splitlines()[1:]:
        parts = line.split()
        rows[(parts[0], parts[1])] = line
    return rows


def test_forms_lists_checklist_editions_and_both_tables() -> None:
    result = CliRunner().invoke(cli, ["forms"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[:6] == ["様式", "版", "種類", "項目数",
                                                        "確認済み", "表題"]
    rows = _lines(result.output)
    assert {("checklist", e) for e in ("R5", "R6", "R7", "R8")} <= set(rows)
    for form, variant in (("contract", "joint"), ("bcp", "hospital")):
        cat = load_table_catalogue(form)
        line = rows[(form, "2024")]
        parts = line.split()
        assert parts[2] == variant
        assert int(parts[3]) == len(cat.entries)
        assert int(parts[4]) == sum(e.exists_verified for e in cat.entries)
        assert cat.title in line and line.endswith(f"tables/{form}.yaml")


def test_forms_names_a_broken_table_catalogue(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    text = (BUNDLED_DIR / "tables" / "bcp.yaml").read_text(encoding="utf-8")
    (tmp_path / "tables" / "bcp.yaml").write_text(text + "colour: red\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["forms", "--mappings", str(tmp_path)])
    assert result.exit_code == 3
    assert "colour" in result.output and "bcp.yaml" in result.output


def test_forms_shows_a_users_table_catalogue(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    shutil.copy(BUNDLED_DIR / "tables" / "contract.yaml", tmp_path / "tables" / "contract.yaml")
    result = CliRunner().invoke(cli, ["forms", "--mappings", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "tables" / "contract.yaml") in _lines(result.output)[("contract", "2024")]


@pytest.mark.parametrize("form", ["contract", "bcp"])
def test_template_command_writes_a_readable_marked_table(tmp_path: Path, form: str) -> None:
    out = tmp_path / f"{form}.xlsx"
    result = CliRunner().invoke(cli, ["template", form, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    res = api.read(out)
    assert res.submissions["form"].tolist() == [form]
    assert set(res.answers["item_id"]) == {e.id for e in load_table_catalogue(form).entries}
    text = " ".join(str(v) for row in read_book(out).sheets[0].rows for v in row if v)
    assert "※文言は再構成" in text  # reconstructed wording is marked


def test_template_command_unwritable_output_is_exit_3(tmp_path: Path) -> None:
    (tmp_path / "no").write_text("a file where a folder should be", encoding="utf-8")
    result = CliRunner().invoke(cli, ["template", "bcp", "-o", str(tmp_path / "no" / "x.xlsx")])
    assert result.exit_code == 3, result.output
