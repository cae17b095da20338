"""The reader's fast paths give what the plain way gives (issue 19: cheaper per-file parse).

Each fast path of :mod:`xltools.xlsx.book` is compared with a slow reference on real-shaped
workbooks (testkit's official-look and plain generators) and on hostile-shaped inputs.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from testkit import synth
from xltools.xlsx import book as B


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A few plain and official-look (方眼紙, merged grid, dropdowns, struck words) workbooks."""
    d = tmp_path_factory.mktemp("fast")
    rng = random.Random(20261202)
    out = []
    for i in range(12):
        spec = synth.random_spec(rng, seed=i, official_look=i % 2 == 0)
        path = d / f"f{i:02d}.xlsx"
        synth.write_workbook(path, [spec])
        out.append(path)
    return out


def _first_listed(merged: list[tuple[int, int, int, int]], row: int, col: int
                  ) -> tuple[int, int, int]:
    """The reference: the first listed merge holding the cell, else the cell itself."""
    return next(((r0, c0, c1) for r0, c0, r1, c1 in merged
                 if r0 <= row <= r1 and c0 <= col <= c1), (row, col, col))


def _check_merges(merged: list[tuple[int, int, int, int]], rows: int, cols: int) -> None:
    sheet = B.Sheet("s", 0, [], list(merged))
    fresh = B.Sheet("s", 0, [], list(merged))  # merged_origin asked first: it builds the index
    for r in range(-1, rows + 2):
        for c in range(-1, cols + 2):
            want = _first_listed(merged, r, c)
            assert fresh.merged_origin(r, c) == want[:2], (merged, r, c)
            assert sheet.merged_span(r, c) == want, (merged, r, c)
            assert sheet.merged_origin(r, c) == want[:2], (merged, r, c)


def test_merge_index_matches_the_first_listed_merge_on_random_and_overlapping_merges() -> None:
    rng = random.Random(7)
    for _ in range(400):
        merged = []
        for _ in range(rng.randint(0, 30)):
            r0, c0 = rng.randint(0, 12), rng.randint(0, 12)
            merged.append((r0, c0, r0 + rng.choice((0, 0, 0, 1, 3)), c0 + rng.randint(0, 3)))
        _check_merges(merged, 16, 16)


def test_merge_index_too_many_rows_scans_the_list() -> None:
    merged = [(0, 0, 300_000, 1), (2, 3, 2, 5), (2, 4, 4, 4)]
    assert B._merge_rows(merged) is B._HUGE
    _check_merges(merged, 6, 7)


def test_merge_index_on_generated_workbooks(generated: list[Path]) -> None:
    for path in generated:
        for sheet in B.read_book(path).sheets:
            _check_merges(sheet.merged, min(sheet.nrows, 80), min(sheet.ncols, 40))


def _runs_by_parser(body: bytes) -> list[tuple] | str:
    try:
        si = B._parse(B._with_ns(b"<si>" + body + b"</si>"))[0]
    except Exception as exc:  # the parser refuses it: the fast path must not accept it
        return type(exc).__name__
    return [tuple(vars(r).values()) for r in B._runs_of(si)]


def _rich_bodies(paths: list[Path]) -> list[bytes]:
    out = []
    for path in paths:
        data = B.read_book(path).part("xl/sharedStrings.xml") or b""
        out += [m.group(1) for m in B._SI.finditer(data)
                if m.group(1) and (b"<r>" in m.group(1) or b"<r " in m.group(1))]
    return out


PLAIN_RICH = (b'<r><rPr><sz val="11"/><color theme="1"/><rFont val="\xef\xbc\xad"/></rPr><t>\xe3\x81\xaf'
              b'\xe3\x81\x84\xe3\x83\xbb</t></r><r><rPr><strike/><sz val="11"/></rPr>'
              b'<t xml:space="preserve">\xe3\x81\x84\xe3\x81\x84\xe3\x81\x88 </t></r>'
              b'<rPh sb="0" eb="1"><t>\xe3\x83\x8f\xe3\x82\xa4</t></rPh><phoneticPr fontId="1"/>')


@pytest.mark.parametrize("insert", [
    b"", b"&amp;", b"\r", b"\x01", b"]]>", b"\xef\xbf\xbe", b"\xff", b" ", b"\t", b"\n", b"<", b'"',
    b"<b/>", b'<b val="0"/>', b'<strike val="false"/>', b'<u/>', b'<u val="none"/>',
    b'<color rgb=""/>', b'<color rgb="FFFF0000"/>', b'<color/>', b'<sz val="1" val="2"/>',
    b"<rPr></rPr>", b"<t/>", b"x:", b"'", b"<![CDATA[x]]>", b"<!--c-->"])
def test_plain_runs_match_the_parser_or_step_aside(insert: bytes) -> None:
    """Every place an odd byte or property can stand: the byte scan gives the parser's runs
    or None (then the parser reads it, and refuses what is not well-formed)."""
    for i in range(len(PLAIN_RICH) + 1):
        body = PLAIN_RICH[:i] + insert + PLAIN_RICH[i:]
        fast = B._plain_runs(body)
        if fast is not None:
            assert [tuple(vars(r).values()) for r in fast] == _runs_by_parser(body), body
    assert B._plain_runs(PLAIN_RICH) is not None


def test_plain_runs_on_generated_workbooks(generated: list[Path]) -> None:
    bodies = _rich_bodies(generated)
    assert bodies, "the generator writes struck words as rich text"
    for body in bodies:
        fast = B._plain_runs(body)
        assert fast is not None, body  # what writers produce takes the fast path
        assert [tuple(vars(r).values()) for r in fast] == _runs_by_parser(body)


def test_validations_byte_scan_and_memo_equal_the_parser(generated: list[Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def plain(vs: list[B.Validation]) -> list[tuple]:
        return [(v.kind, v.cells, v.formula) for v in vs]

    seen = 0
    for path in generated:
        for sheet in B.read_book(path).sheets:
            B._DV_SEEN.clear()
            first = plain(B._read_validations(sheet))
            again = plain(B._read_validations(sheet))  # now from the memo
            with monkeypatch.context() as m:
                m.setattr(B, "_plain_validations", lambda block: None)
                parsed = plain(B._read_validations(sheet))
            assert first == again == parsed
            seen += len(first)
    assert seen, "the generator writes dropdowns"


def _with_part(data: bytes, name: str, body: bytes) -> bytes:
    """The package again with one part's text replaced (or added)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        dst.writestr(name, body)
    return out.getvalue()


@pytest.mark.parametrize("part", ["xl/theme/theme1.xml", "docProps/app.xml", "xl/styles.xml"])
def test_prolog_memo_never_lets_a_declaration_through(generated: list[Path], part: str) -> None:
    """Parts seen before are not inflated again, yet a part that differs in any byte is checked:
    a DOCTYPE planted in a template part of a file read many times is still refused."""
    good = generated[0].read_bytes()
    for _ in range(2):  # the second read comes from the memo
        book = B.read_book(generated[0], data=good)
        assert book.sheets and not any(p.code.startswith("read.") for p in book.problems)
    hostile = _with_part(good, part, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    for _ in range(2):
        assert [p.code for p in B.read_book("h.xlsx", data=hostile).problems] == ["read.unsafe_xml"]
    B._PROLOGS.clear()
    assert [p.code for p in B.read_book("h.xlsx", data=hostile).problems] == ["read.unsafe_xml"]
    assert B.read_book(generated[0], data=good).sheets


def test_edition_set_score_equals_the_weighted_jaccard() -> None:
    """The union counted as found + expected - intersection is the sum of maxima."""
    from collections import Counter

    from xltools.forms import recognize
    from xltools.forms.catalogue import load_catalogue

    rng = random.Random(11)
    editions = load_catalogue().editions("checklist")
    for _ in range(300):
        m = rng.choice(editions)
        variant = rng.choice(list(m.variants))
        expected, _total = recognize._expected_rows(m, variant)
        keys = list(expected) + ["not_an_item", "other"]
        found = Counter({k: rng.randint(1, 4) for k in rng.sample(keys, rng.randint(0, len(keys)))})
        inter = sum(min(found[k], v) for k, v in expected.items())
        union = sum(max(found[k], expected[k]) for k in set(found) | set(expected))
        want = inter / union if union else 0.0
        assert recognize._set_score(m, variant, found) == want
        assert recognize._set_score(m, variant, found, sum(found.values())) == want


def test_part_read_straight_from_the_bytes_equals_zipfile_and_refuses_a_bad_crc() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.xml", "<a>" + "はい" * 2000 + "</a>", compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("b.xml", "<b>stored</b>", compress_type=zipfile.ZIP_STORED)
    data = buf.getvalue()
    book = B.Book(path="x.xlsx", sha256="", kind="xlsx", sheets=[], problems=[], data=data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert book.part("a.xml") == z.read("a.xml")
        assert book.part("b.xml") == z.read("b.xml")
    assert book.part("a.xml", limit=10) is None and book.part("missing.xml") is None
    bad = data.replace(b"<b>stored</b>", b"<b>STORED</b>")
    book = B.Book(path="x.xlsx", sha256="", kind="xlsx", sheets=[], problems=[], data=bad)
    with pytest.raises(zipfile.BadZipFile):
        book.part("b.xml")


def _book_state(book: B.Book) -> tuple:
    sheets = []
    for sh in book.sheets:
        runs = {k: [tuple(vars(r).values()) for r in v]
                for k, v in B._read_rich_runs(sh).items()}
        dvs = [(v.kind, v.cells, v.formula) for v in sh.validations()]
        sheets.append((sh.name, sh.part, sh.rows, sh.merged, sh.truncated, runs, dvs))
    return (book.kind, book.cropped, [p.code for p in book.problems], sheets)


def test_a_book_read_with_warm_memos_equals_one_read_cold(generated: list[Path]) -> None:
    """Every per-process memo of the reader (prologs, targets, sheet parts, dropdowns, run
    properties) gives what a cold read gives, whichever file filled it."""
    def cold() -> None:
        for memo in (B._PROLOGS, B._TARGETS, B._SHEET_PARTS, B._REL_TARGETS, B._DV_SEEN,
                     B._RPR_SEEN, B._SI_SEEN):
            memo.clear()

    for path in generated:
        cold()
        want = _book_state(B.read_book(path))
        assert _book_state(B.read_book(path)) == want
    for path in reversed(generated):  # memos filled by the other files
        got = _book_state(B.read_book(path))
        cold()
        assert got == _book_state(B.read_book(path))


@pytest.mark.parametrize("text", ["R6.7.9", "令和6年4月1日", "2024/3/31", "2024-04-01", "r7.1.5",
                                  "2-① サーバの台帳管理", "はい", "", "2025年度中", "令和元年5月1日",
                                  "2024/13/40", "ｒ６．４．１", "2024/10/1 0:00:00"])
def test_text_fiscal_year_equals_parse_date(text: str) -> None:
    import re

    from xltools.decode import parse_date
    from xltools.forms import recognize
    from xltools.text import norm

    want = None
    if re.search(r"[0-9]{4}[/.年-]|令和|r[0-9]", norm(text)):
        d = parse_date(norm(text), None).value
        if d is not None:
            want = d.year if d.month >= 4 else d.year - 1
    assert recognize._text_fiscal_year(text) == want


@pytest.mark.parametrize("data", [
    b'dataValidations><dataValidation type="list" sqref="A1"><formula1>"a"</formula1></dataValidation>'
    b'</dataValidations>',
    b'<dataValidations><dataValidation type="list" sqref="A1 B2:C3"><formula1>"a,b"</formula1>'
    b'</dataValidation></dataValidations>',
    b'<x><dataValidation/></x><y/><dataValidations count="1"><dataValidation type="list" '
    b'sqref="B2:C3"/></dataValidations><dataValidations><dataValidation type="whole" sqref="D4"/>'
    b'</dataValidations>',
    b'ataValidation<x14:dataValidations><x14:dataValidation type="list"><x14:formula1><xm:f>"a"'
    b'</xm:f></x14:formula1><xm:sqref>A1</xm:sqref></x14:dataValidation></x14:dataValidations>',
    b"", b"nothing here"])
def test_validations_block_search_starts_late_but_finds_every_block(
        data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    book = B.Book(path="x.xlsx", sha256="", kind="xlsx", sheets=[], problems=[],
                  _parts={"s.xml": data})
    sheet = B.Sheet("s", 0, [], [], part="s.xml", book=book)
    got = [(v.kind, v.cells, v.formula) for v in B._read_validations(sheet)]

    class FromTheStart:  # the reference: every block searched for from the first byte
        def findall(self, text: bytes, pos: int = 0) -> list[bytes]:
            return full.findall(text)

    full = B._X14_DV
    monkeypatch.setattr(B, "_X14_DV", FromTheStart())
    assert got == [(v.kind, v.cells, v.formula) for v in B._read_validations(sheet)]
    assert bool(got) == (b"<dataValidations" in data or b"<x14:dataValidations" in data)


def test_part_with_a_local_header_zipfile_refuses_still_raises() -> None:
    """A member whose local header names another file is refused by zipfile: the direct
    inflation steps aside so the refusal stays what it was."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/a.xml", "<a>x</a>", compress_type=zipfile.ZIP_DEFLATED)
    data = buf.getvalue().replace(b"xl/a.xml", b"xl/b.xml", 1)  # the local header only
    book = B.Book(path="x.xlsx", sha256="", kind="xlsx", sheets=[], problems=[], data=data)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data)).read("xl/a.xml")
    with pytest.raises(zipfile.BadZipFile):
        book.part("xl/a.xml")


# the plain or lazy patterns the reader's regexes replaced: each rewrite must match exactly
# where, and exactly what, its reference does
REFERENCE = {
    "_FAR_REF": rb'r="(?:[A-Z]{3}\d|(?:D[Q-Z]|[E-Z][A-Z])\d|[A-Z]{0,2}\d{5})',
    "_SI": rb"<si\b[^>]*?(?:/>|>(.*?)</si>)",
    "_X14_DV": rb"<(?:\w+:)?dataValidations\b[^>]*>.*?</(?:\w+:)?dataValidations>",
    "_DV_PLAIN": rb"<dataValidation\s([^>]*?)(?:/>|>(.*?)</dataValidation>)",
}


def test_far_reference_branched_regex_equals_the_plain_alternation() -> None:
    """The far-cell test's regex, branched a character at a time, finds a match exactly where
    the plain alternation it replaced does: on every reference of up to three letters around
    the limits (columns DP/DQ, CZ/DA, ZZ/AAA; rows 9999/10000), on random ones, and with
    something after the reference or nothing."""
    import re
    import string

    plain = re.compile(REFERENCE["_FAR_REF"])
    letters = string.ascii_uppercase
    cols = [""] + list(letters) + [a + b for a in letters for b in letters]
    cols += [a + b + c for a in "ACDEZ" for b in "APQZ" for c in "AZ"]
    rows = ["", "1", "9", "99", "9999", "10000", "12345", "99999", "123456", "1048576"]
    rng = random.Random(19)
    refs = [c + r for c in cols for r in rows]
    refs += ["".join(rng.choice(letters + string.digits + 'a"') for _ in range(rng.randint(0, 8)))
             for _ in range(20_000)]
    for ref in refs:
        for text in (f' r="{ref}"', f'<c r="{ref}', f'r="{ref}x', f'\tr="{ref}'):
            data = text.encode()
            assert [m.start() for m in B._FAR_REF.finditer(data)] == \
                [m.start() for m in plain.finditer(data)], text
    assert B._has_far_ref(b'<row r="10000"><c r="A10000"/></row>')
    assert B._has_far_ref(b'<c r="DQ1"/>') and not B._has_far_ref(b'<c r="DP1"/>')
    assert not B._has_far_ref(b'<c attr="XFD1"/>') and B._has_far_ref(b'<c\nr="AAA1"/>')


def test_shared_string_regex_unrolled_equals_the_lazy_one() -> None:
    """_SI (an unrolled loop) finds the same <si> spans and bodies as the lazy ``.*?`` it
    replaced, on random runs of the tokens that could confuse either: unclosed and
    self-closing elements, ``</sis>``, a stray ``<`` or ``</si`` inside a body."""
    import re

    lazy = re.compile(REFERENCE["_SI"], re.S)
    tokens = [b"<si>", b"</si>", b"<si/>", b"<si a>", b"<si", b"</si", b"<", b">", b"/", b"x",
              b"<r>", b"</sis>", b"<sis>", b"\n", b"si>", b"</", b'<si a="b"/>', b"<si\n>",
              "はい".encode()]
    rng = random.Random(5)
    for _ in range(50_000):
        text = b"".join(rng.choice(tokens) for _ in range(rng.randint(0, 14)))
        assert [(m.span(), m.group(1)) for m in B._SI.finditer(text)] == \
            [(m.span(), m.group(1)) for m in lazy.finditer(text)], text


def test_shared_runs_memo_gives_fresh_equal_runs(generated: list[Path]) -> None:
    """A はい・いいえ string read from the memo gives runs equal to a cold read, as new
    objects (a book's runs are its own)."""
    for path in generated:
        B._SI_SEEN.clear()
        cold = B.read_book(path)
        want = B._shared_runs(cold)
        warm = B.read_book(path)
        got = B._shared_runs(warm)
        assert got == want
        assert all(a is not b for n in got for a, b in zip(got[n], want[n]))


def test_read_regular_equals_stat_and_read_bytes(tmp_path: Path, generated: list[Path]) -> None:
    """One descriptor gives the bytes and date pathlib and os.stat gave; a folder, a pipe and
    an empty file are told apart as before; a missing file raises as before."""
    import os

    for path in generated[:3]:
        data, mtime = B._read_regular(str(path))
        assert data == path.read_bytes() and mtime == os.stat(path).st_mtime
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert B._read_regular(str(tmp_path / "empty.xlsx"))[0] == b""
    os.mkfifo(tmp_path / "pipe.xlsx")
    assert B._read_regular(str(tmp_path / "pipe.xlsx")) is None
    assert B._read_regular(str(tmp_path)) is None
    with pytest.raises(FileNotFoundError):
        B._read_regular(str(tmp_path / "missing.xlsx"))
    assert [p.code for p in B.read_book(tmp_path / "missing.xlsx").problems] == ["read.vanished"]


def test_shared_strings_read_whole_by_the_guard_equal_what_book_part_reads(
        generated: list[Path]) -> None:
    """sharedStrings.xml past 4 KB is inflated whole by the package check and handed to
    Book.part: the same bytes zipfile reads; a declaration in it is still refused; a part
    whose CRC does not match is not kept (Book.part refuses it later, as before)."""
    import io
    import zipfile

    good = generated[0].read_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        strings = z.read("xl/sharedStrings.xml")
    pad = b"<!--" + b"x" * 8000 + b"-->"
    big = strings.replace(b"<sst", pad + b"<sst", 1) if strings.startswith(b"<sst") else \
        strings.replace(b"?>", b"?>" + pad, 1)
    data = _with_part(good, "xl/sharedStrings.xml", big)
    pkg = B._check_package(data)
    assert pkg.error is None and pkg.whole["xl/sharedStrings.xml"] == big
    book = B.read_book("x.xlsx", data=data)
    assert book.part("xl/sharedStrings.xml") == big and book.sheets
    hostile = _with_part(good, "xl/sharedStrings.xml",
                         b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + pad + b"<sst/>")
    assert [p.code for p in B.read_book("h.xlsx", data=hostile).problems] == ["read.unsafe_xml"]
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml")
    bad_dir = bytearray(data)
    at = data.find(b"PK\x01\x02", info.header_offset)
    while at >= 0 and data[at + 46:at + 46 + 20] != b"xl/sharedStrings.xml":
        at = data.find(b"PK\x01\x02", at + 4)
    bad_dir[at + 16:at + 20] = b"\1\2\3\4"  # the central directory's CRC
    pkg = B._check_package(bytes(bad_dir))
    assert pkg.error is None and "xl/sharedStrings.xml" not in pkg.whole
    with pytest.raises(zipfile.BadZipFile):
        B.Book(path="x.xlsx", sha256="", kind="xlsx", sheets=[], problems=[],
               data=bytes(bad_dir)).part("xl/sharedStrings.xml")


@pytest.mark.parametrize("name", ["_X14_DV", "_DV_PLAIN"])
def test_validation_regexes_unrolled_equal_the_lazy_ones(name: str) -> None:
    """The unrolled block and element patterns match exactly where, and exactly what, the
    lazy ``.*?`` forms they replaced match, on random runs of confusing tokens."""
    import re

    fast, lazy = getattr(B, name), re.compile(REFERENCE[name], re.S)
    tokens = [b"<dataValidations>", b"</dataValidations>", b"<x14:dataValidations a>",
              b"</x14:dataValidations>", b"</x:dataValidations>", b"<dataValidation ",
              b"</dataValidation>", b"<dataValidation/>", b"<dataValidation\n", b"/>", b">",
              b"<", b"</", b"x", b'type="list"', b"<formula1>", b"</formula1>", b"\n", b"/",
              b"</dataValidations", b"</dataValidationsX>", b"<dataValidations count=\"1\">"]
    rng = random.Random(23)
    for _ in range(50_000):
        text = b"".join(rng.choice(tokens) for _ in range(rng.randint(0, 12)))
        assert [(m.span(), m.groups()) for m in fast.finditer(text)] == \
            [(m.span(), m.groups()) for m in lazy.finditer(text)], text


def test_read_regular_never_opens_a_socket(tmp_path: Path) -> None:
    """A socket named like a workbook is told apart by stat, as before (opening one fails
    with another message)."""
    import socket

    where = tmp_path / "s.xlsx"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(where))
        assert B._read_regular(str(where)) is None
        assert [p.detail for p in B.read_book(where).problems] == ["通常のファイルではありません"]
    finally:
        sock.close()
