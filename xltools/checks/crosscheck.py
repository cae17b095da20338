"""Cross-check rules as data: a facility's checklist against each of its vendors' forms.

Rules live in ``mappings/rules/crosscheck.yaml`` (documented there). A rules file is
validated when loaded: an unknown key fails naming the file and the key. A user's
``--mappings`` folder may hold ``rules/crosscheck.yaml`` too: its rules replace bundled rules of
the same id and add new ones (``enabled: false`` switches one off).

Each condition type is a small function looked up by its ``type`` string
(:data:`CONDITIONS`), so adding a rule of an existing type needs no code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from xltools.forms.catalogue import BUNDLED_DIR, MappingError

RULES_FILE = Path("rules") / "crosscheck.yaml"
ANSWERS = ("yes", "no", "na", "blank")
SEVERITIES = ("error", "warning", "info")
SCOPE_CHOICES = ("overlap", "same", "all", "server", "terminal", "network", "server+terminal")

_RULE_KEYS = {"id", "title", "facility_item", "vendor_item", "scope", "condition", "severity",
              "message", "supersedes", "enabled", "note"}
_CONDITION_KEYS: dict[str, set[str]] = {
    "answers": {"type", "facility", "vendor"},
    "date_order": {"type", "field", "later"},
    "editions_differ": {"type"},
    "facility_answer": {"type", "answers"},
}
_ITEM_LEVEL = {"answers", "date_order"}


@dataclass(frozen=True)
class Rule:
    """One cross-check rule (see the rules file for the meaning of each field)."""

    id: str
    title: str
    facility_item: str | None
    vendor_item: str | None
    scope: str | None
    condition: dict[str, Any]
    severity: str
    message: str
    supersedes: tuple[str, ...] = ()
    enabled: bool = True
    note: str = ""
    source: str = field(default="", compare=False)

    @property
    def type(self) -> str:
        return str(self.condition["type"])

    @property
    def code(self) -> str:
        return f"crosscheck.{self.id}"


# --------------------------------------------------------------------------------------------
# loading and validation


def _answers_list(where: str, value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        # YAML 1.1 reads an unquoted yes/no as a boolean: take it as meant.
        v = {True: "yes", False: "no"}.get(v, v) if isinstance(v, bool) else v
        if v not in ANSWERS:
            raise MappingError(f"{where}: answer {v!r} must be one of {ANSWERS}")
        out.append(str(v))
    return tuple(out)


def _check_condition(where: str, cond: Any) -> dict[str, Any]:
    if not isinstance(cond, dict) or "type" not in cond:
        raise MappingError(f"{where}: condition must be a mapping with a 'type'")
    ctype = cond["type"]
    if ctype not in _CONDITION_KEYS:
        raise MappingError(f"{where}: condition type {ctype!r} unknown; known: {sorted(_CONDITION_KEYS)}")
    unknown = sorted(set(cond) - _CONDITION_KEYS[ctype])
    if unknown:
        raise MappingError(f"{where}: condition: unknown key(s) {unknown}; allowed: "
                           f"{sorted(_CONDITION_KEYS[ctype])}")
    out = dict(cond)
    for key in ("facility", "vendor", "answers"):
        if key in _CONDITION_KEYS[ctype]:
            if key not in cond:
                raise MappingError(f"{where}: condition: missing key {key!r}")
            out[key] = _answers_list(f"{where}: condition.{key}", cond[key])
    if ctype == "date_order":
        if cond.get("field", "checked_on") not in ("checked_on", "target_on"):
            raise MappingError(f"{where}: condition.field must be checked_on or target_on")
        if cond.get("later", "vendor") not in ("vendor", "facility"):
            raise MappingError(f"{where}: condition.later must be vendor or facility")
        out.setdefault("field", "checked_on")
        out.setdefault("later", "vendor")
    return out


def _check_items(where: str, raw: dict[str, Any], ctype: str, known: set[str] | None) -> None:
    fi, vi = raw.get("facility_item"), raw.get("vendor_item")
    if ctype in _ITEM_LEVEL and (fi is None or vi is None):
        raise MappingError(f"{where}: a {ctype} rule needs facility_item and vendor_item")
    if ctype == "editions_differ" and (fi is not None or vi is not None):
        raise MappingError(f"{where}: an editions_differ rule takes facility_item: null, vendor_item: null")
    if ctype == "facility_answer" and (fi in (None, "*") or vi is not None):
        raise MappingError(f"{where}: a facility_answer rule needs one facility_item and vendor_item: null")
    if fi == "*" and vi not in ("*", None):
        raise MappingError(f"{where}: facility_item '*' needs vendor_item '*'")
    for key, value in (("facility_item", fi), ("vendor_item", vi)):
        if known is not None and value not in (None, "*") and value not in known:
            raise MappingError(f"{where}: {key} {value!r} is not an item id in the catalogue")


def check_rule_keys(where: str, raw: dict[str, Any], allowed: set[str],
                    required: tuple[str, ...]) -> None:
    """What every rules file asks of a rule: known keys only, the required ones present, a
    lower-case id and a known severity (each failure names ``where`` and the key)."""
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    missing = [k for k in required if k not in raw]
    if missing:
        raise MappingError(f"{where}: missing key(s) {missing}")
    if not re.fullmatch(r"[a-z0-9_]+", str(raw["id"])):
        raise MappingError(f"{where}: id must be lower-case letters, digits and _")
    if raw["severity"] not in SEVERITIES:
        raise MappingError(f"{where}: severity {raw['severity']!r} must be one of {SEVERITIES}")


def join_lines(text: str) -> str:
    """Collapse whitespace; a line break between two Japanese characters leaves no space."""
    text = " ".join(text.split())
    return re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)


def _parse_rule(source: str, n: int, raw: Any, known: set[str] | None) -> Rule:
    where = f"{source}: rules[{n}]"
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: a rule must be a mapping")
    where = f"{source}: rules[{n}] ({raw.get('id', '?')})"
    check_rule_keys(where, raw, _RULE_KEYS, ("id", "condition", "severity", "message"))
    cond = _check_condition(where, raw["condition"])
    scope = raw.get("scope")
    if cond["type"] in _ITEM_LEVEL and scope not in SCOPE_CHOICES:
        raise MappingError(f"{where}: scope {scope!r} must be one of {SCOPE_CHOICES}")
    _check_items(where, raw, cond["type"], known)
    return Rule(
        id=str(raw["id"]), title=str(raw.get("title") or raw["id"]),
        facility_item=raw.get("facility_item"), vendor_item=raw.get("vendor_item"),
        scope=scope, condition=cond, severity=str(raw["severity"]),
        message=join_lines(str(raw["message"])), supersedes=tuple(raw.get("supersedes") or ()),
        enabled=bool(raw.get("enabled", True)), note=str(raw.get("note", "")), source=source)


def parse_rules(text: str, source: str, known_items: set[str] | None = None) -> list[Rule]:
    """Parse and validate one rules file's text (all rules, enabled or not)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or set(data) - {"rules"}:
        extra = sorted(set(data) - {"rules"}) if isinstance(data, dict) else []
        raise MappingError(f"{source}: a rules file is a mapping with one key 'rules'"
                           + (f"; unknown key(s) {extra}" if extra else ""))
    rules = [_parse_rule(source, n, raw, known_items) for n, raw in enumerate(data["rules"] or [])]
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise MappingError(f"{source}: duplicate rule id(s) {dup}")
    return rules


def load_rules(user_dir: str | os.PathLike[str] | None = None,
               known_items: set[str] | None = None) -> list[Rule]:
    """Bundled rules, then the user's ``rules/crosscheck.yaml``; enabled rules only."""
    by_id: dict[str, Rule] = {}
    extra = user_dir or os.environ.get("XLTOOLS_MAPPINGS")
    for folder in [BUNDLED_DIR, *([Path(extra)] if extra else [])]:
        path = Path(folder) / RULES_FILE
        if path.exists():
            for rule in parse_rules(path.read_text(encoding="utf-8"), str(path), known_items):
                by_id[rule.id] = rule
    for rule in by_id.values():
        for sid in rule.supersedes:
            if sid not in by_id:
                raise MappingError(f"{rule.source}: rule {rule.id}: supersedes unknown rule {sid!r}")
    return [r for r in by_id.values() if r.enabled]


# --------------------------------------------------------------------------------------------
# scopes


def scope_parts(scope: str) -> set[str]:
    return set(str(scope or "all").split("+"))


def scopes_overlap(a: str, b: str) -> bool:
    """``all`` overlaps every scope; ``server+terminal`` overlaps ``server`` and ``terminal``."""
    pa, pb = scope_parts(a), scope_parts(b)
    return "all" in pa or "all" in pb or bool(pa & pb)


def _scope_ok(rule: Rule, fscope: pd.Series, vscope: pd.Series) -> pd.Series:
    if rule.scope == "overlap":
        return pd.Series([scopes_overlap(f, v) for f, v in zip(fscope, vscope, strict=True)],
                         index=fscope.index, dtype=bool)
    if rule.scope == "same":
        return fscope == vscope
    return (fscope == rule.scope) & (vscope == rule.scope)


# --------------------------------------------------------------------------------------------
# evaluation: every function takes (rule, item_rows, pairs) and returns the rows that fire
#   item_rows: one row per (pair, facility answer row, vendor answer row) with f_* / v_* columns
#   pairs:     one row per (facility form, vendor form) with f_* / v_* columns


def _cond_answers(rule: Rule, rows: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    c = rule.condition
    return rows[rows["f_answer"].isin(c["facility"]) & rows["v_answer"].isin(c["vendor"])]


def _cond_date_order(rule: Rule, rows: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    fld = rule.condition["field"]
    later, earlier = ("v_", "f_") if rule.condition["later"] == "vendor" else ("f_", "v_")
    both = rows[(rows[f"f_{fld}"] != "") & (rows[f"v_{fld}"] != "")]
    return both[both[later + fld] > both[earlier + fld]]


def _cond_editions_differ(rule: Rule, rows: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs[(pairs["f_submission_id"] != "") & (pairs["f_edition"] != pairs["v_edition"])]


def _cond_facility_answer(rule: Rule, rows: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs[pairs["f_answer"].isin(rule.condition["answers"])]


CONDITIONS: dict[str, Callable[[Rule, pd.DataFrame, pd.DataFrame], pd.DataFrame]] = {
    "answers": _cond_answers,
    "date_order": _cond_date_order,
    "editions_differ": _cond_editions_differ,
    "facility_answer": _cond_facility_answer,
}


def item_rows(rule: Rule, pairs: pd.DataFrame, fac: pd.DataFrame, ven: pd.DataFrame) -> pd.DataFrame:
    """Facility rows joined to vendor rows for one rule's items and scope.

    ``fac`` and ``ven`` are effective answers with ``f_``/``v_`` prefixed columns and their
    ``f_submission_id`` / ``v_submission_id``.
    """
    f = fac if rule.facility_item == "*" else fac[fac["f_item_id"] == rule.facility_item]
    v = ven if rule.vendor_item == "*" else ven[ven["v_item_id"] == rule.vendor_item]
    rows = pairs.merge(f, on="f_submission_id").merge(v, on="v_submission_id")
    if rule.facility_item == "*":
        rows = rows[rows["f_item_id"] == rows["v_item_id"]]
    if rows.empty:
        return rows
    return rows[_scope_ok(rule, rows["f_scope"], rows["v_scope"])]


def evaluate(rule: Rule, pairs: pd.DataFrame, fac: pd.DataFrame, ven: pd.DataFrame) -> pd.DataFrame:
    """The rows (item level or pair level) where ``rule`` fires."""
    if rule.type in _ITEM_LEVEL:
        rows = item_rows(rule, pairs, fac, ven)
        return CONDITIONS[rule.type](rule, rows, pairs) if not rows.empty else rows
    if rule.type == "facility_answer":
        f = fac[fac["f_item_id"] == rule.facility_item]
        joined = pairs.merge(f, on="f_submission_id")
        return CONDITIONS[rule.type](rule, joined, joined)
    return CONDITIONS[rule.type](rule, pd.DataFrame(), pairs)
