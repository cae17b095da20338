"""Command-line pieces of the batch runner: shared options and the ``status`` command.

``batch_options`` is put on every command that reads submissions (``normalize``,
``consolidate``). It adds ``--jobs``, ``--scheduler``, ``--store/--no-store``, ``--password``,
``--passwords FILE`` and ``--quiet``, and shapes them into the keywords of
:func:`xltools.batch.run` before the command body sees them::

    jobs, scheduler, store (a path or None), passwords (list), progress (callback), quiet

so a command body stays one library call (``run(inputs, **batch)``). The store lives beside
the output: ``OUT/xltools-store.sqlite`` when ``--out`` is a folder, next to it when it is a
file. A batch that cannot run at all (dask missing, scheduler unreachable, store unwritable)
ends with one ``Error:`` line and exit code 3, never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

EXIT_CANNOT_RUN = 3


class CannotRun(click.ClickException):
    """The batch could not run (one line, exit code 3)."""

    exit_code = EXIT_CANNOT_RUN


def default_store_path(out: str | Path | None) -> Path | None:
    """Where the store goes for an output: inside an output folder, beside an output file."""
    from xltools.batch.store import DEFAULT_NAME

    if not out:
        return None
    p = Path(out)
    return (p.parent if p.suffix else p) / DEFAULT_NAME


def read_passwords(path: str | Path) -> list[str]:
    """One password a line (UTF-8, BOM allowed); line ends are stripped, spaces are kept."""
    text = Path(path).read_text(encoding="utf-8-sig")
    return [line.rstrip("\r\n") for line in text.splitlines() if line.rstrip("\r\n")]


def shape_batch_kwargs(kw: dict[str, Any], out: str | Path | None = None) -> dict[str, Any]:
    """Turn the raw option values into :func:`xltools.batch.run` keywords (in place)."""
    from xltools.batch.progress import Reporter

    passwords = list(kw.pop("passwords", ()) or ())
    file = kw.pop("passwords_file", None)
    if file:
        try:
            passwords += read_passwords(file)
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"パスワードファイル {file} を読めません（{exc}）。",
                                     param_hint="--passwords") from exc
    kw["passwords"] = passwords
    kw["store"] = default_store_path(out) if kw.pop("store", True) else None
    if kw.get("progress") is None:
        kw["progress"] = Reporter.for_terminal(quiet=bool(kw.get("quiet")))
    return kw


def batch_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add the batch options to a click command and shape them for :func:`batch.run`."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kw: Any) -> Any:
        from xltools.batch.runner import BatchError
        from xltools.batch.store import StoreError

        shape_batch_kwargs(kw, kw.get("out"))
        try:
            return f(*args, **kw)
        except (BatchError, StoreError) as exc:
            raise CannotRun(str(exc)) from exc

    options = [
        click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                     help="Worker processes (default: one per CPU; 1 reads in this process)."),
        click.option("--scheduler", envvar="XLTOOLS_SCHEDULER", default=None, metavar="ADDRESS",
                     help="Parse on a dask.distributed cluster (e.g. tcp://host:8786).  "
                          "[env: XLTOOLS_SCHEDULER]"),
        click.option("--store/--no-store", default=True, show_default=True,
                     help="Keep results in xltools-store.sqlite beside the output and reread "
                          "only new or changed files."),
        click.option("--password", "passwords", multiple=True, metavar="PASSWORD",
                     help="Password for protected files (repeatable; each is tried in order)."),
        click.option("--passwords", "passwords_file", type=click.Path(dir_okay=False),
                     metavar="FILE", help="File of passwords, one a line (tried after --password)."),
        click.option("--quiet", "-q", is_flag=True,
                     help="No progress bar and no summary on stderr."),
        click.option("--time-limit", type=click.FloatRange(min=0), default=60.0,
                     show_default=True, metavar="SECONDS",
                     help="Give up on a file after this long (a problem row; 0: no limit)."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


@click.command("status")
@click.option("--store", "store", type=click.Path(dir_okay=False), metavar="PATH",
              default=None, help="The store file (default: ./xltools-store.sqlite).")
def status_command(store: str | None) -> None:
    """Show what the incremental store holds: files, submissions, runs, mapping versions.

    \b
    Example:
        xltools status --store 結果/xltools-store.sqlite
    """
    from xltools.batch.store import DEFAULT_NAME, StoreError, open_existing

    try:
        with open_existing(store or DEFAULT_NAME) as db:
            lines = db.summary().lines()
    except StoreError as exc:
        raise CannotRun(str(exc)) from exc
    for line in lines:
        click.echo(line)
