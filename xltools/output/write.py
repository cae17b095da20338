"""Write stage for the tidy tables: CSV (UTF-8 with BOM, so Excel opens it) and Parquet.

Workbooks for people are written by :mod:`xltools.report`; this module writes the contract
tables for other tools. CSV cells that Excel would run as a formula (text from submissions
starting with ``=``, ``+``, ``@``, or ``-`` followed by more) get a leading apostrophe, the
usual guard: a CSV opened in Excel must never execute what a respondent typed. Parquet keeps
values exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from xltools.output.schema import TABLES

_FORMULA_START = re.compile(r"^(?:[=+@\t\r]|-(?![0-9.]+$).)")


def guard_formula(value: object) -> object:
    if isinstance(value, str) and value and _FORMULA_START.match(value):
        return "'" + value
    return value


def _guarded(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every risky text cell guarded.

    Each column's distinct values are tested, not its cells: a 10,000-file batch has millions
    of cells but a few thousand distinct texts, and only those found risky are replaced.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype != object and str(s.dtype) != "string":
            continue
        risky = {v: guard_formula(v) for v in pd.unique(s.dropna())
                 if isinstance(v, str) and _FORMULA_START.match(v)}
        if risky:
            hit = s.isin(list(risky))
            out.loc[hit, col] = s[hit].map(risky)
    return out


def write_tables(result: object, out_dir: str | Path, formats: tuple[str, ...] = ("csv", "parquet")
                 ) -> list[Path]:
    """Write submissions / answers / problems into ``out_dir``; return the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        df: pd.DataFrame = getattr(result, name)
        if "csv" in formats:
            p = out / f"{name}.csv"
            _guarded(df).to_csv(p, index=False, encoding="utf-8-sig", lineterminator="\r\n")
            written.append(p)
        if "parquet" in formats:
            p = out / f"{name}.parquet"
            df.to_parquet(p, index=False)
            written.append(p)
    return written
