"""params.yaml loading: stages read their configuration from here and nowhere else."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PARAMS_FILE = Path(os.environ.get("COMMERCE_PARAMS", "params.yaml"))


def load_params(path: str | Path | None = None) -> dict[str, Any]:
    """Read params.yaml (default: ./params.yaml, as DVC runs stages from the repo root)."""
    with open(path or PARAMS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def section(name: str, path: str | Path | None = None) -> dict[str, Any]:
    return load_params(path)[name]
