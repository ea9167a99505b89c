"""Write a typed raw table back in its upstream byte format (vectorised with pyarrow.compute).

Used by the synthetic source, and checked against the real sample: reading an upstream file and
writing it again gives the same bytes (tests/factory/sources/test_real_sample.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from factory.sources.columns import ColumnSpec, column_specs
from factory.sources.dialects import CsvDialect, dialect_of
from schemas.raw import RawRow

_NEEDS_QUOTES = r'[,"\r\n]'
_ALL_DIGITS = r"^[0-9]+$"


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
    dialect = dialect_of(model)
    end = dialect.line_end
    head = ("\ufeff" if dialect.bom else "") + header_line(model)
    if len(rows) == 0:
        return (head + (end if dialect.final_newline else "")).encode("utf-8")
    lines = pc.binary_join_element_wise(end, rows, "")  # each row preceded by a line end
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    body = lines.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]
    return head.encode("utf-8") + body + (end.encode() if dialect.final_newline else b"")


def write_csv(table: pa.Table, model: type[RawRow], path: Path, rows: pa.Array | None = None) -> None:
    """Write `table` (or ready-made `rows`) to `path` in the upstream format of `model`'s file."""
    Path(path).write_bytes(render_csv(model, format_rows(table, model) if rows is None else rows))
