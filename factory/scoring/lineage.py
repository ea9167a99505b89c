"""Lineage block of a metrics file: the hashes that say exactly which data and model produced it.

benchmark_sha256 (the 80 scored prompts), manifest_sha256 (the training data: the prompt split
manifest hashes every prompt file), the checkpoint's tree hash (or the endpoint and model it
queried) and params_sha256 over the params that the score stage reads. Changing any input upstream
(`data.synthetic.seed`, prompt counts, training steps) changes one of these, and `dvc metrics diff`
shows it beside the scores.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from common.io import dumps_json, sha256_bytes, sha256_file


def params_sha256(params: dict[str, Any]) -> str:
    """Hash of a params subset in canonical JSON (key order and YAML layout do not matter)."""
    return sha256_bytes(dumps_json(params).encode("utf-8"))


def data_lineage(benchmark: str | Path, manifest: str | Path, params: dict[str, Any]) -> dict[str, str]:
    for path in (benchmark, manifest):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: missing (run the prompt stages first: dvc repro split)")
    return {
        "benchmark": Path(benchmark).as_posix(),
        "benchmark_sha256": sha256_file(benchmark),
        "manifest": Path(manifest).as_posix(),
        "manifest_sha256": sha256_file(manifest),
        "params_sha256": params_sha256(params),
    }
