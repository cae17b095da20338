"""The three tasks of the page, each a few library calls from :mod:`xltools.api`.

集計 reads the uploads with the batch runner (``api.read_many``: worker processes, a store in
the job folder, the time limit, progress), puts the user's file names in place of the stored
ones (:func:`xltools.web.adapter.relabel`) and hands the frames to ``api.consolidate``, which
writes 集計.xlsx and the letters exactly as ``xltools consolidate`` does. 一括記入 is
``api.fill``; 確認 is ``api.inspect``. Errors a user can act on (a bad roster, a bad answers
sheet) become the job's message; passwords stay in the closure and are never stored on the job.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from xltools.web import adapter
from xltools.web.jobs import Download, Job
from xltools.web.uploads import Inbox

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"
TIME_LIMIT = 60.0  # seconds per file, as the command line


@dataclass
class ConsolidateOptions:
    as_of: str | None = None
    group_by: str | None = None
    passwords: list[str] = field(default_factory=list, repr=False)


def user_message(exc: Exception, names: dict[str, str]) -> str | None:
    """The one Japanese sentence of an error the user can act on, in the user's names."""
    from xltools.errors import XltoolsError

    if isinstance(exc, (XltoolsError, ValueError)) and str(exc).strip():
        return adapter.rename_text(str(getattr(exc, "message", exc)), names)
    return None


def check_consolidate_options(inbox: Inbox, opts: ConsolidateOptions) -> None:
    """Roster, 基準日 and group-by checked before any file is read (one library call on
    nothing), so a typo is reported at once, not after reading a thousand files."""
    from xltools import api

    roster = inbox.of("roster")
    api.consolidate([], result=api.read_many([], jobs=1), roster=roster[0].path if roster else None,
                    as_of=opts.as_of, group_by=opts.group_by)


def consolidate_work(inbox: Inbox, opts: ConsolidateOptions) -> Callable[[Job], None]:
    def work(job: Job) -> None:
        from xltools import api

        names = inbox.names()
        inputs = sorted(inbox.of("files"), key=lambda u: PurePosixPath(u.name).parts)
        roster = inbox.of("roster")
        job.progress(0, len(inputs), "ファイルを読んでいます")
        try:
            result = api.read_many([str(u.path) for u in inputs], passwords=opts.passwords,
                                   jobs=None, store=job.folder / "xltools-store.sqlite",
                                   time_limit=TIME_LIMIT,
                                   progress=lambda t: job.progress(t.done, t.total))
            job.progress(len(inputs), len(inputs), "集計ブックを作っています")
            out = job.folder / "out"
            out.mkdir(mode=0o700)
            cons = api.consolidate([], result=adapter.relabel(result, names), out=out / "集計.xlsx",
                                   roster=roster[0].path if roster else None, as_of=opts.as_of,
                                   group_by=opts.group_by, feedback=out / "返送用")
        except Exception as exc:
            message = user_message(exc, names)
            if message is None:
                raise
            job.error = message
            return
        job.downloads["workbook"] = Download(Path(cons.workbook), "集計.xlsx", "集計.xlsx", XLSX)
        if cons.letters:
            job.downloads["letters"] = Download(
                zip_files(cons.letters, out / "返送用.zip"), "返送用.zip",
                f"施設ごとの返送用（{len(cons.letters)} 件・zip）", ZIP)
        job.view = consolidate_view(cons, len(inputs))

    return work


def consolidate_view(cons: Any, n_files: int) -> dict[str, Any]:
    tables = [adapter.missing_table(cons), adapter.problem_table(cons),
              adapter.finding_table(cons), adapter.notes_table(cons)]
    extra = adapter.table_finding_table(cons)
    if extra is not None:
        tables.append(extra)
    return {"numbers": adapter.overview_numbers(cons),
            "tables": tables, "files": n_files, "as_of": cons.as_of}


def zip_files(paths: list[Path], target: Path) -> Path:
    """A .zip of the files (flat, their own names; UTF-8 names flagged for Windows)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(paths):
            zf.write(p, arcname=Path(p).name)
    return target


# --------------------------------------------------------------------------------------------
# 一括記入 and 確認


def fill_work(inbox: Inbox, mark: str) -> Callable[[Job], None]:
    def work(job: Job) -> None:
        from xltools import api

        names = inbox.names()
        template, answers = inbox.of("template")[0], inbox.of("answers")
        job.progress(0, 0, "記入しています")
        out = job.folder / "out" / "提出用"
        try:
            res = api.fill(template.path, [a.path for a in answers], out, mark=mark,
                           progress=lambda _name: job.progress(job.done + 1, 0))
        except Exception as exc:
            problems = getattr(exc, "problems", None)
            if problems:
                job.error = adapter.rename_text(str(getattr(exc, "headline", "") or
                                                    "記入できませんでした"), names)
                job.errors = [adapter.rename_text(p.line(), names) for p in problems]
                return
            message = user_message(exc, names)
            if message is None:
                raise
            job.error = message
            return
        if res.summary:
            adapter.rename_in_workbook(res.summary, names)
        files = [w.path for w in res.files] + ([res.summary] if res.summary else [])
        job.downloads["filled"] = Download(zip_files(files, out.parent / "提出用.zip"),
                                           "提出用.zip", f"記入済みの様式と一覧（{len(res.files)} 施設・zip）",
                                           ZIP)
        job.view = {
            "filled": [{"facility": w.facility.facility_name, "system": w.facility.system_name,
                        "file": Path(w.path).name, "differences": len(w.differences),
                        "unanswered": w.unanswered} for w in res.files],
            "warnings": [adapter.rename_text(p.line(), names) for p in res.warnings],
            "template": template.name,
        }

    return work


def inspect_work(inbox: Inbox, passwords: list[str]) -> Callable[[Job], None]:
    def work(job: Job) -> None:
        from xltools import api

        up = inbox.of("file")[0]
        job.progress(0, 1, "読んでいます")
        text = api.inspect(up.path, passwords=passwords)
        job.progress(1, 1)
        job.view = {"name": up.name, "text": adapter.rename_text(text, inbox.names())}

    return work


__all__ = ["ConsolidateOptions", "check_consolidate_options", "consolidate_work", "fill_work",
           "inspect_work", "zip_files"]
