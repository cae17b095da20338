"""What a batch worker sends back for each file: its rows, the answers as Arrow columns.

A 10,000-file batch has a few hundred thousand answer rows. Sent as dicts, every value is
pickled in a worker, unpickled in the process gathering the batch, and then turned into a frame
column one value at a time there: on two cores that process's CPU is the workers', and it spent
more of it on answer rows than on anything else. Packed, a chunk of files becomes one Arrow table
(a few buffers to send) that the gatherer slices and concatenates without touching a value.

Also done where the rows are made, for the same reason: the newest answered date of each
submission (for newest-wins) and, when the run keeps a store, the store's encoding of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xltools.batch.store import encode
from xltools.output.schema import arrow_table
from xltools.rows import FileRows

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass
class Parsed:
    """One file's rows: submissions and problems as dicts, answers as a slice of ``table``
    (shared by the files of one chunk, ``count`` rows from ``offset``)."""

    rows: FileRows  # its answers list is emptied: they are in the table
    table: pa.Table | None = None
    offset: int = 0
    count: int = 0
    newest: dict[str, str] = field(default_factory=dict)  # submission id -> newest checked_on
    blob: bytes | None = None  # the store's encoding (None: no store, or not to be stored)


def pack(files: list[FileRows], for_store: bool = False) -> list[Parsed]:
    """Files' rows -> one :class:`Parsed` each, their answers in one shared Arrow table."""
    out: list[Parsed] = []
    answers: list[dict[str, Any]] = []
    for rows in files:
        out.append(Parsed(rows, None, len(answers), len(rows.answers), newest_checked(rows.answers),
                          encode(rows) if for_store else None))
        answers += rows.answers
        rows.answers = []
    if answers:
        table = arrow_table("answers", answers)
        for parsed in out:
            parsed.table = table if parsed.count else None
    return out


def pack_one(rows: FileRows, for_store: bool = False) -> Parsed:
    return pack([rows], for_store)[0]


def newest_checked(answers: list[dict[str, Any]]) -> dict[str, str]:
    """Each submission's newest answered date (ISO text sorts as dates do)."""
    newest: dict[str, str] = {}
    for a in answers:
        d = a.get("checked_on") or ""
        if d and d > newest.get(a["submission_id"], ""):
            newest[a["submission_id"]] = d
    return newest
