"""Errors a user can fix.

Every input or environment problem becomes one `PilotError`: the CLI prints it as a single line that
names the file, the place in it, what is wrong and how to fix it, and exits with status 2. Nothing
else (no traceback) reaches the user for these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_USER_ERROR = 2


@dataclass(frozen=True)
class Location:
    """Where in an input file a problem is: the file, a YAML path and, when known, line and column."""

    file: Path | str | None = None
    place: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.place:
            parts.append(self.place)
        return ": ".join(parts)


class PilotError(Exception):
    """A problem the user can fix. Rendered as one line; the CLI exits with status 2."""

    exit_code = EXIT_USER_ERROR

    def __init__(self, message: str, *, fix: str | None = None, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.location = location

    def __str__(self) -> str:
        text = self.message
        if self.location is not None and str(self.location):
            text = f"{self.location}: {text}"
        if self.fix:
            text = f"{text}; fix: {self.fix}"
        # One line, always: a multi-line message would break log parsers and the expected-error tests.
        return " ".join(text.split())

    def to_dict(self) -> dict[str, object]:
        loc = self.location or Location()
        return {
            "error": self.message,
            "fix": self.fix,
            "file": str(loc.file) if loc.file is not None else None,
            "place": loc.place,
            "line": loc.line,
            "column": loc.column,
        }


class LabError(PilotError):
    """A lab operation failed in a way the user can act on (stale lab, missing package, busy name)."""
