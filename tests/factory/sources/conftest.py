"""Fixtures for the sources tests: synthetic CSVs and ingested folders, built once per session."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from factory.sources import ingest
from factory.sources.synthetic import write_csvs

SEED, ORDERS, B2W_REVIEWS = 7, 3000, 1200


def synthetic(orders: int = ORDERS, seed: int = SEED, b2w_reviews: int = B2W_REVIEWS) -> dict:
    return {"source": "synthetic", "olist_dir": None, "b2w_path": None,
            "synthetic": {"seed": seed, "orders": orders, "b2w_reviews": b2w_reviews}}


def olist(olist_dir: Path, b2w_path: Path | None = None) -> dict:
    return {"source": "olist", "olist_dir": str(olist_dir), "b2w_path": str(b2w_path) if b2w_path else None}


def read_tables(raw: Path) -> dict:
    return {p.stem: pq.read_table(p) for p in sorted(raw.glob("*.parquet"))}


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory) -> tuple[Path, dict]:
    """data/raw for the default-shaped synthetic source, and its metrics."""
    raw = tmp_path_factory.mktemp("syn") / "raw"
    return raw, ingest(synthetic(), raw)


@pytest.fixture(scope="session")
def synthetic_tables(synthetic_run) -> dict:
    return read_tables(synthetic_run[0])


@pytest.fixture(scope="session")
def small_csv_dir(tmp_path_factory) -> Path:
    """A small set of synthetic upstream-format CSVs that error tests copy and break."""
    out = tmp_path_factory.mktemp("small") / "csv"
    write_csvs(seed=1, orders=300, b2w_reviews=80, out_dir=out)
    return out


@pytest.fixture(scope="session")
def real_run(shared_data, tmp_path_factory) -> tuple[Path, dict]:
    raw = tmp_path_factory.mktemp("real") / "raw"
    sample_b2w = shared_data / "b2w-sample" / "B2W-Reviews01.sample.csv"
    return raw, ingest(olist(shared_data / "olist-sample", sample_b2w), raw)


@pytest.fixture(scope="session")
def real_tables(real_run) -> dict:
    return read_tables(real_run[0])
