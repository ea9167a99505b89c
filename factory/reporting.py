"""Where a stage's numbers go: the few people compare in DVC metrics, the rest in a details report.

`dvc metrics show`, `dvc metrics diff` and `dvc exp show` print every leaf of every metrics file as a
column, so a metrics file holds only the figures a person compares across runs (headline scores,
counts, check results, lineage hashes), at most `MAX_LEAVES` leaves across reports/metrics. Tables
(per stratum, per sub-score, per table), long lists and examples go to reports/details/<name>.json,
which is git-tracked and diffable but not a DVC metric. Wall-clock figures are rounded to the 1-2-5
series (`round_125`), so they change in the metrics only when they really change.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator

from common.io import write_json

METRICS_DIR = Path("reports/metrics")
DETAILS_DIR = Path("reports/details")
MAX_LEAVES = 120  # across every file in reports/metrics (issue 13: a readable `dvc metrics show`)
HASH_CHARS = 12   # lineage hashes in metrics are shortened like git's; details keep the full sha256


# The figures each stage keeps in DVC metrics (dotted paths into the stage's full summary; a path
# naming a dict keeps all of it; a path the summary lacks is skipped). Everything else goes to
# the details file. The score stage writes its own headline (factory.scoring.metrics.headline).
STAGE_METRICS: dict[str, tuple[str, ...]] = {
    "ingest": ("source", "rows.orders", "rows.order_reviews", "rows.b2w_reviews", "rejected.total", "repaired.total",
               "text_diversity.this_data.olist_comments.distinct_share",
               "text_diversity.this_data.olist_comments.distinct_4grams_per_text",
               "text_diversity.real_sample.olist_comments.distinct_share",
               "text_diversity.real_sample.olist_comments.distinct_4grams_per_text"),
    "build_db": ("rows.orders_enriched", "rows.customer_features", "late_delivery_rate", "canonical_sha256_all"),
    "validate_db": ("success", "expectations_evaluated", "expectations_failed"),
    "prompts": ("records", "churn_rate", "unbalanced_strata", "overrides.applied", "gold.excluded"),
    "split": ("benchmark.total", "train.total", "val.total", "leakage", "near_duplicates_removed",
              "general_share_train", "files_sha256", "source_sha256"),
    "validate_prompts": ("success", "expectations_failed", "record_errors", "sql_gold_checked"),
    "reward_selftest": ("passed", "failures", "records", "reference_contradictions"),
    "base_model": ("parameters", "sha256"),
    "sft": ("global_step", "loss_last", "val_loss", "samples.valid_format_rate"),
    "grpo": ("global_step", "reward_last", "eval_reward_mean", "monitors.frac_reward_zero_std",
             "monitors.entropy_last", "monitors.warnings"),
    "label_quality": ("labeler", "report.sentiment", "report.complaint_category", "report.six_field"),
}


def select(full: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """The nested sub-dict of `full` at `paths` (dotted; missing ones skipped), in `paths` order."""
    out: dict[str, Any] = {}
    for path in paths:
        node: Any = full
        keys = path.split(".")
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            target = out
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = node
    return out


def write_stage_metrics(full: dict[str, Any], name: str, root: str | Path = ".") -> tuple[Path, Path | None]:
    """A stage's summary: STAGE_METRICS of it to reports/metrics/<name>.json, all of it to reports/details/.

    `name` is the metrics file's name (`split`, `prompts/churn`); its first part picks the keep list.
    """
    metrics_path = Path(root) / METRICS_DIR / f"{name}.json"
    return metrics_path, write_stage_metrics_at(full, name, metrics_path)


def details_path(metrics_path: str | Path) -> Path:
    """Where the full summary of a metrics file goes: the same relative path under a `details` folder
    in place of the last `metrics` folder (reports/metrics/prompts/sql.json -> reports/details/prompts/sql.json)."""
    path = Path(metrics_path)
    parts = list(path.parts)
    if "metrics" not in parts:
        return path.with_name(path.stem + ".details.json")
    i = len(parts) - 1 - parts[::-1].index("metrics")
    return Path(*parts[:i], "details", *parts[i + 1:])


def write_stage_metrics_at(full: dict[str, Any], name: str, metrics_path: str | Path) -> Path:
    """`write_stage_metrics` for a stage whose metrics path is an argument (library entry points)."""
    write_json(metrics_path, select(full, keep_list(name)))
    target = details_path(metrics_path)
    write_json(target, full)
    return target


def keep_list(name: str) -> tuple[str, ...]:
    stage = name.split("/")[0]
    if stage not in STAGE_METRICS:
        raise KeyError(f"metrics file {name!r}: no keep list for stage {stage!r} in factory.reporting.STAGE_METRICS")
    return STAGE_METRICS[stage]


def write_metrics(summary: dict[str, Any], details: dict[str, Any] | None, name: str,
                  root: str | Path = ".") -> tuple[Path, Path | None]:
    """Write reports/metrics/<name>.json (summary) and reports/details/<name>.json (details, if any).

    `name` may contain a folder (`score/grpo`). Both are written atomically; returns the paths.
    """
    root = Path(root)
    metrics_path = root / METRICS_DIR / f"{name}.json"
    write_json(metrics_path, summary)
    details_path = None
    if details is not None:
        details_path = root / DETAILS_DIR / f"{name}.json"
        write_json(details_path, details)
    return metrics_path, details_path


def iter_leaves(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf the way DVC flattens a metrics file (a list is one leaf)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from iter_leaves(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, obj


def count_leaves(folder: str | Path = METRICS_DIR) -> dict[str, int]:
    """Leaf values per metrics file (JSON) under `folder`, keyed by the file's path relative to it."""
    folder = Path(folder)
    counts = {}
    for path in sorted(folder.rglob("*.json")):
        counts[path.relative_to(folder).as_posix()] = sum(1 for _ in iter_leaves(json.loads(path.read_text(encoding="utf-8"))))
    return counts


def round_125(value: float | None) -> float | None:
    """`value` to the nearest step of the 1-2-5 series (..., 0.1, 0.2, 0.5, 1, 2, 5, 10, ...), nearest
    on a log scale: a timing that moves with the machine's load (+-40% between runs on a shared
    CPU) keeps its value, and one that really changed, by 2x or more, moves. None and 0 unchanged."""
    if value is None or value == 0 or not math.isfinite(value):
        return value
    decade = math.floor(math.log10(abs(value)))
    steps = [m * 10.0 ** e for e in (decade - 1, decade, decade + 1) for m in (1, 2, 5)]
    best = min(steps, key=lambda step: abs(math.log(abs(value) / step)))
    return math.copysign(float(f"{best:.1g}"), value)


def short_hash(sha256: str | None) -> str | None:
    """A lineage hash as shown in metrics: its first HASH_CHARS hex digits."""
    return sha256[:HASH_CHARS] if sha256 else sha256
