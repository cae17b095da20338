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

from xltools.rows import FileRows, Result, to_result

if TYPE_CHECKING:
    from xltools.aggregate.core import Consolidation
    from xltools.pipeline import expand_inputs, read_file  # attributes of this module, lazily

PathLike = str | os.PathLike[str]
Inputs = PathLike | Iterable[PathLike]
#: ``store``: a path, ``True`` (the default store of ``out``, in the user's cache), or None
StoreArg = PathLike | bool | None


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
    from xltools.pipeline import read_file

    _check_inputs(path)
    return to_result([read_file(path, load_catalogue(mappings), passwords)])


def read_many(paths: Inputs, *, mappings: str | None = None,
              passwords: list[str] | None = None, jobs: int | None = 1,
              store: PathLike | None = None, time_limit: float | None = None,
              progress: Callable[..., None] | None = None, scheduler: Any = None) -> Result:
    """Read files and folders into the three tables, exactly as ``xltools normalize`` does
    (duplicates and superseded copies marked the same way). One bad file never stops the batch.

    ``jobs`` 1 reads in this process (the default, friendly to notebooks); ``None`` uses one
    worker per CPU. ``store``: an SQLite file that remembers files already read.

    Example::

        res = xltools.read_many("受領フォルダ/")
        res.answers.query("answer == 'no'")
    """
    from xltools.batch.runner import run

    _check_inputs(paths)
    return run(_as_list(paths), jobs=jobs, store=store, passwords=passwords, mappings=mappings,
               progress=progress, time_limit=time_limit, scheduler=scheduler)


def _check_inputs(inputs: Inputs) -> None:
    """A path that does not exist at all is a mistake in the command, not a bad file."""
    from xltools.errors import InputError

    missing = [p for p in _as_list(inputs) if not os.path.lexists(p)]
    if missing:
        raise InputError(f"{missing[0]} が見つかりません。パスを確認して再実行してください。")


def _store_for(store: StoreArg, out: PathLike | None) -> Any:
    """``store=True``: the output's own store in the user's local cache (opened here so it
    remembers which output it belongs to); a path: that file; None/False: no store."""
    if store is None or store is False:
        return None
    from xltools.batch.store import Store, location_for

    if store is True:
        if out is None:
            return None
        return Store(location_for(out), output=out)
    return store


def _read(inputs: Inputs, store: StoreArg, out: PathLike | None, **kw: Any) -> Result:
    from xltools.batch.runner import run

    _check_inputs(inputs)
    db = _store_for(store, out)
    try:
        return run(_as_list(inputs), store=db, **kw)
    finally:
        if db is not None and not isinstance(db, (str, os.PathLike)):
            db.close()


def normalize(inputs: Inputs, out: PathLike, *, formats: str | Iterable[str] = ("csv", "parquet"),
              mappings: str | None = None, passwords: list[str] | None = None,
              jobs: int | None = None, scheduler: Any = None, store: StoreArg = True,
              time_limit: float | None = 60.0,
              progress: Callable[..., None] | None = None) -> Normalized:
    """Read returned forms and write the three tables into the folder ``out`` (``formats``:
    csv, parquet, xlsx). Every file is replaced atomically. ``store=True`` keeps what was
    read in the user's cache, keyed by ``out``, so the next run reads only what changed.

    Example::

        done = xltools.api.normalize("受領フォルダ/", "結果/", formats="csv,xlsx")
        done.files, done.result.problems
    """
    from xltools.output.write import parse_formats, write_tables

    fmts = parse_formats(formats)  # a wrong format is refused before reading anything
    result = _read(inputs, store, out, mappings=mappings, passwords=passwords, jobs=jobs,
                   scheduler=scheduler, time_limit=time_limit, progress=progress)
    return Normalized(result=result, files=write_tables(result, out, fmts))


@dataclass
class Normalized:
    """What :func:`normalize` made: the tables and the files written."""

    result: Result
    files: list[Path] = field(default_factory=list)


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
                store: StoreArg = None, time_limit: float | None = 60.0,
                progress: Callable[..., None] | None = None,
                result: Result | None = None, scheduler: Any = None,
                include_notes: bool = False, due: str | dt.date | None = None) -> Consolidated:
    """Read returned forms, cross-check facilities against vendors, and write the consolidated
    workbook (``out``) and one letter per facility (``feedback`` folder).

    ``roster``: the facilities expected (CSV or xlsx); ``as_of``: the date target dates are
    judged against (``2026-04-01``, ``令和8年4月1日``, ``R8.4.1``, a ``date``; default today);
    ``group_by``: a facility column for the per-group sheet. ``result``: frames already read
    (skips reading ``inputs``). ``include_notes``, ``due``: what the letters hold (see
    :func:`xltools.output.report.write_feedback`). ``store``: True keeps what was read in the user's cache, keyed
    by ``out``. The workbook and every letter are written atomically: a run killed while
    writing leaves the previous files whole. Raises :class:`xltools.errors.XltoolsError` when
    it cannot run (before reading anything, when the options are wrong).

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
    if out is not None and Path(out).is_dir():
        from xltools.errors import UsageError

        raise UsageError(f"--out {out} はフォルダです。集計ブックのファイル名（例: 集計.xlsx）を"
                         "指定してください。")
    due_iso = parse_as_of(due) if due else None
    if result is None:
        from xltools.aggregate.roster import inputs_without_roster

        inputs = inputs_without_roster(_as_list(inputs), roster)  # the roster is not a form
        result = _read(inputs, store, out, jobs=jobs, passwords=passwords, mappings=mappings,
                       progress=progress, time_limit=time_limit, scheduler=scheduler)
    cons = build(result, roster=roster_df, as_of=as_of_iso, group_by=group_by,
                 catalogue=catalogue, rules=rules)
    done = Consolidated(consolidation=cons, result=result)
    if out is not None:
        done.workbook = _write_workbook(cons, out)
    if feedback is not None:
        done.letters = _write_letters(cons, feedback, include_notes=include_notes, due=due_iso)
    return done


def _write_workbook(cons: Consolidation, out: PathLike) -> Path:
    """The consolidated workbook, written beside ``out`` and renamed over it when whole."""
    from xltools.output.atomic import replacing
    from xltools.output.report import write_workbook

    with replacing(out) as tmp:
        write_workbook(cons, tmp)
    return Path(out)


def _write_letters(cons: Consolidation, folder: PathLike, **options: Any) -> list[Path]:
    """Every facility's letter, written into a hidden folder inside ``folder`` first and each
    renamed into place when all were written: a killed run leaves the previous letters whole."""
    import shutil
    import tempfile

    from xltools.errors import output_error
    from xltools.output.atomic import ensure_folder, move_into
    from xltools.output.report import write_feedback

    target = ensure_folder(folder)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".xltools-letters-", dir=target))
    except OSError as exc:
        raise output_error(target, exc) from exc
    try:
        try:
            staged = write_feedback(cons, staging, **options)
        except Exception as exc:
            from xltools.output.atomic import _os_error

            cause = _os_error(exc)
            if cause is None:
                raise
            raise output_error(target, cause) from exc
        return [move_into(p, target / p.name) for p in staged]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fill(template: PathLike, answers: PathLike | Iterable[PathLike], out: PathLike, *,
         name_pattern: str | None = None, mark: str = "word", mappings: str | None = None,
         progress: Callable[[str], None] | None = None,
         passwords: list[str] | None = None) -> Any:
    """Fill the official blank form once per facility listed in the answers workbook.

    Example::

        res = xltools.fill("R8_事業者確認用.xlsx", "回答.xlsx", "提出用/")
        [w.path for w in res.files]
    """
    from xltools.output import fill as filling

    _check_inputs([template, *_as_list(answers)])
    kw: dict[str, Any] = {"mark": mark, "mappings": mappings, "progress": progress,
                          "passwords": passwords}
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
    from xltools.output.atomic import replacing
    from xltools.output.fill import write_example

    _usage_from_value_error(lambda: _known_form(form, edition, variant, mappings))
    with replacing(out) as tmp:
        _usage_from_value_error(lambda: write_example(tmp, edition, variant, mappings, form=form))
    return Path(out)


def _known_form(form: str, edition: str, variant: str, mappings: str | None) -> None:
    """Refuse an edition or variant the catalogue does not have, in Japanese, before writing."""
    from xltools.errors import UsageError
    from xltools.forms.catalogue import load_catalogue

    if form != "checklist":
        return
    catalogue = load_catalogue(mappings)
    known = sorted({m.edition for m in catalogue.forms if m.form == "checklist"})
    if edition not in known:
        raise UsageError(f"チェックリストの版「{edition}」はありません。{', '.join(known)} の"
                         "どれかを指定してください（新しい版は xltools learn で取り込めます）。")
    variants = list(catalogue.get("checklist", edition).variants)
    if variant not in variants:
        raise UsageError(f"{edition} に様式「{variant}」はありません。{', '.join(variants)} の"
                         "どれかを指定してください。")


def _usage_from_value_error(call: Callable[[], Any]) -> Any:
    """The writers say ``ValueError`` for an impossible form/edition: a usage error here."""
    from xltools.errors import UsageError, XltoolsError

    try:
        return call()
    except XltoolsError:
        raise
    except (ValueError, KeyError) as exc:
        raise UsageError(f"指定の様式を作れません（{exc}）。xltools forms で使える様式と版を"
                         "確認してください。") from exc


def template(form: str, out: PathLike, *, edition: str = "R8", variant: str = "hospital",
             mappings: str | None = None) -> Path:
    """Write a blank form (``checklist`` of an edition and variant, ``contract``, ``bcp``).

    Example::

        xltools.api.template("checklist", "R8_事業者確認用.xlsx", edition="R8", variant="vendor")
    """
    from xltools.errors import UsageError
    from xltools.output.atomic import replacing

    if form not in ("checklist", "contract", "bcp"):
        raise UsageError(f"様式「{form}」はありません。checklist, contract, bcp のどれかを指定してください。")
    _known_form(form, edition, variant, mappings)
    with replacing(out) as tmp:
        if form == "checklist":
            from xltools.output.templates import write_template

            _usage_from_value_error(lambda: write_template(tmp, "checklist", edition, variant,
                                                           mappings))
        else:
            from xltools.output import table_templates

            getattr(table_templates, f"write_{form}_template")(tmp)
    return Path(out)


def forms(mappings: str | None = None) -> list[dict[str, Any]]:
    """Every form and edition xltools knows, one dict each: ``form, edition, variants, items,
    verified, title, source`` (checklist editions first, then the contract and BCP tables).

    Example::

        for f in xltools.api.forms(): print(f["form"], f["edition"], f["items"])
    """
    from xltools.forms.catalogue import load_catalogue
    from xltools.forms.table_catalogue import describe_tables

    cat = load_catalogue(mappings)
    rows = [{"form": m.form, "edition": m.edition, "variants": ",".join(m.variants),
             "items": len(m.items), "verified": sum(it.status == "verified" for it in m.items),
             "title": next((v.title for v in m.variants.values() if v.title), ""),
             "source": m.source}
            for m in sorted(cat.forms, key=lambda m: (m.form, m.edition))]
    rows += [{"form": t["form"], "edition": t["edition"], "variants": t["variant"],
              "items": t["items"], "verified": t["verified"], "title": t["title"],
              "source": t["source"]} for t in describe_tables(mappings)]
    return rows


def status(store: PathLike | None = None) -> list[str]:
    """What a store holds, as Japanese lines (``xltools status``). ``store``: an output
    (folder or workbook), a store file, or None for every store in the user's cache."""
    from xltools.batch.store import known_stores, open_existing

    if store is not None:
        with open_existing(store) as db:
            return db.summary().lines()
    found = known_stores()
    if not found:
        return ["ストアはまだありません（normalize か consolidate を --out 付きで実行すると作られます）。"]
    lines = []
    for path in found:
        with open_existing(path) as db:
            summary = db.summary()
            last = summary.last_run["started_at"] if summary.last_run else "—"
            lines.append(f"{db.output() or path}: ファイル {summary.files:,} 件・様式 "
                         f"{summary.submissions:,} 件・最終実行 {last}（{path}）")
    return lines


class Inspection(str):
    """The text :func:`inspect` returns, carrying the tables it was made from (``result``)."""

    result: Result


def inspect(path: PathLike, *, mappings: str | None = None,
            passwords: list[str] | None = None) -> Inspection:
    """What xltools reads in one file, cell by cell, as text (``xltools inspect`` prints it);
    ``.result`` holds the three tables.

    Example::

        print(xltools.inspect("提出/さくら病院.xlsx"))
    """
    from xltools.output.inspect import render, render_marks

    _check_inputs(path)
    result = read(path, mappings=mappings, passwords=passwords)
    text = render(result, os.fspath(path))
    marks = render_marks(os.fspath(path))
    out = Inspection(f"{text}\n{marks}" if marks else text)
    out.result = result
    return out


def learn(sources: Iterable[Any], *, out: PathLike | None = None, **options: Any) -> Any:
    """Learn a new edition from the official blank workbook (see :func:`xltools.forms.learn.learn`);
    with ``out``, write the mapping file there (atomically).

    Example::

        learned = xltools.learn(["令和9年度版.xlsx"], edition="R9", out="my_mappings/checklist/R9.yaml")
    """
    from xltools.forms.learn import learn as learn_edition

    _check_inputs(_as_list(sources))
    learned = learn_edition(_as_list(sources), **options)
    if out is not None:
        from xltools.output.atomic import write_text

        write_text(out, learned.text)
    return learned


def check_mapping(mapping: PathLike, sources: Iterable[Any], **options: Any) -> Any:
    """Does ``mapping`` read the blank workbooks completely (``xltools learn --check``)?

    Example::

        report = xltools.api.check_mapping("my_mappings/checklist/R9.yaml", ["令和9年度版.xlsx"])
        report.complete
    """
    from xltools.forms.learn import check

    _check_inputs([mapping, *_as_list(sources)])
    return check(mapping, _as_list(sources), **options)


def __getattr__(name: str) -> Any:
    """``read_file`` and ``expand_inputs`` from :mod:`xltools.pipeline`, imported on first use:
    a batch's gathering process (the CLI) never reads a file itself and starts without them."""
    if name in ("read_file", "expand_inputs"):
        from xltools import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Result", "FileRows", "Consolidated", "Normalized", "Inspection", "read", "read_many",
           "normalize", "consolidate", "fill", "fill_example", "template", "forms", "status",
           "inspect", "learn", "check_mapping", "expand_inputs", "read_file"]
