"""Options several commands share, declared once, and the ``status`` command.

* :func:`mappings_option`: ``--mappings`` (or ``$XLTOOLS_MAPPINGS``), every command that reads
  forms or writes them;
* :func:`password_options`: ``--password`` (repeatable) and ``--passwords FILE``, every command
  that opens returned or official workbooks (normalize, consolidate, inspect, learn, fill);
* :func:`read_options`: the batch of files (``--jobs``, ``--scheduler``, ``--store/--no-store``,
  ``--time-limit``, ``--quiet``) for normalize and consolidate;
* :func:`fail_on_option`.

Each decorator hands the command one value (``passwords``: a list; ``reading``: a
:class:`Reading`) whose fields are the library's keyword names, so a command body is one call
``api.task(inputs, ..., **reading.keywords())``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from xltools.cli.base import (
    EXIT_PROBLEMS,
    Choice,
    Count,
    PathType,
    Seconds,
    command,
    fail,
    note,
    option,
)

SEVERITIES = ("info", "warning", "error")


def mappings_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return option("--mappings", type=PathType(exists=True, kind="dir"), envvar="XLTOOLS_MAPPINGS",
                  metavar="フォルダ",
                  help="追加・修正したマッピング（様式の定義 YAML）のフォルダ。同じ版の同梱定義より"
                       "優先します。")(f)


def fail_on_option(default: str = "never") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return option("--fail-on", "fail_on", type=Choice(["never", *SEVERITIES]), default=default,
                  show_default=True,
                  help="この重さ以上の問題があれば終了コード 1（never: 問わない）。")


def exit_for(problems: Any, fail_on: str) -> int:
    """1 when any problem is at least ``fail_on`` severe, else 0."""
    from xltools.problems import SEVERITY_RANK

    if fail_on == "never" or problems is None or len(problems) == 0:
        return 0
    worst = max(SEVERITY_RANK.get(s, 0) for s in problems["severity"])
    return EXIT_PROBLEMS if worst >= SEVERITY_RANK[fail_on] else 0


def read_passwords(path: str | Path) -> list[str]:
    """One password a line (UTF-8, BOM allowed); line ends are stripped, spaces are kept."""
    text = Path(path).read_text(encoding="utf-8-sig")
    return [line.rstrip("\r\n") for line in text.splitlines() if line.rstrip("\r\n")]


def password_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--password`` / ``--passwords FILE`` -> one ``passwords`` list for the command."""

    @functools.wraps(f)
    def wrapper(*args: Any, password: tuple[str, ...] = (), passwords_file: str | None = None,
                **kw: Any) -> Any:
        got = list(password)
        if passwords_file:
            try:
                got += read_passwords(passwords_file)
            except (OSError, UnicodeDecodeError) as exc:
                fail(f"パスワードファイル {passwords_file} を読めません（{exc}）。UTF-8 で1行に1つ"
                     "書いたファイルを指定してください。")
        return f(*args, passwords=got, **kw)

    wrapper = option("--passwords", "passwords_file", type=PathType(exists=True, kind="file"),
                     metavar="ファイル",
                     help="パスワードを1行に1つ書いたファイル（--password の後に順に試します）。")(wrapper)
    return option("--password", "password", multiple=True, metavar="パスワード",
                  help="パスワード付きファイルを開くパスワード（繰り返し指定可、順に試します）。"
                  )(wrapper)


@dataclass
class Reading:
    """How a batch of files is read: the keywords of :func:`xltools.api.read_many`."""

    jobs: int | None = None
    scheduler: str | None = None
    store: bool = True
    time_limit: float | None = 60.0
    quiet: bool = False
    passwords: list[str] = field(default_factory=list)
    mappings: str | None = None

    progress: Any = None

    def keywords(self) -> dict[str, Any]:
        """The library keywords (``progress`` a terminal bar unless quiet)."""
        from xltools.batch.progress import Reporter

        if self.progress is None:
            self.progress = Reporter.for_terminal(quiet=self.quiet)
        return {"jobs": self.jobs, "scheduler": self.scheduler, "store": self.store,
                "time_limit": self.time_limit or None, "passwords": self.passwords,
                "mappings": self.mappings, "progress": self.progress}

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)

    def finish(self, result: Any) -> None:
        """After the batch: end the bar, print the run's summary (unless quiet), and a note
        when it could not run in parallel (never silently slower)."""
        if self.progress is not None:
            self.progress.close(result)
        stats = getattr(result, "stats", None) or {}
        if stats.get("fallback"):
            note("並列に読むプロセスを起動できなかったため、1 プロセスで読みました"
                 f"（{stats['fallback']}）。")
        elif self.jobs and stats.get("files") and self.jobs > stats["files"] \
                and not self.scheduler:
            note(f"ファイルが {stats['files']} 件のため、--jobs {self.jobs} ではなく "
                 f"{stats.get('jobs', stats['files'])} プロセスで読みました。")


def _jobs(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """``--jobs`` above the CPU count is capped with a note (more only compete for them).

    Workers start booting here, while the rest of the command is still being set up: see
    :func:`xltools.batch.boot.prestart`."""
    from xltools.batch.boot import cpu_count, prestart

    if not _one_file(ctx.params.get("inputs")):  # one file is read in this process anyway
        prestart(value)
    cpus = cpu_count()
    if value is not None and value > cpus:
        note(f"--jobs {value} は CPU の数 {cpus} に合わせます。")
        return cpus
    return value


def _one_file(inputs: Any) -> bool:
    """Whether the inputs (when click has them already) are a single file."""
    return bool(inputs) and len(inputs) == 1 and os.path.isfile(inputs[0])


def read_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The batch options, plus ``--mappings`` and the passwords, as one ``reading`` value."""

    @functools.wraps(f)
    def wrapper(*args: Any, jobs: int | None, scheduler: str | None, store: bool,
                time_limit: float, quiet: bool, passwords: list[str], mappings: str | None,
                **kw: Any) -> Any:
        reading = Reading(jobs=jobs, scheduler=scheduler, store=store, time_limit=time_limit,
                          quiet=quiet, passwords=passwords, mappings=mappings)
        return f(*args, reading=reading, **kw)

    decorators = [
        option("--jobs", "-j", type=Count(1), default=None, callback=_jobs, metavar="N",
               help="並列に読むプロセスの数（既定: CPU の数。CPU の数とファイルの数を超えません。"
                    "1 ならこのプロセスだけで読みます）。"),
        option("--scheduler", envvar="XLTOOLS_SCHEDULER", default=None, metavar="アドレス",
               help="dask.distributed のクラスタで読みます（例: tcp://host:8786）。"),
        option("--store/--no-store", default=True,
               help="読んだ結果を利用者のキャッシュフォルダに保存し、次回は新しいファイルと変わった"
                    "ファイルだけを読みます（既定: 保存する。xltools status で確認）。"),
        option("--time-limit", type=Seconds(), default=60.0, show_default=True, metavar="秒",
               help="1ファイルにかける時間の上限。超えたら問題として記録して次へ進みます（0: 無制限）。"),
        option("--quiet", "-q", is_flag=True,
               help="進み具合と要約を表示しません（エラーは表示します）。"),
        mappings_option,
        password_options,
    ]
    for decorate in reversed(decorators):
        wrapper = decorate(wrapper)
    return wrapper


@command("status")
@option("--store", "store", type=PathType(exists=False), metavar="パス", default=None,
        help="出力（フォルダか集計ブック）か、ストアのファイル。省略するとキャッシュにある"
             "ストアの一覧を表示します。")
def status_command(store: str | None) -> None:
    """読み取り結果のストア（前回読んだファイルの記録）の中身を表示します。

    ファイル数・様式の数・実行回数・マッピングの版と、最後の実行の内訳を表示します。

    \b
    例:
        xltools status --store 結果/
        xltools status --store 集計.xlsx
        xltools status
    """
    from xltools import api

    for line in api.status(store):
        click.echo(line)


__all__ = ["mappings_option", "password_options", "read_options", "fail_on_option", "exit_for",
           "Reading", "read_passwords", "status_command"]
