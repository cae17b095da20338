"""The command line's machinery, in Japanese: commands, option types, and the one error path.

Every command is a :class:`Command` (or the :class:`Group`), so in this one module:

* **one error path** (:meth:`_Japanese.invoke`): an :class:`xltools.errors.XltoolsError` raised
  by the library, an :class:`OSError` on an input or output, becomes one ``エラー: ...`` line on
  stderr and the error's exit code (3 could not run, 2 usage); never a traceback;
* **click's own messages in Japanese** (:meth:`_Japanese.main`): a missing option, an unknown
  option, a value not among the choices, a path that does not exist, the usage line and the
  help headings;
* **option types with Japanese messages**: :class:`Choice` (case-insensitive),
  :class:`PathType`, :class:`Count`, :class:`Seconds`.

Nothing here knows a command; the commands live in :mod:`xltools.cli` and its modules.
"""

from __future__ import annotations

import errno
import inspect
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import click

from xltools.cli.layout import write_dl, write_text
from xltools.errors import XltoolsError, input_error

EXIT_PROBLEMS, EXIT_USAGE, EXIT_CANNOT_RUN = 1, 2, 3
PREFIX = "エラー: "


class Failure(click.ClickException):
    """A task that could not run: one ``エラー:`` line and its exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_CANNOT_RUN) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(PREFIX + self.message, err=True)


def fail(message: str, exit_code: int = EXIT_CANNOT_RUN) -> NoReturn:
    """End the command with one ``エラー:`` line (for checks made by the command itself)."""
    raise Failure(message, exit_code)


def note(message: str) -> None:
    """A remark on stderr that is not an error (a capped option, a slower fallback)."""
    click.echo(f"注意: {message}", err=True)


def _as_failure(exc: BaseException) -> Failure | None:
    """The one translation of library exceptions into the CLI's line and exit code."""
    if isinstance(exc, XltoolsError):
        return Failure(exc.message, exc.exit_code)
    if isinstance(exc, OSError) and exc.errno != errno.EPIPE:
        where = exc.filename if exc.filename is not None else ""
        return Failure(input_error(where, exc).message if where else
                       f"ファイルを扱えません（{exc.strerror or exc}）。パスを確認して再実行してください。")
    return None


# --------------------------------------------------------------------------------------------
# click's messages in Japanese


def _hint(exc: click.UsageError) -> str:
    param = getattr(exc, "param", None)
    hint = getattr(exc, "param_hint", None)
    if hint is None and param is not None:
        hint = param.get_error_hint(exc.ctx)
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(hint)
    return str(hint or "")


_ENGLISH = (
    (re.compile(r"No such command '(.+)'\."), "コマンド '{0}' はありません。"),
    (re.compile(r"Got unexpected extra arguments? \((.+)\)"), "余分な引数があります: {0}"),
    (re.compile(r"Option '(.+)' requires an argument\."), "オプション '{0}' に値を指定してください。"),
    (re.compile(r"Option '(.+)' requires (\d+) arguments\."), "オプション '{0}' には値が {1} 個必要です。"),
    (re.compile(r"Option '(.+)' does not take a value\."), "オプション '{0}' は値を取りません。"),
    (re.compile(r"Argument '(.+)' takes (\d+) values\."), "引数 '{0}' には値が {1} 個必要です。"),
)


def japanese_usage(exc: click.UsageError) -> str:
    """The message of a click usage error, in Japanese."""
    if isinstance(exc, click.MissingParameter):
        kind = "引数" if exc.param_type == "argument" or isinstance(exc.param, click.Argument) \
            else "オプション"
        return f"{kind} {_hint(exc)} を指定してください。"
    if isinstance(exc, click.NoSuchOption):
        near = f"（もしかして: {', '.join(exc.possibilities)}）" if exc.possibilities else ""
        return f"オプション '{exc.option_name}' はありません{near}。"
    if isinstance(exc, click.BadParameter):
        if isinstance(getattr(exc, "param", None), click.Argument):
            return exc.message  # the message names the value itself (a path, a form)
        hint = _hint(exc)
        return f"{hint} の値が正しくありません: {exc.message}" if hint else exc.message
    for pattern, template in _ENGLISH:
        m = pattern.fullmatch(exc.message.strip())
        if m:
            return template.format(*m.groups())
    return exc.message


def _show_usage_error(exc: click.UsageError) -> None:
    ctx = exc.ctx
    if ctx is not None:
        click.echo(ctx.get_usage(), err=True)
        names = ctx.command.get_help_option_names(ctx)
        if names:
            click.echo(f"'{ctx.command_path} {max(names, key=len)}' で使い方を表示します。",
                       err=True)
        click.echo("", err=True)
    click.echo(PREFIX + japanese_usage(exc), err=True)


# click >= 8.2 raises this for a group run without a command (8.1 prints the help itself)
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Japanese:
    """What :class:`Command` and :class:`Group` share: Japanese help and the one error path."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            failure = _as_failure(exc)
            if failure is None:
                raise
            raise failure from exc

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        run = super().main  # type: ignore[misc]
        if not standalone_mode:
            return run(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            rv = run(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except _NO_ARGS_IS_HELP as exc:
            click.echo(exc.format_message(), err=True)
            sys.exit(EXIT_USAGE)
        except click.UsageError as exc:
            _show_usage_error(exc)
            sys.exit(EXIT_USAGE)
        except Failure as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(PREFIX + exc.format_message(), err=True)
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("中断しました。", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)

    # -- help in Japanese ------------------------------------------------------------------

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="使い方: ")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        text = inspect.cleandoc(self.help or "").partition("\f")[0]  # type: ignore[attr-defined]
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                write_text(formatter, text)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = [r for p in self.get_params(ctx)  # type: ignore[attr-defined]
                   if isinstance(p, click.Option) and (r := p.get_help_record(ctx)) is not None]
        if records:
            with formatter.section("オプション"):
                write_dl(formatter, records)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = "この説明を表示して終わります。"
        return option


class Command(_Japanese, click.Command):
    """An xltools command: Japanese help and messages, one error path."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("options_metavar", "[オプション]")
        super().__init__(*args, **kw)


class Group(_Japanese, click.Group):
    """The ``xltools`` group; its commands are :class:`Command`."""

    command_class = Command

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("options_metavar", "[オプション]")
        kw.setdefault("subcommand_metavar", "コマンド [引数]...")
        super().__init__(*args, **kw)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        commands = [(name, cmd) for name in self.list_commands(ctx)
                    if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if commands:
            width = formatter.width - 6 - max(len(n) for n, _ in commands)
            with formatter.section("コマンド"):
                write_dl(formatter, [(n, c.get_short_help_str(width)) for n, c in commands])


_EXTRAS = (("env var: ", "環境変数: "), ("default: ", "既定: "), ("required", "必須"))
_EXTRA_BLOCK = re.compile(r"\[([^\[\]]*)\]$")


class Option(click.Option):
    """An option whose help extras (default, environment variable, required) are Japanese.

    click writes them in English at the end of the help (``[env var: X; default: 60;
    required]``, the same words in every click since 8.1); each is put in Japanese here."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        spec, text = record
        m = _EXTRA_BLOCK.search(text)
        if m:
            items = []
            for item in m.group(1).split("; "):
                for english, japanese in _EXTRAS:
                    if item.startswith(english):
                        item = japanese + item[len(english):]
                        break
                items.append(item)
            text = text[:m.start()] + f"[{'; '.join(items)}]"
        return spec, text


def option(*names: str, **kw: Any) -> Callable[[Any], Any]:
    """``click.option`` with the Japanese :class:`Option` and the environment variable shown."""
    kw.setdefault("cls", Option)
    if "envvar" in kw:
        kw.setdefault("show_envvar", True)
    return click.option(*names, **kw)


def command(name: str) -> Callable[[Callable[..., Any]], Command]:
    return click.command(name, cls=Command)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# option types with Japanese messages


class Choice(click.Choice):
    """One of fixed words, in any letter case; a wrong word names the choices in Japanese."""

    def __init__(self, choices: Sequence[str]) -> None:
        super().__init__(list(choices), case_sensitive=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        wanted = str(value).casefold()
        for choice in self.choices:
            if str(choice).casefold() == wanted:
                return choice
        self.fail(f"「{value}」は選べません。{', '.join(map(str, self.choices))} のどれかを"
                  "指定してください。", param, ctx)


class PathType(click.ParamType):
    """A path; ``exists`` requires it, ``kind`` ``file``/``dir`` requires that kind."""

    name = "path"

    def __init__(self, *, exists: bool = False, kind: str | None = None) -> None:
        self.exists, self.kind = exists, kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        path = os.fspath(value)
        if self.exists and not os.path.exists(path):
            self.fail(f"パス '{path}' が見つかりません。", param, ctx)
        if self.kind == "file" and os.path.isdir(path):
            self.fail(f"'{path}' はフォルダです。ファイルを指定してください。", param, ctx)
        if self.kind == "dir" and os.path.isfile(path):
            self.fail(f"'{path}' はファイルです。フォルダを指定してください。", param, ctx)
        return path


class Count(click.ParamType):
    """A whole number of at least ``minimum``."""

    name = "integer"

    def __init__(self, minimum: int = 1, maximum: int | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            n = int(str(value).strip())
        except ValueError:
            self.fail(f"「{value}」は整数ではありません。", param, ctx)
        if n < self.minimum or (self.maximum is not None and n > self.maximum):
            upto = f"{self.maximum} 以下" if self.maximum is not None else ""
            self.fail(f"{self.minimum} 以上{upto}の整数を指定してください（「{value}」）。", param, ctx)
        return n


class Seconds(click.ParamType):
    """A number of seconds, 0 or more."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            n = float(str(value).strip())
        except ValueError:
            self.fail(f"「{value}」は秒数ではありません。", param, ctx)
        if not n >= 0:
            self.fail(f"0 以上の秒数を指定してください（「{value}」）。", param, ctx)
        return n


def require_suffix(value: str | None, suffixes: Sequence[str], option_name: str,
                   example: str) -> None:
    """An output file's suffix must match what is written (``--out g.csv`` for a workbook is a
    usage error, never an Excel file named .csv)."""
    if value is None:
        return
    suffix = os.path.splitext(value)[1].lower()
    if suffix not in suffixes:
        fail(f"{option_name} '{value}' の拡張子は {' / '.join(suffixes)} にしてください"
             f"（例: {option_name} {example}）。", EXIT_USAGE)


__all__ = ["Command", "Group", "Option", "Failure", "Choice", "PathType", "Count", "Seconds",
           "option", "command", "fail", "note", "require_suffix", "japanese_usage",
           "EXIT_PROBLEMS", "EXIT_USAGE", "EXIT_CANNOT_RUN"]
