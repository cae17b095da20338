"""The output contract: the three tidy tables, declared once.

Everything that makes, checks or writes a frame uses these declarations, so a column cannot be
added in one place and forgotten in another. The first columns of each table are the contract
other tools rely on (see README); columns after them are additions for provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported when a frame is built: workers and start-up need none
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # "string" | "Int64" | "float64"
    ja: str  # Japanese header for workbooks
    doc: str


def _c(name: str, dtype: str, ja: str, doc: str) -> Column:
    return Column(name, dtype, ja, doc)


SUBMISSIONS: tuple[Column, ...] = (
    _c("submission_id", "string", "提出ID", "stable id: sha256 of the file + sheet name, 16 hex"),
    _c("path", "string", "ファイル", "path of the file as given"),
    _c("sheet", "string", "シート", "sheet name (a workbook may hold several forms)"),
    _c("sha256", "string", "SHA-256", "hash of the file's bytes"),
    _c("form", "string", "様式", "checklist | bcp | contract"),
    _c("variant", "string", "種類", "hospital | pharmacy | vendor | joint"),
    _c("edition", "string", "年度版", "R5..R8, or the table's year"),
    _c("facility_name", "string", "医療機関名", "as written in the form"),
    _c("vendor_name", "string", "事業者名", "vendor forms and contract tables"),
    _c("system_name", "string", "システム名", "vendor forms and contract tables"),
    _c("status", "string", "状態", "ok | partial | failed"),
    _c("facility_code", "string", "医療機関コード", "when written in the form"),
    _c("respondent", "string", "回答者", "when written in the form"),
    _c("confidence", "float64", "判定の確かさ", "0..1, how sure recognition is of form/variant/edition"),
    _c("mapping", "string", "マッピング", "mapping file used (form/edition)"),
    _c("file_modified", "string", "ファイル更新日時", "file modification time (ISO)"),
)

ANSWERS: tuple[Column, ...] = (
    _c("submission_id", "string", "提出ID", "joins submissions"),
    _c("item_id", "string", "項目ID", "stable item id from the catalogue"),
    _c("scope", "string", "対象", "all | server | terminal | network | server+terminal"),
    _c("round", "Int64", "回", "1 or 2"),
    _c("answer", "string", "回答", "yes | no | na | blank"),
    _c("checked_on", "string", "確認日", "ISO date or empty"),
    _c("target_on", "string", "目標日", "ISO date or empty"),
    _c("completed_on", "string", "完了日", "contract table only: ISO date or empty"),
    _c("source", "string", "読み取り方法", "text | dropdown | strike | mark | columns | shape | checkbox | empty"),
    _c("raw", "string", "記入内容", "the answer cell's text as found"),
    _c("sheet", "string", "シート", "sheet of the answer cell"),
    _c("cell", "string", "セル", "address of the answer cell"),
    _c("ref", "string", "項番", "the item's printed number in this edition (2-(4), 2-④)"),
    _c("date_cell", "string", "確認日セル", "cell the checked_on date was read from"),
    _c("raw_date", "string", "確認日記入内容", "that cell's text"),
    _c("target_cell", "string", "目標日セル", "cell the target date was read from"),
    _c("raw_target", "string", "目標日記入内容", "that cell's text"),
)

PROBLEMS: tuple[Column, ...] = (
    _c("submission_id", "string", "提出ID", "empty when the file could not be read at all"),
    _c("path", "string", "ファイル", "file the problem is in"),
    _c("severity", "string", "重要度", "error | warning | info"),
    _c("code", "string", "コード", "stable machine-readable code (see docs/problems.md)"),
    _c("message", "string", "内容", "Japanese, for the person who filled the form"),
    _c("sheet", "string", "シート", ""),
    _c("cell", "string", "セル", ""),
    _c("item_id", "string", "項目ID", ""),
    _c("scope", "string", "対象", ""),
    _c("round", "Int64", "回", ""),
    _c("detail", "string", "詳細", "machine-oriented detail"),
)

# A finding of a cross-check rule (mappings/rules/*.yaml) is a problem row: the PROBLEMS columns
# (path, sheet and cell of the facility's side), then what the two compared forms said. Pair
# rules (facility checklist vs vendor form) fill the facility_*/vendor_* columns; the contract
# and BCP table rules fill left_*/right_* (様式A / 様式B: two copies, or checklist vs table).
FINDINGS: tuple[Column, ...] = PROBLEMS + (
    _c("rule", "string", "規則ID", "id of the rule in the rules file (the code is the stable key)"),
    _c("title", "string", "規則", "the catalogue title of the code (or the rule's own title)"),
    _c("form", "string", "様式", "checklist (facility vs vendor) | contract | bcp"),
    _c("facility_id", "string", "施設ID", "the facility the finding is about"),
    _c("facility_name", "string", "医療機関名", ""),
    _c("vendor_name", "string", "事業者名", ""),
    _c("system_name", "string", "システム名", ""),
    _c("ref", "string", "項番", "the item's printed number"),
    _c("item_text", "string", "項目", "the item's wording"),
    _c("item_title", "string", "項目名", "contract/BCP: the catalogue's title of the item"),
    _c("facility_scope", "string", "医療機関の対象", ""),
    _c("vendor_scope", "string", "事業者の対象", ""),
    _c("facility_answer", "string", "医療機関の回答", "yes | no | na | blank"),
    _c("vendor_answer", "string", "事業者の回答", "yes | no | na | blank"),
    _c("facility_cell", "string", "医療機関のセル", "sheet!cell"),
    _c("vendor_cell", "string", "事業者のセル", "sheet!cell"),
    _c("facility_checked_on", "string", "医療機関の確認日", ""),
    _c("vendor_checked_on", "string", "事業者の確認日", ""),
    _c("facility_edition", "string", "医療機関の年度版", ""),
    _c("vendor_edition", "string", "事業者の年度版", ""),
    _c("facility_path", "string", "医療機関のファイル", ""),
    _c("vendor_path", "string", "事業者のファイル", ""),
    _c("facility_submission_id", "string", "医療機関の提出ID", ""),
    _c("vendor_submission_id", "string", "事業者の提出ID", ""),
    _c("left_form", "string", "様式A", "contract/BCP: the first compared form"),
    _c("left_answer", "string", "様式Aの回答", ""),
    _c("left_cell", "string", "様式Aのセル", ""),
    _c("left_path", "string", "様式Aのファイル", ""),
    _c("right_form", "string", "様式B", "contract/BCP: the second compared form"),
    _c("right_answer", "string", "様式Bの回答", ""),
    _c("right_cell", "string", "様式Bのセル", ""),
    _c("right_path", "string", "様式Bのファイル", ""),
)

# the reader's three tables (what ``normalize`` writes) ...
TABLES: dict[str, tuple[Column, ...]] = {
    "submissions": SUBMISSIONS, "answers": ANSWERS, "problems": PROBLEMS,
}
# ... and every declared frame, the consolidation's findings included
FRAMES: dict[str, tuple[Column, ...]] = {**TABLES, "findings": FINDINGS}


def frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Build a frame of the declared columns and dtypes from row dicts (extra keys dropped)."""
    import pandas as pd

    cols = FRAMES[table]
    names = [c.name for c in cols]
    df = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)
    return _typed(df, cols)


def frame_from_columns(table: str, columns: dict[str, list[Any]]) -> pd.DataFrame:
    """Build a frame of the declared columns and dtypes from one list per column (missing
    columns empty). Ten times lighter than row dicts for the hundreds of thousands of answer
    rows of a big batch, and quicker to turn into a frame."""
    import pandas as pd

    cols = FRAMES[table]
    n = max((len(v) for v in columns.values()), default=0)
    df = pd.DataFrame({c.name: columns.get(c.name, [None] * n) for c in cols})
    return _typed(df, cols)


def arrow_table(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Row dicts as an Arrow table of the declared columns: how a batch worker sends its answer
    rows back. Arrow travels between processes as a few buffers (no per-value pickling) and
    becomes the frame's own column storage, so the process that gathers a 10,000-file batch
    never touches the values one by one. Text is never missing (empty instead), as in
    :func:`frame`; :func:`frame_from_arrow` makes the same frame :func:`frame` would."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = FRAMES[table]
    # large_string: what pandas keeps text in, so the frame takes the buffers as they are
    types = {"string": pa.large_string(), "Int64": pa.int64(), "float64": pa.float64()}
    arrays = []
    for c in cols:  # a column at a time: several times quicker than Table.from_pylist's rows
        values = [r.get(c.name) for r in rows]
        try:
            arr = pa.array(values, type=types[c.dtype])
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # a number where text belongs: as frame()
            arr = _arrow_column(c, values)
        arrays.append(pc.fill_null(arr, "") if arr.null_count and c.dtype == "string" else arr)
    return pa.Table.from_arrays(arrays, schema=pa.schema([(c.name, types[c.dtype]) for c in cols]))


def _arrow_column(col: Column, values: list[Any]) -> pa.Array:
    """One column, values converted the way :func:`_typed` converts them."""
    import pyarrow as pa

    if col.dtype == "string":
        return pa.array([v if v is None or isinstance(v, str) else str(v) for v in values],
                        type=pa.large_string())
    if col.dtype == "Int64":
        return pa.array([None if v is None else int(v) for v in values], type=pa.int64())
    return pa.array([None if v is None else float(v) for v in values], type=pa.float64())


def arrow_pool() -> Any:
    """The allocator for xltools' own big Arrow steps (gathering a batch's answers, the CSV
    join): the C library's. pyarrow's default in its Linux wheels, mimalloc, took ten times
    longer (2.5 s instead of 0.25 s) to grow the buffers of joining 340,000 answer rows into
    CSV lines; passed per call, so a program using xltools keeps its own default."""
    import pyarrow as pa

    return pa.system_memory_pool()


def frame_from_arrow(table: str, data: pa.Table) -> pd.DataFrame:
    """The frame of :func:`frame` for an Arrow table made by :func:`arrow_table` (or several
    concatenated): the same columns, dtypes and values, without a round trip through Python
    objects where pandas keeps text in Arrow itself."""
    import pandas as pd
    import pyarrow as pa

    text, whole = pd.Series([], dtype="string").dtype, pd.Int64Dtype()
    mapping = {pa.string(): text, pa.large_string(): text, pa.int64(): whole}
    df = data.select([c.name for c in FRAMES[table]]).to_pandas(types_mapper=mapping.get)
    return _typed(df, FRAMES[table])


def _typed(df: pd.DataFrame, cols: tuple[Column, ...]) -> pd.DataFrame:
    """Cast each declared column to its dtype (text: ``string``, empty rather than missing)."""
    for c in cols:
        if c.dtype == "string":
            df[c.name] = df[c.name].astype("string").fillna("")
        else:
            df[c.name] = df[c.name].astype(c.dtype)
    return df


def ja_headers(table: str) -> dict[str, str]:
    return {c.name: c.ja for c in FRAMES[table]}
