"""Shared fixtures: the real sample folder (skipped cleanly when absent) and offline settings."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repo; tests that need the real samples skip without it."""
    if not (SHARED_DATA / "olist-sample").is_dir():
        pytest.skip(f"real sample data absent: {SHARED_DATA} not found")
    return SHARED_DATA
