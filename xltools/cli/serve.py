"""``xltools serve``: start the page (thin: options -> the app -> uvicorn on one socket)."""

from __future__ import annotations

import secrets
import socket
import sys

import click

from xltools.cli.base import Count, Failure, command, option


@command("serve")
@option("--port", "-p", type=Count(0, 65535), default=8765, show_default=True, metavar="番号",
        help="待ち受けるポート番号（0: 空いている番号。アドレスを表示します）。")
@option("--host", "host", default="127.0.0.1", show_default=True, metavar="アドレス",
        help="待ち受けるアドレス。既定ではこのパソコンからだけ使えます。ほかのアドレス（例: 事務所の"
             "ネットワークの同僚向けに 0.0.0.0）ではアクセス用の token が必要になります。")
@option("--open/--no-open", "open_browser", default=None,
        help="ブラウザで画面を開きます（既定: このパソコンだけで使うときは開く）。")
@option("--token", default=None, metavar="TOKEN",
        help="アクセス用の token（既定: --host が自分のパソコン以外なら自動で作ります）。")
@option("--allow-host", "allow_hosts", multiple=True, metavar="名前",
        help="画面を開くときに使ってよいホスト名を追加します（繰り返し指定可。自分のパソコンの名前・"
             "待ち受けアドレスは常に使えます）。")
def serve_command(port: int, host: str, open_browser: bool | None, token: str | None,
                  allow_hosts: tuple[str, ...]) -> None:
    """職員向けの画面（集計・一括記入・確認）をブラウザで使えるようにします。

    --host を指定しない限り 127.0.0.1 だけで待ち受けます。指定したときはアクセス用の token
    が必要です（起動時に token 付きの URL を表示します。開くとブラウザが覚え、アドレス欄から
    token は消えます）。Ctrl+C で終わります。

    \b
    例:
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
        raise Failure(  # one エラー: line, exit 3
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
