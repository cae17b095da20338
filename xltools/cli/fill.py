"""``xltools fill``: the official form filled for every client facility, one
:func:`xltools.api.fill` (or :func:`xltools.api.fill_example`) call.

Exit codes: 0 written; 2 bad answers or usage (nothing written); 3 unusable template, missing
input or unwritable output folder (nothing written).
"""

from __future__ import annotations

import click

from xltools.cli.base import Choice, PathType, command, fail, option, require_suffix
from xltools.cli.options import mappings_option, password_options


@command("fill")
@click.argument("template", required=False, type=PathType(exists=True, kind="file"),
                metavar="[公式様式]")
@click.argument("answers", nargs=-1, type=PathType(exists=True, kind="file"), metavar="[回答...]")
@option("--out", "-o", "out_dir", type=PathType(kind="dir"), metavar="フォルダ",
        help="記入済みのブックと 提出用一覧.xlsx を書くフォルダ。")
@option("--name-pattern", default="{facility}_{system}_{label}.xlsx", show_default=True,
        help="出力ファイル名。使える欄: {facility} {system} {code} {vendor} {respondent} "
             "{label} {row}。")
@option("--mark", type=Choice(["word", "circle"]), default="word", show_default=True,
        help="印刷された はい・いいえ 欄: 選んだ語を残す（word）か、丸で囲む（circle）。")
@option("--example", type=PathType(kind="file"), metavar="ファイル",
        help="記入せずに、編集して使う回答ブック（.xlsx）をここに書きます。")
@option("--form", type=Choice(["checklist", "contract"]), default="checklist",
        show_default=True, help="--example の様式（記入するときは公式様式で決まります）。")
@option("--edition", default="R8", show_default=True, metavar="版",
        help="--example の版（R5〜R8）。")
@option("--variant", type=Choice(["hospital", "pharmacy", "vendor"]), default="vendor",
        show_default=True, help="--example の種類。")
@mappings_option
@password_options
@option("--quiet", "-q", is_flag=True, help="進み具合と要約を表示しません。")
def fill_command(template: str | None, answers: tuple[str, ...], out_dir: str | None,
                 name_pattern: str, mark: str, example: str | None, form: str, edition: str,
                 variant: str, mappings: str | None, passwords: list[str], quiet: bool) -> None:
    """公式のチェックリスト（または契約の役割分担確認表）を、施設ごとに記入して書き出します。

    回答は --example で作るブック（既定回答 + 施設一覧）か、その表の CSV（UTF-8・BOM 付き
    UTF-8・Shift_JIS）。施設ごとに1つのブックを --out に書き、一覧（提出用一覧.xlsx）は
    その1つ上のフォルダではなく --out の中に、xltools の出力と分かる形で書きます
    （集計の入力に混ざっても様式として数えません）。

    \b
    例:
        xltools fill --example 回答.xlsx --edition R8 --variant vendor
        xltools fill R8_事業者確認用.xlsx 回答.xlsx --out 提出用/
        xltools fill R6_事業者確認用.xlsx 回答.xlsx --out 提出用/ --mark circle
        xltools fill --example 契約回答.xlsx --form contract
    """
    from xltools import api

    if example:
        if template or answers:
            fail("--example には公式様式・回答を指定しません（新しい回答ブックを書きます）。", 2)
        require_suffix(example, (".xlsx",), "--example", "回答.xlsx")
        click.echo(str(api.fill_example(example, edition=edition, variant=variant, form=form,
                                        mappings=mappings)))
        return
    if not template or not answers or not out_dir:
        fail("公式様式・回答・--out を指定してください（または --example で回答ブックを作ります）。"
             "例: xltools fill R8_事業者確認用.xlsx 回答.xlsx --out 提出用/", 2)
    progress = None if quiet else (lambda name: click.echo(f"  {name}", err=True))
    result = api.fill(template, answers, out_dir, name_pattern=name_pattern, mark=mark,
                      mappings=mappings, progress=progress, passwords=passwords)
    for w in result.files:
        click.echo(str(w.path))
    click.echo(str(result.summary))
    for p in result.warnings:
        click.echo(f"注意: {p.line()}", err=True)
    if not quiet:
        t = result.template
        click.echo(f"{len(result.files)} 施設を記入しました（{t.mapping.era}版 {t.label}、"
                   f"既定と異なる施設 {sum(1 for w in result.files if w.differences)}）", err=True)


__all__ = ["fill_command"]
