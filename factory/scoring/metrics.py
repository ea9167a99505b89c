"""Scored generations -> one metrics dict per model: means overall, per task and per stratum.

Only measured numbers go in. A sub-score is averaged over the rows that carry a number for it (the
LLM judge, for example, exists only when configured and parsed: `judge` is then the mean over judged
rows and `judge_n` their count; without a judge neither key appears). Token counts and cost are left
out when an endpoint did not report usage, rather than estimated.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Iterable

import numpy as np

from factory.reporting import round_125, short_hash
from rewards.aggregate import is_balanced, task_score
from schemas.tasks import STRATA, TASKS

# The staged reward and its parts: reported at every level. Other sub-scores are task-specific.
CORE_SCORES = ("reward", "format", "partial", "task")
# Scores that only some rows carry (the judge runs on insights, when configured): reported overall too.
OPTIONAL_SCORES = ("judge",)
DIGITS = 6


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return float(value)
    return None


def mean_scores(rows: list[dict[str, Any]], keys: Iterable[str] | None = None) -> dict[str, Any]:
    """{"n", <score>: mean, <score>_n: count when fewer rows than n carry it}; keys default to all numeric ones."""
    values: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for key, value in row["scores"].items():
            number = _number(value)
            if number is not None:
                values[key].append(number)
    wanted = list(keys) if keys is not None else sorted(values, key=lambda k: (k not in CORE_SCORES, k))
    out: dict[str, Any] = {"n": len(rows)}
    for key in wanted:
        if values.get(key):
            out[key] = round(float(np.mean(values[key])), DIGITS)
            if len(values[key]) < len(rows):
                out[f"{key}_n"] = len(values[key])
    return out


def class_balanced_task(rows: list[dict[str, Any]]) -> float:
    """The class-balanced task score of one task's rows (`rewards.aggregate`, the rule the reward
    self-test's trivial floor uses too)."""
    for row in rows:
        if "outcome" not in row:
            raise KeyError(f"{row['id']}: a {row['task']} row needs its outcome for the class-balanced task score")
    return round(task_score(rows[0]["task"], [r["scores"] for r in rows], [r["outcome"] for r in rows]), DIGITS)


def _ordered(present: Iterable[str], order: Iterable[str]) -> list[str]:
    present = set(present)
    return [x for x in order if x in present] + sorted(present - set(order))


def summarize_scores(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Score means overall, by_task and by_task.<t>.by_stratum (what a model-free answerer has too);
    the overall `task` is the mean over tasks (`task_row_mean`: over rows)."""
    if not rows:
        raise ValueError("no scored rows to summarize")
    out = mean_scores(rows, CORE_SCORES + OPTIONAL_SCORES)
    by_task: dict[str, Any] = {}
    for task in _ordered({r["task"] for r in rows}, TASKS):
        task_rows = [r for r in rows if r["task"] == task]
        by_task[task] = mean_scores(task_rows)
        if is_balanced(task) and "task" in by_task[task]:
            by_task[task]["task_unbalanced"] = by_task[task]["task"]
            by_task[task]["task"] = class_balanced_task(task_rows)
        strata = _ordered({r["difficulty"] for r in task_rows}, STRATA.get(task, ()))
        by_task[task]["by_stratum"] = {
            s: mean_scores([r for r in task_rows if r["difficulty"] == s]) for s in strata
        }
    out["by_task"] = by_task
    # The overall task score is the mean of the tasks' (balanced) task scores, so every task counts
    # once and no constant can gain overall what balancing denies it per task; the row mean is kept.
    task_scores = [v["task"] for v in by_task.values() if "task" in v]
    if "task" in out and task_scores:
        out["task_row_mean"] = out["task"]
        out["task"] = round(float(np.mean(task_scores)), DIGITS)
    return out


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`summarize_scores` plus truncation rate, latency, tokens and cost of a model's generations."""
    out = summarize_scores(rows)
    lengths = [r["finish_reason"] == "length" for r in rows if r.get("finish_reason")]
    if lengths:
        out["truncated_rate"] = round(sum(lengths) / len(lengths), DIGITS)
    latency = np.array([r["latency_s"] for r in rows], dtype=float)
    out["latency_s"] = {
        "mean": round(float(latency.mean()), DIGITS),
        "p50": round(float(np.percentile(latency, 50)), DIGITS),
        "p95": round(float(np.percentile(latency, 95)), DIGITS),
        "max": round(float(latency.max()), DIGITS),
    }
    prompt = [r["prompt_tokens"] for r in rows]
    completion = [r["completion_tokens"] for r in rows]
    if None not in prompt and None not in completion:
        out["tokens"] = {
            "prompt_mean": round(float(np.mean(prompt)), DIGITS),
            "completion_mean": round(float(np.mean(completion)), DIGITS),
            "total_mean": round(float(np.mean(prompt) + np.mean(completion)), DIGITS),
        }
    costs = [r["cost_usd"] for r in rows]
    if None not in costs:
        out["cost_per_query_usd"] = round(float(np.mean(costs)), 8)
    return out


# Headline figures are rounded for the DVC metrics table (the details keep DIGITS).
HEADLINE_DIGITS = 4


def headline(details: dict[str, Any]) -> dict[str, Any]:
    """The DVC metrics of one model: task score overall and per task, reward, format, latency p50, model hash.

    Everything else (sub-scores, strata, tokens, cost, full hashes) stays in the details file. Keys
    are the same for every model, so `dvc metrics show --md reports/metrics/score` is one short row
    per model; the per-task values are the `task` (correctness) sub-score, the headline of issue 10.
    """
    out: dict[str, Any] = {"task": round(details["task"], HEADLINE_DIGITS)}
    out.update({t: round(v["task"], HEADLINE_DIGITS) for t, v in details["by_task"].items() if "task" in v})
    out["reward"] = round(details["reward"], HEADLINE_DIGITS)
    out["format"] = round(details["format"], HEADLINE_DIGITS)
    if "latency_s" in details:
        # on the 1-2-5 series: load jitter is not a change in `dvc exp show --only-changed`; the
        # exact percentiles are in the details and every prompt's latency in reports/plots/latency
        out["latency_p50_s"] = round_125(details["latency_s"]["p50"])
    if "monitor" in details:
        out["looping_rate"] = round(details["monitor"]["looping_rate"], HEADLINE_DIGITS)
    # The model's identity; the data's (benchmark, training manifest) are split.json's file hashes in
    # the same revision, and the full lineage is in the details: 3 hash columns more would push the
    # score table past 200 characters.
    lineage = details.get("lineage") or {}
    out["lineage"] = {"model": short_hash(lineage.get("checkpoint_sha256")) or lineage.get("endpoint_model")}
    return out


def floor_headline(answerers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The floor's DVC metrics: per task (and overall) the best task score any trivial answerer gets."""
    tasks = _ordered({t for a in answerers.values() for t in a["by_task"]}, TASKS)
    out: dict[str, Any] = {"task": round(max(a["task"] for a in answerers.values()), HEADLINE_DIGITS)}
    for task in tasks:
        out[task] = round(max(a["by_task"][task]["task"] for a in answerers.values() if task in a["by_task"]),
                          HEADLINE_DIGITS)
    return out

