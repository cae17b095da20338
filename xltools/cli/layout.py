"""Help text laid out by what a terminal shows: a Japanese character takes two columns.

click measures and wraps help by characters, so option descriptions after a Japanese metavar
(``--out ファイル``) start in the wrong column, and Japanese lines run past the terminal's
edge; paragraphs joined from several source lines get a stray space between two Japanese
characters. This lays out the same text by display width, breaks Japanese text between any two
characters (never before 、。） and the like), and ASCII text only at spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import click

#: characters a line must not start with (Japanese line-breaking rules, the common ones)
_NO_LINE_START = set("、。，．・：；？！）］｝」』】〕〉》ー～々ぁぃぅぇぉっゃゅょァィゥェォッャュョ)]},.:;?!%")
#: characters a line must not end with
_NO_LINE_END = set("（［｛「『【〔〈《([{")
#: an unbreakable piece: a run of printable ASCII without spaces, one other character, or spaces
_PIECE = re.compile(r"[!-~]+| +|[^ !-~]")


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (East Asian wide and full-width characters: two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns (a longer ASCII word gets its own line);
    a line never starts with 、。） and the like nor ends with （「 and the like: the piece
    before (or after) moves with it."""
    lines: list[str] = []
    line: list[str] = []  # the current line's pieces
    for piece in _PIECE.findall(text):
        if piece.isspace():
            if line:
                line.append(piece)
            continue
        if line and display_width("".join(line) + piece) > width:
            carry: list[str] = []
            if piece[0] in _NO_LINE_START and len(line) > 1:
                carry.insert(0, line.pop())  # the character before goes down with it
            while len(line) > 1 and line[-1][-1] in _NO_LINE_END:
                carry.insert(0, line.pop())  # an opening bracket goes with what it opens
            while line and line[-1].isspace():
                line.pop()
            if line:
                lines.append("".join(line))
            line = carry
        line.append(piece)
    if "".join(line).strip():
        lines.append("".join(line).rstrip())
    return lines


def join_lines(lines: Iterable[str]) -> str:
    """Source lines of one paragraph as one text: no space where a line break fell between two
    Japanese characters, one space elsewhere."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if out and not (display_width(out[-1]) == 2 and display_width(line[0]) == 2):
            out += " "
        out += line
    return out


def write_text(formatter: click.HelpFormatter, text: str) -> None:
    """Paragraphs (blank-line separated) re-wrapped at the formatter's indent; a paragraph
    starting with a ``\\b`` line is written as it is (examples keep their layout)."""
    indent = " " * formatter.current_indent
    paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
    for i, para in enumerate(paragraphs):
        if i:
            formatter.write("\n")
        lines = para.splitlines()
        if lines and lines[0].strip() == "\b":
            for line in lines[1:]:
                formatter.write(f"{indent}{line}\n")
            continue
        lead = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
        for line in wrap(join_lines(lines), max(formatter.width - len(indent) - lead, 20)):
            formatter.write(f"{indent}{' ' * lead}{line}\n")


def write_dl(formatter: click.HelpFormatter, rows: list[tuple[str, str]],
             col_max: int = 30, spacing: int = 2) -> None:
    """Terms and their descriptions in two columns, aligned by display width."""
    if not rows:
        return
    first = min(max(display_width(term) for term, _ in rows), col_max) + spacing
    indent = " " * formatter.current_indent
    text_width = max(formatter.width - formatter.current_indent - first, 20)
    for term, text in rows:
        formatter.write(f"{indent}{term}")
        lines = _described(text, text_width)
        if not lines:
            formatter.write("\n")
            continue
        w = display_width(term)
        if w <= first - spacing:
            formatter.write(" " * (first - w))
        else:
            formatter.write("\n" + indent + " " * first)
        formatter.write(lines[0] + "\n")
        for line in lines[1:]:
            formatter.write(f"{indent}{' ' * first}{line}\n")


#: click's closing block of an option's help: ``  [既定: 60.0]``, ``  [必須]``
_EXTRAS = re.compile(r"\s+(\[[^\[\]]*\])$")


def _described(text: str, width: int) -> list[str]:
    """An option's description wrapped, click's ``[既定: …]`` block kept whole (on the last
    line when it fits there)."""
    if not text:
        return []
    m = _EXTRAS.search(text)
    body, extras = (text[:m.start()], m.group(1)) if m else (text, "")
    lines = wrap(join_lines(body.splitlines()), width)
    if extras:
        if lines and display_width(lines[-1]) + 2 + display_width(extras) <= width:
            lines[-1] += "  " + extras
        else:
            lines.append(extras)
    return lines
