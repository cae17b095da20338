"""The contract role table and the BCP table in a consolidation: one wide frame per table and
the tables' cross-check findings, ready for :mod:`xltools.report`.

Pure pandas on frames :func:`xltools.consolidate.consolidate` already has (submissions with
their ``facility_id``, the reader's answers and problems, the facilities' current checklist
answers). Nothing is read from disk but the catalogues and the rules.

* 契約確認表 (``contract``): one row per contract table read (facility × vendor × system, one
  row per copy), one answer column per item in printed order, a 完了日 column next to an item
  when any copy has one, and, for an item the catalogue links to checklist items, the
  facility's current checklist answer right beside it.
* BCP確認表 (``bcp``): one row per BCP table, the facility's checklist answer to 「BCPを策定
  している」 first, then one column per question.
* findings: the contract/BCP rules' findings (:mod:`xltools.checks.rules`) with the facility each finding is about,
  the compared forms named, and answers in Japanese.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd

from xltools.checks.table_checks import (
    ANSWER_JA,
    check_tables,
    facility_key,
    item_order,
    table_rows,
)
from xltools.forms.table_catalogue import load_table_catalogue
from xltools.output import schema

FORMS = ("contract", "bcp")
PREFIX = {"contract": "c:", "bcp": "b:"}
ITEM_COLUMNS = ["form", "item_id", "key", "done_key", "link_key", "title", "status", "known",
                "links", "link_refs", "has_done"]
FINDING_COLUMNS = [c.name for c in schema.FINDINGS]


@dataclass
class TableViews:
    """What the consolidated workbook shows of the two tables."""

    contract: pd.DataFrame = field(default_factory=pd.DataFrame)
    bcp: pd.DataFrame = field(default_factory=pd.DataFrame)
    items: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ITEM_COLUMNS))
    findings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FINDING_COLUMNS))

    def frame(self, form: str) -> pd.DataFrame:
        return self.contract if form == "contract" else self.bcp

    def items_of(self, form: str) -> pd.DataFrame:
        return self.items[self.items["form"] == form]


def _file(path: str) -> str:
    return PurePath(str(path).replace("\\", "/")).name if path else ""


def combine(answers: list[str]) -> str:
    """One answer for several checklist rows (scopes, or several linked items): いいえ if any
    is, else 未回答 if any is, else はい if any is, else 該当なし; "" when there are none."""
    got = set(answers)
    for a in ("no", "blank", "yes", "na"):
        if a in got:
            return a
    return ""


# --------------------------------------------------------------------------------------------
# items (columns)


def _items(form: str, rows: pd.DataFrame, checklist_refs: dict[str, str]) -> pd.DataFrame:
    """The columns of one table's sheet: catalogue items and any item read, in printed order."""
    cat = load_table_catalogue(form)
    entries = {e.id: e for e in cat.entries}
    ids = sorted(set(entries) | set(rows["item_id"]), key=item_order)
    done = set(rows.loc[rows["completed_on"] != "", "item_id"]) if "completed_on" in rows else set()
    out = []
    for item in ids:
        e = entries.get(item)
        links = [x for x in (e.checklist if e else ()) if x]
        prefix = PREFIX[form] + item
        out.append({"form": form, "item_id": item, "key": prefix, "done_key": prefix + ":done",
                    "link_key": prefix + ":checklist" if links else "",
                    "title": (e.title or e.text) if e else "", "status": e.status if e else "",
                    "known": e is not None, "links": ",".join(links),
                    "link_refs": "・".join(checklist_refs.get(x, x) for x in links),
                    "has_done": item in done})
    return pd.DataFrame(out, columns=ITEM_COLUMNS)


# --------------------------------------------------------------------------------------------
# wide frames


def _base(subs: pd.DataFrame, names: dict[str, str], form: str) -> pd.DataFrame:
    own = subs[subs["form"] == form]
    cols = ["submission_id", "facility_id", "facility_name", "vendor_name", "system_name",
            "status", "path", "sheet"]
    base = own[cols].rename(columns={"facility_name": "written_name"}).copy()
    base["facility_name"] = [names.get(f, "") or w or "（名称なし）"
                             for f, w in zip(base["facility_id"], base["written_name"], strict=True)]
    base["file"] = base["path"].map(_file)
    return base.reset_index(drop=True)


def _counts(rows: pd.DataFrame) -> pd.DataFrame:
    counts = rows.pivot_table(index="submission_id", columns="answer", values="item_id",
                              aggfunc="count", fill_value=0)
    counts = counts.reindex(columns=list(ANSWER_JA)[:4], fill_value=0)
    counts.columns = [f"n_{c}" for c in counts.columns]
    counts["n"] = counts.sum(axis=1)
    return counts


def _wide(base: pd.DataFrame, rows: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    keys = dict(zip(items["item_id"], items["key"], strict=True))
    done_keys = dict(zip(items["item_id"], items["done_key"], strict=True))
    out = base.copy()
    if rows.empty:
        for col in ("n_yes", "n_no", "n_na", "n_blank", "n"):
            out[col] = 0
        for k in items["key"]:
            out[k] = ""
        return out
    out = out.merge(_counts(rows), left_on="submission_id", right_index=True, how="left")
    answers = rows.pivot_table(index="submission_id", columns="item_id", values="answer",
                               aggfunc="first").rename(columns=keys)
    done = rows.pivot_table(index="submission_id", columns="item_id", values="completed_on",
                            aggfunc="first").rename(columns=done_keys)
    done = done[[done_keys[i] for i in items.loc[items["has_done"], "item_id"]]]
    out = out.merge(answers, left_on="submission_id", right_index=True, how="left")
    out = out.merge(done, left_on="submission_id", right_index=True, how="left")
    for col in ("n_yes", "n_no", "n_na", "n_blank", "n"):
        out[col] = out[col].fillna(0).astype(int)
    for k in [*items["key"], *done.columns]:
        out[k] = out[k].fillna("").astype(str) if k in out.columns else ""
    return out


def _checklist_answer(cur: pd.DataFrame, fid: str, item_ids: list[str]) -> tuple[str, str]:
    """(combined answer, cells) of a facility's current checklist for some items."""
    rows = cur[(cur["facility_id"] == fid) & cur["item_id"].isin(item_ids)]
    if rows.empty:
        return "", ""
    cells = [f"{s}!{c}" for s, c in zip(rows["sheet"], rows["cell"], strict=True) if c]
    return combine(list(rows["answer"])), "、".join(dict.fromkeys(cells))


def _contract(base: pd.DataFrame, rows: pd.DataFrame, items: pd.DataFrame, cur: pd.DataFrame,
              findings: pd.DataFrame) -> pd.DataFrame:
    out = _wide(base, rows, items)
    first = rows[rows["checked_on"] != ""].groupby("submission_id")["checked_on"].first()
    out["checked_on"] = out["submission_id"].map(first).fillna("")
    done = rows[(rows["answer"] == "no") & (rows["completed_on"] != "")]
    out["n_done"] = out["submission_id"].map(done.groupby("submission_id").size()).fillna(0).astype(int)
    for it in items[items["link_key"] != ""].itertuples():
        links = it.links.split(",")
        out[it.link_key] = [_checklist_answer(cur, fid, links)[0] for fid in out["facility_id"]]
    out["findings"] = _finding_counts(out, findings[findings["form"] == "contract"])
    return out.sort_values(["facility_name", "vendor_name", "system_name", "path", "sheet"],
                           kind="stable").reset_index(drop=True)


def _bcp(base: pd.DataFrame, rows: pd.DataFrame, items: pd.DataFrame, cur: pd.DataFrame,
         problems: pd.DataFrame, findings: pd.DataFrame, bcp_item: str) -> pd.DataFrame:
    out = _wide(base, rows, items)
    got = [_checklist_answer(cur, fid, [bcp_item]) for fid in out["facility_id"]]
    out["checklist_bcp"] = [a for a, _ in got]
    out["checklist_bcp_cell"] = [c for _, c in got]
    denom = (out["n"] - out["n_na"]).where(lambda s: s > 0)
    out["tick_rate"] = (out["n_yes"] / denom).astype("float64")
    used = problems[problems["code"] == "table.answer_column"].drop_duplicates("submission_id")
    out["answer_column"] = out["submission_id"].map(used.set_index("submission_id")["detail"]) \
        .fillna("（回答欄なし）")
    out["findings"] = _finding_counts(out, findings[findings["form"] == "bcp"])
    return out.sort_values(["facility_name", "path", "sheet"], kind="stable").reset_index(drop=True)


def _finding_counts(wide: pd.DataFrame, findings: pd.DataFrame) -> pd.Series:
    """Findings about each table row (its file on either side, and its facility)."""
    counts = []
    for path, fid in zip(wide["path"], wide["facility_id"], strict=True):
        hit = findings[((findings["left_path"] == path) | (findings["right_path"] == path))
                       & (findings["facility_id"] == fid)]
        counts.append(len(hit))
    return pd.Series(counts, index=wide.index, dtype=int)


# --------------------------------------------------------------------------------------------
# findings


def _answer_text(value: str) -> str:
    """yes -> はい; a BCP summary 「no:3, blank:2」 -> 「いいえ 3・未回答 2」."""
    if ":" not in value:
        return value
    parts = [p.strip().split(":") for p in value.split(",") if ":" in p]
    return "・".join(f"{ANSWER_JA.get(a, a)} {n}" for a, n in parts)


def _findings(raw: pd.DataFrame, subs: pd.DataFrame, names: dict[str, str],
              bcp_text: str) -> pd.DataFrame:
    if raw.empty:
        return schema.frame("findings", [])
    tables = subs[subs["form"].isin(FORMS)]
    fid_of = {(p, facility_key(n)): f for p, n, f in
              zip(tables["path"], tables["facility_name"], tables["facility_id"], strict=True)}
    titles = {e.id: e.title or e.text for e in load_table_catalogue("contract").entries}
    rows = []
    for f in raw.to_dict("records"):
        form = f["form"]
        key = facility_key(f["facility_name"])
        fid = fid_of.get((f["left_path"], key)) or fid_of.get((f["right_path"], key)) or ""
        if form == "contract":
            left_form, right_form = _file(f["left_path"]), _file(f["right_path"])
            left, right = f["left_answer"], f["right_answer"]
            if f["code"] == "crosscheck.contract_completed_differs":
                left, right = left or "（未記入）", right or "（未記入）"
            title = titles.get(f["item_id"], "")
        else:
            left_form = f"チェックリスト（{_file(f['left_path'])}）"
            right_form = f"BCP確認表（{_file(f['right_path'])}）"
            left, right, title = f["left_answer"], _answer_text(f["right_answer"]), bcp_text
        rows.append({**{c: f.get(c, "") for c in FINDING_COLUMNS}, "form": form,
                     "facility_id": fid, "facility_name": names.get(fid, "") or f["facility_name"],
                     "item_title": title, "left_form": left_form, "right_form": right_form,
                     "left_answer": left, "right_answer": right})
    out = schema.frame("findings", rows)
    rank = {"error": 0, "warning": 1, "info": 2}
    out["_s"] = out["severity"].map(rank).fillna(3)
    out["_o"] = out["item_id"].map(item_order)
    out = out.sort_values(["_s", "form", "facility_name", "vendor_name", "_o"], kind="stable")
    return out.drop(columns=["_s", "_o"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# entry point


def table_views(subs: pd.DataFrame, answers: pd.DataFrame, problems: pd.DataFrame,
                names: dict[str, str], current: pd.DataFrame, checklist_items: pd.DataFrame,
                raw: pd.DataFrame | None = None) -> TableViews:
    """The two tables' sheets and findings.

    ``subs``: submissions with ``facility_id``; ``current``: the facilities' current checklist
    effective answers (``facility_id, item_id, answer, sheet, cell``); ``checklist_items``: the
    newest edition's checklist items (``item_id, ref, text``) for the linked items' refs;
    ``raw``: the contract/BCP rules' findings (run here when not given).
    """
    if not subs["form"].isin(FORMS).any():
        return TableViews()
    refs = dict(zip(checklist_items["item_id"], checklist_items["ref"], strict=True)) \
        if not checklist_items.empty else {}
    texts = dict(zip(checklist_items["item_id"], checklist_items["text"], strict=True)) \
        if not checklist_items.empty else {}
    if raw is None:  # the consolidation ran every rule once already and passes their findings
        raw = check_tables(subs, answers, problems)
    findings = _findings(raw, subs, names, texts.get("bcp", "BCP を策定している"))
    views = TableViews(findings=findings)
    all_items = []
    for form in FORMS:
        rows = table_rows(subs, answers, form)
        items = _items(form, rows, refs)
        all_items.append(items)
        base = _base(subs, names, form)
        if form == "contract":
            views.contract = _contract(base, rows, items, current, findings)
        else:
            views.bcp = _bcp(base, rows, items, current, problems, findings, "bcp")
    views.items = pd.concat(all_items, ignore_index=True)
    return views


__all__ = ["TableViews", "table_views", "combine", "ITEM_COLUMNS", "FINDING_COLUMNS"]
