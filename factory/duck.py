"""DuckDB sessions for the data stages: one place for the memory limit, the threads and the spill folder.

The memory limit bounds DuckDB's buffers (it spills to `scratch_dir` beyond it), so a stage's peak
memory does not grow with the data. Neither setting changes any result; both can be overridden
from the environment (COMMERCE_DUCKDB_MEMORY_LIMIT, COMMERCE_DUCKDB_THREADS) on a bigger machine.
Results keep file order: insertion order is preserved, and the optimizer that turns a long
`IN (...)` list into a hash join (which reorders rows) is off; the reader also checks the order.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

MEMORY_LIMIT = os.environ.get("COMMERCE_DUCKDB_MEMORY_LIMIT", "1GB")
THREADS = int(os.environ.get("COMMERCE_DUCKDB_THREADS", "2"))


def connect(database: str | Path = ":memory:", *, scratch_dir: str | Path | None = None,
            read_only: bool = False, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the stage settings; spill files go to `scratch_dir` (removed with it)."""
    config = {"threads": threads or THREADS, "memory_limit": MEMORY_LIMIT, "preserve_insertion_order": True,
              "disabled_optimizers": "in_clause"}
    if scratch_dir is not None:
        config["temp_directory"] = str(scratch_dir)
    return duckdb.connect(str(database), read_only=read_only, config=config)


def ident(name: str) -> str:
    """A quoted SQL identifier (column names such as `Unnamed: 14`)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
