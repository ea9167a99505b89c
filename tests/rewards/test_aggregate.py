"""How records add up to a task score (rewards.aggregate): plain, outcome-balanced (churn) and
field-balanced (extraction), and the best constant answer searched under each rule."""
from __future__ import annotations

import json

import pytest

import rewards
from rewards.aggregate import is_balanced, outcome, task_score
from rewards.render import gold_answer
from rewards.trivial import best_constant_answer, majority_answers


def _extraction(n: int, complaint: bool) -> dict:
    truth = ({"sentiment": "negativo", "sentiment_score": -0.8, "complaint_category": "atraso_entrega",
              "churn_risk": 0.75, "repeat_intent": 0.1, "delivery_issue": True, "product_issue": False,
              "seller_issue": False, "would_recommend": False, "main_complaint": "chegou com duas semanas de atraso"}
             if complaint else
             {"sentiment": "positivo", "sentiment_score": 0.9, "complaint_category": "nenhuma",
              "churn_risk": 0.05, "repeat_intent": 0.9, "delivery_issue": False, "product_issue": False,
              "seller_issue": False, "would_recommend": True, "main_complaint": ""})
    return {"id": f"extraction-easy-{n:04d}", "task": "extraction", "difficulty": "easy",
            "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": f"avaliação {n}"}],
            "ground_truth": truth, "source": {"table": "t", "keys": [str(n)]}}


# 8 happy reviews and 2 late ones: "no issue" is right on 80 % of them
RECORDS = [_extraction(n, complaint=n < 2) for n in range(10)]


def _score(records: list[dict], answer) -> float:
    scores = [rewards.score("extraction", answer(r), r["ground_truth"]) for r in records]
    return task_score("extraction", scores, [outcome("extraction", r["ground_truth"]) for r in records])


def test_extraction_outcome_is_each_fields_gold_class():
    assert is_balanced("extraction") and is_balanced("churn") and not is_balanced("sql")
    assert outcome("extraction", RECORDS[0]["ground_truth"]) == {
        "sentiment": "negativo", "sentiment_score": -0.8, "complaint_category": "atraso_entrega", "churn_risk": 0.8,
        "repeat_intent": 0.1, "delivery_issue": True, "product_issue": False, "seller_issue": False,
        "would_recommend": False, "main_complaint": "text"}
    assert outcome("extraction", RECORDS[5]["ground_truth"])["main_complaint"] == "empty"
    assert outcome("churn", {"will_churn": True, "churn_probability": 0.8}) is True
    assert outcome("sql", {"question": "q"}) is None


def test_gold_scores_one_and_a_constant_earns_chance_field_by_field():
    assert _score(RECORDS, lambda r: gold_answer("extraction", r["ground_truth"])) == pytest.approx(1.0)
    happy = gold_answer("extraction", RECORDS[5]["ground_truth"])
    plain = sum(rewards.score("extraction", happy, r["ground_truth"])["task"] for r in RECORDS) / len(RECORDS)
    # the plain mean pays the constant for being right on the majority: 0.8 of the reviews, plus product/seller
    assert plain > 0.8
    # balanced within each field's classes: right on one class of two for every field but the two
    # booleans that never vary here (product_issue, seller_issue: one class, always right)
    assert _score(RECORDS, lambda r: happy) == pytest.approx((8 * 0.5 + 2 * 1.0) / 10)


def test_plain_and_outcome_balanced_rules():
    with pytest.raises(ValueError, match="one outcome per record"):
        task_score("churn", [{"task": 1.0}], None)
    assert task_score("sql", [{"task": 1.0}, {"task": 0.0}, {"task": 0.0}]) == pytest.approx(1 / 3)
    assert task_score("churn", [{"task": 1.0}] * 9 + [{"task": 0.0}], [True] * 9 + [False]) == pytest.approx(0.5)


def test_the_best_constant_is_found_field_by_field_and_beats_the_majority():
    majority_text = majority_answers(RECORDS)["extraction"]
    constant = json.loads(best_constant_answer("extraction", RECORDS, majority_text))
    majority = json.loads(majority_text)
    assert constant["delivery_issue"] is False and constant["product_issue"] is False
    assert _score(RECORDS, lambda r: json.dumps(constant)) >= _score(RECORDS, lambda r: json.dumps(majority)) - 1e-9
    # no other value of any one field does better: the search is exact on the candidates it tries
    base = _score(RECORDS, lambda r: json.dumps(constant))
    for field, value in (("sentiment", "neutro"), ("churn_risk", 0.4), ("main_complaint", "atraso"),
                         ("would_recommend", not constant["would_recommend"])):
        assert _score(RECORDS, lambda r: json.dumps({**constant, field: value})) <= base + 1e-9, field
