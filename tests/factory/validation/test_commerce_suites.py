"""SQL suites on raw tables and commerce.db: pass on good data, name table/column/expectation on bad."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from factory import db
from factory.validation.commerce import validate_commerce
from factory.validation.sql import TableSuite, between, in_set, not_null, unique, validate

REPO = Path(__file__).resolve().parents[3]


def test_good_data_passes_and_writes_the_report(synthetic_raw, synthetic_db, tmp_path):
    report = validate_commerce(synthetic_raw, synthetic_db, docs_dir=tmp_path / "docs")
    assert report.success, report.failures
    metrics = report.to_metrics()
    assert metrics["expectations_failed"] == 0 and metrics["expectations_evaluated"] > 50
    page = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert "expect_column_values_to_be_in_table" in page and "order_items" in page and "FAILED" not in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]  # no temporary left beside it


def test_report_is_deterministic(synthetic_raw, synthetic_db, tmp_path):
    validate_commerce(synthetic_raw, synthetic_db, docs_dir=tmp_path / "a")
    validate_commerce(synthetic_raw, synthetic_db, docs_dir=tmp_path / "b")
    assert (tmp_path / "a" / "index.html").read_bytes() == (tmp_path / "b" / "index.html").read_bytes()


def _break(raw_dir: Path, tmp_path: Path, table: str, edit) -> tuple[Path, Path]:
    broken = tmp_path / "raw"
    shutil.copytree(raw_dir, broken)
    frame = pd.read_parquet(broken / f"{table}.parquet")
    edit(frame).to_parquet(broken / f"{table}.parquet", index=False)
    db.build(broken, tmp_path / "commerce.db")
    return broken, tmp_path / "commerce.db"


@pytest.mark.parametrize("table, edit, expected", [
    ("order_items", lambda f: f.assign(order_id=f["order_id"].where(f.index != 0, "orphan")),
     "order_items.order_id: expect_column_values_to_be_in_table failed (observed: 1 unexpected, e.g. ['orphan'])"),
    ("customers", lambda f: f.assign(customer_state=f["customer_state"].where(f.index != 3, "XX")),
     "customers.customer_state: expect_column_values_to_be_in_set failed (observed: 1 unexpected, e.g. ['XX'])"),
    ("order_reviews", lambda f: f.assign(review_score=f["review_score"].where(f.index != 1, 9)),
     "order_reviews.review_score: expect_column_values_to_be_between failed (observed: 1 unexpected, e.g. [9])"),
    ("products", lambda f: pd.concat([f, f.head(1)], ignore_index=True),
     "products.product_id: expect_column_values_to_be_unique failed (observed: 2 unexpected"),
    ("order_payments", lambda f: pd.concat([f, f.head(1)], ignore_index=True),
     "order_payments: expect_compound_columns_to_be_unique failed (observed: 2 unexpected"),
])
def test_bad_data_is_named_by_table_column_and_expectation(synthetic_raw, tmp_path, table, edit, expected):
    raw, db_path = _break(synthetic_raw, tmp_path, table, edit)
    report = validate_commerce(raw, db_path)
    assert not report.success
    assert any(f.startswith(expected) for f in report.failures), report.failures


def test_db_row_counts_must_match_the_raw_tables(synthetic_raw, synthetic_db, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(synthetic_raw, raw)
    frame = pd.read_parquet(raw / "sellers.parquet")
    frame.head(len(frame) - 1).to_parquet(raw / "sellers.parquet", index=False)  # the db keeps them all
    report = validate_commerce(raw, synthetic_db)
    assert f"db.sellers: expect_table_row_count_to_equal failed (observed: {len(frame)})" in report.failures


def test_expectation_semantics_follow_gx():
    """mostly, nulls ignored by value checks, unique counting every repeated row, samples of 5."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'a'), (NULL, 'b'), (40, NULL), (5, 'c')) v(x, s)")
    report = validate(con, "s", [TableSuite("t", [
        between("x", 0, 10), between("x", 0, 10, mostly=0.75), not_null("s", mostly=0.8), not_null("s", mostly=0.9),
        in_set("s", ["a", "b", "c"]), unique("s"), unique("x"),
    ])])
    got = [(o.expectation, o.success, o.observed) for o in report.outcomes]
    assert got == [
        ("expect_column_values_to_be_between", False, "1 unexpected, e.g. [40]"),  # 1 of 4 non-null
        ("expect_column_values_to_be_between", True, "1 unexpected, e.g. [40]"),
        ("expect_column_values_to_not_be_null", True, "1 unexpected, e.g. [None]"),  # 4 of 5 present
        ("expect_column_values_to_not_be_null", False, "1 unexpected, e.g. [None]"),
        ("expect_column_values_to_be_in_set", True, "0 unexpected, e.g. []"),
        ("expect_column_values_to_be_unique", False, "2 unexpected, e.g. ['a']"),
        ("expect_column_values_to_be_unique", True, "0 unexpected, e.g. []"),
    ]


def test_validate_stage_exits_nonzero_with_the_failure(synthetic_raw, tmp_path):
    raw, db_path = _break(synthetic_raw, tmp_path / "x", "customers",
                          lambda f: f.assign(customer_zip_code_prefix=f["customer_zip_code_prefix"].where(f.index != 0, "1a")))
    (tmp_path / "data").mkdir()
    shutil.move(raw, tmp_path / "data" / "raw")
    shutil.move(db_path, tmp_path / "data" / "commerce.db")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "stages.validate_db"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "customers.customer_zip_code_prefix: expect_column_values_to_match_regex failed" in proc.stderr
    assert '"success": false' in (tmp_path / "reports/metrics/validate_db.json").read_text()
    assert "FAILED" in (tmp_path / "reports/gx/commerce_db/index.html").read_text(encoding="utf-8")
