"""The one rule engine: every cross-check is a rule in ``mappings/rules/*.yaml``, parsed by one
parser, run by one runner, and every finding is a problem row with a catalogue code.

A rule names a check (``condition.type``), its parameters and the stable code its findings
carry (``crosscheck.<slug>``, see docs/problems.md); the Japanese title and message come from
the problem catalogue (:data:`xltools.problems.CATALOGUE`), the rule's ``id`` is kept in the
findings' ``rule`` column. What a rules file may say is declared once in
:class:`xltools.forms.models.RuleSpec`.

Checks are small functions looked up by their type string (:data:`CHECKS`), so a rule of an
existing type needs no code:

* facility checklist vs each of its vendors' forms (:mod:`xltools.checks.crosscheck`):
  ``answers``, ``date_order``, ``editions_differ``, ``facility_answer``;
* the contract role table's copies and the checklist vs the BCP table
  (:mod:`xltools.checks.table_checks`): ``contract_copies``, ``checklist_bcp``.

Bundled rules are read first, then a user's ``--mappings`` / ``XLTOOLS_MAPPINGS`` folder's
``rules/*.yaml``: a user rule replaces the bundled rule of the same id (``enabled: false``
switches one off) and adds new ones.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xltools.forms.catalogue import BUNDLED_DIR
from xltools.forms.models import MappingError, RulesFile, RuleSpec, read_yaml, validate
from xltools.problems import CATALOGUE, render

if TYPE_CHECKING:
    import pandas as pd

Rule = RuleSpec
RULES_DIR = "rules"


# --------------------------------------------------------------------------------------------
# loading: one parser for every rules file


def parse_rules(text: str, source: str) -> list[Rule]:
    """Parse and validate one rules file's text (all its rules, enabled or not)."""
    spec: RulesFile = validate(RulesFile, read_yaml(text, source) or {"rules": []}, source)
    return [r.model_copy(update={"source": source}) for r in spec.rules]


@functools.lru_cache(maxsize=32)
def _parse_cached(path: Path, mtime_ns: int, size: int) -> tuple[Rule, ...]:
    return tuple(parse_rules(path.read_text(encoding="utf-8"), str(path)))


def parse_rules_file(path: Path) -> list[Rule]:
    """One rules file, parsed once per version of the file."""
    st = path.stat()
    return list(_parse_cached(path, st.st_mtime_ns, st.st_size))


def _folders(user_dir: str | os.PathLike[str] | None) -> list[Path]:
    extra = user_dir or os.environ.get("XLTOOLS_MAPPINGS")
    return [BUNDLED_DIR, *([Path(extra)] if extra else [])]


def load_rules(user_dir: str | os.PathLike[str] | None = None,
               known_items: set[str] | None = None) -> list[Rule]:
    """Bundled rules, then the user's; enabled rules only, in file order.

    ``known_items``: the checklist item ids of the catalogue; a pair rule naming another item
    fails naming its file and field.
    """
    by_id: dict[str, Rule] = {}
    for folder in _folders(user_dir):
        for path in sorted((folder / RULES_DIR).glob("*.yaml")):
            for n, rule in enumerate(parse_rules_file(path)):
                _check_items(rule, n, known_items)
                by_id[rule.id] = rule
    for rule in by_id.values():
        for sid in rule.supersedes:
            if sid not in by_id:
                n = next(i for i, r in enumerate(parse_rules_file(Path(rule.source)))
                         if r.id == rule.id)
                raise MappingError(f"{rule.source}: rules[{n}].supersedes: 規則「{sid}」がありません")
    return [r for r in by_id.values() if r.enabled]


def _check_items(rule: Rule, n: int, known: set[str] | None) -> None:
    if known is None:
        return
    for key in ("facility_item", "vendor_item"):
        value = getattr(rule, key)
        if value not in (None, "*") and value not in known:
            raise MappingError(f"{rule.source}: rules[{n}].{key}: 項目 ID「{value}」は"
                               "チェックリストのマッピングにありません")


# --------------------------------------------------------------------------------------------
# running


@dataclass
class Facts:
    """What the checks look at: the reader's submissions (with ``facility_id`` once the
    consolidation has identified them) and answers, and for the facility-vs-vendor checks the
    pairs and both sides' effective answers (``f_``/``v_`` prefixed columns)."""

    submissions: pd.DataFrame
    answers: pd.DataFrame
    pairs: pd.DataFrame | None = None
    facility: pd.DataFrame | None = None
    vendor: pd.DataFrame | None = None


def severity(rule: Rule) -> str:
    return rule.severity or CATALOGUE[rule.code].severity


def title(rule: Rule) -> str:
    return rule.title or CATALOGUE[rule.code].title


def finding(rule: Rule, values: dict[str, Any], **columns: Any) -> dict[str, Any]:
    """One finding row: the rule's code, severity, title and the catalogue's message filled
    from ``values``; ``columns`` are the row's other findings columns."""
    shown = {k: "" if v is None else v for k, v in values.items()}
    return {**columns, "code": rule.code, "rule": rule.id, "severity": severity(rule),
            "title": title(rule), "message": render(rule.code, shown)}


def _checks() -> dict[str, Callable[[Rule, Facts], list[dict[str, Any]]]]:
    from xltools.checks import crosscheck, table_checks

    return {**crosscheck.CHECKS, **table_checks.CHECKS}


def run(rules: list[Rule], facts: Facts) -> pd.DataFrame:
    """Every rule over the facts -> one findings frame (:data:`xltools.output.schema.FINDINGS`),
    superseded findings dropped."""
    from xltools.output import schema

    checks = _checks()
    rows: list[dict[str, Any]] = []
    for rule in rules:
        rows += checks[rule.type](rule, facts)
    df = schema.frame("findings", rows)
    return _drop_superseded(df, rules).reset_index(drop=True)


_SAME_FINDING = ["facility_submission_id", "vendor_submission_id", "item_id", "facility_scope",
                 "vendor_scope"]


def _drop_superseded(df: pd.DataFrame, rules: list[Rule]) -> pd.DataFrame:
    """A rule's finding replaces a superseded rule's finding for the same pair, item and scope."""
    import pandas as pd

    drop = pd.Series(False, index=df.index)
    for rule in rules:
        if not rule.supersedes:
            continue
        winners = set(map(tuple, df.loc[df["rule"] == rule.id, _SAME_FINDING].to_numpy().tolist()))
        losers = df["rule"].isin(rule.supersedes)
        drop |= losers & pd.Series([tuple(r) in winners
                                    for r in df[_SAME_FINDING].to_numpy().tolist()],
                                   index=df.index, dtype=bool)
    return df[~drop]


__all__ = ["Rule", "Facts", "load_rules", "parse_rules", "parse_rules_file", "run", "finding",
           "severity", "title"]
