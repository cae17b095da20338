"""Problems as data: one record shape for everything from "file is encrypted" to
"vendor contradicts facility".

Every problem has a stable ``code`` (a stage prefix and a slug; never renumbered, never built
from thresholds), a severity, and a Japanese message for the person who filled the form, made
from a template in :data:`CATALOGUE`. Wording may change; codes may not. Data problems are
returned, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xltools.labels import SCOPE_JA

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_RANK = {INFO: 0, WARNING: 1, ERROR: 2}


@dataclass(frozen=True)
class Kind:
    code: str
    severity: str
    title: str  # Japanese, short
    template: str  # Japanese, str.format with the problem's fields


def _k(code: str, severity: str, title: str, template: str) -> Kind:
    return Kind(code, severity, title, template)


CATALOGUE: dict[str, Kind] = {k.code: k for k in [
    # --- read: the file itself -------------------------------------------------------------
    _k("read.not_excel", ERROR, "Excel ファイルではありません",
       "{name} は Excel ファイルではないため読めません（{detail}）。Excel 形式（.xlsx/.xlsm/.xls/.ods）で再提出を依頼してください。"),
    _k("read.corrupt", ERROR, "ファイルが壊れています",
       "{name} は壊れているため開けません（{detail}）。元のファイルの再送を依頼してください。"),
    _k("read.empty", ERROR, "空のファイルです",
       "{name} は中身が空です（{detail}）。"),
    _k("read.lock_file", INFO, "Excel の一時ファイルです",
       "{name} は Excel が作業中に作る一時ファイル（~$）のため読み飛ばしました。"),
    _k("read.encrypted", ERROR, "パスワードで保護されています",
       "{name} はパスワードで保護されているため開けません。--password または --passwords でパスワードを指定してください。"),
    _k("read.wrong_password", ERROR, "パスワードが合いません",
       "{name} はパスワードで保護されており、指定されたパスワード（{detail}）では開けませんでした。正しいパスワードを --password か --passwords で指定してください。"),
    _k("read.xltools_output", INFO, "xltools が書いたブックです",
       "{name} は{detail}のため、様式として読まずに飛ばしました。"),
    _k("read.decrypted", INFO, "パスワードを解除して読みました",
       "{name} はパスワード保護されていたため、{detail}のパスワードで解除して読みました。"),
    _k("read.too_large", ERROR, "ファイルが大きすぎます",
       "{name} は展開後のサイズが大きすぎるため読みませんでした（{detail}）。"),
    _k("read.unsafe_xml", ERROR, "安全でない XML を含みます",
       "{name} に安全でない XML（外部実体参照など）が含まれているため読みませんでした（{detail}）。"),
    _k("read.truncated", WARNING, "シートが大きすぎるため途中まで読みました",
       "{name} のシート「{sheet}」は行数が多すぎるため、先頭 {detail} 行だけを調べました。"),
    _k("read.vanished", ERROR, "ファイルを読めませんでした",
       "{name} を読もうとしましたが、見つからないか読み取りできません（{detail}）。"),
    _k("read.duplicate_file", INFO, "同じ内容のファイルです",
       "{name} は {detail} と同じ内容のため、1 回だけ読みました。"),
    _k("read.internal_error", ERROR, "読み取り中に予期しないエラー",
       "{name} の読み取り中に予期しないエラーが発生しました（{detail}）。このファイルを開発者に送ってください。"),
    _k("read.timeout", ERROR, "読み取りが制限時間を超えました",
       "{name} の読み取りが制限時間（{detail} 秒）を超えたため中断しました。ファイルは壊れていない可能性があります。--time-limit を延ばして再実行してください（この結果は保存されず、次回の実行で読み直します）。"),
    # --- batch: many files together --------------------------------------------------------
    _k("batch.superseded", INFO, "より新しい提出があります",
       "{name} のシート「{sheet}」は、同じ施設・同じ様式のより新しい提出（{newer} のシート「{newer_sheet}」）があるため、古い提出として扱いました。"),
    # --- form: recognition -----------------------------------------------------------------
    _k("form.not_recognised", ERROR, "様式を判別できません",
       "{name} にはチェックリスト・確認表として判別できるシートがありませんでした。公式様式で記入されているか確認してください。"),
    _k("form.roster_skipped", INFO, "施設一覧（名簿）を読み飛ばしました",
       "{name} は施設一覧（名簿）と見られるため、様式としては読みませんでした。名簿として使うときは --roster に指定してください。"),
    _k("form.sheet_skipped", INFO, "様式ではないシートを読み飛ばしました",
       "シート「{sheet}」は様式として判別できなかったため読み飛ばしました{detail}。"),
    _k("form.blank_sheet", INFO, "未記入の様式シートを読み飛ばしました",
       "シート「{sheet}」は{detail}の様式ですが、回答も施設名・事業者名も記入されていないため、提出として扱わず読み飛ばしました。"),
    _k("form.edition_uncertain", WARNING, "様式の年度版が確定できません",
       "シート「{sheet}」の年度版を {detail} と判断しましたが、確実ではありません。表題（令和○年度版）を確認してください。"),
    _k("form.variant_uncertain", WARNING, "様式の種類が確定できません",
       "シート「{sheet}」の様式（医療機関確認用／薬局確認用／事業者確認用）を {detail} と判断しましたが、確実ではありません。"),
    _k("form.no_answer_column", ERROR, "回答欄が見つかりません",
       "シート「{sheet}」で回答欄（はい・いいえ）の列を見つけられませんでした。表の見出し（1回目・2回目など）を確認してください。"),
    # --- locate: items and fields ----------------------------------------------------------
    _k("locate.item_missing", ERROR, "項目が見つかりません",
       "シート「{sheet}」に項目 {ref}「{text}」（{scope}）が見つかりません。行が削除されていないか確認してください。"),
    _k("locate.item_duplicated", WARNING, "項目が重複しています",
       "シート「{sheet}」の {cell} の行は項目 {ref}（{scope}）と同じです。最初の行の回答を採用しました。"),
    _k("locate.unknown_row", WARNING, "様式にない行があります",
       "シート「{sheet}」の {cell} の行「{detail}」は様式の項目として判別できませんでした。"),
    _k("locate.item_uncertain", WARNING, "項目の判別が不確実です",
       "シート「{sheet}」の {cell} の行「{detail}」がどの項目か確定できないため、読み取りませんでした。"),
    _k("locate.scope_unclear", WARNING, "対象機器が判別できません",
       "シート「{sheet}」の {cell} の項目 {ref} がサーバ・端末PC・ネットワーク機器のどれについての行か判別できません。"),
    _k("locate.stray_answer", WARNING, "回答欄の外に回答らしい記入があります",
       "シート「{sheet}」の {cell} に「{raw}」とありますが、回答欄として読んだ列の外です。様式の列がずれていないか確認してください。"),
    _k("locate.facility_missing", WARNING, "医療機関名がありません",
       "シート「{sheet}」に医療機関名（施設名）の記入が見つかりません。"),
    _k("locate.vendor_missing", WARNING, "事業者名がありません",
       "シート「{sheet}」に事業者名の記入が見つかりません。"),
    _k("locate.name_from_filename", INFO, "名称をファイル名から補いました",
       "シート「{sheet}」に{detail}の記入がないため、ファイル名から補いました。"),
    # --- answer: decoding and validation ---------------------------------------------------
    _k("answer.unreadable", WARNING, "回答を読み取れません",
       "{cell} の回答「{raw}」を、はい・いいえのどちらか確定できません（{detail}）。未回答として扱いました。"),
    _k("answer.blank", WARNING, "未回答です",
       "項目 {ref}（{scope}）の{round}回目の回答がありません（{cell}）。"),
    _k("answer.date_missing", WARNING, "確認日がありません",
       "項目 {ref}（{scope}）の{round}回目は回答がありますが、確認日がありません（{cell}）。"),
    _k("answer.date_unreadable", WARNING, "日付を読み取れません",
       "{cell} の日付「{raw}」を読み取れません。年月日（例：2025/10/1、令和7年10月1日）で記入してください。"),
    _k("answer.date_without_answer", WARNING, "回答がなく日付だけあります",
       "項目 {ref}（{scope}）の{round}回目は確認日だけがあり、はい・いいえがありません（{cell}）。"),
    _k("answer.target_missing", WARNING, "目標日がありません",
       "項目 {ref}（{scope}）は「いいえ」ですが、目標日がありません（{cell}）。"),
    _k("answer.target_out_of_year", WARNING, "目標日が対象年度外です",
       "項目 {ref}（{scope}）の目標日 {detail} が求められる年度内ではありません（{cell}）。"),
    _k("answer.gate_no", INFO, "医療情報システムなし",
       "項目 0（医療情報システムの導入）が「いいえ」のため、他の項目の未回答は確認不要として扱いました。"),
    _k("answer.date_out_of_range", WARNING, "日付が不自然です",
       "{cell} の日付 {detail} は様式の年度から大きく外れています。記入誤りがないか確認してください。"),
    # --- mark: answers drawn as shapes / check boxes (xltools.drawings) --------------------
    _k("mark.ambiguous", WARNING, "図形の印から回答を判別できません",
       "シート「{sheet}」の {cell} の丸・チェックボックスから、はい・いいえのどちらか確定できません（{detail}）。未回答として扱いました。"),
    _k("mark.stray", WARNING, "回答欄の外に印があります",
       "シート「{sheet}」の {cell} に、回答欄ではない位置の印（{detail}）があります。回答欄の丸やチェックがずれていないか確認してください。"),
    _k("mark.drawing_unreadable", WARNING, "図形を読めません",
       "シート「{sheet}」の図形の一部を読めませんでした（{detail}）。図形の丸やチェックボックスで付けた回答が読み取れていない可能性があります。"),
    # --- table: the contract role table and the BCP table (xltools.tables) ----------------
    _k("table.part_missing", ERROR, "確認表の部が見つかりません",
       "シート「{sheet}」に{detail}の項目が見つかりません。確認表の一部が欠けていないか確認してください。"),
    _k("table.part_label_missing", WARNING, "部の見出しがありません",
       "シート「{sheet}」に{detail}の見出しが見つからないため、項番の付け方から部を判断しました。"),
    _k("table.group_missing", WARNING, "グループが見つかりません",
       "シート「{sheet}」に Part2 のグループ {detail} の項目が見つかりません。行が削除されていないか確認してください。"),
    _k("table.section_missing", ERROR, "大項目が見つかりません",
       "シート「{sheet}」に大項目 {detail} の行が見つかりません。確認表の一部が欠けていないか確認してください。"),
    _k("table.section_label_missing", WARNING, "大項目の見出しがありません",
       "シート「{sheet}」に大項目 {detail} の見出し行が見つからないため、中項目の番号から判断しました。"),
    _k("table.item_missing", WARNING, "項目が見つかりません",
       "シート「{sheet}」に項目 {item}「{text}」が見つかりません。行が削除されていないか確認してください。"),
    _k("table.unknown_item", INFO, "様式にない項目です",
       "シート「{sheet}」の {cell} の項目 {item}「{text}」は様式の項目一覧にありません。読み取りましたが、様式の改訂や独自に追加した項目でないか確認してください。"),
    _k("table.title_mismatch", WARNING, "項目の文言が様式と異なります",
       "シート「{sheet}」の {cell} の項目 {item} の文言「{text}」が、様式の「{expected}」と異なります。項番や行の順序が正しいか確認してください。"),
    _k("table.item_duplicated", WARNING, "項目が重複しています",
       "シート「{sheet}」の {cell} の項目 {item} は {detail} にもあります。最初の行の回答を採用しました。"),
    _k("table.ref_unclear", WARNING, "項番を判別できない行があります",
       "シート「{sheet}」の {cell} の行「{text}」は項番を判別できないため読み取りませんでした（{detail}）。"),
    _k("table.no_answer_column", ERROR, "回答欄が見つかりません",
       "シート「{sheet}」で回答欄を見つけられませんでした（{detail}）。チェック欄やはい・いいえの列を追加して記入してください。"),
    _k("table.answer_column", INFO, "回答欄として使った列",
       "シート「{sheet}」では {detail} を回答欄として読みました。"),
    _k("table.answer_blank", WARNING, "未回答です",
       "項目 {item} の回答がありません（{cell}）。{detail}"),
    _k("table.checked_date_missing", WARNING, "初回確認日がありません",
       "シート「{sheet}」に初回確認の日付が見つかりません。見出しの「初回確認（　/　）」または初回確認日の欄に記入してください。"),
    _k("table.completed_missing", WARNING, "完了日がありません",
       "項目 {item} は「いいえ」ですが完了日がありません（{cell}）。対応が完了したら完了日を記入してください。"),
    _k("table.completed_before_checked", ERROR, "完了日が初回確認日より前です",
       "項目 {item} の完了日 {detail} が初回確認日 {checked} より前です（{cell}）。日付の記入誤りがないか確認してください。"),
    _k("table.completed_year_unknown", WARNING, "完了日の年が決められません",
       "項目 {item} の完了日「{raw}」には年がなく、初回確認日も分からないため年を決められません（{cell}）。年月日で記入してください。"),
    _k("table.completed_with_yes", INFO, "「はい」の項目に完了日があります",
       "項目 {item} は「はい」ですが完了日 {detail} が記入されています（{cell}）。"),
    _k("table.parts_joined", INFO, "2 つのシートの確認表を 1 件として読みました",
       "シート「{sheet}」とシート「{detail}」に分かれた確認表（Part1・Part2）を、同じ契約の 1 件の確認表として読みました。"),
    # --- consolidate: the consolidation adds these (xltools.consolidate) --------------------
    _k("consolidate.not_submitted", WARNING, "未提出",
       "{facility_name} のチェックリスト（医療機関確認用・薬局確認用）が提出されていません{detail}。"),
    _k("consolidate.vendor_form_missing", WARNING, "事業者確認用がありません",
       "{facility_name} は医療情報システムを導入・運用している（{cell}）と回答していますが、事業者確認用が1件も提出されていません。契約している事業者に記入を依頼してください。"),
    _k("consolidate.vendor_unmatched", WARNING, "事業者確認用の医療機関が不明",
       "事業者 {vendor_name} の事業者確認用（{name}）に書かれた医療機関名「{written}」に当たる医療機関が見つかりません{detail}。"),
    _k("consolidate.name_near_miss", WARNING, "名称が名簿と一致しません",
       "「{written}」（{name}）は{against}と名称が一致しません。候補：{detail}。同じ施設であれば名称をそろえてください（自動では統合していません）。"),
    _k("consolidate.not_in_roster", INFO, "名簿にない施設",
       "「{written}」（{name}）は名簿にありません。"),
    _k("consolidate.several_forms", INFO, "同じ年度版が複数あります",
       "{facility_name} の {detail} 版のチェックリストが複数あります。{name} を集計に用いました。"),
    # --- crosscheck: rules of mappings/rules/*.yaml, run by xltools.checks.rules ------------
    # facility checklist vs vendor form (fields: facility_name vendor_name system_name item_id
    # ref item_text scope facility_answer vendor_answer facility_cell vendor_cell facility_file
    # vendor_file facility_edition vendor_edition facility_checked_on vendor_checked_on)
    _k("crosscheck.facility_yes_vendor_no", WARNING, "医療機関「はい」・事業者「いいえ」",
       "項目 {ref}「{item_text}」（{scope}）：{facility_name} は「{facility_answer}」（{facility_cell}）ですが、事業者 {vendor_name} は「{vendor_answer}」（{vendor_cell}）です。実施状況を事業者と確認してください。"),
    _k("crosscheck.facility_no_vendor_yes", INFO, "医療機関「いいえ」・事業者「はい」",
       "項目 {ref}「{item_text}」（{scope}）：{facility_name} は「{facility_answer}」（{facility_cell}）ですが、事業者 {vendor_name} は「{vendor_answer}」（{vendor_cell}）です。事業者の対応状況を確認し、必要なら回答を見直してください。"),
    _k("crosscheck.answers_differ", WARNING, "医療機関と事業者の回答が異なる",
       "項目 {ref}「{item_text}」（{scope}）：{facility_name} は「{facility_answer}」（{facility_cell}）、事業者 {vendor_name} は「{vendor_answer}」（{vendor_cell}）です。回答を突き合わせてください。"),
    _k("crosscheck.remote_maintenance_unconfirmed", WARNING, "リモート保守を医療機関が未確認",
       "事業者 {vendor_name} はリモートメンテナンスを利用している機器の有無を伝えたと回答しています（{vendor_cell}）が、{facility_name} は事業者への確認が「{facility_answer}」です（{facility_cell}）。リモート保守の利用機器を事業者に確認してください。"),
    _k("crosscheck.mds_sds_not_provided", WARNING, "MDS/SDS 未提出なのに受領済み",
       "{facility_name} は MDS／SDS を提出してもらったと回答しています（{facility_cell}）が、事業者 {vendor_name} は提出していないと回答しています（{vendor_cell}）。開示書の受領状況を確認してください。"),
    _k("crosscheck.editions_differ", WARNING, "年度版が異なる",
       "{facility_name} は {facility_edition} 版（{facility_file}）、事業者 {vendor_name} は {vendor_edition} 版（{vendor_file}）で回答しています。同じ年度版で回答をそろえてください。"),
    _k("crosscheck.vendor_checked_later", INFO, "事業者の確認日が医療機関より後",
       "項目 {ref}「{item_text}」（{scope}）：事業者 {vendor_name} の確認日 {vendor_checked_on}（{vendor_cell}）が {facility_name} の確認日 {facility_checked_on}（{facility_cell}）より後です。事業者の回答を踏まえて医療機関側の確認をし直してください。"),
    _k("crosscheck.facility_checked_later", INFO, "医療機関の確認日が事業者より後",
       "項目 {ref}「{item_text}」（{scope}）：{facility_name} の確認日 {facility_checked_on}（{facility_cell}）が事業者 {vendor_name} の確認日 {vendor_checked_on}（{vendor_cell}）より後です。事業者にも最新の状況を確認してもらってください。"),
    _k("crosscheck.no_system_but_vendor", WARNING, "医療情報システムなしだが事業者の回答あり",
       "{facility_name} は医療情報システムを導入・運用していない（{facility_cell}）と回答していますが、事業者 {vendor_name} の事業者確認用（{vendor_file}）が提出されています。項目 0 の回答を確認してください。"),
    # the contract role table's copies and the BCP table (fields: facility_name vendor_name
    # system_name item_id left_answer left_cell left_file right_answer right_cell right_file
    # count items)
    _k("crosscheck.contract_answer_differs", WARNING, "確認表の控え同士で初回確認が異なる",
       "{facility_name}・{vendor_name}（{system_name}）の契約の確認表で、項目 {item_id} の初回確認が {left_file} では「{left_answer}」（{left_cell}）、{right_file} では「{right_answer}」（{right_cell}）と異なります。医療機関と事業者で確認結果を突き合わせてください。"),
    _k("crosscheck.contract_completed_differs", INFO, "確認表の控え同士で完了日が異なる",
       "{facility_name}・{vendor_name}（{system_name}）の契約の確認表で、項目 {item_id} の完了日が {left_file} では「{left_answer}」（{left_cell}）、{right_file} では「{right_answer}」（{right_cell}）と異なります。"),
    _k("crosscheck.bcp_done_table_open", WARNING, "チェックリストはBCP策定済み・確認表に未チェックあり",
       "{facility_name} はチェックリストの「サイバー攻撃を想定したBCPを策定している」に「{left_answer}」（{left_cell}）と回答していますが、BCP確認表（{right_file}）に未チェック・未回答の項目が {count} 件あります（{items}）。BCPに最低限必要な事項が網羅されているか確認してください。"),
    _k("crosscheck.bcp_undone_table_complete", INFO, "チェックリストはBCP未策定・確認表はすべてチェック済み",
       "{facility_name} はチェックリストの「サイバー攻撃を想定したBCPを策定している」に「{left_answer}」（{left_cell}）と回答していますが、BCP確認表（{right_file}）はすべての項目がチェック済みです。チェックリストの回答を見直してください。"),
    # --- fill: vendor bulk fill (xltools.output.fill; shown as "where: message" lines) ---------
    # the message is the title and the reason found at that place ({detail})
    _k("fill.answers_unreadable", ERROR, "回答ファイルを読めません",
       "回答ファイルを読めません。{detail}"),
    _k("fill.no_facility_table", ERROR, "施設一覧がありません",
       "施設一覧がありません。{detail}"),
    _k("fill.bad_header", ERROR, "見出しを項目として解釈できません",
       "見出しを項目として解釈できません。{detail}"),
    _k("fill.unknown_item", ERROR, "様式にない項目です",
       "様式にない項目です。{detail}"),
    _k("fill.duplicate_item", ERROR, "同じ項目が2回あります",
       "同じ項目が2回あります。{detail}"),
    _k("fill.bad_answer", ERROR, "はい・いいえ以外の回答です",
       "はい・いいえ以外の回答です。{detail}"),
    _k("fill.bad_date", ERROR, "日付を読み取れません",
       "日付を読み取れません。{detail}"),
    _k("fill.no_target", ERROR, "「いいえ」に目標日がありません",
       "「いいえ」に目標日がありません。{detail}"),
    _k("fill.no_facility_name", ERROR, "医療機関名がありません",
       "医療機関名がありません。{detail}"),
    _k("fill.duplicate_name", ERROR, "出力ファイル名が重複します",
       "出力ファイル名が重複します。{detail}"),
    _k("fill.bad_pattern", ERROR, "ファイル名の書式が不正です",
       "ファイル名の書式が不正です。{detail}"),
    _k("fill.template_unreadable", ERROR, "テンプレートを読めません",
       "テンプレートを読めません。{detail}"),
    _k("fill.template_not_form", ERROR, "テンプレートが様式として認識できません",
       "テンプレートが様式として認識できません。{detail}"),
    _k("fill.template_item_missing", ERROR, "テンプレートに項目の行がありません",
       "テンプレートに項目の行がありません。{detail}"),
    _k("fill.no_date_cell", WARNING, "確認日を書く欄がありません",
       "確認日を書く欄がありません。{detail}"),
    # --- learn: learning a new edition from the blank form, and --check (xltools.forms.learn) --
    _k("learn.no_item_table", INFO, "項目表のないシートを読み飛ばしました",
       "{name} のシート「{sheet}」には項目表がないため読み飛ばしました。"),
    _k("learn.row_not_item", INFO, "項目とみなさなかった行があります",
       "シート「{sheet}」の {cell} の行「{detail}」は項目の文として読めないため、項目とみなしませんでした。"),
    _k("learn.variant_elsewhere", INFO, "同じ項目の別のシートを採用しました",
       "シート「{sheet}」は{variant}としては読まず、同じ項目の別のシートを{variant}として採用しました。"),
    _k("learn.title_edition_differs", WARNING, "表題の年度版と指定の版が異なります",
       "シート「{sheet}」の表題は「{title}」ですが、版 {edition} として学習しました。"),
    _k("learn.ref_differs", INFO, "項番が様式で異なります",
       "項目 {item} の項番が様式で異なります（{detail}）。"),
    _k("learn.scopes_differ", INFO, "対象が様式で異なります",
       "項目 {item} の対象が様式で異なります（{detail}）。"),
    _k("learn.no_mapping_items", INFO, "このマッピングの項目がないシートです",
       "{name} のシート「{sheet}」にはこのマッピングの項目がありません。"),
    _k("learn.no_variant_label", WARNING, "「確認用」の表示がありません",
       "シート「{sheet}」に「確認用」の表示がないため、{detail}として確かめました。"),
]}


@dataclass
class Problem:
    """One problem row (the ``problems`` table's contract plus detail fields)."""

    code: str
    severity: str
    message: str
    path: str = ""
    submission_id: str = ""
    sheet: str = ""
    cell: str = ""
    item_id: str = ""
    scope: str = ""
    round: int | None = None
    detail: str = ""
    # the place in words when it is not a cell of a read submission: a row of fill's answers
    # file ("施設一覧 5行目"), a command option ("--name-pattern"); not a problems-table column
    where: str = ""

    def row(self) -> dict[str, Any]:
        """The problems-table row (flat fields: asdict's recursive deep copy is 10x slower)."""
        out = dict(vars(self))
        del out["where"]
        return out

    def line(self) -> str:
        """One line for a terminal or a page: where, then the message."""
        return f"{self.where}: {self.message}" if self.where else self.message


def make(code: str, *, path: str = "", submission_id: str = "", sheet: str = "", cell: str = "",
         item_id: str = "", scope: str = "", round: int | None = None, detail: str = "",
         severity: str | None = None, where: str = "", **fields: Any) -> Problem:
    """Build a problem from the catalogue, filling the Japanese template.

    Unknown template fields are left visible as ``{field}`` rather than raising: a problem
    report must never crash the batch it is reporting on.
    """
    kind = CATALOGUE[code]
    name = fields.pop("name", None) or (path.rsplit("/", 1)[-1] if path else "")
    values = {"name": name, "sheet": sheet, "cell": cell, "detail": detail, "round": round,
              "scope": SCOPE_JA.get(scope, scope), "where": where, **fields}
    message = kind.template.format_map(_Missing(values))
    return Problem(code=code, severity=severity or kind.severity, message=message, path=path,
                   submission_id=submission_id, sheet=sheet, cell=cell, item_id=item_id,
                   scope=scope, round=round, detail=detail, where=where)


def render(code: str, values: dict[str, Any]) -> str:
    """The catalogue's Japanese template of ``code`` filled from ``values`` (a missing field
    stays visible as ``{field}``)."""
    return CATALOGUE[code].template.format_map(_Missing(values))


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def worst(problems: list[Problem]) -> str | None:
    if not problems:
        return None
    return max((p.severity for p in problems), key=SEVERITY_RANK.__getitem__)
