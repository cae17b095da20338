"""The library's front door: one function per user task.

Each function takes plain arguments (paths, dates as text or ``datetime.date``), makes the
stages work together and returns data; it never prints. A task that cannot run raises an
:class:`xltools.errors.XltoolsError` with one Japanese sentence; a bad *file* is never an
exception but problem rows in the result. The CLI (:mod:`xltools.cli`) and the page
(``xltools serve``) are thin layers over exactly these calls.

Example::

    import xltools
    res = xltools.read_many("受領フォルダ/")          # three DataFrames
    cons = xltools.consolidate("受領フォルダ/", out="集計.xlsx", roster="施設一覧.xlsx")
    cons.facilities, cons.findings                     # what the workbook shows
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xltools.pipeline import FileRows, Result, expand_inputs, read_file, to_result

if TYPE_CHECKING:
    from xltools.aggregate.core import Consolidation

PathLike = str | os.PathLike[str]
Inputs = PathLike | Iterable[PathLike]


def _as_list(inputs: Inputs) -> list[str]:
    """One path or many: a single ``str``/``Path`` is one input, never a sequence of letters."""
    if isinstance(inputs, (str, os.PathLike)):
        return [os.fspath(inputs)]
    return [os.fspath(p) for p in inputs]


def read(path: PathLike, *, mappings: str | None = None,
         passwords: list[str] | None = None) -> Result:
    """Read one workbook into the three tables (submissions, answers, problems).

    Example::

        subs, answers, problems = xltools.read("提出/さくら病院.xlsx")
    """
    from xltools.forms.catalogue import load_catalogue

    return to_result([read_file(path, load_catalogue(mappings), passwords)])


def read_many(paths: Inputs, *, mappings: str | None = None,
              passwords: list[str] | None = None, jobs: int | None = 1,
              store: PathLike | None = None, time_limit: float | None = None,
              progress: Callable[..., None] | None = None) -> Result:
    """Read files and folders into the three tables, exactly as ``xltools normalize`` does
    (duplicates and superseded copies marked the same way). One bad file never stops the batch.

    ``jobs`` 1 reads in this process (the default, friendly to notebooks); ``None`` uses one
    worker per CPU. ``store``: an SQLite file that remembers files already read.

    Example::

        res = xltools.read_many("受領フォルダ/")
        res.answers.query("answer == 'no'")
    """
    from xltools.batch.runner import run

    return run(_as_list(paths), jobs=jobs, store=store, passwords=passwords, mappings=mappings,
               progress=progress, time_limit=time_limit)


@dataclass
class Consolidated:
    """What :func:`consolidate` made: the consolidation itself, the files written, the reading."""

    consolidation: Consolidation
    result: Result
    workbook: Path | None = None
    letters: list[Path] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:  # cons.facilities, cons.findings ... read through
        if name == "consolidation":
            raise AttributeError(name)
        return getattr(self.consolidation, name)


def consolidate(inputs: Inputs, *, out: PathLike | None = None, roster: PathLike | None = None,
                as_of: str | dt.date | None = None, group_by: str | None = None,
                feedback: PathLike | None = None, mappings: str | None = None,
                passwords: list[str] | None = None, jobs: int | None = None,
                store: PathLike | None = None, time_limit: float | None = 60.0,
                progress: Callable[..., None] | None = None,
                result: Result | None = None) -> Consolidated:
    """Read returned forms, cross-check facilities against vendors, and write the consolidated
    workbook (``out``) and one letter per facility (``feedback`` folder).

    ``roster``: the facilities expected (CSV or xlsx); ``as_of``: the date target dates are
    judged against (``2026-04-01``, ``令和8年4月1日``, a ``date``; default today);
    ``group_by``: a facility column for the per-group sheet. ``result``: frames already read
    (skips reading ``inputs``). Raises :class:`xltools.errors.XltoolsError` when it cannot run.

    Example::

        cons = xltools.consolidate("受領フォルダ/", roster="施設一覧.xlsx",
                                   out="集計.xlsx", feedback="返送用/")
        cons.facilities[["facility_name", "submitted"]]
    """
    from xltools.aggregate.core import consolidate as build
    from xltools.aggregate.core import group_column, parse_as_of
    from xltools.aggregate.roster import load_roster
    from xltools.checks.rules import load_rules
    from xltools.forms.catalogue import load_catalogue

    catalogue = load_catalogue(mappings)
    rules = load_rules(mappings, known_items={it.id for m in catalogue.forms for it in m.items})
    roster_df = load_roster(roster) if roster else None
    as_of_iso = parse_as_of(as_of)
    group_column(roster_df, group_by)
    if result is None:
        from xltools.aggregate.roster import inputs_without_roster
        from xltools.batch.runner import run

        result = run(inputs_without_roster(_as_list(inputs), roster), jobs=jobs, store=store,
                     passwords=passwords, mappings=mappings, progress=progress, time_limit=time_limit)
    cons = build(result, roster=roster_df, as_of=as_of_iso, group_by=group_by,
                 catalogue=catalogue, rules=rules)
    done = Consolidated(consolidation=cons, result=result)
    if out is not None:
        from xltools.output.report import write_workbook

        done.workbook = write_workbook(cons, out)
    if feedback is not None:
        from xltools.output.report import write_feedback

        done.letters = write_feedback(cons, feedback)
    return done


def fill(template: PathLike, answers: PathLike | Iterable[PathLike], out: PathLike, *,
         name_pattern: str | None = None, mark: str = "word", mappings: str | None = None,
         progress: Callable[[str], None] | None = None) -> Any:
    """Fill the official blank form once per facility listed in the answers workbook.

    Example::

        res = xltools.fill("R8_事業者確認用.xlsx", "回答.xlsx", "提出用/")
        [w.path for w in res.files]
    """
    from xltools.output import fill as filling

    kw: dict[str, Any] = {"mark": mark, "mappings": mappings, "progress": progress}
    if name_pattern:
        kw["name_pattern"] = name_pattern
    answers_list = _as_list(answers)
    return filling.fill(template, answers_list if len(answers_list) > 1 else answers_list[0],
                        out, **kw)


def fill_example(out: PathLike, *, edition: str = "R8", variant: str = "vendor",
                 form: str = "checklist", mappings: str | None = None) -> Path:
    """Write a ready-to-edit answers workbook for :func:`fill`.

    Example::

        xltools.api.fill_example("回答.xlsx", edition="R8", variant="vendor")
    """
    from xltools.output.fill import write_example

    return Path(write_example(out, edition, variant, mappings, form=form))


def inspect(path: PathLike, *, mappings: str | None = None,
            passwords: list[str] | None = None) -> str:
    """What xltools reads in one file, cell by cell, as text (``xltools inspect`` prints it).

    Example::

        print(xltools.inspect("提出/さくら病院.xlsx"))
    """
    from xltools.output.inspect import render, render_marks

    text = render(read(path, mappings=mappings, passwords=passwords), os.fspath(path))
    marks = render_marks(os.fspath(path))
    return f"{text}\n{marks}" if marks else text


def learn(sources: Iterable[Any], **options: Any) -> Any:
    """Learn a new edition from the official blank workbook (see :func:`xltools.forms.learn.learn`).

    Example::

        learned = xltools.learn(["令和9年度版.xlsx"], edition="R9")
        Path("my_mappings/checklist/R9.yaml").write_text(learned.yaml, encoding="utf-8")
    """
    from xltools.forms.learn import learn as learn_edition

    return learn_edition(_as_list(sources), **options)


__all__ = ["Result", "FileRows", "Consolidated", "read", "read_many", "consolidate", "fill",
           "fill_example", "inspect", "learn", "expand_inputs", "read_file"]
