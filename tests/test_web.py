"""The page in-process (starlette TestClient): every guard, the uploads, the three tasks.

The guards are asserted on what a browser or an attacker would send: a foreign Host, a foreign
Origin on a post, no token off loopback, a zip member made to escape, a file over the cap.
After each refusal the server's job folder holds nothing and nothing was written beside it.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

import functools  # noqa: E402

from anyio.from_thread import start_blocking_portal  # noqa: E402

from xltools import api  # noqa: E402
from xltools.web import create_app  # noqa: E402
from xltools.web.guards import COOKIE, MSG_HOST, MSG_ORIGIN, MSG_TOKEN, Gate, split_host  # noqa: E402
from xltools.web.jobs import Jobs  # noqa: E402
from xltools.web.uploads import Limits, member_name, unsafe_member  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "workbooks" / "samples"
TEMPLATES = ROOT / "workbooks" / "templates"
BASE = "http://127.0.0.1:8765"
SAME = {"Origin": BASE, "Sec-Fetch-Site": "same-origin", "Accept": "application/json"}


# --------------------------------------------------------------------------------------------
# fixtures and helpers (make_answers is shared with test_web_browser.py)


def make_answers(path: Path, edition: str = "R8", variant: str = "vendor") -> Path:
    """The example answers workbook with every default はい and two client facilities."""
    api.fill_example(path, edition=edition, variant=variant)
    wb = openpyxl.load_workbook(path)
    ws = wb["既定回答"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 4).value = "はい"
    fs = wb["施設一覧"]
    col = {c.value: i + 1 for i, c in enumerate(fs[1])}
    for row, (name, system) in enumerate((("さくら総合病院", "電子カルテ"),
                                          ("ひかり記念病院", "レセコン")), start=2):
        fs.cell(row, col["医療機関名"]).value = name
        fs.cell(row, col["システム名"]).value = system
        if "事業者名" in col:
            fs.cell(row, col["事業者名"]).value = "株式会社メディシステム"
    wb.save(path)
    return path


class TestClient:
    """A blocking client over ``httpx.ASGITransport``: requests go straight into the app,
    in this process, while the jobs run on the app's own threads."""

    __test__ = False

    def __init__(self, app: object, base_url: str = BASE) -> None:
        self._portal_cm = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
        self.cookies = self._client.cookies

    def request(self, method: str, url: str, **kw: object) -> httpx.Response:
        return self._portal.call(functools.partial(self._client.request, method, url, **kw))

    def get(self, url: str, **kw: object) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: object) -> httpx.Response:
        return self.request("POST", url, **kw)

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._portal_cm.__exit__(None, None, None)

    def __enter__(self) -> TestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_done(client: TestClient, url: str, seconds: float = 120) -> dict:
    """Poll the status until the job ends (the test's only wait; no timing is asserted)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s = client.get(f"{url}/status", headers={"Accept": "application/json"}).json()
        if s["state"] in ("done", "failed"):
            return s
        time.sleep(0.1)
    raise AssertionError(f"job did not finish: {s}")


def job_dirs(jobs: Jobs) -> list[Path]:
    return sorted(jobs.root.glob("job-*"))


@pytest.fixture()
def jobs(tmp_path: Path) -> Jobs:
    j = Jobs(tmp_path / "serve-root")
    yield j
    j.close()


@pytest.fixture()
def client(jobs: Jobs) -> TestClient:
    limits = Limits(file_bytes=2 * 1024 * 1024, job_bytes=8 * 1024 * 1024, files=40,
                    zip_members=40, min_free_disk=0)
    app = create_app(limits=limits, jobs=jobs)
    with TestClient(app, base_url=BASE) as c:
        yield c


def sample_files(names: list[str] | None = None) -> list[tuple[str, tuple[str, bytes]]]:
    paths = sorted(SAMPLES.iterdir()) if names is None else [SAMPLES / n for n in names]
    return [("files", (f"samples/{p.name}", p.read_bytes())) for p in paths]


# --------------------------------------------------------------------------------------------
# Host allow-list, Origin, token


@pytest.mark.parametrize(("header", "name"), [
    ("127.0.0.1:8765", "127.0.0.1"), ("[::1]:8765", "::1"), ("[::1]", "::1"),
    ("LOCALHOST.:80", "localhost"), ("localhost", "localhost"), ("::1", ""), ("[::1", ""),
    ("[::1]x", ""), ("a:b", ""), ("", "")])
def test_host_header_is_split_into_its_name(header: str, name: str) -> None:
    assert split_host(header) == name


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example",
                                  "localhost.evil.example", "[::2]:8765", "10.0.0.5", ""])
def test_foreign_host_is_refused_on_every_path(client: TestClient, host: str) -> None:
    for path in ("/", "/static/style.css", "/jobs/x/status", "/fill/example"):
        r = client.get(path, headers={"Host": host})
        assert r.status_code == 403, (host, path)
        assert MSG_HOST in r.text
    r = client.post("/consolidate", headers={"Host": host, **SAME}, files=sample_files(
        ["01_R6_さくら総合病院_記入.xlsx"]))
    assert r.status_code == 403 and r.json() == {"error": MSG_HOST}


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765"])
def test_loopback_hosts_are_served(client: TestClient, host: str) -> None:
    r = client.get("/", headers={"Host": host})
    assert r.status_code == 200 and "集計" in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"}, {"Origin": "null"},
    {"Origin": "http://127.0.0.1:9999"},  # another port is another origin
    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
    {"Origin": BASE, "Sec-Fetch-Site": "cross-site"}])
def test_cross_site_posts_are_refused_before_reading(client: TestClient, jobs: Jobs,
                                                     headers: dict) -> None:
    r = client.post("/consolidate", headers={**headers, "Accept": "application/json"},
                    files=sample_files(["01_R6_さくら総合病院_記入.xlsx"]))
    assert r.status_code == 403 and r.json() == {"error": MSG_ORIGIN}
    assert job_dirs(jobs) == []


def test_token_off_loopback(jobs: Jobs) -> None:
    app = create_app(gate=Gate.for_bind("0.0.0.0", "s3cret-token", ["xltools.office.lan"]),
                     jobs=jobs)
    with TestClient(app, base_url="http://xltools.office.lan:8765") as c:
        for path in ("/", "/fill", "/static/app.js", "/?token=wrong", "/?token="):
            r = c.get(path)
            assert r.status_code == 403 and MSG_TOKEN in r.text, path
        r = c.get("/fill?token=s3cret-token&x=1")
        assert r.status_code == 200 and 'content="0;url=/fill?x=1"' in r.text
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "s3cret-token" not in cookie
        r = c.get("/fill")  # the cookie jar now carries the session
        assert r.status_code == 200 and "一括記入" in r.text
        c.cookies.clear()
        c.cookies.set(COOKIE, "forged")
        assert c.get("/").status_code == 403
        assert c.get("/", headers={"Host": "evil.example"}).status_code == 403


def test_serve_demands_a_token_off_loopback_and_prints_it() -> None:
    """A real `xltools serve --host 0.0.0.0`: a token is generated and printed; without it
    every request is refused, with the printed URL the page opens."""
    import httpx

    proc = subprocess.Popen([sys.executable, "-c", "from xltools.cli import main; main()", "serve", "--host", "0.0.0.0",
                             "--port", "0", "--no-open"], stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)
    try:
        line = proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", line)
        assert m, line
        port, token = m.group(1), m.group(2)
        assert len(token) >= 40
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                r = httpx.get(base + "/")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert r.status_code == 403 and MSG_TOKEN in r.text
        with httpx.Client(base_url=base) as c:
            assert c.get(f"/?token={token}").status_code == 200
            assert c.get("/inspect").status_code == 200 and "確認" in c.get("/inspect").text
    finally:
        proc.terminate()
        proc.wait(10)


# --------------------------------------------------------------------------------------------
# uploads: caps, zip members, names


class _Cp932Info(zipfile.ZipInfo):
    """A member named as Windows Explorer names it: cp932 bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("cp932"), self.flag_bits


def _zip(members: dict[str, bytes], flag_utf8: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            cls = zipfile.ZipInfo if flag_utf8 else _Cp932Info
            zf.writestr(cls(name, date_time=(2026, 4, 1, 9, 0, 0)), data)
    return buf.getvalue()


@pytest.mark.parametrize("evil", ["../evil.xlsx", "../../etc/evil.xlsx", "/tmp/evil.xlsx",
                                  "a/../../evil.xlsx", "C:/evil.xlsx", "..\\evil.xlsx"])
def test_zip_member_escaping_is_refused_and_nothing_written(client: TestClient, jobs: Jobs,
                                                            tmp_path: Path, evil: str) -> None:
    good = (SAMPLES / "01_R6_さくら総合病院_記入.xlsx").read_bytes()
    data = _zip({"受領/さくら.xlsx": good, evil: good})
    before = set(tmp_path.rglob("*"))
    r = client.post("/consolidate", headers=SAME, files=[("files", ("返送分.zip", data))])
    assert r.status_code == 400
    assert "安全でない名前" in r.json()["error"] and "返送分.zip" in r.json()["error"]
    assert job_dirs(jobs) == []  # the job and everything unpacked so far are gone
    assert set(tmp_path.rglob("*")) - before == set()
    assert not list(tmp_path.parent.glob("evil.xlsx")) and not Path("/tmp/evil.xlsx").exists()


def test_uploaded_names_are_never_paths(client: TestClient, jobs: Jobs, tmp_path: Path) -> None:
    one = (SAMPLES / "01_R6_さくら総合病院_記入.xlsx").read_bytes()
    target = tmp_path / "evil-web.xlsx"
    names = [f"../../../../../../..{target}", "C:\\Windows\\evil.xlsx", "CON.xlsx", "受領/さくら.xlsx"]
    r = client.post("/consolidate", headers=SAME,
                    files=[("files", (n, one)) for n in names])
    assert r.status_code == 202
    url = r.json()["url"]
    wait_done(client, url)
    assert not target.exists()
    job = jobs.get(url.rsplit("/", 1)[1])
    assert {p.name for p in job.folder.rglob("*") if p.is_file()} <= {
        "集計.xlsx", "返送用.zip", "xltools-store.sqlite"} | {
        p.name for p in (job.folder / "out" / "返送用").iterdir()}
    from html import unescape

    page = unescape(client.get(url).text)
    assert "evil-web.xlsx" in page and "CON.xlsx" in page  # the user's names, as data only


def test_zip_member_names_and_caps() -> None:
    info = zipfile.ZipInfo("受領/さくら.xlsx".encode("cp932").decode("cp437"))
    assert member_name(info) == "受領/さくら.xlsx"
    assert unsafe_member("x/../../y") and unsafe_member("\\\\server\\share\\x.xlsx")
    assert not unsafe_member("受領/..さくら.xlsx")


def test_zip_of_submissions_is_read_with_its_own_names(client: TestClient, jobs: Jobs) -> None:
    names = ["01_R6_さくら総合病院_記入.xlsx", "02_R6_さくら総合病院_電子カルテ事業者.xlsx"]
    data = _zip({f"受領/{n}": (SAMPLES / n).read_bytes() for n in names} | {
        "受領/.DS_Store": b"x", "__MACOSX/受領/._01.xlsx": b"x"}, flag_utf8=False)
    r = client.post("/consolidate", headers=SAME, files=[("files", ("受領.zip", data))],
                    data={"as_of": "2026-04-01"})
    assert r.status_code == 202, r.text
    url = r.json()["url"]
    assert wait_done(client, url)["state"] == "done"
    page = client.get(url).text
    assert "2 ファイルを読みました" in page and "基準日 2026-04-01" in page
    job = jobs.get(url.rsplit("/", 1)[1])
    assert not (job.folder / "in").exists()  # inputs are removed once read
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}/download/workbook").content),
                                read_only=True)
    files = {str(r[0]) for r in wb["施設別一覧"].iter_rows(values_only=True) if r and r[0]}
    paths = {v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
             if isinstance(v, str) and v.endswith(".xlsx")}
    assert files
    assert any("受領/01_R6_さくら総合病院_記入.xlsx" in p for p in paths), paths
    assert not any(re.search(r"[uf]\d{5}\.xlsx", p) for p in paths)  # stored names never shown


def test_oversize_file_is_refused_with_its_name(client: TestClient, jobs: Jobs) -> None:
    big = b"PK" + os.urandom(3 * 1024 * 1024)
    r = client.post("/consolidate", headers=SAME,
                    files=[("files", ("大きな提出.xlsx", big))] + sample_files(
                        ["01_R6_さくら総合病院_記入.xlsx"]))
    assert r.status_code == 413
    assert r.json()["error"] == "「大きな提出.xlsx」が大きすぎます（1ファイル 2 MB まで）。"
    assert job_dirs(jobs) == []


def test_oversize_body_is_refused_before_reading(client: TestClient, jobs: Jobs) -> None:
    r = client.post("/consolidate", headers={**SAME, "Content-Length": str(200 * 1024 * 1024),
                                             "Content-Type": "multipart/form-data; boundary=x"},
                    content=b"--x--\r\n")
    assert r.status_code == 413 and "大きすぎます" in r.json()["error"]
    assert job_dirs(jobs) == []
    r = client.post("/jobs/abc/delete", headers={**SAME, "Content-Length": "100000"}, content=b"x")
    assert r.status_code == 413  # other posts take small bodies only


def test_too_many_files_and_a_zip_bomb(client: TestClient, jobs: Jobs) -> None:
    one = (SAMPLES / "01_R6_さくら総合病院_記入.xlsx").read_bytes()
    r = client.post("/consolidate", headers=SAME,
                    files=[("files", (f"f{i}.xlsx", one)) for i in range(41)])
    assert r.status_code == 413 and "ファイルが多すぎます" in r.json()["error"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.xlsx", b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros, ~20 KB packed
    r = client.post("/consolidate", headers=SAME, files=[("files", ("bomb.zip", buf.getvalue()))])
    assert r.status_code == 413 and "bomb.xlsx" in r.json()["error"]
    assert job_dirs(jobs) == []


def test_nothing_chosen_and_bad_options_are_told_before_reading(client: TestClient,
                                                                jobs: Jobs) -> None:
    r = client.post("/consolidate", headers=SAME, data={"as_of": "2026-04-01"},
                    files=[("roster", ("", b""))])
    assert r.status_code == 400 and "選ばれていません" in r.json()["error"]
    r = client.post("/consolidate", headers=SAME, data={"as_of": "いつか", "passwords": "秘密のパス123"},
                    files=sample_files(["01_R6_さくら総合病院_記入.xlsx"]))
    assert r.status_code == 400 and "基準日「いつか」" in r.json()["error"]
    assert "秘密のパス123" not in r.text
    r = client.post("/consolidate", headers={"Origin": BASE}, data={"group_by": "area"},
                    files=sample_files(["01_R6_さくら総合病院_記入.xlsx"]))
    assert r.status_code == 400 and "名簿" in r.text and "<form" in r.text  # the page again
    assert job_dirs(jobs) == []


def test_unexpected_file_field_is_refused(client: TestClient) -> None:
    r = client.post("/consolidate", headers=SAME, files=[("other", ("a.xlsx", b"x"))])
    assert r.status_code == 400


# --------------------------------------------------------------------------------------------
# jobs: ids, separation, passwords, removal


def test_jobs_are_separate_unguessable_and_removed(client: TestClient, jobs: Jobs) -> None:
    urls = []
    for name in ("01_R6_さくら総合病院_記入.xlsx", "05_R8_みなと薬局_選択.xlsx"):
        r = client.post("/consolidate", headers=SAME, files=sample_files([name]),
                        data={"passwords": "秘密のパス123\nもう一つ"})
        urls.append(r.json()["url"])
    ids = [u.rsplit("/", 1)[1] for u in urls]
    assert ids[0] != ids[1] and all(len(i) >= 32 for i in ids)
    for u in urls:
        assert wait_done(client, u)["state"] == "done"
    a, b = (client.get(u).text for u in urls)
    assert "さくら総合病院" in a and "さくら総合病院" not in b and "みなと薬局" in b
    for u in urls:
        job = jobs.get(u.rsplit("/", 1)[1])
        assert "秘密のパス123" not in repr(job.__dict__)
        assert "秘密のパス123" not in client.get(u).text
    wrong = ids[0][:-1] + ("x" if ids[0][-1] != "x" else "y")  # one character off, never equal
    assert client.get(f"/jobs/{wrong}/download/workbook").status_code == 404
    assert client.get(f"/jobs/{ids[0]}/download/../../etc/passwd").status_code == 404
    assert client.get(f"/jobs/{ids[0]}/download/nothing").status_code == 404
    folder = jobs.get(ids[0]).folder
    r = client.post(f"{urls[0]}/delete", headers=SAME, follow_redirects=False)
    assert r.status_code == 303 and not folder.exists()
    assert client.get(urls[0]).status_code == 404
    assert client.get(f"{urls[0]}/download/workbook").status_code == 404


def test_progress_by_events_and_by_polling(client: TestClient) -> None:
    r = client.post("/consolidate", headers=SAME, files=sample_files(
        ["01_R6_さくら総合病院_記入.xlsx", "05_R8_みなと薬局_選択.xlsx"]))
    url = r.json()["url"]
    wait_done(client, url)
    events = client.get(f"{url}/events")  # streams until the job ends (here: at once), closes
    assert events.headers["content-type"].startswith("text/event-stream")
    states = [json.loads(line[6:]) for line in events.text.splitlines() if line.startswith("data: ")]
    assert states[-1]["state"] == "done" and states[-1]["done"] == states[-1]["total"] == 2
    assert set(states[-1]) == {"state", "stage", "done", "total", "error"}  # no names, no paths
    assert client.get(f"{url}/status").json() == states[-1]
    page = client.get(url).text
    assert 'id="dl-workbook"' in page and "http-equiv" not in page  # no refresh once done


def test_without_scripts_a_plain_form_post_works(client: TestClient) -> None:
    """The form posts natively (no JSON): a redirect to the job page, which refreshes itself
    until the result is there."""
    r = client.post("/consolidate", headers={"Origin": BASE}, files=sample_files(
        ["01_R6_さくら総合病院_記入.xlsx"]))
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    url = r.headers["location"]
    first = client.get(url).text
    assert "<noscript><meta http-equiv=\"refresh\"" in first or 'id="dl-workbook"' in first
    wait_done(client, url)
    assert 'id="dl-workbook"' in client.get(url).text


def test_job_folder_goes_after_every_download_and_the_grace(client: TestClient,
                                                            jobs: Jobs) -> None:
    r = client.post("/consolidate", headers=SAME, files=sample_files(
        ["01_R6_さくら総合病院_記入.xlsx"]))
    url = r.json()["url"]
    wait_done(client, url)
    job = jobs.get(url.rsplit("/", 1)[1])
    for key in job.downloads:
        assert client.get(f"{url}/download/{key}").status_code == 200
    jobs.grace_seconds = 0
    time.sleep(0.01)
    jobs.sweep()
    assert not job.folder.exists() and client.get(url).status_code == 404


# --------------------------------------------------------------------------------------------
# the three tasks give what the library gives


def test_consolidate_counts_equal_the_workbook(client: TestClient, tmp_path: Path) -> None:
    r = client.post("/consolidate", headers=SAME, files=sample_files(),
                    data={"as_of": "2026-04-01", "group_by": "kind"})
    url = r.json()["url"]
    assert wait_done(client, url)["state"] == "done"
    page = client.get(url).text
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}/download/workbook").content))
    assert "グループ別" in wb.sheetnames
    # the page's numbers are the 概要 dashboard's: same label, same value
    numbers = {label: int(n.replace(",", "")) for _k, label, n in re.findall(
        r'data-key="(\w+)">\s*<span class="n-label">([^<]+)</span>\s*'
        r'<span class="n-value">([\d,]+)</span>', page)}
    assert numbers and numbers == dashboard_numbers(wb["概要"])
    # the page's lists split like the workbook: 不一致 holds what its tile counts (警告 and
    # above), the 情報 notes are 参考情報, and together they are every finding
    listed = {key: int(n.replace(",", "")) for key, n in re.findall(
        r'data-table="(\w+)">\s*<h2>[^<]+<span class="count">([\d,]+) 件', page)}
    assert listed["findings"] == numbers["不一致（要対応）"] == wb["不一致"].max_row - 1
    assert listed["notes"] == numbers["参考情報"] > 0
    numbers["expected"] = numbers["対象施設"]
    letters = zipfile.ZipFile(io.BytesIO(client.get(f"{url}/download/letters").content))
    assert len(letters.namelist()) == int(numbers["expected"])


def test_roster_counts_the_missing(client: TestClient) -> None:
    roster = ("医療機関コード,医療機関名,種別,保健所,法人\n"
              "1310000001,さくら総合病院,病院,中央保健所,さくら会\n"
              "1310000002,みなと薬局 本町店,薬局,港保健所,\n"
              "1310000003,まだ出していない病院,病院,中央保健所,さくら会\n").encode("cp932")
    r = client.post("/consolidate", headers=SAME, data={"group_by": "group"},
                    files=[("roster", ("施設一覧.csv", roster))] + sample_files(
                        ["01_R6_さくら総合病院_記入.xlsx", "05_R8_みなと薬局_選択.xlsx"]))
    url = r.json()["url"]
    assert wait_done(client, url)["state"] == "done"
    page = client.get(url).text
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}/download/workbook").content))
    found = re.findall(r'data-key="(\w+)">\s*<span class="n-label">([^<]+)</span>\s*'
                       r'<span class="n-value">([\d,]+)</span>', page)
    by_key = {k: int(n.replace(",", "")) for k, _label, n in found}
    assert {label: int(n.replace(",", "")) for _k, label, n in found} == dashboard_numbers(wb["概要"])
    assert by_key["expected"] == 3 and by_key["not_submitted"] == 1
    assert "まだ出していない病院" in page and "グループ別" in wb.sheetnames


def test_fill_returns_what_fill_writes(client: TestClient, tmp_path: Path) -> None:
    template = TEMPLATES / "R8_事業者確認用.xlsx"
    answers = make_answers(tmp_path / "回答.xlsx")
    r = client.post("/fill", headers=SAME, files=[
        ("template", (template.name, template.read_bytes())),
        ("answers", ("回答.xlsx", answers.read_bytes()))], data={"mark": "word"})
    url = r.json()["url"]
    assert wait_done(client, url)["state"] == "done"
    got = zipfile.ZipFile(io.BytesIO(client.get(f"{url}/download/filled").content))
    want = api.fill(template, answers, tmp_path / "cli")
    assert sorted(got.namelist()) == sorted([w.path.name for w in want.files] + [want.summary.name])
    for path in [w.path for w in want.files] + [want.summary]:
        a = openpyxl.load_workbook(io.BytesIO(got.read(path.name)))
        b = openpyxl.load_workbook(path)
        assert [[c.value for c in row] for ws in a for row in ws.iter_rows()] == \
            [[c.value for c in row] for ws in b for row in ws.iter_rows()]


def test_fill_errors_are_listed(client: TestClient) -> None:
    template = TEMPLATES / "R8_事業者確認用.xlsx"
    r = client.post("/fill", headers=SAME, files=[
        ("template", (template.name, template.read_bytes())),
        ("answers", ("回答.csv", "a,b\n1,2\n".encode("cp932")))])
    url = r.json()["url"]
    assert wait_done(client, url)["state"] == "failed"
    page = client.get(url).text
    assert "回答ファイルに問題がある" in page and "回答.csv: 施設一覧がありません。「医療機関名」の列" in page
    assert not re.search(r"[uf]\d{5}", page)


def test_example_answers_sheet(client: TestClient) -> None:
    r = client.get("/fill/example?edition=R7&variant=hospital")
    assert r.status_code == 200 and "filename*=utf-8''" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert {"既定回答", "施設一覧"} <= set(wb.sheetnames)
    assert client.get("/fill/example?edition=R99").status_code == 400


def test_inspect_shows_what_inspect_prints(client: TestClient) -> None:
    p = SAMPLES / "03_R7_ひかり記念病院_取消線.xlsx"
    r = client.post("/inspect", headers=SAME, files=[("file", (p.name, p.read_bytes()))])
    url = r.json()["url"]
    assert wait_done(client, url)["state"] == "done"
    page = client.get(url).text
    want = api.inspect(p).replace(str(p), p.name)
    from html import unescape

    text = unescape(re.search(r'<pre class="inspect" id="inspect-text">(.*?)</pre>', page, re.S).group(1))
    assert text.splitlines()[1:] == want.splitlines()[1:]
    assert p.name in text


def dashboard_numbers(ws: Any) -> dict[str, int]:
    """The 概要 dashboard's linked numbers by the label above them."""
    out = {}
    for row in ws.iter_rows():
        for c in row:
            if c.hyperlink is not None and isinstance(c.value, int) and c.row > 1:
                label = ws.cell(c.row - 1, c.column).value
                if isinstance(label, str):
                    out[label] = c.value
    return out
