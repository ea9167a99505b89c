"""Churn: will the customer buy again within the horizon? Scored against what the data says happened.

The task score checks the outcome (`will_churn`, the label the data shows). The probability is
scored with a proper scoring rule against the same outcome: 1 - (p - outcome)^2, in `partial`
(weight 0 in the task), so the expected reward is highest for an honest, calibrated probability
and no constant answer gains by exaggerating. `brier` (lower is better) is reported for benchmark
tables, None when the answer has no valid probability. The ground truth's `churn_probability` (the
reference model's estimate) is the SFT target, not what the reward checks.
"""
from __future__ import annotations

from typing import Any

from rewards.base import Options
from rewards.fields import FieldSpec, JsonAnswer
from schemas.tasks import ChurnTruth

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("will_churn", "bool"),
    FieldSpec("churn_probability", "probability", bounds=(0.0, 1.0), weight=0.0, against="will_churn", doc="de 0 a 1"),
)
ANSWER = JsonAnswer(FIELDS)


def score(completion: str, truth: ChurnTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    scores, values = ANSWER.score(completion, truth)
    probability = values.get("churn_probability")
    outcome = 1.0 if truth.will_churn else 0.0
    scores["brier"] = None if probability is None else (probability - outcome) ** 2
    return scores
