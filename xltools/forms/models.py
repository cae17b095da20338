"""What a mapping file may say, declared once as models (pydantic v2).

Every file under ``mappings/`` (and a user's ``--mappings`` folder) is validated against one of
these models when it is loaded: checklist editions (:class:`ChecklistFile`), the shared
vocabulary (:class:`VocabularyFile`), the contract and BCP table catalogues
(:class:`TableFile`) and the cross-check rules (:class:`RulesFile`). A file that does not
fit fails with :class:`MappingError`: one Japanese line naming the file and the field path,
e.g. ``mappings/checklist/R9.yaml: variants.vendor.title: 文字列が必要です``. Unknown keys,
wrong types, quoted booleans (``gate: "false"`` would otherwise read as true), empty sections
and impossible years are refused, never guessed: a hand-edited mapping must never turn into a
silently different setting.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from xltools.errors import XltoolsError


class MappingError(XltoolsError, ValueError):
    """A mapping file is malformed; the message names the file and the field (exit 3)."""


# --------------------------------------------------------------------------------------------
# field types


def _text(value: Any) -> Any:
    """An id, ref, year or date may be written unquoted (``ref: 0``, ``published: 2024-06-01``):
    take it as the text it reads as. Booleans are never text (``yes`` unquoted is true)."""
    if isinstance(value, bool):
        return value  # refused below: "文字列が必要です"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _answer(value: Any) -> Any:
    """YAML 1.1 reads an unquoted yes/no as a boolean: an answer list takes it as meant."""
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


def _listed(value: Any) -> Any:
    """One value where a list is allowed (``checklist: mds_sds``)."""
    return [value] if isinstance(value, str) else ([] if value in (None, "") else value)


def _year(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("西暦の年（例: 2026）を整数で書いてください")
    if not 2000 <= value <= 2100:
        raise ValueError(f"年 {value} は西暦の年（2000〜2100）ではありません")
    return value


# every model is strict (no "false" -> False, no 1 -> "1"): only the conversions below are made
Text = Annotated[str, BeforeValidator(_text)]
Str = str
NonEmpty = Annotated[str, Field(min_length=1)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
Year = Annotated[int, BeforeValidator(_year)]
Answer = Annotated[Literal["yes", "no", "na", "blank"], BeforeValidator(_answer)]
VariantName = Literal["hospital", "pharmacy", "vendor", "joint"]
Severity = Literal["error", "warning", "info"]
Status = Literal["verified", "reconstructed"]
SCOPES = ("all", "server", "terminal", "network")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --------------------------------------------------------------------------------------------
# checklist editions (mappings/checklist/*.yaml)


class Recognition(_Model):
    markers: list[Text] = []
    numbering: Str = ""
    note: Str = ""


class Layout(_Model):
    scope_style: Literal["headings", "label", "column"] = "headings"
    rounds: Literal[1, 2] = 2
    date_column: StrictBool = False


class VariantSpec(_Model):
    labels: list[Text] = []
    title: Str = ""


class ItemSpec(_Model):
    id: Slug
    ref: Text
    section: StrictInt = 0
    variants: Annotated[list[VariantName], Field(min_length=1)]
    scopes: Annotated[list[Str], Field(min_length=1)]
    text: NonEmpty
    texts: dict[VariantName, Str] = {}
    aliases: list[Str] = []
    status: Str = "verified"
    target_fiscal_year: Year | None = None
    gate: StrictBool = False
    blank_ok_without_vendor: StrictBool = False
    note: Str = ""

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, scopes: list[str]) -> list[str]:
        for sc in scopes:
            if not all(part in SCOPES for part in sc.split("+")):
                raise ValueError(f"対象「{sc}」は {'・'.join(SCOPES)} のどれか（+ でつなげます）です")
        return scopes


class ChecklistFile(_Model):
    form: Literal["checklist"]
    edition: Text
    fiscal_year: Year
    era: Str = ""
    published: Text = ""
    recognition: Recognition = Recognition()
    layout: Layout = Layout()
    variants: Annotated[dict[VariantName, VariantSpec], Field(min_length=1)]
    sections: dict[int, Str] = {}
    items: Annotated[list[ItemSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> ChecklistFile:
        for n, it in enumerate(self.items):
            for v in it.variants:
                if v not in self.variants:
                    raise _At(("items", n, "variants"),
                              f"様式の種類 {v} が variants に書かれていません")
        _no_duplicates([it.id for it in self.items], "items", "項目 ID")
        return self


# --------------------------------------------------------------------------------------------
# the shared vocabulary (mappings/vocabulary.yaml)

Words = dict[Str, list[Text]]


class VocabularyFile(_Model):
    answers: Words = {}
    headers: Words = {}
    fields: Words = {}
    scopes: Words = {}


# --------------------------------------------------------------------------------------------
# contract and BCP table catalogues (mappings/tables/*.yaml)


class HeadingSpec(_Model):
    name: Str = ""
    label: Str = ""
    words: list[Text] = []
    status: Status = "verified"
    definition: Str = ""

    @model_validator(mode="after")
    def _named(self) -> HeadingSpec:
        if not (self.name or self.label):
            raise _At(("name",), "必須の項目がありません")
        return self


_ID_PATTERN = {"contract": re.compile(r"(P1|[A-Z])-[0-9]+"),
               "bcp": re.compile(r"[1-5]-[0-9]+\.[0-9]+")}


class EntrySpec(_Model):
    id: Text
    title: Str = ""
    content: Str = ""
    text: Str = ""
    status: Status = "reconstructed"
    title_status: Status | None = None
    content_status: Status | None = None
    text_status: Status | None = None
    note: Str = ""
    checklist: Annotated[list[Slug], BeforeValidator(_listed)] = []
    checklist_status: Status | None = None


class TableFile(_Model):
    table: Literal["contract", "bcp"]
    year: Text = ""
    variant: Str = ""
    title: Str = ""
    title_words: list[Text] = []
    parts: dict[Text, HeadingSpec] = {}
    groups: dict[Text, HeadingSpec] = {}
    checked_on_labels: list[Text] = []
    answer_headers: list[Text] = []
    notes: list[Str] = []
    sections: dict[int, HeadingSpec] = {}
    middles: dict[Text, HeadingSpec] = {}
    entries: list[EntrySpec] = []

    @model_validator(mode="after")
    def _consistent(self) -> TableFile:
        allowed = {"contract": {"parts", "groups", "checked_on_labels"},
                   "bcp": {"answer_headers", "notes", "sections", "middles"}}
        other = allowed["bcp" if self.table == "contract" else "contract"]
        for key in sorted(other & self.model_fields_set):
            raise _At((key,), f"{self.table} の確認表には書けない項目です")
        for n, e in enumerate(self.entries):
            if not _ID_PATTERN[self.table].fullmatch(e.id):
                raise _At(("entries", n, "id"), f"「{e.id}」は {self.table} の項目 ID の形ではありません")
        _no_duplicates([e.id for e in self.entries], "entries", "項目 ID")
        return self


# --------------------------------------------------------------------------------------------
# cross-check rules (mappings/rules/*.yaml)


class AnswersCheck(_Model):
    type: Literal["answers"]
    facility: list[Answer]
    vendor: list[Answer]


class DateOrderCheck(_Model):
    type: Literal["date_order"]
    field: Literal["checked_on", "target_on"] = "checked_on"
    later: Literal["vendor", "facility"] = "vendor"


class EditionsDifferCheck(_Model):
    type: Literal["editions_differ"]


class FacilityAnswerCheck(_Model):
    type: Literal["facility_answer"]
    answers: list[Answer]


class ContractCopiesCheck(_Model):
    type: Literal["contract_copies"]
    field: Literal["answer", "completed_on"] = "answer"


class ChecklistBcpCheck(_Model):
    type: Literal["checklist_bcp"]
    checklist_item: Slug = "bcp"
    checklist_answers: list[Answer] = ["yes"]
    table_any: list[Answer] | None = None
    table_all: list[Answer] | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> ChecklistBcpCheck:
        if (self.table_any is None) == (self.table_all is None):
            raise _At(("table_any",), "table_any と table_all のどちらか一方だけを書いてください")
        return self


Condition = Annotated[AnswersCheck | DateOrderCheck | EditionsDifferCheck | FacilityAnswerCheck
                      | ContractCopiesCheck | ChecklistBcpCheck, Field(discriminator="type")]
PAIR_TYPES = ("answers", "date_order", "editions_differ", "facility_answer")  # facility vs vendor
ITEM_LEVEL = ("answers", "date_order")
ScopeChoice = Literal["overlap", "same", "all", "server", "terminal", "network", "server+terminal"]


class RuleSpec(_Model):
    """One rule: which check (``condition.type``) with which parameters, and the catalogue code
    its findings carry (``crosscheck.<slug>``; the wording lives in the problem catalogue)."""

    id: Slug
    code: Str
    condition: Condition
    title: Str = ""
    severity: Severity | None = None
    facility_item: Str | None = None
    vendor_item: Str | None = None
    scope: ScopeChoice | None = None
    supersedes: list[Slug] = []
    enabled: StrictBool = True
    note: Str = ""
    source: Str = ""  # the file the rule came from (set by the loader, not written in it)

    @model_validator(mode="before")
    @classmethod
    def _not_written(cls, data: Any) -> Any:
        if isinstance(data, dict) and "source" in data:
            raise _At(("source",), _MESSAGES["extra_forbidden"])
        return data

    @field_validator("code")
    @classmethod
    def _known_code(cls, code: str) -> str:
        from xltools.problems import CATALOGUE

        if not code.startswith("crosscheck.") or code not in CATALOGUE:
            known = ", ".join(c for c in CATALOGUE if c.startswith("crosscheck."))
            raise ValueError(f"「{code}」は問題コード一覧（docs/problems.md）にありません（使えるコード: {known}）")
        return code

    @model_validator(mode="after")
    def _items(self) -> RuleSpec:
        ctype, fi, vi = self.condition.type, self.facility_item, self.vendor_item
        if ctype in ITEM_LEVEL:
            if fi is None or vi is None:
                raise _At(("facility_item" if fi is None else "vendor_item",),
                          f"{ctype} の規則には facility_item と vendor_item が必要です")
            if self.scope is None:
                raise _At(("scope",), "必須の項目がありません")
        if ctype == "editions_differ" and (fi is not None or vi is not None):
            raise _At(("facility_item",), "editions_differ の規則では facility_item・vendor_item は null です")
        if ctype == "facility_answer" and (fi in (None, "*") or vi is not None):
            raise _At(("facility_item",), "facility_answer の規則には項目 ID を 1 つ書き、vendor_item は null にします")
        if fi == "*" and vi not in ("*", None):
            raise _At(("vendor_item",), "facility_item が \"*\" なら vendor_item も \"*\" です")
        if ctype not in PAIR_TYPES and (fi is not None or vi is not None or self.scope is not None):
            raise _At(("facility_item",), f"{ctype} の規則には書けない項目です")
        return self

    @property
    def type(self) -> str:
        return self.condition.type


class RulesFile(_Model):
    rules: list[RuleSpec] = []

    @model_validator(mode="after")
    def _unique(self) -> RulesFile:
        _no_duplicates([r.id for r in self.rules], "rules", "規則 ID")
        return self


# --------------------------------------------------------------------------------------------
# loading and the one-line error


class _At(ValueError):
    """A consistency failure found after the fields parsed, at a path inside the model."""

    def __init__(self, loc: tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _no_duplicates(ids: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for n, i in enumerate(ids):
        if i in seen:
            raise _At((where, n, "id"), f"{what}「{i}」が重複しています")
        seen.add(i)


_MESSAGES = {
    "missing": "必須の項目がありません",
    "extra_forbidden": "知らない項目です（綴りを確認してください）",
    "string_type": "文字列が必要です",
    "bool_type": "true か false が必要です（引用符で囲まないでください）",
    "bool_parsing": "true か false が必要です（引用符で囲まないでください）",
    "int_type": "整数が必要です",
    "int_parsing": "整数が必要です",
    "dict_type": "「キー: 値」の対応表が必要です",
    "model_type": "「キー: 値」の対応表が必要です",
    "model_attributes_type": "「キー: 値」の対応表が必要です",
    "list_type": "リスト（[...] または - で始まる行）が必要です",
    "too_short": "空にはできません",
    "string_too_short": "空にはできません",
    "string_pattern_mismatch": "英小文字・数字・_ だけで書いてください",
    "union_tag_not_found": "type がありません",
}


def _loc_text(loc: tuple[Any, ...], data: Any) -> str:
    """``('items', 3, 'gate')`` -> ``items[3].gate``; union tags and validator names pydantic
    adds (``answers``, ``function-after[...]``) are left out by following the data."""
    parts: list[str] = []
    node = data
    for n, key in enumerate(loc):
        last = n == len(loc) - 1
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            parts.append(f"[{key}]")
            node = node[key]
        elif isinstance(node, dict) and (key in node or str(key) in node or last):
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key, node.get(str(key))) if not last else None
        elif last and not isinstance(node, (list, dict)):
            parts.append(f".{key}" if parts else str(key))
    return "".join(parts)


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    exc = ctx.get("error")
    if isinstance(exc, ValueError):
        return str(exc.args[0]) if exc.args else str(exc)
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'|\b(\d+)\b", str(ctx.get("expected", "")))
        return f"{'・'.join(a or b for a, b in expected)} のどれかが必要です"
    if kind == "union_tag_invalid":
        return f"type「{ctx.get('tag', '')}」は使えません（{ctx.get('expected_tags', '')}）".replace("'", "")
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    return f"値が正しくありません（{err.get('msg', kind)}）"


def _error_line(source: str, exc: ValidationError, data: Any) -> str:
    errors = exc.errors(include_url=False)
    # a misspelt key usually also leaves a required one missing: name the misspelling
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, _At):
        loc = loc + inner.loc
    path = _loc_text(loc, data)
    return f"{source}: {path}: {_message(err)}" if path else f"{source}: {_message(err)}"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader refusing a key written twice in one mapping (PyYAML keeps the last
    silently, so the first, perhaps corrected, value would vanish). libyaml's parser when
    PyYAML has it (the wheels do): the same documents, about 15x faster to parse, and every
    run parses the mappings before its first file."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, bool)) and key in seen:
                raise _Duplicate(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _Duplicate(Exception):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(key, line)
        self.key, self.line = key, line


def read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except _Duplicate as exc:
        raise MappingError(f"{source}: {exc.line} 行目: 同じキー「{exc.key}」が 2 回書かれています") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1} 行目" if mark is not None else "どこか"
        raise MappingError(f"{source}: YAML として読めません（{where}）") from exc


def validate(model: type[_Model], data: Any, source: str) -> Any:
    """``data`` as ``model``, or :class:`MappingError` with one line naming ``source`` and
    the field path."""
    if not isinstance(data, dict):
        raise MappingError(f"{source}: ファイル全体が「キー: 値」の対応表になっていません")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise MappingError(_error_line(source, exc, data)) from None


def load_file(model: type[_Model], path: Path, text: str | None = None) -> Any:
    text = path.read_text(encoding="utf-8") if text is None else text
    return validate(model, read_yaml(text, str(path)), str(path))


__all__ = ["MappingError", "ChecklistFile", "VocabularyFile", "TableFile", "RulesFile",
           "RuleSpec", "ItemSpec", "validate", "read_yaml", "load_file", "PAIR_TYPES",
           "ITEM_LEVEL"]
