"""A1 cell addresses, the one implementation: ``"B3"`` <-> (2, 1), 0-based (row, col).

Reading (:mod:`xltools.xlsx.book`), the drawing layer (:mod:`xltools.xlsx.drawings`) and
package patching (:mod:`xltools.xlsx.patch`) all name cells this way.
"""

from __future__ import annotations

import re

Cell = tuple[int, int]  # 0-based (row, col)

_REF = re.compile(r"([A-Za-z]+)(\d+)")


def col_index(letters: str) -> int:
    """``"A"`` -> 0, ``"AA"`` -> 26 (upper case letters)."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def col_letters(col: int) -> str:
    """0 -> ``"A"``, 26 -> ``"AA"``."""
    s = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def address(row: int, col: int) -> str:
    """(2, 1) -> ``"B3"``."""
    return f"{col_letters(col)}{row + 1}"


def parse_ref(ref: str) -> Cell:
    """``"B3"`` (also ``"$B$3"``, ``"b3"``) -> (2, 1); ValueError for anything else."""
    m = _REF.fullmatch(ref.replace("$", "").strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m.group(2)) - 1, col_index(m.group(1).upper())


def parse_range(rng: str) -> tuple[int, int, int, int]:
    """``"A1:C2"`` -> (0, 0, 1, 2); a single cell is a one-cell range."""
    a, _, b = rng.partition(":")
    r0, c0 = parse_ref(a)
    r1, c1 = parse_ref(b) if b else (r0, c0)
    return r0, c0, r1, c1


__all__ = ["Cell", "address", "col_index", "col_letters", "parse_range", "parse_ref"]
