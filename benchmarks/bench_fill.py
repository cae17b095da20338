"""Benchmark ``xltools fill``: one template filled for N client facilities (default 500).

Goal: well under a minute for 500 facilities. The answers workbook is built the way
``--example`` lays it out (既定回答 + 施設一覧 with a few per-facility overrides), so the
timing covers reading and validating the answers, locating the template once, rendering every
copy and writing 提出用一覧.xlsx.

    python benchmarks/bench_fill.py                     # R8 vendor, 500 facilities, word
    python benchmarks/bench_fill.py --edition R6 --mark circle --facilities 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from xltools.forms.catalogue import load_catalogue
from xltools.output.fill import fill
from xltools.output.templates import write_template


def make_answers(path: Path, edition: str, variant: str, n: int, seed: int = 7) -> Path:
    """An answers workbook: every item answered by default, ~1 facility in 10 differing."""
    m = load_catalogue().get("checklist", edition)
    fy = m.fiscal_year
    rng = random.Random(seed)
    rows = m.expected_rows(variant)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    d = wb.add_worksheet("既定回答")
    for c, h in enumerate(["項番", "対象", "確認事項", "回答（はい/いいえ）", "確認日", "目標日",
                           "ID（変更しないでください）"]):
        d.write_string(0, c, h)
    date = wb.add_format({"num_format": "yyyy/m/d"})
    for r, (item_id, scope) in enumerate(rows, start=1):
        it = m.item(item_id)
        d.write_string(r, 0, it.ref)
        d.write_string(r, 1, scope)
        d.write_string(r, 2, it.text_for(variant))
        d.write_string(r, 3, "いいえ" if r % 5 == 0 else "はい")
        d.write_datetime(r, 4, dt.datetime(fy, 10, 1), date)
        d.write_datetime(r, 5, dt.datetime(fy + 1, 3, 31), date)
        d.write_string(r, 6, f"{item_id}:{scope}")
    f = wb.add_worksheet("施設一覧")
    refs = [m.item(i).ref for i, _ in rows if len(m.item(i).scopes) == 1]
    heads = ["医療機関名", "医療機関コード", "システム名", "事業者名", "回答者", "確認日", *refs[:4]]
    for c, h in enumerate(heads):
        f.write_string(0, c, h)
    for r in range(1, n + 1):
        f.write_string(r, 0, f"医療法人 テスト会 第{r}病院")
        f.write_string(r, 1, f"{1300000 + r}")
        f.write_string(r, 2, rng.choice(["電子カルテ", "PACS", "レセプトコンピュータ"]))
        f.write_string(r, 3, "株式会社メディシステム")
        f.write_string(r, 4, "山田 太郎")
        f.write_datetime(r, 5, dt.datetime(fy, 11, rng.randint(1, 28)), date)
        if r % 10 == 0:
            f.write_string(r, 6 + rng.randrange(4), "いいえ")
    wb.close()
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facilities", type=int, default=500)
    ap.add_argument("--edition", default="R8")
    ap.add_argument("--variant", default="vendor")
    ap.add_argument("--mark", choices=["word", "circle"], default="word")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        tpl = write_template(d / "template.xlsx", "checklist", args.edition, args.variant)
        answers = make_answers(d / "answers.xlsx", args.edition, args.variant, args.facilities)
        t0 = time.perf_counter()
        result = fill(tpl, answers, d / "out", mark=args.mark,
                      name_pattern="{code}_{facility}_{system}.xlsx")
        elapsed = time.perf_counter() - t0
        size = sum(w.path.stat().st_size for w in result.files)
    n = len(result.files)
    print(f"fill {args.edition} {args.variant} --mark {args.mark}: {n} facilities in "
          f"{elapsed:.2f} s ({elapsed / max(n, 1) * 1000:.1f} ms each, {size / 1e6:.1f} MB written)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
