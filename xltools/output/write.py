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
from typing import TYPE_CHECKING, Any

from xltools.errors import OutputError, UsageError
from xltools.output.atomic import ensure_folder, replacing
from xltools.output.schema import TABLES, arrow_pool

if TYPE_CHECKING:  # imported when tables are written: parse_formats runs before any file is read
    import pandas as pd
    import pyarrow as pa

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
    """The frame with every risky text cell guarded (a copy only when one is found).

    Each column's distinct values are tested, not its cells: a 10,000-file batch has millions
    of cells but a few thousand distinct texts, and only those found risky are replaced.
    """
    out = df
    for col in df.columns:
        s = df[col]
        if s.dtype != object and str(s.dtype) != "string":
            continue
        risky = {v: guard_formula(v) for v in _distinct(s)
                 if isinstance(v, str) and _FORMULA_START.match(v)}
        if risky:
            if out is df:
                out = df.copy()
            hit = s.isin(list(risky))
            out.loc[hit, col] = s[hit].map(risky)
    return out


def _distinct(s: pd.Series) -> list[object]:
    """A column's distinct non-missing values; in Arrow when the column is kept there (no
    Python object per cell)."""
    import pandas as pd

    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
            return [v for v in pc.unique(pa.array(s.array)).to_pylist() if v is not None]
    except (ImportError, TypeError, ValueError, AttributeError):
        pass
    return list(pd.unique(s.dropna()))


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
    from concurrent.futures import ThreadPoolExecutor

    fmts = parse_formats(formats)
    out = ensure_folder(out_dir)
    frames = {name: getattr(result, name) for name in TABLES}
    # Parquet is written in C++ without the interpreter lock: on a second core, while this
    # thread formats the CSV files (Python's csv module, holding it)
    with ThreadPoolExecutor(1, thread_name_prefix="xltools-parquet") as parquet:
        pending = {name: parquet.submit(_write_parquet, df, out / f"{name}.parquet")
                   for name, df in frames.items() if "parquet" in fmts}
        written: list[Path] = []
        for name, df in frames.items():
            if "csv" in fmts:
                written.append(_write_csv(df, out / f"{name}.csv"))
            if name in pending:
                written.append(pending[name].result())
    if "xlsx" in fmts:
        written.append(write_xlsx(frames, out / XLSX_NAME))
    return written


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    """UTF-8 with a byte-order mark (so Excel opens it as UTF-8), CRLF, risky texts guarded."""
    df = _guarded(df)
    body = _csv_bytes(df)
    with replacing(path) as tmp:
        if body is None:
            df.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        else:
            with open(tmp, "wb") as fh:
                fh.write(b"\xef\xbb\xbf")
                for piece in body:
                    _write_in_slices(fh, piece)
    return path


#: bytes handed to the file system per write: one 43 MB write took 0.4-0.5 s on a Linux VM
#: where the same bytes in 1 MB writes took 0.012 s (the kernel's cost of one big write)
WRITE_SLICE = 1 << 20


def _write_in_slices(fh: Any, data: bytes | memoryview) -> None:
    view = memoryview(data)
    for start in range(0, len(view), WRITE_SLICE):
        fh.write(view[start:start + WRITE_SLICE])


_NEEDS_QUOTES = r'[,"\r\n]'


def _csv_bytes(df: pd.DataFrame) -> list[bytes | memoryview] | None:
    """The frame as pandas' ``to_csv`` writes it (minimal quoting, CRLF, empty for missing), as
    UTF-8, made in Arrow: each column's fields quoted where needed, the rows joined, the
    result taken as one buffer. A 10,000-file batch has hundreds of thousands of answer rows;
    the csv module (and pandas, through it) makes a Python object of every field to write it.
    None for a frame with other than text, whole-number and float columns (pandas writes it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pool = arrow_pool()
    columns = [_csv_column(df[c], pool) for c in df.columns]
    if any(c is None for c in columns):
        return None
    header = (",".join(_csv_field(str(c)) for c in df.columns) + "\r\n").encode("utf-8")
    if not len(df):
        return [header]
    text = pa.large_string()
    rows = pc.binary_join_element_wise(*columns, pa.scalar(",", text), memory_pool=pool)
    rows = pc.binary_join_element_wise(rows, pa.scalar("\r\n", text), pa.scalar("", text),
                                       memory_pool=pool)
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks(memory_pool=pool)
    offsets = rows.buffers()[1]  # int64 offsets of a large_string array, then its data
    first, last = (int.from_bytes(offsets[8 * i:8 * i + 8], "little", signed=True)
                   for i in (rows.offset, rows.offset + len(rows)))
    return [header, memoryview(rows.buffers()[2])[first:last]]  # written as it is, not copied


def _may_need_quotes(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any text of the column holds a comma, quote or line end: one byte search over
    its data (most columns hold none, and need no per-field test)."""
    import pyarrow as pa

    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        data = chunk.buffers()[2]
        if data is not None:
            raw = data.to_pybytes()
            if any(ch in raw for ch in (b",", b'"', b"\r", b"\n")):
                return True
    return False


def _csv_field(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_column(s: pd.Series, pool: Any) -> pa.Array | pa.ChunkedArray | None:
    """One column's CSV fields as Arrow text: quoted where a comma, quote or line end needs it."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.large_string()
    if isinstance(s.dtype, (pd.StringDtype, pd.Int64Dtype)):
        arr = pc.cast(pa.array(s.array), text, memory_pool=pool)  # pandas' own Arrow buffers
    elif s.dtype == "float64":
        arr = pa.array(_float_fields(s), type=text)
    else:
        return None
    if isinstance(arr, pa.ChunkedArray):  # one buffer to search and join, not one per chunk
        arr = arr.combine_chunks(memory_pool=pool)
    if arr.null_count:
        arr = pc.fill_null(arr, pa.scalar("", text))
    if not _may_need_quotes(arr):
        return arr
    needs = pc.match_substring_regex(arr, _NEEDS_QUOTES)
    if pc.any(needs).as_py():
        quote = pa.scalar('"', text)
        quoted = pc.binary_join_element_wise(quote, pc.replace_substring(arr, '"', '""'), quote,
                                             pa.scalar("", text), memory_pool=pool)
        arr = pc.if_else(needs, quoted, arr, memory_pool=pool)
    return arr


def _float_fields(s: pd.Series) -> Any:
    """A float column's fields as pandas' ``to_csv`` makes them (no ``float_format``, ``.``
    as decimal): numpy's ``astype(str)`` of the values (shortest round-trip text, ``1.0``,
    ``1e-05``), empty where missing."""
    import numpy as np

    values = s.to_numpy(dtype="float64", na_value=np.nan)
    fields = values.astype(str).astype(object)
    fields[np.isnan(values)] = ""
    return fields


def _write_parquet(df: pd.DataFrame, path: Path) -> Path:
    with replacing(path) as tmp:
        df.to_parquet(tmp, index=False)
    return path


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
