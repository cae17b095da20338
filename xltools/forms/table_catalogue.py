"""Load the contract and BCP table catalogues (``mappings/tables/*.yaml``).

The two tables are read by structure; their catalogues only name items, check titles and spot
missing ones. They have their own small format (documented at the top of each file), validated
when loaded: an unknown key fails naming the file and the key, because a typo in a hand-edited
catalogue must never become a silently ignored setting. A ``tables/`` folder in the user's
mappings folder (``--mappings`` / ``XLTOOLS_MAPPINGS``) replaces the bundled file of the same
name, so a corrected catalogue needs no reinstall.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from xltools.forms.catalogue import BUNDLED_DIR, MappingError
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


_TOP = {
    "contract": {"table", "year", "variant", "title", "title_words", "parts", "groups",
                 "checked_on_labels", "entries"},
    "bcp": {"table", "year", "variant", "title", "title_words", "answer_headers", "notes",
            "sections", "middles", "entries"},
}
_ENTRY_KEYS = {"id", "title", "content", "text", "status", "title_status", "content_status",
               "text_status", "note", "checklist", "checklist_status"}
_HEADING_KEYS = {"name", "label", "words", "status", "definition"}
_ID_PATTERN = {"contract": re.compile(r"(P1|[A-Z])-[0-9]+"),
               "bcp": re.compile(r"[1-5]-[0-9]+\.[0-9]+")}


def _reject_unknown(where: str, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _status(where: str, value: Any, default: str = "") -> str:
    if value in (None, ""):
        return default
    if value not in STATUSES:
        raise MappingError(f"{where}: status {value!r} must be one of {STATUSES}")
    return str(value)


def _heading(where: str, key: str, raw: Any) -> Heading:
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: must be a mapping with name/status")
    _reject_unknown(where, raw, _HEADING_KEYS)
    name = str(raw.get("name") or raw.get("label") or "")
    if not name:
        raise MappingError(f"{where}: missing key 'name'")
    return Heading(key=str(key), name=name, status=_status(where, raw.get("status"), "verified"),
                   words=tuple(str(w) for w in raw.get("words") or ()),
                   definition=str(raw.get("definition") or ""))


def _links(where: str, value: Any) -> tuple[str, ...]:
    """Checklist item ids a contract item relates to (``checklist: [mds_sds]``)."""
    if value in (None, ""):
        return ()
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) and re.fullmatch(r"[a-z0-9_]+", v) for v in values):
        raise MappingError(f"{where}: checklist must be a list of checklist item ids")
    return tuple(values)


def _entry(where: str, table: str, raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: an entry must be a mapping")
    where = f"{where} ({raw.get('id', '?')})"
    _reject_unknown(where, raw, _ENTRY_KEYS)
    item_id = str(raw.get("id") or "")
    if not _ID_PATTERN[table].fullmatch(item_id):
        raise MappingError(f"{where}: id {item_id!r} does not look like a {table} item id")
    text = raw.get("content") if table == "contract" else raw.get("text")
    return Entry(id=item_id, title=str(raw.get("title") or ""), text=str(text or ""),
                 status=_status(where, raw.get("status"), "reconstructed"),
                 title_status=_status(where, raw.get("title_status")),
                 text_status=_status(where, raw.get("content_status") or raw.get("text_status")),
                 note=str(raw.get("note") or ""), checklist=_links(where, raw.get("checklist")),
                 checklist_status=_status(where, raw.get("checklist_status"),
                                          "reconstructed" if raw.get("checklist") else ""))


def parse_table_catalogue(text: str, source: str) -> TableCatalogue:
    """Parse and validate one catalogue file's text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or data.get("table") not in _TOP:
        raise MappingError(f"{source}: a table catalogue needs 'table: contract' or 'table: bcp'")
    table = str(data["table"])
    _reject_unknown(source, data, _TOP[table])
    entries = tuple(_entry(f"{source}: entries[{n}]", table, raw)
                    for n, raw in enumerate(data.get("entries") or []))
    ids = [e.id for e in entries]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise MappingError(f"{source}: duplicate entry id(s) {dup}")

    def headings(key: str) -> dict[str, Heading]:
        return {str(k): _heading(f"{source}: {key}.{k}", str(k), v)
                for k, v in (data.get(key) or {}).items()}

    return TableCatalogue(
        table=table, year=str(data.get("year", "")), variant=str(data.get("variant", "")),
        title=str(data.get("title", "")),
        title_words=tuple(str(w) for w in data.get("title_words") or ()), entries=entries,
        parts=headings("parts"), groups=headings("groups"),
        sections={int(k): v for k, v in headings("sections").items()},
        middles=headings("middles"),
        checked_on_labels=tuple(str(w) for w in data.get("checked_on_labels") or ()),
        answer_headers=tuple(str(w) for w in data.get("answer_headers") or ()),
        notes=tuple(str(w) for w in data.get("notes") or ()), source=source)


def _files(table: str, user_dir: str | os.PathLike[str] | None) -> Path:
    path = BUNDLED_DIR / "tables" / f"{table}.yaml"
    extra = user_dir or os.environ.get("XLTOOLS_MAPPINGS")
    if extra and (Path(extra) / "tables" / f"{table}.yaml").exists():
        path = Path(extra) / "tables" / f"{table}.yaml"
    return path


@functools.lru_cache(maxsize=16)
def _load(path: Path, mtime: float) -> TableCatalogue:
    return parse_table_catalogue(path.read_text(encoding="utf-8"), str(path))


def load_table_catalogue(table: str, user_dir: str | os.PathLike[str] | None = None
                         ) -> TableCatalogue:
    """The catalogue of ``contract`` or ``bcp`` (the user's copy when present)."""
    if table not in _TOP:
        raise MappingError(f"unknown table {table!r}; known: {sorted(_TOP)}")
    path = _files(table, user_dir)
    return _load(path, path.stat().st_mtime)


def describe_tables(user_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """One row per table catalogue (``xltools forms``): form, variant, edition, title, how many
    items (and how many of them verified to exist) and the file it was loaded from."""
    rows = []
    for table in _TOP:
        cat = load_table_catalogue(table, user_dir)
        rows.append({"form": cat.table, "variant": cat.variant, "edition": cat.year,
                     "title": cat.title, "items": len(cat.entries),
                     "verified": sum(e.exists_verified for e in cat.entries),
                     "source": cat.source})
    return rows
