"""rewards.consistency: a reference that contradicts its own facts is reported with its record id."""
from __future__ import annotations

import pytest

from factory.prompts.insights import COMPARISON_ITEMS, closing_line, conclude
from rewards.consistency import check_references, expected_answers, trend_answers
from schemas.tasks import InsightsTruth, TableRow

TABLE = [
    TableRow(label="Paraná (PR)", entity="PR", values={"orders": 120, "revenue": 24000.0, "ticket": 200.0, "late_pct": 6.2, "score": 4.2}),
    TableRow(label="Bahia (BA)", entity="BA", values={"orders": 80, "revenue": 20000.0, "ticket": 250.0, "late_pct": 9.1, "score": 4.2}),
    TableRow(label="Goiás (GO)", entity="GO", values={"orders": 300, "revenue": 90000.0, "ticket": 300.0, "late_pct": 1.0, "score": 4.9}),
]
CONCLUSIONS = [conclude(item, rule, metric, ["PR", "BA"], TABLE) for item, rule, metric in COMPARISON_ITEMS]
NAMES = {"PR": "Paraná", "BA": "Bahia", "GO": "Goiás"}
GOOD_REFERENCE = ("O Paraná teve 120 pedidos e R$ 24.000,00 de receita; a Bahia, 80 pedidos e R$ 20.000,00. Ticket "
                  "de R$ 200,00 contra R$ 250,00, atraso de 6,2% contra 9,1% e nota 4,2 nos dois.\n"
                  + closing_line(CONCLUSIONS, NAMES))


def insights(rid: str, **over) -> dict:
    truth = dict(facts=[], entities=["Paraná", "Bahia"], reference=GOOD_REFERENCE, table=TABLE, conclusions=CONCLUSIONS)
    truth.update(over)
    return {"id": rid, "task": "insights", "ground_truth": InsightsTruth(**truth).model_dump()}


def churn(rid: str, p: float, label: bool) -> dict:
    return {"id": rid, "task": "churn", "ground_truth": {
        "will_churn": True, "churn_probability": 0.8, "cutoff_date": "2018-01-01", "horizon_days": 180,
        "reference_probability": p, "reference_will_churn": label}}


def test_expected_answers_ties_and_trends():
    assert expected_answers("max", "orders", ["PR", "BA"], TABLE) == ["PR"]
    assert expected_answers("min", "late_pct", ["PR", "BA"], TABLE) == ["PR"]
    assert expected_answers("max", "score", ["PR", "BA"], TABLE) == ["empate", "PR", "BA"]
    assert trend_answers(100, 120) == ["alta"] and trend_answers(100, 80) == ["queda"]
    assert trend_answers(100, 102) == ["estabilidade"] and trend_answers(100, 105.5) == ["alta", "estabilidade"]
    with pytest.raises(ValueError, match="not in the table"):
        expected_answers("max", "orders", ["PR", "SP"], TABLE)


def test_consistent_records_have_no_problems():
    records = [insights("insights-comparison-0000"), churn("churn-low-0000", 0.62, True),
               churn("churn-low-0001", 0.5, True), churn("churn-low-0002", 0.49, False),
               {"id": "reasoning-arithmetic-0000", "task": "reasoning",
                "ground_truth": {"answer": 160.33, "decimals": 2, "reference": "481 ÷ 3 = 160,333...\nResposta: 160,333"}},
               {"id": "push-customer-0000", "task": "push", "ground_truth": {
                   "max_chars": 90, "category": "cama mesa banho", "allowed_discount_pct": None,
                   "reference": "Novidades em cama mesa banho chegaram! Volte e confira."}}]
    assert check_references(records) == []


def test_contradicting_references_are_named():
    wrong_accepted = [c.model_copy(update={"accepted": ["BA"]}) if c.metric == "orders" else c for c in CONCLUSIONS]
    old_best = GOOD_REFERENCE.replace("mais pedidos: Paraná", "mais pedidos: Bahia")  # a composite "best" rule
    records = [
        insights("insights-comparison-0001", conclusions=wrong_accepted),
        insights("insights-comparison-0002", reference=old_best),
        insights("insights-comparison-0003", reference=GOOD_REFERENCE.replace("R$ 24.000,00", "R$ 31.500,00")),
        insights("insights-comparison-0004", table=[], conclusions=[]),
        churn("churn-high-0000", 0.41, True),
        {"id": "reasoning-percentage-0000", "task": "reasoning",
         "ground_truth": {"answer": 160.33, "decimals": 2, "reference": "Resposta: 160,3"}},
        {"id": "push-segment-0000", "task": "push", "ground_truth": {
            "max_chars": 90, "category": "cama mesa banho", "allowed_discount_pct": 10.0,
            "reference": "Cama mesa banho com 10% off e frete grátis só hoje! Confira."}},
    ]
    problems = check_references(records)
    text = "\n".join(problems)
    for r in records:
        assert r["id"] in text, r["id"]
    assert "accepts ['BA'], the table gives ['PR']" in text
    assert "reference concludes 'BA' on 'mais pedidos'" in text
    assert "does not support" in text
    assert "reference_will_churn=True contradicts reference_probability=0.41" in text
