"""Credit rules of the JSON tasks (issue 10 item 2): nothing recoverable is 0 in every stage,
`partial` means some content right, a well-formed wrong answer earns at most the format weight, and
churn's probability is scored by a proper rule against the outcome."""
from __future__ import annotations

import json

import pytest

import rewards
from rewards.base import apply_credit_rules, unrecoverable
from rewards.selftest import UNRECOVERABLE, JSON_ANSWERS, _wrong_object, best_answer, best_object

STAGES = ("format", "partial", "task", "reward")
EXTRACTION = {
    "sentiment": "negativo", "sentiment_score": -0.8, "complaint_category": "atraso_entrega",
    "churn_risk": 0.75, "repeat_intent": 0.1, "delivery_issue": True, "product_issue": False,
    "seller_issue": False, "would_recommend": False,
    "main_complaint": "Chegou com duas semanas de atraso e a caixa amassada"}
SENTIMENT = {"sentiment": "negativo", "sentiment_score": -0.6}
CHURNED = {"will_churn": True, "churn_probability": 0.7, "cutoff_date": "2018-03-01", "horizon_days": 180}
STAYED = {**CHURNED, "will_churn": False}
TRUTHS = {"extraction": EXTRACTION, "sentiment": SENTIMENT, "churn": CHURNED}


def score(task: str, text: str, truth=None) -> dict:
    return rewards.score(task, text, truth or TRUTHS[task])


@pytest.mark.parametrize("task", list(TRUTHS))
@pytest.mark.parametrize("text", [
    "", "   ", "{}", "```json\n{}\n```", "[]", "null", '"texto"', '{"modelo": "gpt", "tokens": 10}',
    "Desculpe, não consigo classificar esta avaliação.", '{"sentiment": "neg', '{"will_churn": fal',
    '{"sentiment_score": 0,', '<think>{"sentiment": "negativo", "will_churn": true}',
])
def test_nothing_recoverable_is_zero_in_every_stage(task: str, text: str) -> None:
    scores = score(task, text)
    assert all(scores[k] == 0.0 for k in STAGES), scores


@pytest.mark.parametrize("task", list(TRUTHS))
@pytest.mark.parametrize("kind", list(UNRECOVERABLE))
def test_each_unrecoverable_kind_of_the_selftest(task: str, kind: str) -> None:
    truth = rewards._TRUTHS.get_truth(task, json.dumps(TRUTHS[task]))
    text = UNRECOVERABLE[kind](JSON_ANSWERS[task], best_answer(task, truth))
    assert all(score(task, text)[k] == 0.0 for k in STAGES), text


def test_the_old_reward_of_an_empty_object_is_gone() -> None:
    """Issue 10: `{}` used to earn 0.2 (format credit for a well-formed nothing)."""
    assert score("extraction", "{}")["reward"] == 0.0


@pytest.mark.parametrize("task", list(TRUTHS))
def test_a_well_formed_wrong_answer_earns_at_most_the_format_weight(task: str) -> None:
    truth = rewards._TRUTHS.get_truth(task, json.dumps(TRUTHS[task]))
    wrong = _wrong_object(JSON_ANSWERS[task], best_object(task, truth))
    scores = score(task, json.dumps(wrong, ensure_ascii=False))
    assert scores["format"] == 1.0 and scores["partial"] == 0.0 and scores["task"] == 0.0
    assert scores["reward"] == pytest.approx(0.2)


def test_wrong_types_are_wrong_fields_not_errors() -> None:
    text = json.dumps({"sentiment": 3, "sentiment_score": "muito negativo", "complaint_category": ["atraso"],
                       "churn_risk": {"v": 1}, "repeat_intent": True, "delivery_issue": "talvez",
                       "product_issue": 7, "seller_issue": None, "would_recommend": [], "main_complaint": 42})
    scores = score("extraction", text)
    assert scores["format"] == 1.0 and scores["partial"] == 0.0 and scores["task"] == 0.0 and scores["reward"] == 0.2


def test_partial_is_the_share_of_fields_right() -> None:
    three_right = {**{k: v for k, v in json.loads(json.dumps(EXTRACTION)).items()},
                   "sentiment": "positivo", "sentiment_score": 0.9, "complaint_category": "preco",
                   "churn_risk": 0.0, "repeat_intent": 0.9, "delivery_issue": False, "would_recommend": True}
    scores = score("extraction", json.dumps(three_right, ensure_ascii=False))
    right = ("product_issue", "seller_issue", "main_complaint")
    assert scores["partial"] == pytest.approx(0.3)
    assert all(scores[f] == 1.0 for f in right)
    assert scores["task"] == pytest.approx(0.3)


def test_a_number_counts_only_when_close_enough_to_be_right() -> None:
    near = score("sentiment", json.dumps({"sentiment": "positivo", "sentiment_score": -0.5}))
    far = score("sentiment", json.dumps({"sentiment": "positivo", "sentiment_score": 0.3}))
    assert near["sentiment_score"] == pytest.approx(0.9) and near["partial"] == 0.5
    assert far["sentiment_score"] == 0.0 and far["partial"] == 0.0 and far["task"] == 0.0


def test_a_right_answer_repaired_keeps_full_task_credit_and_loses_format_credit() -> None:
    text = "{'sentiment': 'negativo', 'sentiment_score': -0.6,}"
    scores = score("sentiment", text)
    assert scores["task"] == 1.0 and scores["partial"] == 1.0 and scores["format"] == 0.5


def test_a_truncated_answer_is_paid_for_its_complete_fields_only() -> None:
    scores = score("sentiment", '{"sentiment": "negativo", "sentiment_score": -0.')
    assert scores["format"] == 0.5 and scores["partial"] == 0.5 and scores["sentiment_score"] == 0.0


def test_credit_rule_helpers() -> None:
    assert unrecoverable(extra=None) == {"format": 0.0, "partial": 0.0, "task": 0.0, "extra": None}
    assert apply_credit_rules({"format": 0.0, "partial": 0.4, "task": 0.3}) == {"format": 0.0, "partial": 0.0, "task": 0.0}
    assert apply_credit_rules({"format": 1.0, "partial": 0.0, "task": 0.3})["task"] == 0.0
    assert apply_credit_rules({"format": 0.5, "partial": 0.5, "task": 0.3})["task"] == 0.3


# --- churn ----------------------------------------------------------------------------------------

def churn(will: bool, p, truth=CHURNED) -> dict:
    return score("churn", json.dumps({"will_churn": will, "churn_probability": p}), truth)


def test_churn_task_checks_the_outcome() -> None:
    assert churn(True, 0.9)["task"] == 1.0 and churn(False, 0.1, STAYED)["task"] == 1.0
    assert churn(False, 0.3)["task"] == 0.0 and churn(True, 0.6, STAYED)["task"] == 0.0
    # the truth's reference probability (0.7) is not what is checked: the outcome is
    assert churn(True, 1.0)["reward"] == 1.0 and churn(True, 0.7)["reward"] < 1.0


def test_churn_probability_is_scored_by_the_brier_rule_against_the_outcome() -> None:
    for p in (0.0, 0.25, 0.5, 0.8, 1.0):
        got = churn(True, p)
        assert got["churn_probability"] == pytest.approx(1 - (p - 1) ** 2)
        assert got["brier"] == pytest.approx((p - 1) ** 2)
        assert churn(False, p, STAYED)["churn_probability"] == pytest.approx(1 - p ** 2)


@pytest.mark.parametrize("q", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_the_expected_reward_is_highest_for_the_honest_probability(q: float) -> None:
    """A proper rule: for a customer who churns with probability q, stating p = q maximises the
    expected reward (label fixed), so no constant gains by exaggerating its probability."""
    label = q >= 0.5

    def expected(p: float) -> float:
        return q * churn(label, p, CHURNED)["reward"] + (1 - q) * churn(label, p, STAYED)["reward"]

    honest = expected(q)
    for p in (0.0, 0.05, 0.2, 0.4, 0.5, 0.6, 0.8, 0.95, 1.0):
        if abs(p - q) > 1e-9:
            assert expected(p) < honest, (q, p)


def test_a_constant_churn_answer_gets_the_outcome_rate_on_the_task() -> None:
    truths = [CHURNED, STAYED, CHURNED, STAYED]
    for will in (True, False):
        mean = sum(churn(will, 0.5, t)["task"] for t in truths) / len(truths)
        assert mean == 0.5


def test_churn_probability_out_of_range_or_missing() -> None:
    assert churn(True, 1.5)["brier"] is None and churn(True, 1.5)["churn_probability"] == 0.0
    only_label = score("churn", '{"will_churn": true}')
    assert only_label["task"] == 1.0 and only_label["partial"] == 0.5 and only_label["brier"] is None


def test_scores_along_every_prefix_of_a_best_answer(records: list[dict]) -> None:
    """Cut at every position: never an error, never a stage paid without a complete field, and the
    task score never falls as the answer grows (fields are only ever added, each one right)."""
    for record in records:
        task = record["task"]
        if task not in JSON_ANSWERS:
            continue
        truth = rewards._TRUTHS.get_truth(task, json.dumps(record["ground_truth"]))
        for text in (best_answer(task, truth), "Segue:\n```json\n" + json.dumps(best_object(task, truth), indent=2)):
            last_task = 0.0
            for end in range(len(text) + 1):
                scores = rewards.score(task, text[:end], truth)
                assert 0.0 <= scores["reward"] <= 1.0
                assert scores["task"] >= last_task - 1e-12, (text[:end], scores)
                last_task = scores["task"]
                if scores["format"] == 0.0:
                    assert scores["reward"] == 0.0
            assert last_task == 1.0
