"""Score the reader against known truth: exact, flagged (wrong but with a problem row), silent.

Used by the accuracy benchmark and the tests on generated corpora: the promise is that every
answer is either exactly right or comes with a problem row; a silently wrong answer is a bug.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from .synth import Truth


@dataclass
class Score:
    exact: int = 0
    flagged: int = 0
    silent: int = 0
    sheets_right: int = 0
    sheets: int = 0
    silent_examples: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.exact + self.flagged + self.silent

    @property
    def exact_rate(self) -> float:
        return self.exact / self.total if self.total else 1.0

    def line(self) -> str:
        return (f"answers {self.total}: exact {self.exact} ({self.exact_rate:.2%}), flagged "
                f"{self.flagged}, silently wrong {self.silent}; sheets identified "
                f"{self.sheets_right}/{self.sheets}")


def score(truths: list[Truth], subs: pd.DataFrame, answers: pd.DataFrame,
          problems: pd.DataFrame) -> Score:
    out = Score()
    by_key = {(r.path, r.sheet): r for r in subs.itertuples()}
    flagged_items = {(p.submission_id, p.item_id) for p in problems.itertuples() if p.item_id}
    flagged_sheets = {p.submission_id for p in problems.itertuples()
                      if not p.item_id and p.severity in ("warning", "error")}
    ans = {(a.submission_id, a.item_id, a.scope, int(a.round)): a for a in answers.itertuples()}
    for t in truths:
        out.sheets += 1
        sub = by_key.get((t.path, t.sheet))
        if sub is not None and (sub.edition, sub.variant) == (t.edition, t.variant):
            out.sheets_right += 1
        for (item, scope, rnd), (answer, checked, target) in t.answers.items():
            got = ans.get((sub.submission_id, item, scope, rnd)) if sub is not None else None
            if got is not None and (got.answer, got.checked_on, got.target_on) == (answer, checked, target):
                out.exact += 1
                continue
            sid = sub.submission_id if sub is not None else ""
            if sub is not None and ((sid, item) in flagged_items or sid in flagged_sheets):
                out.flagged += 1
                continue
            out.silent += 1
            what = "missing" if got is None else f"{got.answer}/{got.checked_on}/{got.target_on} raw={got.raw!r} rd={got.raw_date!r}"
            out.kinds[item] += 1
            if len(out.silent_examples) < 20:
                out.silent_examples.append(
                    f"{t.path}:{t.sheet} {item}/{scope}/r{rnd}: want {answer}/{checked}/{target}, got {what}")
    return out
