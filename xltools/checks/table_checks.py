"""Cross-checks of the contract role table and the BCP table, for :mod:`xltools.checks.rules`.

Two questions an aggregator asks once every form is read:

* do the facility's copy and the vendor's copy of the same contract table say the same thing?
  (``contract_copies``: copies are matched by facility, vendor and system name after
  normalisation; each item whose answer or 完了日 differs is one finding carrying both answers
  and both cells);
* does the checklist's 「BCPを策定している」 agree with the facility's BCP table?
  (``checklist_bcp``: checklist yes while the table has unticked or missing items, and
  checklist no while the table is fully ticked).

The rules that use them live in ``mappings/rules/tables.yaml``. Pure functions over the three
tables of :mod:`xltools.output.schema`; findings rows have the schema's FINDINGS columns.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from xltools.aggregate.roster import facility_part, normalize_name, plain_name
from xltools.labels import ANSWER_JA as _ANSWER_JA

if TYPE_CHECKING:
    from xltools.checks.rules import Facts, Rule

ANSWER_JA = {**_ANSWER_JA, "": "（行なし）"}


# --------------------------------------------------------------------------------------------
# helpers


def _file(path: str) -> str:
    return Path(str(path)).name


def _cellref(sheet: str, cell: str) -> str:
    return f"{sheet}!{cell}" if cell else sheet


def _ja(answer: str) -> str:
    return ANSWER_JA.get(answer, answer)


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


def _contract_copies(rule: Rule, facts: Facts) -> list[dict[str, Any]]:
    from xltools.checks.rules import finding

    subs, answers = facts.submissions, facts.answers
    column = rule.condition.field
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
            cols = {**values, "submission_id": left["submission_id"], "path": left["path"],
                    "sheet": left["sheet"],
                    "cell": str(la.at[item, "cell"]) if item in la.index else "",
                    "form": "contract", "left_answer": lv, "right_answer": rv,
                    "left_path": left["path"], "right_path": right["path"]}
            out.append(finding(rule, values, **cols))
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


def _checklist_bcp(rule: Rule, facts: Facts) -> list[dict[str, Any]]:
    from xltools.checks.rules import finding

    subs, answers = facts.submissions, facts.answers
    checklists = _latest_checklists(subs)
    tables = subs[subs["form"] == "bcp"].sort_values(["path", "sheet"])
    item = rule.condition.checklist_item
    out = []
    for _, table in tables.iterrows():
        check = checklists.get(facility_key(table["facility_name"]))
        if check is None:
            continue
        got = effective_answer(answers[(answers["submission_id"] == check["submission_id"])
                                       & (answers["item_id"] == item)])
        if got is None or got["answer"] not in rule.condition.checklist_answers:
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
        cols = {**values, "submission_id": check["submission_id"], "path": check["path"],
                "sheet": check["sheet"], "cell": str(got["cell"]), "form": "bcp",
                "left_answer": got["answer"], "right_answer": right_answer,
                "left_path": check["path"], "right_path": table["path"]}
        out.append(finding(rule, values, **cols))
    return out


def _table_hits(rule: Rule, rows: pd.DataFrame) -> pd.DataFrame | None:
    """The BCP rows the rule is about, or None when it does not fire."""
    if rows.empty:
        return None
    if rule.condition.table_any is not None:
        hits = rows[rows["answer"].isin(rule.condition.table_any)]
        return hits if not hits.empty else None
    if rows["answer"].isin(rule.condition.table_all).all():
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

CHECKS = {"contract_copies": _contract_copies, "checklist_bcp": _checklist_bcp}


def check_tables(submissions: pd.DataFrame, answers: pd.DataFrame,
                 problems: pd.DataFrame | None = None, rules: list[Rule] | None = None
                 ) -> pd.DataFrame:
    """The contract/BCP table rules over the three tables -> a findings frame (the schema's
    FINDINGS), run by the one engine (:func:`xltools.checks.rules.run`).

    ``problems`` is accepted for symmetry with the other stages and not needed today.
    """
    from xltools.checks.rules import Facts, load_rules, run

    rules = load_rules() if rules is None else rules
    return run([r for r in rules if r.type in CHECKS], Facts(submissions, answers))


__all__ = ["TABLE_ROW_COLUMNS", "CHECKS", "check_tables", "contract_pairs", "effective_answer",
           "table_rows", "item_order", "facility_key"]
