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

from schemas.tasks import LiveMapping, parse_truth, resolve, spec, specs


def answer_fields(task: str) -> tuple[str, ...]:
    """The keys of a JSON task's answer, in order: the field specs of its `TaskSpec.answer`."""
    return tuple(field.name for field in resolve(spec(task).answer).specs)


# The keys of each JSON answer, in the order the system prompts should list them (from the registry).
ANSWER_FIELDS = LiveMapping(lambda: {s.name: answer_fields(s.name) for s in specs() if s.is_json})


def _truth(task: str, ground_truth: Any):
    return parse_truth(task, ground_truth) if not hasattr(ground_truth, "model_dump") else ground_truth


def answer_object(task: str, ground_truth: Any) -> dict[str, Any]:
    """The JSON gold answer of a JSON task as a dict: the task's `answer_object` hook, else the
    answer fields of the truth."""
    truth = _truth(task, ground_truth)
    hook = spec(task).answer_object
    if hook is not None:
        return resolve(hook)(truth)
    data = truth.model_dump()
    return {key: data[key] for key in ANSWER_FIELDS[task]}


def gold_answer(task: str, ground_truth: Any) -> str:
    """The ideal completion for a record (ground truth as a dict, JSON string or model)."""
    truth = _truth(task, ground_truth)
    task_spec = spec(task)
    if task_spec.is_json:
        return json.dumps(answer_object(task, truth), ensure_ascii=False)
    return resolve(task_spec.gold)(truth)


def oracle_answer(task: str, ground_truth: Any) -> str:
    """The answer that knows what the reward grades: the gold answer, unless the task has an
    `oracle` hook (churn: the outcome with certainty)."""
    truth = _truth(task, ground_truth)
    hook = spec(task).oracle
    return resolve(hook)(truth) if hook is not None else gold_answer(task, truth)


# --- the built-in tasks' hooks (named in schemas.tasks) ----------------------------------------------

def sql_fence(truth: Any) -> str:
    """sql: the gold query in a ```sql fence."""
    return f"```sql\n{truth.gold_sql.strip().rstrip(';').strip()}\n```"


def reference_text(truth: Any) -> str:
    """insights, push, reasoning: the reference answer written at build time."""
    return truth.reference


def churn_reference(truth: Any) -> dict[str, Any]:
    """churn: the reference model's answer when the truth has one, else the stored fields."""
    if truth.reference_probability is not None and truth.reference_will_churn is not None:
        return {"will_churn": truth.reference_will_churn, "churn_probability": truth.reference_probability}
    return {"will_churn": truth.will_churn, "churn_probability": truth.churn_probability}


def churn_oracle(truth: Any) -> str:
    """churn: the outcome with certainty ({"will_churn": outcome, "churn_probability": 1.0 or 0.0})."""
    return json.dumps({"will_churn": truth.will_churn, "churn_probability": 1.0 if truth.will_churn else 0.0})
