"""Read stage: a file on disk -> cell values and the side data calamine does not expose.

Values come from python-calamine (about 1 ms a checklist-sized file, against 24-370 ms for
openpyxl). The few things calamine does not give us are read lazily from the zip package with
lxml, only when a sheet needs them: struck-through or coloured rich-text runs, data-validation
lists (so a dropdown answer is reported as such), cell alignment, and drawing parts.

Nothing here raises for a bad file: every failure becomes a :class:`~xltools.problems.Problem`
and the batch goes on.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import starmap
from operator import add
from pathlib import Path
from typing import Any

from lxml import etree

from xltools import problems as P
from xltools.listing import EXCEL_SUFFIXES
from xltools.xlsx.cells import (  # noqa: F401  (re-exported: the one A1 implementation)
    Cell,
    address,
    col_index,
    col_letters,
    parse_range,
    parse_ref,
)
from xltools.xlsx.parts import resolve_target

MAX_ROWS = 5000  # a checklist has < 200 rows; a sheet of a million rows is scanned this far
MAX_COLS = 120
MAX_UNCOMPRESSED = 300 * 1024 * 1024  # zip-bomb guard for the whole package
MAX_RATIO = 200  # uncompressed / compressed, per large part

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                              remove_blank_text=False)


@dataclass
class Run:
    """One rich-text run of a cell: its text and the formatting that marks an answer."""

    text: str
    strike: bool = False
    color: str = ""
    bold: bool = False
    underline: bool = False


@dataclass
class Validation:
    kind: str  # "list", "whole", ...
    cells: list[tuple[int, int, int, int]]  # inclusive 0-based ranges
    formula: str

    def covers(self, row: int, col: int) -> bool:
        return any(r0 <= row <= r1 and c0 <= col <= c1 for r0, c0, r1, c1 in self.cells)


@dataclass
class Sheet:
    """One worksheet's values (0-based grid from A1) and lazily read side data."""

    name: str
    index: int
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]]
    truncated: bool = False
    part: str | None = None  # "xl/worksheets/sheet1.xml" for OOXML packages
    book: Book | None = field(default=None, repr=False)
    _runs: dict[Cell, list[Run]] | None = field(default=None, repr=False)
    _validations: list[Validation] | None = field(default=None, repr=False)
    _ncols: int | None = field(default=None, repr=False)
    _list_cells: set[Cell] | None = field(default=None, repr=False)
    _list_big: bool = field(default=False, repr=False)
    _origins: dict[int, _Spans] | None = field(default=None, repr=False)

    def value(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows):
            r = self.rows[row]
            if 0 <= col < len(r):
                return r[col]
        return ""

    @property
    def nrows(self) -> int:
        return len(self.rows)

    @property
    def ncols(self) -> int:
        if self._ncols is None:  # asked in loops by the locators; rows never change after load
            self._ncols = max(map(len, self.rows), default=0)
        return self._ncols

    def merged_origin(self, row: int, col: int) -> Cell:
        """The top-left cell of the merge holding (row, col), or the cell itself."""
        origins = self._origins
        if origins is None:
            origins = self._origins = _merge_rows(self.merged)
        spans = origins.get(row)
        if spans is None:  # the common case: nothing merged in this row
            return (row, col) if origins is not _HUGE else self.merged_span(row, col)[:2]
        if type(spans) is list:  # asked ~200 times a file: the span lookup inlined
            i = bisect.bisect_right(spans, (col, _AFTER)) - 1
            if i >= 0:
                span = spans[i]
                if span[1] >= col:
                    return (span[2], span[0])
            return (row, col)
        return self.merged_span(row, col)[:2]

    def merged_span(self, row: int, col: int) -> tuple[int, int, int]:
        """(origin row, origin column, last column) of the merge holding (row, col), or the
        cell itself as a one-cell span."""
        origins = self._origins
        if origins is None:
            origins = self._origins = _merge_rows(self.merged)
        if origins is _HUGE:  # too many merged rows to index: scan the list
            return next(((r0, c0, c1) for r0, c0, r1, c1 in self.merged
                         if r0 <= row <= r1 and c0 <= col <= c1), (row, col, col))
        spans = origins.get(row)
        if spans is None:
            return (row, col, col)
        if type(spans) is tuple:  # overlapping merges in this row: the first listed wins
            return next(((r0, c0, c1) for c0, c1, r0 in spans if c0 <= col <= c1), (row, col, col))
        i = bisect.bisect_right(spans, (col, _AFTER)) - 1
        if i >= 0:
            c0, c1, r0 = spans[i]
            if c1 >= col:
                return (r0, c0, c1)
        return (row, col, col)

    def rich_runs(self, row: int, col: int) -> list[Run] | None:
        """Rich-text runs of a cell when they differ in strike or colour, else None."""
        if self._runs is None:
            self._runs = _read_rich_runs(self) if self.book is not None else {}
        return self._runs.get((row, col))

    def has_unread_shapes(self) -> bool:
        """True when an .xls or .ods sheet holds drawn shapes or form controls (an ellipse, a
        line, a text box, a check box): their marks are read from .xlsx packages only, so an
        answer drawn on such a sheet cannot be read and must be reported, never guessed."""
        book = self.book
        if book is None or book.kind not in ("xls", "ods"):
            return False
        return self.name in (_xls_shape_sheets(book) if book.kind == "xls" else _ods_shape_sheets(book))

    def validations(self) -> list[Validation]:
        if self._validations is None:
            self._validations = _read_validations(self) if self.book is not None else []
        return self._validations

    def has_list_validation(self, row: int, col: int) -> bool:
        if self._list_cells is None:  # asked for every answer cell: index the ranges once
            lists = [v for v in self.validations() if v.kind == "list"]
            area = sum((r1 - r0 + 1) * (c1 - c0 + 1) for v in lists for r0, c0, r1, c1 in v.cells)
            self._list_cells = {(r, c) for v in lists for r0, c0, r1, c1 in v.cells
                                for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
                                } if area <= 200_000 else set()
            self._list_big = area > 200_000
        if self._list_big:
            return any(v.kind == "list" and v.covers(row, col) for v in self.validations())
        return (row, col) in self._list_cells


_HUGE: dict = {}  # marker: too many merged rows to index, scan the list instead

# A row's merges: a list of (first col, last col, origin row) sorted by column, or, for a row
# where merges overlap (a damaged file), a tuple of them in the file's order, scanned
_Spans = list[tuple[int, int, int]] | tuple[tuple[int, int, int], ...]

_AFTER = 1 << 30  # (col, _AFTER) sorts after every (col, last col, origin row) span


def _merge_rows(merged: list[tuple[int, int, int, int]], limit: int = 200_000
                ) -> dict[int, _Spans]:
    """Row -> the merges crossing it, as :data:`_Spans`.

    One entry per merged row, not per merged cell: a 方眼紙 sheet merges nearly every cell
    over two or three grid columns, and indexing each cell cost more than reading the sheet.
    Merges are visited sorted by position, so a row's list comes out in column order unless
    a merge from a row above crosses it (then it is sorted). Overlapping merges (a damaged
    file) keep the first listed, as the cell scan did: such a row is kept unsorted, in the
    file's order, and scanned.
    """
    if sum(r1 - r0 for r0, _c0, r1, _c1 in merged) + len(merged) > limit:
        return _HUGE
    rows: dict[int, list[tuple[int, int, int]]] = {}
    unsorted: set[int] = set()
    get = rows.get
    for r0, c0, r1, c1 in sorted(merged):
        span = (c0, c1, r0)
        for r in range(r0, r1 + 1):
            spans = get(r)
            if spans is None:
                rows[r] = [span]
            else:
                if c0 <= spans[-1][1]:  # left of, or overlapping, the previous merge in this row
                    unsorted.add(r)
                spans.append(span)
    out: dict[int, _Spans] = rows  # type: ignore[assignment]
    for r in unsorted:
        spans = sorted(rows[r])
        if any(spans[i][0] <= spans[i - 1][1] for i in range(1, len(spans))):
            out[r] = tuple((c0, c1, r0) for r0, c0, r1, c1 in merged if r0 <= r <= r1)
        else:
            out[r] = spans
    return out


@dataclass
class Book:
    """A workbook as read: its sheets, or the problems that kept it from being read."""

    path: str
    sha256: str
    kind: str  # "xlsx" | "xls" | "ods" | "xlsb" | ""
    sheets: list[Sheet]
    problems: list[P.Problem]
    data: bytes = field(default=b"", repr=False)
    modified: str = ""
    cropped: frozenset[str] = frozenset()  # worksheet parts cut to MAX_ROWS x MAX_COLS
    _zip: zipfile.ZipFile | None = field(default=None, repr=False)
    _shared_runs: dict[int, list[Run]] | None = field(default=None, repr=False)
    _parts: dict[str, bytes] = field(default_factory=dict, repr=False)  # inflated once
    _ods_root: Any = field(default=None, repr=False)  # content.xml parsed (False: unusable)
    _xls_runs: dict[str, dict[Cell, list[Run]]] | None = field(default=None, repr=False)
    _xls_shapes: set[str] | None = field(default=None, repr=False)

    @property
    def zip(self) -> zipfile.ZipFile | None:
        if self._zip is None and self.kind in ("xlsx", "ods"):
            try:
                self._zip = zipfile.ZipFile(io.BytesIO(self.data))
            except zipfile.BadZipFile:
                return None
        return self._zip

    def part(self, name: str, limit: int = 50 * 1024 * 1024) -> bytes | None:
        """Bytes of one package part, or None when absent or larger than ``limit``."""
        got = self._parts.get(name)
        if got is not None:
            return got if len(got) <= limit else None
        zf = self.zip
        if zf is None:
            return None
        try:
            info = zf.getinfo(name)
        except KeyError:
            return None
        if info.file_size > limit:
            return None
        # inflated straight from the package bytes (zipfile's reader costs more than a small
        # part's inflation) when zipfile would accept the member as it is; anything unusual
        # (a local header zipfile would refuse, a CRC that does not match) goes to zipfile,
        # which reads it or raises as it always did
        got = _head(self.data, info, info.file_size) if _plain_local_header(self.data, info) \
            else None
        if got is not None and len(got) == info.file_size and zlib.crc32(got) == info.CRC:
            return got
        return zf.read(info)


# --------------------------------------------------------------------------------------------
# opening


def sniff_kind(data: bytes, suffix: str) -> str:
    """Tell the container from the first bytes; the suffix only breaks ties."""
    if data[:4] == b"PK\x03\x04":
        if suffix == ".ods":
            return "ods"
        if suffix == ".xlsb":
            return "xlsb"
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    return ""


def _bad(code: str, path: str, detail: str = "", **kw: Any) -> Book:
    return Book(path=path, sha256=kw.pop("sha256", ""), kind="", sheets=[],
                problems=[P.make(code, path=path, detail=detail)])


def _describe_non_excel(data: bytes) -> str:
    head = data[:8]
    for magic, what in ((b"%PDF", "PDF"), (b"\x89PNG", "PNG 画像"), (b"\xff\xd8\xff", "JPEG 画像"),
                        (b"GIF8", "GIF 画像"), (b"{\\rtf", "RTF 文書"), (b"<", "HTML/XML テキスト")):
        if head.startswith(magic):
            return what
    return "形式不明"


def _ole_is_encrypted(data: bytes) -> bool:
    """An OLE file holding an ``EncryptedPackage`` stream is a password-protected OOXML file."""
    return "EncryptedPackage".encode("utf-16-le") in data[:1024 * 1024] or (
        b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data)


def decrypt(data: bytes, passwords: list[str]) -> tuple[bytes | None, int]:
    """Try each password on an encrypted Office file; return (plain bytes, index) or (None, -1)."""
    import msoffcrypto

    for n, pw in enumerate(passwords):
        try:
            office = msoffcrypto.OfficeFile(io.BytesIO(data))
            office.load_key(password=pw)
            out = io.BytesIO()
            office.decrypt(out)
            return out.getvalue(), n
        except Exception:  # wrong password or unsupported scheme: try the next one
            continue
    return None, -1


@dataclass
class _Package:
    """What the guard learned about a zip package, so nothing is opened or inflated twice."""

    error: str | None = None
    zf: zipfile.ZipFile | None = None
    cut: dict[str, bytes] = field(default_factory=dict)  # worksheet parts with far cells cut
    whole: dict[str, bytes] = field(default_factory=dict)  # parts inflated whole (reused)


_WS_TARGET = re.compile(rb'<(?:\w+:)?Relationship\b[^>]*?Type="[^"]*/worksheet"[^>]*?'
                        rb'Target="([^"]+)"|<(?:\w+:)?Relationship\b[^>]*?Target="([^"]+)"'
                        rb'[^>]*?Type="[^"]*/worksheet"')


def _worksheet_parts(zf: zipfile.ZipFile, names: set[str], data: bytes,
                     keep: dict[str, bytes]) -> set[str]:
    """Worksheet part names: the usual folder, and wherever workbook.xml.rels points."""
    out = {n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    if "xl/_rels/workbook.xml.rels" in names:
        info = zf.getinfo("xl/_rels/workbook.xml.rels")
        if info.file_size < 1024 * 1024:
            rels = keep[info.filename] = _member(zf, data, info)
            out |= _worksheet_targets(rels)
    return out


# workbook.xml.rels -> its worksheet targets (and workbook.xml + rels -> sheet parts, below):
# a batch's files share a handful of these byte for byte; first in, first out, at most 256
_TARGETS: dict[bytes, frozenset[str]] = {}


def _worksheet_targets(rels: bytes) -> frozenset[str]:
    got = _TARGETS.get(rels)
    if got is None:
        got = frozenset(resolve_target("xl/workbook.xml",
                                       (m.group(1) or m.group(2)).decode("utf-8", "replace"))
                        for m in _WS_TARGET.finditer(rels))
        if len(rels) <= 64 * 1024:
            if len(_TARGETS) >= 256:
                del _TARGETS[next(iter(_TARGETS))]
            _TARGETS[rels] = got
    return got


def _head(data: bytes, info: zipfile.ZipInfo, size: int = 4096) -> bytes | None:
    """The first bytes of a member, inflated straight from the package bytes.

    Opening a member through :mod:`zipfile` costs more than inflating 4 KB; a package has a
    dozen parts whose prolog is checked. None when the member is not plainly deflated or
    stored (then the caller opens it the usual way).
    """
    raw = _raw(data, info, size)
    return None if raw is None else _inflate(raw, info.compress_type, size)


def _plain_local_header(data: bytes, info: zipfile.ZipInfo) -> bool:
    """True when zipfile's reader would take the member's local header as it is: no
    encryption, patched-data or strong-encryption flag, and the directory's name repeated."""
    start = info.header_offset
    head = data[start:start + 30]
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return False
    flags, = struct.unpack_from("<H", head, 6)
    if flags & 0x61:
        return False
    name_len, = struct.unpack_from("<H", head, 26)
    try:
        name = info.orig_filename.encode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeEncodeError:
        return False
    return data[start + 30:start + 30 + name_len] == name


def _raw(data: bytes, info: zipfile.ZipInfo, size: int) -> bytes | None:
    """The stored bytes holding a member's first ``size`` bytes (None: encrypted, or no local
    header where the directory says)."""
    start = info.header_offset
    if data[start:start + 4] != b"PK\x03\x04" or info.flag_bits & 0x1:
        return None
    name_len, extra_len = struct.unpack("<HH", data[start + 26:start + 30])
    body = start + 30 + name_len + extra_len
    return data[body:body + min(info.compress_size, size * 4 + 64)]


def _inflate(raw: bytes, method: int, size: int) -> bytes | None:
    if method == zipfile.ZIP_STORED:
        return raw[:size]
    if method != zipfile.ZIP_DEFLATED:
        return None
    try:
        return zlib.decompressobj(-15).decompress(raw, size)
    except zlib.error:
        return None


# (method, stored bytes) -> (first 4 KB, their prolog verdict). Returned files carry their
# template's theme, styles, content types and relationships byte for byte: each is inflated
# and checked once. Keyed by the stored bytes themselves (not the CRC a file may forge), so a
# hit is the same inflated text; at most 256 of at most 16 KB, the least recently used
# dropped first: every file also brings parts of its own (core.xml, sharedStrings.xml), and
# first in, first out let those push the template's parts out (3 of 5 looked up were misses)
_PROLOGS: dict[tuple[int, bytes], tuple[bytes, bool | None]] = {}


def _prolog_head(data: bytes, info: zipfile.ZipInfo) -> tuple[bytes | None, bool | None]:
    """(first 4 KB, :func:`_prolog_verdict` of them) of a part; (None, None) when it cannot
    be inflated straight from the package bytes."""
    raw = _raw(data, info, 4096)
    if raw is None:
        return None, None
    key = (info.compress_type, raw)
    got = _PROLOGS.pop(key, None)
    if got is not None:
        _PROLOGS[key] = got  # used again: now the most recent
    else:
        head = _inflate(raw, info.compress_type, 4096)
        if head is None:
            return None, None
        got = (head, _prolog_verdict(head))
        if len(_PROLOGS) >= 256:
            del _PROLOGS[next(iter(_PROLOGS))]
        _PROLOGS[key] = got
    return got


def _member(zf: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A whole member, inflated straight from the package bytes (zipfile's own reader for
    anything unusual; it raises on a damaged member, which the caller reports)."""
    got = _head(data, info, info.file_size)
    if got is None or len(got) != info.file_size:
        return zf.read(info)
    return got


def _check_package(data: bytes) -> _Package:
    """Sizes, ratios and XML prologs of every part; worksheets read once and cropped if needed."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return _Package(f"corrupt:{exc}")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 10 * 1024 * 1024 and info.compress_size and \
                info.file_size / info.compress_size > MAX_RATIO:
            return _Package(f"too_large:{info.filename} の圧縮率が "
                            f"{info.file_size // info.compress_size} 倍")
    if total > MAX_UNCOMPRESSED:
        return _Package(f"too_large:展開後 {total // (1024 * 1024)} MB")
    out = _Package(zf=zf)
    try:
        sheets = _worksheet_parts(zf, {i.filename for i in infos}, data, out.whole)
        for info in infos:
            if info.filename not in sheets and not info.filename.endswith((".xml", ".rels",
                                                                           ".vml")):
                continue
            if info.filename in sheets:  # read whole once: the prolog and the far-cell test
                xml = out.whole[info.filename] = _member(zf, data, info)
                # _unsafe_prolog's first look, without wrapping the text in a stream again
                unsafe = _prolog_verdict(xml[:4096])
                if unsafe is None:
                    unsafe = _unsafe_prolog(io.BytesIO(xml))
                if not unsafe and _has_far_ref(xml):
                    out.cut[info.filename] = _FAR_CELL.sub(b"", _FAR_ROW.sub(b"", xml))
            else:
                whole = _read_later(data, info) if info.filename in _READ_LATER else None
                if whole is not None:  # the same first 4 KB _prolog_head would inflate
                    out.whole[info.filename] = whole
                    head = whole[:4096]
                    verdict = _prolog_verdict(head)
                else:
                    head, verdict = _prolog_head(data, info)
                if head is not None and len(head) >= info.file_size:
                    out.whole.setdefault(info.filename, head)  # small: kept for Book.part
                    if verdict is None:
                        verdict = False  # the whole member, and no declaration in it
                if verdict is None:
                    with zf.open(info) as fh:
                        verdict = _unsafe_prolog(fh)
                unsafe = verdict
            if unsafe:
                return _Package(f"unsafe:{info.filename} に DOCTYPE/ENTITY 宣言")
    except Exception as exc:  # a damaged member
        return _Package(f"corrupt:{exc}")
    return out


# parts larger than a prolog head that the reader goes on to read whole for most returned
# forms (the rich runs of はい・いいえ): inflated whole once here rather than 4 KB now and all of
# it again later
_READ_LATER = frozenset({"xl/sharedStrings.xml"})


def _read_later(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A part of 4 KB to 4 MB inflated whole, exactly as :meth:`Book.part` would accept it
    (a plain local header, the full length, the directory's CRC); None otherwise (then the
    prolog head is read as for any part, and Book.part decides later as it always did)."""
    if not 4096 < info.file_size <= 4 * 1024 * 1024 or not _plain_local_header(data, info):
        return None
    got = _head(data, info, info.file_size)
    if got is None or len(got) != info.file_size or zlib.crc32(got) != info.CRC:
        return None
    return got


_COMMENT_OR_PI = re.compile(r"<!--.*?-->|<\?.*?\?>", re.S)
_ROOT_START = re.compile(r"<[A-Za-z_]")
MAX_PROLOG = 1024 * 1024


def _unsafe_prolog(fh: Any) -> bool:
    """True when a part declares a DOCTYPE or ENTITY before its root element.

    A declaration can only stand in the prolog, but the prolog can be padded past any fixed
    head size with comments or whitespace, and a part may be UTF-16: so read until the root
    element starts (usually the first 4 KB), looking at the text outside comments. A megabyte
    of prolog is itself treated as an attack.
    """
    buf = b""
    while len(buf) < MAX_PROLOG:
        chunk = fh.read(4096)
        if not chunk:
            break
        buf += chunk
        verdict = _prolog_verdict(buf)
        if verdict is not None:
            return verdict
    return len(buf) >= MAX_PROLOG


def _prolog_verdict(buf: bytes) -> bool | None:
    """Unsafe (True), safe (False: the root element starts first) or undecided (None)."""
    utf16 = buf[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in buf[:4]
    if not utf16:  # the usual part: declaration, then the root element straight away
        if b"<!DOCTYPE" in buf or b"<!ENTITY" in buf:
            return True
        i = 3 if buf.startswith(b"\xef\xbb\xbf") else 0
        end = buf.find(b"?>", i) if buf.startswith(b"<?xml", i) else i - 2
        if end >= i - 2:
            rest = buf[end + 2:end + 66].lstrip()
            if rest[:1] == b"<" and rest[1:2].isalpha():
                return False
    text = buf.decode("utf-16" if utf16 else "latin-1", errors="ignore")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return True
    if _ROOT_START.search(_COMMENT_OR_PI.sub("", text)):
        return False
    return None


# calamine builds a dense grid from A1 to the farthest cell: one stray value in XFD1048576 of a
# 10 KB file asks for 17 billion cells and aborts the process (not an exception: an abort). So
# before calamine sees a worksheet, rows past 9999 and columns past MAX_COLS are cut out; the
# quick test finds such a reference in microseconds, the cut runs only when it does.
# starts with a literal so the regex engine can jump between candidates; the whitespace before
# ``r=`` (an attribute, not the tail of another name) is checked on the rare hit.
# A far reference is three letters and a digit, two letters from DQ on and a digit, or up to
# two letters and five digits: ``[A-Z]{3}\d|(?:D[Q-Z]|[E-Z][A-Z])\d|[A-Z]{0,2}\d{5}``. Written
# as that same set of strings branched on one character at a time, a near reference (every
# cell of a sheet is a candidate) fails after two or three steps without backtracking: a
# sixth less than the plain alternation on a returned form (tests/test_read_fast.py holds
# the two to the same answers)
_FAR_REF = re.compile(rb'r="(?:\d{5}'
                      rb'|[A-C](?:\d{5}|[A-Z](?:\d{5}|[A-Z]\d))'
                      rb'|D(?:\d{5}|[A-P](?:\d{5}|[A-Z]\d)|[Q-Z][A-Z]?\d)'
                      rb'|[E-Z](?:\d{5}|[A-Z][A-Z]?\d))')


def _has_far_ref(xml: bytes) -> bool:
    return any(xml[m.start() - 1:m.start()] in (b" ", b"\t", b"\n", b"\r")
               for m in _FAR_REF.finditer(xml))
_FAR_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="\d{5,}"[^>]*?(?:/>|>.*?</(?:\w+:)?row>)', re.S)
_FAR_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="(?:[A-Z]{3}\d+|(?:D[Q-Z]|[E-Z][A-Z])\d+|'
                       rb'[A-Z]{1,2}\d{5,})"[^>]*?(?:/>|>.*?</(?:\w+:)?c>)', re.S)


def _rezip(zf: zipfile.ZipFile, cut: dict[str, bytes]) -> bytes:
    """The package again with some parts replaced (only for worksheets with far cells)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zo:
        for info in zf.infolist():
            zo.writestr(info.filename, cut.get(info.filename) or zf.read(info))
    return out.getvalue()


def _read_regular(path: str) -> tuple[bytes, float] | None:
    """(the bytes, the modification time) of a regular file; None for anything else (a
    folder, a pipe, a socket, a device: looked at with stat, never opened). The bytes come
    through one descriptor opened without blocking (should the file have turned into a pipe
    since the stat) and read to the end: half of pathlib's buffered read. Raises OSError as
    stat and read_bytes did (a missing file, a broken link, no permission)."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        return None
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        chunks = [os.read(fd, st.st_size + 1)]
        while chunks[-1]:  # to the end, as read_bytes reads (a file may still be growing)
            chunks.append(os.read(fd, 1 << 20))
    finally:
        os.close(fd)
    return (chunks[0] if len(chunks) == 2 else b"".join(chunks)), st.st_mtime


def read_book(path: str | Path, passwords: list[str] | None = None,
              data: bytes | None = None) -> Book:
    """Open any Excel-family file; never raises for bad input."""
    path = str(path)
    where = Path(path)  # made once: name, suffix and the read all use it
    name = where.name
    if name.startswith("~$"):
        return _bad("read.lock_file", path)
    mtime: float | None = None
    if data is None:
        try:
            got = _read_regular(path)
            if got is None:
                return _bad("read.vanished", path, "通常のファイルではありません")
            data, mtime = got  # the date from the same look: no second stat
        except OSError as exc:
            return _bad("read.vanished", path, f"{type(exc).__name__}: {exc.strerror or exc}")
    sha = hashlib.sha256(data).hexdigest()
    try:
        modified = _mtime(path, mtime)
    except OSError:
        modified = ""
    if not data:
        return _bad("read.empty", path, "0 バイト", sha256=sha)
    kind = sniff_kind(data, where.suffix.lower())
    problems: list[P.Problem] = []
    if kind == "ole" and _ole_is_encrypted(data):
        plain, which = decrypt(data, passwords or [])
        if plain is None:
            b = (_bad("read.wrong_password", path, f"{len(passwords)} 個", sha256=sha)
                 if passwords else _bad("read.encrypted", path, sha256=sha))
            b.sha256 = sha
            return b
        problems.append(P.make("read.decrypted", path=path, detail=f"{which + 1} 番目"))
        data = plain
        kind = sniff_kind(data, ".xlsx")
    if kind == "":
        b = _bad("read.not_excel", path, _describe_non_excel(data))
        b.sha256 = sha
        return b
    pkg = _Package()
    if kind in ("zip", "ods", "xlsb"):
        pkg = _check_package(data)
        if pkg.error:
            code, _, detail = pkg.error.partition(":")
            code = {"corrupt": "read.corrupt", "too_large": "read.too_large",
                    "unsafe": "read.unsafe_xml"}[code]
            b = _bad(code, path, detail)
            b.sha256 = sha
            return b
    cropped: frozenset[str] = frozenset()
    if kind == "zip":
        kind = "xlsx"
        if pkg.cut and pkg.zf is not None:
            data, cropped, pkg.zf = _rezip(pkg.zf, pkg.cut), frozenset(pkg.cut), None
    elif kind == "ole":
        kind = "xls"
    book = Book(path=path, sha256=sha, kind=kind, sheets=[], problems=problems, data=data,
                modified=modified, cropped=cropped,
                _zip=pkg.zf if kind == "xlsx" else None,
                _parts={**pkg.whole, **pkg.cut} if kind == "xlsx" else {})
    try:
        _load_values(book)
    except Exception as exc:  # calamine refused the file
        book.problems.append(_calamine_problem(path, exc))
    return book


def _mtime(path: str, ts: float | None = None) -> str:
    import datetime as dt

    if ts is None:
        ts = Path(path).stat().st_mtime
    return dt.datetime.fromtimestamp(ts).isoformat(timespec="seconds")


def _calamine_problem(path: str, exc: Exception) -> P.Problem:
    text = f"{type(exc).__name__}: {exc}"[:300]
    if "password" in text.lower() or "encrypt" in text.lower():
        return P.make("read.encrypted", path=path, detail=text)
    if not path.lower().endswith(EXCEL_SUFFIXES):
        return P.make("read.not_excel", path=path, detail=text)
    return P.make("read.corrupt", path=path, detail=text)


def _load_values(book: Book) -> None:
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(book.data))
    parts = _sheet_parts(book) if book.kind == "xlsx" else {}
    for index, meta in enumerate(wb.sheets_metadata):
        if str(meta.typ) not in ("SheetTypeEnum.WorkSheet", "WorkSheet"):
            continue  # chart sheets and macro sheets hold no answers
        sh = wb.get_sheet_by_index(index)
        total = sh.total_height if hasattr(sh, "total_height") else sh.height
        rows = sh.to_python(skip_empty_area=False, nrows=MAX_ROWS)
        truncated = (total or 0) > MAX_ROWS or parts.get(meta.name) in book.cropped
        if rows and max(map(len, rows)) > MAX_COLS:
            rows = [r[:MAX_COLS] for r in rows]
        merged = list(starmap(add, sh.merged_cell_ranges or ()))  # (r0, c0) + (r1, c1)
        if not merged and book.kind == "ods":  # calamine gives no merged cells for .ods
            merged = _ods_merges(book).get(meta.name, [])
        sheet = Sheet(name=meta.name, index=index, rows=rows, merged=merged, truncated=truncated,
                      part=parts.get(meta.name), book=book)
        if truncated:
            book.problems.append(P.make("read.truncated", path=book.path, sheet=meta.name,
                                        detail=str(MAX_ROWS)))
        book.sheets.append(sheet)


# --------------------------------------------------------------------------------------------
# side data from the package (xlsx only)


def _parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, SAFE_PARSER)


def _sheet_parts(book: Book) -> dict[str, str]:
    """Sheet name -> worksheet part path, from workbook.xml and its relationships."""
    wb = book.part("xl/workbook.xml")
    rels = book.part("xl/_rels/workbook.xml.rels")
    if wb is None or rels is None:
        return {}
    key = (wb, rels)
    quick = _SHEET_PARTS.get(key)
    if quick is None:
        quick = _sheet_parts_quick(wb, rels)
        if quick is not None and len(wb) + len(rels) <= 128 * 1024:
            if len(_SHEET_PARTS) >= 256:
                del _SHEET_PARTS[next(iter(_SHEET_PARTS))]
            _SHEET_PARTS[key] = quick
    if quick is not None:
        return dict(quick)
    targets = {}
    for rel in _parse(rels).iter(f"{{{NS_PKG_REL}}}Relationship"):
        targets[rel.get("Id")] = resolve_target("xl/workbook.xml", rel.get("Target", ""))
    out = {}
    for s in _parse(wb).iter(f"{{{NS_MAIN}}}sheet"):
        rid = s.get(f"{{{NS_REL}}}id")
        if rid in targets:
            out[s.get("name")] = targets[rid]
    return out


_TAG_SHEET = re.compile(rb"<(?:\w+:)?sheet\s([^>]*)>")
_TAG_REL = re.compile(rb"<(?:\w+:)?Relationship\s([^>]*)>")
_ATTR = re.compile(rb'([\w:.-]+)\s*=\s*"([^"]*)"')


_SHEET_PARTS: dict[tuple[bytes, bytes], dict[str, str]] = {}


def _sheet_parts_quick(wb: bytes, rels: bytes) -> dict[str, str] | None:
    """:func:`_sheet_parts` by a byte scan of the two small parts (a tenth of parsing them).

    Only for the plain markup writers produce (double-quoted attributes, the id attribute
    prefixed ``r:``); None, and the parser decides, for anything else.
    """
    targets = _rel_targets(rels)
    if targets is None:
        return None
    out = {}
    for m in _TAG_SHEET.finditer(wb):
        a = dict(_ATTR.findall(m.group(1)))
        if b"name" not in a or b"r:id" not in a or b"'" in m.group(1):
            return None
        rid = a[b"r:id"].decode("utf-8", "replace")
        if rid in targets:
            out[html.unescape(a[b"name"].decode("utf-8", "replace"))] = targets[rid]
    return out or None


# workbook.xml.rels -> relationship id -> resolved target (None: not the plain markup). The
# relationships repeat across a batch's files far more than workbook.xml (it carries the
# sheet names people type); at most 256 of at most 64 KB, the oldest dropped first
_REL_TARGETS: dict[bytes, dict[str, str] | None] = {}


def _rel_targets(rels: bytes) -> dict[str, str] | None:
    """Relationship id -> target of workbook.xml.rels read by a byte scan (the markup
    :func:`_sheet_parts_quick` takes), remembered; None for anything else."""
    if rels in _REL_TARGETS:
        return _REL_TARGETS[rels]
    targets: dict[str, str] | None = {}
    for m in _TAG_REL.finditer(rels):
        a = dict(_ATTR.findall(m.group(1)))
        if b"Id" not in a or b"Target" not in a or b"'" in m.group(1):
            targets = None
            break
        t = html.unescape(a[b"Target"].decode("utf-8", "replace"))
        targets[a[b"Id"].decode("utf-8", "replace")] = resolve_target("xl/workbook.xml", t)
    if len(rels) <= 64 * 1024:
        if len(_REL_TARGETS) >= 256:
            del _REL_TARGETS[next(iter(_REL_TARGETS))]
        _REL_TARGETS[rels] = targets
    return targets


def _runs_of(si: etree._Element) -> list[Run]:
    runs = []
    for r in si.findall(f"{{{NS_MAIN}}}r"):
        t = "".join(x.text or "" for x in r.findall(f"{{{NS_MAIN}}}t"))
        rpr = r.find(f"{{{NS_MAIN}}}rPr")
        strike = bold = underline = False
        color = ""
        if rpr is not None:
            s = rpr.find(f"{{{NS_MAIN}}}strike")
            strike = s is not None and s.get("val", "1") not in ("0", "false")
            b = rpr.find(f"{{{NS_MAIN}}}b")
            bold = b is not None and b.get("val", "1") not in ("0", "false")
            u = rpr.find(f"{{{NS_MAIN}}}u")
            underline = u is not None and u.get("val", "single") != "none"
            c = rpr.find(f"{{{NS_MAIN}}}color")
            if c is not None:
                color = c.get("rgb") or f"theme{c.get('theme', '')}"
        runs.append(Run(t, strike, color, bold, underline))
    return runs


# The rich string Excel and the common writers produce: runs of <rPr> with self-closing
# properties and one <t> each, then perhaps phonetic runs. Anything else (entities, CDATA,
# prefixes, whitespace between tags, carriage returns, a property with children) does not
# match and goes to the parser, which also reports what is not well-formed.
_VALUE = rb'="[^"<&\t\n]*"'
_PROP = rb"<[A-Za-z]+(?: [A-Za-z]+" + _VALUE + rb")*/>"
_TEXT = rb'<t(?: xml:space="preserve")?>[^<&]*</t>'
_RUN = re.compile(rb"<r>(?:<rPr>((?:" + _PROP + rb")*)</rPr>)?" + _TEXT.replace(
    b"[^<&]*", b"([^<&]*)") + b"</r>")
_RICH_BODY = re.compile(rb"(?:<r>(?:<rPr>(?:" + _PROP + rb")*</rPr>)?" + _TEXT + rb"</r>)+"
                        rb'(?:<rPh sb="[0-9]+" eb="[0-9]+">' + _TEXT + rb"</rPh>)*"
                        rb'(?:<phoneticPr fontId="[0-9]+"(?: type="[A-Za-z]+")?'
                        rb'(?: alignment="[A-Za-z]+")?/>)?')
_PROP_PARTS = re.compile(rb"<([A-Za-z]+)((?: [A-Za-z]+" + _VALUE + rb")*)/>")
_NOT_XML_TEXT = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\r]|]]>|\xef\xbf[\xbe\xbf]")


def _plain_runs(body: bytes) -> list[Run] | None:
    """:func:`_runs_of` for a shared string in the plain markup, read by a byte scan (a
    tenth of parsing it); None when the markup is anything else."""
    if _RICH_BODY.fullmatch(body) is None or _NOT_XML_TEXT.search(body) is not None:
        return None
    try:
        body.decode()
    except UnicodeDecodeError:
        return None  # the parser refuses it (and says so)
    runs = []
    for m in _RUN.finditer(body):
        rpr = m.group(1) or b""
        marks = _RPR_SEEN.get(rpr)
        if marks is None:
            marks = _rpr_marks(rpr)
            if marks is None:
                return None
            if len(rpr) <= 1024:  # bounded: at most a thousand of at most a kilobyte
                if len(_RPR_SEEN) >= 1024:
                    _RPR_SEEN.clear()
                _RPR_SEEN[rpr] = marks
        strike, color, bold, underline = marks
        runs.append(Run(m.group(2).decode(), strike, color, bold, underline))
    return runs


# a run's properties (the bytes inside <rPr>) -> (strike, colour, bold, underline): a string's
# runs share a few fonts, and a returned form its template's
_RPR_SEEN: dict[bytes, tuple[bool, str, bool, bool]] = {}


def _rpr_marks(rpr: bytes) -> tuple[bool, str, bool, bool] | None:
    """What :func:`_runs_of` reads from one plain ``<rPr>``; None when an attribute is given
    twice (not well-formed: the parser reports it)."""
    props: dict[bytes, dict[bytes, bytes]] = {}
    for name, attrs in _PROP_PARTS.findall(rpr):
        pairs = _ATTR.findall(attrs)
        a = dict(pairs)
        if len(a) != len(pairs):
            return None
        props.setdefault(name, a)
    s, b, u, c = (props.get(k) for k in (b"strike", b"b", b"u", b"color"))
    color = ""
    if c is not None:
        color = (c.get(b"rgb") or b"").decode() or f"theme{c.get(b'theme', b'').decode()}"
    return (s is not None and s.get(b"val", b"1") not in (b"0", b"false"), color,
            b is not None and b.get(b"val", b"1") not in (b"0", b"false"),
            u is not None and u.get(b"val", b"single") != b"none")


def _interesting(runs: list[Run]) -> bool:
    """Runs matter only when they differ in a way a person uses to mark one word."""
    if len(runs) < 2:
        return False
    return len({(r.strike, r.color, r.bold, r.underline) for r in runs if r.text.strip()}) > 1


# Runs only ever decide a cell that prints both answer words (one struck, one kept), so only
# shared strings holding both are looked at; the rest of the package's rich text is not parsed.
RUN_WORDS = ("はい".encode(), "いいえ".encode())
# one <si> and its body: the body up to the first </si>, written as an unrolled loop (a run of
# non-"<" bytes, then a "<" that does not start "</si>", ...) rather than a lazy ``.*?``, which
# tries "</si>" at every byte: the same matches (tests/test_read_fast.py), a third of the time.
# No possessive quantifiers (Python 3.11+): each loop's pieces split a text one way only, so
# plain greedy ones give the same matches without runaway backtracking
_SI = re.compile(rb"<si\b[^>]*?(?:/>|>([^<]*(?:<(?!/si>)[^<]*)*)</si>)")


def _shared_runs(book: Book) -> dict[int, list[Run]]:
    if book._shared_runs is None:
        book._shared_runs = {}
        data = book.part("xl/sharedStrings.xml")
        if data and (b"<r>" in data or b"<r " in data) and all(w in data for w in RUN_WORDS):
            if b"<si" in data:
                for n, m in enumerate(_SI.finditer(data)):
                    body = m.group(1) or b""
                    if (b"<r>" in body or b"<r " in body) and all(w in body for w in RUN_WORDS):
                        runs = _si_runs(body)
                        if runs is not None:
                            book._shared_runs[n] = runs
            else:  # prefixed markup (<x:si>): the parser copes
                root = _parse(data)
                for n, si in enumerate(root.iterfind(f"{{{NS_MAIN}}}si")):
                    if si.find(f"{{{NS_MAIN}}}r") is not None:
                        runs = _runs_of(si)
                        if _interesting(runs):
                            book._shared_runs[n] = runs
    return book._shared_runs


# a shared string's body -> its runs' fields when they are interesting, else None. A returned
# form keeps its template's はい・いいえ strings byte for byte (one word struck, or the other):
# each is read once. At most 1024 bodies of at most 4 KB, then it starts afresh
_SI_SEEN: dict[bytes, tuple[tuple[str, bool, str, bool, bool], ...] | None] = {}


def _si_runs(body: bytes) -> list[Run] | None:
    """The runs of one shared string's body when :func:`_interesting`, else None (fresh
    :class:`Run` objects each time: a book's runs are its own)."""
    got = _SI_SEEN.get(body, False)
    if got is False:
        runs = _plain_runs(body)
        if runs is None:  # not the plain markup: the parser decides (and raises if it must)
            runs = _runs_of(_parse(_with_ns(b"<si>" + body + b"</si>"))[0])
        got = tuple((r.text, r.strike, r.color, r.bold, r.underline) for r in runs) \
            if _interesting(runs) else None
        if len(body) <= 4096:
            if len(_SI_SEEN) >= 1024:
                _SI_SEEN.clear()
            _SI_SEEN[body] = got
    return None if got is None else [Run(*f) for f in got]


def _read_rich_runs(sheet: Sheet) -> dict[Cell, list[Run]]:
    book = sheet.book
    if book is not None and book.kind == "ods":
        return _ods_runs(book).get(sheet.name, {})
    if book is not None and book.kind == "xls":
        return _xls_runs(book).get(sheet.name, {})
    if book is None or sheet.part is None:
        return {}
    shared = _shared_runs(book)
    data = book.part(sheet.part)
    if data is None:
        return {}
    inline = b"inlineStr" in data  # one scan of the sheet, asked twice
    if not shared and not inline:
        return {}
    if not inline:
        found = _shared_run_cells(data, shared)
        if found is not None:
            return found
    out: dict[Cell, list[Run]] = {}
    for _, c in etree.iterparse(io.BytesIO(data), tag=f"{{{NS_MAIN}}}c",
                                resolve_entities=False, no_network=True):
        t = c.get("t")
        if t == "s" and shared:
            v = c.find(f"{{{NS_MAIN}}}v")
            if v is not None and v.text and int(v.text) in shared:
                out[parse_ref(c.get("r"))] = shared[int(v.text)]
        elif t == "inlineStr":
            is_ = c.find(f"{{{NS_MAIN}}}is")
            if is_ is not None:
                runs = _runs_of(is_)
                if _interesting(runs):
                    out[parse_ref(c.get("r"))] = runs
        c.clear()
    return out


_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3}[0-9]{1,7})"')
_SHARED_TYPE = re.compile(rb'\st="s"')


def _shared_run_cells(data: bytes, shared: dict[int, list[Run]]) -> dict[Cell, list[Run]] | None:
    """Cells holding the few shared strings with marked runs, found by a byte search.

    Parsing the whole worksheet to find three cells cost more than reading every answer. Each
    ``<v>n</v>`` of an interesting string is traced back to its ``<c …>`` start tag. Only for
    the unprefixed markup every common writer produces; None (use the parser) otherwise.
    """
    if b"<c r=" not in data or b':c r="' in data:
        return None
    out: dict[Cell, list[Run]] = {}
    for n, runs in shared.items():
        needle = b"<v>%d</v>" % n
        i = data.find(needle)
        while i >= 0:
            start = data.rfind(b"<c ", 0, i)
            if start < 0:
                return None
            tag_end = data.find(b">", start, i)
            between = data[tag_end:i]
            tag = data[start:tag_end]
            if tag_end < 0 or tag.endswith(b"/") or b"</c>" in between:
                return None  # not the shape we expect: let the parser decide
            if _SHARED_TYPE.search(tag):
                ref = _CELL_REF.search(tag)
                if ref is None:
                    return None
                out[parse_ref(ref.group(1).decode())] = runs
            i = data.find(needle, i + len(needle))
    return out


# a block's body is matched as an unrolled loop (non-"<" bytes, then a "<" that does not close
# the block, ...), not a lazy ``.*?`` that tries the closing tag at every byte: the same
# matches (tests/test_read_fast.py holds them to the lazy forms they replaced), a third the time
_X14_DV = re.compile(rb"<(?:\w+:)?dataValidations\b[^>]*>"
                     rb"[^<]*(?:<(?!/(?:\w+:)?dataValidations>)[^<]*)*"
                     rb"</(?:\w+:)?dataValidations>")


def _read_validations(sheet: Sheet) -> list[Validation]:
    """Data validations of a sheet, both the classic block and the x14 extension form."""
    book = sheet.book
    if book is None or sheet.part is None:
        return []
    data = book.part(sheet.part)
    mention = data.find(b"ataValidation") if data else -1
    if mention < 0:
        return []
    out: list[Validation] = []
    # a block can only start at the "<" before the first "dataValidations" (which cannot
    # start before the first "ataValidation" less one): the scan starts there rather than
    # trying the pattern at each of the sheet's thousands of tags
    first = data.find(b"dataValidations", max(mention - 1, 0))
    for block in _X14_DV.findall(data, max(data.rfind(b"<", 0, first), 0)) if first >= 0 else ():
        quick = _plain_validations(block)
        if quick is not None:
            out += quick
            continue
        try:
            root = _parse(_with_ns(block))
        except etree.XMLSyntaxError:
            continue
        for dv in root.iter():
            if not isinstance(dv.tag, str) or not dv.tag.endswith("}dataValidation"):
                continue
            sqref = dv.get("sqref") or ""
            formula = ""
            for child in dv.iter():
                if isinstance(child.tag, str) and child.tag.endswith("}sqref") and child.text:
                    sqref = child.text
                if isinstance(child.tag, str) and child.tag.endswith("}formula1"):
                    formula = "".join(child.itertext())
            cells = []
            for rng in sqref.split():
                try:
                    cells.append(parse_range(rng))
                except ValueError:
                    continue
            out.append(Validation(dv.get("type", ""), cells, formula))
    return out


# the element the same way: its attributes as everything up to the first ">" but a "/" just
# before it (what the lazy ``[^>]*?`` stopped at), its body as an unrolled loop
_DV_PLAIN = re.compile(rb"<dataValidation\s([^>/]*(?:/(?!>)[^>/]*)*)(?:/>|>"
                       rb"([^<]*(?:<(?!/dataValidation>)[^<]*)*)</dataValidation>)")
_FORMULA1 = re.compile(rb"<formula1>(.*?)</formula1>", re.S)


def _plain_validations(block: bytes) -> list[Validation] | None:
    """A classic, unprefixed ``<dataValidations>`` block read by a byte scan (what Excel,
    LibreOffice and the common writers produce); None for anything else (the parser reads it).

    Each ``<dataValidation>`` is read once per distinct markup and remembered: a returned form
    keeps its template's dozens of dropdowns byte for byte, so most are seen before."""
    if b"x14:" in block or b"xm:" in block or b"<![CDATA[" in block or b"'" in block:
        return None
    out = []
    seen = _DV_SEEN
    for m in _DV_PLAIN.finditer(block):
        key = m.group(0)
        got = seen.get(key)
        if got is None:
            got = _plain_validation(m)
            if len(key) <= 2048:  # bounded: at most 4096 of at most 2 KB
                if len(seen) >= 4096:
                    seen.clear()
                seen[key] = got
        out.append(Validation(got[0], list(got[1]), got[2]))
    return out if out or b"<dataValidation " not in block else None


# one <dataValidation> element's markup -> (kind, cell ranges, formula); bounded, per process
_DV_SEEN: dict[bytes, tuple[str, tuple[tuple[int, int, int, int], ...], str]] = {}


def _plain_validation(m: re.Match[bytes]) -> tuple[str, tuple[tuple[int, int, int, int], ...], str]:
    """One ``<dataValidation>`` matched by :data:`_DV_PLAIN`: (kind, ranges, formula)."""
    a = dict(_ATTR.findall(m.group(1)))
    f = _FORMULA1.search(m.group(2) or b"")
    cells = []
    for rng in a.get(b"sqref", b"").decode("ascii", "replace").split():
        try:
            cells.append(parse_range(rng))
        except ValueError:
            continue
    formula = html.unescape(f.group(1).decode("utf-8", "replace")) if f else ""
    return a.get(b"type", b"").decode("ascii", "replace"), tuple(cells), formula


def _with_ns(block: bytes) -> bytes:
    """Wrap a cut-out XML block so its prefixes resolve."""
    return (b'<root xmlns="' + NS_MAIN.encode() + b'" '
            b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
            b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" '
            b'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            b'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
            b'xmlns:r="' + NS_REL.encode() + b'">' + block + b"</root>")


NS_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
NS_ODS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
NS_ODS_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"


def _ods_root(book: Book) -> etree._Element | None:
    """content.xml of an .ods package, parsed once (merges and struck words both need it)."""
    if book._ods_root is None:
        data = book.part("content.xml")
        try:
            book._ods_root = _parse(data) if data else False
        except etree.XMLSyntaxError:
            book._ods_root = False
    return book._ods_root if book._ods_root is not False else None


def _ods_merges(book: Book) -> dict[str, list[tuple[int, int, int, int]]]:
    """Merged cells of every sheet of an .ods file (``table:number-columns-spanned`` and
    ``-rows-spanned``), 0-based inclusive, in calamine's grid (A1 at row 0, column 0).

    calamine reads no merges from .ods: without them a ``2回目`` group header spanning three
    columns would be taken as one column and its 目標日 column lost.
    """
    data = book.part("content.xml")
    if not data or b"-spanned=" not in data:
        return {}
    root = _ods_root(book)
    if root is None:
        return {}
    t = NS_ODS_TABLE
    span_c, span_r = f"{{{t}}}number-columns-spanned", f"{{{t}}}number-rows-spanned"
    out: dict[str, list[tuple[int, int, int, int]]] = {}
    for table in root.iter(f"{{{t}}}table"):
        merges: list[tuple[int, int, int, int]] = []
        for r, c, cell in _ods_cells(table):
            cs, rs = int(cell.get(span_c, "1")), int(cell.get(span_r, "1"))
            if (cs > 1 or rs > 1) and c < MAX_COLS:
                merges.append((r, c, r + rs - 1, c + cs - 1))
        out[table.get(f"{{{t}}}name", "")] = merges
    return out


def _ods_cells(table: etree._Element) -> Iterator[tuple[int, int, etree._Element]]:
    """Every cell element of an ODS table with its 0-based row and column, the repeat counts
    (``number-rows-repeated`` / ``number-columns-repeated``) folded into the positions."""
    t = NS_ODS_TABLE
    rep_c, rep_r = f"{{{t}}}number-columns-repeated", f"{{{t}}}number-rows-repeated"
    r = 0
    for row in table.iter(f"{{{t}}}table-row"):
        c = 0
        for cell in row:
            if not isinstance(cell.tag, str):
                continue
            yield r, c, cell
            c += int(cell.get(rep_c, "1"))
        r += int(row.get(rep_r, "1"))
        if r > MAX_ROWS:
            return


# OBJ record object types that draw a mark: line, rectangle, oval, arc, text box, polygon,
# check box, option button, Office Art shape (comments 0x19, charts, pictures, dropdown arrows
# of filters are not marks)
_XLS_SHAPE_TYPES = frozenset({0x01, 0x02, 0x03, 0x04, 0x06, 0x09, 0x0B, 0x0C, 0x1E})


def _xls_shape_sheets(book: Book) -> set[str]:
    """Names of the .xls worksheets holding drawn shapes (OBJ records in their substreams)."""
    if book._xls_shapes is None:
        book._xls_shapes = set()
        try:
            from xlrd import compdoc

            with open(os.devnull, "w") as quiet:
                stream = compdoc.CompDoc(book.data, logfile=quiet).get_named_stream("Workbook")
            if stream:
                book._xls_shapes = _biff_shape_sheets(stream)
        except Exception:  # not a BIFF8 workbook xlrd can open: nothing known, nothing said
            pass
    return book._xls_shapes


def _biff_records(stream: bytes, pos: int):  # noqa: ANN202 - a small generator
    while pos + 4 <= len(stream):
        rtype, size = struct.unpack_from("<HH", stream, pos)
        yield rtype, stream[pos + 4:pos + 4 + size]
        if rtype == 0x000A:  # EOF of this substream
            return
        pos += 4 + size


def _biff_shape_sheets(stream: bytes) -> set[str]:
    sheets: list[tuple[int, str]] = []
    for rtype, body in _biff_records(stream, 0):
        if rtype == 0x0085 and len(body) >= 8:  # BOUNDSHEET: substream offset and name
            pos, cch, high = struct.unpack_from("<I", body)[0], body[6], body[7] & 1
            raw = body[8:8 + cch * (2 if high else 1)]
            sheets.append((pos, raw.decode("utf-16-le" if high else "latin-1", "replace")))
    out = set()
    for pos, name in sheets:
        for rtype, body in _biff_records(stream, pos):
            if rtype == 0x005D and body[:2] == b"\x15\x00" and len(body) >= 6 and \
                    struct.unpack_from("<H", body, 4)[0] in _XLS_SHAPE_TYPES:
                out.add(name)
                break
    return out


_ODS_SHAPES = ("ellipse", "circle", "rect", "line", "polyline", "polygon", "path",
               "custom-shape", "control", "connector")
NS_ODS_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"


def _ods_shape_sheets(book: Book) -> set[str]:
    """Names of the .ods sheets holding drawn shapes, text boxes or form controls."""
    data = book.part("content.xml")
    if not data or b"<draw:" not in data:
        return set()
    root = _ods_root(book)
    if root is None:
        return set()
    tags = {f"{{{NS_ODS_DRAW}}}{t}" for t in _ODS_SHAPES}
    out = set()
    for table in root.iter(f"{{{NS_ODS_TABLE}}}table"):
        for el in table.iter(f"{{{NS_ODS_DRAW}}}*"):
            if el.tag in tags or (el.tag == f"{{{NS_ODS_DRAW}}}frame" and
                                  el.find(f"{{{NS_ODS_DRAW}}}text-box") is not None):
                out.add(table.get(f"{{{NS_ODS_TABLE}}}name", ""))
                break
    return out


def _xls_runs(book: Book) -> dict[str, dict[Cell, list[Run]]]:
    """Rich-text runs of an .xls file's cells that print both answer words.

    BIFF8 keeps formatting runs per shared string and the struck-out flag per font; xlrd
    (``formatting_info=True``) exposes both. Read once per book, only when the decoder asks
    about a cell printing both はい and いいえ.
    """
    if book._xls_runs is not None:
        return book._xls_runs
    out: dict[str, dict[Cell, list[Run]]] = {}
    book._xls_runs = out
    try:
        import xlrd

        wb = xlrd.open_workbook(file_contents=book.data, formatting_info=True, on_demand=True,
                                logfile=open(os.devnull, "w"))  # noqa: SIM115
    except Exception:  # not readable by xlrd (BIFF5, damaged): no runs, the words stay printed
        return out
    try:
        fonts = wb.font_list
        for name in wb.sheet_names():
            sh = wb.sheet_by_name(name)
            cells: dict[Cell, list[Run]] = {}
            for (r, c), runlist in sh.rich_text_runlist_map.items():
                text = sh.cell_value(r, c)
                if not isinstance(text, str) or not all(w.decode() in text for w in RUN_WORDS):
                    continue
                base = wb.xf_list[sh.cell_xf_index(r, c)].font_index
                runs = _xls_cell_runs(text, base, runlist, fonts)
                if _interesting(runs):
                    cells[(r, c)] = runs
            out[name] = cells
            wb.unload_sheet(name)
    except Exception:  # a damaged formatting record: keep what was read
        pass
    finally:
        wb.release_resources()
    return out


# black and the system text colours: written differently by different programs, all "no colour"
_XLS_DEFAULT_COLOURS = frozenset({None, 0, 8, 64, 0x7FFF})


def _xls_cell_runs(text: str, base_font: int, runlist: list[tuple[int, int]],
                   fonts: list[Any]) -> list[Run]:
    """Runs of one BIFF8 string: (first character, font) pairs; text before the first pair is
    in the cell's own font."""
    bounds = [(0, base_font)] + [(pos, f) for pos, f in sorted(runlist) if pos > 0]
    if runlist and min(pos for pos, _f in runlist) == 0:
        bounds[0] = (0, next(f for pos, f in sorted(runlist) if pos == 0))
    out = []
    for n, (pos, f) in enumerate(bounds):
        end = bounds[n + 1][0] if n + 1 < len(bounds) else len(text)
        if end <= pos:
            continue
        font = fonts[f] if 0 <= f < len(fonts) else None
        colour = getattr(font, "colour_index", None)
        out.append(Run(text[pos:end], strike=bool(getattr(font, "struck_out", 0)),
                       color="" if colour in _XLS_DEFAULT_COLOURS else str(colour),
                       bold=bool(getattr(font, "bold", 0)),
                       underline=bool(getattr(font, "underline_type", 0))))
    return out


def _ods_runs(book: Book) -> dict[str, dict[Cell, list[Run]]]:
    """Struck-through words in an .ods file (LibreOffice keeps them as styled text spans)."""
    cached = getattr(book, "_ods_cache", None)
    if cached is not None:
        return cached
    out: dict[str, dict[Cell, list[Run]]] = {}
    book._ods_cache = out  # type: ignore[attr-defined]
    data = book.part("content.xml")
    if not data or b"line-through" not in data:
        return out
    root = _ods_root(book)
    if root is None:
        return out
    struck = set()
    for st in root.iter(f"{{{NS_ODS_STYLE}}}style"):
        props = st.find(f"{{{NS_ODS_STYLE}}}text-properties")
        if props is None:
            continue
        line_style = props.get(f"{{{NS_ODS_STYLE}}}text-line-through-style", "none")
        line_type = props.get(f"{{{NS_ODS_STYLE}}}text-line-through-type", "none")
        if line_style != "none" or line_type != "none":
            struck.add(st.get(f"{{{NS_ODS_STYLE}}}name"))
    if not struck:
        return out
    for table in root.iter(f"{{{NS_ODS_TABLE}}}table"):
        cells: dict[Cell, list[Run]] = {}
        for r, c, cell in _ods_cells(table):
            runs = _ods_cell_runs(cell, struck)
            if runs and _interesting(runs):
                cells[(r, c)] = runs
        out[table.get(f"{{{NS_ODS_TABLE}}}name", "")] = cells
    return out


def _ods_cell_runs(cell: etree._Element, struck: set[str]) -> list[Run]:
    runs: list[Run] = []
    for n, p in enumerate(cell.iterfind(f"{{{NS_ODS_TEXT}}}p")):
        if n:
            runs.append(Run("\n"))
        if p.text:
            runs.append(Run(p.text))
        for child in p:
            if not isinstance(child.tag, str):
                continue
            style = child.get(f"{{{NS_ODS_TEXT}}}style-name", "")
            text = "".join(child.itertext())
            if text:
                runs.append(Run(text, strike=style in struck))
            if child.tail:
                runs.append(Run(child.tail))
    return runs
