"""Read upstream-format CSV files into typed Arrow tables (the one reading path for every source).

Each file is parsed once by pyarrow with every column as text, then typed and checked column by
column against its pydantic model (schemas/raw.py). Problems in an Olist file are fatal and raise
`SourceError` naming file, physical line and column; row-level problems in the B2W corpus (a
known messy text corpus) reject the row with a reason instead, after repairing the rows whose
review text spilled into later columns when the repair is unambiguous.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from factory.io import sha256_bytes
from factory.sources.columns import ColumnSpec, arrow_schema, column_names, column_specs
from factory.sources.diagnose import find_fault
from factory.sources.dialects import CsvDialect, dialect_of
from factory.sources.errors import SourceError
from schemas.raw import B2wReview, RawRow, Rejection

_INT = r"^[+-]?[0-9]+(\.0*)?$"  # "1958.0" too: some re-saved copies write whole numbers as floats
_FLOAT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass
class RawCsv:
    """A parsed file: every column as text (empty field = null), and the physical line where
    each record starts (header = line 1; quoted values may hold line breaks)."""

    file: str
    data: bytes
    table: pa.Table
    lines: np.ndarray

    @cached_property
    def sha256(self) -> str:
        return sha256_bytes(self.data)

    def derive(self, table: pa.Table, keep: np.ndarray | None = None) -> "RawCsv":
        """The same file with replaced columns and, optionally, only the rows in `keep`."""
        return RawCsv(self.file, self.data, table, self.lines if keep is None else self.lines[keep])

    def error(self, row: int, column: str, reason: str) -> SourceError:
        return SourceError(self.file, reason, int(self.lines[row]), column)


def _record_lines(table: pa.Table) -> np.ndarray:
    breaks = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        breaks += pc.fill_null(pc.count_substring(column, "\n"), 0).to_numpy()
    return 2 + np.arange(table.num_rows) + np.cumsum(breaks) - breaks


def _header(data: bytes, file: str) -> tuple[list[str], str]:
    """The header's names and the delimiter (',' unless the header only splits on ';')."""
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(file, f"invalid UTF-8 in the header ({exc.reason})", 1) from None
    if not text:
        raise SourceError(file, "empty file or empty header line", 1)
    delimiter = ";" if text.count(";") > text.count(",") else ","
    return next(csv.reader([text], delimiter=delimiter)), delimiter


def _check_names(found: list[str], expected: list[str], file: str) -> None:
    missing = [n for n in expected if n not in found]
    unexpected = [n for n in found if n not in expected]
    if missing:
        instead = f" (the header has {', '.join(map(repr, unexpected))} instead)" if unexpected else ""
        raise SourceError(file, f"missing column{instead}", 1, missing[0])
    if unexpected or len(found) != len(set(found)):
        extra = unexpected[0] if unexpected else next(n for n in found if found.count(n) > 1)
        raise SourceError(file, "unexpected or repeated column in the header", 1, extra)


def read_strings(data: bytes, names: list[str], delimiter: str, file: str,
                 multiline: tuple[str, ...] = ()) -> RawCsv:
    """Parse a file's bytes (header already checked; `names` in file order), every column as text."""
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                quoted_strings_can_be_null=True, null_values=[""],
            ),
        )
    except pa.ArrowInvalid as exc:
        find_fault(data, file, names, delimiter)
        raise SourceError(file, f"unreadable CSV ({exc})") from None
    raw = RawCsv(file, data, table, _record_lines(table))
    if data.count(b'"') % 2:
        find_fault(data, file, names, delimiter)
        raise SourceError(file, "odd number of double quotes: a quoted field is never closed")
    for name in names:
        if name in multiline:
            continue
        broken = pc.fill_null(pc.match_substring_regex(table.column(name), "[\r\n]"), False)
        if pc.any(broken).as_py():
            find_fault(data, file, names, delimiter)
            row = int(np.flatnonzero(broken.to_numpy(zero_copy_only=False))[0])
            raise raw.error(row, name, "line break inside a single-line column (unclosed quote?)")
    return raw


def _checks(values: pa.Array, spec: ColumnSpec, dialect: CsvDialect) -> tuple[pa.Array, list[tuple[pa.Array, str]]]:
    """The typed column and its (bad-row mask, reason) checks, in the order they apply."""
    present = pc.is_valid(values)
    checks: list[tuple[pa.Array, str]] = []
    if not spec.nullable:
        checks.append((pc.invert(present), "empty value in a required column"))
    if spec.kind == "str":
        typed = values
        if spec.name in dialect.multiline:
            typed = pc.replace_substring(pc.replace_substring(values, "\r\n", "\n"), "\r", "\n")
    elif spec.kind == "datetime":
        typed = pc.strptime(values, format=_TIMESTAMP_FORMAT, unit="us", error_is_null=True)
        checks.append((pc.and_(present, pc.is_null(typed)), "not a timestamp YYYY-MM-DD HH:MM:SS"))
    elif spec.kind == "bool":
        yes, no = dialect.bool_tokens
        ok = pc.is_in(values, pa.array([yes, no]))
        checks.append((pc.and_(present, pc.invert(ok)), f"not {yes!r} or {no!r}"))
        typed = pc.if_else(ok, pc.equal(values, yes), pa.scalar(None, pa.bool_()))
    else:
        ok = pc.match_substring_regex(values, _INT if spec.kind == "int" else _FLOAT)
        label = "not an integer" if spec.kind == "int" else "not a number"
        checks.append((pc.and_(present, pc.invert(ok)), label))
        target = pa.int64() if spec.kind == "int" else pa.float64()
        text = pc.if_else(ok, values, pa.scalar(None, pa.string()))
        if spec.kind == "int":
            text = pc.replace_substring_regex(text, r"\.0*$", "")
        typed = pc.cast(text, target)
    if spec.pattern:
        checks.append((pc.invert(pc.match_substring_regex(values, spec.pattern)),
                       f"does not match {spec.pattern}"))
    if spec.allowed:
        checks.append((pc.and_(present, pc.invert(pc.is_in(values, pa.array(spec.allowed)))),
                       f"not one of {', '.join(spec.allowed)}"))
    if spec.minimum is not None:
        checks.append((pc.less(typed, spec.minimum), f"below the minimum {spec.minimum:g}"))
    if spec.maximum is not None:
        checks.append((pc.greater(typed, spec.maximum), f"above the maximum {spec.maximum:g}"))
    return typed, [(pc.fill_null(mask, False), reason) for mask, reason in checks]


@dataclass
class Typed:
    table: pa.Table
    rejections: list[Rejection] = field(default_factory=list)


def to_typed(raw: RawCsv, model: type[RawRow], on_bad: str, row_key: str = "") -> Typed:
    """Type and check every column of `raw` against `model`.

    on_bad="raise": the first bad value (in file order) raises SourceError.
    on_bad="reject": rows with a bad value are dropped and returned as rejections (first reason).
    """
    dialect = dialect_of(model)
    arrays, first_reason = [], np.full(raw.table.num_rows, -1, dtype=np.int64)
    reasons: list[tuple[str, str]] = []
    for spec in column_specs(model):
        values = raw.table.column(spec.name).combine_chunks()
        typed, checks = _checks(values, spec, dialect)
        arrays.append(typed)
        for mask, reason in checks:
            bad = mask.to_numpy(zero_copy_only=False) & (first_reason < 0)
            if bad.any():
                first_reason[bad] = len(reasons)
                reasons.append((spec.name, reason))
    bad_rows = np.flatnonzero(first_reason >= 0)
    schema = arrow_schema(model)
    if on_bad == "raise":
        if len(bad_rows):
            row = int(bad_rows[0])
            column, reason = reasons[first_reason[row]]
            value = raw.table.column(column)[row].as_py()
            raise raw.error(row, column, reason if value is None else f"{reason} (value {value!r})")
        table = pa.Table.from_arrays(arrays, schema=schema)
        _check_unique(raw, table, model)
        return Typed(table)
    keys = raw.table.column(row_key).to_pylist() if row_key and len(bad_rows) else None
    rejections = [
        Rejection(file=raw.file, line=int(raw.lines[row]), column=reasons[first_reason[row]][0],
                  reason=reasons[first_reason[row]][1], row_key=str(keys[row]) if keys else "")
        for row in bad_rows
    ]
    keep = pa.array(first_reason < 0)
    table = pa.Table.from_arrays([pc.filter(a, keep) for a in arrays], schema=schema)
    return Typed(table, rejections)


def _check_unique(raw: RawCsv, table: pa.Table, model: type[RawRow]) -> None:
    if not model.primary_key:
        return
    parts = [pc.cast(table.column(c), pa.string()) for c in model.primary_key]
    key = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "|")
    if len(pc.unique(key)) == table.num_rows:
        return
    seen: dict[str, int] = {}
    for row, value in enumerate(key.to_pylist()):
        if value in seen:
            raise raw.error(row, model.primary_key[-1] if len(parts) > 1 else model.primary_key[0],
                            f"duplicate {'+'.join(model.primary_key)} {value!r} (first at line "
                            f"{raw.lines[seen[value]]})")
        seen[value] = row


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(path.name, f"file not found (looked for {path})") from None


def read_olist_table(path: Path, model: type[RawRow]) -> tuple[pa.Table, str]:
    """One Olist file -> (typed table, sha256 of the file). Any fault raises SourceError."""
    data = _read_file(path)
    found, delimiter = _header(data, path.name)
    _check_names(found, column_names(model), path.name)
    raw = read_strings(data, found, delimiter, path.name, dialect_of(model).multiline)
    return to_typed(raw, model, "raise").table, raw.sha256


# --- B2W-Reviews01 ------------------------------------------------------------------------------

_TAIL = ("reviewer_birth_year", "reviewer_gender", "reviewer_state")
_TAIL_OK = (re.compile(r"^(null|[0-9]{1,4})$"), re.compile(r"^(null|M|F)$"),
            re.compile(r"^(null|[A-Z]{2})$"))
SPILL_REASON = "review text spills into later columns and the shifted fields are ambiguous"


@dataclass
class B2wResult:
    table: pa.Table
    sha256: str
    rejections: list[Rejection]
    repaired_lines: list[int]


def _repair_spill(row: list[str | None], text_at: int) -> list[str | None] | None:
    """Rows whose unquoted review text was split at its commas: the last three filled fields are
    birth year, gender and state, and the fields between are pieces of the text (joined back with
    the commas that split them). None when the shifted fields do not parse as such."""
    filled = [i for i, v in enumerate(row) if v is not None]
    last = filled[-1]
    tail = row[last - 2:last + 1]
    if last - 2 <= text_at + 1 or not all(v is not None and ok.match(v) for v, ok in zip(tail, _TAIL_OK)):
        return None
    text = ",".join(v or "" for v in row[text_at:last - 2])
    return [text, *tail]


def read_b2w(path: Path) -> B2wResult:
    """B2W-Reviews01 (14 named columns, optionally trailing unnamed ones; ',' or ';')."""
    data = _read_file(path)
    file = path.name
    found, delimiter = _header(data, file)
    expected = column_names(B2wReview)
    named, unnamed = found[:len(expected)], found[len(expected):]
    _check_names(named, expected, file)
    if named != expected:
        raise SourceError(file, "columns are not in the corpus order " + ", ".join(expected), 1)
    if any(unnamed):
        raise SourceError(file, "unexpected column after the 14 corpus columns", 1,
                          next(n for n in unnamed if n))
    extra = [f"Unnamed: {len(expected) + i}" for i in range(len(unnamed))]
    raw = read_strings(data, expected + extra, delimiter, file, dialect_of(B2wReview).multiline)
    table, keep = raw.table, None
    rejections: list[Rejection] = []
    repaired_lines: list[int] = []
    spilled = np.zeros(table.num_rows, dtype=bool)
    for name in extra:
        spilled |= pc.is_valid(table.column(name)).to_numpy(zero_copy_only=False)
    if spilled.any():
        rows = np.flatnonzero(spilled)
        text_at = expected.index("review_text")
        fixed_cols = ("review_text", *_TAIL)
        fixes: dict[str, list] = {c: [] for c in fixed_cols}
        keep = np.ones(table.num_rows, dtype=bool)
        for row, record in zip(rows, table.take(pa.array(rows)).to_pylist()):
            line = int(raw.lines[row])
            repaired = _repair_spill([record[n] for n in expected + extra], text_at)
            if repaired is None:
                keep[row] = False
                repaired = [record[c] for c in fixed_cols]
                rejections.append(Rejection(file=file, line=line, column="review_text",
                                            reason=SPILL_REASON, row_key=str(record["reviewer_id"])))
            else:
                repaired_lines.append(line)
            for name, value in zip(fixed_cols, repaired):
                fixes[name].append(value)
        for name in fixed_cols:
            column = pc.replace_with_mask(table.column(name).combine_chunks(), pa.array(spilled),
                                          pa.array(fixes[name], pa.string()))
            table = table.set_column(table.schema.get_field_index(name), name, column)
        table = table.filter(pa.array(keep))
    null = pa.scalar(None, pa.string())
    texts = pa.table({n: pc.if_else(pc.equal(table.column(n), "null"), null, table.column(n))
                      for n in expected})
    typed = to_typed(raw.derive(texts, keep), B2wReview, "reject", row_key="reviewer_id")
    return B2wResult(typed.table, raw.sha256, rejections + typed.rejections, repaired_lines)
