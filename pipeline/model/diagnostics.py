"""Diagnostics: what every stage reports about its input, with a place and a hint."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from pipeline.model.frozen import pickled_by_value


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@pickled_by_value()
@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A place in a source file: 1-based line, optional 1-based column."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.path
        if not self.column:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


@pickled_by_value()
@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    location: Location
    hint: str = ""

    def format(self) -> str:
        """Return the diagnostic as the lines a user reads."""
        text = f"{self.location}: {self.severity.value}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code)


def error(code: str, message: str, location: Location, hint: str = "") -> Diagnostic:
    """Return an error diagnostic."""
    return Diagnostic(Severity.ERROR, code, message, location, hint)


def warning(code: str, message: str, location: Location, hint: str = "") -> Diagnostic:
    """Return a warning diagnostic."""
    return Diagnostic(Severity.WARNING, code, message, location, hint)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    """Return True when any diagnostic is an error."""
    return any(d.severity is Severity.ERROR for d in diagnostics)


class ClinicsError(Exception):
    """A command that cannot go on, for a reason its user can mend: what is wrong, and a hint.

    Every error of the commands is one of these (or a subclass naming its kind); the command
    line prints the message and the hint, in one place, and turns them into the exit status.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(ClinicsError):
    """The command line names something that does not exist (exit status 2)."""
