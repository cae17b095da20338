"""``xltools serve``: start the page (thin: options -> the app -> uvicorn on one socket)."""

from __future__ import annotations

import secrets
import socket
import sys

import click


@click.command("serve")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port; the address is printed).")
@click.option("--host", "host", default="127.0.0.1", show_default=True,
              help="Address to bind. The default keeps the page on this PC; any other address "
                   "(e.g. 0.0.0.0 for colleagues on the office network) requires the token.")
@click.option("--open/--no-open", "open_browser", default=None,
              help="Open the page in the browser (default: yes when on this PC only).")
@click.option("--token", default=None, metavar="TOKEN",
              help="Access token (default: generated when --host is not loopback).")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Extra host name the page may be reached by (repeatable; loopback names, the "
                   "bind address and this machine's names are always allowed).")
def serve_command(port: int, host: str, open_browser: bool | None, token: str | None,
                  allow_hosts: tuple[str, ...]) -> None:
    """Start the page for staff: 集計, 一括記入 and 確認 in the browser.

    Listens on 127.0.0.1 only unless --host says otherwise, and then demands an access
    token (printed at start as a one-time URL). Stop with Ctrl+C.

    \b
    Example:
        xltools serve
        xltools serve --host 0.0.0.0 --port 8765 --no-open
    """
    import uvicorn

    from xltools.web import create_app
    from xltools.web.guards import Gate, is_loopback

    local = is_loopback(host)
    if token is None and not local:
        token = secrets.token_urlsafe(32)
    try:
        sock = _bind(host, port)
    except OSError as exc:
        raise click.ClickException(
            f"{host}:{port} で待ち受けできません（{exc.strerror or exc}）。--port で別の番号を指定してください。"
        ) from exc
    actual = sock.getsockname()[1]
    gate = Gate.for_bind(host, token, allow_hosts)
    app = create_app(gate=gate)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{actual}/"
    login = f"{url}?token={token}" if token else url
    click.echo(f"xltools の画面: {login}", err=True)
    if token:
        click.echo("このアドレス（token 付き）を知っている人だけが使えます。同僚には、このアドレスの "
                   f"{shown} をこのパソコンの名前か IP アドレスに替えて伝えてください。", err=True)
    click.echo("終了するには Ctrl+C を押してください。", err=True)
    sys.stderr.flush()
    if open_browser if open_browser is not None else local:
        import webbrowser

        webbrowser.open(login)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    """One listening socket, bound before the address is printed (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


__all__ = ["serve_command"]
