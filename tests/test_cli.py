"""The command line through CliRunner: exit codes, outputs, help text."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltools.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "workbooks" / "samples"
CONTRACT = {
    "submissions.csv": ["submission_id", "path", "sheet", "sha256", "form", "variant", "edition",
                        "facility_name", "vendor_name", "system_name", "status"],
    "answers.csv": ["submission_id", "item_id", "scope", "round", "answer", "checked_on", "target_on",
                    "completed_on", "source", "raw", "sheet", "cell"],
    "problems.csv": ["submission_id", "path", "severity", "code", "message", "sheet", "cell", "item_id"],
}


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for name, cmd in cli.commands.items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "例:" in (cmd.help or ""), f"{name} help lacks an example"


def test_normalize_samples_writes_the_contract(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["normalize", str(SAMPLES), "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    for name, cols in CONTRACT.items():
        raw = (tmp_path / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{name} must start with a BOM"
        with (tmp_path / name).open(encoding="utf-8-sig") as f:
            head = next(csv.reader(f))
        assert head[: len(cols)] == cols
        assert (tmp_path / name.replace(".csv", ".parquet")).exists()
    import pandas as pd

    subs = pd.read_parquet(tmp_path / "submissions.parquet")
    assert set(subs.edition) >= {"R5", "R6", "R7", "R8"}
    assert set(subs.variant) >= {"hospital", "pharmacy", "vendor"}
    problems = pd.read_parquet(tmp_path / "problems.parquet")
    assert "read.corrupt" in set(problems.code)  # the broken sample is reported, not fatal


def test_fail_on_sets_exit_code(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["normalize", str(SAMPLES), "--out", str(tmp_path), "--fail-on", "error", "-q"])
    assert res.exit_code == 1


def test_bad_mapping_folder_exits_3(tmp_path: Path) -> None:
    (tmp_path / "R9.yaml").write_text("form: checklist\nedition: R9\nfiscal_year: 2027\nvariants: {}\nitems: [{id: x}]\n",
                                      encoding="utf-8")
    res = CliRunner().invoke(cli, ["normalize", str(SAMPLES), "--out", str(tmp_path / "o"),
                                   "--mappings", str(tmp_path)])
    assert res.exit_code == 3
    assert "R9.yaml" in res.output and "Traceback" not in res.output


def test_inspect_shows_form_fields_and_answers() -> None:
    res = CliRunner().invoke(cli, ["inspect", str(SAMPLES / "02_R6_さくら総合病院_電子カルテ事業者.xlsx")])
    assert res.exit_code == 0
    assert "checklist R6 事業者" in res.output
    assert "日本電子カルテ株式会社" in res.output
    assert "security_patch" in res.output


def test_forms_lists_editions() -> None:
    res = CliRunner().invoke(cli, ["forms"])
    assert res.exit_code == 0
    assert res.output.splitlines()[0].split()[:4] == ["様式", "版", "種類", "項目数"]
    rows = [line.split() for line in res.output.splitlines()[1:]]
    assert {r[1] for r in rows if r[0] == "checklist"} >= {"R5", "R6", "R7", "R8"}


@pytest.mark.parametrize("edition,variant", [("R7", "vendor"), ("R8", "pharmacy")])
def test_template_roundtrip(tmp_path: Path, edition: str, variant: str) -> None:
    out = tmp_path / "t.xlsx"
    res = CliRunner().invoke(cli, ["template", "checklist", "--edition", edition, "--variant", variant, "-o", str(out)])
    assert res.exit_code == 0, res.output
    from xltools import api

    sub = api.read(out).submissions.iloc[0]
    assert (sub.edition, sub.variant) == (edition, variant)


def test_unknown_edition_is_a_usage_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["template", "checklist", "--edition", "R99", "-o", str(tmp_path / "t.xlsx")])
    assert res.exit_code in (2, 3)
    assert "R99" in res.output
