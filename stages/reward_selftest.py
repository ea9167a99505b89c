"""DVC stage `reward_selftest`: the rewards must score every gold answer >= 0.99, its PT-BR variants
>= 0.95 and each deterministic corruption strictly lower (see `rewards.selftest`).

Reads data/prompts/benchmark.jsonl (every record) and a fixed sample of data/prompts/train.jsonl
(params `rewards.selftest_train_sample`, chosen by hash of the record id), executes SQL against
data/commerce.db, writes reports/metrics/reward_selftest.json, and exits non-zero when a check
fails so that `dvc repro` stops.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import rewards
from factory.config import load_params
from factory.io import sha256_bytes, write_json
from schemas.records import read_records
from rewards.selftest import run_selftest

BENCHMARK = Path("data/prompts/benchmark.jsonl")
TRAIN = Path("data/prompts/train.jsonl")
DB = Path("data/commerce.db")
METRICS = Path("reports/metrics/reward_selftest.json")


def sample_by_id(records: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """`n` records chosen by the hash of their id (stable under reordering), in file order."""
    chosen = set(sorted((r["id"] for r in records), key=lambda i: sha256_bytes(i.encode()))[:max(0, n)])
    return [r for r in records if r["id"] in chosen]


def main() -> int:
    params = load_params()["rewards"]
    benchmark = read_records(BENCHMARK)
    train = sample_by_id(read_records(TRAIN), int(params["selftest_train_sample"]))
    options = rewards.options(db_path=DB, weights=params["weights"], sql_timeout_s=params["sql_timeout_s"],
                              sql_max_rows=params.get("sql_max_rows", 1000))
    report = run_selftest(benchmark + train, options, progress=True)
    report["inputs"] = {"benchmark_records": len(benchmark), "train_sample": len(train)}
    write_json(METRICS, report)
    if not report["passed"]:
        print(f"reward self-test FAILED: {report['failures']} check(s) failed "
              f"(details in {METRICS}); first failures:", file=sys.stderr)
        for failure in report["failure_examples"][:10]:
            print(f"  {failure['id']} {failure['check']}: {failure['score']} (expected {failure['expected']})",
                  file=sys.stderr)
        return 1
    print(f"reward self-test passed: {report['records']} records, metrics in {METRICS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
