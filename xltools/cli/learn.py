"""The ``xltools learn`` command (registered in :mod:`xltools.cli` by the lead).

Thin: options -> one library call (:func:`xltools.learn.learn` or :func:`xltools.learn.check`)
-> write and print -> exit code. Exit codes: 0 learned with nothing left to decide (or, with
``--check``, the mapping reads the workbook completely); 1 uncertain items (or incomplete);
2 usage (an option the workbook cannot supply is missing); 3 could not run (unreadable workbook,
no item table, bad mapping, unwritable output).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

VARIANT_CHOICES = ("hospital", "pharmacy", "vendor", "joint")


class _Abort(click.ClickException):
    """One ``Error:`` line and a given exit code, never a traceback."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


@click.command("learn")
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--form", default="checklist", show_default=True, type=click.Choice(["checklist"]),
              help="Which form the workbook is.")
@click.option("--edition", help="Edition name, e.g. R9 (default: the title's 令和N年度版).")
@click.option("--fiscal-year", "fiscal_year", type=int,
              help="Fiscal year of the edition (default: 2018+N for RN).")
@click.option("--variant", type=click.Choice(VARIANT_CHOICES),
              help="Variant of every sheet, when the sheets print no 確認用 label.")
@click.option("--base", help="Edition to compare with (default: the newest older one).")
@click.option("--out", "-o", type=click.Path(dir_okay=False),
              help="Mapping file to write, e.g. my_mappings/checklist/R9.yaml (default: stdout).")
@click.option("--accept-uncertain", "accept_uncertain", is_flag=True,
              help="Keep the closest known id for uncertain items and exit 0.")
@click.option("--check", "check_mapping", type=click.Path(exists=True, dir_okay=False),
              help="Instead of learning: does this mapping read the workbook completely?")
@click.option("--mappings", type=click.Path(file_okay=False), envvar="XLTOOLS_MAPPINGS",
              help="Extra mappings folder (its editions count as known).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def learn_command(workbooks: tuple[str, ...], form: str, edition: str | None,
                  fiscal_year: int | None, variant: str | None, base: str | None,
                  out: str | None, accept_uncertain: bool, check_mapping: str | None,
                  mappings: str | None, as_json: bool) -> None:
    """Learn a form edition from its blank workbook and write its mapping file.

    Finds the item table by its header labels, matches every printed item to the known
    items by text, proposes ids for new items and lists removed ones. Uncertain matches
    are reported and make the exit code 1 until accepted (--accept-uncertain) or fixed.
    Put the file in a folder given with --mappings (or XLTOOLS_MAPPINGS) to use it.

    With --check MAPPING, reads the workbook with that mapping as the reader would and
    reports, per variant, missing, duplicate and extra rows (exit 1 when incomplete).

    Example:

    \b
        xltools learn 令和9年度版_チェックリスト.xlsx --edition R9 \\
            --out my_mappings/checklist/R9.yaml
        xltools normalize returned/ --mappings my_mappings --out out/
        xltools learn --check my_mappings/checklist/R9.yaml 令和9年度版_チェックリスト.xlsx
    """
    from xltools.forms.catalogue import MappingError
    from xltools.forms.learn import LearnError, OptionNeeded, check, learn

    if as_json and not out and not check_mapping:
        raise click.UsageError("--json prints the report on stdout: give --out for the mapping file")
    try:
        if check_mapping:
            report = check(check_mapping, list(workbooks), variant=variant, mappings=mappings)
        else:
            learned = learn(list(workbooks), form=form, edition=edition or "",
                            fiscal_year=fiscal_year, variant=variant, base=base,
                            mappings=mappings, accept_uncertain=accept_uncertain)
    except OptionNeeded as exc:
        raise _Abort(str(exc), 2) from exc
    except (LearnError, MappingError) as exc:
        raise _Abort(str(exc), 3) from exc
    if check_mapping:
        if as_json:
            click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        else:
            click.echo("\n".join(report.report_lines()))
        sys.exit(0 if report.complete else 1)
    if out:
        try:
            path = learned.write(out)
        except OSError as exc:
            raise _Abort(f"cannot write {out}: {exc.strerror or exc}", 3) from exc
        click.echo(json.dumps(learned.to_dict(), ensure_ascii=False, indent=1) if as_json
                   else str(path))
    else:
        click.echo(learned.text, nl=False)
    if not as_json:
        click.echo("\n".join(learned.report_lines()), err=True)
    sys.exit(0 if learned.ok else 1)


def format_forms(rows: list[dict[str, Any]]) -> list[str]:
    """Lines for ``xltools forms`` from :func:`xltools.learn.describe_forms`: where each
    mapping comes from (bundled or the user's folder) and how many items are still learned."""
    out = [f"{'form':<10} {'edition':<8} {'FY':<5} {'variants':<28} {'items':>5}  {'origin':<8} source"]
    for r in rows:
        learned = f" ({r['learned']} learned)" if r.get("learned") else ""
        out.append(f"{r['form']:<10} {r['edition']:<8} {r['fiscal_year']:<5} {r['variants']:<28} "
                   f"{r['items']:>5}  {r['origin']:<8} {r['source']}{learned}")
    return out


__all__ = ["learn_command", "format_forms"]
