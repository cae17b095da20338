"""Load the form mappings (forms as data) and the shared vocabulary.

A mapping file describes one edition of one form: how to recognise it, which items it asks,
with which printed ref and scopes, per variant.

Bundled mappings live in the top-level ``mappings/`` folder (shipped in the wheel as
``xltools/_mappings``); a user folder given with ``--mappings`` or
``XLTOOLS_MAPPINGS`` is read after them and overrides a bundled file of the same form and
edition (so a corrected or newly learned edition needs no reinstall).

Every file of both folders is validated when the catalogue is loaded, against the models of
:mod:`xltools.forms.models` (checklist editions, vocabulary, table catalogues, rules): a
malformed file stops the run with one line naming the file and the field.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from xltools.forms.models import (
    ChecklistFile,
    ItemSpec,
    MappingError,
    VocabularyFile,
    load_file,
    read_yaml,
    validate,
)


def _bundled_dir() -> Path:
    """The one source of the bundled mappings: ``mappings/`` beside the package in a checkout
    (and an editable install), ``xltools/_mappings`` inside an installed wheel."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_mappings"
    return installed if installed.is_dir() else package.parent / "mappings"


BUNDLED_DIR = _bundled_dir()
SCOPES = ("all", "server", "terminal", "network")
VARIANTS = ("hospital", "pharmacy", "vendor", "joint")


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


def _item(spec: ItemSpec) -> Item:
    return Item(
        id=spec.id, ref=spec.ref, section=spec.section, variants=tuple(spec.variants),
        scopes=tuple(spec.scopes), text=spec.text, texts=dict(spec.texts),
        aliases=tuple(spec.aliases), status=spec.status,
        target_fiscal_year=spec.target_fiscal_year, gate=spec.gate,
        blank_ok_without_vendor=spec.blank_ok_without_vendor, note=spec.note)


def parse_mapping(text: str, source: str) -> FormMapping:
    """Parse and validate one mapping file's text (:class:`xltools.forms.models.ChecklistFile`)."""
    spec: ChecklistFile = validate(ChecklistFile, read_yaml(text, source), source)
    return FormMapping(
        form=spec.form, edition=spec.edition, fiscal_year=spec.fiscal_year, era=spec.era,
        variants={name: Variant(name, tuple(v.labels), v.title) for name, v in spec.variants.items()},
        items=tuple(_item(it) for it in spec.items), sections=dict(spec.sections),
        markers=tuple(spec.recognition.markers), numbering=spec.recognition.numbering,
        scope_style=spec.layout.scope_style, rounds=spec.layout.rounds,
        date_column=spec.layout.date_column, source=source,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], published=spec.published,
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
        raise MappingError(f"{form} の版「{edition}」の定義（マッピング）がありません（あるもの: {known}）。"
                           "xltools forms で確認するか、xltools learn で取り込んでください。")


def _merge_vocabulary(vocab: dict[str, Any], spec: VocabularyFile) -> None:
    for section, entries in spec.model_dump(exclude_unset=True).items():
        merged = dict(vocab.get(section, {}))
        for key, words in entries.items():
            # user words extend the bundled list rather than replace it
            merged[key] = list(dict.fromkeys([*merged.get(key, []), *words]))
        vocab[section] = merged


def _kind(p: Path, folder: Path) -> str:
    """What a file under a mappings folder is, by where it sits: ``rules/`` and ``tables/``
    hold rules and table catalogues, ``vocabulary.yaml`` the words, every other ``.yaml`` a
    checklist edition (``_``-prefixed files are notes and skipped)."""
    rel = p.relative_to(folder).parts
    if p.name.startswith("_"):
        return "skip"
    if p.name == "vocabulary.yaml":
        return "vocabulary" if len(rel) == 1 else "skip"
    if rel[0] in ("rules", "tables") and len(rel) == 2:
        return rel[0]
    return "checklist"


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
    """Every file of every folder validated against its model (:mod:`xltools.forms.models`),
    so a malformed table catalogue or rules file stops the run before any file is read."""
    from xltools.checks.rules import parse_rules_file
    from xltools.forms.table_catalogue import parse_table_file

    by_key: dict[str, FormMapping] = {}
    digests: list[str] = []
    vocab: dict[str, Any] = {}
    for d in dirs:
        if not d.exists():
            raise MappingError(f"{d}: マッピングのフォルダがありません")
        for p in sorted(d.rglob("*.yaml")):
            kind = _kind(p, d)
            if kind == "vocabulary":
                _merge_vocabulary(vocab, load_file(VocabularyFile, p))
            elif kind == "tables":
                parse_table_file(p)
            elif kind == "rules":
                parse_rules_file(p)
            elif kind == "checklist":
                m = parse_mapping(p.read_text(encoding="utf-8"), str(p))
                by_key[m.key] = m  # later folders override earlier ones
                digests.append(m.digest)
    digests.append(hashlib.sha256(repr(sorted(vocab.items())).encode()).hexdigest()[:16])
    version = hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()[:16]
    return Catalogue(tuple(by_key.values()), vocab, version)


def load_catalogue(user_dir: str | os.PathLike[str] | None = None) -> Catalogue:
    """All mappings: bundled, then the user's folder (``--mappings`` / ``XLTOOLS_MAPPINGS``)."""
    dirs = tuple(_mapping_dirs(user_dir))
    return _load(dirs, tuple(_stamp(d) for d in dirs[1:]))
