"""Shared fixtures: workbooks are generated once per session, never per test."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit import synth
from xltools.output.templates import write_template

EDITIONS = ("R5", "R6", "R7", "R8")
VARIANTS = ("hospital", "pharmacy", "vendor")


@pytest.fixture(autouse=True, scope="session")
def _store_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The stores tests make (session fixtures too) go to a test folder, never to the user's
    cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XLTOOLS_STORE_DIR", str(tmp_path_factory.getbasetemp() / "stores"))
        yield


@pytest.fixture(scope="session")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("templates")
    for e in EDITIONS:
        for v in VARIANTS:
            write_template(d / f"{e}_{v}.xlsx", "checklist", e, v)
    return d


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[synth.Truth]]:
    """A messy corpus of returned checklists with their truth (layouts and encodings mixed)."""
    d = tmp_path_factory.mktemp("corpus")
    rng = random.Random(20261125)
    truths: list[synth.Truth] = []
    for i in range(120):
        spec = synth.random_spec(rng, seed=i)
        truths += synth.write_workbook(d / f"sub{i:03d}.xlsx", [spec])
    return d, truths


@pytest.fixture(scope="session")
def soffice() -> str:
    exe = shutil.which("soffice")
    if not exe:
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe
