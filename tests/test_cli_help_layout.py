"""Help laid out by display width: Japanese takes two columns, so click's own layout (which
counts characters) misaligned descriptions after Japanese metavars and ran past 80 columns."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from xltools.cli import cli
from xltools.cli.layout import display_width, join_lines, wrap

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_fits_80_columns_and_descriptions_line_up(command: str | None) -> None:
    args = [command, "--help"] if command else ["--help"]
    out = CliRunner().invoke(cli, args, terminal_width=80).output
    lines = out.splitlines()
    example = False
    for line in lines:  # example blocks are written as they are
        if line.strip() == "例:":
            example = True
            continue
        if example and (not line.strip() or line.startswith("    ")):
            continue
        example = False
        assert display_width(line) <= 80, line
    options = lines[lines.index("オプション:") + 1:]
    starts = set()
    for line in options:
        m = re.match(r"^  (-\S.*?)  +(\S.*)$", line)
        if m and display_width(m.group(1)) <= 30:
            starts.add(display_width(line[:m.start(2)]))
    assert len(starts) == 1, (command, starts)  # one description column, whatever the metavar


def test_wrapping_rules() -> None:
    assert join_lines(["施設ごとの", "返送用ブック"]) == "施設ごとの返送用ブック"  # no stray space
    assert join_lines(["ファイルは", "--out で"]) == "ファイルは --out で"
    lines = wrap("返送用ブックに重さ「情報」の注記も載せます（既定: 載せない）。", 20)
    assert all(display_width(x) <= 22 for x in lines)
    assert not any(x.startswith(("、", "。", "）")) or x.endswith("（") for x in lines)
    assert wrap("tcp://host:8786 を使います", 10)[0] == "tcp://host:8786"  # a word stays whole
