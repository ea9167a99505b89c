"""Write a typed raw table back in its upstream byte format (vectorised with pyarrow.compute).

Used by the synthetic source, and checked against the real sample: reading an upstream file and
writing it again gives the same bytes (tests/factory/sources/test_real_sample.py).
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from factory.sources.columns import ColumnSpec, column_specs
from factory.sources.dialects import CsvDialect, dialect_of
from schemas.raw import RawRow

_NEEDS_QUOTES = r'[,"\r\n]'
_ALL_DIGITS = r"^[0-9]+$"
BATCH_ROWS = 65_536  # rows formatted and written at a time (bounds the memory of a large file)


def _quote(values: pa.Array) -> pa.Array:
    doubled = pc.replace_substring(values, '"', '""')
    return pc.binary_join_element_wise('"', doubled, '"', "")


def _format_float(values: pa.Array, decimals: int) -> pa.Array:
    scaled = pc.cast(pc.round(pc.multiply(values, 10.0**decimals)), pa.int64())
    digits = pc.utf8_lpad(pc.cast(pc.abs(scaled), pa.string()), width=decimals + 1, padding="0")
    text = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(digits, 0, -decimals), pc.utf8_slice_codeunits(digits, -decimals), "."
    ) if decimals else digits
    return pc.if_else(pc.less(scaled, 0), pc.binary_join_element_wise("-", text, ""), text)


def _as_text(values: pa.Array, spec: ColumnSpec, dialect: CsvDialect) -> pa.Array:
    if spec.kind == "str":
        if spec.name in dialect.multiline and dialect.line_end != "\n":
            return pc.replace_substring(values, "\n", dialect.line_end)
        return values
    if spec.kind == "int":
        return pc.cast(values, pa.string())
    if spec.kind == "float":
        return _format_float(values, dialect.decimals)
    if spec.kind == "datetime":
        return pc.cast(pc.cast(values, pa.timestamp("s")), pa.string())  # "YYYY-MM-DD HH:MM:SS"
    return pc.if_else(values, dialect.bool_tokens[0], dialect.bool_tokens[1])


def _quote_mask(text: pa.Array, spec: ColumnSpec, dialect: CsvDialect) -> pa.Array | None:
    if spec.kind in ("int", "float"):
        return None
    if dialect.quoting == "text":
        return pc.invert(pc.match_substring_regex(text, _ALL_DIGITS))
    if spec.kind != "str":
        return None
    if spec.name in dialect.always_quoted:
        return pc.is_valid(text)
    mask = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if dialect.quote_leading_digit:
        mask = pc.or_(mask, pc.match_substring_regex(text, r"^[0-9]"))
    return mask


def format_cells(table: pa.Table, model: type[RawRow]) -> list[pa.Array]:
    """One array of finished CSV cells (quoted, escaped, null token) per model column."""
    dialect = dialect_of(model)
    cells = []
    for spec in column_specs(model):
        text = _as_text(table.column(spec.name).combine_chunks(), spec, dialect)
        mask = _quote_mask(text, spec, dialect)
        if mask is not None:
            text = pc.if_else(pc.fill_null(mask, False), _quote(text), text)
        cells.append(pc.fill_null(text, dialect.null_token))
    return cells


def header_line(model: type[RawRow]) -> str:
    dialect = dialect_of(model)
    names = [f'"{s.name}"' if dialect.quote_header else s.name for s in column_specs(model)]
    return ",".join(names + [""] * dialect.unnamed_columns)


def format_rows(table: pa.Table, model: type[RawRow]) -> pa.Array:
    """The data lines (without line ends) of `table` in the upstream format of `model`'s file."""
    if table.num_rows == 0:
        return pa.array([], pa.string())
    rows = pc.binary_join_element_wise(*format_cells(table, model), ",")
    trailing = "," * dialect_of(model).unnamed_columns
    return pc.binary_join_element_wise(rows, trailing, "") if trailing else rows


def render_csv(model: type[RawRow], rows: pa.Array) -> bytes:
    """Header + rows with the file's line ends, BOM and final-newline rule, as bytes."""
    out = io.BytesIO()
    _write_rendered(out, model, [rows])
    return out.getvalue()


def replace_rows(rows: pa.Array, lines: Mapping[int, str], offset: int = 0) -> pa.Array:
    """`rows` with the row at each index `i` of `lines` (counted from `offset`) replaced by `lines[i]`."""
    at = sorted(i - offset for i in lines if 0 <= i - offset < len(rows))
    if not at:
        return rows
    parts, start = [], 0
    for i in at:
        parts += [rows.slice(start, i - start), pa.array([lines[i + offset]], pa.string())]
        start = i + 1
    parts.append(rows.slice(start))
    return pa.concat_arrays(parts)


def _write_rendered(out: BinaryIO, model: type[RawRow], batches: Iterable[pa.Array]) -> None:
    """Write the header, each batch of rows (each row preceded by a line end) and the final line end;
    the bytes do not depend on how the rows are cut into batches."""
    dialect = dialect_of(model)
    end = dialect.line_end
    out.write((("\ufeff" if dialect.bom else "") + header_line(model)).encode("utf-8"))
    for rows in batches:
        if len(rows) == 0:
            continue
        lines = pc.binary_join_element_wise(end, rows, "")
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
        out.write(memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]])
        del lines
    if dialect.final_newline:
        out.write(end.encode())


def write_csv(table: pa.Table, model: type[RawRow], path: Path, rows: pa.Array | None = None,
              replace: Mapping[int, str] | None = None, batch_rows: int = BATCH_ROWS) -> None:
    """Write `table` (or ready-made `rows`) to `path` in the upstream format of `model`'s file, the
    rows at the indices of `replace` written as its lines. Rows are formatted and written `batch_rows`
    at a time, so the file is never held in memory whole (the bytes are the same as in one piece)."""
    n = len(rows) if rows is not None else table.num_rows

    def batches() -> Iterator[pa.Array]:
        for start in range(0, n, batch_rows):
            batch = (rows.slice(start, batch_rows) if rows is not None
                     else format_rows(table.slice(start, batch_rows), model))
            yield replace_rows(batch, replace, start) if replace else batch

    with open(path, "wb") as out:
        _write_rendered(out, model, batches())
