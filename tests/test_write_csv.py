"""The CSV tables: byte for byte what pandas' ``to_csv`` writes (UTF-8 with BOM, CRLF, minimal
quoting), though made in Arrow; risky texts guarded; Parquet beside them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from xltools.batch import runner as batch
from xltools.output.schema import frame
from xltools.output.write import _csv_bytes, _guarded, _write_csv, write_tables


def _pandas_csv(df: pd.DataFrame, path: Path) -> bytes:
    _guarded(df).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path.read_bytes()


ODD = [{"submission_id": "a,b", "item_id": 'say "hi"', "round": 1, "raw": "line1\nline2",
        "cell": "cr\ronly", "ref": " lead", "sheet": "日本語,カンマ", "answer": "=1+1"},
       {"submission_id": "", "round": None, "raw": '"', "answer": "-x", "scope": "@y"},
       {}]


@pytest.mark.parametrize("table, rows", [
    ("answers", ODD), ("answers", ODD[1:]), ("answers", []),
    ("problems", [{"code": "read.x", "round": 3, "message": 'a"b', "detail": "+1"}]),
    ("submissions", [{"confidence": 0.3, "facility_name": "=HYPERLINK(1)"}]),
    ("submissions", [{"confidence": c} for c in (1.0, 0.1, 1e-05, 123456789.0, 1e16, -0.0, 2 / 3,
                                                 None, float("nan"), 0.0, 1e-300)]),
])
def test_csv_is_what_pandas_writes(table: str, rows: list[dict], tmp_path: Path) -> None:
    df = frame(table, rows)
    assert _csv_bytes(_guarded(df)) is not None  # made in Arrow, not by the pandas fallback
    got = _write_csv(df, tmp_path / "got.csv").read_bytes()
    assert got == _pandas_csv(df, tmp_path / "want.csv")
    assert got.startswith(b"\xef\xbb\xbf") and b"\r\n" in got
    if table == "answers" and rows:
        assert b"'=1+1" in got or b"'-x" in got  # guarded, never a formula


def test_a_real_batch_writes_the_csv_pandas_would(corpus: tuple[Path, list], tmp_path: Path) -> None:
    folder, _ = corpus
    res = batch.run([folder], jobs=2)  # answers assembled from the workers' Arrow tables
    written = write_tables(res, tmp_path / "out", "csv,parquet")
    assert sorted(p.name for p in written) == sorted(
        f"{n}.{f}" for n in ("submissions", "answers", "problems") for f in ("csv", "parquet"))
    for name in ("submissions", "answers", "problems"):
        got = (tmp_path / "out" / f"{name}.csv").read_bytes()
        assert got == _pandas_csv(getattr(res, name), tmp_path / f"{name}.want.csv")
        back = pd.read_parquet(tmp_path / "out" / f"{name}.parquet")
        assert len(back) == len(getattr(res, name))
