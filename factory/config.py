"""params.yaml loading: stages read their configuration from here and nowhere else.

Every read is validated against `factory.params.Params` (types, ranges, no unknown keys), so a
stage never runs on a mistyped or misspelled knob.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PARAMS_FILE = Path(os.environ.get("COMMERCE_PARAMS", "params.yaml"))


def read_params(path: str | Path | None = None) -> dict[str, Any]:
    """params.yaml as a plain mapping, unvalidated (default: ./params.yaml, DVC's working dir)."""
    with open(path or PARAMS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_params(path: str | Path | None = None) -> dict[str, Any]:
    """params.yaml validated against the typed model; raises ParamsError naming the bad key."""
    from factory.params import validate_params

    raw = read_params(path)
    validate_params(raw, str(path or PARAMS_FILE))
    return raw


def section(name: str, path: str | Path | None = None) -> dict[str, Any]:
    return load_params(path)[name]
