"""Command line: thin click commands, each shaping options into one :mod:`xltools.api` call.

options -> one api call -> render -> exit code. stdout carries data, stderr carries progress
and messages. Exit codes: 0 clean; 1 problems at or above ``--fail-on``; 2 usage error; 3 could
not run (bad mapping, missing input, unwritable output). Every error becomes one ``エラー:``
line in one place (:mod:`xltools.cli.base`); shared options are declared once
(:mod:`xltools.cli.options`). Heavy imports (pandas, the readers) happen inside command bodies
so ``xltools --help`` is fast.
"""

from __future__ import annotations

import sys

import click

from xltools.cli.base import (
    EXIT_CANNOT_RUN,
    Choice,
    Group,
    PathType,
    fail,
    option,
    require_suffix,
)
from xltools.cli.consolidate import consolidate_command
from xltools.cli.fill import fill_command
from xltools.cli.learn import learn_command
from xltools.cli.options import (
    Reading,
    exit_for,
    fail_on_option,
    mappings_option,
    password_options,
    read_options,
    status_command,
)

FORMS_HEADERS = {"form": "様式", "edition": "版", "variants": "種類", "items": "項目数",
                 "verified": "確認済み", "title": "表題", "source": "定義ファイル"}


@click.group("xltools", cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xltools", message="%(prog)s %(version)s",
                      help="版を表示して終わります。")
def cli() -> None:
    """医療機関のサイバーセキュリティ対策の様式（チェックリスト・BCP確認表・契約の役割分担確認表）を
    読み取り、突き合わせ、集計します。

    \b
    例:
        xltools consolidate 受領フォルダ/ --out 集計.xlsx --feedback 返送用/
        xltools normalize 受領フォルダ/ --out 結果/
        xltools inspect 提出/さくら病院.xlsx
    """


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=PathType(exists=True), metavar="入力...")
@option("--out", "-o", required=True, type=PathType(kind="dir"), metavar="フォルダ",
        help="submissions・answers・problems の表を書くフォルダ（なければ作ります）。")
@option("--format", "formats", default="csv,parquet", show_default=True, metavar="形式",
        help="書く形式（カンマ区切り、大文字小文字は問いません）: csv（BOM 付き UTF-8）, parquet, "
             "xlsx（tables.xlsx、表ごとに1シート）。")
@fail_on_option()
@read_options
def normalize(inputs: tuple[str, ...], out: str, formats: str, fail_on: str,
              reading: Reading) -> None:
    """返ってきた様式（ファイルかフォルダ）を読み、整然とした3つの表に書き出します。

    表は submissions（様式1件に1行）・answers（項目の回答1つに1行）・problems（問題1件に1行）。
    読めないファイルは止まらずに問題として記録します。

    \b
    例:
        xltools normalize workbooks/samples --out 結果/
        xltools normalize 受領フォルダ/ --out 結果/ --format csv,xlsx --jobs 2
    """
    from xltools import api

    if out.lower().endswith((".csv", ".parquet", ".xlsx")):
        fail(f"--out '{out}' はファイル名に見えます。表を書くフォルダを指定してください"
             "（例: --out 結果/）。", 2)
    done = api.normalize(inputs, out, formats=formats, **reading.keywords())
    reading.finish(done.result)
    for f in done.files:
        click.echo(str(f))
    sys.exit(exit_for(done.result.problems, fail_on))


@cli.command()
@click.argument("file", type=PathType(exists=True, kind="file"), metavar="ファイル")
@option("--json", "as_json", is_flag=True, help="3つの表を JSON で表示します。")
@fail_on_option("error")
@mappings_option
@password_options
def inspect(file: str, as_json: bool, fail_on: str, mappings: str | None,
            passwords: list[str]) -> None:
    """1つのファイルから何を読み取ったか（様式・記入欄・回答・問題）をセルごとに表示します。

    ファイル自体を読めないとき（パスワード違い・壊れたファイルなど）は終了コード 3、
    --fail-on（既定 error）以上の問題があれば 1 です。

    \b
    例:
        xltools inspect workbooks/samples/01_R6_hospital_typed.xlsx
        xltools inspect 提出/さくら病院.xlsx --password 1234 --json
    """
    from xltools import api
    from xltools.output.inspect import render_json

    shown = api.inspect(file, mappings=mappings, passwords=passwords)
    click.echo(render_json(shown.result) if as_json else shown)
    problems = shown.result.problems
    unreadable = problems[(problems["severity"] == "error")
                          & problems["code"].str.startswith("read.")]
    if len(unreadable):
        click.echo(f"エラー: {unreadable['message'].iloc[0]}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    sys.exit(exit_for(problems, fail_on))


@cli.command()
@mappings_option
def forms(mappings: str | None) -> None:
    """xltools が読める様式と版、それぞれの定義ファイルの場所を一覧にします。

    チェックリストの版が先、次に契約の役割分担確認表と BCP 確認表。「確認済み」は
    公開資料で存在を確かめた項目の数です。

    \b
    例:
        xltools forms
        xltools forms --mappings my_mappings/
    """
    from xltools import api
    from xltools.output.inspect import _table

    rows = api.forms(mappings)
    lines = [list(FORMS_HEADERS.values())]
    lines += [[str(r[k]) for k in FORMS_HEADERS] for r in rows]
    click.echo(_table(lines))


@cli.command()
@click.argument("form", type=Choice(["checklist", "contract", "bcp"]), metavar="様式")
@option("--edition", default="R8", show_default=True, metavar="版",
        help="チェックリストの版（R5〜R8、取り込んだ版も可）。")
@option("--variant", default="hospital", show_default=True,
        type=Choice(["hospital", "pharmacy", "vendor"]),
        help="チェックリストの種類（医療機関・薬局・事業者）。")
@option("-o", "--out", required=True, type=PathType(kind="file"), metavar="ファイル",
        help="書き出す白紙様式（.xlsx）。")
@mappings_option
def template(form: str, edition: str, variant: str, out: str, mappings: str | None) -> None:
    """マッピングから白紙の様式（checklist・contract・bcp）を作ります。

    \b
    例:
        xltools template checklist --edition R7 --variant vendor -o R7_事業者確認用.xlsx
        xltools template bcp -o BCP確認表.xlsx
    """
    from xltools import api

    require_suffix(out, (".xlsx",), "--out", "様式.xlsx")
    click.echo(str(api.template(form, out, edition=edition, variant=variant, mappings=mappings)))


from xltools.cli.serve import serve_command  # noqa: E402  (the page; imports nothing heavy)

for _command in (consolidate_command, fill_command, learn_command, status_command, serve_command):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="xltools")


if __name__ == "__main__":
    main()


__all__ = ["cli", "main"]
