"""Load the contract and BCP table catalogues (``mappings/tables/*.yaml``).

The two tables are read by structure; their catalogues only name items, check titles and spot
missing ones. They have their own small format (documented at the top of each file). A ``tables/`` folder in the user's
mappings folder (``--mappings`` / ``XLTOOLS_MAPPINGS``) replaces the bundled file of the same
name, so a corrected catalogue needs no reinstall. What a catalogue may say is declared once,
in :class:`xltools.forms.models.TableFile`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltools.forms.catalogue import BUNDLED_DIR
from xltools.forms.models import (
    EntrySpec,
    HeadingSpec,
    MappingError,
    TableFile,
    read_yaml,
    validate,
)
from xltools.text import norm

STATUSES = ("verified", "reconstructed")
RECONSTRUCTED_MARK = "※文言は再構成"


@dataclass(frozen=True)
class Entry:
    """One catalogued item: its id, printed wording and how sure we are of each."""

    id: str
    title: str = ""
    text: str = ""  # contract 内容, BCP 確認項目
    status: str = "reconstructed"  # the item exists under this id
    title_status: str = ""  # "" = same as status
    text_status: str = ""
    note: str = ""
    checklist: tuple[str, ...] = ()  # contract: related checklist item ids
    checklist_status: str = ""  # how sure the link is ("" = no link)

    @property
    def exists_verified(self) -> bool:
        return self.status == "verified"

    def wording_verified(self, which: str) -> bool:
        """Whether the printed ``title`` or ``text`` may be checked against the sheet."""
        st = (self.title_status if which == "title" else self.text_status) or self.status
        return st == "verified" and bool(self.title if which == "title" else self.text)

    @property
    def reconstructed_wording(self) -> bool:
        return not (self.wording_verified("title") or self.wording_verified("text"))


@dataclass(frozen=True)
class Heading:
    """A part, group, 大項目 or 中項目: its key, printed name and status."""

    key: str
    name: str
    status: str = "verified"
    words: tuple[str, ...] = ()
    definition: str = ""


@dataclass(frozen=True)
class TableCatalogue:
    """One table's catalogue."""

    table: str  # contract | bcp
    year: str
    variant: str
    title: str
    title_words: tuple[str, ...]
    entries: tuple[Entry, ...]
    parts: dict[str, Heading] = field(default_factory=dict)  # contract
    groups: dict[str, Heading] = field(default_factory=dict)  # contract
    sections: dict[int, Heading] = field(default_factory=dict)  # bcp 大項目
    middles: dict[str, Heading] = field(default_factory=dict)  # bcp 中項目
    checked_on_labels: tuple[str, ...] = ()
    answer_headers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    source: str = ""

    def entry(self, item_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == item_id), None)

    def under(self, prefix: str) -> list[Entry]:
        """Entries of one 中項目 (``"1-1"``) or contract group/part (``"A"``, ``"P1"``)."""
        return [e for e in self.entries if e.id.rsplit(".", 1)[0] == prefix
                or e.id.split("-", 1)[0] == prefix]

    def title_found(self, normalised_text: str) -> bool:
        return any(norm(w) in normalised_text for w in (self.title, *self.title_words) if w)


TABLES = ("contract", "bcp")


def _heading(key: str, spec: HeadingSpec) -> Heading:
    return Heading(key=str(key), name=spec.name or spec.label, status=spec.status,
                   words=tuple(spec.words), definition=spec.definition)


def _entry(table: str, spec: EntrySpec) -> Entry:
    text = spec.content if table == "contract" else spec.text
    return Entry(id=spec.id, title=spec.title, text=text, status=spec.status,
                 title_status=spec.title_status or "",
                 text_status=spec.content_status or spec.text_status or "", note=spec.note,
                 checklist=tuple(spec.checklist),
                 checklist_status=spec.checklist_status
                 or ("reconstructed" if spec.checklist else ""))


def parse_table_catalogue(text: str, source: str) -> TableCatalogue:
    """Parse and validate one catalogue file's text (:class:`xltools.forms.models.TableFile`)."""
    spec: TableFile = validate(TableFile, read_yaml(text, source), source)

    def headings(raw: dict[Any, HeadingSpec]) -> dict[str, Heading]:
        return {str(k): _heading(str(k), v) for k, v in raw.items()}

    return TableCatalogue(
        table=spec.table, year=spec.year, variant=spec.variant, title=spec.title,
        title_words=tuple(spec.title_words),
        entries=tuple(_entry(spec.table, e) for e in spec.entries),
        parts=headings(spec.parts), groups=headings(spec.groups),
        sections={int(k): _heading(str(k), v) for k, v in spec.sections.items()},
        middles=headings(spec.middles), checked_on_labels=tuple(spec.checked_on_labels),
        answer_headers=tuple(spec.answer_headers), notes=tuple(spec.notes), source=source)


def _files(table: str, user_dir: str | os.PathLike[str] | None) -> Path:
    path = BUNDLED_DIR / "tables" / f"{table}.yaml"
    extra = user_dir or os.environ.get("XLTOOLS_MAPPINGS")
    if extra and (Path(extra) / "tables" / f"{table}.yaml").exists():
        path = Path(extra) / "tables" / f"{table}.yaml"
    return path


@functools.lru_cache(maxsize=16)
def _load(path: Path, mtime: float) -> TableCatalogue:
    return parse_table_catalogue(path.read_text(encoding="utf-8"), str(path))


def parse_table_file(path: Path) -> TableCatalogue:
    """One catalogue file, parsed once per version of the file."""
    return _load(path, path.stat().st_mtime)


def load_table_catalogue(table: str, user_dir: str | os.PathLike[str] | None = None
                         ) -> TableCatalogue:
    """The catalogue of ``contract`` or ``bcp`` (the user's copy when present)."""
    if table not in TABLES:
        raise MappingError(f"確認表「{table}」はありません（{', '.join(TABLES)} のどれかです）")
    path = _files(table, user_dir)
    return _load(path, path.stat().st_mtime)


def describe_tables(user_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """One row per table catalogue (``xltools forms``): form, variant, edition, title, how many
    items (and how many of them verified to exist) and the file it was loaded from."""
    rows = []
    for table in TABLES:
        cat = load_table_catalogue(table, user_dir)
        rows.append({"form": cat.table, "variant": cat.variant, "edition": cat.year,
                     "title": cat.title, "items": len(cat.entries),
                     "verified": sum(e.exists_verified for e in cat.entries),
                     "source": cat.source})
    return rows
