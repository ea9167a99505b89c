"""The process that runs untrusted SQL for `rewards.sandbox` (started by path, imports only DuckDB).

One read-only DuckDB connection, locked down before the first query: no external access, no local
file system, no extension install/autoload, no community extensions, memory limit, one thread,
no spilling, configuration locked. The process itself cannot grow past an address-space limit
nor write a byte to any file (RLIMIT_AS, RLIMIT_FSIZE). Each request gets the statement check
(DuckDB's parse, which is then executed as parsed: one parse per query) and a watchdog that
interrupts it at its deadline; queries that ignore the interrupt are the parent's job (it kills
this process).

The perturbed copies of the database (`--variant`, see rewards.sql_variants) are attached read-only
before the lock-down, as catalogs `variant_1`, `variant_2`, ...; a request names the database it
runs on (0: the main one, k: variant k). Each database has one cursor, switched there with USE once
and reused: only single SELECTs run, so a query leaves no state behind, and a cursor the watchdog
may have interrupted is closed and replaced, so a late interrupt never reaches the next query (a
fresh cursor and a USE per query cost ~30% of a typical reward query).

The expression rewriter is disabled: results are the same (optimizers never change them), but on
this DuckDB its date-part rule spends ~7 ms planning each `year(ts) = 2017`, which doubled the
cost of a typical reward query (the queries run on small tables, so planning is most of the work).

Protocol on the inherited socket (multiprocessing Connection): the worker sends ("ready", pid),
then receives batches, lists of (index, query, database, timeout_s, max_rows), and answers each
request as soon as it is done with (index, reply), where reply is a tuple whose first item is
"ok", "unsafe", "timeout" or "error" and whose last item is the worker's resident memory in bytes.
Replies stream, so a worker killed in the middle of a batch has already delivered the answers
before the one that hung.
"""
from __future__ import annotations

import argparse
import datetime as dt
import decimal
import math
import os
import re
import resource
import threading
import uuid
from multiprocessing.connection import Connection

# Functions a query may not call: settings, environment, files, catalogs of the engine itself,
# and those that run SQL from a string (which would dodge the statement check).
DENIED_FUNCTIONS = re.compile(
    r"^(?:getenv|current_setting|duckdb_\w*|pragma_\w*|read_\w*|parquet_\w*|sniff_csv|glob|"
    r"query|query_table|json_execute_serialized_sql|json_serialize_\w*|json_deserialize_\w*|"
    r"which_secret|checkpoint|force_checkpoint|enable_\w*|disable_\w*|\w*_scan|iceberg_\w*|"
    r"delta_\w*|sqlite_\w*|postgres_\w*|mysql_\w*|load_\w*|install_\w*|test_\w*|"
    r"from_substrait\w*|get_substrait\w*)$",
    re.I,
)
_FUNCTION_NAME = re.compile(r'"function_name":"((?:\\.|[^"\\])*)"')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Watchdog:
    """One long-lived thread that interrupts the running cursor when its deadline passes."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._cursor = None
        self._deadline = 0.0
        self.fired = False
        threading.Thread(target=self._run, daemon=True).start()

    def arm(self, cursor, timeout_s: float) -> None:
        import time

        with self._cond:
            self._cursor, self._deadline, self.fired = cursor, time.monotonic() + timeout_s, False
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._cursor = None

    def _run(self) -> None:
        import time

        with self._cond:
            while True:
                if self._cursor is None:
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self.fired = True
                self._cursor.interrupt()
                self._cursor = None


def resident_bytes() -> int:
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def jsonable(value):
    """A DuckDB value as plain JSON data: numbers, strings, None, lists and dicts."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def parse_checked(duckdb, con, query: str) -> tuple[str | None, object]:
    """(why `query` may not run or None, its one parsed statement when it may).

    DuckDB's own parser decides: the statement count and type from `extract_statements`, the
    function names from the serialized parse tree. The statement returned is what runs, so what
    was checked is exactly what executes."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise SyntaxError(first_line(exc)) from None
    if len(statements) != 1:
        return f"exactly one statement is allowed, got {len(statements)}", None
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        return f"only SELECT/WITH queries are allowed, got {kind.name}", None
    # A function's name is always written out in the query (DuckDB does not decode escapes in
    # identifiers), so the parse tree is only needed when a word could name a denied function.
    if not any(DENIED_FUNCTIONS.match(word) for word in set(_WORD.findall(query))):
        return None, statements[0]
    tree = con.execute("SELECT json_serialize_sql(?::VARCHAR)", [query]).fetchone()[0]
    if '"error":true' in tree[:20]:
        return "the query cannot be checked", None
    for name in _FUNCTION_NAME.findall(tree):
        if DENIED_FUNCTIONS.match(name):
            return f"function {name}() is not allowed", None
    return None, statements[0]


VARIANT_CATALOG = "variant_{}"
DISABLED_OPTIMIZERS = "expression_rewriter"


def connect(duckdb, db_path: str, memory_limit_mb: int, variants: tuple[str, ...] = ()):
    """The locked-down read-only connection; `variants` are attached first (files are off after)."""
    con = duckdb.connect(db_path, read_only=True, config={
        "enable_external_access": "false" if not variants else "true",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
        "allow_community_extensions": "false",
        "allow_unsigned_extensions": "false",
        "memory_limit": f"{memory_limit_mb}MB",
        "threads": "1",
        "temp_directory": "",
        "max_temp_directory_size": "0B",
    })
    for k, path in enumerate(variants, start=1):
        quoted = str(path).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS {VARIANT_CATALOG.format(k)} (READ_ONLY)")
    con.execute("SET enable_external_access = false")
    con.execute(f"SET disabled_optimizers = '{DISABLED_OPTIMIZERS}'")
    con.execute("SET disabled_filesystems = 'LocalFileSystem'")
    con.execute("SET lock_configuration = true")
    return con


# query -> (refusal, parsed statement), for the same query run again on the variants (bounded: at
# most ~4 MB of text)
_CHECKED: dict[str, tuple[str | None, object]] = {}
_CHECKED_MAX, _CHECKED_CHARS = 1024, 4000
# database (0: main, k: variant k) -> its cursor, switched there once
_CURSORS: dict[int, object] = {}


def _cursor(con, database: int):
    cursor = _CURSORS.get(database)
    if cursor is None:
        cursor = con.cursor()
        if database:
            cursor.execute(f"USE {VARIANT_CATALOG.format(int(database))}")
        _CURSORS[database] = cursor
    return cursor


def _drop_cursor(database: int) -> None:
    cursor = _CURSORS.pop(database, None)
    if cursor is not None:
        cursor.close()


def handle(duckdb, con, watchdog: Watchdog, query: str, timeout_s: float, max_rows: int, database: int = 0) -> tuple:
    try:
        if query in _CHECKED:
            refusal, statement = _CHECKED[query]
        else:
            refusal, statement = parse_checked(duckdb, con, query)
            if len(query) <= _CHECKED_CHARS:
                if len(_CHECKED) >= _CHECKED_MAX:
                    _CHECKED.clear()
                _CHECKED[query] = (refusal, statement)
    except SyntaxError as exc:
        return ("error", "ParserException", str(exc), resident_bytes())
    if refusal:
        return ("unsafe", refusal, resident_bytes())
    cursor = _cursor(con, database)
    healthy = False
    watchdog.arm(cursor, timeout_s)
    try:
        cursor.execute(statement)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(max_rows + 1)
        truncated = len(rows) > max_rows
        reply = ("ok", columns, [jsonable(list(r)) for r in rows[:max_rows]], truncated, resident_bytes())
        healthy = True
    except duckdb.PermissionException as exc:
        reply = ("unsafe", first_line(exc), resident_bytes())
    except duckdb.Error as exc:
        reply = ("error", type(exc).__name__, first_line(exc), resident_bytes())
        healthy = True  # DuckDB rolled the statement back; the cursor serves the next one
    except (MemoryError, RecursionError, OverflowError) as exc:
        reply = ("error", type(exc).__name__, first_line(exc), resident_bytes())
    finally:
        watchdog.disarm()
    if watchdog.fired:  # interrupted, whatever error the interrupt surfaced as
        reply = ("timeout", f"query exceeded {timeout_s:g} s", resident_bytes())
    if watchdog.fired or not healthy:
        _drop_cursor(database)
    return reply


def first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--memory-limit-mb", type=int, required=True)
    parser.add_argument("--address-space-mb", type=int, required=True)
    parser.add_argument("--variant", action="append", default=[])
    args = parser.parse_args()
    limit = args.address_space_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import duckdb

    channel = Connection(args.fd)
    con = connect(duckdb, args.db, args.memory_limit_mb, tuple(args.variant))
    watchdog = Watchdog()
    channel.send(("ready", os.getpid()))
    while True:
        try:
            batch = channel.recv()
        except (EOFError, OSError):
            return
        for index, query, database, timeout_s, max_rows in batch:
            channel.send((index, handle(duckdb, con, watchdog, query, timeout_s, max_rows, database)))


if __name__ == "__main__":
    main()
