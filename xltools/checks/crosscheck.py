"""Facility vs vendor: the checks that compare a facility's checklist with each of its
vendors' forms (事業者確認用), for :mod:`xltools.checks.rules`.

Each check type is a small function over the pairs and both sides' effective answers
(``answers``, ``date_order``, ``editions_differ``, ``facility_answer``); the rules that use
them live in ``mappings/rules/crosscheck.yaml``. A hit becomes a findings row naming both
forms, both answers and both cells.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import pandas as pd

from xltools.forms.models import ITEM_LEVEL
from xltools.labels import ANSWER_JA, SCOPE_JA

if TYPE_CHECKING:
    from xltools.checks.rules import Facts, Rule


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
    return rows[rows["f_answer"].isin(c.facility) & rows["v_answer"].isin(c.vendor)]


def _cond_date_order(rule: Rule, rows: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    fld = rule.condition.field
    later, earlier = ("v_", "f_") if rule.condition.later == "vendor" else ("f_", "v_")
    both = rows[(rows[f"f_{fld}"] != "") & (rows[f"v_{fld}"] != "")]
    return both[both[later + fld] > both[earlier + fld]]


def _cond_editions_differ(rule: Rule, rows: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs[(pairs["f_submission_id"] != "") & (pairs["f_edition"] != pairs["v_edition"])]


def _cond_facility_answer(rule: Rule, rows: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs[pairs["f_answer"].isin(rule.condition.answers)]


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
    if rule.type in ITEM_LEVEL:
        rows = item_rows(rule, pairs, fac, ven)
        return CONDITIONS[rule.type](rule, rows, pairs) if not rows.empty else rows
    if rule.type == "facility_answer":
        f = fac[fac["f_item_id"] == rule.facility_item]
        joined = pairs.merge(f, on="f_submission_id")
        return CONDITIONS[rule.type](rule, joined, joined)
    return CONDITIONS[rule.type](rule, pd.DataFrame(), pairs)


# --------------------------------------------------------------------------------------------
# findings rows


def _g(row: dict[str, Any], key: str) -> str:
    v = row.get(key, "")
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _file(path: str) -> str:
    return PurePath(str(path).replace("\\", "/")).name if path else ""


def _cellref(sheet: str, cell: str) -> str:
    return f"{sheet}!{cell}" if cell else ""


def _row(rule: Rule, row: dict[str, Any]) -> dict[str, Any]:
    from xltools.checks.rules import finding

    fs, vs = _g(row, "f_scope"), _g(row, "v_scope")
    scope_ja = SCOPE_JA.get(fs, fs) if fs == vs or not vs else \
        f"{SCOPE_JA.get(fs, fs)}／事業者側 {SCOPE_JA.get(vs, vs)}"
    fa, va = _g(row, "f_answer"), _g(row, "v_answer")
    f_sheet = _g(row, "f_sheet_x") or _g(row, "f_sheet")
    rec = {
        "form": "checklist", "facility_id": _g(row, "facility_id"),
        "facility_name": _g(row, "facility_name"),
        "vendor_name": _g(row, "vendor_name"), "system_name": _g(row, "system_name"),
        "item_id": _g(row, "f_item_id") or _g(row, "v_item_id"),
        "ref": _g(row, "f_ref") or _g(row, "v_ref"),
        "item_text": _g(row, "f_item_text") or _g(row, "v_item_text"),
        "facility_scope": fs, "vendor_scope": vs, "facility_answer": fa, "vendor_answer": va,
        "facility_cell": _cellref(f_sheet, _g(row, "f_cell")),
        "vendor_cell": _cellref(_g(row, "v_sheet_x") or _g(row, "v_sheet"), _g(row, "v_cell")),
        "facility_checked_on": _g(row, "f_checked_on"), "vendor_checked_on": _g(row, "v_checked_on"),
        "facility_edition": _g(row, "f_edition"), "vendor_edition": _g(row, "v_edition"),
        "facility_path": _g(row, "f_path"), "vendor_path": _g(row, "v_path"),
        "facility_submission_id": _g(row, "f_submission_id"),
        "vendor_submission_id": _g(row, "v_submission_id"),
    }
    rec.update(submission_id=rec["facility_submission_id"], path=rec["facility_path"],
               sheet=f_sheet, cell=_g(row, "f_cell"), scope=fs)
    values = {**rec, "scope": scope_ja, "facility_answer": ANSWER_JA.get(fa, fa),
              "vendor_answer": ANSWER_JA.get(va, va), "facility_file": _file(rec["facility_path"]),
              "vendor_file": _file(rec["vendor_path"])}
    return finding(rule, values, **rec)


def pair_findings(rule: Rule, facts: Facts) -> list[dict[str, Any]]:
    """The rows where ``rule`` fires over the facility/vendor pairs of ``facts``."""
    if facts.pairs is None or facts.facility is None or facts.vendor is None:
        return []
    hits = evaluate(rule, facts.pairs, facts.facility, facts.vendor)
    return [_row(rule, r) for r in hits.to_dict("records")]


CHECKS = {name: pair_findings for name in CONDITIONS}

__all__ = ["CHECKS", "CONDITIONS", "evaluate", "item_rows", "pair_findings", "scope_parts",
           "scopes_overlap"]
