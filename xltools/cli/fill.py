"""``xltools fill``: the official form filled for every client facility (thin over
:func:`xltools.fill.fill` and :func:`xltools.fill.write_example`)."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

EXIT_USAGE, EXIT_CANNOT_RUN = 2, 3


@click.command("fill")
@click.argument("template", required=False, type=click.Path(dir_okay=False))
@click.argument("answers", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False),
              help="Folder for the filled workbooks and 提出用一覧.xlsx.")
@click.option("--name-pattern", default="{facility}_{system}_{label}.xlsx", show_default=True,
              help="Output file name; fields: {facility} {system} {code} {vendor} {respondent} "
                   "{label} {row}.")
@click.option("--mark", type=click.Choice(["word", "circle"]), default="word", show_default=True,
              help="Printed はい・いいえ cells: keep the chosen word, or circle it.")
@click.option("--example", type=click.Path(dir_okay=False),
              help="Write a ready-to-edit answers workbook here instead of filling.")
@click.option("--form", type=click.Choice(["checklist", "contract"]), default="checklist",
              show_default=True, help="Form for --example (the template decides when filling).")
@click.option("--edition", default="R8", show_default=True, help="Edition for --example (R5..R8).")
@click.option("--variant", type=click.Choice(["hospital", "pharmacy", "vendor"]), default="vendor",
              show_default=True, help="Variant for --example.")
@click.option("--mappings", type=click.Path(file_okay=False), envvar="XLTOOLS_MAPPINGS",
              help="Extra mappings folder (overrides bundled forms of the same edition).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def fill_command(template: str | None, answers: tuple[str, ...], out_dir: str | None,
                 name_pattern: str, mark: str, example: str | None, form: str, edition: str,
                 variant: str,
                 mappings: str | None, quiet: bool) -> None:
    """Fill the official checklist (or contract role table) for every facility.

    ANSWERS is the workbook made with --example (既定回答 + 施設一覧), or CSV files
    (UTF-8, UTF-8 with BOM or Shift_JIS) holding those tables. Writes one workbook per
    facility and 提出用一覧.xlsx into --out. Exit codes: 0 written; 2 bad answers or usage
    (nothing written); 3 unusable template or output folder (nothing written).

    \b
    Example:
        xltools fill --example 回答.xlsx --edition R8 --variant vendor
        xltools fill R8_事業者確認用.xlsx 回答.xlsx --out 提出用/
        xltools fill R6_事業者確認用.xlsx 回答.xlsx --out 提出用/ --mark circle
        xltools fill --example 契約回答.xlsx --form contract
    """
    from xltools.forms.catalogue import MappingError
    from xltools.output.fill import FillError, fill, write_example

    if example:
        if template or answers:
            raise click.UsageError("--example takes no TEMPLATE/ANSWERS; it writes a new answers workbook.")
        try:
            path = write_example(example, edition, variant, mappings, form=form)
        except (ValueError, MappingError) as exc:
            raise click.UsageError(str(exc)) from exc
        except OSError as exc:
            _fail(f"書き込めません: {exc}", EXIT_CANNOT_RUN)
        click.echo(str(path))
        return
    if not template or not answers or not out_dir:
        raise click.UsageError("TEMPLATE, ANSWERS and --out are required (or use --example).")
    progress = None if quiet else (lambda name: click.echo(f"  {name}", err=True))
    try:
        result = fill(template, answers, out_dir, name_pattern=name_pattern, mark=mark,
                      mappings=mappings, progress=progress)
    except FillError as exc:
        _fail(exc.message, exc.exit_code)
    except MappingError as exc:
        _fail(f"マッピングを読めません: {exc}", EXIT_CANNOT_RUN)
    for w in result.files:
        click.echo(str(w.path))
    click.echo(str(result.summary))
    for p in result.warnings:
        click.echo(f"注意: {p.line()}", err=True)
    if not quiet:
        t = result.template
        click.echo(f"{len(result.files)} 施設を記入しました（{t.mapping.era}版 {t.label}、"
                   f"既定と異なる施設 {sum(1 for w in result.files if w.differences)}）", err=True)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


__all__ = ["fill_command"]
