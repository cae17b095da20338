"""Bad input never stops a batch: each becomes a problem row with a clear Japanese message."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
import xlsxwriter

from testkit import synth
from testkit.synth import Spec
from xltools import api
from xltools.output.templates import Layout


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("good")
    synth.write_workbook(d / "good.xlsx", [Spec("R6", "hospital", Layout(), "typed", "slash", seed=1,
                                                facility_name="さくら総合病院")])
    return d / "good.xlsx"


def _codes(res: api.Result) -> list[str]:
    return list(res.problems.code)


def test_bad_files_in_a_batch(tmp_path: Path, good: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4 not a workbook")
    (tmp_path / "cut.xlsx").write_bytes(b"PK\x03\x04truncated")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (tmp_path / "~$good.xlsx").write_bytes(b"\x00" * 165)
    (tmp_path / "good.xlsx").write_bytes(good.read_bytes())
    res = api.read_many([tmp_path])
    by_file = {Path(p).name: c for p, c in zip(res.problems.path, res.problems.code)}
    assert by_file["report.pdf"] == "read.not_excel"
    assert by_file["cut.xlsx"] == "read.corrupt"
    assert by_file["empty.xlsx"] == "read.empty"
    assert by_file["~$good.xlsx"] == "read.lock_file"
    assert len(res.submissions) == 1  # the good file was still read
    msg = res.problems[res.problems.code == "read.not_excel"].iloc[0].message
    assert "report.pdf" in msg and "PDF" in msg


def test_encrypted_without_and_with_password(tmp_path: Path, good: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    enc = tmp_path / "locked.xlsx"
    with open(good, "rb") as src, open(enc, "wb") as out:
        OOXMLFile(src).encrypt("himitsu", out)
    res = api.read(enc)
    assert _codes(res) == ["read.encrypted"]
    assert "パスワード" in res.problems.iloc[0].message
    res = api.read(enc, passwords=["wrong", "himitsu"])
    assert len(res.submissions) == 1
    decrypted = res.problems[res.problems.code == "read.decrypted"].iloc[0].message
    assert "2 番目" in decrypted and "himitsu" not in decrypted


def test_sheet_that_is_not_a_checklist_is_skipped_at_info(tmp_path: Path) -> None:
    p = tmp_path / "memo.xlsx"
    wb = xlsxwriter.Workbook(p)
    wb.add_worksheet("メモ").write(0, 0, "提出物一覧")
    wb.close()
    res = api.read(p)
    assert _codes(res) == ["form.sheet_skipped", "form.not_recognised"]
    assert list(res.problems.severity) == ["info", "error"]


def test_entity_declarations_are_refused(tmp_path: Path, good: Path) -> None:
    import zipfile

    bad = tmp_path / "entity.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', 1)
            zout.writestr(info, data)
    assert _codes(api.read(bad)) == ["read.unsafe_xml"]


def test_xls_and_ods_are_read(tmp_path: Path, good: Path, soffice: str) -> None:
    for fmt in ("xls", "ods"):
        subprocess.run([soffice, "--headless", "--convert-to", fmt, "--outdir", str(tmp_path), str(good)],
                       check=True, capture_output=True, timeout=180)
        res = api.read(tmp_path / f"good.{fmt}")
        sub = res.submissions.iloc[0]
        assert (sub.edition, sub.variant, sub.facility_name) == ("R6", "hospital", "さくら総合病院")
        assert (res.answers.answer != "blank").sum() > 20


def test_internal_error_becomes_a_problem(monkeypatch: pytest.MonkeyPatch, good: Path) -> None:
    from xltools.forms import checklist, structure_cache

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("bug")

    structure_cache.clear()  # else a sheet read by an earlier test reuses its location
    monkeypatch.setattr(checklist, "locate", boom)
    res = api.read(good)
    assert _codes(res) == ["read.internal_error"]
    assert "bug" in res.problems.iloc[0].detail or "bug" in res.problems.iloc[0].message


def test_bytes_are_not_read_twice_for_hash(good: Path) -> None:
    res = api.read(good)
    import hashlib

    assert res.submissions.iloc[0].sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    assert io  # keep import used


def test_ods_keeps_struck_words(tmp_path: Path, soffice: str) -> None:
    src = tmp_path / "strike.xlsx"
    synth.write_workbook(src, [Spec("R7", "hospital", Layout(), "strike", "slash", seed=4,
                                    facility_name="ひかり記念病院")])
    subprocess.run([soffice, "--headless", "--convert-to", "ods", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=180)
    xlsx, ods = api.read(src).answers, api.read(tmp_path / "strike.ods").answers
    assert (ods.source == "strike").sum() > 10
    assert list(ods.answer) == list(xlsx.answer)
