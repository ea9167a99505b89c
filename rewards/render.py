"""Gold answers written the way a model should write them (the SFT target and the self-test
reference). Formats follow `schemas.tasks`: one JSON object for extraction, sentiment and churn,
a ```sql fence for sql, the reference text for insights, push and reasoning.

Churn is the one task whose gold answer is not the graded outcome: the model is trained on the
reference model's probability and the label that follows from it (`reference_probability`,
`reference_will_churn`), and graded on what happened (`will_churn`). `oracle_answer` is the answer
that knows the outcome, the one a reward must score 1.0.
"""
from __future__ import annotations

import json
from typing import Any

from schemas.tasks import parse_truth

# The keys of each JSON answer, in the order the system prompts should list them.
ANSWER_FIELDS: dict[str, tuple[str, ...]] = {
    "extraction": ("sentiment", "sentiment_score", "complaint_category", "churn_risk", "repeat_intent",
                   "delivery_issue", "product_issue", "seller_issue", "would_recommend", "main_complaint"),
    "sentiment": ("sentiment", "sentiment_score"),
    "churn": ("will_churn", "churn_probability"),
}


def _truth(task: str, ground_truth: Any):
    return parse_truth(task, ground_truth) if not hasattr(ground_truth, "model_dump") else ground_truth


def answer_object(task: str, ground_truth: Any) -> dict[str, Any]:
    """The JSON gold answer of a JSON task as a dict (churn: the reference model's answer when the
    truth has one)."""
    truth = _truth(task, ground_truth)
    data = truth.model_dump()
    if task == "churn" and truth.reference_probability is not None and truth.reference_will_churn is not None:
        return {"will_churn": truth.reference_will_churn, "churn_probability": truth.reference_probability}
    return {key: data[key] for key in ANSWER_FIELDS[task]}


def gold_answer(task: str, ground_truth: Any) -> str:
    """The ideal completion for a record (ground truth as a dict, JSON string or model)."""
    truth = _truth(task, ground_truth)
    if task in ANSWER_FIELDS:
        return json.dumps(answer_object(task, truth), ensure_ascii=False)
    if task == "sql":
        return f"```sql\n{truth.gold_sql.strip().rstrip(';').strip()}\n```"
    if task in ("insights", "push", "reasoning"):
        return truth.reference
    raise KeyError(f"unknown task {task!r}")


def oracle_answer(task: str, ground_truth: Any) -> str:
    """The answer that knows what the reward grades: the gold answer, except for churn, where it is
    the outcome with certainty ({"will_churn": outcome, "churn_probability": 1.0 or 0.0})."""
    truth = _truth(task, ground_truth)
    if task == "churn":
        return json.dumps({"will_churn": truth.will_churn, "churn_probability": 1.0 if truth.will_churn else 0.0})
    return gold_answer(task, truth)
