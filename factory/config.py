"""params.yaml loading: stages read their configuration from here and nowhere else.

Every read is validated against `factory.params.Params` (types, ranges, no unknown keys), so a
stage never runs on a mistyped or misspelled knob.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PARAMS_FILE = Path(os.environ.get("COMMERCE_PARAMS", "params.yaml"))


class ParamsLoader(yaml.SafeLoader):
    """YAML 1.1 as PyYAML reads it, plus YAML 1.2's floats without a dot: `dvc exp run -S
    train.learning_rate=2e-5` writes `2e-05` into params.yaml, which DVC reads as a number and plain
    PyYAML as the string "2e-05" (an optimizer then fails on `0.0 <= "2e-05"`)."""


ParamsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))


def read_params(path: str | Path | None = None) -> dict[str, Any]:
    """params.yaml as a plain mapping, unvalidated (default: ./params.yaml, DVC's working dir)."""
    with open(path or PARAMS_FILE, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=ParamsLoader)


def load_params(path: str | Path | None = None) -> dict[str, Any]:
    """params.yaml validated against the typed model; raises ParamsError naming the bad key."""
    from factory.params import validate_params

    raw = read_params(path)
    validate_params(raw, str(path or PARAMS_FILE))
    return raw

