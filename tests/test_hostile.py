"""Hostile and unlucky input: each becomes a problem row, and the batch goes on.

Every test puts one good checklist beside the bad file and asserts that it was still read.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from testkit import synth
from xltools import api
from xltools.batch import runner as batch
from xltools.xlsx import book as read

CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
      'package/2006/content-types"><Default Extension="rels" ContentType="application/'
      'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
      '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
      'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
      '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
      'spreadsheetml.worksheet+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>')
WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
      'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
      'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
           'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
           'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
           '"worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
              'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"


def package(path: Path, sheet: bytes | str, extra: dict[str, bytes] | None = None) -> Path:
    """A minimal one-sheet xlsx with the given worksheet XML (and extra parts)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB)
        z.writestr("xl/_rels/workbook.xml.rels", WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


@pytest.fixture(scope="module")
def good_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("good")
    spec = synth.random_spec(random.Random(11), edition="R7", variant="hospital", seed=11)
    spec.answer_style, spec.facility_name = "typed", "良好総合病院"
    synth.write_workbook(d / "good.xlsx", [spec])
    return d / "good.xlsx"


@pytest.fixture()
def folder(tmp_path: Path, good_src: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(good_src, d / "good.xlsx")
    return d


def codes(res: api.Result, name: str) -> list[str]:
    return list(res.problems[res.problems["path"].str.endswith(name)]["code"])


def assert_good_read(res: api.Result) -> None:
    subs = res.submissions
    assert (subs["path"].str.endswith("good.xlsx") & (subs["facility_name"] == "良好総合病院")).any()


# --------------------------------------------------------------------------------------------
# passwords


def _encrypt(src: Path, dst: Path, password: str) -> None:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    if not hasattr(ooxml.OOXMLFile, "encrypt"):
        pytest.skip("this msoffcrypto-tool cannot encrypt (needs >= 5.1)")
    out = io.BytesIO()
    with open(src, "rb") as fh:
        ooxml.OOXMLFile(fh).encrypt(password, out)
    dst.write_bytes(out.getvalue())


def test_encrypted_file_opens_with_the_right_password_named_by_position(
        folder: Path, good_src: Path) -> None:
    _encrypt(good_src, folder / "locked.xlsx", "秘密pass")
    res = batch.run([folder], jobs=2, passwords=["wrong", "秘密pass", "other"])
    probs = res.problems[res.problems["path"].str.endswith("locked.xlsx")]
    assert "read.decrypted" in list(probs["code"]) and "read.encrypted" not in list(probs["code"])
    msg = probs["message"].iloc[0]
    assert "2 番目" in msg and "秘密" not in msg and "wrong" not in msg
    assert (res.submissions["path"].str.endswith("locked.xlsx")).sum() == 1
    assert_good_read(res)


def test_encrypted_file_without_password_is_one_error(folder: Path, good_src: Path) -> None:
    _encrypt(good_src, folder / "locked.xlsx", "secret")
    res = batch.run([folder], jobs=1)
    assert codes(res, "locked.xlsx") == ["read.encrypted"]
    assert "--password" in res.problems[res.problems["code"] == "read.encrypted"]["message"].iloc[0]
    wrong = batch.run([folder], jobs=1, passwords=["nope"])  # a wrong password is named as such
    assert codes(wrong, "locked.xlsx") == ["read.wrong_password"]
    assert "nope" not in wrong.problems["message"].str.cat()
    assert_good_read(res)


# --------------------------------------------------------------------------------------------
# zip bombs and entity tricks


def test_zip_bomb_part_is_refused_without_expanding(folder: Path) -> None:
    zeros = b" " * (64 * 1024 * 1024)  # 64 MB of one byte: compresses about 1000 to 1
    package(folder / "bomb.xlsx", SHEET_HEAD.encode() + zeros + SHEET_TAIL.encode())
    assert (folder / "bomb.xlsx").stat().st_size < 1024 * 1024
    t = time.perf_counter()
    res = batch.run([folder], jobs=1)
    assert time.perf_counter() - t < 10
    assert codes(res, "bomb.xlsx") == ["read.too_large"]
    assert "圧縮率" in res.problems[res.problems["code"] == "read.too_large"]["message"].iloc[0]
    assert_good_read(res)


def test_oversized_package_is_refused(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read, "MAX_UNCOMPRESSED", 8 * 1024 * 1024)
    filler = os.urandom(3 * 1024 * 1024)  # incompressible: no ratio alarm, only the total
    package(folder / "big.xlsx", SHEET_HEAD + SHEET_TAIL,
            {f"xl/media/image{i}.bin": filler for i in range(3)})
    res = batch.run([folder], jobs=1)
    assert codes(res, "big.xlsx") == ["read.too_large"]
    assert "展開後" in res.problems[res.problems["code"] == "read.too_large"]["message"].iloc[0]
    assert_good_read(res)


def test_file_larger_than_the_batch_limit_is_not_read(folder: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    limit = (folder / "good.xlsx").stat().st_size + 100
    monkeypatch.setattr(batch, "MAX_FILE_BYTES", limit)
    (folder / "huge.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * limit)
    real = batch._read_bytes

    def guarded(e: batch._Entry) -> bytes | None:
        assert not e.path.endswith("huge.xlsx"), "a file over the limit was read"
        return real(e)

    monkeypatch.setattr(batch, "_read_bytes", guarded)
    res = batch.run([folder], jobs=1)
    assert codes(res, "huge.xlsx") == ["read.too_large"]
    assert_good_read(res)


ENTITY = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
          '"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')


@pytest.mark.parametrize("how", ["plain", "padded", "utf16"])
def test_doctype_and_entities_are_refused(folder: Path, how: str) -> None:
    body = (SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
            + SHEET_TAIL).replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    if how == "plain":
        data = (ENTITY + body).encode()
    elif how == "padded":  # a declaration pushed past any fixed-size head by a long comment
        data = ('<?xml version="1.0"?><!--' + "x" * 20000 + "-->" + ENTITY[21:] + body).encode()
    else:
        data = (ENTITY.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
                + body).encode("utf-16")
    package(folder / "entity.xlsx", data)
    res = batch.run([folder], jobs=1)
    assert codes(res, "entity.xlsx") == ["read.unsafe_xml"]
    assert_good_read(res)


def test_comment_that_looks_like_an_element_does_not_hide_a_doctype() -> None:
    data = ('<?xml version="1.0"?><!-- <worksheet> -->' + ENTITY[21:] + "<a/>").encode()
    assert read._unsafe_prolog(io.BytesIO(data))
    assert not read._unsafe_prolog(io.BytesIO(b'<?xml version="1.0"?><!-- x --><a/>'))


# --------------------------------------------------------------------------------------------
# huge and far-reaching sheets


def test_million_row_sheet_is_scanned_only_so_far(folder: Path) -> None:
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 1_000_001))
    package(folder / "million.xlsx", SHEET_HEAD + rows + SHEET_TAIL)
    t = time.perf_counter()
    res = batch.run([folder], jobs=1)
    assert time.perf_counter() - t < 15
    assert "read.truncated" in codes(res, "million.xlsx")
    assert_good_read(res)


def _with_far_cell(src: Path, dst: Path) -> None:
    """A real checklist plus one stray value in the sheet's very last cell (XFD1048576)."""
    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" '
                                    b't="inlineStr"><is><t>x</t></is></c></row></sheetData>')
            zout.writestr(info, data)


def test_stray_cell_at_the_sheet_end_does_not_kill_the_reader(folder: Path,
                                                              good_src: Path) -> None:
    # calamine would allocate 17 billion cells for this 10 KB file and abort the process
    _with_far_cell(good_src, folder / "far.xlsx")
    res = batch.run([folder], jobs=1)
    assert "read.truncated" in codes(res, "far.xlsx")
    far = res.submissions[res.submissions["path"].str.endswith("far.xlsx")]
    good = res.submissions[res.submissions["path"].str.endswith("good.xlsx")]
    assert len(far) == 1 and far["facility_name"].iloc[0] == "良好総合病院"
    a = res.answers
    assert len(a[a["submission_id"] == far["submission_id"].iloc[0]]) == \
        len(a[a["submission_id"] == good["submission_id"].iloc[0]])


def test_far_cell_in_a_worksheet_stored_under_an_odd_name(folder: Path) -> None:
    rels = WB_RELS.replace("worksheets/sheet1.xml", "data/s.bin")
    body = (SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
            '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>'
            + SHEET_TAIL)
    with zipfile.ZipFile(folder / "odd.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT.replace("/xl/worksheets/sheet1.xml", "/xl/data/s.bin"))
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/data/s.bin", body)
    res = batch.run([folder], jobs=1)  # inline: an abort here would end the test run
    assert "read.truncated" in codes(res, "odd.xlsx")
    assert_good_read(res)


def test_worker_that_dies_costs_one_file(folder: Path, good_src: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(4):
        shutil.copy(good_src, folder / f"copy{i}.xlsx")
        (folder / f"copy{i}.xlsx").write_bytes((folder / f"copy{i}.xlsx").read_bytes() + b" " * (i + 1))
    monkeypatch.setenv(batch.CRASH_ENV, "copy1.xlsx")
    res = batch.run([folder], jobs=2)
    assert codes(res, "copy1.xlsx") == ["read.internal_error"]
    assert "異常終了" in res.problems[res.problems["code"] == "read.internal_error"]["message"].iloc[0]
    read_ok = set(res.submissions["path"].map(lambda p: Path(p).name))
    assert {"good.xlsx", "copy0.xlsx", "copy2.xlsx", "copy3.xlsx"} <= read_ok


# --------------------------------------------------------------------------------------------
# files that are not there, not files, not Excel


def test_file_vanishing_mid_run_is_reported(folder: Path, good_src: Path) -> None:
    for name in ("a.xlsx", "z.xlsx"):
        shutil.copy(good_src, folder / name)
        (folder / name).write_bytes((folder / name).read_bytes() + name.encode())

    def delete_later(tick: object) -> None:
        (folder / "z.xlsx").unlink(missing_ok=True)

    res = batch.run([folder], jobs=1, progress=delete_later)
    assert codes(res, "z.xlsx") == ["read.vanished"]
    assert list(res.files["outcome"]) == ["parsed", "parsed", "unreadable"]
    assert_good_read(res)


def test_unreadable_entries_are_listed_not_lost(folder: Path) -> None:
    (folder / "folder.xlsx").mkdir()
    os.symlink(folder / "missing.xlsx", folder / "broken.xlsx")
    os.mkfifo(folder / "pipe.xlsx")
    t = time.perf_counter()
    res = batch.run([folder], jobs=2)
    assert time.perf_counter() - t < 30  # a pipe must not block the batch
    for name in ("folder.xlsx", "broken.xlsx", "pipe.xlsx"):
        assert codes(res, name) == ["read.vanished"], name
    assert set(res.files["outcome"]) == {"parsed", "unreadable"} and len(res.files) == 4
    assert_good_read(res)


def test_read_file_on_a_pipe_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.xlsx")
    rows = api.read_file(tmp_path / "pipe.xlsx")
    assert [p["code"] for p in rows.problems] == ["read.vanished"]


def test_excel_lock_file_is_skipped(folder: Path) -> None:
    (folder / "~$good.xlsx").write_bytes(b"\x00" * 165)
    res = batch.run([folder], jobs=1)
    assert codes(res, "~$good.xlsx") == ["read.lock_file"]
    assert dict(zip(res.files["path"].map(lambda p: Path(p).name), res.files["outcome"],
                    strict=True))["~$good.xlsx"] == "skipped"
    assert_good_read(res)


@pytest.mark.parametrize(("name", "data", "what"), [
    ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
    ("photo.xlsx", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "PNG"),
])
def test_non_excel_files_are_listed_as_not_readable(folder: Path, name: str, data: bytes,
                                                    what: str) -> None:
    (folder / name).write_bytes(data)
    res = batch.run([folder], jobs=1)
    assert codes(res, name) == ["read.not_excel"]
    assert what in res.problems[res.problems["code"] == "read.not_excel"]["message"].iloc[0]
    assert_good_read(res)


def test_identical_files_are_read_once(folder: Path) -> None:
    shutil.copy(folder / "good.xlsx", folder / "good_copy.xlsx")
    res = batch.run([folder], jobs=2)
    assert len(res.submissions) == 1
    assert "read.duplicate_file" not in codes(res, "good.xlsx")
    assert codes(res, "good_copy.xlsx") == ["read.duplicate_file"]
    assert len(res.files) == 2


def test_same_facility_twice_newest_file_wins(folder: Path) -> None:
    older, newer = folder / "2024提出.xlsx", folder / "再提出.xlsx"
    for path, seed in ((older, 1), (newer, 2)):
        spec = synth.random_spec(random.Random(seed), edition="R7", variant="hospital", seed=seed)
        spec.facility_name, spec.p_blank, spec.p_round2 = "二重病院", 1.0, 0.0  # no dates written
        synth.write_workbook(path, [spec])
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_710_000_000, 1_710_000_000))
    res = batch.run([folder], jobs=1)
    assert codes(res, older.name).count("batch.superseded") == 1
    assert "batch.superseded" not in codes(res, newer.name)
    msg = res.problems[res.problems["code"] == "batch.superseded"]["message"].iloc[0]
    assert newer.name in msg
    assert (res.submissions["facility_name"] == "二重病院").sum() == 2  # both still listed
    assert_good_read(res)
