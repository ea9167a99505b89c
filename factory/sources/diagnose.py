"""Find the first structural fault of a CSV file and say where it is (the reader's error path).

The fast reader (DuckDB's CSV reader) reports faults without the column, and skips blank lines
silently. When it fails, or a cheap check after it does (quote parity, records vs lines), this
pure-Python scanner walks the file record by record and raises a `SourceError` naming the
physical line where the bad record starts and the column: invalid UTF-8, an unterminated quoted
field, a stray quote, or a wrong number of fields.
"""
from __future__ import annotations

import re

from factory.sources.errors import SourceError

_QUOTED = re.compile(r'"[^"]*(?:""[^"]*)*"')
_BAD_BYTES = re.compile(r"[\udc80-\udcff]")


def _column(names: list[str], index: int) -> str:
    return names[index] if index < len(names) else f"<extra field {index + 1}>"


def find_fault(data: bytes, file: str, names: list[str], delimiter: str = ",") -> None:
    """Raise SourceError at the first fault in `data` (header included); return if none is found.

    `names` is the expected column list of a data record (header names for the header itself).
    """
    text = data.decode("utf-8", errors="surrogateescape")
    unquoted = re.compile(f'[^{re.escape(delimiter)}"\\r\\n]*')
    pos = 1 if text.startswith("\ufeff") else 0
    end, line = len(text), 1
    while pos < end:
        record_line, index = line, 0
        while True:
            if text.startswith('"', pos):
                match = _QUOTED.match(text, pos)
                if match is None:
                    raise SourceError(file, "unterminated quoted field (no closing quote before the "
                                      "end of the file)", line, _column(names, index))
            else:
                match = unquoted.match(text, pos)
            value, field_line = match.group(), line
            bad = _BAD_BYTES.search(value)
            if bad:
                byte = ord(bad.group()) - 0xDC00
                raise SourceError(file, f"invalid UTF-8 byte 0x{byte:02x} (the file must be UTF-8)",
                                  line + value.count("\n", 0, bad.start()), _column(names, index))
            line += value.count("\n")
            pos = match.end()
            if pos >= end:
                break
            char = text[pos]
            if char == delimiter:
                index, pos = index + 1, pos + 1
                continue
            if char in "\r\n":
                pos += 2 if text.startswith("\r\n", pos) else 1
                line += 1
                break
            if text.startswith('"', match.start()):
                reason = ("text follows the closing quote of a quoted field (its real closing quote is "
                          "missing, or an inner quote is not doubled)")
            else:
                reason = "stray double quote inside an unquoted field (quote the field and double the quote)"
            raise SourceError(file, reason, field_line, _column(names, index))
        fields = index + 1
        if fields != len(names):
            what = "missing" if fields < len(names) else "extra"
            raise SourceError(file, f"record has {fields} fields, expected {len(names)} ({what} "
                              "fields)", record_line, _column(names, min(fields, len(names))))
