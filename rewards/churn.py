"""Churn: did the customer stop buying (binary, from the data) and a calibrated probability.

The probability is scored by its distance to the stratum's reference calibration target; the
Brier score against what happened is reported for benchmark tables (`brier`, lower is better,
None when the answer has no valid probability).
"""
from __future__ import annotations

from typing import Any

from rewards.base import Options
from rewards.fields import FieldSpec, JsonAnswer
from schemas.tasks import ChurnTruth

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("will_churn", "bool"),
    FieldSpec("churn_probability", "number", bounds=(0.0, 1.0), scale=0.5),
)
ANSWER = JsonAnswer(FIELDS)


def score(completion: str, truth: ChurnTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    scores, values = ANSWER.score(completion, truth)
    probability = values.get("churn_probability")
    outcome = 1.0 if truth.will_churn else 0.0
    scores["brier"] = None if probability is None else (probability - outcome) ** 2
    return scores
