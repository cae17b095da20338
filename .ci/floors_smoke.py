"""What the dependency floors must carry beyond reading the samples (run by .ci/floors.sh in a
venv holding exactly the declared minimum versions).

Each step uses a dependency for what xltools needs it: the CLI (click) writing CSV and Parquet
(pyarrow), the consolidated workbook (xlsxwriter) with a roster matched by name (rapidfuzz),
rosters read from xlsx (openpyxl) and from .xls/.ods through pandas' calamine engine (pandas
2.2), the worker pool with a per-file time limit (pebble), a fill (lxml), an encrypted workbook
opened with a password (msoffcrypto-tool), a malformed mapping refused by its model
(pydantic).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from xltools import api
from xltools.aggregate.roster import _read_raw, load_roster
from xltools.batch import runner
from xltools.cli import cli


def check(what: str, ok: bool) -> None:
    print(f"{'ok' if ok else 'FAILED'}: {what}")
    if not ok:
        sys.exit(1)


def main(samples: Path, locked: Path) -> None:
    out = Path(tempfile.mkdtemp(prefix="floors-"))
    got = api.read(locked, passwords=["違う", "himitsu"])
    check("an encrypted workbook opened (msoffcrypto-tool)",
          "read.decrypted" in set(got.problems["code"]) and len(got.answers) > 10)
    res = CliRunner().invoke(cli, ["normalize", str(samples), "--out", str(out / "n"),
                                   "--jobs", "2", "--no-store", "--quiet"])
    check(f"normalize (click, pyarrow): exit {res.exit_code}",
          res.exit_code in (0, 1) and (out / "n" / "answers.parquet").exists())
    import pandas as pd

    from xltools.output.write import _guarded

    for name in ("submissions", "answers", "problems"):  # the Arrow-made CSV is pandas' own
        df = pd.read_parquet(out / "n" / f"{name}.parquet")
        want = out / f"{name}.pandas.csv"
        _guarded(df).to_csv(want, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        check(f"{name}.csv as pandas writes it (pyarrow compute)",
              (out / "n" / f"{name}.csv").read_bytes() == want.read_bytes())

    import xlsxwriter

    roster = out / "roster.xlsx"
    wb = xlsxwriter.Workbook(str(roster))
    ws = wb.add_worksheet()
    for r, row in enumerate([["医療機関名", "種別"], ["さくら総合病院", "病院"], ["ひかり記念病院", "病院"]]):
        ws.write_row(r, 0, row)
    wb.close()
    check("roster xlsx (openpyxl)", load_roster(roster)["name"].tolist() == ["さくら総合病院", "ひかり記念病院"])
    for f in sorted(samples.glob("*")):
        if f.suffix in (".xls", ".ods"):
            check(f"pandas engine=calamine on {f.suffix}", len(_read_raw(f)) > 10)

    api.consolidate([samples], out=out / "c.xlsx", roster=roster)
    check("consolidate (xlsxwriter, rapidfuzz)", (out / "c.xlsx").stat().st_size > 5000)

    serial = api.read_many([samples])
    pooled = runner.run([samples], jobs=2, time_limit=60)
    check("worker pool with a time limit (pebble)",
          len(pooled.answers) == len(serial.answers) and pooled.stats["parsed"] > 10
          and "read.timeout" not in set(pooled.problems["code"]))

    template = out / "template.xlsx"
    res = CliRunner().invoke(cli, ["template", "checklist", "--edition", "R8", "--variant",
                                   "hospital", "-o", str(template)])
    check(f"template (click, xlsxwriter): exit {res.exit_code}", res.exit_code == 0)
    answers = out / "answers.xlsx"
    api.fill_example(answers, edition="R8", variant="hospital")
    import datetime as dt

    import openpyxl

    wb = openpyxl.load_workbook(answers)
    ws = wb["既定回答"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 4).value, ws.cell(r, 5).value = "はい", dt.date(2026, 10, 1)
    wb["施設一覧"].cell(2, 1).value = "さくら総合病院"
    wb.save(answers)
    filled = api.fill(template, answers, out / "filled")
    got = api.read(filled.files[0].path)
    check("fill (lxml, openpyxl) read back", set(got.answers[got.answers["round"] == 1]["answer"]) == {"yes"})

    from xltools.forms.catalogue import BUNDLED_DIR

    maps = out / "maps"
    maps.mkdir()
    r8 = (BUNDLED_DIR / "checklist" / "R8.yaml").read_text(encoding="utf-8")
    (maps / "R9.yaml").write_text(r8.replace("edition: R8", "edition: R9").replace(
        "  gate: true", '  gate: "false"', 1), encoding="utf-8")
    res = CliRunner().invoke(cli, ["normalize", str(samples), "--out", str(out / "m"),
                                   "--mappings", str(maps), "--quiet"])
    check(f"mapping models (pydantic) refuse gate: \"false\": exit {res.exit_code}",
          res.exit_code == 3 and "items[0].gate" in res.output)

if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
