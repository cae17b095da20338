"""Listing inputs: the os.scandir walk gives exactly the list and order pathlib's rglob gave."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xltools.listing import listed

_WORKBOOK = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods"}


def _by_pathlib(inputs: list[str], everything: bool) -> list[str]:
    """The reference: what both readers did before (sorted rglob, hidden parts skipped)."""
    out: list[str] = []
    for item in inputs:
        p = Path(item)
        if not p.is_dir():
            out.append(str(p))
            continue
        for f in sorted(p.rglob("*")):
            if any(part.startswith(".") for part in f.relative_to(p).parts):
                continue
            kept = f.is_file() or (everything and (not f.is_dir() or f.suffix.lower() in _WORKBOOK))
            if kept:
                out.append(str(f))
    return out


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shape a returns folder takes: nested, hidden, Japanese and full-width names,
    names that sort differently by string and by component, a folder named like a workbook,
    symlinks to files and folders, a broken link and a pipe."""
    root = tmp_path_factory.mktemp("returns")
    for rel in ("A/sub/1.xlsx", "a/b.xlsx", "a-c/f.xlsx", "b/z.xlsx", "b/.hidden/h.xlsx",
                "b/.h.xlsx", "B.xlsx", "受領/病院.xlsx", "Ａ.xlsx", "x.xlsx/in/q.xlsx", "note.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    if hasattr(os, "symlink"):
        os.symlink(root / "A", root / "linked")
        os.symlink(root / "A", root / "linked.xlsx")
        os.symlink(root / "B.xlsx", root / "link.xlsx")
        os.symlink(root / "missing", root / "broken.xlsx")
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "pipe.xlsx")
    return root


@pytest.mark.parametrize("everything", [False, True])
def test_same_list_and_order_as_pathlib(tree: Path, everything: bool) -> None:
    for inputs in ([str(tree)], [str(tree) + os.sep], [str(tree / "b" / "z.xlsx"), str(tree)],
                   [str(tree / "受領"), str(tree / "A")]):
        assert listed(inputs, everything=everything) == _by_pathlib(inputs, everything)


def test_relative_folders_as_pathlib(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    for inputs in (["."], ["A"], ["./A/"], ["b", "a"]):
        assert listed(inputs) == _by_pathlib(inputs, False)
        assert listed(inputs, everything=True) == _by_pathlib(inputs, True)


def test_what_is_kept(tree: Path) -> None:
    regular = [Path(p).relative_to(tree).as_posix() for p in listed([tree])]
    assert "b/.hidden/h.xlsx" not in regular and "b/.h.xlsx" not in regular
    assert "x.xlsx/in/q.xlsx" in regular and "note.txt" in regular
    if hasattr(os, "symlink"):
        assert "link.xlsx" in regular and "linked/sub/1.xlsx" not in regular  # not entered
        everything = {Path(p).relative_to(tree).as_posix() for p in listed([tree], everything=True)}
        assert {"broken.xlsx", "linked.xlsx", "x.xlsx"} <= everything
        assert "linked" not in everything
