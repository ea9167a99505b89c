"""Perturbed variants of a real commerce.db (built by the pipeline's own ingest and build_db):
built once per content, atomically, deterministic, consistent with the schema, and they catch
coincidental matches that the database alone would pay for."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

import rewards
from factory import db as factory_db
from factory.prompts.sql import execute_gold
from factory.sources import ingest
from rewards.sql_audit import audit, constant_answer, near_misses
from rewards.sql_variants import RECIPE_VERSION, content_hash, variants_for
from schemas.tasks import SqlTruth


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("variants")
    params = {"source": "synthetic", "olist_dir": None, "b2w_path": None,
              "synthetic": {"seed": 3, "orders": 600, "b2w_reviews": 40}}
    ingest(params, root / "raw")
    factory_db.build(root / "raw", root / "commerce.db")
    return root / "commerce.db"


@pytest.fixture(scope="module")
def shop_options(shop_db: Path):
    return rewards.options(db_path=shop_db)


def _truth(db: Path, sql: str) -> SqlTruth:
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns, rows, ordered = execute_gold(con, sql)
    finally:
        con.close()
    return SqlTruth(gold_sql=sql, columns=columns, rows=rows, ordered=ordered)


def _score(query: str, truth: SqlTruth, options) -> dict:
    return rewards.score("sql", f"```sql\n{query}\n```", truth, options=options)


def test_variants_are_built_once_per_content_and_atomically(shop_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "commerce.db"
    shutil.copy(shop_db, copy)
    first = variants_for(copy)
    folder = first.paths[0].parent
    assert folder.parent == tmp_path / ".sql-variants" and folder.name.endswith(f"n{first.count}")
    assert f"-r{RECIPE_VERSION}" in folder.name
    assert first.count == 3 and all(p.is_file() for p in first.paths)
    stamps = [p.stat().st_mtime_ns for p in first.paths]
    # A stale temporary folder of a killed build is debris; a dead pid marks it.
    debris = folder.parent / f".tmp-{folder.name}-999999-abc"
    debris.mkdir()
    # Same content, new process state: read from disk, not rebuilt.
    from rewards import sql_variants

    sql_variants._SETS.clear()
    again = variants_for(copy)
    assert again.paths == first.paths and [p.stat().st_mtime_ns for p in again.paths] == stamps
    # New content at the same path: a new set, the old one removed, no temporary folder left.
    con = duckdb.connect(str(copy))
    con.execute("UPDATE orders SET order_status = 'canceled' WHERE order_id = (SELECT min(order_id) FROM orders)")
    con.execute("CHECKPOINT")
    con.close()
    changed = variants_for(copy)
    assert changed.source_hash != first.source_hash and changed.paths[0].parent != folder
    assert sorted(p.name for p in (tmp_path / ".sql-variants").iterdir()) == [changed.paths[0].parent.name]


def test_variants_are_deterministic(shop_db: Path, tmp_path: Path) -> None:
    a = variants_for(shop_db, cache_dir=tmp_path / "a")
    b = variants_for(shop_db, cache_dir=tmp_path / "b")
    for pa, pb in zip(a.paths, b.paths):
        assert factory_db.table_hashes(pa) == factory_db.table_hashes(pb)
    assert factory_db.table_hashes(a.paths[0]) != factory_db.table_hashes(a.paths[1])


def test_variants_keep_the_schema_relations(shop_db: Path) -> None:
    """Derived tables are rebuilt from the perturbed raw tables, so what the schema guarantees holds."""
    for path in variants_for(shop_db).paths:
        con = duckdb.connect(str(path), read_only=True)
        try:
            checks = con.execute("""
                SELECT (SELECT count(*) FROM orders) = (SELECT count(*) FROM orders_enriched),
                       (SELECT count(*) FROM orders_enriched WHERE abs(total_value - round(items_value + freight_value, 2)) > 0.005) = 0,
                       (SELECT count(*) FROM orders_enriched WHERE (delivery_days IS NULL) <> (delivered_customer_ts IS NULL)) = 0,
                       (SELECT sum(frequency) FROM customer_features) = (SELECT count(*) FROM orders_enriched),
                       (SELECT count(*) FROM order_items i LEFT JOIN orders o USING (order_id) WHERE o.order_id IS NULL) = 0
            """).fetchone()
        finally:
            con.close()
        assert all(checks), (path, checks)


def test_a_hard_coded_answer_is_caught(shop_db: Path, shop_options) -> None:
    truth = _truth(shop_db, "SELECT count(*) AS pedidos FROM orders_enriched WHERE customer_state = 'SP'")
    right = _score(truth.gold_sql, truth, shop_options)
    assert right["outcome"] == "right" and right["databases_matched"] == right["databases"] == 4
    constant = _score(constant_answer(truth), truth, shop_options)
    assert constant["exact"] and constant["caught_by"], constant  # right on the database only
    assert constant["outcome"] == "partial" and constant["task"] == 0.0 and constant["reward"] < 0.5


def test_a_filter_that_removes_nothing_here_is_caught(shop_db: Path, shop_options) -> None:
    con = duckdb.connect(str(shop_db), read_only=True)
    year, category = con.execute(
        "SELECT min(year(purchase_ts)), category_pt FROM orders_enriched GROUP BY 2 "
        "HAVING count(DISTINCT year(purchase_ts)) = 1 AND count(*) >= 2 ORDER BY count(*) DESC, 2 LIMIT 1").fetchone()
    con.close()
    truth = _truth(shop_db, f"SELECT count(*) AS pedidos FROM orders_enriched WHERE category_pt = '{category}' "
                            f"AND year(purchase_ts) = {year}")
    missing_year = _score(f"SELECT count(*) AS pedidos FROM orders_enriched WHERE category_pt = '{category}'",
                          truth, shop_options)
    assert missing_year["exact"] and missing_year["caught_by"] and missing_year["task"] == 0.0, missing_year


def test_a_query_right_by_the_schema_stays_right(shop_db: Path, shop_options) -> None:
    """Another way to the same answer (raw tables instead of orders_enriched) is right everywhere."""
    truth = _truth(shop_db, "SELECT customer_state, count(*) AS pedidos, round(sum(total_value), 2) AS receita "
                            "FROM orders_enriched GROUP BY 1 ORDER BY 2 DESC, 1")
    raw = ("WITH v AS (SELECT order_id, sum(price) + sum(freight_value) AS total FROM order_items GROUP BY 1) "
           "SELECT c.customer_state, count(*) AS n, round(sum(coalesce(round(v.total, 2), 0)), 2) AS r "
           "FROM orders o JOIN customers c USING (customer_id) LEFT JOIN v USING (order_id) GROUP BY 1 ORDER BY 2 DESC, 1")
    scores = _score(raw, truth, shop_options)
    assert scores["outcome"] == "right", scores


def test_the_audit_reports_what_the_variants_catch(shop_db: Path, shop_options) -> None:
    truths = [_truth(shop_db, "SELECT round(avg(delivery_days), 1) AS dias FROM orders_enriched "
                              "WHERE customer_state = 'SP' AND delivered_customer_ts IS NOT NULL"),
              _truth(shop_db, "SELECT count(*) AS pedidos FROM orders_enriched WHERE order_status = 'delivered'")]
    misses = near_misses(truths[0].gold_sql)
    assert any(name.startswith("drop_filter") for name in misses)
    report = audit(truths, shop_options)
    assert report["kinds"]["constant"] == {"candidates": 2, "match_on_db": 2, "caught": 2}
    # Dropping `delivered_customer_ts IS NOT NULL` is equivalent by the schema (delivery_days is NULL
    # exactly then): it survives every variant, as it should.
    assert any("IS NOT NULL" not in s["query"] and s["gold"] == truths[0].gold_sql for s in report["survivors"])


def test_content_hash_follows_the_bytes(shop_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "x.db"
    shutil.copy(shop_db, copy)
    assert content_hash(copy) == content_hash(shop_db)
    os.utime(copy, ns=(1, 1))
    assert content_hash(copy) == content_hash(shop_db)
