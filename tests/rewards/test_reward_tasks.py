"""The public API (TRL reward functions, sub-scores, gold rendering) and each task's scoring."""
from __future__ import annotations

import json

import pytest

import rewards
from rewards.render import gold_answer
from rewards.selftest import best_answer
from schemas.tasks import TASKS


def _reward(name: str, records: list[dict], completions: list, options) -> list[float | None]:
    func = rewards.get(name, options=options)
    return func(prompts=[r["messages"] for r in records], completions=completions,
                task=[r["task"] for r in records], ground_truth=[json.dumps(r["ground_truth"]) for r in records])


def test_names_are_the_seven_tasks() -> None:
    assert rewards.names() == list(TASKS) == ["extraction", "sentiment", "sql", "churn", "insights", "push", "reasoning"]


def test_reward_function_is_trl_shaped(records: list[dict], options) -> None:
    """One function per task: named after it, None on other tasks' rows, best answers at 1.0 (the
    gold answer, or for churn the outcome stated with certainty)."""
    for name in rewards.names():
        func = rewards.get(name, options=options)
        assert func.__name__ == name
        golds = [best_answer(r["task"], rewards._TRUTHS.get_truth(r["task"], json.dumps(r["ground_truth"])))
                 for r in records]
        out = _reward(name, records, golds, options)
        assert len(out) == len(records)
        for record, value in zip(records, out):
            if record["task"] == name:
                assert value == pytest.approx(1.0, abs=1e-9), record["id"]
            else:
                assert value is None


def test_conversational_completions_and_dict_truths(by_task: dict, options) -> None:
    record = by_task["sentiment"][0]
    gold = gold_answer("sentiment", record["ground_truth"])
    func = rewards.get("sentiment", options=options)
    out = func(prompts=[record["messages"]] * 3,
               completions=[[{"role": "assistant", "content": gold}],
                            [{"role": "assistant", "content": '{"sentiment": "neutro", "sentiment_score": 0}'}],
                            "lixo"],
               task=["sentiment"] * 3, ground_truth=[record["ground_truth"]] * 3, completion_ids=[[1]] * 3)
    assert out[0] == 1.0 and 0.0 < out[1] < out[0] and out[2] == 0.0


def test_struct_column_truth_with_foreign_keys_as_none(by_task: dict) -> None:
    """A datasets struct column merges every task's keys; foreign ones arrive as None."""
    truth = dict(by_task["sentiment"][0]["ground_truth"], gold_sql=None, max_chars=None)
    assert rewards.score("sentiment", gold_answer("sentiment", by_task["sentiment"][0]["ground_truth"]), truth)["reward"] == 1.0


def test_score_returns_stages_and_task_keys(by_task: dict, options) -> None:
    expected_extra = {"extraction": "main_complaint", "sentiment": "sentiment_score", "sql": "rows_f1",
                      "churn": "brier", "insights": "insights_grounding", "push": "length_ok", "reasoning": "answer"}
    for task, key in expected_extra.items():
        record = by_task[task][0]
        scores = rewards.score(task, gold_answer(task, record["ground_truth"]), record["ground_truth"], options=options)
        assert {"format", "partial", "task", "reward", key} <= scores.keys()


def test_weights_come_from_options(by_task: dict, commerce_db) -> None:
    record = by_task["reasoning"][0]
    no_marker = record["ground_truth"]["reference"].replace("Resposta:", "Logo,")  # format 0.5, still right
    default = rewards.score("reasoning", no_marker, record["ground_truth"])["reward"]
    task_only = rewards.score("reasoning", no_marker, record["ground_truth"],
                              weights={"format": 0, "partial": 0, "task": 1})["reward"]
    assert default == pytest.approx(0.2 * 0.5 + 0.3 + 0.5)
    assert task_only == 1.0
    with pytest.raises(ValueError, match="weights"):
        rewards.options(weights={"format": 1.0})


def test_gold_answer_formats(by_task: dict) -> None:
    sql = by_task["sql"][0]
    assert gold_answer("sql", sql["ground_truth"]).startswith("```sql\nSELECT")
    churn = json.loads(gold_answer("churn", by_task["churn"][0]["ground_truth"]))
    assert list(churn) == ["will_churn", "churn_probability"]
    assert len(json.loads(gold_answer("extraction", by_task["extraction"][0]["ground_truth"]))) == 10
    push = by_task["push"][0]["ground_truth"]
    assert gold_answer("push", json.dumps(push)) == push["reference"]


# --- per task --------------------------------------------------------------------------------------

def test_extraction_field_by_field(by_task: dict) -> None:
    truth = by_task["extraction"][0]["ground_truth"]
    answer = dict(truth)
    s = lambda obj: rewards.score("extraction", json.dumps(obj, ensure_ascii=False), truth)  # noqa: E731
    assert s(answer)["reward"] == 1.0
    near = s({**answer, "sentiment_score": truth["sentiment_score"] + 0.1})
    far = s({**answer, "sentiment_score": truth["sentiment_score"] + 0.8})
    assert 1.0 > near["sentiment_score"] > far["sentiment_score"] >= 0.0
    assert s({**answer, "complaint_category": "Atraso na entrega"})["complaint_category"] == 1.0
    assert s({**answer, "sentiment": "NEGATIVA"})["sentiment"] == 1.0
    assert s({**answer, "delivery_issue": "sim"})["delivery_issue"] == 1.0
    assert s({**answer, "delivery_issue": False})["delivery_issue"] == 0.0
    partial_text = s({**answer, "main_complaint": "atraso de duas semanas"})["main_complaint"]
    assert 0.0 < partial_text < 1.0
    out_of_domain = s({**answer, "churn_risk": 3.0})
    assert out_of_domain["partial"] == pytest.approx(0.9)


def test_extraction_empty_complaint_agrees_with_nenhuma(by_task: dict) -> None:
    truth = by_task["extraction"][1]["ground_truth"]
    assert truth["main_complaint"] == ""
    answer = {**truth, "main_complaint": "nenhuma"}
    assert rewards.score("extraction", json.dumps(answer), truth)["main_complaint"] == 1.0


def test_sentiment_polarity_outweighs_score(by_task: dict) -> None:
    truth = by_task["sentiment"][0]["ground_truth"]
    wrong_polarity = rewards.score("sentiment", json.dumps({**truth, "sentiment": "negativo"}), truth)["reward"]
    wrong_score = rewards.score("sentiment", json.dumps({**truth, "sentiment_score": 0.35}), truth)["reward"]
    assert wrong_polarity < wrong_score < 1.0


def test_churn_outcome_and_proper_probability(by_task: dict) -> None:
    truth = by_task["churn"][0]["ground_truth"]   # will_churn True (the outcome), reference 0.82
    s = lambda wc, p: rewards.score("churn", json.dumps({"will_churn": wc, "churn_probability": p}), truth)  # noqa: E731
    assert s(True, 1.0)["reward"] == 1.0
    reference = s(True, 0.82)
    assert reference["task"] == 1.0 and reference["brier"] == pytest.approx((0.82 - 1) ** 2)
    assert reference["churn_probability"] == pytest.approx(1 - (0.82 - 1) ** 2)
    assert s(True, 0.6)["reward"] > s(False, 0.82)["reward"]
    assert s(True, "82%")["churn_probability"] == pytest.approx(reference["churn_probability"])
    assert s(True, "abc")["brier"] is None
    gold = rewards.score("churn", gold_answer("churn", truth), truth)
    assert gold["task"] == 1.0 and gold["reward"] < 1.0  # the reference probability is not certainty


def test_insights_grounding_is_the_offline_heuristic(by_task: dict, options) -> None:
    record = by_task["insights"][0]
    truth = record["ground_truth"]
    gold = rewards.score("insights", truth["reference"], truth, options=options)
    assert gold["judge"] is None and gold["insights_grounding"] == 1.0 and gold["task"] == 1.0
    invented = truth["reference"] + " Além disso, a receita cresceu 87,3% e chegou a R$ 9.999,00."
    worse = rewards.score("insights", invented, truth, options=options)
    assert worse["figures_precision"] < 1.0 and worse["reward"] < gold["reward"]
    vague = rewards.score("insights", "Os dois estados vão bem. Recomendo acompanhar.", truth, options=options)
    assert vague["facts_recall"] == 0.0 and vague["entities"] == 0.0


def test_insights_entities_in_portuguese_forms(by_task: dict) -> None:
    truth = by_task["insights"][1]["ground_truth"]  # cama_mesa_banho, 2017-03, 2017-05
    text = "Em Cama, Mesa e Banho os pedidos foram de 12 (03/2017) para 9 em maio de 2017: queda de 25%."
    assert rewards.score("insights", text, truth)["entities"] == 1.0


def test_push_constraints(by_task: dict) -> None:
    plain, discount = (r["ground_truth"] for r in by_task["push"])
    s = lambda text, truth: rewards.score("push", text, truth)  # noqa: E731
    assert s(plain["reference"], plain)["reward"] == 1.0
    assert s("Ana, novidades de beleza e saúde com 15% OFF!", plain)["discount_ok"] == 0.0
    assert s("Ana, novidades de Beleza & Saúde!", plain)["category_ok"] == 1.0
    assert s("Ana, novidades para você!", plain)["category_ok"] == 0.0
    assert s("{nome}, novidades de beleza e saúde!", plain)["no_placeholder"] == 0.0
    assert s("Esporte e lazer com 10% de desconto!", discount)["discount_ok"] == 1.0
    assert s("Esporte e lazer com 30% de desconto!", discount)["discount_ok"] == 0.0
    long = s("beleza e saúde " * 20, plain)
    assert 0.0 <= long["length_ok"] < 1.0 and long["task"] < 1.0


@pytest.mark.parametrize("text, correct", [
    ("Resposta: 150,00", True), ("Resposta: 150", True), ("Resposta: R$ 150,00.", True),
    ("**Resposta:** 150.00", True), ("Resposta: 149,99", False), ("Resposta: 1.500,00", False),
])
def test_reasoning_reads_ptbr_numbers(by_task: dict, text: str, correct: bool) -> None:
    truth = by_task["reasoning"][0]["ground_truth"]  # answer 150.0
    assert rewards.score("reasoning", text, truth)["task"] == (1.0 if correct else 0.0)


def test_reasoning_rounded_to_written_decimals(by_task: dict) -> None:
    truth = by_task["reasoning"][1]["ground_truth"]  # 14.9918...
    assert rewards.score("reasoning", "Resposta: 14,99%", truth)["task"] == 1.0
    assert rewards.score("reasoning", "Resposta: 15", truth)["task"] == 0.0
    assert rewards.score("reasoning", "Resposta: 15", truth)["partial"] > 0.9
