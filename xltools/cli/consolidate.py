"""``xltools consolidate``: options -> :func:`xltools.api.consolidate` -> summary -> exit code.

Exit codes: 0 ok; 1 problems or findings at or above ``--fail-on``; 2 usage (bad option value,
unusable roster, unknown group column, wrong suffix); 3 could not run (bad mapping or rules
file, missing input, unwritable output).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from xltools.cli.base import PathType, command, option, require_suffix
from xltools.cli.options import Reading, fail_on_option, read_options


@command("consolidate")
@click.argument("inputs", nargs=-1, required=True, type=PathType(exists=True), metavar="入力...")
@option("--out", "-o", "out", required=True, type=PathType(kind="file"), metavar="ファイル",
        help="書き出す集計ブック（.xlsx）。前のブックは書き終えてから置き換えます。")
@option("--roster", type=PathType(exists=True, kind="file"), metavar="ファイル",
        help="提出を待つ施設の名簿（CSV か xlsx。医療機関コード・名称・種別・保健所・法人）。")
@option("--as-of", "as_of", metavar="日付",
        help="目標日を判定する基準日（既定: 今日）。例: 2026-04-01、令和8年4月1日、R8.4.1。")
@option("--group-by", "group_by", metavar="列",
        help="この列ごとの集計シートを加えます: group, area, kind, edition か名簿の見出し。")
@option("--feedback", type=PathType(kind="dir"), metavar="フォルダ",
        help="施設ごとの返送用ブックをこのフォルダにも書きます。")
@option("--notes", "include_notes", is_flag=True,
        help="返送用ブックに重さ「情報」の注記も載せます（既定: 載せない）。")
@option("--due", metavar="日付",
        help="未提出の施設への返送用ブックに書く提出期限。例: 2026-05-31、令和8年5月31日。")
@fail_on_option()
@read_options
def consolidate_command(inputs: tuple[str, ...], out: str, roster: str | None,
                        as_of: str | None, group_by: str | None, feedback: str | None,
                        include_notes: bool, due: str | None, fail_on: str,
                        reading: Reading) -> None:
    """医療機関と事業者の回答を突き合わせ、集計ブックを1つ書きます。

    入力は返ってきた様式（xlsx・xlsm・xls・ods のファイルかフォルダ）。概要・項目別集計・
    施設別一覧・不一致・目標日・未提出・要確認などのシートを書き、--feedback で施設ごとの
    返送用ブックも作ります。

    \b
    例:
        xltools consolidate workbooks/samples --out 集計.xlsx --feedback 返送用/
        xltools consolidate 受領フォルダ/ --roster 施設一覧.xlsx --as-of 令和8年4月1日 \\
            --group-by area --out 集計.xlsx
    """
    from xltools import api
    from xltools.problems import SEVERITY_RANK

    require_suffix(out, (".xlsx",), "--out", "集計.xlsx")
    done = api.consolidate(inputs, out=out, roster=roster, as_of=as_of, group_by=group_by,
                           feedback=feedback, include_notes=include_notes, due=due,
                           **reading.keywords())
    reading.finish(done.result)
    reading.say(_summary(done, out))
    worst = done.consolidation.worst_severity()
    if fail_on != "never" and worst and SEVERITY_RANK[worst] >= SEVERITY_RANK[fail_on]:
        sys.exit(1)


def _summary(done: Any, out: str) -> str:
    from xltools.aggregate.core import needs_action

    cons = done.consolidation
    fac = cons.facilities
    action = int(needs_action(cons.findings["severity"]).sum())  # as 概要: notes (情報) apart
    parts = [f"施設 {len(fac)}", f"提出 {int(fac['submitted'].sum())}",
             f"不一致 {action}（参考情報 {len(cons.findings) - action}）",
             f"期限超過 {int(cons.targets['overdue'].sum())}", f"要確認 {len(cons.problems)}"]
    n_tables = len(cons.tables.contract) + len(cons.tables.bcp)
    if n_tables:
        parts.append(f"確認表 {n_tables}（不一致 {len(cons.tables.findings)}）")
    tail = f"、施設別 {len(done.letters)} 件" if done.letters else ""
    return f"{out} を書きました（{' / '.join(parts)}{tail}）。"


__all__ = ["consolidate_command"]
