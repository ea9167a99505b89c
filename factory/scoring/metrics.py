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


def _ordered(present: Iterable[str], order: Iterable[str]) -> list[str]:
    present = set(present)
    return [x for x in order if x in present] + sorted(present - set(order))


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Scores (overall, by_task, by_task.<t>.by_stratum), latency, tokens, cost and truncation rate."""
    if not rows:
        raise ValueError("no scored rows to summarize")
    out = mean_scores(rows, CORE_SCORES + OPTIONAL_SCORES)
    lengths = [r["finish_reason"] == "length" for r in rows if r.get("finish_reason")]
    if lengths:
        out["truncated_rate"] = round(sum(lengths) / len(lengths), DIGITS)
    by_task: dict[str, Any] = {}
    for task in _ordered({r["task"] for r in rows}, TASKS):
        task_rows = [r for r in rows if r["task"] == task]
        by_task[task] = mean_scores(task_rows)
        strata = _ordered({r["difficulty"] for r in task_rows}, STRATA.get(task, ()))
        by_task[task]["by_stratum"] = {
            s: mean_scores([r for r in task_rows if r["difficulty"] == s]) for s in strata
        }
    out["by_task"] = by_task
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
