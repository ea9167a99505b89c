"""Same params and inputs -> byte-identical files in data/raw (Parquet included), also across
processes with different hash seeds and DuckDB thread counts, and equal to what the pipeline wrote
before it moved into DuckDB (pinned hashes of the real samples)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from factory import duck
from common.io import sha256_file
from factory.sources import ingest
from factory.sources.columns import arrow_schema
from factory.sources.parquet import ParquetSink
from factory.sources.reader import stream_olist_table
from factory.sources.writer import write_csv
from schemas.raw import Order

from .conftest import olist, synthetic

PARAMS = synthetic(orders=800, seed=11, b2w_reviews=600)


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def test_synthetic_ingest_twice_gives_identical_bytes(tmp_path):
    first = ingest(PARAMS, tmp_path / "a")
    second = ingest(PARAMS, tmp_path / "b")
    hashes = _hashes(tmp_path / "a")
    assert {"orders.parquet", "order_reviews.parquet", "b2w_reviews.parquet", "rejections.csv",
            "synthetic_csv/olist_orders_dataset.csv"} <= hashes.keys()
    assert hashes == _hashes(tmp_path / "b")
    assert first == second


def test_another_process_with_another_hash_seed_gives_identical_bytes(tmp_path):
    ingest(PARAMS, tmp_path / "here")
    code = ("import json, sys; from pathlib import Path; from factory.sources import ingest; "
            "ingest(json.loads(sys.argv[1]), Path(sys.argv[2]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, json.dumps(PARAMS), str(tmp_path / "there")],
                   check=True, env=env, timeout=120)
    assert _hashes(tmp_path / "here") == _hashes(tmp_path / "there")


def test_the_seed_changes_the_data(tmp_path):
    ingest(PARAMS, tmp_path / "a")
    ingest(synthetic(orders=800, seed=12, b2w_reviews=600), tmp_path / "b")
    a, b = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert a["orders.parquet"] != b["orders.parquet"]
    assert a["category_translation.parquet"] == b["category_translation.parquet"]  # fixed reference data


def test_real_sample_ingest_twice_gives_identical_bytes(shared_data, tmp_path):
    params = olist(shared_data / "olist-sample", shared_data / "b2w-sample" / "B2W-Reviews01.sample.csv")
    ingest(params, tmp_path / "a")
    ingest(params, tmp_path / "b")
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    assert len(_hashes(tmp_path / "a")) == 10  # 9 tables + rejections.csv


# Outputs of the real samples as the pandas/pyarrow pipeline wrote them (commit 64e979b, before the
# data stages moved into DuckDB): moving the work must not change one byte of data/raw nor one row
# of commerce.db. pyarrow and duckdb are pinned in pyproject.toml; if an upgrade changes these on
# purpose, regenerate them and say so in the change (every data/raw hash downstream moves too).
PINNED_RAW = {
    "b2w_reviews.parquet": "b65cdf67091010c702bef7f2d25a41315b4898bf47dd8b2def6a69544078e356",
    "category_translation.parquet": "8f1dd470ad1fa708c618f1e3f82fc0dbbe97ff84219a1bd8c51e40463c6dcd77",
    "customers.parquet": "e1607281d3b694ded4141a09954d44d7906d1a35b24f4c9ee91bc19879a2c2a9",
    "order_items.parquet": "0a98dedbf4537f48aa32f4e9d9c1d129935d17c5070d6943a43575b80bc63787",
    "order_payments.parquet": "a92e228d3e2b382ad12116dd5994aab19685c1c947976ef8d28735d96884d2f6",
    "order_reviews.parquet": "6befb55233bd922a5e77a814c28044432a80c41f600bfa5a3e6ea8c55476b082",
    "orders.parquet": "f59b55a783cbdda4c4d1292d2754bd34a567aa3eb6ecf108a689f82924eb9b1f",
    "products.parquet": "8a176420ce8d1635fefd563e0f322798973af64e2cc869f01ce88f4f0a127cb6",
    "rejections.csv": "3979d8e6c0d60aba1630f03cfef8ed95724b90532fb47f4fcbc18077e6ac82f9",
    "sellers.parquet": "6ba83135cb0d64e71caf280a78457473d38d908c62a1950040ed7e91ce62aa0e",
}
PINNED_DB_ALL = "04c22bf4c750f2043b0f78851b7076b434424eb41793e3516f9a1a26137a86e4"


def test_real_sample_outputs_are_pinned(shared_data, tmp_path):
    from factory import db

    params = olist(shared_data / "olist-sample", shared_data / "b2w-sample" / "B2W-Reviews01.sample.csv")
    ingest(params, tmp_path / "raw")
    assert _hashes(tmp_path / "raw") == PINNED_RAW
    summary = db.build(tmp_path / "raw", tmp_path / "commerce.db")
    assert summary["canonical_sha256_all"] == PINNED_DB_ALL, summary["canonical_sha256"]


def _big_orders_csv(path: Path, n: int) -> pa.Table:
    """`n` valid orders (more than two DuckDB row groups) in the upstream format; returns them."""
    i = pa.array(np.arange(n))
    ids = pc.utf8_lpad(pc.cast(i, pa.string()), width=32, padding="a")
    start = np.datetime64("2017-01-01T00:00:00", "us") + np.arange(n).astype("timedelta64[m]")
    statuses = np.array(["delivered", "shipped", "canceled", "invoiced"])[np.arange(n) % 4]
    table = pa.table({
        "order_id": ids, "customer_id": pc.utf8_lpad(pc.cast(i, pa.string()), width=32, padding="b"),
        "order_status": statuses, "order_purchase_timestamp": start,
        "order_approved_at": pa.array(np.where(np.arange(n) % 7 == 0, None, start + np.timedelta64(1, "h"))),
        "order_delivered_carrier_date": pa.nulls(n, pa.timestamp("us")),
        "order_delivered_customer_date": start + np.timedelta64(9, "D"),
        "order_estimated_delivery_date": start + np.timedelta64(12, "D"),
    }).cast(arrow_schema(Order))
    write_csv(table, Order, path)
    return table


def test_file_order_and_bytes_do_not_depend_on_duckdb_threads(tmp_path):
    """Rows come out in file order whatever DuckDB's parallelism (a long IN list planned as a hash
    join once reordered them past the first row group): one thread and four give the same bytes."""
    csv_path = tmp_path / Order.source_file
    expected = _big_orders_csv(csv_path, 300_000)
    outputs = {}
    for threads in (1, 4):
        out = tmp_path / f"orders-{threads}.parquet"
        sink = ParquetSink(out, arrow_schema(Order))
        with duck.connect(threads=threads) as con:
            stream_olist_table(con, csv_path, Order, sink)
        sink.close()
        outputs[threads] = sha256_file(out)
        assert pq.read_table(out).equals(expected)
    assert outputs[1] == outputs[4]
