"""Every edge a user touches on the command line: Japanese help and usage errors, one
``エラー:`` line with exit 2 or 3 for each command's mistakes, validated options."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from xltools.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "workbooks" / "samples"
GOOD = SAMPLES / "01_R6_さくら総合病院_記入.xlsx"
VENDOR = SAMPLES / "02_R6_さくら総合病院_電子カルテ事業者.xlsx"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_error(res: Result, code: int, *words: str) -> str:
    """The run ended with ``code`` and exactly one Japanese ``エラー:`` line, no traceback."""
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output and res.exception is None or \
        isinstance(res.exception, SystemExit), res.output
    errors = [line for line in res.stderr.splitlines() if line.startswith("エラー: ")]
    assert len(errors) == 1, res.stderr
    assert JAPANESE.search(errors[0]), errors[0]
    assert "Error:" not in res.output and "Usage:" not in res.output
    for w in words:
        assert w in errors[0], errors[0]
    return errors[0]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("inbox")
    for p in (GOOD, VENDOR):
        shutil.copy(p, d / p.name)
    return d


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    """A place no output can go, even for root: its 'folder' is a file."""
    f = tmp_path / "file_not_folder"
    f.write_text("x", encoding="utf-8")
    return f


# --------------------------------------------------------------------------------------------
# help


def _commands() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("name", ["", *_commands()])
def test_help_is_japanese_with_an_example(name: str) -> None:
    res = run(*([name] if name else []), "--help")
    assert res.exit_code == 0, res.output
    text = res.output
    assert text.startswith("使い方: xltools"), text[:80]
    assert "\n例:" in text or "  例:" in text
    example = text.split("例:", 1)[1].strip().splitlines()[0]
    assert example.startswith("xltools "), example
    assert "オプション" in text and "この説明を表示して終わります" in text
    for english in ("Usage:", "Options:", "Show this message", "[default:", "Example:"):
        assert english not in text, english
    cmd = cli.commands.get(name, cli)
    assert JAPANESE.search((cmd.help or "").splitlines()[0]), "summary must be Japanese"
    for p in cmd.params:
        if getattr(p, "help", None) is not None:
            assert JAPANESE.search(p.help or ""), f"{name} {p.name}: {p.help}"


def test_help_examples_are_real_commands() -> None:
    """Every example names an existing command and only options that command has."""
    for name, cmd in cli.commands.items():
        block = (cmd.help or "").split("例:", 1)[1]
        for line in block.splitlines():
            words = line.strip().rstrip("\\").split()
            if not words or words[0] != "xltools":
                continue
            sub = cli.commands[words[1]]
            known = {o for p in sub.params for o in (*p.opts, *p.secondary_opts)}
            for w in words[2:]:
                if w.startswith("-"):
                    assert w in known, f"{name}: example uses unknown {w} for {words[1]}"


# --------------------------------------------------------------------------------------------
# click's own usage errors, in Japanese


def test_missing_path_is_a_japanese_usage_error(tmp_path: Path) -> None:
    res = run("normalize", tmp_path / "存在しない", "--out", tmp_path / "o")
    line = one_error(res, 2, "パス", "存在しない", "見つかりません")
    assert line == f"エラー: パス '{tmp_path / '存在しない'}' が見つかりません。"
    assert res.stderr.startswith("使い方: xltools normalize")


def test_missing_option_unknown_option_bad_choice_no_such_command(inbox: Path) -> None:
    one_error(run("normalize", inbox), 2, "--out", "指定してください")
    one_error(run("normalize", inbox, "--out", "o", "--outt", "x"), 2, "--outt", "ありません")
    one_error(run("template", "spreadsheet", "-o", "x.xlsx"), 2, "spreadsheet", "checklist")
    one_error(run("consolidat", inbox), 2, "consolidat", "ありません")
    one_error(run("normalize", inbox, "--out"), 2, "--out")


# --------------------------------------------------------------------------------------------
# every command: unwritable output (3), missing input (2), bad option value (2)


def test_normalize_edges(inbox: Path, blocked: Path, tmp_path: Path) -> None:
    one_error(run("normalize", inbox, "--out", blocked / "o", "-q", "--no-store"), 3, "o")
    one_error(run("normalize", tmp_path / "none.xlsx", "--out", tmp_path / "o"), 2,
              "none.xlsx", "見つかりません")
    one_error(run("normalize", inbox, "--out", tmp_path / "o", "--format", "xml"), 2,
              "xml", "csv, parquet, xlsx")
    one_error(run("normalize", inbox, "--out", tmp_path / "o", "--format", "csv,xml"), 2, "xml")
    one_error(run("normalize", inbox, "--out", tmp_path / "o", "--jobs", "0"), 2, "--jobs")
    one_error(run("normalize", inbox, "--out", tmp_path / "o", "--time-limit", "soon"), 2,
              "--time-limit")
    one_error(run("normalize", inbox, "--out", tmp_path / "g.csv"), 2, "フォルダ")
    assert not (tmp_path / "o").exists()  # a refused option writes nothing


def test_consolidate_edges(inbox: Path, blocked: Path, tmp_path: Path) -> None:
    one_error(run("consolidate", inbox, "--out", blocked / "集計.xlsx", "-q"), 3, "集計.xlsx")
    one_error(run("consolidate", tmp_path / "none", "--out", tmp_path / "a.xlsx"), 2, "none")
    one_error(run("consolidate", inbox, "--out", tmp_path / "g.csv"), 2, ".xlsx", "g.csv")
    one_error(run("consolidate", inbox, "--out", tmp_path / "a.xlsx", "--as-of", "someday"), 2,
              "基準日")
    one_error(run("consolidate", inbox, "--out", tmp_path / "a.xlsx", "--fail-on", "fatal"), 2,
              "fatal")
    one_error(run("consolidate", inbox, "--out", tmp_path / "a.xlsx", "--feedback",
                  blocked / "letters", "-q"), 3, "letters")


def test_inspect_edges(tmp_path: Path) -> None:
    one_error(run("inspect", tmp_path / "none.xlsx"), 2, "none.xlsx", "見つかりません")
    one_error(run("inspect", GOOD, "--fail-on", "fatal"), 2, "fatal")
    one_error(run("inspect", tmp_path), 2, "フォルダ")


def test_template_edges(blocked: Path, tmp_path: Path) -> None:
    one_error(run("template", "checklist", "-o", blocked / "t.xlsx"), 3, "t.xlsx")
    one_error(run("template", "checklist", "--edition", "R99", "-o", tmp_path / "t.xlsx"), 2,
              "R99", "R8")
    one_error(run("template", "checklist", "--variant", "clinic", "-o", tmp_path / "t.xlsx"), 2,
              "clinic", "hospital")
    one_error(run("template", "checklist", "-o", tmp_path / "t.csv"), 2, ".xlsx")
    one_error(run("template", "bcp", "-o", blocked / "b.xlsx"), 3, "b.xlsx")


def test_fill_edges(blocked: Path, tmp_path: Path) -> None:
    one_error(run("fill", "--example", blocked / "ex.xlsx"), 3, "ex.xlsx")
    one_error(run("fill", "--example", tmp_path / "ex.xlsx", "--edition", "R99"), 2, "R99")
    one_error(run("fill", tmp_path / "none.xlsx", tmp_path / "a.xlsx", "--out", tmp_path / "o"),
              2, "none.xlsx")
    one_error(run("fill", GOOD, GOOD, "--out", tmp_path / "o", "--mark", "tick"), 2, "tick")
    one_error(run("fill", "--example", tmp_path / "ex.csv"), 2, ".xlsx")
    ex = tmp_path / "ex.xlsx"
    assert run("fill", "--example", ex).exit_code == 0
    tpl = tmp_path / "tpl.xlsx"
    assert run("template", "checklist", "--variant", "vendor", "-o", tpl).exit_code == 0
    one_error(run("fill", tpl, ex, "--out", blocked / "out"), 2)  # the example has no facility


def test_learn_edges(blocked: Path, tmp_path: Path) -> None:
    blank = tmp_path / "R8.xlsx"
    assert run("template", "checklist", "-o", blank).exit_code == 0
    one_error(run("learn", blank, "--edition", "R9", "--out", blocked / "R9.yaml",
                  "--accept-uncertain"), 3, "R9.yaml")
    one_error(run("learn", tmp_path / "none.xlsx"), 2, "none.xlsx")
    one_error(run("learn", blank, "--variant", "clinic"), 2, "clinic")
    one_error(run("learn", blank, "--edition", "R9", "--out", tmp_path / "R9.txt"), 2, ".yaml")


def test_status_and_forms_edges(tmp_path: Path) -> None:
    one_error(run("status", "--store", tmp_path / "nothing-here"), 3, "ストアが見つかりません")
    one_error(run("forms", "--mappings", tmp_path / "none"), 2, "none")


# --------------------------------------------------------------------------------------------
# options validated and honoured


def test_format_is_case_insensitive_and_xlsx_holds_the_same_tables(inbox: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "o"
    res = run("normalize", inbox, "--out", out, "--format", "CSV,Xlsx", "-q", "--no-store")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["answers.csv", "problems.csv",
                                                      "submissions.csv", "tables.xlsx"]
    wb = openpyxl.load_workbook(out / "tables.xlsx", read_only=True)
    assert wb.sheetnames == ["submissions", "answers", "problems"]
    for name in wb.sheetnames:
        csv = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
        rows = list(wb[name].iter_rows(values_only=True))
        assert list(rows[0]) == list(csv.columns)
        assert len(rows) - 1 == len(csv)
    answers = pd.read_excel(out / "tables.xlsx", sheet_name="answers", dtype=str, engine="openpyxl")
    csv = pd.read_csv(out / "answers.csv", encoding="utf-8-sig", dtype=str)
    assert answers["answer"].tolist() == csv["answer"].tolist()
    assert answers["cell"].tolist() == csv["cell"].tolist()


def test_jobs_above_the_cpus_is_capped_with_a_note(inbox: Path, tmp_path: Path) -> None:
    res = run("normalize", inbox, "--out", tmp_path / "o", "--jobs", "100000", "--no-store", "-q")
    assert res.exit_code == 0, res.output
    assert "注意: --jobs 100000 は CPU の数" in res.stderr
    from xltools.batch.runner import cpu_count

    if cpu_count() < 2:
        return
    res = run("normalize", GOOD, "--out", tmp_path / "o1", "--jobs", "2", "--no-store", "-q")
    assert res.exit_code == 0, res.output
    assert "ファイルが 1 件のため、--jobs 2 ではなく 1 プロセスで読みました" in res.stderr


def test_consolidate_no_store_into_a_missing_folder(inbox: Path, tmp_path: Path) -> None:
    for store in ("--store", "--no-store"):
        out = tmp_path / store / "深い" / "集計.xlsx"
        res = run("consolidate", inbox, "--out", out, store, "-q")
        assert res.exit_code == 0, res.output
        assert out.is_file()


@pytest.mark.parametrize("as_of", ["令和8年4月1日", "R8.4.1", "2026-04-01", "2026/4/1"])
def test_era_dates_for_as_of(inbox: Path, tmp_path: Path, as_of: str) -> None:
    from xltools import api

    done = api.consolidate(inbox, as_of=as_of, jobs=1)
    assert done.consolidation.as_of == "2026-04-01"
    res = run("consolidate", inbox, "--out", tmp_path / "a.xlsx", "--as-of", as_of, "-q",
              "--no-store")
    assert res.exit_code == 0, res.output


def test_inspect_exit_codes() -> None:
    res = run("inspect", SAMPLES / "99_壊れたファイル.xlsx")
    one_error(res, 3, "99_壊れたファイル.xlsx")
    assert run("inspect", GOOD, "--fail-on", "never").exit_code == 0


def test_passwords_are_honoured_and_a_wrong_one_is_named(tmp_path: Path) -> None:
    from msoffcrypto.format import ooxml

    if not hasattr(ooxml.OOXMLFile, "encrypt"):
        pytest.skip("this msoffcrypto-tool cannot encrypt")
    locked = tmp_path / "locked.xlsx"
    with GOOD.open("rb") as fh, locked.open("wb") as out:
        ooxml.OOXMLFile(fh).encrypt("秘密", out)
    none = one_error(run("inspect", locked), 3)
    wrong = one_error(run("inspect", locked, "--password", "違う"), 3)
    assert "--password" in none and none != wrong and "指定されたパスワード" in wrong
    assert run("inspect", locked, "--password", "違う", "--password", "秘密",
               "--fail-on", "never").exit_code == 0
    pw = tmp_path / "pw.txt"
    pw.write_text("違う\n秘密\n", encoding="utf-8")
    res = run("normalize", locked, "--out", tmp_path / "o", "--passwords", pw, "-q", "--no-store")
    assert res.exit_code == 0, res.output
    codes = pd.read_csv(tmp_path / "o" / "problems.csv", encoding="utf-8-sig")["code"].tolist()
    assert "read.decrypted" in codes
    res = run("learn", locked, "--password", "秘密", "--edition", "R6", "--accept-uncertain")
    assert res.exit_code == 0, res.output
