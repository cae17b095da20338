"""Regenerate workbooks/: blank templates for every edition x variant, and sample submissions.

The samples are what the README demo and the tests read: facilities and the vendors that answer
for them, every answer encoding and date spelling, several layouts, one workbook holding a
vendor's answers for several facilities behind a cover sheet, an .xls and an .ods copy (when
LibreOffice is installed), and one broken file. Besides the checklists: the facility's and the
vendor's copies of one contract role table (two layouts, disagreeing on a few items), a contract
table whose Part1 and Part2 stand on two sheets, and two BCP tables with the answer column each
facility added. Deterministic: the same files every run.

And the roster the README's first command reads (施設一覧.xlsx): every sample facility, one
(若草病院) written there without the legal-entity name its form carries, and one facility
(あおぞら内科クリニック) that never submitted. ``xltools consolidate`` leaves the file given as
``--roster`` out of the forms it reads, so it may stand in the returned-forms folder.

    python scripts/make_samples.py
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from testkit.synth import Spec, write_workbook
from testkit.table_synth import BcpSpec, ContractSpec, make_contract, write_table_workbook
from xltools.output.table_templates import BcpLayout, ContractLayout
from xltools.output.templates import Layout, write_template

ROOT = Path(__file__).resolve().parent.parent / "workbooks"


def templates() -> None:
    out = ROOT / "templates"
    out.mkdir(parents=True, exist_ok=True)
    names = {"hospital": "医療機関確認用", "pharmacy": "薬局確認用", "vendor": "事業者確認用"}
    for edition in ("R5", "R6", "R7", "R8"):
        for variant, ja in names.items():
            write_template(out / f"{edition}_{ja}.xlsx", "checklist", edition, variant)


SAMPLES: list[tuple[str, list[Spec], bool]] = [
    ("01_R6_さくら総合病院_記入.xlsx", [Spec("R6", "hospital", Layout(), "typed", "paren", seed=1,
                                         facility_name="さくら総合病院", sheet_name="医療機関確認用")], False),
    ("02_R6_さくら総合病院_電子カルテ事業者.xlsx", [Spec("R6", "vendor", Layout(fields_style="colon"), "marks",
                                               "md", seed=2, facility_name="さくら総合病院",
                                               vendor_name="日本電子カルテ株式会社",
                                               system_name="電子カルテシステム", sheet_name="回答")], False),
    ("03_R7_ひかり記念病院_取消線.xlsx", [Spec("R7", "hospital", Layout(header_rows=1), "strike", "era",
                                         seed=3, facility_name="ひかり記念病院", sheet_name="Sheet1")], False),
    ("04_R7_ひかり記念病院_レセコン事業者.xlsx", [Spec("R7", "vendor", Layout(start_row=2, start_col=1),
                                              "bracket", "era_short", seed=4, facility_name="ひかり記念病院",
                                              vendor_name="(株)レセプトワークス",
                                              system_name="レセプトコンピュータ")], False),
    ("05_R8_みなと薬局_選択.xlsx", [Spec("R8", "pharmacy", Layout(), "dropdown", "excel", seed=5,
                                     facility_name="みなと薬局 本町店",
                                     sheet_name="医療機関・薬局確認用")], False),
    ("06_R8_若草病院_はいいいえ列.xlsx", [Spec("R8", "hospital", Layout(split_yes_no=True, fields_at="bottom"),
                                         "split", "slash", seed=6,
                                         facility_name="社会医療法人 若草会 若草病院")], False),
    ("07_R5_たんぽぽ内科医院_語を残す.xlsx", [Spec("R5", "hospital", Layout(title="", blank_rows_between=4),
                                           "deleted", "paren", seed=7, facility_name="たんぽぽ内科医院",
                                           sheet_name="チェックリスト")], False),
    ("08_R8_ネットケア_複数施設.xlsx", [
        Spec("R8", "vendor", Layout(), "typed", "kanji", seed=8, facility_name="さくら総合病院",
             vendor_name="ネットケア株式会社", system_name="院内ネットワーク", sheet_name="さくら総合病院"),
        Spec("R8", "vendor", Layout(), "typed", "kanji", seed=9, facility_name="社会医療法人 若草会 若草病院",
             vendor_name="ネットケア株式会社", system_name="院内ネットワーク", sheet_name="若草病院"),
    ], True),
    ("09_R8_若草病院_電子カルテ事業者.xlsx", [Spec("R8", "vendor", Layout(header_rows=1, ref_in_text=True),
                                             "mixed", "fullwidth", seed=10,
                                             facility_name="若草病院", vendor_name="日本電子カルテ株式会社",
                                             system_name="電子カルテシステム")], False),
    ("10_R6_つばさ調剤薬局_見出し列.xlsx", [Spec("R6", "pharmacy", Layout(scope_style="column", fields_style="below"),
                                           "yesno_en", "serial", seed=11, facility_name="つばさ調剤薬局",
                                           sheet_name="薬局")], False),
]


def samples() -> None:
    out = ROOT / "samples"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, specs, cover in SAMPLES:
        write_workbook(out / name, specs, cover=cover)
    tables(out)
    roster(out)
    (out / "99_壊れたファイル.xlsx").write_bytes(b"PK\x03\x04 this zip was cut off in transit")
    _office_copies(out)


def tables(out: Path) -> None:
    """Returned copies of the contract role table and the BCP table."""
    facility_copy = ContractSpec(
        seed=21, answer_style="typed", completed_style="slash", p_no=0.3, p_blank=0.0,
        facility_name="さくら総合病院", vendor_name="日本電子カルテ株式会社",
        system_name="電子カルテシステム", sheet_name="役割分担確認表",
        layout=ContractLayout(remarks=True))
    write_table_workbook(out / "13_契約確認表_さくら総合病院_電子カルテ_医療機関控え.xlsx", [facility_copy])
    # the vendor's copy of the same contract: its own layout (group column left of 項番, はい /
    # いいえ columns, 初回確認日 as a field), the same answers but for two items
    _, _, truth, _ = make_contract(facility_copy)
    answers = {key[0]: a for key, (a, _c, _t) in truth.answers.items()}
    done = {key[0]: d for key, d in truth.completed.items()}
    forced = {i: (a, _date(done[i])) for i, a in answers.items()}
    flip = [i for i in ("P1-3", "B-1") if i in forced]
    for i in flip:
        forced[i] = ("yes" if forced[i][0] == "no" else "no", _date("2026-03-31"))
    vendor_copy = replace(
        facility_copy, seed=22, answer_style="split", forced=forced,
        facility_name="医療法人社団 さくら会 さくら総合病院", sheet_name="確認表（事業者控え）",
        layout=ContractLayout(group_style="left_column", split=True, date_at="field_right",
                              date_label="初回確認日", part_style="part", fields_style="colon"))
    write_table_workbook(out / "14_契約確認表_さくら総合病院_電子カルテ_事業者控え.xlsx", [vendor_copy])
    part1 = ContractSpec(seed=23, answer_style="marks", completed_style="md",
                         facility_name="ひかり記念病院", vendor_name="(株)レセプトワークス",
                         system_name="レセプトコンピュータ", sheet_name="Part1",
                         layout=ContractLayout(parts=("P1",), part_style="part"))
    part2 = replace(part1, sheet_name="Part2", names_in="filename",
                    layout=ContractLayout(parts=("P2",), part_style="part", date_at="none",
                                          group_style="heading_row"))
    write_table_workbook(out / "15_契約確認表_ひかり記念病院_レセコン_2シート.xlsx", [part1, part2])
    write_table_workbook(out / "16_BCP確認表_さくら総合病院_チェック列.xlsx", [BcpSpec(
        seed=24, answer_style="tick", p_no=0.2, p_blank=0.0, facility_name="さくら総合病院",
        layout=BcpLayout(answer_header="チェック", remarks=True))])
    write_table_workbook(out / "17_BCP確認表_ひかり記念病院_対応状況.xlsx", [BcpSpec(
        seed=25, answer_style="status", p_no=0.3, inserted=True, facility_name="ひかり記念病院",
        sheet_name="BCP",
        layout=BcpLayout(answer_header="対応状況", answer_at="left", date_column=True))])


ROSTER_HEADER = ("医療機関コード", "医療機関名", "種別", "保健所", "法人")
ROSTER = [
    ("1310000011", "さくら総合病院", "病院", "中央保健所", "医療法人社団 さくら会"),
    ("1310000029", "ひかり記念病院", "病院", "中央保健所", ""),
    ("1340000015", "みなと薬局 本町店", "薬局", "港保健所", "みなと薬局グループ"),
    ("1310000037", "若草病院", "病院", "北保健所", "社会医療法人 若草会"),  # form: 社会医療法人 若草会 若草病院
    ("1310000045", "たんぽぽ内科医院", "診療所", "北保健所", ""),
    ("1340000023", "つばさ調剤薬局", "薬局", "港保健所", ""),
    ("1310000052", "北斗メディカルセンター", "病院", "港保健所", ""),
    ("1310000060", "あおぞら内科クリニック", "診療所", "中央保健所", ""),  # never submits
]


def roster(out: Path) -> None:
    """施設一覧.xlsx: the facilities expected, as a prefecture keeps them (a title row first)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out / "施設一覧.xlsx"))
    ws = wb.add_worksheet("施設一覧")
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ws.write_string(0, 0, "サイバーセキュリティ対策チェックリスト 提出対象施設一覧（サンプル）")
    for c, h in enumerate(ROSTER_HEADER):
        ws.write_string(2, c, h, bold)
    for r, rec in enumerate(ROSTER, start=3):
        for c, v in enumerate(rec):
            ws.write_string(r, c, v)
    for c, w in enumerate((16, 28, 8, 12, 24)):
        ws.set_column(c, c, w)
    ws.set_paper(9)  # A4, one page wide: the 法人 column used to spill onto a second sheet
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.freeze_panes(3, 0)
    ws.autofilter(2, 0, 2 + len(ROSTER), len(ROSTER_HEADER) - 1)
    wb.set_properties({"created": dt.datetime(2026, 4, 1)})  # the same bytes every run
    wb.close()


def _date(iso: str) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


def _office_copies(out: Path) -> None:
    """An .xls and an .ods copy, as old PCs and LibreOffice users send them."""
    soffice = shutil.which("soffice")
    if not soffice:
        print("soffice not found: no .xls/.ods samples", file=sys.stderr)
        return
    src = ROOT / "samples" / "03_R7_ひかり記念病院_取消線.xlsx"
    spec = Spec("R6", "hospital", replace(Layout(), header_rows=1), "typed", "slash", seed=12,
                facility_name="北斗メディカルセンター")
    tmp = out / "_tmp"
    tmp.mkdir()
    write_workbook(tmp / "11_R6_北斗メディカルセンター_旧形式.xlsx", [spec])
    for fmt, source in (("xls", tmp / "11_R6_北斗メディカルセンター_旧形式.xlsx"), ("ods", src)):
        subprocess.run([soffice, "--headless", "--convert-to", fmt, "--outdir", str(tmp), str(source)],
                       check=True, capture_output=True, timeout=120)
    shutil.move(str(tmp / "11_R6_北斗メディカルセンター_旧形式.xls"), out / "11_R6_北斗メディカルセンター_旧形式.xls")
    shutil.move(str(tmp / "03_R7_ひかり記念病院_取消線.ods"), out / "12_R7_ひかり記念病院_LibreOffice.ods")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    templates()
    samples()
    print(f"wrote {ROOT}")
