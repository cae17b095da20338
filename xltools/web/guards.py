"""The page's front gate: one ASGI middleware run before any route, in this order.

1. **Host allow-list** on every request, whatever address the server is bound to (DNS
   rebinding: a foreign site resolving its own name to 127.0.0.1 must not reach the page).
   ``[::1]:8765`` and ``localhost:8765`` are split into name and port before comparing.
2. **Cross-site check** on state-changing requests: ``Sec-Fetch-Site`` must be same-origin
   (or none: typed into the address bar) and ``Origin``, when sent, must be this server's own.
3. **Access token** when one is set (always when bound off loopback): a ``?token=`` URL sets an
   HttpOnly SameSite=Strict cookie and moves to the same page without the token, so the
   token leaves the address bar; the cookie holds a value derived from the
   token, never the token itself. Compared with :func:`hmac.compare_digest`.
4. **Body size**: a ``Content-Length`` over the cap is refused before one byte is read.

Refusals are short Japanese pages (or JSON for the page's own scripts) with no detail an
attacker could use.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
COOKIE = "xltools_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

MSG_HOST = "このアドレスではアクセスできません。サーバーを起動したときに表示されたアドレスを使ってください。"
MSG_ORIGIN = "ほかのサイトからの送信は受け付けません。このページの画面から操作してください。"
MSG_TOKEN = ("アクセスできません。サーバーを起動した人に、起動時に表示されたアドレス"
             "（token= の付いたもの）を聞いて開いてください。")
MSG_TOO_LARGE = "送信されたデータが大きすぎます（上限 {limit}）。ファイルを分けて送ってください。"


def split_host(value: str) -> str:
    """The name part of a Host header, lower-case: ``[::1]:8765`` -> ``::1``,
    ``Localhost.:80`` -> ``localhost``. An unparsable value gives ``""`` (refused)."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return ""
        rest = value[end + 1:]
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return ""
        return value[1:end]
    if value.count(":") > 1:  # a bare IPv6 address is not a valid Host header
        return ""
    name, _, port = value.partition(":")
    if port and not port.isdigit():
        return ""
    return name.rstrip(".")


def is_loopback(host: str) -> bool:
    """Whether a bind address or host name stays on this machine."""
    name = split_host(host) if host.startswith("[") else host.lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def size_text(n: int) -> str:
    """``52428800`` -> ``50 MB`` (the unit office staff see in Explorer)."""
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:.3g} GB"
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} バイト"


def session_value(token: str) -> str:
    """What the cookie carries: derived from the token, so the cookie never holds it."""
    return hmac.new(token.encode(), b"xltools-session", hashlib.sha256).hexdigest()


@dataclass
class Gate:
    """What the gate allows: host names, the token (None: none needed), the body cap."""

    hosts: frozenset[str] = LOOPBACK_NAMES
    token: str | None = None
    max_body: int = 64 * 1024  # bodies of requests that are not uploads
    upload_paths: tuple[str, ...] = ()  # path prefixes whose body cap is ``max_upload``
    max_upload: int = 0
    _cookie: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self.hosts = frozenset(h.lower().strip("[]") for h in self.hosts)
        self._cookie = session_value(self.token) if self.token else ""

    @classmethod
    def for_bind(cls, bind: str, token: str | None, extra_hosts: Iterable[str] = (),
                 **kw: Any) -> Gate:
        """Loopback names always; the bind address itself when it names one host; the
        machine's own names when bound to every interface (0.0.0.0 / ::)."""
        hosts = set(LOOPBACK_NAMES) | {h.lower() for h in extra_hosts}
        if bind not in ("0.0.0.0", "::", ""):
            hosts.add(bind.lower().strip("[]"))
        else:
            hosts |= _own_names()
        return cls(hosts=frozenset(hosts), token=token, **kw)

    def cookie_ok(self, value: str) -> bool:
        return bool(self._cookie) and hmac.compare_digest(value.encode(), self._cookie.encode())

    def token_ok(self, value: str) -> bool:
        return bool(self.token) and hmac.compare_digest(value.encode(), str(self.token).encode())


def _own_names() -> set[str]:
    """This machine's host names and addresses (what colleagues type to reach it)."""
    import socket

    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            names.add(str(info[4][0]).lower())
    except OSError:
        pass
    return {n for n in names if n}


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        out.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
    return out


def _cookies(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(";"):
        k, sep, v = part.strip().partition("=")
        if sep:
            out.setdefault(k, v)
    return out


def _wants_json(headers: dict[str, str]) -> bool:
    return "application/json" in headers.get("accept", "")


async def refuse(send: Send, status: int, message: str, headers: dict[str, str]) -> None:
    """A short refusal: JSON for the page's scripts, a small Japanese page otherwise."""
    if _wants_json(headers):
        body = json.dumps({"error": message}, ensure_ascii=False).encode()
        ctype = "application/json; charset=utf-8"
    else:
        from html import escape

        body = ("<!doctype html><html lang=ja><meta charset=utf-8><title>xltools</title>"
                "<body style='font-family:sans-serif;margin:3em;line-height:1.7'>"
                f"<p>{escape(message)}</p></body></html>").encode()
        ctype = "text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class GateMiddleware:
    """The checks of the module docstring, in that order, before the app sees a request."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = split_host(headers.get("host", ""))
        if not host or host not in self.gate.hosts:
            await refuse(send, 403, MSG_HOST, headers)
            return
        method = scope.get("method", "GET")
        if method not in SAFE_METHODS and not _same_origin(headers, scope):
            await refuse(send, 403, MSG_ORIGIN, headers)
            return
        if self.gate.token:
            cookie = _cookies(headers.get("cookie", "")).get(COOKIE, "")
            if not self.gate.cookie_ok(cookie):
                query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
                if method == "GET" and self.gate.token_ok(query.get("token", "")):
                    await _login(send, scope, query, self.gate)
                    return
                await refuse(send, 403, MSG_TOKEN, headers)
                return
        limit = self._limit(scope.get("path", ""))
        length = headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > limit):
            await refuse(send, 413, MSG_TOO_LARGE.format(limit=size_text(limit)), headers)
            return
        await self.app(scope, receive, send)

    def _limit(self, path: str) -> int:
        if any(path.startswith(p) for p in self.gate.upload_paths):
            return self.gate.max_upload
        return self.gate.max_body


def _same_origin(headers: dict[str, str], scope: Scope) -> bool:
    """A state-changing request must come from this page: Sec-Fetch-Site same-origin (or
    none) and Origin, when present, equal to this server's own origin."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is None:
        return True  # not a browser form post (browsers send Origin on every POST)
    scheme = scope.get("scheme", "http")
    return origin.lower() == f"{scheme}://{headers.get('host', '').lower()}"


async def _login(send: Send, scope: Scope, query: dict[str, str], gate: Gate) -> None:
    """The one-time URL: set the session cookie, then show the same page without the token.

    The page moves on by a meta refresh rather than a redirect: a redirect continuing a click
    from a mail or chat page counts as cross-site, and the browser would hold back the
    SameSite=Strict cookie it just set; a refresh started by this page is same-site.
    """
    from html import escape

    rest = {k: v for k, v in query.items() if k != "token"}
    location = escape(scope.get("path", "/") + (f"?{urlencode(rest)}" if rest else ""))
    cookie = f"{COOKIE}={session_value(str(gate.token))}; HttpOnly; SameSite=Strict; Path=/"
    body = ("<!doctype html><html lang=ja><meta charset=utf-8>"
            f"<meta http-equiv=refresh content=\"0;url={location}\"><title>xltools</title>"
            "<body style='font-family:sans-serif;margin:3em'>"
            f"<p><a href=\"{location}\">xltools の画面を開く</a></p></body></html>").encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"set-cookie", cookie.encode()),
                            (b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["Gate", "GateMiddleware", "split_host", "is_loopback", "size_text", "session_value",
           "COOKIE", "MSG_HOST", "MSG_ORIGIN", "MSG_TOKEN"]
