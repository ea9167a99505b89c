"""Fixtures that build small, real data layers (ingest + commerce.db) in temporary folders."""
from __future__ import annotations

from pathlib import Path

import pytest

from factory import db
from factory.sources import ingest


def synthetic_params(orders: int = 400, seed: int = 0, b2w_reviews: int = 60) -> dict:
    return {"source": "synthetic", "olist_dir": None, "b2w_path": None,
            "synthetic": {"seed": seed, "orders": orders, "b2w_reviews": b2w_reviews}}


@pytest.fixture(scope="session")
def make_synthetic_params():
    """The `data` params block for a small synthetic source; keyword overrides as in synthetic_params."""
    return synthetic_params


@pytest.fixture(scope="session")
def synthetic_raw(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "raw"
    ingest(synthetic_params(), out)
    return out


@pytest.fixture(scope="session")
def synthetic_db(synthetic_raw, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "commerce.db"
    db.build(synthetic_raw, path)
    return path
