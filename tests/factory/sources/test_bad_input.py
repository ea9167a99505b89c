"""Bad input: one SourceError naming file, physical line and column; nothing partial in data/raw;
rows dropped on purpose (B2W) listed in rejections.csv with a reason and counted in the metrics."""
from __future__ import annotations

import csv
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pyarrow.parquet as pq
import pytest
import yaml

from common.io import sha256_tree
from factory.sources import SourceError, ingest
from factory.sources.reader import SPILL_REASON
from factory.sources.synthetic import B2W_FILE

from .conftest import olist, synthetic

REPO = Path(__file__).resolve().parents[3]

ORDERS = "olist_orders_dataset.csv"
ITEMS = "olist_order_items_dataset.csv"
REVIEWS = "olist_order_reviews_dataset.csv"
SELLERS = "olist_sellers_dataset.csv"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _set_field(path: Path, line: int, field: int, value: bytes) -> None:
    """Replace one field of a physical line (simple files: no quoted commas)."""
    lines = _lines(path)
    parts = lines[line - 1].split(b",")
    parts[field] = value
    lines[line - 1] = b",".join(parts)
    path.write_bytes(b"\n".join(lines))


def rename_column(d: Path) -> None:
    p = d / ORDERS
    p.write_bytes(p.read_bytes().replace(b'"order_status"', b'"status"', 1))


def drop_column(d: Path) -> None:
    p = d / SELLERS
    p.write_bytes(b"\n".join(b",".join(line.split(b",")[:3]) for line in _lines(p)))


def latin1_comment(d: Path) -> None:
    p = d / REVIEWS
    data = p.read_bytes()
    at = data.index("ã".encode())
    p.write_bytes(data[:at] + "ã".encode("latin-1") + data[at + 2:])


def unterminated_quote(d: Path) -> None:
    """The last quoted field of the file loses its closing quote."""
    p = d / REVIEWS
    data = p.read_bytes()
    close = data.rindex(b'",')
    p.write_bytes(data[:close] + data[close + 1:])


def non_numeric_price(d: Path) -> None:
    _set_field(d / ITEMS, 6, 5, b"12,90".replace(b",", b"x"))


def duplicate_order(d: Path) -> None:
    p = d / ORDERS
    lines = _lines(p)
    lines.insert(9, lines[3])  # line 4 repeated as line 10
    p.write_bytes(b"\n".join(lines))


def missing_field(d: Path) -> None:
    p = d / "olist_order_payments_dataset.csv"
    lines = _lines(p)
    lines[7] = lines[7].rsplit(b",", 1)[0]
    p.write_bytes(b"\n".join(lines))


def missing_file(d: Path) -> None:
    (d / SELLERS).unlink()


def bad_timestamp(d: Path) -> None:
    _set_field(d / ORDERS, 8, 3, b"2017-13-45 10:00:00")


def bad_status(d: Path) -> None:
    _set_field(d / ORDERS, 5, 2, b"lost")


def stray_quote(d: Path) -> None:
    _set_field(d / "olist_customers_dataset.csv", 8, 3, b'sao "paulo')


CASES: list[tuple[str, Callable[[Path], None], str, int | None, str | None, str]] = [
    ("renamed column", rename_column, ORDERS, 1, "order_status", "'status' instead"),
    ("missing column", drop_column, SELLERS, 1, "seller_state", "missing column"),
    ("bad encoding", latin1_comment, REVIEWS, None, "review_comment_message", "invalid UTF-8 byte 0xe3"),
    ("unterminated quote", unterminated_quote, REVIEWS, None, None, "unterminated quoted field"),
    ("non-numeric price", non_numeric_price, ITEMS, 6, "price", "not a number (value '12x90')"),
    ("duplicate order_id", duplicate_order, ORDERS, 10, "order_id", "duplicate order_id"),
    ("missing field", missing_field, "olist_order_payments_dataset.csv", 8, "payment_value", "4 fields, expected 5"),
    ("bad timestamp", bad_timestamp, ORDERS, 8, "order_purchase_timestamp", "not a timestamp"),
    ("value outside the set", bad_status, ORDERS, 5, "order_status", "not one of delivered"),
    ("stray quote", stray_quote, "olist_customers_dataset.csv", 8, "customer_city", "stray double quote"),
    ("missing file", missing_file, SELLERS, None, None, "file not found"),
]


def _expected_line(d: Path, case: str) -> int | None:
    """The line of the first 'ã' in the reviews file (it depends on the generated data)."""
    if case == "bad encoding":
        data = (d / REVIEWS).read_bytes()
        return data[:data.index("ã".encode())].count(b"\n") + 1
    return None


@pytest.fixture()
def good_raw(tmp_path, small_csv_dir) -> Path:
    """A previous good data/raw that a failed ingest must leave untouched."""
    raw = tmp_path / "data" / "raw"
    ingest(olist(small_csv_dir, small_csv_dir / B2W_FILE), raw)
    return raw


@pytest.mark.parametrize("case, breaker, file, line, column, reason", CASES, ids=[c[0] for c in CASES])
def test_bad_olist_file_raises_one_clear_error_and_leaves_no_partial_output(
        tmp_path, small_csv_dir, good_raw, case, breaker, file, line, column, reason):
    broken = tmp_path / "broken"
    shutil.copytree(small_csv_dir, broken)
    line = line or _expected_line(broken, case)
    breaker(broken)
    before = sha256_tree(good_raw)
    with pytest.raises(SourceError) as info:
        ingest(olist(broken), good_raw)
    error = info.value
    assert error.file == file and reason in error.reason
    if line is not None:
        assert error.line == line, str(error)
        assert f"line {line}" in str(error)
    if column is not None:
        assert error.column == column and repr(column) in str(error)
    assert str(error).startswith(file)
    assert sha256_tree(good_raw) == before
    assert sorted(p.name for p in good_raw.parent.iterdir()) == ["raw"]  # no temporary left behind


def test_unterminated_quote_names_the_line_where_the_field_opens(tmp_path, small_csv_dir):
    broken = tmp_path / "broken"
    shutil.copytree(small_csv_dir, broken)
    text = (broken / REVIEWS).read_bytes().decode()
    close = text.rindex('",')
    opening = text.rindex('"', 0, close)
    expected_line = text[:opening].count("\n") + 1
    unterminated_quote(broken)
    with pytest.raises(SourceError) as info:
        ingest(olist(broken), tmp_path / "raw")
    assert info.value.line == expected_line
    assert info.value.column in ("review_comment_message", "review_comment_title", "order_id")
    assert not (tmp_path / "raw").exists()


def test_first_ingest_failing_leaves_nothing(tmp_path, small_csv_dir):
    broken = tmp_path / "broken"
    shutil.copytree(small_csv_dir, broken)
    non_numeric_price(broken)
    with pytest.raises(SourceError):
        ingest(olist(broken), tmp_path / "out" / "raw")
    assert list((tmp_path / "out").iterdir()) == []


def test_bad_params_raise_source_errors(tmp_path):
    with pytest.raises(SourceError, match="data.source"):
        ingest({"source": "kaggle"}, tmp_path / "raw")
    with pytest.raises(SourceError, match="data.olist_dir"):
        ingest({"source": "olist", "olist_dir": None}, tmp_path / "raw")
    with pytest.raises(SourceError, match="file not found"):
        ingest(olist(tmp_path, tmp_path / "missing.csv"), tmp_path / "raw")


# --- B2W: rows dropped on purpose --------------------------------------------------------------

def test_b2w_unrepairable_and_invalid_rows_are_rejected_with_reasons(tmp_path, small_csv_dir):
    d = tmp_path / "csv"
    shutil.copytree(small_csv_dir, d)
    path = d / B2W_FILE
    lines = path.read_text(encoding="utf-8").split("\n")
    records = list(csv.reader(lines[1:-1]))
    # Line 3: text spilled into the unnamed columns, but what follows is not birth year/gender/state.
    row = records[1]
    cells = row[:11] + ["abc", "def", "ghi", "jkl", "mno", "pqr"]
    lines[2] = ",".join('"' + v.replace('"', '""') + '"' for v in cells) + ",,"
    # Line 5: a rating outside 1..5; line 7: a date that is not a timestamp.
    r = records[3]
    lines[4] = lines[4].replace(f',{r[8]},"{r[9]}",', f',9,"{r[9]}",', 1)
    lines[6] = lines[6].replace(records[5][0], "2018-02-30 25:00:00", 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    raw = tmp_path / "raw"
    metrics = ingest(olist(d, path), raw)
    with open(raw / "rejections.csv", newline="", encoding="utf-8") as fh:
        rejected = list(csv.DictReader(fh))
    assert [(r["line"], r["column"]) for r in rejected] == [
        ("3", "review_text"), ("5", "overall_rating"), ("7", "submission_date")]
    assert rejected[0]["reason"] == SPILL_REASON and rejected[0]["row_key"] == row[1]
    assert "above the maximum 5" in rejected[1]["reason"]
    assert metrics["rejected"]["total"] == 3
    assert sum(metrics["rejected"]["by_reason"].values()) == 3
    assert metrics["rows"]["b2w_reviews"] == len(records) - 3
    assert pq.read_table(raw / "b2w_reviews.parquet").num_rows == len(records) - 3


def test_b2w_with_too_many_fields_is_a_file_error(tmp_path, small_csv_dir):
    path = tmp_path / B2W_FILE
    lines = (small_csv_dir / B2W_FILE).read_text(encoding="utf-8").split("\n")
    lines[4] = lines[4] + ",x,y"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(SourceError) as info:
        ingest(olist(small_csv_dir, path), tmp_path / "raw")
    assert (info.value.file, info.value.line) == (B2W_FILE, 5)
    assert "21 fields, expected 19" in info.value.reason


def test_absent_b2w_is_skipped_with_one_log_line(tmp_path, small_csv_dir, caplog):
    with caplog.at_level(logging.INFO, logger="factory.sources"):
        metrics = ingest(olist(small_csv_dir), tmp_path / "raw")
    assert metrics["rows"]["b2w_reviews"] == 0
    assert [r.getMessage() for r in caplog.records if "b2w" in r.getMessage().lower()] == [
        "data.b2w_path is not set: b2w_reviews.parquet is written with 0 rows"]
    table = pq.read_table(tmp_path / "raw" / "b2w_reviews.parquet")
    assert table.num_rows == 0 and "review_text" in table.column_names


# --- the stage -----------------------------------------------------------------------------

def _run_stage(workdir: Path, data: dict) -> subprocess.CompletedProcess:
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))  # every section is required
    (workdir / "params.yaml").write_text(yaml.safe_dump({**params, "data": {**params["data"], **data}}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "COMMERCE_PARAMS"}
    return subprocess.run([sys.executable, "-m", "stages.ingest"], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=120)


def test_stage_exits_non_zero_with_the_error_and_keeps_the_previous_output(tmp_path, small_csv_dir):
    ok = _run_stage(tmp_path, synthetic(orders=200, b2w_reviews=20))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "reports" / "metrics" / "ingest.json").is_file()
    before = sha256_tree(tmp_path / "data" / "raw")
    broken = tmp_path / "broken"
    shutil.copytree(small_csv_dir, broken)
    duplicate_order(broken)
    failed = _run_stage(tmp_path, olist(broken))
    assert failed.returncode == 1
    assert f"{ORDERS}, line 10, column 'order_id': duplicate order_id" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert sha256_tree(tmp_path / "data" / "raw") == before
