"""Load the form mappings (forms as data) and the shared vocabulary.

A mapping file describes one edition of one form: how to recognise it, which items it asks,
with which printed ref and scopes, per variant. Files are validated when loaded: an unknown key
fails naming the file and the key, because a typo in a hand-edited mapping must never turn
into a silently ignored setting.

Bundled mappings live in the top-level ``mappings/`` folder (shipped in the wheel as
``xltools/_mappings``); a user folder given with ``--mappings`` or
``XLTOOLS_MAPPINGS`` is read after them and overrides a bundled file of the same form and
edition (so a corrected or newly learned edition needs no reinstall).
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml


def _bundled_dir() -> Path:
    """The one source of the bundled mappings: ``mappings/`` beside the package in a checkout
    (and an editable install), ``xltools/_mappings`` inside an installed wheel."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_mappings"
    return installed if installed.is_dir() else package.parent / "mappings"


BUNDLED_DIR = _bundled_dir()
SCOPES = ("all", "server", "terminal", "network")
VARIANTS = ("hospital", "pharmacy", "vendor", "joint")


class MappingError(ValueError):
    """A mapping file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Item:
    """One question of a form edition (stable ``id`` across editions)."""

    id: str
    ref: str
    section: int
    variants: tuple[str, ...]
    scopes: tuple[str, ...]
    text: str
    texts: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    status: str = "verified"
    target_fiscal_year: int | None = None
    gate: bool = False
    blank_ok_without_vendor: bool = False
    note: str = ""

    def text_for(self, variant: str) -> str:
        """The wording printed on the given variant's sheet."""
        return self.texts.get(variant, self.text)

    def all_texts(self) -> list[str]:
        """Every wording this item is known by (any variant, any edition alias)."""
        seen: list[str] = []
        for t in (self.text, *self.texts.values(), *self.aliases):
            if t not in seen:
                seen.append(t)
        return seen


@dataclass(frozen=True)
class Variant:
    name: str
    labels: tuple[str, ...]
    title: str


@dataclass(frozen=True)
class FormMapping:
    """One edition of one form, as described by a mapping file."""

    form: str
    edition: str
    fiscal_year: int
    era: str
    variants: dict[str, Variant]
    items: tuple[Item, ...]
    sections: dict[int, str]
    markers: tuple[str, ...]
    numbering: str
    scope_style: str
    rounds: int
    date_column: bool
    source: str
    digest: str
    published: str = ""

    def items_for(self, variant: str) -> list[Item]:
        return [it for it in self.items if variant in it.variants]

    def expected_rows(self, variant: str) -> list[tuple[str, str]]:
        """(item_id, scope) pairs the variant's sheet must answer, in printed order."""
        return [(it.id, sc) for it in self.items_for(variant) for sc in it.scopes]

    def item(self, item_id: str) -> Item:
        return self._by_id[item_id]

    @cached_property
    def _by_id(self) -> dict[str, Item]:
        """Items by id (asked once per answer row; the mapping never changes once loaded)."""
        return {it.id: it for it in self.items}

    @property
    def key(self) -> str:
        return f"{self.form}/{self.edition}"


_TOP_KEYS = {"form", "edition", "fiscal_year", "era", "published", "recognition", "layout",
             "variants", "sections", "items"}
_ITEM_KEYS = {"id", "ref", "section", "variants", "scopes", "text", "texts", "aliases", "status",
              "target_fiscal_year", "gate", "blank_ok_without_vendor", "note"}
_RECOG_KEYS = {"markers", "numbering", "note"}
_LAYOUT_KEYS = {"scope_style", "rounds", "date_column"}
_VARIANT_KEYS = {"labels", "title"}


def _reject_unknown(where: str, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _require(where: str, data: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        raise MappingError(f"{where}: missing key(s) {missing}")


def _parse_item(path: str, n: int, raw: dict[str, Any], variants: set[str]) -> Item:
    where = f"{path}: items[{n}] ({raw.get('id', '?')})"
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: an item must be a mapping")
    _reject_unknown(where, raw, _ITEM_KEYS)
    _require(where, raw, "id", "ref", "variants", "scopes", "text")
    for v in raw["variants"]:
        if v not in variants:
            raise MappingError(f"{where}: variant {v!r} is not declared under 'variants'")
    for sc in raw["scopes"]:
        if not all(part in SCOPES for part in str(sc).split("+")):
            raise MappingError(f"{where}: scope {sc!r} must be one of {SCOPES} or a '+' join")
    return Item(
        id=str(raw["id"]), ref=str(raw["ref"]), section=int(raw.get("section", 0)),
        variants=tuple(raw["variants"]), scopes=tuple(str(s) for s in raw["scopes"]),
        text=str(raw["text"]), texts=dict(raw.get("texts") or {}),
        aliases=tuple(raw.get("aliases") or ()), status=str(raw.get("status", "verified")),
        target_fiscal_year=raw.get("target_fiscal_year"), gate=bool(raw.get("gate", False)),
        blank_ok_without_vendor=bool(raw.get("blank_ok_without_vendor", False)),
        note=str(raw.get("note", "")),
    )


def parse_mapping(text: str, source: str) -> FormMapping:
    """Parse and validate one mapping file's text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError(f"{source}: a mapping file must be a YAML mapping")
    _reject_unknown(source, data, _TOP_KEYS)
    _require(source, data, "form", "edition", "fiscal_year", "variants", "items")
    recog = data.get("recognition") or {}
    _reject_unknown(f"{source}: recognition", recog, _RECOG_KEYS)
    layout = data.get("layout") or {}
    _reject_unknown(f"{source}: layout", layout, _LAYOUT_KEYS)
    variants: dict[str, Variant] = {}
    for name, v in (data["variants"] or {}).items():
        _reject_unknown(f"{source}: variants.{name}", v, _VARIANT_KEYS)
        if name not in VARIANTS:
            raise MappingError(f"{source}: variant {name!r} must be one of {VARIANTS}")
        variants[name] = Variant(name, tuple(v.get("labels") or ()), str(v.get("title", "")))
    items = tuple(_parse_item(source, n, raw, set(variants)) for n, raw in enumerate(data["items"]))
    ids = [it.id for it in items]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise MappingError(f"{source}: duplicate item id(s) {dup}")
    return FormMapping(
        form=str(data["form"]), edition=str(data["edition"]), fiscal_year=int(data["fiscal_year"]),
        era=str(data.get("era", "")), variants=variants, items=items,
        sections={int(k): str(v) for k, v in (data.get("sections") or {}).items()},
        markers=tuple(recog.get("markers") or ()), numbering=str(recog.get("numbering", "")),
        scope_style=str(layout.get("scope_style", "headings")), rounds=int(layout.get("rounds", 2)),
        date_column=bool(layout.get("date_column", False)), source=source,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        published=str(data.get("published", "")),
    )


def _mapping_dirs(user_dir: str | os.PathLike[str] | None) -> list[Path]:
    dirs = [BUNDLED_DIR]
    extra = user_dir or os.environ.get("XLTOOLS_MAPPINGS")
    if extra:
        dirs.append(Path(extra))
    return dirs


@dataclass(frozen=True)
class Catalogue:
    """Every known form edition plus the shared vocabulary."""

    forms: tuple[FormMapping, ...]
    vocabulary: dict[str, Any]
    version: str

    def editions(self, form: str) -> list[FormMapping]:
        return [m for m in self.forms if m.form == form]

    def get(self, form: str, edition: str) -> FormMapping:
        for m in self.forms:
            if m.form == form and m.edition == edition:
                return m
        known = ", ".join(m.key for m in self.forms)
        raise MappingError(f"no mapping for {form} {edition}; known: {known}")


def _load_vocabulary(dirs: list[Path]) -> dict[str, Any]:
    vocab: dict[str, Any] = {}
    for d in dirs:
        p = d / "vocabulary.yaml"
        if p.exists():
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
            for section, entries in data.items():
                merged = dict(vocab.get(section, {}))
                for key, words in (entries or {}).items():
                    # user words extend the bundled list rather than replace it
                    merged[key] = list(dict.fromkeys([*merged.get(key, []), *words]))
                vocab[section] = merged
    return vocab


def _stamp(d: Path) -> tuple[tuple[str, int, int], ...]:
    """What a user folder holds now, so a mapping added or edited in a running process (learn,
    then read) is seen without a restart; the bundled folder does not change under us."""
    if not d.is_dir():
        return ()
    out = []
    for p in d.rglob("*.yaml"):
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(sorted(out))


@functools.lru_cache(maxsize=8)
def _load(dirs: tuple[Path, ...], stamps: tuple[Any, ...] = ()) -> Catalogue:
    by_key: dict[str, FormMapping] = {}
    digests: list[str] = []
    for d in dirs:
        if not d.exists():
            raise MappingError(f"mappings folder {d} does not exist")
        for p in sorted(d.rglob("*.yaml")):
            if p.name == "vocabulary.yaml" or p.parent.name == "rules" or p.name.startswith("_"):
                continue
            text = p.read_text(encoding="utf-8")
            head = yaml.safe_load(text)
            if not isinstance(head, dict) or "items" not in head or "edition" not in head:
                continue  # catalogues and rule tables of other modules live here too
            m = parse_mapping(text, str(p))
            by_key[m.key] = m  # later folders override earlier ones
            digests.append(m.digest)
    vocab = _load_vocabulary(list(dirs))
    digests.append(hashlib.sha256(repr(sorted(vocab.items())).encode()).hexdigest()[:16])
    version = hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()[:16]
    return Catalogue(tuple(by_key.values()), vocab, version)


def load_catalogue(user_dir: str | os.PathLike[str] | None = None) -> Catalogue:
    """All mappings: bundled, then the user's folder (``--mappings`` / ``XLTOOLS_MAPPINGS``)."""
    dirs = tuple(_mapping_dirs(user_dir))
    return _load(dirs, tuple(_stamp(d) for d in dirs[1:]))
