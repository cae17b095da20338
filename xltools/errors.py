"""The one exception family the library raises when a task cannot run at all.

Data problems (a bad file, a contradicting vendor) are never raised: they are problem rows
(:mod:`xltools.problems`). These exceptions are for a run that cannot go on: an unusable
mapping or roster, an option value that makes no sense, an output that cannot be written.
Every message is one Japanese sentence naming the path and the next step; the CLI prints it as
one ``エラー:`` line and exits with :attr:`XltoolsError.exit_code`, the web page shows it.

:func:`output_error` and :func:`input_error` turn an :class:`OSError` on a path into that
sentence, so every writer and reader says the same thing for the same mistake.
"""

from __future__ import annotations

import errno
import os


class XltoolsError(Exception):
    """Base: a task could not run. ``exit_code`` 3 (could not run) unless a subclass says 2."""

    exit_code = 3

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(XltoolsError):
    """An option value or input the user gave is unusable (exit 2)."""

    exit_code = 2


class InputError(XltoolsError):
    """An input the task needs (roster, template, answers sheet) cannot be used (exit 3)."""


class OutputError(XltoolsError):
    """An output cannot be written (folder missing, read-only, file open in Excel) (exit 3)."""


_LOCKED = (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def output_error(path: str | os.PathLike[str], exc: OSError) -> OutputError:
    """One sentence for an output that cannot be written, naming the next step.

    A file that exists but cannot be replaced is almost always open in Excel (Windows locks
    it): the user is told to close it. A folder that cannot be written asks for another place.
    """
    p = os.fspath(path)
    if isinstance(exc, PermissionError) or exc.errno in _LOCKED:
        if os.path.isfile(p):
            return OutputError(f"{p} に書き込めません（{_why(exc)}）。Excel などで開いている場合は"
                               "閉じてから再実行してください。")
        return OutputError(f"{p} に書き込めません（{_why(exc)}）。書き込めるフォルダを指定して"
                           "再実行してください。")
    if exc.errno == errno.ENOSPC:
        return OutputError(f"{p} に書き込めません（ディスクの空きがありません）。空きを作るか"
                           "別の場所を指定して再実行してください。")
    if isinstance(exc, (NotADirectoryError, FileExistsError)):
        return OutputError(f"{p} に書き込めません（途中のフォルダと同じ名前のファイルがあります）。"
                           "別の場所か名前を指定して再実行してください。")
    if isinstance(exc, IsADirectoryError):
        return OutputError(f"{p} はフォルダです。ファイル名（例: 集計.xlsx）を指定して再実行してください。")
    return OutputError(f"{p} に書き込めません（{_why(exc)}）。出力先を確認して再実行してください。")


def input_error(path: str | os.PathLike[str], exc: OSError) -> InputError:
    """One sentence for an input that cannot be read."""
    p = os.fspath(path)
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{p} が見つかりません。パスを確認して再実行してください。")
    if isinstance(exc, PermissionError):
        return InputError(f"{p} を読めません（アクセス権がありません）。読めるようにするか、"
                          "コピーしてから再実行してください。")
    return InputError(f"{p} を読めません（{_why(exc)}）。ファイルを確認して再実行してください。")


__all__ = ["XltoolsError", "UsageError", "InputError", "OutputError", "output_error",
           "input_error"]
