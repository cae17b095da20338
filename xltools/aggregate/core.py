"""Consolidate many returned forms: who submitted, who falls short, facility vs vendor.

Pure pandas on the three tidy frames of :mod:`xltools.schema` (no file reading):

* **Facility identity.** Facility forms (checklist, variant hospital/pharmacy) and the BCP and
  contract tables name a facility; each is matched to the roster (when given) or to the
  facilities seen so far, by :class:`xltools.roster.NameIndex` (code, exact name, normalised
  name). A name that does not match becomes a facility of its own and its near-miss candidates
  are reported, never merged. Vendor forms (variant vendor) carry the name of the facility they
  answer for and are attached to it the same way.
* **Current form.** A facility's current checklist is its newest edition (then status ok before
  partial before failed, then the newest file). Rates, the facility matrix and targets use it;
  every edition appears in the history.
* **Effective answer.** Round 1 counts unless round 2 is answered (yes/no/na): then round 2,
  the latest answered round, counts. On a facility form whose gate item ``has_system`` is
  いいえ, every other blank item counts as 該当なし (the form says no check is needed).
* **Pairs.** A vendor form is paired with the facility's checklist of the same edition, else the
  current one. Cross-check rules (:mod:`xltools.checks.rules`) run on every pair and table.
* **Rates.** In the item summary each answer's rate is its count over all rows (they sum to 1);
  the implementation rate (実施率) is はい over rows that are not 該当なし.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import pandas as pd

from xltools.aggregate.roster import NameIndex, RosterError, resolve_column
from xltools.aggregate.tables import TableViews, table_views
from xltools.checks.rules import Facts, Rule, load_rules
from xltools.checks.rules import run as run_rules
from xltools.errors import UsageError
from xltools.forms.catalogue import Catalogue, load_catalogue
from xltools.labels import ANSWER_JA, FORM_JA, VARIANT_JA
from xltools.output import schema
from xltools.problems import CATALOGUE, SEVERITY_RANK, Kind, Problem, render

ROLE_JA = {"facility": "医療機関等", "vendor": "事業者", "other": "その他の様式"}
STATUS_RANK = {"ok": 0, "partial": 1, "failed": 2}
FACILITY_VARIANTS = ("hospital", "pharmacy")
DEFAULT_KIND = {"pharmacy": "薬局", "hospital": "医療機関"}
TOTAL = "全体"


class ConsolidateError(UsageError, ValueError):
    """The consolidation cannot run as asked (e.g. an unknown ``group_by`` column)."""


# Problems the consolidation adds to the reader's (same record shape, stable codes); their
# wording lives in the one catalogue, :data:`xltools.problems.CATALOGUE`.
KINDS: dict[str, Kind] = {code: kind for code, kind in CATALOGUE.items()
                          if code.startswith("consolidate.")}


@dataclass
class Consolidation:
    """Everything the consolidated workbook shows, as frames (see module docstring)."""

    facilities: pd.DataFrame
    pairs: pd.DataFrame
    findings: pd.DataFrame
    item_summary: pd.DataFrame
    facility_matrix: pd.DataFrame
    targets: pd.DataFrame
    missing: pd.DataFrame
    problems: pd.DataFrame
    history: pd.DataFrame
    group_summary: pd.DataFrame
    submissions: pd.DataFrame = field(default_factory=pd.DataFrame)
    details: pd.DataFrame = field(default_factory=pd.DataFrame)
    section_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    overview: pd.DataFrame = field(default_factory=pd.DataFrame)
    items: pd.DataFrame = field(default_factory=pd.DataFrame)
    tables: TableViews = field(default_factory=TableViews)
    as_of: str = ""
    group_by: str | None = None
    has_roster: bool = False

    def worst_severity(self) -> str | None:
        """The most severe level among problems and findings (``None`` when there are none)."""
        levels = [*self.problems.get("severity", []), *self.findings.get("severity", []),
                  *self.tables.findings.get("severity", [])]
        levels = [s for s in levels if s in SEVERITY_RANK]
        return max(levels, key=SEVERITY_RANK.__getitem__) if levels else None


# --------------------------------------------------------------------------------------------
# inputs


def _conform(df: pd.DataFrame | None, table: str) -> pd.DataFrame:
    """The frame with every declared column (missing ones empty) and declared dtypes."""
    df = pd.DataFrame() if df is None else df.copy()
    base = schema.frame(table, [])
    for col in base.columns:
        if col not in df.columns:
            df[col] = pd.Series([pd.NA] * len(df), index=df.index)
    for c in schema.TABLES[table]:
        if c.dtype == "string":
            df[c.name] = df[c.name].astype("string").fillna("")
        else:
            df[c.name] = df[c.name].astype(c.dtype)
    return df.reset_index(drop=True)


def _frames(result: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if isinstance(result, Mapping):
        got = (result.get("submissions"), result.get("answers"), result.get("problems"))
    elif isinstance(result, (tuple, list)):
        got = tuple(result) + (None,) * (3 - len(result))
    else:
        got = (result.submissions, result.answers, getattr(result, "problems", None))
    return (_conform(got[0], "submissions"), _conform(got[1], "answers"),
            _conform(got[2], "problems"))


def parse_as_of(value: str | dt.date | None) -> str:
    """``as_of`` as an ISO date: today when ``None``; accepts 2025-04-01, 2025/4/1,
    令和8年4月1日, R8.4.1 (any full date the reader accepts in a form)."""
    from xltools.decode import parse_date

    if value is None or value == "":
        return dt.date.today().isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    got = parse_date(str(value), None)
    if got.value is not None and not got.year_inferred:
        return got.value.isoformat()
    raise ConsolidateError(f"基準日「{value}」を読めません。2026-04-01・令和8年4月1日・R8.4.1 の"
                           "いずれかの形で指定してください。")


def edition_key(edition: str) -> tuple[int, str]:
    """Sort key: R5 < R6 < ... ; other editions by their number."""
    digits = re.findall(r"\d+", str(edition or ""))
    return (int(digits[0]) if digits else -1, str(edition or ""))


def _file(path: str) -> str:
    return PurePath(str(path).replace("\\", "/")).name if path else ""


def _cellref(sheet: str, cell: str) -> str:
    return f"{sheet}!{cell}" if cell else ""


# --------------------------------------------------------------------------------------------
# item metadata


def item_table(catalogue: Catalogue, form: str = "checklist") -> pd.DataFrame:
    """One row per (edition, item_id, scope) with ref, section and text, plus a column order.

    ``order`` follows the newest edition's printed order; scopes only older editions ask sit
    next to their item.
    """
    maps = sorted(catalogue.editions(form), key=lambda m: edition_key(m.edition), reverse=True)
    rows = []
    for m in maps:
        for pos, it in enumerate(m.items):
            for sc in it.scopes:
                rows.append({"edition": m.edition, "item_id": it.id, "scope": sc, "ref": it.ref,
                             "section": it.section, "section_name": m.sections.get(it.section, ""),
                             "text": it.text, "vendor_text": it.text_for("vendor"),
                             "variants": ",".join(it.variants), "printed": pos,
                             "gate": it.gate})
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    scope_order = {s: i for i, s in enumerate(["all", "server+terminal", "server", "terminal",
                                               "network"])}
    df["item_order"] = df["item_id"].map(_first_seen_order(maps))
    df["scope_order"] = df["scope"].map(lambda s: scope_order.get(s, 9))
    return df


def _first_seen_order(maps: list[Any]) -> dict[str, int]:
    order: dict[str, int] = {}
    for m in maps:
        for it in m.items:
            if it.id not in order:
                order[it.id] = len(order)
    return order


def _latest_items(items: pd.DataFrame) -> pd.DataFrame:
    """One row per (item_id, scope): the newest edition's ref and text, and the column key."""
    if items.empty:
        return pd.DataFrame(columns=["item_id", "scope", "ref", "section", "section_name",
                                     "text", "key", "item_order", "scope_order"])
    df = items.copy()
    df["_ed"] = df["edition"].map(edition_key)
    df = df.sort_values("_ed", ascending=False).drop_duplicates(["item_id", "scope"])
    df["key"] = [i if s == "all" else f"{i}@{s}" for i, s in zip(df["item_id"], df["scope"], strict=True)]
    df = df.sort_values(["item_order", "scope_order"]).reset_index(drop=True)
    return df[["item_id", "scope", "ref", "section", "section_name", "text", "key",
               "item_order", "scope_order"]]


# --------------------------------------------------------------------------------------------
# facility identity


def _role(form: str, variant: str) -> str:
    if variant == "vendor":
        return "vendor"
    if form == "checklist" and variant in FACILITY_VARIANTS:
        return "facility"
    return "other"


@dataclass
class _Registry:
    """Known facilities (roster rows first, then those found in submissions)."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    index: NameIndex = field(default_factory=NameIndex)
    has_roster: bool = False

    def add(self, fid: str, name: str, code: str, **extra: Any) -> None:
        self.rows[fid] = {"facility_id": fid, "facility_code": code, "facility_name": name,
                          **extra}
        self.index.add(fid, name, code)


def _registry(roster: pd.DataFrame | None) -> _Registry:
    reg = _Registry(has_roster=roster is not None)
    if roster is None:
        return reg
    for rec in roster.to_dict("records"):
        extra = {k: v for k, v in rec.items()
                 if k not in ("roster_id", "name", "facility_code", "row")}
        reg.add(rec["roster_id"], rec["name"], rec["facility_code"], in_roster=True,
                roster_row=rec.get("row", ""), **extra)
    return reg


def _identify(subs: pd.DataFrame, reg: _Registry) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Give every submission a facility_id (vendor forms: the facility they answer for)."""
    subs = subs.copy()
    subs["role"] = [_role(f, v) for f, v in zip(subs["form"], subs["variant"], strict=True)]
    order = subs.assign(_r=subs["role"].map({"facility": 0, "other": 1, "vendor": 2}),
                        _c=subs["facility_code"].eq("").astype(int))
    order = order.sort_values(["_r", "_c"], kind="stable")
    probs: list[dict[str, Any]] = []
    out: dict[int, dict[str, Any]] = {}
    for idx, s in order.iterrows():
        out[idx] = (_attach_vendor(s, reg, probs) if s["role"] == "vendor"
                    else _attach_facility(s, reg, probs))
    for col in ("facility_id", "match_method", "near_misses"):
        subs[col] = pd.Series([out[i][col] for i in subs.index], index=subs.index, dtype=object)
    subs["match_score"] = pd.Series([out[i]["match_score"] for i in subs.index],
                                    index=subs.index, dtype="float64")
    return subs, probs


def _problem(code: str, s: pd.Series | dict[str, Any] | None = None, *, facility_id: str = "",
             detail: str = "", cell: str = "", sheet: str = "", item_id: str = "",
             **fields: Any) -> dict[str, Any]:
    """A consolidation problem: the one record (:class:`xltools.problems.Problem`) as a row,
    plus the facility it is about; the message's {cell} names the sheet too."""
    s = {} if s is None else dict(s)
    path = str(s.get("path", ""))
    values = {"name": _file(path), "detail": detail, "cell": _cellref(sheet, cell), **fields}
    problem = Problem(code=code, severity=KINDS[code].severity, message=render(code, values),
                      path=path, submission_id=s.get("submission_id", ""),
                      sheet=sheet or s.get("sheet", ""), cell=cell, item_id=item_id,
                      detail=detail)
    return {**problem.row(), "facility_id": facility_id}


def _attach_facility(s: pd.Series, reg: _Registry, probs: list[dict[str, Any]]) -> dict[str, Any]:
    name, code = str(s["facility_name"]).strip(), str(s["facility_code"]).strip()
    if not name and not code:
        fid = f"S{s['submission_id']}"
        reg.rows[fid] = {"facility_id": fid, "facility_code": "", "in_roster": False,
                         "facility_name": f"（名称なし：{_file(s['path'])}）"}
        return {"facility_id": fid, "match_method": "none", "match_score": 0.0, "near_misses": ""}
    m = reg.index.match(name, code)
    if m.matched:
        return {"facility_id": m.target_id, "match_method": m.method, "match_score": m.score,
                "near_misses": ""}
    fid = f"F{sum(1 for k in reg.rows if k.startswith('F')) + 1}"
    reg.add(fid, name, code, in_roster=False)
    against = "名簿の施設" if reg.has_roster else "他の提出の施設"
    if m.candidates:
        probs.append(_problem("consolidate.name_near_miss", s, facility_id=fid, written=name,
                              against=against, detail=m.near_misses()))
    elif reg.has_roster:
        probs.append(_problem("consolidate.not_in_roster", s, facility_id=fid, written=name))
    return {"facility_id": fid, "match_method": "none" if reg.has_roster else "",
            "match_score": 0.0, "near_misses": m.near_misses()}


def _attach_vendor(s: pd.Series, reg: _Registry, probs: list[dict[str, Any]]) -> dict[str, Any]:
    name, code = str(s["facility_name"]).strip(), str(s["facility_code"]).strip()
    m = reg.index.match(name, code) if (name or code) else None
    if m is not None and m.matched:
        return {"facility_id": m.target_id, "match_method": m.method, "match_score": m.score,
                "near_misses": ""}
    near = m.near_misses() if m is not None else ""
    probs.append(_problem("consolidate.vendor_unmatched", s, vendor_name=s["vendor_name"] or "（名称なし）",
                          written=name or "（記入なし）", detail=f"（候補：{near}）" if near else ""))
    return {"facility_id": "", "match_method": "none", "match_score": 0.0, "near_misses": near}


def _current(subs: pd.DataFrame) -> pd.DataFrame:
    """Facility checklists ranked: newest edition, then status, then newest file."""
    fac = subs[subs["role"] == "facility"].copy()
    fac["_ed"] = fac["edition"].map(lambda e: edition_key(e)[0])
    fac["_st"] = fac["status"].map(lambda s: STATUS_RANK.get(s, 3))
    return fac.sort_values(["facility_id", "_ed", "_st", "file_modified", "path"],
                           ascending=[True, False, True, False, True])


def _best_per_edition(ranked: pd.DataFrame) -> pd.DataFrame:
    return ranked.drop_duplicates(["facility_id", "edition"])


def _several_forms(ranked: pd.DataFrame, names: dict[str, str]) -> list[dict[str, Any]]:
    probs = []
    for (fid, ed), grp in ranked.groupby(["facility_id", "edition"], sort=False):
        if len(grp) > 1:
            chosen = grp.iloc[0]
            probs.append(_problem("consolidate.several_forms", chosen, facility_id=fid,
                                  facility_name=names.get(fid, ""), detail=ed))
    return probs


# --------------------------------------------------------------------------------------------
# answers


def effective_answers(answers: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    """One row per (submission, item, scope): the round that counts (see module docstring)."""
    a = answers.copy()
    a["round"] = a["round"].fillna(1).astype("Int64")
    answered = a["answer"].isin(["yes", "no", "na"])
    a["_p"] = 2
    a.loc[a["round"] == 1, "_p"] = 1
    a.loc[(a["round"] == 2) & answered, "_p"] = 0
    a = a.sort_values(["submission_id", "item_id", "scope", "_p"], kind="stable")
    a = a.drop_duplicates(["submission_id", "item_id", "scope"]).drop(columns="_p")
    gate_no = set(a.loc[(a["item_id"] == "has_system") & (a["answer"] == "no"), "submission_id"])
    facility_ids = set(subs.loc[subs["role"] == "facility", "submission_id"])
    gated = (a["submission_id"].isin(gate_no & facility_ids) & (a["item_id"] != "has_system")
             & (a["answer"] == "blank"))
    a["gated"] = gated
    a.loc[gated, "answer"] = "na"
    return a.reset_index(drop=True)


def _with_meta(eff: pd.DataFrame, subs: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Effective answers with their submission's facility, edition and the item's ref/text."""
    cols = ["submission_id", "facility_id", "role", "form", "variant", "edition", "path",
            "facility_name", "vendor_name", "system_name"]
    df = eff.merge(subs[cols].rename(columns={"facility_name": "written_name"}),
                   on="submission_id", how="left")
    meta = items[["edition", "item_id", "scope", "ref", "section", "section_name", "text",
                  "vendor_text"]].rename(columns={"ref": "cat_ref"})
    df = df.merge(meta, on=["edition", "item_id", "scope"], how="left")
    df["ref"] = [r if r else (c if isinstance(c, str) else "")
                 for r, c in zip(df["ref"], df["cat_ref"], strict=True)]
    df["item_text"] = [(vt if role == "vendor" else t) if isinstance(t, str) else ""
                       for t, vt, role in zip(df["text"], df["vendor_text"], df["role"], strict=True)]
    return df.drop(columns=["cat_ref", "text", "vendor_text"])


# --------------------------------------------------------------------------------------------
# pairs and findings


def _pairs(subs: pd.DataFrame, ranked: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """One row per vendor form attached to a facility, with the facility form it is checked against."""
    ven = subs[(subs["role"] == "vendor") & (subs["facility_id"] != "")]
    best = _best_per_edition(ranked).set_index(["facility_id", "edition"])["submission_id"]
    cur = ranked.drop_duplicates("facility_id").set_index("facility_id")["submission_id"]
    by_sid = subs.set_index("submission_id")
    rows = []
    for v in ven.to_dict("records"):
        fid = v["facility_id"]
        fsid = best.get((fid, v["edition"]), cur.get(fid, ""))
        f = by_sid.loc[fsid] if fsid else None
        rows.append({
            "facility_id": fid, "facility_name": names.get(fid, ""),
            "f_submission_id": fsid, "f_edition": f["edition"] if f is not None else "",
            "f_path": f["path"] if f is not None else "", "f_sheet": f["sheet"] if f is not None else "",
            "v_submission_id": v["submission_id"], "vendor_name": v["vendor_name"],
            "system_name": v["system_name"], "v_edition": v["edition"], "v_path": v["path"],
            "v_sheet": v["sheet"], "v_facility_name": v["facility_name"],
            "match_method": v["match_method"], "match_score": v["match_score"]})
    cols = ["facility_id", "facility_name", "f_submission_id", "f_edition", "f_path", "f_sheet",
            "v_submission_id", "vendor_name", "system_name", "v_edition", "v_path", "v_sheet",
            "v_facility_name", "match_method", "match_score"]
    return pd.DataFrame(rows, columns=cols).astype({c: "object" for c in cols[:-1]})


_SIDE_COLS = ["submission_id", "item_id", "scope", "answer", "checked_on", "target_on", "sheet",
              "cell", "ref", "item_text"]


def _side(eff: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return eff[_SIDE_COLS].add_prefix(prefix)


def cross_check(pairs: pd.DataFrame, eff: pd.DataFrame, rules: list[Rule],
                subs: pd.DataFrame | None = None, answers: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """Every rule (facility vs vendor, contract copies, checklist vs BCP table) by the one
    engine (:func:`xltools.checks.rules.run`) -> one findings frame (schema FINDINGS)."""
    checkable = pairs[pairs["f_submission_id"] != ""]
    fac, ven = _side(eff, "f_"), _side(eff, "v_")
    # the answer rows' own sheet names win over the form's sheet (f_sheet_x after merge)
    fac = fac.rename(columns={"f_sheet": "f_sheet_x"})
    ven = ven.rename(columns={"v_sheet": "v_sheet_x"})
    empty = pd.DataFrame(columns=["form", "submission_id"])
    facts = Facts(subs if subs is not None else empty, answers if answers is not None else empty,
                  pairs=checkable, facility=fac, vendor=ven)
    return run_rules(rules, facts)


# --------------------------------------------------------------------------------------------
# summaries


def _count_answers(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    counts = pd.crosstab([df[c] for c in by], df["answer"]) if not df.empty else pd.DataFrame()
    counts = counts.reindex(columns=list(ANSWER_JA), fill_value=0).reset_index()
    if counts.empty:
        counts = pd.DataFrame(columns=[*by, *ANSWER_JA])
    counts["n"] = counts[list(ANSWER_JA)].sum(axis=1)
    for a in ANSWER_JA:
        counts[f"{a}_rate"] = _ratio(counts[a], counts["n"])
    counts["implementation_rate"] = _ratio(counts["yes"], counts["n"] - counts["na"])
    return counts


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num, den = num.astype("float64"), den.astype("float64")
    return (num / den.where(den > 0)).astype("float64")


def _by_kind(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    total = _count_answers(df, by).assign(kind=TOTAL)
    per = _count_answers(df, [*by, "kind"])
    out = pd.concat([total, per], ignore_index=True)
    out["_k"] = (out["kind"] != TOTAL).astype(int)
    return out


def _item_summary(cur_ans: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    out = _by_kind(cur_ans, ["item_id", "scope"])
    out = out.merge(latest, on=["item_id", "scope"], how="left")
    out = out.sort_values(["item_order", "scope_order", "_k", "kind"]).reset_index(drop=True)
    cols = ["item_id", "ref", "section", "section_name", "text", "scope", "kind", "n",
            *ANSWER_JA, *(f"{a}_rate" for a in ANSWER_JA), "implementation_rate"]
    return out[cols]


def _section_summary(cur_ans: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    df = cur_ans.drop(columns=["section", "section_name"], errors="ignore").merge(
        latest[["item_id", "scope", "section", "section_name"]], on=["item_id", "scope"], how="left")
    df["section"] = df["section"].fillna(-1).astype(int)
    per = _by_kind(df, ["section"])
    names = latest.drop_duplicates("section").set_index("section")["section_name"]
    per["section_name"] = per["section"].map(names).fillna("")
    overall = _by_kind(df.assign(section=99), ["section"]).assign(section_name="全項目")
    out = pd.concat([per, overall], ignore_index=True).sort_values(["section", "_k", "kind"])
    return out.drop(columns="_k").reset_index(drop=True)


def _matrix(fac: pd.DataFrame, cur_ans: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    base = fac[fac["submission_id"] != ""]
    base_cols = ["facility_id", "facility_code", "facility_name", "kind", "area", "group",
                 "edition", "vendor_forms", "yes", "no", "blank", "na", "implementation_rate",
                 "findings", "overdue_targets", "submission_id", "path"]
    keyed = cur_ans.merge(latest[["item_id", "scope", "key"]], on=["item_id", "scope"], how="left")
    keyed["key"] = keyed["key"].fillna(keyed["item_id"] + "@" + keyed["scope"])
    wide = keyed.pivot_table(index="facility_id", columns="key", values="answer",
                             aggfunc="first") if not keyed.empty else \
        pd.DataFrame(index=pd.Index([], name="facility_id", dtype=object))
    order = [k for k in latest["key"] if k in wide.columns]
    order += [k for k in wide.columns if k not in order]
    wide = wide.reindex(columns=order)
    out = base[base_cols].merge(wide, left_on="facility_id", right_index=True, how="left")
    for k in order:
        out[k] = out[k].fillna("").astype(str)
    return out.reset_index(drop=True)


def _targets(eff_meta: pd.DataFrame, cur_sids: set[str], as_of: str,
             names: dict[str, str], gates: set[str]) -> pd.DataFrame:
    """Every effective いいえ (current facility forms and all vendor forms) but the gate item."""
    df = eff_meta[(eff_meta["answer"] == "no") & ~eff_meta["item_id"].isin(gates)
                  & ((eff_meta["role"] == "vendor") | eff_meta["submission_id"].isin(cur_sids))]
    df = df[df["form"] == "checklist"].copy()
    df["facility_name"] = [names.get(f, "") or w for f, w in
                           zip(df["facility_id"], df["written_name"], strict=True)]
    df["overdue"] = (df["target_on"] != "") & (df["target_on"] < as_of)
    df["days_overdue"] = [(_days(as_of) - _days(t)) if o else 0
                          for t, o in zip(df["target_on"], df["overdue"], strict=True)]
    df["status_ja"] = ["目標日なし" if t == "" else ("期限超過" if o else "期限内")
                       for t, o in zip(df["target_on"], df["overdue"], strict=True)]
    df["role_ja"] = df["role"].map(ROLE_JA)
    df = df.sort_values(["overdue", "days_overdue", "facility_name"], ascending=[False, False, True])
    cols = ["facility_id", "facility_name", "role", "role_ja", "vendor_name", "system_name",
            "edition", "item_id", "ref", "item_text", "scope", "round", "answer", "target_on",
            "status_ja", "overdue", "days_overdue", "checked_on", "path", "sheet", "cell",
            "target_cell", "submission_id"]
    return df[cols].reset_index(drop=True)


def _days(iso: str) -> int:
    try:
        return dt.date.fromisoformat(iso).toordinal()
    except ValueError:
        return 0


def _history(ranked: pd.DataFrame, eff_meta: pd.DataFrame, latest: pd.DataFrame,
             names: dict[str, str]) -> pd.DataFrame:
    best = _best_per_edition(ranked)
    multi = best.groupby("facility_id")["edition"].nunique()
    fids = set(multi[multi > 1].index)
    cols = ["facility_id", "facility_name", "item_id", "ref", "text", "scope"]
    if not fids:
        return pd.DataFrame(columns=[*cols, "changed"])
    sids = best.loc[best["facility_id"].isin(fids), "submission_id"]
    df = eff_meta[eff_meta["submission_id"].isin(set(sids))]
    wide = df.pivot_table(index=["facility_id", "item_id", "scope"], columns="edition",
                          values="answer", aggfunc="first").reset_index()
    editions = sorted([c for c in wide.columns if c not in ("facility_id", "item_id", "scope")],
                      key=edition_key)
    wide = wide.merge(latest[["item_id", "scope", "ref", "text", "item_order", "scope_order"]],
                      on=["item_id", "scope"], how="left")
    wide["facility_name"] = wide["facility_id"].map(names)
    for e in editions:
        wide[e] = wide[e].fillna("").astype(str)
    wide["changed"] = [len({v for v in vals if v}) > 1 for vals in wide[editions].to_numpy()]
    wide = wide.sort_values(["facility_name", "facility_id", "item_order", "scope_order"])
    return wide[[*cols, *editions, "changed"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# facilities, missing, groups


def _lookup(keys: pd.Series, mapping: pd.Series | dict[str, Any], default: Any = "") -> pd.Series:
    """``keys`` mapped through ``mapping`` with a default (no float NaN for missing text)."""
    d = mapping.to_dict() if isinstance(mapping, pd.Series) else mapping
    return pd.Series([d.get(k, default) for k in keys], index=keys.index, dtype=object)


def _facilities(reg: _Registry, subs: pd.DataFrame, ranked: pd.DataFrame, cur_ans: pd.DataFrame,
                findings: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    fac = pd.DataFrame(list(reg.rows.values()),
                       columns=list(dict.fromkeys(["facility_id", "facility_code", "facility_name",
                                                   *(k for r in reg.rows.values() for k in r)])))
    for col, default in (("in_roster", False), ("roster_row", ""), ("kind", ""), ("area", ""),
                         ("group", ""), ("facility_code", "")):
        if col not in fac.columns:
            fac[col] = default
        fac[col] = fac[col].astype(object).where(fac[col].notna(), default)
    fac["in_roster"] = fac["in_roster"].astype(bool)
    cur = ranked.drop_duplicates("facility_id").set_index("facility_id")
    for col in ("submission_id", "edition", "path", "sheet", "status", "variant", "match_method",
                "near_misses"):
        fac[col] = _lookup(fac["facility_id"], cur[col]).astype(str)
    fac["match_score"] = _lookup(fac["facility_id"], cur["match_score"], float("nan")).astype("float64")
    fac["kind"] = [k or DEFAULT_KIND.get(v, "医療機関" if v else "")
                   for k, v in zip(fac["kind"], fac["variant"], strict=True)]
    fac["submitted"] = fac["submission_id"] != ""
    return _facility_counts(fac, subs, ranked, cur_ans, findings, targets)


def _join(values: pd.Series, key: Any = None) -> str:
    return "、".join(sorted(dict.fromkeys(v for v in values if v), key=key) if key
                    else dict.fromkeys(v for v in values if v))


def _facility_counts(fac: pd.DataFrame, subs: pd.DataFrame, ranked: pd.DataFrame,
                     cur_ans: pd.DataFrame, findings: pd.DataFrame,
                     targets: pd.DataFrame) -> pd.DataFrame:
    ids = fac["facility_id"]
    ven = subs[(subs["role"] == "vendor") & (subs["facility_id"] != "")]
    own = subs[subs["role"] != "vendor"]
    fac["vendor_forms"] = _lookup(ids, ven.groupby("facility_id").size(), 0).astype(int)
    fac["vendor_names"] = _lookup(ids, ven.groupby("facility_id")["vendor_name"].agg(_join))
    fac["editions"] = _lookup(ids, ranked.groupby("facility_id")["edition"].agg(
        lambda s: _join(s, edition_key)))
    fac["n_forms"] = _lookup(ids, own.groupby("facility_id").size(), 0).astype(int)
    fac["names_seen"] = _lookup(ids, own.groupby("facility_id")["facility_name"].agg(_join))
    gate = cur_ans[cur_ans["item_id"] == "has_system"].drop_duplicates("facility_id")
    gate = gate.set_index("facility_id")
    fac["has_system"] = _lookup(ids, gate["answer"])
    fac["has_system_cell"] = _lookup(ids, gate["sheet"] + "!" + gate["cell"])
    counts = _count_answers(cur_ans, ["facility_id"]).set_index("facility_id")
    for c in (*ANSWER_JA, "n"):
        fac[c] = _lookup(ids, counts[c], 0).astype(int)
    fac["implementation_rate"] = _lookup(ids, counts["implementation_rate"], float("nan")).astype("float64")
    fac["findings"] = _lookup(ids, findings.groupby("facility_id").size(), 0).astype(int)
    over = targets[targets["overdue"] & (targets["role"] == "facility")]
    fac["overdue_targets"] = _lookup(ids, over.groupby("facility_id").size(), 0).astype(int)
    return fac


def _missing(fac: pd.DataFrame, subs: pd.DataFrame, probs: list[dict[str, Any]]) -> tuple[
        pd.DataFrame, list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    for f in fac[fac["in_roster"] & ~fac["submitted"]].to_dict("records"):
        other = subs[(subs["facility_id"] == f["facility_id"]) & (subs["role"] != "facility")]
        detail = "（他の様式・事業者確認用は提出あり）" if len(other) else ""
        p = _problem("consolidate.not_submitted", facility_id=f["facility_id"],
                     facility_name=f["facility_name"], detail=detail)
        new.append(p)
        rows.append(_miss_row("not_submitted", "未提出", f, p["message"], f.get("near_misses", "")))
    need = fac[fac["submitted"] & (fac["has_system"] == "yes") & (fac["vendor_forms"] == 0)]
    for f in need.to_dict("records"):
        sheet, _, cell = f["has_system_cell"].partition("!")
        p = _problem("consolidate.vendor_form_missing", f, facility_id=f["facility_id"],
                     facility_name=f["facility_name"], sheet=sheet, cell=cell, item_id="has_system")
        new.append(p)
        rows.append(_miss_row("vendor_form_missing", "事業者確認用なし", f, p["message"], ""))
    by_sid = subs.set_index("submission_id")
    for p in probs:
        if p["code"] in ("consolidate.vendor_unmatched", "consolidate.name_near_miss",
                         "consolidate.not_in_roster"):
            s = by_sid.loc[p["submission_id"]] if p["submission_id"] in by_sid.index else {}
            rows.append(_miss_row(p["code"].split(".", 1)[1], KINDS[p["code"]].title,
                                  {"facility_id": p["facility_id"],
                                   "facility_name": s.get("facility_name", ""),
                                   "vendor_name": s.get("vendor_name", ""),
                                   "system_name": s.get("system_name", ""), "path": p["path"],
                                   "sheet": p["sheet"]},
                                  p["message"], s.get("near_misses", "")))
    return pd.DataFrame(rows, columns=MISSING_COLUMNS), new


MISSING_COLUMNS = ["category", "category_ja", "facility_id", "facility_code", "facility_name",
                   "kind", "area", "group", "vendor_name", "system_name", "path", "sheet",
                   "candidates", "message"]


def _miss_row(cat: str, cat_ja: str, f: dict[str, Any], message: str, cands: str) -> dict[str, Any]:
    row = {c: f.get(c, "") for c in MISSING_COLUMNS}
    row.update(category=cat, category_ja=cat_ja, message=message, candidates=cands or "")
    if cat in ("vendor_form_missing", "not_submitted"):
        row["path"] = f.get("path", "")
    return row


def _group_summary(fac: pd.DataFrame, col: str | None, cur_ans: pd.DataFrame,
                   targets: pd.DataFrame, missing: pd.DataFrame) -> pd.DataFrame:
    cols = ["group_value", "facilities", "submitted", "not_submitted", "submission_rate", "n",
            "yes", "no", "blank", "na", "implementation_rate", "findings", "overdue_targets",
            "vendor_forms_missing"]
    if not col:
        return pd.DataFrame(columns=cols)
    f = fac.assign(group_value=fac[col].fillna("").astype(str).replace("", "（未設定）"))
    agg = f.groupby("group_value").agg(
        facilities=("facility_id", "size"), submitted=("submitted", "sum"),
        findings=("findings", "sum"), overdue_targets=("overdue_targets", "sum"))
    agg["not_submitted"] = agg["facilities"] - agg["submitted"]
    agg["submission_rate"] = _ratio(agg["submitted"], agg["facilities"])
    ans = cur_ans.merge(f[["facility_id", "group_value"]], on="facility_id", how="inner")
    counts = _count_answers(ans, ["group_value"]).set_index("group_value")
    for c in ("n", *ANSWER_JA, "implementation_rate"):
        agg[c] = counts[c].reindex(agg.index).fillna(0 if c != "implementation_rate" else float("nan"))
    vm = missing[missing["category"] == "vendor_form_missing"].merge(
        f[["facility_id", "group_value"]], on="facility_id")
    agg["vendor_forms_missing"] = vm.groupby("group_value").size().reindex(agg.index).fillna(0).astype(int)
    return agg.reset_index()[cols]


def _overview(subs: pd.DataFrame, fac: pd.DataFrame, findings: pd.DataFrame,
              targets: pd.DataFrame, problems: pd.DataFrame, missing: pd.DataFrame,
              has_roster: bool, tables: TableViews | None = None) -> pd.DataFrame:
    rows = [("合計", "提出ファイル（シート）数", len(subs))]
    if has_roster:
        rows.append(("合計", "名簿の施設数", int(fac["in_roster"].sum())))
    rows += [
        ("合計", "チェックリスト提出施設数", int(fac["submitted"].sum())),
        *([("合計", "未提出施設数（名簿）", int((fac["in_roster"] & ~fac["submitted"]).sum()))]
          if has_roster else []),
        ("合計", "事業者確認用の数", int((subs["role"] == "vendor").sum())),
        ("合計", "事業者確認用がない施設数", int((missing["category"] == "vendor_form_missing").sum())),
        ("合計", "医療機関が不明な事業者確認用", int((missing["category"] == "vendor_unmatched").sum())),
        ("合計", "不一致の件数", len(findings)),
        ("合計", "期限を過ぎた目標日の件数", int(targets["overdue"].sum())),
        *([("合計", "契約確認表の数", len(tables.contract)),
           ("合計", "BCP確認表の数", len(tables.bcp)),
           ("合計", "確認表の突き合わせの件数", len(tables.findings))]
          if tables is not None and (len(tables.contract) or len(tables.bcp)) else []),
        ("合計", "要確認（エラー）", int((problems["severity"] == "error").sum())),
        ("合計", "要確認（警告）", int((problems["severity"] == "warning").sum())),
    ]
    for label, series in (("様式", subs["form"].map(lambda v: FORM_JA.get(v, v))),
                          ("年度版", subs.loc[subs["form"] == "checklist", "edition"]),
                          ("様式の種類", subs["variant"].map(lambda v: VARIANT_JA.get(v, v))),
                          ("施設種別（提出施設）", fac.loc[fac["submitted"], "kind"])):
        vc = series.replace("", "（不明）").value_counts()
        keys = sorted(vc.index, key=edition_key) if label == "年度版" else list(vc.index)
        rows += [(label, str(k), int(vc[k])) for k in keys]
    return pd.DataFrame(rows, columns=["category", "value", "count"])


# --------------------------------------------------------------------------------------------
# the public entry point


def _details(eff_all: pd.DataFrame, eff: pd.DataFrame, fac: pd.DataFrame) -> pd.DataFrame:
    counted = set(zip(eff["submission_id"], eff["item_id"], eff["scope"], eff["round"], strict=True))
    df = eff_all.copy()
    df["counted"] = [k in counted for k in zip(df["submission_id"], df["item_id"], df["scope"],
                                               df["round"], strict=True)]
    info = fac[["facility_id", "facility_name", "kind", "area", "group"]]
    df = df.merge(info, on="facility_id", how="left")
    df["facility_name"] = df["facility_name"].fillna(df["written_name"])
    df["answer_ja"] = df["answer"].map(ANSWER_JA).fillna(df["answer"])
    df["role_ja"] = df["role"].map(ROLE_JA)
    cols = ["facility_id", "facility_name", "kind", "area", "group", "role_ja", "vendor_name",
            "system_name", "form", "variant", "edition", "item_id", "ref", "section", "item_text",
            "scope", "round", "answer", "answer_ja", "checked_on", "target_on", "counted",
            "source", "raw", "sheet", "cell", "path", "submission_id"]
    for c in cols:
        if c not in df.columns:
            df[c] = ""
    return df[cols].fillna({c: "" for c in ("kind", "area", "group", "vendor_name", "system_name",
                                            "ref", "item_text")}).reset_index(drop=True)


def _problems_frame(reader: pd.DataFrame, subs: pd.DataFrame, extra: list[dict[str, Any]]) -> pd.DataFrame:
    p = reader.merge(subs[["submission_id", "facility_id"]], on="submission_id", how="left")
    p["facility_id"] = p["facility_id"].fillna("")
    new = schema.frame("problems", extra)
    new["facility_id"] = [e.get("facility_id", "") for e in extra]
    out = pd.concat([p, new], ignore_index=True)
    out["_s"] = out["severity"].map(lambda s: -SEVERITY_RANK.get(s, -1))
    return out.sort_values(["_s", "path", "sheet"], kind="stable").drop(columns="_s").reset_index(drop=True)


def consolidate(result_or_frames: Any, roster: pd.DataFrame | None = None,
                as_of: str | dt.date | None = None, group_by: str | None = None,
                catalogue: Catalogue | None = None,
                rules: list[Rule] | None = None) -> Consolidation:
    """Consolidate the reader's frames (an object with ``.submissions``, ``.answers``,
    ``.problems``, a mapping with those keys, or a tuple of them).

    ``roster``: a frame from :func:`xltools.roster.load_roster`; ``as_of``: the date targets are
    judged against (default today); ``group_by``: a facility column (group, area, kind, edition,
    or a roster header) for the per-group summary; ``rules``: the cross-check rules to run
    (default every enabled rule, :func:`xltools.checks.rules.load_rules`).
    """
    subs, answers, reader_problems = _frames(result_or_frames)
    catalogue = catalogue or load_catalogue()
    as_of_iso = parse_as_of(as_of)
    items = item_table(catalogue)
    latest = _latest_items(items)
    if rules is None:
        rules = load_rules(known_items=set(items["item_id"]) if not items.empty else None)
    group_col = group_column(roster, group_by)

    reg = _registry(roster)
    subs, probs = _identify(subs, reg)
    ranked = _current(subs)
    names = {k: v["facility_name"] for k, v in reg.rows.items()}
    probs += _several_forms(ranked, names)
    eff_all = _with_meta(answers.assign(gated=False), subs, items)
    eff = _with_meta(effective_answers(answers, subs), subs, items)
    cur_sids = set(ranked.drop_duplicates("facility_id")["submission_id"])
    pairs = _pairs(subs, ranked, names)
    found = cross_check(pairs, eff, rules, subs, answers)
    findings = found[found["form"] == "checklist"].reset_index(drop=True)
    gates = set(items.loc[items["gate"], "item_id"]) if not items.empty else set()
    targets = _targets(eff, cur_sids, as_of_iso, names, gates)
    cur_ans = eff[eff["submission_id"].isin(cur_sids)]
    fac = _facilities(reg, subs, ranked, cur_ans, findings, targets)
    cur_ans = cur_ans.merge(fac[["facility_id", "kind"]], on="facility_id", how="left")
    missing, more = _missing(fac, subs, probs)
    subs["is_current"] = subs["submission_id"].isin(cur_sids)
    problems = _problems_frame(reader_problems, subs, probs + more)
    tables = table_views(subs, answers, reader_problems, names, cur_ans,
                         latest.drop_duplicates("item_id"),
                         found[found["form"] != "checklist"].reset_index(drop=True))
    return Consolidation(
        facilities=fac, pairs=pairs, findings=findings,
        item_summary=_item_summary(cur_ans, latest),
        facility_matrix=_matrix(fac, cur_ans, latest), targets=targets, missing=missing,
        problems=problems, history=_history(ranked, eff, latest, names),
        group_summary=_group_summary(fac, group_col, cur_ans, targets, missing),
        submissions=subs, details=_details(eff_all, eff, fac),
        section_summary=_section_summary(cur_ans, latest),
        overview=_overview(subs, fac, findings, targets, problems, missing, roster is not None,
                           tables),
        items=latest, tables=tables, as_of=as_of_iso, group_by=group_col, has_roster=roster is not None)


def group_column(roster: pd.DataFrame | None, group_by: str | None) -> str | None:
    """The facility column ``group_by`` names (raises :class:`ConsolidateError` if none)."""
    if not group_by:
        return None
    try:
        col = resolve_column(roster, group_by)
    except RosterError as exc:
        raise ConsolidateError(str(exc)) from exc
    if col in ("group", "area") and roster is None:
        raise ConsolidateError(f"「{group_by}」で集計するには名簿（--roster）が必要です。")
    return col


# --------------------------------------------------------------------------------------------
# what each facility has to do, and the dashboard numbers (概要; the web page shows the same)

ACTION_SEVERITIES = ("error", "warning")  # 警告 and above: asks a person to act; 情報 is a note
FACILITY_STATUS_JA = {"action": "要対応", "complete": "対応なし", "missing": "未提出"}
ACTION_COUNTS = ("blank_items", "form_problems", "action_findings", "overdue", "no_target",
                 "vendor_missing", "vendor_problems", "table_findings")
# problems a letter states in its own words (the status lines), not as 記入内容の確認 rows
_STATUS_CODES = ("consolidate.vendor_form_missing", "consolidate.not_submitted")


def needs_action(severity: pd.Series) -> pd.Series:
    """True where a problem or finding is of severity 警告 or above."""
    return severity.isin(ACTION_SEVERITIES)


def facility_actions(cons: Consolidation) -> pd.DataFrame:
    """One row per facility of :func:`facility_status`'s set: what its letter asks it to do.

    ``blank_items`` counted answers left blank on its current checklist; ``form_problems`` its
    own forms' problems of 警告 and above (blank answers apart); ``action_findings`` vendor disagreements of 警告
    and above; ``overdue`` / ``no_target`` いいえ items past their 目標日 / without one (its own
    and its vendors' forms); ``vendor_missing`` 1 when it has systems but no vendor form;
    ``vendor_problems`` problems of 警告 and above on its vendors' forms (blank answers apart);
    ``table_findings`` contract/BCP table disagreements of 警告 and above.
    """
    fac = cons.facilities
    ids = fac["facility_id"]
    d = cons.details
    cur = set(fac["submission_id"]) - {""}
    blank = d[d["submission_id"].isin(cur) & d["counted"] & (d["answer"] == "blank")] \
        if not d.empty else d
    p = letter_problems(cons)
    probs, vprobs = p[p["role"] != "vendor"], p[p["role"] == "vendor"]
    f = cons.findings[needs_action(cons.findings["severity"])]
    t = cons.targets
    tf = cons.tables.findings
    tf = tf[needs_action(tf["severity"])] if len(tf) else tf
    vm = cons.missing[cons.missing["category"] == "vendor_form_missing"]
    out = pd.DataFrame({"facility_id": ids})
    for name, frame in (("blank_items", blank), ("form_problems", probs), ("action_findings", f),
                        ("overdue", t[t["overdue"]]), ("no_target", t[t["target_on"] == ""]),
                        ("vendor_missing", vm), ("vendor_problems", vprobs),
                        ("table_findings", tf)):
        counts = frame.groupby("facility_id").size() if len(frame) else pd.Series(dtype=int)
        out[name] = _lookup(ids, counts, 0).astype(int).to_numpy()
    out["submitted"] = fac["submitted"].to_numpy()
    out["needs_action"] = out["submitted"] & (out[list(ACTION_COUNTS)].sum(axis=1) > 0)
    return out.reset_index(drop=True)


def letter_problems(cons: Consolidation) -> pd.DataFrame:
    """Problems of 警告 and above on forms a facility answers for: its own forms and its
    vendors' (``role`` says which; ``facility_id`` whose), blank answers and the ones the
    status lines state apart."""
    subs = cons.submissions
    p = cons.problems
    if subs.empty or p.empty:
        return p.iloc[0:0].assign(role=pd.Series(dtype=object))
    owner = subs[subs["facility_id"] != ""].set_index("submission_id")
    p = p[needs_action(p["severity"]) & (p["code"] != "answer.blank")
          & ~p["code"].isin(_STATUS_CODES) & p["submission_id"].isin(owner.index)]
    return p.assign(facility_id=p["submission_id"].map(owner["facility_id"]),
                    role=p["submission_id"].map(owner["role"]),
                    vendor_name=p["submission_id"].map(owner["vendor_name"]))


def facility_status(cons: Consolidation) -> pd.DataFrame:
    """The facilities expected (the roster's, and any that submitted a checklist outside it;
    without a roster, those that submitted), one row each with what it has to do, ordered
    要対応, 対応なし, 未提出 (then by name): the rows of the 施設別一覧 sheet."""
    fac = cons.facilities
    acts = facility_actions(cons).drop(columns="submitted")
    df = fac.merge(acts, on="facility_id", how="left")
    keep = df["submitted"] | (df["in_roster"] if cons.has_roster else False)
    df = df[keep].copy()
    df["status"] = ["missing" if not s else ("action" if a else "complete")
                    for s, a in zip(df["submitted"], df["needs_action"], strict=True)]
    df["status_ja"] = df["status"].map(FACILITY_STATUS_JA)
    order = {"action": 0, "complete": 1, "missing": 2}
    df["_o"] = df["status"].map(order)
    df = df.sort_values(["_o", "facility_name", "facility_id"], kind="stable").drop(columns="_o")
    return df.reset_index(drop=True)


def _rate(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def overview(cons: Consolidation) -> dict[str, Any]:
    """The dashboard numbers (the 概要 sheet and the web page show these, nothing else).

    Each count is the number of rows of a sheet or of a block at the top of one:
    ``expected`` = 施設別一覧, ``action`` / ``complete`` / ``missing_facilities`` its blocks
    (in that order), ``missing`` = 未提出's 未提出 block, ``vendor_forms_missing`` the next
    block there, ``findings_action`` = 不一致, ``findings_notes`` = 参考情報,
    ``overdue_targets`` = 目標日's 期限超過 block, ``problems_error`` / ``problems_warning`` =
    要確認's first blocks, ``table_findings_action`` = 確認表の突き合わせ's first block.
    """
    st = facility_status(cons)
    sec = cons.section_summary
    tot = sec[sec["kind"] == TOTAL] if not sec.empty else sec
    sections = [{"section": int(r["section"]), "name": str(r["section_name"]),
                 "rate": _rate(r["implementation_rate"]), "n": int(r["n"]), "yes": int(r["yes"]),
                 "no": int(r["no"]), "blank": int(r["blank"]), "na": int(r["na"])}
                for r in tot.to_dict("records") if int(r["section"]) != 99]
    overall = tot[tot["section"] == 99] if not tot.empty else tot
    p, f, t = cons.problems, cons.findings, cons.tables
    miss = cons.missing["category"]
    return {
        "as_of": cons.as_of, "has_roster": cons.has_roster,
        "expected": len(st), "submitted": int(st["submitted"].sum()),
        "action": int((st["status"] == "action").sum()),
        "complete": int((st["status"] == "complete").sum()),
        "missing": int((miss == "not_submitted").sum()),
        "outside_roster": int((st["submitted"] & ~st["in_roster"]).sum()) if cons.has_roster else 0,
        "vendor_forms": int((cons.submissions.get("role", pd.Series(dtype=str)) == "vendor").sum()),
        "vendor_forms_missing": int((miss == "vendor_form_missing").sum()),
        "implementation_rate": _rate(overall["implementation_rate"].iloc[0]) if len(overall) else None,
        "sections": sections,
        "overdue_targets": int(cons.targets["overdue"].sum()),
        "findings_action": int(needs_action(f["severity"]).sum()),
        "findings_notes": int((~needs_action(f["severity"])).sum()),
        "problems_error": int((p["severity"] == "error").sum()),
        "problems_warning": int((p["severity"] == "warning").sum()),
        "problems_info": int((p["severity"] == "info").sum()),
        "contract_tables": len(t.contract), "bcp_tables": len(t.bcp),
        "table_findings_action": int(needs_action(t.findings["severity"]).sum()) if len(t.findings) else 0,
        "table_findings_notes": int((~needs_action(t.findings["severity"])).sum()) if len(t.findings) else 0,
    }
