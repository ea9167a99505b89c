"""Read upstream-format CSV files into typed Arrow batches inside DuckDB (the one reading path for
every source).

Each file is loaded once by DuckDB's CSV reader with every column as text into a scratch table
whose rowid is the record's position in the file, then typed and checked against its pydantic
model (schemas/raw.py, as SQL from checks.py) in one pass that streams Arrow batches to a sink,
so memory is bounded by DuckDB's memory_limit and the sink, not by the file. Problems in an
Olist file are fatal and raise `SourceError` naming file, physical line and column; row-level
problems in the B2W corpus (a known messy text corpus) reject the row with a reason instead,
after repairing the rows whose review text spilled into later columns when the repair is
unambiguous.
"""
from __future__ import annotations

import csv
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from factory import duck
from factory.duck import ident, literal
from factory.sources.checks import ColumnSql, column_sql, first_failure
from factory.sources.columns import arrow_schema, column_names, column_specs
from factory.sources.diagnose import find_fault
from factory.sources.dialects import dialect_of
from factory.sources.errors import SourceError
from schemas.raw import B2wReview, RawRow, Rejection

BATCH_ROWS = 1 << 17
SCRATCH = "csv_rows"          # the scratch table of the file being read
LINE_BREAKS = "__line_breaks"  # per record: line breaks inside its (multi-line) values
ROW, BAD = "__row", "__bad"



class Sink(Protocol):
    """Where typed batches go, in file order (a Parquet file, or a list in memory)."""

    def __call__(self, batch: pa.RecordBatch) -> None: ...

    def reset(self) -> None:
        """Forget every batch received so far."""


@dataclass(frozen=True)
class FileScan:
    """What one streaming pass over the raw bytes tells: hash, header line, line and quote counts."""

    sha256: str
    header: bytes
    newlines: int
    quotes: int
    ends_with_newline: bool

    @property
    def physical_lines(self) -> int:
        return self.newlines + (0 if self.ends_with_newline else 1)


def scan_file(path: Path) -> FileScan:
    header = scan_header(path)
    h, newlines, quotes, last = hashlib.sha256(), 0, 0, b""
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
            newlines += chunk.count(b"\n")
            quotes += chunk.count(b'"')
            last = chunk[-1:]
    return FileScan(h.hexdigest(), header, newlines, quotes, last == b"\n")


def scan_header(path: Path) -> bytes:
    """The first line of `path`, line end included."""
    try:
        with open(path, "rb") as fh:
            return fh.readline()
    except FileNotFoundError:
        raise SourceError(path.name, f"file not found (looked for {path})") from None


def _header(first: bytes, file: str) -> tuple[list[str], str]:
    """The header's names and the delimiter (',' unless the header only splits on ';')."""
    try:
        text = first.rstrip(b"\n").rstrip(b"\r").decode("utf-8-sig")
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


def _diagnose(path: Path, names: list[str], delimiter: str) -> None:
    """The slow, exact fault finder (error path only): raises if it finds the fault."""
    find_fault(path.read_bytes(), path.name, names, delimiter)


@dataclass
class CsvRows:
    """A file loaded as text into the scratch table (empty field = NULL): rowid = record index."""

    con: duckdb.DuckDBPyConnection
    path: Path
    names: list[str]
    multiline: tuple[str, ...]
    scan: FileScan
    rows: int = 0

    @property
    def file(self) -> str:
        return self.path.name

    def lines(self, rowids: list[int]) -> dict[int, int]:
        """The physical line (header = 1) where each record starts."""
        if not rowids:
            return {}
        if not self.multiline:
            return {r: 2 + r for r in rowids}
        wanted = ", ".join(str(int(r)) for r in sorted(set(rowids)))
        found = self.con.execute(
            f"SELECT r, line FROM (SELECT rowid AS r, 2 + rowid + sum({LINE_BREAKS}) OVER "
            f"(ORDER BY rowid ROWS UNBOUNDED PRECEDING) - {LINE_BREAKS} AS line FROM {SCRATCH}) "
            f"WHERE r IN ({wanted})").fetchall()
        return {int(r): int(line) for r, line in found}

    def error(self, rowid: int, column: str, reason: str) -> SourceError:
        return SourceError(self.file, reason, self.lines([rowid])[rowid], column)

    def value(self, rowid: int, text: str):
        return self.con.execute(f"SELECT {text} FROM {SCRATCH} WHERE rowid = {int(rowid)}").fetchall()[0][0]


def _read_csv(path: Path, names: list[str], delimiter: str) -> str:
    """DuckDB's reader over the data records of `path`, every column as text (empty = NULL)."""
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    return (f"read_csv({literal(str(path))}, columns={columns}, header=false, skip=1, "
            f"delim={literal(delimiter)}, quote='\"', escape='\"', auto_detect=false, strict_mode=true, "
            f"null_padding=false, encoding='utf-8')")


def _line_breaks(multiline: tuple[str, ...]) -> str:
    """Per record, the line breaks inside its multi-line values."""
    counts = [f"coalesce(strlen({ident(n)}) - strlen(replace({ident(n)}, chr(10), '')), 0)" for n in multiline]
    return f"({' + '.join(counts) or '0'})::BIGINT"


def _line_break_in(single: list[str]) -> str:
    """The first single-line column (in `single`) whose value holds a line break, per record."""
    return " OR ".join(f"coalesce(contains({ident(n)}, chr(10)) OR contains({ident(n)}, chr(13)), false)"
                       for n in single) or "false"


def load_rows(con: duckdb.DuckDBPyConnection, path: Path, model: type[RawRow],
              names: list[str] | None = None, scan: FileScan | None = None) -> CsvRows:
    """Check the header against `model` (or take `names`), load every record as text and check
    the file's structure: a fault raises SourceError at its line and column."""
    scan = scan or scan_file(path)
    found, delimiter = _header(scan.header, path.name)
    if names is None:
        _check_names(found, column_names(model), path.name)
        names = found
    multiline = tuple(n for n in names if n in dialect_of(model).multiline)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {SCRATCH} AS SELECT *, {_line_breaks(multiline)} AS {LINE_BREAKS} "
                    f"FROM {_read_csv(path, names, delimiter)}")
    except duckdb.Error as exc:
        _diagnose(path, names, delimiter)
        raise SourceError(path.name, f"unreadable CSV ({str(exc).splitlines()[0]})") from None
    rows = CsvRows(con, path, names, multiline, scan)
    if scan.quotes % 2:
        _diagnose(path, names, delimiter)
        raise SourceError(path.name, "odd number of double quotes: a quoted field is never closed")
    single = [n for n in names if n not in multiline]
    firsts = con.execute(
        "SELECT count(*), sum(" + LINE_BREAKS + ")" + "".join(
            f", min(rowid) FILTER (WHERE contains({ident(n)}, chr(10)) OR contains({ident(n)}, chr(13)))"
            for n in single) + f" FROM {SCRATCH}").fetchall()[0]
    rows.rows, breaks_total = int(firsts[0]), int(firsts[1] or 0)
    for name, rowid in zip(single, firsts[2:]):
        if rowid is not None:
            _diagnose(path, names, delimiter)
            raise rows.error(int(rowid), name, "line break inside a single-line column (unclosed quote?)")
    if 1 + rows.rows + breaks_total != scan.physical_lines:  # e.g. a blank line the reader skipped
        _diagnose(path, names, delimiter)
        raise SourceError(path.name, f"{rows.rows} records over {scan.physical_lines} lines do not add up "
                          "(blank line?)")
    return rows


@dataclass
class Typed:
    """What one typed pass wrote to its sink."""

    rows: int = 0
    rejections: list[Rejection] = field(default_factory=list)


def _typed_query(model: type[RawRow], text: Callable[[str], str], where: str = "", source: str = SCRATCH,
                 row: str = "rowid", extra: str = "") -> tuple[str, list, list[ColumnSql]]:
    """SELECT of the typed columns, the record index and the first failing check (+ `extra`)."""
    dialect = dialect_of(model)
    columns = [column_sql(spec, dialect, text(spec.name)) for spec in column_specs(model)]
    bad, reasons = first_failure(columns)
    select = ", ".join(f"{c.typed} AS {ident(c.spec.name)}" for c in columns)
    return (f"SELECT {select}, {row} AS {ROW}, {bad} AS {BAD}{extra} FROM {source}{where}", reasons, columns)


def type_rows(rows: CsvRows, model: type[RawRow], sink: Sink, on_bad: str, row_key: str = "",
              text: Callable[[str], str] = ident, exclude: list[int] = ()) -> Typed:
    """Type and check every record of `rows` against `model`, streaming the good ones to `sink`
    as batches of `arrow_schema(model)`, in file order.

    on_bad="raise": the first bad value (in file order) raises SourceError, then a repeated
    primary key does. on_bad="reject": rows with a bad value are left out and returned as
    rejections (first reason). `exclude`: rowids left out beforehand.
    """
    where = f" WHERE rowid NOT IN ({', '.join(map(str, exclude))})" if exclude else ""
    query, reasons, columns = _typed_query(model, text, where)
    schema = arrow_schema(model)
    result, last_row, rejected, first_bad = Typed(), -1, [], None
    reader = rows.con.sql(query).to_arrow_reader(BATCH_ROWS)
    try:
        for batch in reader:
            order = batch.column(ROW).to_numpy()
            last_row = _check_order(order, last_row, rows.file)
            bad = batch.column(BAD)
            good = batch
            if bad.null_count < len(bad):
                bad_at = np.flatnonzero(bad.is_valid().to_numpy(zero_copy_only=False))
                codes = bad.to_numpy(zero_copy_only=False)
                if on_bad == "raise":
                    first_bad = int(order[bad_at[0]]), int(codes[bad_at[0]])
                    break
                rejected += [(int(order[i]), int(codes[i])) for i in bad_at]
                good = batch.filter(bad.is_null())
            result.rows += good.num_rows
            sink(pa.RecordBatch.from_arrays([good.column(i).cast(f.type) for i, f in enumerate(schema)],
                                            schema=schema))
    finally:
        reader.close()
    if first_bad is not None:
        rowid, (column, reason) = first_bad[0], reasons[first_bad[1]]
        value = rows.value(rowid, text(column))
        raise rows.error(rowid, column, reason if value is None else f"{reason} (value {value!r})")
    if on_bad == "raise":
        _check_unique(rows, model, columns)
    elif rejected:
        lines = rows.lines([r for r, _ in rejected])
        keys = _keys(rows, text(row_key), [r for r, _ in rejected]) if row_key else {}
        result.rejections = [
            Rejection(file=rows.file, line=lines[r], column=reasons[code][0], reason=reasons[code][1],
                      row_key=str(keys.get(r)) if row_key else "")
            for r, code in rejected]
    return result


def _keys(rows: CsvRows, text: str, rowids: list[int]) -> dict[int, object]:
    wanted = ", ".join(map(str, rowids))
    return dict(rows.con.execute(f"SELECT rowid, {text} FROM {SCRATCH} WHERE rowid IN ({wanted})").fetchall())


def _check_unique(rows: CsvRows, model: type[RawRow], columns: list[ColumnSql]) -> None:
    """A repeated primary key raises SourceError at its second occurrence (in file order)."""
    if not model.primary_key:
        return
    typed = {c.spec.name: c.typed for c in columns}
    key = " || '|' || ".join(f"CAST({typed[c]} AS VARCHAR)" for c in model.primary_key)
    total, distinct = rows.con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {SCRATCH}").fetchall()[0]
    if total == distinct:
        return
    rowid, value, first = rows.con.execute(
        f"SELECT r, k, f FROM (SELECT rowid AS r, {key} AS k, min(rowid) OVER (PARTITION BY {key}) AS f "
        f"FROM {SCRATCH}) WHERE r > f ORDER BY r LIMIT 1").fetchall()[0]
    raise rows.error(int(rowid), model.primary_key[-1],
                     f"duplicate {'+'.join(model.primary_key)} {value!r} (first at line {rows.lines([first])[first]})")


class Collect:
    """A sink that keeps the batches, for reading a small file into one table."""

    def __init__(self, model: type[RawRow]):
        self.schema, self.batches = arrow_schema(model), []

    def __call__(self, batch: pa.RecordBatch) -> None:
        self.batches.append(batch)

    def reset(self) -> None:
        self.batches = []

    def table(self) -> pa.Table:
        return pa.Table.from_batches(self.batches, schema=self.schema).combine_chunks()


def _check_order(order: np.ndarray, last_row: int, file: str) -> int:
    """Records must come back in file order; returns the last record index seen."""
    if len(order) and (order[0] <= last_row or np.any(np.diff(order) <= 0)):
        raise RuntimeError(f"{file}: DuckDB returned records out of file order")  # never expected
    return int(order[-1]) if len(order) else last_row


def _stream_clean(con: duckdb.DuckDBPyConnection, path: Path, model: type[RawRow], header: bytes,
                  scan: Callable[[], FileScan], sink: Sink) -> int | None:
    """The fast path for a file without faults: one streaming pass straight from DuckDB's CSV
    reader into `sink`, no scratch table. Returns the row count, or None at the first sign of a
    fault (bad value, line break in a single-line column, records and lines that do not add up,
    repeated key): the exact path then reads the file again and names the line and column.

    The pass is a plain pipeline (no window, so DuckDB streams it on every thread; its order-
    preserving result keeps file order, which the byte-stable Parquet then records), and the
    primary-key check runs on the key columns kept from the typed batches (the same SQL as on the
    file, over a registered Arrow table), so the file is read once."""
    names, delimiter = _header(header, path.name)
    multiline = tuple(n for n in names if n in dialect_of(model).multiline)
    extra = (f", {_line_breaks(multiline)} AS {LINE_BREAKS}, "
             f"{_line_break_in([n for n in names if n not in multiline])} AS __broken")
    query, _, _ = _typed_query(model, ident, source=_read_csv(path, names, delimiter), row="NULL::BIGINT",
                               extra=extra)
    schema = arrow_schema(model)
    key_at = [schema.get_field_index(c) for c in model.primary_key]
    keys: list[pa.RecordBatch] = []
    total, breaks = 0, 0
    try:
        reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
    except duckdb.Error:
        return None
    try:
        for batch in reader:
            if batch.column(BAD).null_count < batch.num_rows or pc.any(batch.column("__broken")).as_py():
                return None
            total += batch.num_rows
            breaks += pc.sum(batch.column(LINE_BREAKS)).as_py() or 0
            if key_at:
                keys.append(pa.RecordBatch.from_arrays([batch.column(i) for i in key_at],
                                                       names=list(model.primary_key)))
            sink(pa.RecordBatch.from_arrays([batch.column(i).cast(f.type) for i, f in enumerate(schema)],
                                            schema=schema))
    except duckdb.Error:
        return None
    finally:
        reader.close()
    if 1 + total + breaks != scan().physical_lines:
        return None
    if key_at and keys:
        key = " || '|' || ".join(f"CAST({ident(c)} AS VARCHAR)" for c in model.primary_key)
        con.register("__stream_keys", pa.Table.from_batches(keys))
        try:
            counted, distinct = con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM __stream_keys").fetchall()[0]
        finally:
            con.unregister("__stream_keys")
        if counted != distinct:
            return None
    return total


def stream_olist_table(con: duckdb.DuckDBPyConnection, path: Path, model: type[RawRow], sink: Sink) -> tuple[int, str]:
    """One Olist file -> typed batches into `sink`; returns (rows, sha256 of the file). Any fault
    raises SourceError naming file, line and column (found by the exact path, which loads the file
    into a scratch table; a file without faults streams through once). The scan of the raw bytes
    (hash, line and quote counts) runs in a thread while DuckDB streams the file; the streamed
    rows count only once the scan agrees (even quotes, records and lines adding up)."""
    header = scan_header(path)
    _check_names(_header(header, path.name)[0], column_names(model), path.name)
    with ThreadPoolExecutor(1, thread_name_prefix="scan") as pool:
        scanning = pool.submit(scan_file, path)
        rows = _stream_clean(con, path, model, header, scanning.result, sink)
        scan = scanning.result()
    if rows is not None and scan.quotes % 2 == 0:
        return rows, scan.sha256
    sink.reset()
    rows = load_rows(con, path, model, scan=scan)
    try:
        return type_rows(rows, model, sink, "raise").rows, rows.scan.sha256
    finally:
        con.execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def read_olist_table(path: Path, model: type[RawRow]) -> tuple[pa.Table, str]:
    """One Olist file -> (typed table, sha256 of the file), in memory (small files, tests)."""
    collect = Collect(model)
    with duck.connect() as con:
        _, sha = stream_olist_table(con, path, model, collect)
    return collect.table(), sha


# --- B2W-Reviews01 ------------------------------------------------------------------------------

_TAIL = ("reviewer_birth_year", "reviewer_gender", "reviewer_state")
_TAIL_OK = (re.compile(r"^(null|[0-9]{1,4})$"), re.compile(r"^(null|M|F)$"),
            re.compile(r"^(null|[A-Z]{2})$"))
SPILL_REASON = "review text spills into later columns and the shifted fields are ambiguous"


@dataclass
class B2wResult:
    rows: int
    sha256: str
    rejections: list[Rejection]
    repaired_lines: list[int]
    table: pa.Table | None = None  # only from read_b2w


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


def _b2w_names(path: Path) -> list[str]:
    """The 14 corpus columns, then `Unnamed: <i>` for the empty trailing ones; checks the header."""
    file = path.name
    found, _ = _header(scan_header(path), file)
    expected = column_names(B2wReview)
    named, unnamed = found[:len(expected)], found[len(expected):]
    _check_names(named, expected, file)
    if named != expected:
        raise SourceError(file, "columns are not in the corpus order " + ", ".join(expected), 1)
    if any(unnamed):
        raise SourceError(file, "unexpected column after the 14 corpus columns", 1, next(n for n in unnamed if n))
    return expected + [f"Unnamed: {len(expected) + i}" for i in range(len(unnamed))]


def _repair_spills(rows: CsvRows, names: list[str]) -> tuple[list[int], list[Rejection], list[int]]:
    """Repair the records with filled unnamed columns in the scratch table; return the rowids
    that cannot be repaired, their rejections and the lines repaired."""
    expected = column_names(B2wReview)
    extra = names[len(expected):]
    if not extra:
        return [], [], []
    spilled = rows.con.execute(
        f"SELECT rowid, {', '.join(map(ident, names))} FROM {SCRATCH} WHERE "
        + " OR ".join(f"{ident(n)} IS NOT NULL" for n in extra) + " ORDER BY rowid").fetchall()
    if not spilled:
        return [], [], []
    lines = rows.lines([r[0] for r in spilled])
    text_at = expected.index("review_text")
    fixed_cols = ("review_text", *_TAIL)
    dropped, rejections, repaired_lines, fixes = [], [], [], []
    for rowid, *record in spilled:
        repaired = _repair_spill(record, text_at)
        if repaired is None:
            dropped.append(rowid)
            rejections.append(Rejection(file=rows.file, line=lines[rowid], column="review_text",
                                        reason=SPILL_REASON, row_key=str(record[names.index("reviewer_id")])))
        else:
            repaired_lines.append(lines[rowid])
            fixes.append((rowid, *repaired))
    if fixes:
        fix_table = pa.table({ROW: [f[0] for f in fixes], **{c: pa.array([f[i + 1] for f in fixes], pa.string())
                                                             for i, c in enumerate(fixed_cols)}})
        rows.con.register("spill_fixes", fix_table)
        try:
            rows.con.execute(f"UPDATE {SCRATCH} SET " + ", ".join(f"{ident(c)} = f.{ident(c)}" for c in fixed_cols)
                             + f" FROM spill_fixes f WHERE {SCRATCH}.rowid = f.{ROW}")
        finally:
            rows.con.unregister("spill_fixes")
    return dropped, rejections, repaired_lines


def stream_b2w(con: duckdb.DuckDBPyConnection, path: Path, sink: Sink) -> B2wResult:
    """B2W-Reviews01 (14 named columns, optionally trailing unnamed ones; ',' or ';') -> typed
    batches into `sink`; bad rows are rejected, not fatal."""
    names = _b2w_names(path)
    rows = load_rows(con, path, B2wReview, names)
    try:
        dropped, rejections, repaired_lines = _repair_spills(rows, names)
        typed = type_rows(rows, B2wReview, sink, "reject", row_key="reviewer_id",
                          text=lambda n: f"nullif({ident(n)}, 'null')", exclude=dropped)
        return B2wResult(typed.rows, rows.scan.sha256, rejections + typed.rejections, repaired_lines)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def read_b2w(path: Path) -> B2wResult:
    """B2W-Reviews01 in memory (small files, tests): the result carries `table`."""
    collect = Collect(B2wReview)
    with duck.connect() as con:
        result = stream_b2w(con, path, collect)
    result.table = collect.table()
    return result
