"""The trivial answerers: majority answers fitted on training records only, empty, echo."""
from __future__ import annotations

import json

from factory.scoring.trivial import TRIVIAL, majority_answers, trivial_answerers

from .conftest import benchmark_records


def _sentiment(i: int, polarity: str, score: float) -> dict:
    return {"id": f"sentiment-x-{i:04d}", "task": "sentiment", "difficulty": "positive",
            "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": f"review {i}"}],
            "ground_truth": {"sentiment": polarity, "sentiment_score": score}, "source": {"table": "t", "keys": [str(i)]}}


def test_json_tasks_take_the_majority_of_each_field_separately():
    train = [_sentiment(0, "positivo", 0.9), _sentiment(1, "positivo", 0.5), _sentiment(2, "negativo", 0.5)]
    # polarity majority from records 0-1, score majority from records 1-2: a constant no record has
    assert json.loads(majority_answers(train)["sentiment"]) == {"sentiment": "positivo", "sentiment_score": 0.5}


def test_text_tasks_take_the_most_frequent_gold_answer_with_ties_by_text():
    reasoning = [r for r in benchmark_records() if r["task"] == "reasoning"]
    answers = majority_answers(reasoning + [reasoning[1]])
    assert answers["reasoning"] == reasoning[1]["ground_truth"]["reference"]
    tie = majority_answers(reasoning)["reasoning"]
    assert tie == min(r["ground_truth"]["reference"] for r in reasoning)


def test_answerers_empty_echo_and_an_unseen_task():
    records = benchmark_records()
    answerers = trivial_answerers([r for r in records if r["task"] == "sentiment"])
    assert list(answerers) == list(TRIVIAL)
    push = next(r for r in records if r["task"] == "push")
    assert answerers["majority"](push) == ""  # no training record of that task: nothing to be frequent
    assert answerers["empty"](push) == ""
    assert answerers["echo"](push) == push["messages"][-1]["content"]
