"""GX suites on raw tables and commerce.db: pass on good data, name table/column/expectation on bad."""
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
from factory.validation import validate_tables
from factory.validation.commerce import db_checks, load_raw, raw_checks

REPO = Path(__file__).resolve().parents[3]


def _validate(raw_dir: Path, db_path: Path, docs_dir=None):
    raw = load_raw(raw_dir)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        checks = raw_checks(raw) + db_checks(con, {k: len(v) for k, v in raw.items()})
    finally:
        con.close()
    return validate_tables("commerce_db", checks, docs_dir=docs_dir)


def test_good_data_passes_and_writes_data_docs(synthetic_raw, synthetic_db, tmp_path):
    report = _validate(synthetic_raw, synthetic_db, docs_dir=tmp_path / "docs")
    assert report.success, report.failures
    metrics = report.to_metrics()
    assert metrics["expectations_failed"] == 0 and metrics["expectations_evaluated"] > 50
    assert (tmp_path / "docs" / "index.html").is_file()


def _break(raw_dir: Path, tmp_path: Path, table: str, edit) -> tuple[Path, Path]:
    broken = tmp_path / "raw"
    shutil.copytree(raw_dir, broken)
    frame = pd.read_parquet(broken / f"{table}.parquet")
    edit(frame).to_parquet(broken / f"{table}.parquet", index=False)
    db.build(broken, tmp_path / "commerce.db")
    return broken, tmp_path / "commerce.db"


@pytest.mark.parametrize("table, edit, expected", [
    ("order_items", lambda f: f.assign(order_id=f["order_id"].where(f.index != 0, "orphan")),
     "order_items.order_id_not_in_orders: expect_column_values_to_be_null failed (observed: 1 unexpected, e.g. ['orphan'])"),
    ("customers", lambda f: f.assign(customer_state=f["customer_state"].where(f.index != 3, "XX")),
     "customers.customer_state: expect_column_values_to_be_in_set"),
    ("order_reviews", lambda f: f.assign(review_score=f["review_score"].where(f.index != 1, 9)),
     "order_reviews.review_score: expect_column_values_to_be_between"),
    ("products", lambda f: pd.concat([f, f.head(1)], ignore_index=True),
     "products.product_id: expect_column_values_to_be_unique"),
])
def test_bad_data_is_named_by_table_column_and_expectation(synthetic_raw, tmp_path, table, edit, expected):
    raw, db_path = _break(synthetic_raw, tmp_path, table, edit)
    report = _validate(raw, db_path)
    assert not report.success
    assert any(f.startswith(expected) for f in report.failures), report.failures


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
