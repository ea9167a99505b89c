"""Expectation suites for the raw tables and for commerce.db.

Raw tables: keys unique, referential integrity, value sets, ranges, null rates. commerce.db: every raw
table holds exactly the rows ingest wrote, and the derived tables keep their one-row-per-key contract.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations.expectations as gxe
import pandas as pd

from factory.validation.gx import TableCheck
from schemas.brazil import UF

ORDER_STATUSES = ["delivered", "shipped", "canceled", "unavailable", "invoiced", "processing", "created", "approved"]
PAYMENT_TYPES = ["credit_card", "boleto", "voucher", "debit_card", "not_defined"]


def _references(frame: pd.DataFrame, refs: dict[str, tuple[str, pd.Series]]) -> tuple[pd.DataFrame, list]:
    """Referential integrity: add `<col>_not_in_<parent>` holding orphan keys (else null), expect it null.

    GX's in-set check with a value set of every parent key is quadratic in practice; this keeps the
    check linear and still shows the offending keys in the failure message.
    """
    extra, expectations = {}, []
    for column, (parent, keys) in refs.items():
        name = f"{column}_not_in_{parent}"
        extra[name] = frame[column].where(~frame[column].isin(keys))
        expectations.append(gxe.ExpectColumnValuesToBeNull(column=name))
    return frame.assign(**extra), expectations


def _unique_not_null(column: str) -> list:
    return [gxe.ExpectColumnValuesToNotBeNull(column=column), gxe.ExpectColumnValuesToBeUnique(column=column)]


def _in_set(column: str, values: list, mostly: float = 1.0) -> gxe.ExpectColumnValuesToBeInSet:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values, mostly=mostly)


def _between(column: str, low=None, high=None, mostly: float = 1.0) -> gxe.ExpectColumnValuesToBeBetween:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high, mostly=mostly)


def raw_checks(raw: dict[str, pd.DataFrame]) -> list[TableCheck]:
    """Checks on the typed tables written by ingest."""
    customers, orders, products, sellers = raw["customers"], raw["orders"], raw["products"], raw["sellers"]
    order_ref = ("orders", orders["order_id"])
    nonempty = gxe.ExpectTableRowCountToBeBetween(min_value=1)
    orders_frame, orders_refs = _references(orders, {"customer_id": ("customers", customers["customer_id"])})
    items, items_refs = _references(raw["order_items"], {
        "order_id": order_ref, "product_id": ("products", products["product_id"]),
        "seller_id": ("sellers", sellers["seller_id"])})
    payments, payments_refs = _references(raw["order_payments"], {"order_id": order_ref})
    reviews, reviews_refs = _references(raw["order_reviews"], {"order_id": order_ref})
    checks = [
        TableCheck("customers", customers, [
            nonempty, *_unique_not_null("customer_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="customer_unique_id"),
            gxe.ExpectColumnValuesToMatchRegex(column="customer_zip_code_prefix", regex=r"^\d{5}$"),
            _in_set("customer_state", list(UF)),
        ]),
        TableCheck("orders", orders_frame, [
            nonempty, *_unique_not_null("order_id"), *orders_refs,
            _in_set("order_status", ORDER_STATUSES),
            gxe.ExpectColumnValuesToNotBeNull(column="order_purchase_timestamp"),
            gxe.ExpectColumnValuesToNotBeNull(column="order_estimated_delivery_date"),
            gxe.ExpectColumnValuesToNotBeNull(column="order_approved_at", mostly=0.95),
        ]),
        TableCheck("order_items", items, [
            nonempty, *items_refs,
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["order_id", "order_item_id"]),
            _between("price", 0.01, 100_000), _between("freight_value", 0, 10_000),
        ]),
        TableCheck("order_payments", payments, [
            nonempty, *payments_refs, _in_set("payment_type", PAYMENT_TYPES),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["order_id", "payment_sequential"]),
            _between("payment_installments", 0, 24), _between("payment_value", 0, 100_000),
        ]),
        TableCheck("order_reviews", reviews, [
            nonempty, *reviews_refs,
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["review_id", "order_id"]),
            _between("review_score", 1, 5),
            gxe.ExpectColumnValuesToNotBeNull(column="review_creation_date"),
        ]),
        TableCheck("products", products, [
            nonempty, *_unique_not_null("product_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="product_category_name", mostly=0.95),
            _between("product_weight_g", 0, 100_000, mostly=0.99),
        ]),
        TableCheck("sellers", sellers, [
            nonempty, *_unique_not_null("seller_id"), _in_set("seller_state", list(UF)),
            gxe.ExpectColumnValuesToMatchRegex(column="seller_zip_code_prefix", regex=r"^\d{5}$"),
        ]),
        TableCheck("category_translation", raw["category_translation"], [
            nonempty, *_unique_not_null("product_category_name"),
            gxe.ExpectColumnValuesToNotBeNull(column="product_category_name_english"),
        ]),
    ]
    b2w = raw["b2w_reviews"]
    if len(b2w):
        checks.append(TableCheck("b2w_reviews", b2w, [
            _between("overall_rating", 1, 5), gxe.ExpectColumnValuesToNotBeNull(column="review_text"),
            _in_set("reviewer_state", list(UF)), _in_set("reviewer_gender", ["M", "F"]),
        ]))
    return checks


def db_checks(con: duckdb.DuckDBPyConnection, raw_rows: dict[str, int]) -> list[TableCheck]:
    """Checks on commerce.db: raw tables complete, derived tables keyed and in range."""
    checks = []
    for table, n in raw_rows.items():
        frame = con.execute(f"SELECT count(*) AS n FROM {table}").df()
        checks.append(TableCheck(f"db.{table}", frame, [gxe.ExpectColumnValuesToBeBetween(column="n", min_value=n, max_value=n)]))
    enriched = con.execute("SELECT * FROM orders_enriched").df()
    features = con.execute("SELECT * FROM customer_features").df()
    checks += [
        TableCheck("db.orders_enriched", enriched, [
            gxe.ExpectTableRowCountToEqual(value=raw_rows["orders"]),
            *_unique_not_null("order_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="customer_unique_id"),
            gxe.ExpectColumnValuesToMatchRegex(column="purchase_month", regex=r"^20\d\d-(?:0[1-9]|1[0-2])$"),
            _between("total_value", 0, 200_000), _between("item_count", 0, 100),
            _between("review_score", 1, 5), gxe.ExpectColumnValuesToNotBeNull(column="category_pt"),
            gxe.ExpectColumnValuesToNotBeNull(column="review_score", mostly=0.9),
            _between("delivery_days", 0, 400),
        ]),
        TableCheck("db.customer_features", features, [
            *_unique_not_null("customer_unique_id"),
            _between("frequency", 1, None), _between("recency_days", 0, None), _between("tenure_days", 0, None),
            _between("monetary", 0, None), _between("avg_review_score", 1, 5),
            _in_set("customer_state", list(UF)),
        ]),
    ]
    return checks


def load_raw(raw_dir: str | Path) -> dict[str, pd.DataFrame]:
    raw_dir = Path(raw_dir)
    return {p.stem: pd.read_parquet(p) for p in sorted(raw_dir.glob("*.parquet"))}
