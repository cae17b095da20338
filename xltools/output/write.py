"""Write stage for the tidy tables: CSV (UTF-8 with BOM, so Excel opens it), Parquet, xlsx.

Workbooks for people are written by :mod:`xltools.output.report`; this module writes the
contract tables for other tools. CSV cells that Excel would run as a formula (text from
submissions starting with ``=``, ``+``, ``@``, or ``-`` followed by more) get a leading
apostrophe, the usual guard: a CSV opened in Excel must never execute what a respondent typed.
Parquet keeps values exactly; the xlsx workbook (``tables.xlsx``, one sheet per table) writes
every text as text, so nothing in it runs either.

Every file is written atomically (:mod:`xltools.output.atomic`): a run killed while writing
leaves the previous files whole.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from xltools.errors import OutputError, UsageError
from xltools.output.atomic import ensure_folder, replacing
from xltools.output.schema import TABLES

if TYPE_CHECKING:  # imported when tables are written: parse_formats runs before any file is read
    import pandas as pd

#: the output formats ``normalize`` writes, in the order they are listed
FORMATS = ("csv", "parquet", "xlsx")
DEFAULT_FORMATS = ("csv", "parquet")
XLSX_NAME = "tables.xlsx"
_XLSX_ROWS = 1_048_575  # Excel's last row, less the header

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
    import pandas as pd

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


def parse_formats(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"csv,parquet"`` / ``["CSV", "xlsx"]`` -> known formats in order; anything else is a
    :class:`UsageError` naming the choices (never silently dropped)."""
    if value is None:
        return DEFAULT_FORMATS
    parts = value.split(",") if isinstance(value, str) else list(value)
    got = [p.strip().lower() for p in parts if p and p.strip()]
    unknown = [p for p in got if p not in FORMATS]
    if unknown or not got:
        raise UsageError(f"出力形式「{'、'.join(unknown) or value}」は使えません。"
                         f"{', '.join(FORMATS)} から選んでください（例: --format csv,xlsx）。")
    return tuple(dict.fromkeys(got))


def write_tables(result: object, out_dir: str | Path,
                 formats: str | Iterable[str] = DEFAULT_FORMATS) -> list[Path]:
    """Write submissions / answers / problems into ``out_dir``; return the files written."""
    fmts = parse_formats(formats)
    out = ensure_folder(out_dir)
    written: list[Path] = []
    frames = {name: getattr(result, name) for name in TABLES}
    for name, df in frames.items():
        if "csv" in fmts:
            p = out / f"{name}.csv"
            guarded = _guarded(df)
            with replacing(p) as tmp:
                guarded.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
            written.append(p)
        if "parquet" in fmts:
            p = out / f"{name}.parquet"
            with replacing(p) as tmp:
                df.to_parquet(tmp, index=False)
            written.append(p)
    if "xlsx" in fmts:
        written.append(write_xlsx(frames, out / XLSX_NAME))
    return written


def write_xlsx(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    """One workbook, one sheet per table, headers the contract's column names; texts stay
    texts (no formulas, no URLs, no numbers made of codes)."""
    import numpy as np
    import pandas as pd
    import xlsxwriter

    too_big = [n for n, df in frames.items() if len(df) > _XLSX_ROWS]
    if too_big:
        raise OutputError(f"{'・'.join(too_big)} は {len(frames[too_big[0]]):,} 行あり、Excel の"
                          "1シートに入りません。--format csv か parquet を指定してください。")
    with replacing(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "nan_inf_to_errors": True})
        head = wb.add_format({"bold": True})
        for name, df in frames.items():
            ws = wb.add_worksheet(name)
            for c, col in enumerate(df.columns):
                ws.write_string(0, c, str(col), head)
            for r, row in enumerate(df.itertuples(index=False, name=None), start=1):
                for c, v in enumerate(row):
                    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                        continue
                    if isinstance(v, str):
                        ws.write_string(r, c, v)
                    elif isinstance(v, (bool, np.bool_)):
                        ws.write_boolean(r, c, bool(v))
                    elif isinstance(v, numbers.Real):
                        ws.write_number(r, c, float(v))
                    else:
                        ws.write_string(r, c, str(v))
            ws.freeze_panes(1, 0)
        wb.close()
    return path
