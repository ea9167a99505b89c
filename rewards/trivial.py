"""Trivial answerers: the floor every model's score is read against (issue 10, item 4).

A score means something only above what an answer that ignores the prompt earns. Three answerers,
fitted on the training records only, run through the same `rewards.score` path as the models:

majority  per task, the most frequent training answer: for JSON tasks (extraction, sentiment, churn)
          the per-field majority of the gold answers (a constant a policy could learn), for the
          other tasks the most frequent rendered gold answer (ties: the smallest string)
empty     the empty answer
echo      the prompt's user message, repeated back

In rewards/ (it needs only rewards) because the score stage and the reward self-test both use it.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any, Callable, Iterable

from rewards.base import prompt_text
from rewards.render import ANSWER_FIELDS, answer_object, gold_answer

# name -> record -> completion text
Answerer = Callable[[dict[str, Any]], str]
TRIVIAL = ("majority", "empty", "echo")


def _most_frequent(values: Iterable[str]) -> str:
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], v))


def majority_answers(train: list[dict[str, Any]]) -> dict[str, str]:
    """The majority answer of each task present in `train` (see module docstring)."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for record in train:
        by_task.setdefault(record["task"], []).append(record)
    answers = {}
    for task, records in sorted(by_task.items()):
        if task in ANSWER_FIELDS:
            objects = [answer_object(task, r["ground_truth"]) for r in records]
            # json.dumps keys each value (floats, booleans, null) so equal values count together
            answers[task] = json.dumps(
                {f: json.loads(_most_frequent(json.dumps(o[f], ensure_ascii=False) for o in objects))
                 for f in ANSWER_FIELDS[task]}, ensure_ascii=False)
        else:
            answers[task] = _most_frequent(gold_answer(task, r["ground_truth"]) for r in records)
    return answers


def user_message(record: dict[str, Any]) -> str:
    """The record's question, read the way the rewards read a TRL prompt (`rewards.base.prompt_text`)."""
    return prompt_text(record["messages"])


def trivial_answerers(train: list[dict[str, Any]]) -> dict[str, Answerer]:
    """The answerers in TRIVIAL order; a task without training records gets the empty majority answer."""
    majority = majority_answers(train)
    return {
        "majority": lambda record: majority.get(record["task"], ""),
        "empty": lambda record: "",
        "echo": user_message,
    }
