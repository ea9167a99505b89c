"""Library entry points behind the stages: generate one task's pool, split all pools, with paths as arguments."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from factory.db import table_hashes
from common.io import write_jsonl
from factory.prompts import GENERATORS
from factory.prompts.base import GenerationContext, check_counts
from factory.prompts.publish import publish
from factory.prompts.split import SplitConfig, Splitter, SplitError, leakage
from factory.reporting import write_stage_metrics_at
from schemas.records import read_records
from schemas.tasks import TASKS

log = logging.getLogger(__name__)


def generate_task(task: str, params: dict[str, Any], db_path: str | Path, out_dir: str | Path,
                  metrics_dir: str | Path) -> dict[str, Any]:
    """Write `<out_dir>/by_task/<task>.jsonl` and `<metrics_dir>/<task>.json`; return the report."""
    if task not in GENERATORS:
        raise SystemExit(f"unknown task {task!r}; registered: {', '.join(TASKS)} (plugins: factory/tasks)")
    check_counts(params["prompts"]["counts"])
    generator_cls = GENERATORS[task]
    ctx = GenerationContext(params, Path(db_path) if generator_cls.uses_db else None)
    try:
        records, report = generator_cls(ctx).run()
    finally:
        ctx.close()
    write_jsonl(Path(out_dir) / "by_task" / f"{task}.jsonl", records)
    summary = report.as_dict()
    write_stage_metrics_at(summary, f"prompts/{task}", Path(metrics_dir) / f"{task}.json")
    return summary


def split_pools(params: dict[str, Any], prompts_dir: str | Path, db_path: str | Path,
                metrics_path: str | Path) -> dict[str, Any]:
    """Split the pools in `<prompts_dir>/by_task`, write every output and the metrics; return the metrics."""
    prompts_dir = Path(prompts_dir)
    cfg = SplitConfig.from_params(params)  # checks prompts.counts against the registry first
    pools = {}
    for task in TASKS:
        path = prompts_dir / "by_task" / f"{task}.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{path}: missing pool (run `python -m stages.prompts {task}`)")
        pools[task] = read_records(path)
    splitter = Splitter(pools, cfg)
    result = splitter.run()
    metrics = result.metrics(splitter.leak_index)
    leaks = metrics["leakage"]
    if any(leaks.values()):
        detail = leakage(result.benchmark, result.train + result.val, splitter.leak_index)["examples"]
        raise SplitError(f"benchmark leaks into train/val: {leaks}; e.g. {detail}")
    manifest = publish(prompts_dir, result, params, table_hashes(db_path), metrics)
    metrics["files_sha256"] = {name: info["sha256"] for name, info in manifest["files"].items()
                               if name in ("train.jsonl", "val.jsonl", "benchmark.jsonl")}
    metrics["params_sha256"] = manifest["params_sha256"]
    metrics["source_sha256"] = manifest["source"]["commerce_db_sha256"]
    write_stage_metrics_at(metrics, "split", metrics_path)
    return metrics
