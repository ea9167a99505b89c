"""Expectation suites for the raw tables and for commerce.db, run as SQL inside DuckDB.

Raw tables (data/raw/*.parquet, read in place): keys unique, referential integrity, value sets,
ranges, null rates. commerce.db (attached read-only as `db`): every raw table holds exactly the rows
ingest wrote, and the derived tables keep their one-row-per-key contract.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from factory import duck
from factory.duck import ident, literal
from factory.validation.report import ValidationReport, write_docs
from factory.validation.sql import (
    InTable, RowCount, TableSuite, between, in_set, match_regex, not_null, unique, unique_not_null, validate,
)
from schemas.brazil import UF

SUITE = "commerce_db"
ORDER_STATUSES = ["delivered", "shipped", "canceled", "unavailable", "invoiced", "processing", "created", "approved"]
PAYMENT_TYPES = ["credit_card", "boleto", "voucher", "debit_card", "not_defined"]
NONEMPTY = RowCount(minimum=1)


def raw_suites(b2w_rows: int) -> list[TableSuite]:
    """Checks on the typed tables written by ingest (the views named like the Parquet files)."""
    suites = [
        TableSuite("customers", [
            NONEMPTY, *unique_not_null("customer_id"), not_null("customer_unique_id"),
            match_regex("customer_zip_code_prefix", r"^\d{5}$"), in_set("customer_state", list(UF)),
        ]),
        TableSuite("orders", [
            NONEMPTY, *unique_not_null("order_id"), InTable("customer_id", "customers", "customer_id"),
            in_set("order_status", ORDER_STATUSES), not_null("order_purchase_timestamp"),
            not_null("order_estimated_delivery_date"), not_null("order_approved_at", mostly=0.95),
        ]),
        TableSuite("order_items", [
            NONEMPTY, InTable("order_id", "orders", "order_id"), InTable("product_id", "products", "product_id"),
            InTable("seller_id", "sellers", "seller_id"), unique("order_id", "order_item_id"),
            between("price", 0.01, 100_000), between("freight_value", 0, 10_000),
        ]),
        TableSuite("order_payments", [
            NONEMPTY, InTable("order_id", "orders", "order_id"), in_set("payment_type", PAYMENT_TYPES),
            unique("order_id", "payment_sequential"),
            between("payment_installments", 0, 24), between("payment_value", 0, 100_000),
        ]),
        TableSuite("order_reviews", [
            NONEMPTY, InTable("order_id", "orders", "order_id"), unique("review_id", "order_id"),
            between("review_score", 1, 5), not_null("review_creation_date"),
        ]),
        TableSuite("products", [
            NONEMPTY, *unique_not_null("product_id"), not_null("product_category_name", mostly=0.95),
            between("product_weight_g", 0, 100_000, mostly=0.99),
        ]),
        TableSuite("sellers", [
            NONEMPTY, *unique_not_null("seller_id"), in_set("seller_state", list(UF)),
            match_regex("seller_zip_code_prefix", r"^\d{5}$"),
        ]),
        TableSuite("category_translation", [
            NONEMPTY, *unique_not_null("product_category_name"), not_null("product_category_name_english"),
        ]),
    ]
    if b2w_rows:
        suites.append(TableSuite("b2w_reviews", [
            between("overall_rating", 1, 5), not_null("review_text"),
            in_set("reviewer_state", list(UF)), in_set("reviewer_gender", ["M", "F"]),
        ]))
    return suites


def db_suites(raw_rows: dict[str, int]) -> list[TableSuite]:
    """Checks on commerce.db: raw tables complete, derived tables keyed and in range."""
    suites = [TableSuite(f"db.{table}", [RowCount(n, n)]) for table, n in raw_rows.items()]
    suites += [
        TableSuite("db.orders_enriched", [
            RowCount(raw_rows["orders"], raw_rows["orders"]), *unique_not_null("order_id"),
            not_null("customer_unique_id"), match_regex("purchase_month", r"^20\d\d-(?:0[1-9]|1[0-2])$"),
            between("total_value", 0, 200_000), between("item_count", 0, 100), between("review_score", 1, 5),
            not_null("category_pt"), not_null("review_score", mostly=0.9), between("delivery_days", 0, 400),
        ]),
        TableSuite("db.customer_features", [
            *unique_not_null("customer_unique_id"), between("frequency", 1, None), between("recency_days", 0, None),
            between("tenure_days", 0, None), between("monetary", 0, None), between("avg_review_score", 1, 5),
            in_set("customer_state", list(UF)),
        ]),
    ]
    return suites


def attach(con: duckdb.DuckDBPyConnection, raw_dir: str | Path, db_path: str | Path) -> dict[str, int]:
    """Views over data/raw's Parquet files (named by table) and commerce.db as `db`; returns raw row counts."""
    rows = {}
    for path in sorted(Path(raw_dir).glob("*.parquet")):
        con.execute(f"CREATE VIEW {ident(path.stem)} AS SELECT * FROM read_parquet({literal(str(path))})")
        rows[path.stem] = con.execute(f"SELECT count(*) FROM {ident(path.stem)}").fetchall()[0][0]
    con.execute(f"ATTACH {literal(str(db_path))} AS db (READ_ONLY)")
    return rows


def validate_commerce(raw_dir: str | Path, db_path: str | Path, docs_dir: str | Path | None = None) -> ValidationReport:
    """Run the raw and commerce.db suites; write the HTML report to `docs_dir` when given."""
    with tempfile.TemporaryDirectory(prefix="validate-commerce-") as scratch, \
            duck.connect(scratch_dir=scratch) as con:
        rows = attach(con, raw_dir, db_path)
        report = validate(con, SUITE, raw_suites(rows.get("b2w_reviews", 0)) + db_suites(rows))
    if docs_dir is not None:
        write_docs(report, docs_dir)
    return report
