"""The exceptions gwaskit raises for a user's mistake.

One hierarchy: the command line turns every :class:`GwaskitError` into one line on stderr and
exit code 2; anything else is an internal error (exit code 1, with a traceback under ``-v``).
Messages follow one style: what is wrong, where (file, line, column), what was expected, what was
found, and how to fix it when that is not obvious.
"""

from __future__ import annotations

from os import PathLike


class GwaskitError(Exception):
    """Base class of the errors that mean "the user's input or request is wrong"."""


class InputError(GwaskitError):
    """A file does not hold what was expected.

    Parameters
    ----------
    path
        The file at fault.
    message
        What was expected and what was found, as one sentence.
    line
        1-based line number in the file, where it applies.
    column
        Column name, where it applies.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.detail = message
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class ParameterError(GwaskitError, ValueError):
    """An argument has a value outside what the function accepts.

    The message names the parameter, the expectation and the value given, e.g.
    ``"maf must be in [0, 0.5], got 0.7."``. ``parameter``, when given, is the Python name of
    the argument at fault, so that the command line can say it in its own terms (a flag).
    """

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class BuildMismatchError(GwaskitError):
    """Inputs declare or imply different genome builds (GRCh37 vs GRCh38)."""
