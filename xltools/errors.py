"""The one exception family the library raises when a task cannot run at all.

Data problems (a bad file, a contradicting vendor) are never raised: they are problem rows
(:mod:`xltools.problems`). These exceptions are for a run that cannot go on: an unusable
mapping or roster, an option value that makes no sense, an output that cannot be written.
Every message is one Japanese sentence naming the path and the next step; the CLI prints it as
one ``エラー:`` line and exits with :attr:`XltoolsError.exit_code`, the web page shows it.
"""

from __future__ import annotations


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


__all__ = ["XltoolsError", "UsageError", "InputError", "OutputError"]
