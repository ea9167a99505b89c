"""Same params and inputs -> byte-identical files in data/raw (Parquet included), also across
processes with different hash seeds."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from factory.io import sha256_file
from factory.sources import ingest

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
