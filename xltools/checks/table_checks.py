"""Cross-checks of the contract role table and the BCP table, as pure functions over frames.

Two questions an aggregator asks once every form is read:

* do the facility's copy and the vendor's copy of the same contract table say the same thing?
  (copies are matched by facility, vendor and system name after normalisation; each item whose
  answer or 完了日 differs is one finding carrying both answers and both cells);
* does the checklist's 「BCPを策定している」 agree with the facility's BCP table? (checklist
  yes while the table has unticked or missing items, and checklist no while the table is fully
  ticked).

Rules live in ``mappings/rules/tables.yaml`` (documented there); a user's ``--mappings``
folder may hold ``rules/tables.yaml`` too, whose rules replace bundled ones of the same id.
Every function takes the three tables of :mod:`xltools.schema` and returns a findings frame
with :data:`FINDING_COLUMNS`; nothing is read from disk except the rules.
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

from xltools.aggregate.roster import facility_part, normalize_name, plain_name
from xltools.checks.crosscheck import check_rule_keys, join_lines
from xltools.forms.catalogue import BUNDLED_DIR, MappingError

RULES_FILE = Path("rules") / "tables.yaml"
FINDING_COLUMNS = ("facility_name", "vendor_name", "item_id", "rule", "severity", "message",
                   "left_answer", "left_cell", "right_answer", "right_cell", "left_path",
                   "right_path", "system_name", "title")
ANSWERS = ("yes", "no", "na", "blank")
SEVERITIES = ("error", "warning", "info")
ANSWER_JA = {"yes": "はい", "no": "いいえ", "na": "該当なし", "blank": "未回答", "": "（行なし）"}
_KEYS = {
    "contract_copies": {"id", "title", "type", "field", "severity", "message", "enabled", "note"},
    "checklist_bcp": {"id", "title", "type", "checklist_item", "checklist_answers", "table_any",
                      "table_all", "severity", "message", "enabled", "note"},
}


@dataclass(frozen=True)
class TableRule:
    """One cross-check rule (see the rules file for each key)."""

    id: str
    type: str
    severity: str
    message: str
    title: str = ""
    params: dict[str, Any] = field(default_factory=dict, compare=False)
    enabled: bool = True
    source: str = field(default="", compare=False)


# --------------------------------------------------------------------------------------------
# loading


def _answers(where: str, value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        v = {True: "yes", False: "no"}.get(v, v) if isinstance(v, bool) else v  # YAML 1.1 yes/no
        if v not in ANSWERS:
            raise MappingError(f"{where}: answer {v!r} must be one of {ANSWERS}")
        out.append(str(v))
    return tuple(out)


def _parse_rule(source: str, n: int, raw: Any) -> TableRule:
    where = f"{source}: rules[{n}]"
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: a rule must be a mapping")
    where = f"{where} ({raw.get('id', '?')})"
    kind = raw.get("type")
    if kind not in _KEYS:
        raise MappingError(f"{where}: type {kind!r} must be one of {sorted(_KEYS)}")
    check_rule_keys(where, raw, _KEYS[kind], ("id", "severity", "message"))
    params: dict[str, Any] = {}
    if kind == "contract_copies":
        params["field"] = raw.get("field", "answer")
        if params["field"] not in ("answer", "completed_on"):
            raise MappingError(f"{where}: field must be answer or completed_on")
    else:
        params["checklist_item"] = str(raw.get("checklist_item", "bcp"))
        params["checklist_answers"] = _answers(where, raw.get("checklist_answers", ["yes"]))
        if ("table_any" in raw) == ("table_all" in raw):
            raise MappingError(f"{where}: give exactly one of table_any / table_all")
        mode = "table_any" if "table_any" in raw else "table_all"
        params[mode] = _answers(where, raw[mode])
    return TableRule(id=str(raw["id"]), type=kind, severity=str(raw["severity"]),
                     message=join_lines(str(raw["message"])), title=str(raw.get("title", "")),
                     params=params, enabled=bool(raw.get("enabled", True)), source=source)


def parse_rules(text: str, source: str) -> list[TableRule]:
    """Parse and validate one rules file's text (all rules, enabled or not)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or set(data) != {"rules"}:
        raise MappingError(f"{source}: a rules file is a mapping with one key 'rules'")
    rules = [_parse_rule(source, n, raw) for n, raw in enumerate(data["rules"] or [])]
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise MappingError(f"{source}: duplicate rule id(s) {dup}")
    return rules


def load_rules(user_dir: str | os.PathLike[str] | None = None) -> list[TableRule]:
    """Bundled rules, then the user's ``rules/tables.yaml``; enabled rules only."""
    by_id: dict[str, TableRule] = {}
    extra = user_dir or os.environ.get("XLTOOLS_MAPPINGS")
    for folder in [BUNDLED_DIR, *([Path(extra)] if extra else [])]:
        path = Path(folder) / RULES_FILE
        if path.exists():
            for rule in parse_rules(path.read_text(encoding="utf-8"), str(path)):
                by_id[rule.id] = rule
    return [r for r in by_id.values() if r.enabled]


# --------------------------------------------------------------------------------------------
# helpers


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(rule: TableRule, values: dict[str, Any]) -> str:
    return rule.message.format_map(_Missing({k: "" if v is None else v for k, v in values.items()}))


def _file(path: str) -> str:
    return Path(str(path)).name


def _cellref(sheet: str, cell: str) -> str:
    return f"{sheet}!{cell}" if cell else sheet


def _ja(answer: str) -> str:
    return ANSWER_JA.get(answer, answer)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in FINDING_COLUMNS})


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return _empty()
    return pd.DataFrame.from_records(rows, columns=list(FINDING_COLUMNS)).astype("string").fillna("")


def facility_key(name: str) -> str:
    """How facility and vendor names are compared (legal forms, spaces, kanji variants; a
    legal entity's name before the facility's, 医療法人社団 桜会 さくら病院, is dropped)."""
    name = str(name or "")
    return facility_part(name) or normalize_name(name)


# --------------------------------------------------------------------------------------------
# contract: two copies of the same table


def contract_pairs(subs: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """Pairs of contract-table submissions of the same facility, vendor and system.

    Within each group the first copy (by path, then sheet) is compared with every other copy
    from a different file; byte-identical files are the same copy, not two.
    """
    contract = subs[subs["form"] == "contract"]
    if contract.empty:
        return []
    keyed = contract.assign(
        _f=contract["facility_name"].map(facility_key),
        _v=contract["vendor_name"].map(facility_key),
        _s=contract["system_name"].map(plain_name))
    keyed = keyed[(keyed["_f"] != "") & (keyed["_v"] != "")]
    out = []
    for _key, group in keyed.sort_values(["path", "sheet"]).groupby(["_f", "_v", "_s"], sort=True):
        rows = [r for _, r in group.iterrows()]
        first = rows[0]
        out += [(first, r) for r in rows[1:] if r["sha256"] != first["sha256"] or not r["sha256"]]
    return out


def _contract_copies(rule: TableRule, subs: pd.DataFrame, answers: pd.DataFrame) -> list[dict]:
    column = rule.params["field"]
    out = []
    for left, right in contract_pairs(subs):
        la = answers[answers["submission_id"] == left["submission_id"]].set_index("item_id")
        ra = answers[answers["submission_id"] == right["submission_id"]].set_index("item_id")
        for item in sorted(set(la.index) | set(ra.index), key=item_order):
            lv = str(la.at[item, column]) if item in la.index else ""
            rv = str(ra.at[item, column]) if item in ra.index else ""
            if column == "completed_on" and (item not in la.index or item not in ra.index
                                             or la.at[item, "answer"] != ra.at[item, "answer"]):
                continue  # differing answers are the answer rule's finding
            if lv == rv:
                continue
            lc = _cellref(left["sheet"], str(la.at[item, "cell"])) if item in la.index else ""
            rc = _cellref(right["sheet"], str(ra.at[item, "cell"])) if item in ra.index else ""
            lshow, rshow = (_ja(lv), _ja(rv)) if column == "answer" else (lv or "未記入", rv or "未記入")
            values = {"facility_name": left["facility_name"], "vendor_name": left["vendor_name"],
                      "system_name": left["system_name"], "item_id": item,
                      "left_answer": lshow, "left_cell": lc, "left_file": _file(left["path"]),
                      "right_answer": rshow, "right_cell": rc, "right_file": _file(right["path"])}
            out.append({**values, "rule": rule.id, "severity": rule.severity, "title": rule.title,
                        "message": _fill(rule, values), "left_answer": lv, "right_answer": rv,
                        "left_path": left["path"], "right_path": right["path"]})
    return out


def item_order(item_id: str) -> tuple:
    """P1-2 < P1-10 < A-1 < B-1; 1-1.2 < 1-2.1."""
    parts = re.split(r"[-.]", item_id)
    return (parts[0] != "P1", *[(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts])


# --------------------------------------------------------------------------------------------
# checklist item bcp against the BCP table


def effective_answer(rows: pd.DataFrame) -> pd.Series | None:
    """The answer that counts for one item of one submission: the latest round answered."""
    if rows.empty:
        return None
    answered = rows[rows["answer"] != "blank"]
    pick = answered if not answered.empty else rows
    return pick.sort_values("round").iloc[-1]


def _latest_checklists(subs: pd.DataFrame) -> dict[str, pd.Series]:
    """Facility key -> its own (not a vendor's) newest checklist submission."""
    own = subs[(subs["form"] == "checklist") & subs["variant"].isin(["hospital", "pharmacy"])]
    out: dict[str, pd.Series] = {}
    for _, s in own.sort_values(["edition", "path", "sheet"]).iterrows():
        key = facility_key(s["facility_name"])
        if key:
            out[key] = s
    return out


def _checklist_bcp(rule: TableRule, subs: pd.DataFrame, answers: pd.DataFrame) -> list[dict]:
    checklists = _latest_checklists(subs)
    tables = subs[subs["form"] == "bcp"].sort_values(["path", "sheet"])
    item = rule.params["checklist_item"]
    out = []
    for _, table in tables.iterrows():
        check = checklists.get(facility_key(table["facility_name"]))
        if check is None:
            continue
        got = effective_answer(answers[(answers["submission_id"] == check["submission_id"])
                                       & (answers["item_id"] == item)])
        if got is None or got["answer"] not in rule.params["checklist_answers"]:
            continue
        rows = answers[answers["submission_id"] == table["submission_id"]]
        hits = _table_hits(rule, rows)
        if hits is None:
            continue
        ids = [str(i) for i in hits["item_id"]]
        cells = [_cellref(table["sheet"], str(c)) for c in hits["cell"] if str(c)]
        shown = "、".join(ids[:8]) + (f" ほか {len(ids) - 8} 件" if len(ids) > 8 else "")
        values = {"facility_name": table["facility_name"], "vendor_name": "",
                  "system_name": "", "item_id": item, "left_answer": _ja(got["answer"]),
                  "left_cell": _cellref(check["sheet"], str(got["cell"])),
                  "left_file": _file(check["path"]), "right_file": _file(table["path"]),
                  "right_cell": "、".join(cells[:8]), "count": len(ids), "items": shown}
        right_answer = ", ".join(f"{a}:{n}" for a, n in hits["answer"].value_counts().items())
        out.append({**values, "rule": rule.id, "severity": rule.severity, "title": rule.title,
                    "message": _fill(rule, values), "left_answer": got["answer"],
                    "right_answer": right_answer, "left_path": check["path"],
                    "right_path": table["path"]})
    return out


def _table_hits(rule: TableRule, rows: pd.DataFrame) -> pd.DataFrame | None:
    """The BCP rows the rule is about, or None when it does not fire."""
    if rows.empty:
        return None
    if "table_any" in rule.params:
        hits = rows[rows["answer"].isin(rule.params["table_any"])]
        return hits if not hits.empty else None
    if rows["answer"].isin(rule.params["table_all"]).all():
        return rows
    return None


# --------------------------------------------------------------------------------------------
# a long table per form, for a consolidated workbook

TABLE_ROW_COLUMNS = ("facility_name", "vendor_name", "system_name", "item_id", "item_title",
                     "status", "answer", "checked_on", "completed_on", "path", "sheet", "cell",
                     "submission_id")


def table_rows(submissions: pd.DataFrame, answers: pd.DataFrame, form: str) -> pd.DataFrame:
    """Every answer of every ``form`` (contract | bcp) table with its submission's names and the
    catalogue's wording (``item_title``; "" for an item the catalogue does not know): one sheet
    per table in a consolidated workbook. ``status`` is the catalogue entry's status."""
    from xltools.forms.table_catalogue import load_table_catalogue

    cat = load_table_catalogue(form)
    titles = {e.id: (e.title or e.text) for e in cat.entries}
    status = {e.id: e.status for e in cat.entries}
    subs = submissions[submissions["form"] == form]
    cols = ["submission_id", "facility_name", "vendor_name", "system_name", "path"]
    merged = answers.merge(subs[cols], on="submission_id", how="inner")
    if merged.empty:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in TABLE_ROW_COLUMNS})
    merged["item_title"] = merged["item_id"].map(titles).fillna("")
    merged["status"] = merged["item_id"].map(status).fillna("unknown")
    merged["_order"] = merged["item_id"].map(item_order)
    merged = merged.sort_values(["facility_name", "vendor_name", "system_name", "path", "_order"])
    return merged[list(TABLE_ROW_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# entry point

CHECKS: dict[str, Callable[[TableRule, pd.DataFrame, pd.DataFrame], list[dict]]] = {
    "contract_copies": _contract_copies,
    "checklist_bcp": _checklist_bcp,
}


def check_tables(submissions: pd.DataFrame, answers: pd.DataFrame,
                 problems: pd.DataFrame | None = None, rules: list[TableRule] | None = None
                 ) -> pd.DataFrame:
    """All table cross-checks over the three tables -> a findings frame (FINDING_COLUMNS).

    ``problems`` is accepted for symmetry with the other stages and not needed today.
    """
    rules = load_rules() if rules is None else rules
    rows: list[dict] = []
    for rule in rules:
        rows += CHECKS[rule.type](rule, submissions, answers)
    return _frame(rows)


__all__ = ["FINDING_COLUMNS", "TABLE_ROW_COLUMNS", "TableRule", "check_tables", "contract_pairs",
           "load_rules", "parse_rules", "effective_answer", "table_rows", "item_order",
           "facility_key"]
