"""Command line: thin click commands, each shaping options into one library call.

stdout carries data, stderr carries progress and messages. Exit codes: 0 clean; 1 problems at
or above ``--fail-on``; 2 usage error; 3 could not run (bad mapping, unwritable output).
Heavy imports (pandas, the readers) happen inside command bodies so ``xltools --help`` is fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

EXIT_PROBLEMS, EXIT_USAGE, EXIT_CANNOT_RUN = 1, 2, 3
SEVERITIES = ("info", "warning", "error")


class CannotRun(click.ClickException):
    """Bad mapping, unwritable output: one line, exit code 3."""

    exit_code = EXIT_CANNOT_RUN


def mappings_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--mappings", type=click.Path(file_okay=False), envvar="XLTOOLS_MAPPINGS",
                        help="Extra mappings folder (overrides bundled forms of the same edition).")(f)


def fail_on_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--fail-on", type=click.Choice(["never", *SEVERITIES]), default="never",
                        show_default=True,
                        help="Exit 1 when any problem has at least this severity.")(f)


def _batch_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--jobs/--store/--password… when the batch runner is installed, else --password only."""
    try:
        from xltools.cli.options import batch_options
    except ImportError:
        f = click.option("--password", "passwords", multiple=True,
                         help="Password for protected files (repeatable).")(f)
        return click.option("--quiet", "-q", is_flag=True, help="No progress output.")(f)
    return batch_options(f)


def exit_for(problems: Any, fail_on: str) -> int:
    if fail_on == "never" or problems is None or len(problems) == 0:
        return 0
    from xltools.problems import SEVERITY_RANK

    limit = SEVERITY_RANK[fail_on]
    worst = max(SEVERITY_RANK.get(s, 0) for s in problems["severity"])
    return EXIT_PROBLEMS if worst >= limit else 0


def load_catalogue_or_fail(mappings: str | None) -> Any:
    from xltools.forms.catalogue import MappingError, load_catalogue

    try:
        return load_catalogue(mappings)
    except MappingError as exc:
        raise CannotRun(f"マッピングを読めません: {exc}") from exc


def read_inputs(inputs: tuple[str, ...], mappings: str | None, **batch: Any) -> Any:
    """One library call for every command that reads submissions.

    The batch runner (parallel, store, progress) is used when installed; options it does not
    take are left out, so the command line and the library can grow independently.
    """
    import inspect

    load_catalogue_or_fail(mappings)
    batch["passwords"] = list(batch.get("passwords") or ())
    try:
        from xltools.batch.runner import run
    except ImportError:
        from xltools.api import read_many

        return read_many(inputs, mappings=mappings, passwords=batch["passwords"])
    if "progress" not in batch and not batch.get("quiet"):
        batch["progress"] = _progress_for_terminal()
    accepted = inspect.signature(run).parameters
    return run(inputs, mappings=mappings, **{k: v for k, v in batch.items() if k in accepted})


def _progress_for_terminal() -> Any:
    try:
        from xltools.batch.progress import terminal_progress
    except ImportError:
        return None
    return terminal_progress()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xltools")
def cli() -> None:
    """Read, check and consolidate the healthcare-cybersecurity Excel forms.

    \b
    Example:
        xltools normalize 受領フォルダ/ --out 結果/
        xltools consolidate 受領フォルダ/ --out 集計.xlsx
    """


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False),
              help="Folder for submissions/answers/problems (.csv and .parquet).")
@click.option("--format", "formats", default="csv,parquet", show_default=True,
              help="Comma-separated: csv, parquet.")
@mappings_option
@fail_on_option
@_batch_options
def normalize(inputs: tuple[str, ...], out: str, formats: str, mappings: str | None,
              fail_on: str, **batch: Any) -> None:
    """Read returned forms (files or folders) into three tidy tables.

    Writes submissions, answers and problems as CSV (UTF-8 with BOM) and Parquet.

    \b
    Example:
        xltools normalize workbooks/samples --out out/
    """
    from xltools.output.write import write_tables

    result = read_inputs(inputs, mappings, **batch)
    try:
        files = write_tables(result, out, tuple(f.strip() for f in formats.split(",") if f.strip()))
    except OSError as exc:
        raise CannotRun(f"出力先に書き込めません: {exc}") from exc
    for f in files:
        click.echo(str(f))
    if not batch.get("quiet"):
        click.echo(_summary(result), err=True)
    sys.exit(exit_for(result.problems, fail_on))


def _summary(result: Any) -> str:
    """The batch's one-line summary (files, forms, problems, time) when the batch runner made
    ``result``; a count of the three tables otherwise."""
    if getattr(result, "stats", None):
        from xltools.batch.progress import summary_line

        return summary_line(result)
    subs, answers, problems = result.submissions, result.answers, result.problems
    files = subs["path"].nunique() if len(subs) else 0
    sev = problems["severity"].value_counts().to_dict() if len(problems) else {}
    return (f"様式 {len(subs)} 件（{files} ファイル）、回答 {len(answers)} 行、問題 "
            f"{len(problems)} 件（エラー {sev.get('error', 0)}・警告 {sev.get('warning', 0)}・"
            f"情報 {sev.get('info', 0)}）")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@mappings_option
@click.option("--password", "passwords", multiple=True, help="Password for a protected file.")
@click.option("--json", "as_json", is_flag=True, help="Print the three tables as JSON instead.")
def inspect(file: str, mappings: str | None, passwords: tuple[str, ...], as_json: bool) -> None:
    """Show what xltools reads in one file: form, fields, answers, problems.

    \b
    Example:
        xltools inspect workbooks/samples/01_R6_hospital_typed.xlsx
    """
    from xltools.api import read
    from xltools.output.inspect import render, render_json, render_marks

    load_catalogue_or_fail(mappings)
    result = read(file, mappings=mappings, passwords=list(passwords))
    if as_json:
        click.echo(render_json(result))
        return
    click.echo(render(result, file))
    marks = render_marks(file)
    if marks:
        click.echo(marks)


@cli.command()
@mappings_option
def forms(mappings: str | None) -> None:
    """List the forms and editions xltools knows, and where each mapping comes from.

    The checklist editions first, then the contract role table and the BCP table; "verified"
    counts the catalogued items whose existence was seen in a public copy.

    \b
    Example:
        xltools forms
        xltools forms --mappings my_mappings/
    """
    from xltools.forms.catalogue import MappingError
    from xltools.forms.table_catalogue import describe_tables

    cat = load_catalogue_or_fail(mappings)
    try:
        tables = describe_tables(mappings)
    except MappingError as exc:
        raise CannotRun(f"マッピングを読めません: {exc}") from exc
    rows = [(m.form, m.edition, ",".join(m.variants), len(m.items),
             sum(it.status == "verified" for it in m.items),
             next((v.title for v in m.variants.values() if v.title), ""), m.source)
            for m in sorted(cat.forms, key=lambda m: (m.form, m.edition))]
    rows += [(t["form"], t["edition"], t["variant"], t["items"], t["verified"], t["title"],
              t["source"]) for t in tables]
    click.echo(f"{'form':<10} {'edition':<8} {'variants':<25} {'items':>5} {'verified':>8}  "
               "title  source")
    for form, edition, variants, items, verified, title, source in rows:
        click.echo(f"{form:<10} {edition:<8} {variants:<25} {items:>5} {verified:>8}  "
                   f"{title}  {source}")


@cli.command()
@click.argument("form", type=click.Choice(["checklist", "contract", "bcp"]))
@click.option("--edition", default="R8", show_default=True, help="Checklist edition (R5..R8).")
@click.option("--variant", default="hospital", show_default=True,
              type=click.Choice(["hospital", "pharmacy", "vendor"]))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="Workbook to write (.xlsx).")
@mappings_option
def template(form: str, edition: str, variant: str, out: str, mappings: str | None) -> None:
    """Write a blank form generated from the mappings.

    \b
    Example:
        xltools template checklist --edition R7 --variant vendor -o R7_事業者確認用.xlsx
    """
    load_catalogue_or_fail(mappings)
    try:
        if form == "checklist":
            from xltools.output.templates import write_template

            path = write_template(out, "checklist", edition, variant, mappings)
        else:
            from xltools.output import table_templates

            writer = getattr(table_templates, f"write_{form}_template")
            path = writer(out)
    except (ValueError, KeyError) as exc:
        raise click.UsageError(str(exc)) from exc
    except OSError as exc:
        raise CannotRun(f"書き込めません: {exc}") from exc
    click.echo(str(path))


def _register_commands() -> None:
    """Commands that live in their own modules (consolidate, fill, learn, status)."""
    from xltools.cli.consolidate import consolidate_command
    from xltools.cli.fill import fill_command
    from xltools.cli.learn import learn_command
    from xltools.cli.options import status_command
    from xltools.cli.serve import serve_command

    for cmd in (consolidate_command, fill_command, learn_command, status_command):
        cli.add_command(cmd)
    cli.add_command(serve_command)


_register_commands()


def main() -> None:
    cli(prog_name="xltools")


if __name__ == "__main__":
    main()


__all__ = ["cli", "main", "CannotRun", "Path"]
