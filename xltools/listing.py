"""Which files an input names: files as given, folders walked, in one stable order.

Both readers list the same way (:func:`xltools.pipeline.expand_inputs` for ``read_many``,
:func:`xltools.batch.runner.expand` for big folders); they differ only in what they keep of
what is not a regular file. The walk is ``os.scandir`` with one sort key per entry: the same
list and order ``sorted(Path(folder).rglob("*"))`` gives (component by component, case-folded
where the system folds case), at a fraction of its cost. For 10,000 files that is 0.15 s less
before the first file is read; a ministry's 100,000 would wait seconds on pathlib alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

#: the Excel-family file names xltools reads (a folder named like one is reported, not skipped)
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods")


def listed(inputs: Iterable[str | os.PathLike[str]], *,
           everything: bool = False) -> list[str]:
    """Files and folders -> paths. A folder is walked recursively (symlinked folders are
    listed, not entered, as pathlib does), hidden files and folders are skipped.

    ``everything=False`` keeps regular files only. ``everything=True`` also keeps, so that
    they can be reported rather than silently missing from the count: broken symlinks, pipes
    and sockets, and folders named like a workbook (whose contents are listed as well).
    """
    out: list[str] = []
    for item in inputs:
        if not os.path.isdir(item):
            out.append(str(Path(item)))
            continue
        base = str(Path(item))
        found = sorted(_walk(base, (), everything), key=lambda kv: kv[0])
        out.extend(_joined(base, rel) for _, rel in found)
    return out


def _walk(folder: str, rel: tuple[str, ...], everything: bool
          ) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(sort key, relative parts) of every entry kept under ``folder``."""
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError:  # unreadable or vanished folder: nothing under it, as rglob yields
        return
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        parts = (*rel, name)
        key = tuple(os.path.normcase(p) for p in parts)
        if _is_file(entry):
            yield key, parts
        elif _is_dir(entry):
            if everything and name.lower().endswith(EXCEL_SUFFIXES):
                yield key, parts
            if not entry.is_symlink():
                yield from _walk(entry.path, parts, everything)
        elif everything:
            yield key, parts  # broken symlink, pipe, socket


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _joined(base: str, rel: tuple[str, ...]) -> str:
    """``str(Path(base, *rel))`` without making a Path per file."""
    if base == ".":
        return os.sep.join(rel)
    return base + ("" if base.endswith(os.sep) else os.sep) + os.sep.join(rel)
