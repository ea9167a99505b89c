"""The trivial answerers: majority answers fitted on training records only, empty, echo."""
from __future__ import annotations

import json

import rewards
from factory.scoring.benchmark import make_scorer, score_floor
from rewards.selftest import trivial_floor
from rewards.trivial import TRIVIAL, majority_answers, trivial_answerers

from .conftest import benchmark_records, project_params
from churn_records import churn_record


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


def test_the_selftest_floor_is_the_score_stage_floor_class_balanced_included(tmp_path):
    """rewards.selftest.trivial_floor and the score stage's floor aggregate alike (rewards.aggregate):
    on 90 % churners the majority constant is 0.5 class-balanced in both, not the plain mean 0.9."""
    records = benchmark_records() + [churn_record(n, will_churn=n % 10 != 0) for n in range(30)]
    params = project_params()
    settings = params["rewards"]
    floor = score_floor(records, records, make_scorer(params, tmp_path / "absent.db"))
    options = rewards.options(db_path=tmp_path / "absent.db", weights=settings["weights"],
                              sql_timeout_s=settings["sql_timeout_s"], sql_max_rows=settings["sql_max_rows"])
    selftest = trivial_floor({"benchmark": records}, records, options)
    assert set(selftest["tasks"]) == set(floor["answerers"]["majority"]["by_task"]) == {"sentiment", "reasoning", "push", "churn"}
    for name in TRIVIAL:
        for task, splits in selftest["tasks"].items():
            assert splits["benchmark"][name] == floor["answerers"][name]["by_task"][task]["task"], (name, task)
    churn = floor["answerers"]["majority"]["by_task"]["churn"]
    assert churn["task"] == selftest["tasks"]["churn"]["benchmark"]["majority"] == 0.5
    assert churn["task_unbalanced"] == 0.9
