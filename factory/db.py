"""Build data/commerce.db (DuckDB) from the typed tables in data/raw/.

The raw tables are loaded as they are; two derived tables carry what prompts need:
`orders_enriched` (one row per order) and `customer_features` (one row per customer_unique_id,
RFM-style, as of the latest purchase in the data). A DuckDB file is not byte-stable across builds,
so lineage uses `canonical_hash`: per table, a sha256 over the sorted md5s of its rows as text.
The build runs with a memory limit (factory/duck.py), spilling into its temporary folder, and the
hashes stream out of DuckDB, so memory does not grow with the data.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from factory import duck
from common.io import atomic_path, crash_point, sha256_bytes
from schemas.commerce_db import CUSTOMER_FEATURES_SQL, DERIVED_TABLES, OPTIONAL_TABLES, ORDERS_ENRICHED_SQL, RAW_TABLES


def _on_cursors(con: duckdb.DuckDBPyConnection, task, items: list) -> list:
    """`task(cursor, item)` for every item, on duck.THREADS threads with a cursor each (DuckDB runs
    the queries side by side); results in the order of `items`."""
    def run(item):
        cursor = con.cursor()
        try:
            return task(cursor, item)
        finally:
            cursor.close()

    if len(items) < 2 or duck.THREADS < 2:
        return [task(con, item) for item in items]
    with ThreadPoolExecutor(duck.THREADS, thread_name_prefix="duck") as pool:
        return list(pool.map(run, items))


def _load_raw(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> list[str]:
    """Create every raw table (empty, in the order of RAW_TABLES), then fill them side by side,
    largest file first: a Parquet file of one row group loads on one thread, so loading two at
    once uses both cores. Each table's rows keep the file's order."""
    loaded = []
    for table in RAW_TABLES + OPTIONAL_TABLES:
        path = raw_dir / f"{table}.parquet"
        if not path.exists():
            if table in OPTIONAL_TABLES:
                continue
            raise FileNotFoundError(f"{path}: missing raw table (run the ingest stage first)")
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?) LIMIT 0", [str(path)])
        loaded.append(table)
    paths = {t: str(raw_dir / f"{t}.parquet") for t in loaded}
    by_size = sorted(loaded, key=lambda t: -Path(paths[t]).stat().st_size)
    _on_cursors(con, lambda c, t: c.execute(f"INSERT INTO {t} SELECT * FROM read_parquet(?)", [paths[t]]), by_size)
    return loaded


def build(raw_dir: str | Path, db_path: str | Path) -> dict:
    """Create commerce.db atomically from `raw_dir`; return row counts and canonical hashes."""
    raw_dir = Path(raw_dir)
    with atomic_path(db_path) as tmp:
        con = duck.connect(tmp, scratch_dir=tmp.parent / "duckdb_spill")
        try:
            # DuckDB's default string compression (dictionary + FSST) costs most of the build on the
            # 32-hex-digit ids while saving little on them: the file is bigger, the build ~2x faster.
            con.execute("SET disabled_compression_methods = 'dict_fsst'")
            tables = _load_raw(con, raw_dir)
            crash_point("build_db:loaded")
            con.execute(ORDERS_ENRICHED_SQL)
            con.execute(CUSTOMER_FEATURES_SQL)
            tables += list(DERIVED_TABLES)
            crash_point("build_db:derived")
            summary = describe(con, tables)
            _store_hashes(con, summary["canonical_sha256"])
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return summary


def canonical_hash(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """sha256 over the schema and the sorted md5s of the rows rendered as text: independent of file
    layout. The md5s stream out of DuckDB in order (no single string holds them all)."""
    columns = con.execute("SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) "
                          "FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()[0][0]
    digest = hashlib.sha256((columns + "\n").encode())
    reader = con.sql(f"SELECT md5(CAST(t AS VARCHAR)) AS h FROM {table} t ORDER BY h").to_arrow_reader(1 << 16)
    try:
        for batch in reader:
            digest.update(_concatenated(batch.column(0)))
    finally:
        reader.close()
    return digest.hexdigest()


def _concatenated(column: pa.Array) -> bytes | memoryview:
    """The UTF-8 of the column's strings joined (no NULLs: md5 never gives one), read straight from
    the Arrow value buffer when the column is plain string / large_string."""
    if column.null_count == 0 and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        offsets = np.frombuffer(column.buffers()[1], np.int32 if pa.types.is_string(column.type) else np.int64)
        start, end = offsets[column.offset], offsets[column.offset + len(column)]
        data = column.buffers()[2]
        return memoryview(data)[start:end] if data is not None else b""
    return "".join(column.to_pylist()).encode()


def describe(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict:
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
    hashes = dict(zip(tables, _on_cursors(con, canonical_hash, tables)))
    late = con.execute("SELECT avg(is_late::INTEGER) FROM orders_enriched").fetchall()[0][0]
    return {
        "rows": rows,
        "canonical_sha256": hashes,
        "canonical_sha256_all": sha256_bytes("".join(f"{t}={hashes[t]}\n" for t in sorted(hashes)).encode()),
        "late_delivery_rate": round(late or 0.0, 4),
    }


HASH_COMMENT = "canonical_sha256="  # COMMENT ON TABLE written by `build`: the table's canonical hash


def _store_hashes(con: duckdb.DuckDBPyConnection, hashes: dict[str, str]) -> None:
    """Keep each table's canonical hash with the database, as the table's comment (catalog metadata:
    neither the rows nor the columns change, so neither does any hash), for `table_hashes`."""
    for table, digest in hashes.items():
        con.execute(f"COMMENT ON TABLE {table} IS '{HASH_COMMENT}{digest}'")


def table_hashes(db_path: str | Path, *, stored: bool = True) -> dict:
    """Canonical hashes of every table in an existing commerce.db (read-only): the ones `build`
    stored in the table comments (`stored`), computed for any table without one. A database
    changed in place after its build would keep stale comments: rebuild it (or pass stored=False)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        comments = dict(con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()) \
            if stored else {}
        hashes = {}
        for t in tables:
            comment = comments.get(t) or ""
            digest = comment[len(HASH_COMMENT):]
            if comment.startswith(HASH_COMMENT) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest):
                hashes[t] = digest
            else:
                hashes[t] = canonical_hash(con, t)
        return hashes
    finally:
        con.close()
