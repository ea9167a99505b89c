"""Gold answers written the way a model should write them (the SFT target and the self-test
reference). Formats follow `schemas.tasks`: one JSON object for extraction, sentiment and churn,
a ```sql fence for sql, the reference text for insights, push and reasoning."""
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


def answer_object(task: str, ground_truth: Any) -> dict[str, Any]:
    """The JSON answer of a JSON task as a dict."""
    truth = parse_truth(task, ground_truth) if not hasattr(ground_truth, "model_dump") else ground_truth
    data = truth.model_dump()
    return {key: data[key] for key in ANSWER_FIELDS[task]}


def gold_answer(task: str, ground_truth: Any) -> str:
    """The ideal completion for a record (ground truth as a dict, JSON string or model)."""
    truth = parse_truth(task, ground_truth) if not hasattr(ground_truth, "model_dump") else ground_truth
    if task in ANSWER_FIELDS:
        return json.dumps(answer_object(task, truth), ensure_ascii=False)
    if task == "sql":
        return f"```sql\n{truth.gold_sql.strip().rstrip(';').strip()}\n```"
    if task in ("insights", "push", "reasoning"):
        return truth.reference
    raise KeyError(f"unknown task {task!r}")
