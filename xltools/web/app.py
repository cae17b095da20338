"""The Starlette application behind ``xltools serve``: pages, uploads, jobs, downloads.

Routes are thin: an upload is streamed into a new job's folder (:mod:`xltools.web.uploads`),
checked, and handed to a background job whose work is a few :mod:`xltools.api` calls
(:mod:`xltools.web.tasks`); the job page shows progress (server-sent events, polling as a
fallback, a refresh without scripts) and then the result. Every request passes the gate of
:mod:`xltools.web.guards` first; every response carries a strict Content-Security-Policy (all
scripts and styles come from ``/static``, nothing from outside).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from xltools.labels import VARIANT_JA
from xltools.web import tasks
from xltools.web.guards import Gate, GateMiddleware, size_text
from xltools.web.jobs import Job, Jobs
from xltools.web.uploads import (
    Inbox,
    Limits,
    UploadRefused,
    apply_modified,
    check_disk,
    receive,
    unpack_zip,
)

HERE = Path(__file__).parent
FILE_FIELDS = {"consolidate": frozenset({"files", "roster"}),
               "fill": frozenset({"template", "answers"}), "inspect": frozenset({"file"})}
PAGES = {"consolidate": ("/", "集計"), "fill": ("/fill", "一括記入"), "inspect": ("/inspect", "確認")}
GROUP_BY = (("", "しない"), ("group", "法人・グループ（名簿が必要）"),
            ("area", "保健所・地域（名簿が必要）"), ("kind", "種別（病院・診療所・薬局）"),
            ("edition", "年度版"))
EDITIONS = ("R8", "R7", "R6", "R5")
VARIANTS = tuple((v, VARIANT_JA[v]) for v in ("vendor", "hospital", "pharmacy"))
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def create_app(*, gate: Gate | None = None, limits: Limits | None = None,
               jobs: Jobs | None = None) -> Starlette:
    """The page as an ASGI app (``gate`` default: loopback only, no token)."""
    limits = limits or Limits()
    jobs = jobs or Jobs()
    gate = gate or Gate()
    gate.upload_paths = ("/consolidate", "/fill", "/inspect")
    gate.max_upload = limits.body_bytes
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(size_text=size_text, pages=PAGES)
    web = _Web(templates, limits, jobs)
    routes = [
        Route("/", web.consolidate_page), Route("/fill", web.fill_page),
        Route("/inspect", web.inspect_page),
        Route("/consolidate", web.upload("consolidate"), methods=["POST"]),
        Route("/fill", web.upload("fill"), methods=["POST"]),
        Route("/inspect", web.upload("inspect"), methods=["POST"]),
        Route("/fill/example", web.example),
        Route("/jobs/{job_id}", web.job_page), Route("/jobs/{job_id}/status", web.status),
        Route("/jobs/{job_id}/events", web.events),
        Route("/jobs/{job_id}/download/{key}", web.download),
        Route("/jobs/{job_id}/delete", web.delete, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        jobs.close()  # every job folder goes with the server

    app = Starlette(routes=routes, lifespan=lifespan)
    return GateMiddleware(_SecurityHeaders(app), gate)  # type: ignore[return-value]


class _SecurityHeaders:
    """Headers every response carries: CSP, no sniffing, no framing, no referrer (job ids
    are in URLs), and no caching except for the bundled assets."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def add(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()),
                            (b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer")]
                if not static and not any(k == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, add)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


class _Web:
    """The route handlers, sharing the templates, the limits and the jobs."""

    def __init__(self, templates: Jinja2Templates, limits: Limits, jobs: Jobs) -> None:
        self.templates = templates
        self.limits = limits
        self.jobs = jobs

    # ---- pages

    def _page(self, request: Request, kind: str, error: str = "", status: int = 200) -> Response:
        return self.templates.TemplateResponse(request, f"{kind}.html", {
            "page": kind, "title": PAGES[kind][1], "error": error, "limits": self.limits,
            "group_by": GROUP_BY, "editions": EDITIONS, "variants": VARIANTS}, status_code=status)

    async def consolidate_page(self, request: Request) -> Response:
        return self._page(request, "consolidate")

    async def fill_page(self, request: Request) -> Response:
        return self._page(request, "fill")

    async def inspect_page(self, request: Request) -> Response:
        return self._page(request, "inspect")

    # ---- uploads

    def upload(self, kind: str) -> Any:
        async def handler(request: Request) -> Response:
            job = self.jobs.new(kind)
            inbox = Inbox(job.folder / "in", self.limits)
            try:
                declared = int(request.headers.get("content-length") or 0)
                check_disk(job.folder, declared, self.limits)
                received = await receive(request.stream(), request.headers.get("content-type", ""),
                                         inbox, FILE_FIELDS[kind])
                work = await run_in_threadpool(_prepare, kind, inbox, received.fields)
            except UploadRefused as exc:
                self.jobs.remove(job)
                if _wants_json(request):
                    return JSONResponse({"error": exc.message}, status_code=exc.status)
                return self._page(request, kind, exc.message, exc.status)
            except BaseException:
                self.jobs.remove(job)  # nothing of a failed upload stays on disk
                raise
            self.jobs.start(job, work)
            url = f"/jobs/{job.id}"
            if _wants_json(request):
                return JSONResponse({"job": job.id, "url": url}, status_code=202)
            return RedirectResponse(url, status_code=303)

        return handler

    async def example(self, request: Request) -> Response:
        """The example answers sheet for 一括記入, made on request and not kept."""
        from xltools import api

        edition = request.query_params.get("edition", "R8")
        variant = request.query_params.get("variant", "vendor")
        form = request.query_params.get("form", "checklist")
        if edition not in EDITIONS or variant not in dict(VARIANTS) or form not in ("checklist", "contract"):
            return Response("指定が正しくありません。", status_code=400, media_type="text/plain; charset=utf-8")
        job = self.jobs.new("example")
        job.finished = time.time()  # expires like any job should the download never complete
        target = job.folder / "回答.xlsx"
        try:
            await run_in_threadpool(api.fill_example, target, edition=edition, variant=variant,
                                    form=form)
        except BaseException:
            self.jobs.remove(job)
            raise
        label = "契約確認表" if form == "contract" else f"{edition}_{dict(VARIANTS)[variant]}"
        return FileResponse(target, filename=f"回答例_{label}.xlsx", media_type=tasks.XLSX,
                            background=BackgroundTask(self.jobs.remove, job))

    # ---- jobs

    def _job(self, request: Request) -> Job | None:
        job = self.jobs.get(request.path_params["job_id"])
        return job if job is not None and job.kind in PAGES else None

    def _gone(self, request: Request) -> Response:
        message = "この結果は見つかりません（時間がたって自動で削除されたか、削除ボタンで消されました）。もう一度お試しください。"
        if _wants_json(request):
            return JSONResponse({"error": message}, status_code=404)
        return self.templates.TemplateResponse(request, "gone.html", {
            "page": "", "title": "見つかりません", "message": message}, status_code=404)

    async def job_page(self, request: Request) -> Response:
        job = self._job(request)
        if job is None:
            return self._gone(request)
        return self.templates.TemplateResponse(request, "job.html", {
            "page": job.kind, "title": PAGES[job.kind][1], "job": job})

    async def status(self, request: Request) -> Response:
        job = self._job(request)
        return self._gone(request) if job is None else JSONResponse(job.status())

    async def events(self, request: Request) -> Response:
        """Server-sent events: the job's status whenever it changes, until it ends."""
        job = self._job(request)
        if job is None:
            return self._gone(request)

        async def stream() -> AsyncIterator[str]:
            last, idle = None, 0.0
            while True:
                now = json.dumps(job.status(), ensure_ascii=False)
                if now != last:
                    yield f"data: {now}\n\n"
                    last, idle = now, 0.0
                elif idle >= 15:
                    yield ": ping\n\n"
                    idle = 0.0
                if job.state in ("done", "failed") or await request.is_disconnected():
                    return
                await asyncio.sleep(0.3)
                idle += 0.3

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    async def download(self, request: Request) -> Response:
        job = self._job(request)
        if job is None or job.state != "done":
            return self._gone(request)
        key = request.path_params["key"]
        item = job.downloads.get(key)
        if item is None or not item.path.is_file():
            return self._gone(request)
        return FileResponse(item.path, filename=item.filename, media_type=item.media_type,
                            background=BackgroundTask(self.jobs.fetched, job, key))

    async def delete(self, request: Request) -> Response:
        job = self._job(request)
        if job is not None:
            self.jobs.remove(job)
            return RedirectResponse(PAGES[job.kind][0], status_code=303)
        return RedirectResponse("/", status_code=303)


def _prepare(kind: str, inbox: Inbox, fields: dict[str, str]) -> Any:
    """Check what was sent and return the job's work; refusals carry the user's message."""
    if kind == "consolidate":
        apply_modified(inbox, fields.get("modified", ""))
        for up in [u for u in inbox.of("files") if u.path.suffix == ".zip"]:
            unpack_zip(inbox, up, "files")
        if not inbox.of("files"):
            raise UploadRefused("集計するファイルが選ばれていません。ファイルかフォルダを選んでください。")
        inbox.arrange("files")
        if len(inbox.of("roster")) > 1:
            raise UploadRefused("名簿は1つだけ選んでください。")
        opts = tasks.ConsolidateOptions(
            as_of=fields.get("as_of", "").strip() or None,
            group_by=fields.get("group_by", "").strip() or None,
            passwords=[p for p in fields.get("passwords", "").replace("\r", "").split("\n") if p])
        try:
            tasks.check_consolidate_options(inbox, opts)
        except Exception as exc:
            message = tasks.user_message(exc, inbox.names())
            if message is None:
                raise
            raise UploadRefused(message) from exc
        return tasks.consolidate_work(inbox, opts)
    if kind == "fill":
        if len(inbox.of("template")) != 1 or not inbox.of("answers"):
            raise UploadRefused("公式の様式（白紙）と回答ファイルを1つずつ選んでください。")
        mark = fields.get("mark", "word")
        return tasks.fill_work(inbox, mark if mark in ("word", "circle") else "word")
    if len(inbox.of("file")) != 1:
        raise UploadRefused("確認するファイルを1つ選んでください。")
    passwords = [p for p in fields.get("passwords", "").replace("\r", "").split("\n") if p]
    return tasks.inspect_work(inbox, passwords)


__all__ = ["create_app", "CSP"]
