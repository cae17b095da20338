"""Regenerate docs/problems.md from the problem catalogue (a test checks it is current)."""

from __future__ import annotations

from pathlib import Path

from xltools.problems import CATALOGUE

OUT = Path(__file__).resolve().parent.parent / "docs" / "problems.md"


def render() -> str:
    lines = ["# Problem codes / 問題コード一覧", "",
             "Generated from `xltools/problems.py` by `scripts/make_docs.py`. Codes are stable: "
             "wording may change, codes never.", "",
             "| code | severity | 見出し | message template |", "|---|---|---|---|"]
    for k in CATALOGUE.values():
        lines.append(f"| `{k.code}` | {k.severity} | {k.title} | {k.template.replace('|', '／')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(OUT)
