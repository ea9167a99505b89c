"""How the scores of one task's records add up to the task's score: one rule for the score stage
(factory/scoring/metrics.py) and the reward self-test's trivial floor, so both report the same figure.

Three rules, chosen by the task's `TaskSpec`:

- plain: the mean of the records' `task` sub-scores;
- outcome-balanced (`outcome_key`, churn): the mean over outcome classes of each class's mean task
  score, so a constant answer gets exactly 0.5 on a binary outcome whatever the class mix;
- field-balanced (`balanced_fields`, extraction): each task-scored field's credit is averaged within
  the classes of its gold value (`FieldSpec.balance_class`), the class means are averaged (macro, as
  balanced accuracy is), and the fields are weighted as the per-record task score weights them. A
  correct answer still scores 1.0, but a constant answer earns at most chance on every field: a
  "no issue" boolean gets 0.5, not the 80% of reviews that have none.

The per-record `task` and `reward` GRPO trains on are unchanged: balancing is how records add up.
numpy's mean, as the score stage has always used, so plain figures are unchanged.
"""
from __future__ import annotations

from typing import Any, Hashable, Mapping, Sequence

import numpy as np

from schemas.tasks import CLASS_BALANCED, FIELD_BALANCED, parse_truth, resolve, spec


def is_balanced(task: str) -> bool:
    """Whether `task`'s score is class-balanced (and its records need an `outcome`)."""
    return task in CLASS_BALANCED or task in FIELD_BALANCED


def outcome(task: str, ground_truth: Any) -> Any:
    """What a record's scores are balanced over: the outcome class (outcome-balanced tasks), each
    field's gold class as a dict (field-balanced tasks), or None for a plain task."""
    key = CLASS_BALANCED.get(task)
    if key is not None:
        return ground_truth[key] if isinstance(ground_truth, Mapping) else getattr(ground_truth, key)
    if task in FIELD_BALANCED:
        truth = ground_truth if hasattr(ground_truth, "model_dump") else parse_truth(task, ground_truth)
        return resolve(spec(task).answer).classes(truth)
    return None


def _balanced_mean(values: Sequence[float], classes: Sequence[Hashable]) -> float:
    by_class: dict[Hashable, list[float]] = {}
    for value, cls in zip(values, classes):
        by_class.setdefault(cls, []).append(float(value))
    return float(np.mean([np.mean(v) for v in by_class.values()]))


def task_score(task: str, scores: Sequence[Mapping[str, Any]], outcomes: Sequence[Any] | None = None) -> float:
    """The score of `task` over records with these sub-scores (`rewards.score` dicts) and, for a
    balanced task, these outcomes, one per record (see `outcome`). Not rounded."""
    if not scores:
        raise ValueError(f"no {task} scores to aggregate")
    if not is_balanced(task):
        return float(np.mean([float(s["task"]) for s in scores]))
    if outcomes is None or len(outcomes) != len(scores):
        raise ValueError(f"{task} is class-balanced: it needs one outcome per record "
                         f"(got {0 if outcomes is None else len(outcomes)} for {len(scores)} records)")
    if task in CLASS_BALANCED:
        return _balanced_mean([s["task"] for s in scores], outcomes)
    fields = [f for f in resolve(spec(task).answer).specs if f.weight > 0]
    total = sum(f.weight for f in fields)
    return sum(f.weight * _balanced_mean([s.get(f.name, 0.0) for s in scores], [o[f.name] for o in outcomes])
               for f in fields) / total
