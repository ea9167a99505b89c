"""How the task scores of one task's records add up to the task's score: one rule for the score stage
(factory/scoring/metrics.py) and the reward self-test's trivial floor, so both report the same figure.

A plain mean, except for the tasks in schemas.tasks.CLASS_BALANCED: there the mean over outcome
classes of each class's mean, so a constant answer gets exactly 0.5 on a binary outcome whatever the
class mix of the prompts. numpy's mean, as the score stage has always used, so its figures are unchanged.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from schemas.tasks import CLASS_BALANCED


def outcome(task: str, ground_truth: Mapping[str, Any]) -> Any:
    """The outcome class a record's task score is balanced over; None for a task that is not class-balanced."""
    field = CLASS_BALANCED.get(task)
    return None if field is None else ground_truth[field]


def task_score(task: str, scores: Sequence[float], outcomes: Sequence[Any] | None = None) -> float:
    """The score of `task` over records with these task scores (and, for a class-balanced task, these
    outcomes, one per score; see `outcome`). Not rounded."""
    if not scores:
        raise ValueError(f"no {task} scores to aggregate")
    if task not in CLASS_BALANCED:
        return float(np.mean([float(s) for s in scores]))
    if outcomes is None or len(outcomes) != len(scores):
        raise ValueError(f"{task} is class-balanced on {CLASS_BALANCED[task]!r}: it needs one outcome per score "
                         f"(got {0 if outcomes is None else len(outcomes)} for {len(scores)} scores)")
    by_class: dict[Any, list[float]] = {}
    for value, score in zip(outcomes, scores):
        by_class.setdefault(value, []).append(float(score))
    return float(np.mean([np.mean(v) for v in by_class.values()]))
