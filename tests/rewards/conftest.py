"""Fixtures for the rewards tests: a real DuckDB file in a tmp dir and records of every task."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The repository first: without it, pytest's rootdir on sys.path makes this folder (tests/rewards,
# no __init__.py) shadow the real `rewards` package as a namespace package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(1, str(Path(__file__).resolve().parent))

import rewards  # noqa: E402
from reward_fixtures import build_commerce_db, build_records  # noqa: E402


@pytest.fixture(scope="session")
def commerce_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_commerce_db(tmp_path_factory.mktemp("rewards-db") / "commerce.db")


@pytest.fixture(scope="session")
def records(commerce_db: Path) -> list[dict]:
    return build_records(commerce_db)


@pytest.fixture(scope="session")
def options(commerce_db: Path) -> rewards.Options:
    return rewards.options(db_path=commerce_db)


@pytest.fixture(scope="session")
def by_task(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["task"], []).append(r)
    return out
