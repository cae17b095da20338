"""Score the reader against known truth: exact, flagged (wrong but with a problem row), silent.

Used by the accuracy benchmark and the tests on generated corpora: the promise is that every
answer is either exactly right or comes with a problem row; a silently wrong answer is a bug.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from testkit.synth import Truth


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
          problems: pd.DataFrame, *, extra: dict[str, str] | None = None,
          sheet_fields: tuple[str, ...] = ("edition", "variant")) -> Score:
    """Score the read frames against the truth.

    An answer is exact when answer, checked_on and target_on (plus every ``extra`` column:
    answers column -> name of the truth's dict of wanted values, e.g. ``{"completed_on":
    "completed"}``) all match; else flagged when a problem names its item, or an error or
    warning names its sheet; else silently wrong. A sheet is identified when its submission's
    ``sheet_fields`` equal the truth's.
    """
    extra = extra or {}
    out = Score()
    by_key = {(r.path, r.sheet): r for r in subs.itertuples()}
    flagged_items = {(p.submission_id, p.item_id) for p in problems.itertuples() if p.item_id}
    flagged_sheets = {p.submission_id for p in problems.itertuples()
                      if not p.item_id and p.severity in ("warning", "error")}
    ans = {(a.submission_id, a.item_id, a.scope, int(a.round)): a for a in answers.itertuples()}
    for t in truths:
        out.sheets += 1
        sub = by_key.get((t.path, t.sheet))
        if sub is not None and all(getattr(sub, f) == getattr(t, f) for f in sheet_fields):
            out.sheets_right += 1
        wanted_extra = {col: getattr(t, attr, {}) for col, attr in extra.items()}
        for key, (answer, checked, target) in t.answers.items():
            got = ans.get((sub.submission_id, *key)) if sub is not None else None
            want = (answer, checked, target, *(w.get(key, "") for w in wanted_extra.values()))
            if got is not None and (got.answer, got.checked_on, got.target_on,
                                    *(getattr(got, c) for c in extra)) == want:
                out.exact += 1
                continue
            sid = sub.submission_id if sub is not None else ""
            if sub is not None and ((sid, key[0]) in flagged_items or sid in flagged_sheets):
                out.flagged += 1
                continue
            out.silent += 1
            out.kinds[key[0]] += 1
            if len(out.silent_examples) < 20:
                what = "missing" if got is None else (
                    f"{got.answer}/{got.checked_on}/{got.target_on}"
                    f"{''.join('/' + str(getattr(got, c)) for c in extra)} raw={got.raw!r} "
                    f"rd={got.raw_date!r} cell={got.cell}")
                item, scope, rnd = key
                out.silent_examples.append(
                    f"{t.path}:{t.sheet} {item}/{scope}/r{rnd}: want {'/'.join(want)}, got {what}")
    return out
