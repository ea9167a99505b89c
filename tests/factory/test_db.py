"""commerce.db: tables, derived facts, canonical hashes, atomic build."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from factory import db
from factory.sources import ingest

ENRICHED_COLUMNS = [
    "order_id", "customer_id", "customer_unique_id", "customer_state", "customer_city", "order_status",
    "purchase_ts", "approved_ts", "delivered_carrier_ts", "delivered_customer_ts", "estimated_delivery_ts",
    "purchase_month", "item_count", "items_value", "freight_value", "total_value", "payment_value",
    "payment_type", "payment_installments", "product_id", "category_pt", "category_en", "seller_id",
    "seller_state", "delivery_days", "estimated_days", "delay_days", "is_late", "review_id", "review_score",
    "review_title", "review_comment", "review_created_ts", "has_comment",
]


def _q(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_orders_enriched_has_one_row_per_order_with_contract_columns(synthetic_db):
    columns = [r[0] for r in _q(synthetic_db, "SELECT column_name FROM information_schema.columns "
                                              "WHERE table_name='orders_enriched' ORDER BY ordinal_position")]
    assert columns == ENRICHED_COLUMNS
    (n_orders,), = _q(synthetic_db, "SELECT count(*) FROM orders")
    (n_enriched, n_distinct), = _q(synthetic_db, "SELECT count(*), count(DISTINCT order_id) FROM orders_enriched")
    assert n_enriched == n_distinct == n_orders


def test_enriched_values_agree_with_raw_tables(synthetic_db):
    mismatches = _q(synthetic_db, """
        SELECT e.order_id FROM orders_enriched e
        JOIN (SELECT order_id, count(*) n, round(sum(price) + sum(freight_value), 2) v
              FROM order_items GROUP BY order_id) i USING (order_id)
        WHERE e.item_count <> i.n OR abs(e.total_value - i.v) > 0.011""")
    assert mismatches == []
    late = _q(synthetic_db, """
        SELECT count(*) FILTER (WHERE is_late <> (delivered_customer_ts > estimated_delivery_ts)),
               count(*) FILTER (WHERE delivered_customer_ts IS NULL AND is_late IS NOT NULL),
               count(*) FILTER (WHERE is_late)
        FROM orders_enriched""")[0]
    assert late[0] == 0 and late[1] == 0 and late[2] > 0


def test_customer_features_one_row_per_customer_and_consistent(synthetic_db):
    (n_customers,), = _q(synthetic_db, "SELECT count(DISTINCT customer_unique_id) FROM orders_enriched")
    rows = _q(synthetic_db, "SELECT count(*), count(DISTINCT customer_unique_id), min(frequency), "
                            "sum(frequency), min(recency_days) FROM customer_features")[0]
    (n_orders,), = _q(synthetic_db, "SELECT count(*) FROM orders_enriched")
    assert rows[0] == rows[1] == n_customers
    assert rows[2] >= 1 and rows[3] == n_orders and rows[4] >= 0
    (repeaters,), = _q(synthetic_db, "SELECT count(*) FROM customer_features WHERE frequency > 1")
    assert repeaters > 0, "synthetic data must have repeat buyers for churn labels"


def test_canonical_hashes_repeat_across_builds(synthetic_raw, tmp_path):
    first = db.build(synthetic_raw, tmp_path / "a.db")
    second = db.build(synthetic_raw, tmp_path / "b.db")
    assert first == second
    assert db.table_hashes(tmp_path / "a.db") == first["canonical_sha256"]


def test_stored_hashes_are_the_computed_ones(synthetic_raw, tmp_path):
    """build keeps each table's canonical hash as its comment; table_hashes reads it, and computes the
    hash of a table that has none (a database built elsewhere)."""
    built = db.build(synthetic_raw, tmp_path / "a.db")["canonical_sha256"]
    con = duckdb.connect(str(tmp_path / "a.db"))
    comments = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
    assert comments == {t: f"{db.HASH_COMMENT}{h}" for t, h in built.items()}
    con.execute("COMMENT ON TABLE orders IS NULL")
    con.close()
    assert db.table_hashes(tmp_path / "a.db") == db.table_hashes(tmp_path / "a.db", stored=False) == built


def test_canonical_hash_changes_with_the_data(synthetic_raw, make_synthetic_params, tmp_path):
    other = tmp_path / "raw"
    ingest(make_synthetic_params(seed=1), other)
    assert db.build(other, tmp_path / "b.db")["canonical_sha256_all"] != db.build(synthetic_raw, tmp_path / "a.db")["canonical_sha256_all"]


def test_missing_raw_table_fails_without_partial_db(synthetic_raw, tmp_path):
    broken = tmp_path / "raw"
    shutil.copytree(synthetic_raw, broken)
    (broken / "orders.parquet").unlink()
    with pytest.raises(FileNotFoundError, match="orders.parquet"):
        db.build(broken, tmp_path / "out" / "commerce.db")
    assert not (tmp_path / "out" / "commerce.db").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


def test_real_olist_sample_row_counts(shared_data, tmp_path):
    params = {"source": "olist", "olist_dir": str(shared_data / "olist-sample"), "b2w_path": None,
              "synthetic": {"seed": 0, "orders": 10, "b2w_reviews": 0}}
    ingest(params, tmp_path / "raw")
    rows = db.build(tmp_path / "raw", tmp_path / "commerce.db")["rows"]
    assert {k: rows[k] for k in ("orders", "customers", "order_items", "order_payments", "order_reviews",
                                 "products", "sellers", "category_translation")} == {
        "orders": 2000, "customers": 2000, "order_items": 2280, "order_payments": 2096,
        "order_reviews": 1996, "products": 1727, "sellers": 749, "category_translation": 71}
    assert rows["orders_enriched"] == 2000
