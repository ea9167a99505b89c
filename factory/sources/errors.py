"""The one exception every source problem raises: it names the file, the physical line and the column."""
from __future__ import annotations


class SourceError(Exception):
    """A malformed or missing input file. `line` is the physical line (header = 1) where the bad
    record starts; `column` the upstream column name. Either is None when it does not apply."""

    def __init__(self, file: str, reason: str, line: int | None = None, column: str | None = None):
        self.file, self.reason, self.line, self.column = file, reason, line, column
        where = file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {reason}")
