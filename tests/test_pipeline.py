"""The one form contract: every form kind is located into one LocatedForm whose answer places
are exactly the answer rows read (decoded and built by the same code for every form)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.table_synth import BcpSpec, ContractSpec, write_table_workbook
from xltools import api, pipeline
from xltools.forms.catalogue import load_catalogue
from xltools.forms.locate import Scan
from xltools.xlsx.book import address, read_book


@pytest.fixture(scope="module")
def one_of_each(templates_dir: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("forms")
    contract, bcp = folder / "確認表_さくら病院_(株)ABC.xlsx", folder / "BCP_さくら病院.xlsx"
    write_table_workbook(contract, [ContractSpec(seed=5)])
    write_table_workbook(bcp, [BcpSpec(seed=5)])
    return {"checklist": templates_dir / "R7_vendor.xlsx", "contract": contract, "bcp": bcp}


@pytest.mark.parametrize("form", ["checklist", "contract", "bcp"])
def test_every_form_reads_through_one_located_form(one_of_each: dict[str, Path], form: str) -> None:
    path = one_of_each[form]
    catalogue = load_catalogue()
    book = read_book(str(path))
    found = [loc for s in book.sheets if (loc := pipeline.locate(Scan.of(s), catalogue))]
    assert [loc.form for loc in found] == [form]
    located = found[0]
    assert located.kind in pipeline.FORMS
    places = [p for part in located.parts for p in part.places]
    assert places and all(p.answer is not None or p.yes is not None for p in places)

    answers = api.read(path).answers
    read = answers[answers.source != "missing"]
    # one answer row per place, at the place's own answer cell
    assert len(read) == len(places)
    want = {(p.item_id, p.scope, int(p.round)) for p in places}
    assert set(zip(read.item_id, read.scope, read["round"].astype(int))) == want
    cells = {address(p.row, p.answer) for p in places if p.answer is not None}
    assert set(read.cell) <= cells | {c for c in read.cell if ":" in c}  # split columns: "B3:C3"
    # every answer the form asks for has a row, found or blank
    asked = {(e.item_id, e.scope, e.round) for e in located.expected}
    assert asked <= set(zip(answers.item_id, answers.scope, answers["round"].astype(int)))
