"""DVC stage `reward_selftest`: the rewards must score every best answer >= 0.99, keep full task credit
for every way the parser reads it, give 0 to answers with nothing in them, never read a half value
from a truncated answer, and score each deterministic corruption strictly lower (see
`rewards.selftest`). It also scores the trivial answerers (majority training answer, best constant
answer, empty answer, prompt echo) on the benchmark, train and val: one above 0.5 fails the stage. Every
reference answer of benchmark, train and val is checked against its own facts
(`rewards.consistency.check_references`): one contradiction fails the stage.

Reads data/prompts/benchmark.jsonl (every record) and data/prompts/train.jsonl (the trivial answerers
are fitted on all of it; the checks run on a fixed sample, params `rewards.selftest_train_sample`,
chosen by hash of the record id), executes SQL against data/commerce.db, writes
reports/metrics/reward_selftest.json (headline) and reports/details/reward_selftest.json (every
check), and exits non-zero when a check fails so that `dvc repro` stops.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import rewards
from factory.config import load_params
from factory import tasks  # noqa: F401  (registers every task: the built-ins and factory/tasks plugins)
from common.io import sha256_bytes
from factory.reporting import write_stage_metrics
from rewards.consistency import check_references
from rewards.selftest import run_selftest, trivial_floor
from schemas.records import read_records

BENCHMARK = Path("data/prompts/benchmark.jsonl")
TRAIN = Path("data/prompts/train.jsonl")
VAL = Path("data/prompts/val.jsonl")
DB = Path("data/commerce.db")
DETAILS = Path("reports/details/reward_selftest.json")


def sample_by_id(records: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """`n` records chosen by the hash of their id (stable under reordering), in file order."""
    chosen = set(sorted((r["id"] for r in records), key=lambda i: sha256_bytes(i.encode()))[:max(0, n)])
    return [r for r in records if r["id"] in chosen]


def main() -> int:
    params = load_params()["rewards"]
    benchmark = read_records(BENCHMARK)
    train_all = read_records(TRAIN)
    train = sample_by_id(train_all, int(params["selftest_train_sample"]))
    options = rewards.options(db_path=DB, weights=params["weights"], sql_timeout_s=params["sql_timeout_s"],
                              sql_max_rows=params["sql_max_rows"])
    report = run_selftest(benchmark + train, options, progress=True)
    report["inputs"] = {"benchmark_records": len(benchmark), "train_sample": len(train)}
    val = read_records(VAL)
    floor = trivial_floor({"benchmark": benchmark, "train": train_all, "val": val}, train_all, options)
    report["trivial_floor"] = floor
    report["data_warnings"] = floor["warnings"]
    if floor["fails"] and floor["warnings"]:
        report["passed"] = False
    # A reference that contradicts its own facts would teach SFT a wrong answer: stop the pipeline.
    contradictions = check_references(benchmark + train_all + val)
    report["reference_contradictions"] = len(contradictions)
    if contradictions:
        report["passed"] = False
        for problem in contradictions[:20]:
            print(f"  reference contradicts its facts: {problem}", file=sys.stderr)
    write_stage_metrics(report, "reward_selftest")
    for task, splits in floor["tasks"].items():
        print(f"trivial floor {task}: " + "; ".join(
            f"{split} " + ", ".join(f"{k} {v:.3f}" for k, v in row.items() if k != "records")
            for split, row in splits.items()))
    for warning in floor["warnings"]:
        print(f"WARNING {warning}", file=sys.stderr)
    if not report["passed"]:
        print(f"reward self-test FAILED: {report['failures']} check(s) failed "
              f"(details in {DETAILS}); first failures:", file=sys.stderr)
        for failure in report["failure_examples"][:10]:
            print(f"  {failure['id']} {failure['check']}: {failure['score']} (expected {failure['expected']})",
                  file=sys.stderr)
        if floor["fails"]:
            for warning in floor["warnings"]:
                print(f"  data: {warning}", file=sys.stderr)
        return 1
    print(f"reward self-test passed: {report['records']} records, details in {DETAILS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
