"""Uploads into a job's private folder: streamed, capped, and never named by the sender.

Every file the page receives -- a part of the multipart body or a member of an uploaded
``.zip`` -- gets its path from one function, :meth:`Inbox.allocate`: a counter and a known
suffix (``u00001.xlsx``). The name the user sees (``受領/さくら病院.xlsx``) is kept only as
data beside it. So no upload can name a path outside the job folder, overwrite another upload,
or carry a device name; traversal in a zip member is still refused with a message, because a
member named ``../x`` means the archive was made to attack.

Caps (:class:`Limits`) are counted on the bytes actually written, not on sizes the sender
declares: per file, per job (uploads and unpacked members together), files per job, members
per zip. Workbooks (xlsx, ods: zip packages themselves) are stored as they came and never
unpacked here; only a file uploaded as ``.zip`` is an archive of submissions.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from xltools.web.guards import size_text

# suffixes kept on a stored file (the readers and the roster loader go by them); others are
# stored without one and reported by the reader as not a workbook
KEPT_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".zip", ".xltx",
                           ".xltm", ".xlsb", ".pdf", ".docx", ".doc"})
TEXT_FIELD_MAX = 64 * 1024


class UploadRefused(Exception):
    """An upload the page will not take; ``message`` is one Japanese sentence for the user."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Limits:
    """Caps on one job's uploads (bytes actually written, counted as they arrive)."""

    file_bytes: int = 100 * 1024 * 1024
    job_bytes: int = 1024 * 1024 * 1024
    files: int = 5000
    zip_members: int = 5000
    min_free_disk: int = 256 * 1024 * 1024

    @property
    def body_bytes(self) -> int:
        """The Content-Length refused before reading: the job cap plus multipart overhead."""
        return self.job_bytes + 8 * 1024 * 1024 + self.files * 1024


@dataclass
class Upload:
    """One stored input: the path we chose, the name the user gave (data only), its field."""

    path: Path
    name: str
    field: str
    size: int = 0


@dataclass
class Inbox:
    """A job's input folder and the one function that turns a user's name into a path."""

    root: Path
    limits: Limits
    uploads: list[Upload] = field(default_factory=list)
    total: int = 0
    _n: int = 0

    def __post_init__(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def allocate(self, display: str, field_name: str) -> Upload:
        """A new, unused path in the job folder for an input the user calls ``display``.

        Only the suffix (from a fixed list) and an Excel lock-file prefix survive from the
        user's name, so the reader treats the file as the CLI would treat the original.
        """
        if len(self.uploads) >= self.limits.files:
            raise UploadRefused(f"ファイルが多すぎます（1回に {self.limits.files} 件まで）。"
                                "フォルダを分けて送ってください。", 413)
        self._n += 1
        base = PurePosixPath(display.replace("\\", "/")).name
        suffix = PurePosixPath(base).suffix.lower()
        suffix = suffix if suffix in KEPT_SUFFIXES else ""
        prefix = "~$" if base.startswith("~$") else ""
        up = Upload(self.root / f"{prefix}u{self._n:05d}{suffix}", display, field_name)
        self.uploads.append(up)
        return up

    def count(self, up: Upload, n: int) -> None:
        """Add ``n`` written bytes to ``up`` and the job; refuse past either cap."""
        up.size += n
        self.total += n
        if up.size > self.limits.file_bytes:
            raise UploadRefused(f"「{up.name}」が大きすぎます（1ファイル {size_text(self.limits.file_bytes)}"
                                " まで）。", 413)
        if self.total > self.limits.job_bytes:
            raise UploadRefused(f"送信されたファイルの合計が大きすぎます（1回に "
                                f"{size_text(self.limits.job_bytes)} まで）。フォルダを分けて送ってください。",
                                413)

    def arrange(self, field_name: str) -> None:
        """Rename a field's files so their stored names sort as the user's names do.

        The batch runner breaks ties between two copies of the same form (same dates) by
        path; numbered in the order of the user's names, the page decides as the command line
        does on the same folder.
        """
        ups = sorted(self.of(field_name), key=lambda u: u.name)
        for n, up in enumerate(ups, start=1):
            target = up.path.with_name(f"{up.path.name[:up.path.name.index('u')]}f{n:05d}"
                                       f"{up.path.suffix}")
            os.rename(up.path, target)
            up.path = target

    def of(self, field_name: str) -> list[Upload]:
        return [u for u in self.uploads if u.field == field_name]

    def names(self) -> dict[str, str]:
        """Stored path -> the user's name, for showing results in the user's words."""
        return {str(u.path): u.name for u in self.uploads}


def display_name(raw: str) -> str:
    """The name shown to the user: control characters dropped, at most 300 characters."""
    text = "".join(ch for ch in raw if ch.isprintable()).strip()
    return text[-300:]


def hidden(display: str) -> bool:
    """Hidden files and folders (``.DS_Store``, ``__MACOSX/._x``): skipped, as in a folder."""
    return any(part.startswith(".") and part not in (".", "..")
               for part in PurePosixPath(display.replace("\\", "/")).parts)


def check_disk(root: Path, declared: int, limits: Limits) -> None:
    """Refuse before reading when the disk could not hold the upload and a reserve."""
    free = shutil.disk_usage(root).free
    if free - declared < limits.min_free_disk:
        raise UploadRefused("サーバーの空き容量が足りないため受け付けられません。管理者に連絡してください。", 507)


# --------------------------------------------------------------------------------------------
# the multipart body, streamed straight into the inbox


@dataclass
class Received:
    """The text fields and the stored files of one upload."""

    fields: dict[str, str]
    inbox: Inbox


async def receive(stream: AsyncIterator[bytes], content_type: str, inbox: Inbox,
                  file_fields: frozenset[str]) -> Received:
    """Parse a multipart body chunk by chunk, writing file parts into ``inbox``.

    Text fields are capped at 64 KB in all; files in fields other than ``file_fields`` are
    refused. Parts with no file name (an empty file input) are dropped.
    """
    from python_multipart import MultipartParser
    from python_multipart.multipart import parse_options_header

    ctype, params = parse_options_header(content_type.encode("latin-1", "replace"))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise UploadRefused("送信の形式が正しくありません。ページを開き直してください。", 400)
    state = _PartState(inbox, file_fields)
    parser = MultipartParser(boundary, state.callbacks())
    try:
        async for chunk in stream:
            parser.write(chunk)
            if state.error is not None:
                raise state.error
        parser.finalize()
    except UploadRefused:
        state.close()
        raise
    except Exception as exc:  # a malformed body: one message, no trace
        state.close()
        raise UploadRefused("送信の途中で中断されたか、形式が正しくありません。もう一度送ってください。",
                            400) from exc
    if state.error is not None:
        raise state.error
    return Received(state.fields, inbox)


class _PartState:
    """The callbacks of :class:`python_multipart.MultipartParser`, writing as parts arrive."""

    def __init__(self, inbox: Inbox, file_fields: frozenset[str]) -> None:
        self.inbox = inbox
        self.file_fields = file_fields
        self.fields: dict[str, str] = {}
        self.text_bytes = 0
        self.error: UploadRefused | None = None
        self._header_field = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._file: Upload | None = None
        self._handle: object = None
        self._text = bytearray()
        self._skip = False

    def callbacks(self) -> dict[str, object]:
        return {"on_part_begin": self.part_begin, "on_part_data": self.part_data,
                "on_part_end": self.part_end, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished}

    def part_begin(self) -> None:
        self._disposition, self._name, self._file, self._text, self._skip = b"", "", None, bytearray(), False

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        if self._header_field.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_field, self._header_value = b"", b""

    def headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, opts = parse_options_header(self._disposition)
        self._name = opts.get(b"name", b"").decode("utf-8", "replace")
        filename = opts.get(b"filename")
        if filename is None:
            return
        display = display_name(filename.decode("utf-8", "replace"))
        if not display or hidden(display):
            self._skip = True  # an empty file input, or a hidden file of a folder
            return
        if self._name not in self.file_fields:
            self._fail(UploadRefused("想定していないファイルが送られました。ページを開き直してください。", 400))
            return
        try:
            self._file = self.inbox.allocate(display, self._name)
            fd = os.open(self._file.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._handle = os.fdopen(fd, "wb")
        except UploadRefused as exc:
            self._fail(exc)

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None or self._skip:
            return
        chunk = data[start:end]
        if self._file is not None:
            try:
                self.inbox.count(self._file, len(chunk))
            except UploadRefused as exc:
                self._fail(exc)
                return
            self._handle.write(chunk)  # type: ignore[attr-defined]
            return
        self.text_bytes += len(chunk)
        if self.text_bytes > TEXT_FIELD_MAX:
            self._fail(UploadRefused("入力された文字が多すぎます。", 413))
            return
        self._text += chunk

    def part_end(self) -> None:
        if self._handle is not None:
            self._handle.close()  # type: ignore[attr-defined]
            self._handle = None
        elif self._file is None and not self._skip and self._name and self.error is None:
            self.fields[self._name] = self._text.decode("utf-8", "replace")

    def _fail(self, exc: UploadRefused) -> None:
        if self.error is None:
            self.error = exc
        self.close()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()  # type: ignore[attr-defined]
            self._handle = None


def apply_modified(inbox: Inbox, raw: str) -> None:
    """Give stored files the modification times the browser reported (``{name: ms}``), so
    newest-wins sees the user's dates rather than the time of the upload."""
    try:
        times = json.loads(raw or "{}")
    except ValueError:
        return
    if not isinstance(times, dict):
        return
    for up in inbox.uploads:
        ms = times.get(up.name)
        if isinstance(ms, (int, float)) and 0 < ms < 4102444800000:  # before 2100
            os.utime(up.path, (ms / 1000, ms / 1000))


# --------------------------------------------------------------------------------------------
# .zip archives of submissions


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker wrote it: UTF-8 when flagged, else the bytes tried as
    UTF-8 (macOS) and then cp932 (Windows Explorer in Japanese), else as stored."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for enc in ("utf-8", "cp932"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return name


_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_member(name: str) -> bool:
    """An absolute path, a drive letter or a ``..`` step: made to write outside a folder."""
    norm = name.replace("\\", "/")
    return norm.startswith("/") or bool(_DRIVE.match(norm)) or ".." in norm.split("/")


def unpack_zip(inbox: Inbox, up: Upload, field_name: str) -> None:
    """Replace an uploaded ``.zip`` by its members, each through :meth:`Inbox.allocate`.

    The whole upload is refused (with the member named) on a member made to escape its
    folder, an encrypted member, a damaged archive, or any cap. Nested archives are kept as
    files (the reader reports them); folders and hidden files are skipped.
    """
    try:
        zf = zipfile.ZipFile(up.path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRefused(f"「{up.name}」を zip として開けません（壊れているか zip ではありません）。",
                            400) from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > inbox.limits.zip_members:
            raise UploadRefused(f"「{up.name}」の中のファイルが多すぎます（{inbox.limits.zip_members} 件まで）。",
                                413)
        for info in infos:
            raw = member_name(info)
            name = display_name(raw)
            if unsafe_member(raw):
                raise UploadRefused(f"「{up.name}」に安全でない名前のファイル（{name}）が含まれているため、"
                                    "この zip は読みませんでした。", 400)
            if info.is_dir() or hidden(name) or _is_link(info):
                continue
            if info.flag_bits & 0x1:
                raise UploadRefused(f"「{up.name}」はパスワード付きの zip のため開けません。"
                                    "パスワードを外した zip かフォルダで送ってください。", 400)
            _copy_member(zf, info, inbox, inbox.allocate(name, field_name))
    inbox.uploads.remove(up)
    inbox.total -= up.size
    up.path.unlink(missing_ok=True)


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, inbox: Inbox, out: Upload) -> None:
    """Copy one member, counting the bytes inflated (never trusting the declared size)."""
    import time

    fd = os.open(out.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with zf.open(info) as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(1024 * 1024):
                inbox.count(out, len(chunk))
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib_error(), EOFError) as exc:
        raise UploadRefused(f"zip の中の「{out.name}」を取り出せません（zip が壊れています）。", 400) from exc
    try:
        stamp = time.mktime((*info.date_time, 0, 0, -1))
        os.utime(out.path, (stamp, stamp))
    except (OverflowError, ValueError, OSError):
        pass


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


__all__ = ["Limits", "Upload", "Inbox", "Received", "UploadRefused", "receive", "unpack_zip",
           "member_name", "unsafe_member", "apply_modified", "check_disk", "hidden"]
