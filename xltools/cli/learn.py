"""``xltools learn``: one :func:`xltools.api.learn` (or :func:`xltools.api.check_mapping`) call.

Exit codes: 0 learned with nothing left to decide (or, with ``--check``, the mapping reads the
workbook completely); 1 uncertain items (or incomplete); 2 usage (an option the workbook cannot
supply is missing); 3 could not run (unreadable workbook, no item table, bad mapping,
unwritable output).
"""

from __future__ import annotations

import json
import sys

import click

from xltools.cli.base import Choice, Count, PathType, command, fail, option, require_suffix
from xltools.cli.options import mappings_option, password_options

VARIANT_CHOICES = ("hospital", "pharmacy", "vendor", "joint")


@command("learn")
@click.argument("workbooks", nargs=-1, required=True, type=PathType(exists=True, kind="file"),
                metavar="白紙様式...")
@option("--form", default="checklist", show_default=True, type=Choice(["checklist"]),
        help="ブックの様式。")
@option("--edition", metavar="版", help="版の名前（例: R9。既定: 表題の「令和N年度版」）。")
@option("--fiscal-year", "fiscal_year", type=Count(2000), metavar="年度",
        help="版の年度（既定: RN なら 2018+N）。")
@option("--variant", type=Choice(VARIANT_CHOICES),
        help="シートに「確認用」の表示がないときの、全シートの種類。")
@option("--base", metavar="版", help="比べる版（既定: 一つ前の版）。")
@option("--out", "-o", type=PathType(kind="file"), metavar="ファイル",
        help="書き出すマッピング（.yaml。例: my_mappings/checklist/R9.yaml。既定: 標準出力）。")
@option("--accept-uncertain", "accept_uncertain", is_flag=True,
        help="確かでない項目も一番近い既知の ID のまま採用し、終了コード 0 にします。")
@option("--check", "check_mapping", type=PathType(exists=True, kind="file"), metavar="マッピング",
        help="学習せずに、このマッピングでブックを漏れなく読めるか確かめます。")
@mappings_option
@password_options
@option("--json", "as_json", is_flag=True, help="報告を JSON で標準出力に出します。")
def learn_command(workbooks: tuple[str, ...], form: str, edition: str | None,
                  fiscal_year: int | None, variant: str | None, base: str | None,
                  out: str | None, accept_uncertain: bool, check_mapping: str | None,
                  mappings: str | None, passwords: list[str], as_json: bool) -> None:
    """公式の白紙様式から新しい版を学習し、マッピング（様式の定義）を書きます。

    見出しの語で項目表を見つけ、印刷された項目を既知の項目と文言で照合し、新しい項目には
    ID を提案し、なくなった項目を挙げます。確かでない照合は報告され、--accept-uncertain か
    修正までは終了コード 1 です。書いたファイルは --mappings（または XLTOOLS_MAPPINGS）の
    フォルダに置くと使われます。

    --check マッピング を付けると、そのマッピングでブックを読み、種類ごとに足りない行・
    重複・余分な行を報告します（漏れがあれば終了コード 1）。

    \b
    例:
        xltools learn 令和9年度版_チェックリスト.xlsx --edition R9 \\
            --out my_mappings/checklist/R9.yaml
        xltools normalize 受領フォルダ/ --mappings my_mappings --out 結果/
        xltools learn --check my_mappings/checklist/R9.yaml 令和9年度版_チェックリスト.xlsx
    """
    from xltools import api

    if as_json and not out and not check_mapping:
        fail("--json は報告を標準出力に出します。マッピングの書き先を --out で指定してください。", 2)
    require_suffix(out, (".yaml", ".yml"), "--out", "my_mappings/checklist/R9.yaml")
    if check_mapping:
        report = api.check_mapping(check_mapping, workbooks, variant=variant, mappings=mappings,
                                   passwords=passwords)
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) if as_json
                   else "\n".join(report.report_lines()))
        sys.exit(0 if report.complete else 1)
    learned = api.learn(workbooks, out=out, form=form, edition=edition or "",
                        fiscal_year=fiscal_year, variant=variant, base=base, mappings=mappings,
                        accept_uncertain=accept_uncertain, passwords=passwords)
    if out:
        click.echo(json.dumps(learned.to_dict(), ensure_ascii=False, indent=1) if as_json
                   else str(out))
    else:
        click.echo(learned.text, nl=False)
    if not as_json:
        click.echo("\n".join(learned.report_lines()), err=True)
    sys.exit(0 if learned.ok else 1)


__all__ = ["learn_command"]
