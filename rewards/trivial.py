"""Trivial answerers: the floor every model's score is read against (issue 10, item 4).

A score means something only above what an answer that ignores the prompt earns. Three answerers,
fitted on the training records only, run through the same `rewards.score` path as the models:

majority  per task, the most frequent training answer: for JSON tasks (extraction, sentiment, churn)
          the per-field majority of the gold answers (a constant a policy could learn), for the
          other tasks the most frequent rendered gold answer (ties: the smallest string)
constant  for JSON tasks, the best constant answer on the training records: per field the value
          (any gold value seen, or a number on a 0.05 grid) that earns the most under the task's
          own aggregation (`rewards.aggregate`: plain, outcome- or field-balanced). The task score is
          a weighted sum of field credits, so choosing field by field finds the best constant
          exactly, up to the grid: what GRPO would find if it ignored the prompt. Text tasks: majority.
empty     the empty answer
echo      the prompt's user message, repeated back

In rewards/ (it needs only rewards) because the score stage and the reward self-test both use it.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any, Callable, Iterable

import numpy as np

from rewards.aggregate import outcome, task_score
from rewards.base import prompt_text
from rewards.render import ANSWER_FIELDS, answer_object, gold_answer
from schemas.tasks import parse_truth, resolve, spec

# name -> record -> completion text
Answerer = Callable[[dict[str, Any]], str]
TRIVIAL = ("majority", "constant", "empty", "echo")


def _most_frequent(values: Iterable[str]) -> str:
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], v))


def _by_task(records: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Records grouped by task, tasks in sorted order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["task"], []).append(record)
    return dict(sorted(groups.items()))


def majority_answers(train: list[dict[str, Any]]) -> dict[str, str]:
    """The majority answer of each task present in `train` (see module docstring)."""
    answers = {}
    for task, records in _by_task(train).items():
        if task in ANSWER_FIELDS:
            objects = [answer_object(task, r["ground_truth"]) for r in records]
            # json.dumps keys each value (floats, booleans, null) so equal values count together
            answers[task] = json.dumps(
                {f: json.loads(_most_frequent(json.dumps(o[f], ensure_ascii=False) for o in objects))
                 for f in ANSWER_FIELDS[task]}, ensure_ascii=False)
        else:
            answers[task] = _most_frequent(gold_answer(task, r["ground_truth"]) for r in records)
    return answers


GRID_STEP = 0.05  # the number values a constant answer is searched over (besides the gold values seen)


def _candidates(field: Any, golds: list[Any]) -> list[Any]:
    """The values the constant search tries for one field, in a fixed order (ties: the first)."""
    seen = sorted({json.dumps(g, ensure_ascii=False, sort_keys=True) for g in golds})
    values = [json.loads(v) for v in seen]
    if field.kind in ("number", "probability") and field.bounds is not None:
        low, high = field.bounds
        values += [round(float(x), 4) for x in np.arange(low, high + GRID_STEP / 2, GRID_STEP)]
    return values


def best_constant_answer(task: str, records: list[dict[str, Any]], majority: str) -> str:
    """The constant JSON answer that scores best on `records` of a JSON task (see module docstring);
    a field outside the task score keeps its value in `majority`, the task's majority answer."""
    answer = resolve(spec(task).answer)
    kept = json.loads(majority)
    truths = [parse_truth(task, r["ground_truth"]) for r in records]
    outcomes = [outcome(task, t) for t in truths]
    golds = [answer_object(task, t) for t in truths]
    share = {f.name: f.weight / answer.total_weight for f in answer.specs}
    best: dict[str, Any] = {}
    for field in answer.specs:
        name = field.name
        if share[name] == 0:
            best[name] = kept[name]
            continue
        top, top_score = None, -1.0
        for value in _candidates(field, [g[name] for g in golds]):
            credits = [answer.credit(name, value, t) for t in truths]
            earned = task_score(task, [{"task": share[name] * c, name: c} for c in credits], outcomes)
            if earned > top_score + 1e-12:
                top, top_score = value, earned
        best[name] = top
    return json.dumps(best, ensure_ascii=False)


def constant_answers(train: list[dict[str, Any]], majority: dict[str, str]) -> dict[str, str]:
    """The best constant answer of each task in `train`: searched for JSON tasks, else the task's
    answer in `majority` (`majority_answers(train)`)."""
    return {task: best_constant_answer(task, records, majority[task]) if task in ANSWER_FIELDS else majority[task]
            for task, records in _by_task(train).items()}


def user_message(record: dict[str, Any]) -> str:
    """The record's question, read the way the rewards read a TRL prompt (`rewards.base.prompt_text`)."""
    return prompt_text(record["messages"])


def trivial_answerers(train: list[dict[str, Any]]) -> dict[str, Answerer]:
    """The answerers in TRIVIAL order; a task without training records gets the empty majority answer."""
    majority = majority_answers(train)
    constant = constant_answers(train, majority)
    return {
        "majority": lambda record: majority.get(record["task"], ""),
        "constant": lambda record: constant.get(record["task"], ""),
        "empty": lambda record: "",
        "echo": user_message,
    }
