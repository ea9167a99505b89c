"""Validation of the prompt sets: every record through its pydantic model, then a GX suite.

The suite checks what a broken split would get wrong: benchmark size and exact strata counts, ids
unique within and across splits, every SQL gold re-executed against commerce.db returning exactly
its stored result, zero leakage between benchmark and train/val, and manifest hashes matching the
files on disk.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import great_expectations.expectations as gxe
import pandas as pd

from common.io import sha256_file
from factory.prompts.base import BENCHMARK_STRATA, benchmark_size
from factory.prompts.publish import SPLIT_FILES
from factory.prompts.split import OverlapIndex, SplitConfig, leakage
from factory.prompts.sql import execute_gold
from factory.validation import ValidationReport, validate_tables
from factory.validation.gx import TableCheck
from schemas.records import iter_records, read_records
from schemas.tasks import TASKS


def record_errors(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """All valid records of a JSONL file and one 'file:line: message' per invalid line (never stops early)."""
    records, errors = [], []
    for _, record, error in iter_records(path):
        if error:
            errors.append(error)
        else:
            records.append(record)
    return records, errors


def sql_gold_frame(con: duckdb.DuckDBPyConnection, records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for r in records:
        if r["task"] != "sql":
            continue
        truth = r["ground_truth"]
        try:
            columns, result, ordered = execute_gold(con, truth["gold_sql"])
            matches = columns == truth["columns"] and result == truth["rows"] and ordered == truth["ordered"]
            error = "" if matches else "result differs from the stored one"
        except duckdb.Error as exc:
            matches, error = False, f"{type(exc).__name__}: {exc}"
        rows.append({"id": r["id"], "matches": matches, "error": error})
    return pd.DataFrame(rows, columns=["id", "matches", "error"])


def check_prompt_sets(prompts_dir: str | Path, db_path: str | Path, params: dict[str, Any],
                      docs_dir: str | Path | None = None) -> tuple[ValidationReport, dict[str, Any]]:
    """Run the whole validation; returns the GX report and extra metrics (record errors, leakage)."""
    prompts_dir = Path(prompts_dir)
    splits, errors = {}, []
    for name, file in SPLIT_FILES.items():
        splits[name], errs = record_errors(prompts_dir / file)
        errors += errs
    pools = {task: read_records(prompts_dir / "by_task" / f"{task}.jsonl") for task in TASKS}

    frames = {name: pd.DataFrame([{"id": r["id"], "task": r["task"], "difficulty": r["difficulty"]} for r in recs],
                                 columns=["id", "task", "difficulty"]) for name, recs in splits.items()}
    everything = pd.concat([f.assign(split=name) for name, f in frames.items()], ignore_index=True)
    bench = frames["benchmark"]
    strata = pd.DataFrame([
        {"task": t, "difficulty": s, "expected": n,
         "observed": int(((bench["task"] == t) & (bench["difficulty"] == s)).sum())}
        for t, per in BENCHMARK_STRATA.items() for s, n in per.items()
    ])
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        sql_gold = sql_gold_frame(con, [r for recs in splits.values() for r in recs])
    finally:
        con.close()
    cfg = SplitConfig.from_params(params)
    leaks = leakage(splits["benchmark"], splits["train"] + splits["val"], OverlapIndex(cfg.leakage_n, pools, cfg.stock_df))
    leak_frame = pd.DataFrame([{"kind": k, "count": v} for k, v in leaks.items() if k != "examples"])
    manifest = json.loads((prompts_dir / "manifest.json").read_text(encoding="utf-8"))
    hashes = pd.DataFrame([
        {"file": name, "match": (prompts_dir / name).is_file() and sha256_file(prompts_dir / name) == info["sha256"]}
        for name, info in manifest["files"].items()
    ])
    checks = [
        TableCheck("benchmark", bench, [
            gxe.ExpectTableRowCountToEqual(value=benchmark_size()),
            gxe.ExpectColumnValuesToBeUnique(column="id"),
            gxe.ExpectColumnValuesToBeInSet(column="task", value_set=list(BENCHMARK_STRATA)),
        ]),
        TableCheck("benchmark_strata", strata, [gxe.ExpectColumnPairValuesToBeEqual(column_A="observed", column_B="expected")]),
        TableCheck("train", frames["train"], [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToBeUnique(column="id"),
            gxe.ExpectColumnValuesToBeInSet(column="task", value_set=list(TASKS)),
        ]),
        TableCheck("val", frames["val"], [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToBeUnique(column="id"),
        ]),
        TableCheck("all_splits", everything, [gxe.ExpectColumnValuesToBeUnique(column="id")]),
        TableCheck("sql_gold", sql_gold, [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToBeInSet(column="matches", value_set=[True]),
        ]),
        TableCheck("leakage", leak_frame, [gxe.ExpectColumnValuesToBeBetween(column="count", min_value=0, max_value=0)]),
        TableCheck("manifest", hashes, [gxe.ExpectColumnValuesToBeInSet(column="match", value_set=[True])]),
    ]
    report = validate_tables("prompts", checks, docs_dir=docs_dir)
    extra = {
        "records_validated": sum(len(recs) for recs in splits.values()),
        "record_errors": len(errors),
        "record_error_examples": errors[:20],
        "sql_gold_checked": len(sql_gold),
        "sql_gold_failures": sql_gold.loc[~sql_gold["matches"].astype(bool), ["id", "error"]].head(10).to_dict("records"),
        "leakage": {k: v for k, v in leaks.items() if k != "examples"},
        "leakage_examples": leaks["examples"],
    }
    return report, extra
