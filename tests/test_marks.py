"""Drawn marks decided in one place for every form (:func:`xltools.decode.apply_drawn_marks`):
an ellipse over one word answers, and a damaged drawing part is reported, never dropped."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from testkit import drawing_writer
from testkit.table_synth import ContractSpec, write_table_workbook
from xltools import api


def _damage_drawings(data: bytes) -> bytes:
    """The same package with every DrawingML drawing part cut off mid-element."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/drawings/drawing") and info.filename.endswith(".xml"):
                body = body[: len(body) // 2]
            dst.writestr(info.filename, body)
    return out.getvalue()


@pytest.fixture(scope="module")
def checklist_files(templates_dir: Path, tmp_path_factory: pytest.TempPathFactory
                    ) -> tuple[Path, Path, dict[str, str]]:
    """A blank R6 checklist with ellipses drawn over six answer cells, intact and damaged."""
    folder = tmp_path_factory.mktemp("marks_checklist")
    blank = templates_dir / "R6_hospital.xlsx"
    first = api.read(blank).answers
    first = first[first["round"] == 1].head(6)
    data, want = blank.read_bytes(), {}
    for n, row in enumerate(first.itertuples()):
        word = "はい" if n % 2 == 0 else "いいえ"
        data = drawing_writer.add_ellipse_over_word(data, row.sheet, row.cell, word)
        want[row.cell] = "yes" if word == "はい" else "no"
    intact, damaged = folder / "drawn.xlsx", folder / "damaged.xlsx"
    intact.write_bytes(data)
    damaged.write_bytes(_damage_drawings(data))
    return intact, damaged, want


@pytest.fixture(scope="module")
def contract_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A contract table answered by ellipses over はい・いいえ, intact and damaged."""
    folder = tmp_path_factory.mktemp("marks_contract")
    intact = folder / "確認表_さくら病院_(株)ABC.xlsx"
    write_table_workbook(intact, [ContractSpec(answer_style="shape", p_blank=0.0, seed=3)])
    damaged = folder / "確認表_ひかり病院_(株)ABC.xlsx"
    damaged.write_bytes(_damage_drawings(intact.read_bytes()))
    return intact, damaged


def _codes(problems: pd.DataFrame) -> set[str]:
    return set(problems.code)


def test_checklist_ellipses_answer(checklist_files: tuple[Path, Path, dict[str, str]]) -> None:
    intact, _, want = checklist_files
    res = api.read(intact)
    got = res.answers[res.answers.cell.isin(want) & (res.answers["round"] == 1)]
    assert dict(zip(got.cell, got.answer)) == want
    assert set(got.source) == {"shape"}
    assert "mark.drawing_unreadable" not in _codes(res.problems)


def test_checklist_damaged_drawing_is_reported(checklist_files: tuple[Path, Path, dict[str, str]]
                                               ) -> None:
    _, damaged, want = checklist_files
    res = api.read(damaged)
    bad = res.problems[res.problems.code == "mark.drawing_unreadable"]
    assert len(bad) == 1
    row = bad.iloc[0]
    assert row.path == str(damaged)
    assert row.sheet == res.submissions.iloc[0].sheet
    assert row.submission_id == res.submissions.iloc[0].submission_id
    assert "xl/drawings/drawing1.xml" in row.detail and row.severity == "warning"
    got = res.answers[res.answers.cell.isin(want) & (res.answers["round"] == 1)]
    assert set(got.answer) == {"blank"}  # never guessed from a drawing that could not be read


def test_table_ellipses_answer(contract_files: tuple[Path, Path]) -> None:
    intact, _ = contract_files
    res = api.read(intact)
    assert res.submissions.iloc[0].form == "contract"
    assert "shape" in set(res.answers.source)
    assert "mark.drawing_unreadable" not in _codes(res.problems)


def test_table_damaged_drawing_is_reported(contract_files: tuple[Path, Path]) -> None:
    _, damaged = contract_files
    res = api.read(damaged)
    assert res.submissions.iloc[0].form == "contract"
    bad = res.problems[res.problems.code == "mark.drawing_unreadable"]
    assert len(bad) == 1
    assert bad.iloc[0].sheet == res.submissions.iloc[0].sheet
    assert "xl/drawings/drawing1.xml" in bad.iloc[0].detail
    assert "shape" not in set(res.answers.source)
