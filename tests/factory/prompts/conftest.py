"""Fixtures: prompt sets built for real from a small synthetic commerce.db, in temporary folders."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from factory.config import load_params
from factory.prompts.build import generate_task, split_pools
from schemas.tasks import TASKS

REPO = Path(__file__).resolve().parents[3]
# Training counts scaled to the 400-order synthetic database of tests/factory/conftest.py.
SMALL_COUNTS = {"extraction": 40, "sentiment": 40, "sql": 45, "churn": 30, "insights": 30, "push": 20}


def small_params(**prompt_overrides: Any) -> dict[str, Any]:
    params = copy.deepcopy(load_params(REPO / "params.yaml"))
    params["prompts"]["counts"] = dict(SMALL_COUNTS)
    params["prompts"].update(prompt_overrides)
    return params


@dataclass
class Built:
    root: Path          # holds data/prompts-like files
    db: Path
    params: dict[str, Any]
    metrics: dict[str, Any]
    reports: dict[str, dict[str, Any]]


def build_prompt_sets(db: Path, root: Path, params: dict[str, Any]) -> Built:
    reports = {task: generate_task(task, params, db, root, root / "metrics") for task in TASKS}
    metrics = split_pools(params, root, db, root / "metrics" / "split.json")
    return Built(root, db, params, metrics, reports)


@pytest.fixture(scope="session")
def prompt_sets(synthetic_db, tmp_path_factory) -> Built:
    return build_prompt_sets(synthetic_db, tmp_path_factory.mktemp("prompts"), small_params())
