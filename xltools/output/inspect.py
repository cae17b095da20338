"""``xltools inspect``: what was read from one file, laid out for a person."""

from __future__ import annotations

import json
from typing import Any

from xltools.labels import SEVERITY_JA, VARIANT_JA

ANSWER_JA = {"yes": "はい", "no": "いいえ", "na": "該当なし", "blank": "—"}
SOURCE_JA = {"text": "記入", "dropdown": "選択", "strike": "取消線", "mark": "印", "columns": "列の印",
             "shape": "図形", "checkbox": "チェックボックス", "empty": "", "missing": "行なし"}


def _table(rows: list[list[str]]) -> str:
    """Plain-text columns, aligned by display width (full-width characters count double)."""
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        lines.append("  ".join(c + " " * (w - width(c)) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def render(result: Any, path: str) -> str:
    subs, answers, problems = result.submissions, result.answers, result.problems
    out = [f"ファイル: {path}"]
    if len(subs) == 0:
        out.append("様式として読めるシートはありませんでした。")
    for s in subs.itertuples():
        out.append("")
        out.append(f"■ シート「{s.sheet}」: {s.form} {s.edition} {VARIANT_JA.get(s.variant, s.variant)}"
                   f"（確かさ {s.confidence:.2f}、状態 {s.status}）")
        for label, value in (("医療機関名", s.facility_name), ("事業者名", s.vendor_name),
                             ("システム名", s.system_name), ("回答者", s.respondent)):
            if value:
                out.append(f"  {label}: {value}")
        a = answers[answers.submission_id == s.submission_id]
        rows = [["項番", "項目ID", "対象", "回", "回答", "確認日", "目標日", "読み方", "セル", "記入内容"]]
        for r in a.itertuples():
            raw = " ".join(str(r.raw).split())
            rows.append([r.ref, r.item_id, r.scope, str(r.round), ANSWER_JA.get(r.answer, r.answer),
                         r.checked_on or r.completed_on, r.target_on,
                         SOURCE_JA.get(r.source, r.source), r.cell, raw[:24]])
        out.append(_indent(_table(rows)))
        marks = [r for r in a.itertuples() if r.source in ("shape", "checkbox")]
        if marks:
            out.append(f"  図形・チェックボックスから読んだ回答: {len(marks)} 件 "
                       f"({', '.join(f'{m.cell}={ANSWER_JA[m.answer]}' for m in marks[:12])})")
    file_problems = problems
    if len(file_problems):
        out.append("")
        out.append("■ 問題")
        rows = [["重要度", "コード", "シート", "セル", "内容"]]
        for p in file_problems.itertuples():
            rows.append([SEVERITY_JA.get(p.severity, p.severity), p.code, p.sheet, p.cell, p.message])
        out.append(_indent(_table(rows)))
    return "\n".join(out)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def render_json(result: Any) -> str:
    return json.dumps({name: getattr(result, name).to_dict(orient="records")
                       for name in ("submissions", "answers", "problems")},
                      ensure_ascii=False, indent=1, default=str)


def render_marks(path: str) -> str:
    """Every drawn mark and check box in the file, with the cell it sits on."""
    from xltools.xlsx import drawings
    from xltools.xlsx.book import address, read_book

    book = read_book(path)
    zf = book.zip
    if zf is None:
        return ""
    lines = []
    for sheet in book.sheets:
        if sheet.part is None or not drawings.sheet_has_drawings(zf, sheet.part):
            continue
        for m in drawings.read_marks(zf, sheet.part):
            state = "" if m.checked is None else (" ☑" if m.checked else " ☐")
            text = f"「{m.text}」" if m.text else ""
            lines.append(f"  {sheet.name}!{address(m.row, m.col)}  {m.kind}{state}{text}  "
                         f"x {m.x0:.0f}–{m.x1:.0f}pt  {m.name}")
    return ("\n■ 図形・チェックボックス\n" + "\n".join(lines)) if lines else ""
