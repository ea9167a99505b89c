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
from pathlib import Path

import duckdb

from factory import duck
from common.io import atomic_path, crash_point, sha256_bytes
from schemas.commerce_db import CUSTOMER_FEATURES_SQL, DERIVED_TABLES, OPTIONAL_TABLES, ORDERS_ENRICHED_SQL, RAW_TABLES


def _load_raw(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> list[str]:
    loaded = []
    for table in RAW_TABLES + OPTIONAL_TABLES:
        path = raw_dir / f"{table}.parquet"
        if not path.exists():
            if table in OPTIONAL_TABLES:
                continue
            raise FileNotFoundError(f"{path}: missing raw table (run the ingest stage first)")
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)", [str(path)])
        loaded.append(table)
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
            digest.update("".join(batch.column(0).to_pylist()).encode())
    finally:
        reader.close()
    return digest.hexdigest()


def describe(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict:
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
    hashes = {t: canonical_hash(con, t) for t in tables}
    late = con.execute("SELECT avg(is_late::INTEGER) FROM orders_enriched").fetchall()[0][0]
    return {
        "rows": rows,
        "canonical_sha256": hashes,
        "canonical_sha256_all": sha256_bytes("".join(f"{t}={hashes[t]}\n" for t in sorted(hashes)).encode()),
        "late_delivery_rate": round(late or 0.0, 4),
    }


def table_hashes(db_path: str | Path) -> dict:
    """Canonical hashes of every table in an existing commerce.db (read-only)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {t: canonical_hash(con, t) for t in tables}
    finally:
        con.close()
