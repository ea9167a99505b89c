"""The SQL sandbox against hostile queries: each is refused or stopped within 1 s, nothing is
written, the database is unchanged, and the worker survives thousands of them without growing."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import psutil
import pytest

from common.io import sha256_file
from rewards.sandbox import SandboxLimits, SqlSandbox
from rewards.sql import QueryFailed, QueryTimeout, SqlError, UnsafeQuery, execute_readonly

TIMEOUT_S = 0.75          # every attack below must be stopped at about this
# Wall-clock bound of a stopped query: the limit plus slack for a loaded CI machine. Unstopped,
# each attack below runs for tens of seconds or forever, so the bound still catches a missing limit.
STOPPED_WITHIN_S = 3.0
# The memory test's limit: its heavy queries fail on the memory limit, not the clock, so a loaded
# machine must not turn them into timeouts (a timeout kills the worker whose memory it watches).
STREAM_TIMEOUT_S = 20.0
# A single scalar call that never checks DuckDB's interrupt flag (tens of seconds of work).
UNINTERRUPTIBLE = "SELECT levenshtein(repeat('ab', 40000), repeat('ba', 40000))"
STOPPED = (QueryTimeout, QueryFailed)  # out of time or over the memory limit, whichever comes first


@pytest.fixture(scope="module")
def attack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where attacks try to read and write: a secret file and target paths that must stay absent."""
    root = tmp_path_factory.mktemp("attack")
    (root / "secret.csv").write_text("password\nhunter2\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def db(commerce_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy (the attacks must leave its bytes unchanged)."""
    path = tmp_path_factory.mktemp("sandbox-db") / "commerce.db"
    shutil.copy(commerce_db, path)
    return path


@pytest.fixture(scope="module")
def sandbox(db: Path):
    box = SqlSandbox(db)
    yield box
    box.close()


def _snapshot(*dirs: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for d in dirs for p in d.rglob("*")}


def _attacks(d: Path) -> list[tuple[str, type[SqlError] | tuple[type[SqlError], ...]]]:
    secret = d / "secret.csv"
    return [
        # local files, by every reader and by path as a table
        (f"SELECT * FROM read_csv('{secret}')", UnsafeQuery),
        (f"SELECT * FROM read_csv_auto('{secret}')", UnsafeQuery),
        (f"SELECT * FROM read_parquet('{secret}')", UnsafeQuery),
        (f"SELECT * FROM read_json_auto('{secret}')", UnsafeQuery),
        (f"SELECT content FROM read_text('{secret}')", UnsafeQuery),
        (f"SELECT content FROM read_blob('{secret}')", UnsafeQuery),
        ("SELECT * FROM read_text('/etc/passwd')", UnsafeQuery),
        (f"SELECT * FROM '{secret}'", SqlError),
        (f"WITH x AS (SELECT * FROM read_csv('{secret}')) SELECT * FROM x", UnsafeQuery),
        (f"SELECT (SELECT count(*) FROM \"read_csv\"('{secret}'))", UnsafeQuery),
        (f"SELECT * FROM glob('{d}/*')", UnsafeQuery),
        ("SELECT * FROM glob('/*')", UnsafeQuery),
        # writing files, other databases, extensions
        (f"COPY (SELECT 1) TO '{d}/copied.csv'", UnsafeQuery),
        ("COPY (SELECT 1) TO 'relative.csv'", UnsafeQuery),
        (f"COPY orders_enriched TO '{d}/copied.parquet' (FORMAT parquet)", UnsafeQuery),
        (f"EXPORT DATABASE '{d}/exported'", UnsafeQuery),
        (f"ATTACH '{d}/attached.db' AS other", UnsafeQuery),
        ("ATTACH ':memory:' AS other", UnsafeQuery),
        ("DETACH commerce", UnsafeQuery),
        ("INSTALL httpfs", UnsafeQuery),
        ("LOAD httpfs", UnsafeQuery),
        ("FORCE INSTALL spatial FROM community", UnsafeQuery),
        # configuration
        ("SET threads = 8", UnsafeQuery),
        ("SET enable_external_access = true", UnsafeQuery),
        ("RESET memory_limit", UnsafeQuery),
        ("PRAGMA database_list", UnsafeQuery),
        ("CALL pragma_version()", UnsafeQuery),
        # writes to the database
        ("CREATE TABLE stolen AS SELECT * FROM orders_enriched", UnsafeQuery),
        ("CREATE TEMP TABLE t AS SELECT 1", UnsafeQuery),
        ("CREATE MACRO m(a) AS a", UnsafeQuery),
        ("INSERT INTO orders_enriched (order_id) VALUES ('x')", UnsafeQuery),
        ("UPDATE orders_enriched SET total_value = 0", UnsafeQuery),
        ("DELETE FROM orders_enriched", UnsafeQuery),
        ("DROP TABLE orders_enriched", UnsafeQuery),
        ("ALTER TABLE orders_enriched ADD COLUMN x INT", UnsafeQuery),
        ("CHECKPOINT", UnsafeQuery),
        ("VACUUM", UnsafeQuery),
        ("BEGIN TRANSACTION", UnsafeQuery),
        # several statements in one string
        ("SELECT 1; DROP TABLE orders_enriched", UnsafeQuery),
        (f"SELECT 1; COPY (SELECT 1) TO '{d}/two.csv'", UnsafeQuery),
        ("SELECT 1;;SELECT 2", UnsafeQuery),
        # environment and settings
        ("SELECT getenv('HOME')", UnsafeQuery),
        ("SELECT \"GetEnv\"('HOME')", UnsafeQuery),
        ("SELECT 'HOME'.getenv()", UnsafeQuery),
        ("SELECT U&\"\\0067etenv\"('HOME')", QueryFailed),  # escapes are not decoded: no such function
        ("SELECT current_setting('memory_limit')", UnsafeQuery),
        ("SELECT * FROM duckdb_settings()", UnsafeQuery),
        ("SELECT * FROM duckdb_extensions()", UnsafeQuery),
        ("SELECT * FROM duckdb_secrets()", UnsafeQuery),
        ("SELECT * FROM query('SELECT 1')", UnsafeQuery),
        ("SELECT * FROM query_table('orders_enriched')", UnsafeQuery),
        (f"SELECT json_execute_serialized_sql(json_serialize_sql('SELECT 1'))", UnsafeQuery),
        # resource exhaustion
        ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r", QueryTimeout),
        ("SELECT count(*) FROM orders_enriched a, orders_enriched b, orders_enriched c, orders_enriched d", QueryTimeout),
        ("SELECT count(*) FROM range(100000000) a CROSS JOIN range(100000000) b", STOPPED),
        ("SELECT length(repeat('x', 2000000000))", STOPPED),
        ("SELECT string_agg(repeat('x', 1000000), ',') FROM range(5000)", STOPPED),
        ("SELECT list(range) FROM range(500000000)", STOPPED),
        (UNINTERRUPTIBLE, QueryTimeout),
    ]


def test_every_attack_is_refused_or_stopped_in_time(sandbox: SqlSandbox, db: Path, attack_dir: Path) -> None:
    db_hash = sha256_file(db)
    sandbox.execute("SELECT 1")
    worker_cwd = sandbox.worker_cwd
    assert worker_cwd is not None and not any(worker_cwd.iterdir())
    before = _snapshot(attack_dir, db.parent)
    for query, expected in _attacks(attack_dir):
        start = time.monotonic()
        with pytest.raises(expected):
            sandbox.execute(query, timeout_s=TIMEOUT_S)
        elapsed = time.monotonic() - start
        assert elapsed < STOPPED_WITHIN_S, f"{query!r} took {elapsed:.2f} s"
    assert _snapshot(attack_dir, db.parent) == before, "an attack wrote a file"
    assert sandbox.worker_cwd is not None and not any(sandbox.worker_cwd.iterdir())
    assert not (Path.cwd() / "relative.csv").exists()
    assert sha256_file(db) == db_hash, "the database changed"
    for name in ("copied.csv", "copied.parquet", "exported", "attached.db", "two.csv"):
        assert not (attack_dir / name).exists()
    # still serving, with the right data
    result = sandbox.execute("SELECT count(*) AS n FROM orders_enriched")
    assert result.columns == ["n"] and result.rows[0][0] > 0


def test_a_query_that_ignores_interrupt_gets_its_worker_killed(sandbox: SqlSandbox) -> None:
    sandbox.execute("SELECT 1")
    old_pid, restarts = sandbox.worker_pid, sandbox.restarts
    start = time.monotonic()
    with pytest.raises(QueryTimeout, match="worker killed"):
        sandbox.execute(UNINTERRUPTIBLE, timeout_s=0.5)
    assert time.monotonic() - start < STOPPED_WITHIN_S
    assert sandbox.restarts == restarts + 1
    assert not psutil.pid_exists(old_pid) or psutil.Process(old_pid).status() == psutil.STATUS_ZOMBIE
    assert sandbox.execute("SELECT 41 + 1 AS x").rows == [[42]]
    assert sandbox.worker_pid != old_pid


def test_worker_is_locked_down(sandbox: SqlSandbox) -> None:
    """The limits the issue asks for, read from inside the worker's own process."""
    sandbox.execute("SELECT 1")
    worker = psutil.Process(sandbox.worker_pid)
    assert worker.rlimit(psutil.RLIMIT_FSIZE) == (0, 0)
    assert worker.rlimit(psutil.RLIMIT_AS)[0] == SandboxLimits().address_space_mb << 20
    assert worker.ppid() == os.getpid()


def test_worker_connection_settings(db: Path) -> None:
    """The worker's connection, opened here the way the worker opens it, reports the lock-down."""
    import duckdb

    from rewards import sandbox_worker

    con = sandbox_worker.connect(duckdb, str(db), memory_limit_mb=256)
    try:
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('access_mode', 'enable_external_access', "
            "'autoload_known_extensions', 'autoinstall_known_extensions', 'allow_community_extensions', "
            "'threads', 'memory_limit', 'lock_configuration', 'max_temp_directory_size')"
        ).fetchall())
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            con.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.PermissionException, match="LocalFileSystem has been disabled"):
            con.execute(f"SELECT * FROM read_text('{db}')")  # even the database file itself
    finally:
        con.close()
    assert settings == {
        "access_mode": "read_only", "enable_external_access": "false", "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false", "allow_community_extensions": "false", "threads": "1",
        "memory_limit": "244.1 MiB", "lock_configuration": "true", "max_temp_directory_size": "0 bytes",
    }


def test_results_row_cap_and_fresh_state(sandbox: SqlSandbox) -> None:
    capped = sandbox.execute("SELECT * FROM range(50) t(i)", max_rows=10)
    assert capped.truncated and len(capped.rows) == 10
    full = sandbox.execute("SELECT * FROM range(5) t(i)", max_rows=10)
    assert not full.truncated and full.rows == [[0], [1], [2], [3], [4]]
    typed = sandbox.execute("SELECT DATE '2017-03-01' AS d, TIMESTAMP '2017-03-01 10:00:00' AS ts, 1.5::DECIMAL(4,2) AS m")
    assert typed.rows == [["2017-03-01", "2017-03-01 10:00:00", 1.5]]
    with pytest.raises(QueryFailed, match="Parser"):
        sandbox.execute("SELEC 1")
    with pytest.raises(QueryFailed, match="nope"):
        sandbox.execute("SELECT nope FROM orders_enriched")


def test_thousands_of_hostile_queries_do_not_grow_the_worker(sandbox: SqlSandbox, attack_dir: Path) -> None:
    refused = [q for q, kind in _attacks(attack_dir) if kind is UnsafeQuery]
    heavy = ["SELECT length(repeat('x', 2000000000))",                         # over the memory limit
             "SELECT string_agg(repeat('x', 1000000), ',') FROM range(5000)"]  # over the memory limit
    valid = "SELECT customer_state, avg(total_value) FROM orders_enriched GROUP BY 1"
    stream = [valid if i % 20 == 10 else heavy[i // 20 % 2] if i % 20 == 0 else refused[i % len(refused)]
              for i in range(2000)]
    for query in heavy * 10:  # warm up allocator pools
        with pytest.raises(QueryFailed):
            sandbox.execute(query)
    pid, restarts = sandbox.worker_pid, sandbox.restarts
    baseline = psutil.Process(pid).memory_info().rss
    samples = []
    for i, query in enumerate(stream):
        if query == valid:
            assert len(sandbox.execute(query, timeout_s=STREAM_TIMEOUT_S).rows) == 6
        else:
            with pytest.raises(SqlError):
                sandbox.execute(query, timeout_s=STREAM_TIMEOUT_S)
        if i % 100 == 99:
            samples.append(psutil.Process(pid).memory_info().rss)
    # one worker served all 2000 (never recycled for memory), and it did not grow
    assert (sandbox.worker_pid, sandbox.restarts) == (pid, restarts)
    assert max(samples) - baseline < 64 << 20, [m >> 20 for m in [baseline, *samples]]
    assert sandbox.execute("SELECT count(*) FROM orders_enriched").rows[0][0] > 0


def test_execute_readonly_shares_one_worker_per_database(commerce_db: Path) -> None:
    first = execute_readonly(commerce_db, "SELECT 1 AS one")
    second = execute_readonly(commerce_db, "SELECT 2 AS two")
    assert (first.rows, second.rows) == ([[1]], [[2]])
    from rewards.sandbox import sandbox_for

    assert sandbox_for(commerce_db) is sandbox_for(str(commerce_db))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        execute_readonly(commerce_db.parent / "absent.db", "SELECT 1")
