"""The ``xltools consolidate`` command (registered in :mod:`xltools.cli` by the lead).

Thin: options -> read the files -> one consolidation call -> write -> exit code.
Exit codes: 0 ok; 1 problems or findings at or above ``--fail-on``; 2 usage (bad option value,
unusable roster); 3 could not run (bad mapping or rules file, unwritable output).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from xltools.cli.options import batch_options

if TYPE_CHECKING:
    from xltools.aggregate.core import Consolidation

FAIL_ON = ("never", "info", "warning", "error")


class _Abort(click.ClickException):
    """An error that ends the command with a given exit code and one ``Error:`` line."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


@click.command("consolidate")
@click.argument("inputs", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Consolidated workbook to write (.xlsx).")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Facilities expected to submit (CSV or xlsx; 医療機関コード, 名称, 種別, 保健所, 法人).")
@click.option("--as-of", "as_of", help="Date target dates are judged against (default: today), e.g. 2025-10-01.")
@click.option("--group-by", "group_by",
              help="Add a per-group sheet by this column: group, area, kind, edition or a roster header.")
@click.option("--feedback", type=click.Path(file_okay=False, path_type=Path),
              help="Also write one feedback workbook per facility into this folder.")
@click.option("--notes", "include_notes", is_flag=True,
              help="Letters also list notes of severity 情報 (left out by default).")
@click.option("--due", help="Date the letters ask a missing checklist by, e.g. 2026-05-31.")
@click.option("--mappings", type=click.Path(exists=True, file_okay=False),
              help="Folder of extra or corrected mappings (and rules/*.yaml).")
@click.option("--fail-on", "fail_on", type=click.Choice(FAIL_ON), default="never", show_default=True,
              help="Exit 1 when a problem or mismatch is at least this severe.")
@batch_options
def consolidate_command(inputs: tuple[Path, ...], out: Path, roster: Path | None, as_of: str | None,
                        group_by: str | None, feedback: Path | None, include_notes: bool,
                        due: str | None, mappings: str | None, fail_on: str, **batch: Any) -> None:
    """Cross-check facilities against their vendors and write one consolidated workbook.

    INPUT: returned forms (xlsx/xlsm/xls/ods files or folders of them).

    Example:

    \b
        xltools consolidate returned/ --roster roster.csv --as-of 2025-10-01 \\
            --group-by area --out 集計.xlsx --feedback feedback/
    """
    from xlsxwriter.exceptions import FileCreateError

    from xltools.aggregate.core import ConsolidateError, consolidate, group_column, parse_as_of
    from xltools.aggregate.roster import RosterError, inputs_without_roster, load_roster
    from xltools.checks.rules import load_rules
    from xltools.cli import read_inputs
    from xltools.forms.catalogue import MappingError, load_catalogue
    from xltools.output.report import write_feedback, write_workbook
    from xltools.problems import SEVERITY_RANK

    quiet = bool(batch.get("quiet"))

    def say(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    try:
        catalogue = load_catalogue(mappings)
        rules = load_rules(mappings, known_items={it.id for m in catalogue.forms for it in m.items})
    except MappingError as exc:
        raise _Abort(f"{exc}\nFix the mapping or rules file, or leave out --mappings.", 3) from exc
    try:
        roster_df = load_roster(roster) if roster else None
        as_of = parse_as_of(as_of)
        due = parse_as_of(due) if due else None
        group_column(roster_df, group_by)
    except (RosterError, ConsolidateError) as exc:
        raise _Abort(str(exc), 2) from exc
    # the batch runner: parallel, the store beside the workbook, passwords, a progress bar on
    # a terminal (nothing when piped), the run's one-line summary
    result = read_inputs(tuple(inputs_without_roster(inputs, roster)), mappings, **batch)
    reporter = batch.get("progress")
    if reporter is not None and hasattr(reporter, "close"):
        reporter.close(result)
    try:
        cons = consolidate(result, roster=roster_df, as_of=as_of, group_by=group_by,
                           catalogue=catalogue, rules=rules)
    except ConsolidateError as exc:
        raise _Abort(str(exc), 2) from exc
    try:
        write_workbook(cons, out)
        written = (write_feedback(cons, feedback, include_notes=include_notes, due=due)
                   if feedback else [])
    except (OSError, FileCreateError) as exc:
        cause = exc.args[0] if isinstance(exc, FileCreateError) and exc.args else exc
        where = getattr(cause, "filename", None) or out
        raise _Abort(f"cannot write {where}: {getattr(cause, 'strerror', None) or cause}", 3) from exc
    say(_summary(cons, out, len(written)))
    worst = cons.worst_severity()
    if fail_on != "never" and worst and SEVERITY_RANK[worst] >= SEVERITY_RANK[fail_on]:
        sys.exit(1)


def _summary(cons: Consolidation, out: Path, n_feedback: int) -> str:
    from xltools.aggregate.core import overview

    ov = overview(cons)
    parts = [f"施設 {ov['expected']}", f"提出 {ov['submitted']}", f"未提出 {ov['missing']}",
             f"要対応 {ov['action']}", f"不一致 {ov['findings_action']}（参考情報 {ov['findings_notes']}）",
             f"期限超過 {ov['overdue_targets']}", f"要確認 {len(cons.problems)}"]
    n_tables = len(cons.tables.contract) + len(cons.tables.bcp)
    if n_tables:
        parts.append(f"確認表 {n_tables}（不一致 {len(cons.tables.findings)}）")
    tail = f"、施設別 {n_feedback} 件" if n_feedback else ""
    return f"{out} を書きました（{' / '.join(parts)}{tail}）。"
