"""Batching, the worker pool and the result cache: one reward call is one batch, a worker killed
inside a batch loses no other query's result, and results are keyed by database content."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import psutil
import pytest

import rewards
from rewards import sql
from rewards.sandbox import QueryFailed, QueryResult, QueryTimeout, Request, SqlSandbox, UnsafeQuery

UNINTERRUPTIBLE = "SELECT levenshtein(repeat('ab', 40000), repeat('ba', 40000))"


@pytest.fixture(scope="module")
def db(commerce_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch-db") / "commerce.db"
    shutil.copy(commerce_db, path)
    return path


@pytest.fixture(scope="module")
def pool(db: Path):
    box = SqlSandbox(db, workers=2)
    yield box
    box.close()


def test_a_batch_returns_every_outcome_in_order(pool: SqlSandbox) -> None:
    pool.wait_ready()
    assert len(set(pool.worker_pids)) == 2 and all(psutil.pid_exists(p) for p in pool.worker_pids)
    requests = [Request(f"SELECT {i} AS i, count(*) AS n FROM orders_enriched WHERE item_count > {i % 3}")
                for i in range(40)]
    requests[7] = Request("SELECT nope FROM orders_enriched")
    requests[9] = Request("DROP TABLE orders_enriched")
    requests[11] = Request("")
    outcomes = pool.execute_batch(requests)
    assert isinstance(outcomes[7], QueryFailed) and isinstance(outcomes[9], UnsafeQuery)
    assert isinstance(outcomes[11], QueryFailed)
    for i, outcome in enumerate(outcomes):
        if i not in (7, 9, 11):
            assert isinstance(outcome, QueryResult) and outcome.rows[0][0] == i, (i, outcome)


def test_a_worker_killed_inside_a_batch_loses_no_other_result(pool: SqlSandbox) -> None:
    pool.execute("SELECT 1")
    before, restarts = list(pool.worker_pids), pool.restarts
    requests = [Request(f"SELECT {i} AS i") for i in range(12)]
    requests[3] = Request(UNINTERRUPTIBLE, timeout_s=0.5)
    requests[8] = Request(UNINTERRUPTIBLE, timeout_s=0.5)
    start = time.monotonic()
    outcomes = pool.execute_batch(requests)
    assert time.monotonic() - start < 5
    assert isinstance(outcomes[3], QueryTimeout) and isinstance(outcomes[8], QueryTimeout)
    assert [o.rows[0][0] for i, o in enumerate(outcomes) if i not in (3, 8)] == [i for i in range(12) if i not in (3, 8)]
    assert pool.restarts == restarts + 2
    for pid in before:
        if pid not in pool.worker_pids:
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert pool.execute("SELECT 41 + 1 AS x").rows == [[42]]


def test_a_single_worker_batch_survives_a_kill(db: Path) -> None:
    box = SqlSandbox(db)
    try:
        outcomes = box.execute_batch([Request("SELECT 1"), Request(UNINTERRUPTIBLE, timeout_s=0.4), Request("SELECT 3")])
        assert outcomes[0].rows == [[1]] and isinstance(outcomes[1], QueryTimeout) and outcomes[2].rows == [[3]]
        assert box.restarts == 1
    finally:
        box.close()


def test_score_many_equals_scoring_one_by_one(by_task: dict, options) -> None:
    truths = [rewards._TRUTHS.get_truth("sql", r["ground_truth"]) for r in by_task["sql"]]
    completions, paired = [], []
    for truth in truths:
        gold = truth.gold_sql
        for answer in (f"```sql\n{gold}\n```", gold, "```sql\nSELECT 42 AS x\n```", "nada", "```sql\nDROP TABLE t\n```",
                       f"```sql\nSELECT * FROM ({gold}) g LIMIT 1\n```"):
            completions.append(answer)
            paired.append(truth)
    sql.clear_caches()
    batched = sql.score_many(completions, paired, options)
    sql.clear_caches()
    single = [rewards.score("sql", c, t, options=options) for c, t in zip(completions, paired)]
    strip = lambda s: {k: v for k, v in s.items() if k != "reward"}  # noqa: E731 - finish() adds it
    assert [strip(s) for s in batched] == [strip(s) for s in single]
    assert {s["outcome"] for s in single} >= {"right", "wrong", "error", "unsafe"}


def test_the_cache_serves_repeats_and_is_keyed_by_content(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "commerce.db"
    shutil.copy(db, path)
    opts = rewards.options(db_path=path)
    query = "SELECT count(*) AS n FROM orders_enriched WHERE customer_state = 'SP'"
    con = duckdb.connect(str(path), read_only=True)
    n = con.execute(query).fetchone()[0]
    con.close()
    truth = {"gold_sql": query, "columns": ["n"], "rows": [[n]], "ordered": False}
    sql.clear_caches()
    written_twice = query.replace("SELECT", "select ").replace("FROM", "\n  from") + "  -- the same query\n"
    assert rewards.score("sql", query, truth, options=opts)["outcome"] == "right"
    misses = sql.RESULTS.misses
    assert rewards.score("sql", query, truth, options=opts)["outcome"] == "right"
    assert rewards.score("sql", written_twice, truth, options=opts)["outcome"] == "right"
    assert sql.RESULTS.misses == misses  # nothing ran again: same content, same (normalized) query
    # A rebuilt database at the same path (written aside and renamed, as build_db does): the old
    # result must not be served.
    rebuilt = tmp_path / "rebuilt.db"
    shutil.copy(db, rebuilt)
    con = duckdb.connect(str(rebuilt))
    con.execute("DELETE FROM orders_enriched WHERE customer_state = 'SP' AND order_id IN "
                "(SELECT min(order_id) FROM orders_enriched WHERE customer_state = 'SP')")
    con.execute("CHECKPOINT")
    con.close()
    rebuilt.replace(path)
    stale = rewards.score("sql", query, truth, options=opts)
    assert stale["outcome"] == "wrong" and not stale["exact"], stale


def test_normalized_queries_differ_only_where_duckdb_does_not_care() -> None:
    assert sql.normalized("SELECT  a FROM t -- c\n WHERE x = 'A  b' /* c */;") == "select a from t where x = 'A  b'"
    assert sql.normalized("select a from T where x = 'A  b'") == "select a from t where x = 'A  b'"
    assert sql.normalized("SELECT 'A'") != sql.normalized("SELECT 'a'")
    assert sql.normalized('SELECT "Nota" FROM t') != sql.normalized('SELECT "nota" FROM t')
    assert sql.normalized("SELECT 'it''s  x'") == "select 'it''s  x'"
    for kept in ("SELECT $$A  b$$", "SELECT E'a\\'  b'", "SELECT 'unclosed  x"):
        assert sql.normalized(kept) == kept


def test_a_rewrite_of_the_gold_is_verified_on_the_variants(by_task: dict, options) -> None:
    truth = rewards._TRUTHS.get_truth("sql", by_task["sql"][0]["ground_truth"])
    sql.clear_caches()
    same = rewards.score("sql", f"```sql\n{truth.gold_sql}  -- igual\n```", truth, options=options)
    assert same["outcome"] == "right" and "caught_by" in same and sql.RESULTS.misses >= 1
    misses = sql.RESULTS.misses
    rewrite = rewards.score("sql", f"```sql\nSELECT * FROM ({truth.gold_sql}) AS r\n```", truth, options=options)
    assert rewrite["outcome"] == "right" and rewrite["databases"] == 4
    assert sql.RESULTS.misses >= misses + 4  # the database and three variants


def test_the_cache_is_bounded_by_cells() -> None:
    cache = sql.ResultCache(max_cells=50)
    for i in range(20):
        cache.put(("h", f"q{i}", 1.0, 10), QueryResult(["a"], [[i]] * 5, False))
    assert len(cache) < 20 and cache.get(("h", "q19", 1.0, 10)) is not None
    assert cache.get(("h", "q0", 1.0, 10)) is None


def test_attacks_are_refused_on_a_pool_that_serves_variants(db: Path, tmp_path: Path) -> None:
    """The lock-down holds when variants are attached first, on the variants as on the database."""
    from common.io import sha256_file
    from rewards.sql_variants import variants_for
    from test_sql_sandbox import TIMEOUT_S, _attacks

    attack_dir = tmp_path / "attack"
    attack_dir.mkdir()
    (attack_dir / "secret.csv").write_text("password\nhunter2\n", encoding="utf-8")
    variants = variants_for(db)
    hashes = [sha256_file(p) for p in (db, *variants.paths)]
    box = SqlSandbox(db, variants=variants.paths, workers=2)
    try:
        attacks = _attacks(attack_dir)
        requests = [Request(q, timeout_s=TIMEOUT_S, database=k) for q, _ in attacks for k in (0, 1)]
        outcomes = box.execute_batch(requests)
        for (query, expected), outcome in zip([a for a in attacks for _ in (0, 1)], outcomes):
            assert isinstance(outcome, expected), (query, outcome)
        assert sorted(p.name for p in attack_dir.iterdir()) == ["secret.csv"]
        assert [sha256_file(p) for p in (db, *variants.paths)] == hashes
        assert box.execute("SELECT count(*) FROM orders_enriched", database=2).rows[0][0] > 0
    finally:
        box.close()


def test_a_worker_that_cannot_start_is_an_error_not_a_loop(db: Path, tmp_path: Path) -> None:
    broken = tmp_path / "not-a-database.db"
    broken.write_bytes(b"this is not a DuckDB file" * 100)
    box = SqlSandbox(db, variants=[broken], workers=2)
    try:
        with pytest.raises(RuntimeError, match="did not start"):
            box.execute_batch([Request("SELECT 1"), Request("SELECT 2")])
    finally:
        box.close()


def test_each_database_keeps_serving_after_a_timeout_an_error_and_a_refusal(db: Path) -> None:
    """The worker reuses one cursor per database: a query interrupted at its deadline, one DuckDB
    rejects and one refused leave the next query on that database (and the others) right, in the
    same worker process."""
    from rewards.sql_variants import variants_for

    variants = variants_for(db)
    box = SqlSandbox(db, variants=variants.paths, workers=1)
    try:
        count = "SELECT count(*) AS n FROM orders_enriched"
        before = [box.execute(count, database=k).rows for k in (0, 1, 2)]
        assert before[0] != before[1], "variant 1 drops orders: the databases must differ here"
        pid = box.worker_pid
        slow = "SELECT count(*) FROM range(100000000000) a"  # interruptible, far over the limit
        for k in (0, 1, 2):
            with pytest.raises(QueryTimeout):
                box.execute(slow, timeout_s=0.3, database=k)
            assert box.execute(count, database=k).rows == before[k]
            with pytest.raises(QueryFailed):
                box.execute("SELECT no_such_column FROM orders_enriched", database=k)
            with pytest.raises(UnsafeQuery):
                box.execute("SELECT 1; SELECT 2", database=k)
            assert box.execute(count, database=k).rows == before[k]
        assert box.worker_pid == pid, "an interrupt must not cost the worker"
        assert [box.execute(count, database=k).rows for k in (2, 1, 0)] == before[::-1]
    finally:
        box.close()
