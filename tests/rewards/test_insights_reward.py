"""Insights reward: realistic PT-BR answers to a fact-table prompt, scored on conclusions and figures."""
from __future__ import annotations

import pytest

import rewards
from factory.prompts.insights import COMPARISON_ITEMS, closing_line, conclude, table_text
from rewards.insights import conclusion_text, read_conclusions
from schemas.tasks import Fact, InsightsTruth, TableRow

WEIGHT_FORMAT = 0.2

TABLE = [
    TableRow(label="Sergipe (SE)", entity="SE", values={"orders": 31, "revenue": 5120.4, "ticket": 165.17, "late_pct": 9.7, "score": 4.1}),
    TableRow(label="Paraná (PR)", entity="PR", values={"orders": 1234, "revenue": 198765.43, "ticket": 161.07, "late_pct": 6.2, "score": 4.21}),
    TableRow(label="São Paulo (SP)", entity="SP", values={"orders": 5210, "revenue": 801234.5, "ticket": 153.79, "late_pct": 5.1, "score": 4.3}),
    TableRow(label="Bahia (BA)", entity="BA", values={"orders": 456, "revenue": 87654.32, "ticket": 192.23, "late_pct": 12.5, "score": 4.21}),
]
CONCLUSIONS = [conclude(item, rule, metric, ["PR", "BA"], TABLE) for item, rule, metric in COMPARISON_ITEMS]
NAMES = {"PR": "Paraná", "BA": "Bahia", "SP": "São Paulo", "SE": "Sergipe"}
FACTS = [Fact(name=f"{m} {e}", value=r.values[m], unit="") for r in TABLE if r.entity in ("PR", "BA")
         for e in [r.entity] for m in ("orders", "revenue", "ticket", "late_pct", "score")]
REFERENCE = (
    "O Paraná teve 1.234 pedidos e receita de R$ 198.765,43, contra 456 pedidos e R$ 87.654,32 da Bahia. "
    "O ticket médio foi de R$ 161,07 no Paraná e R$ 192,23 na Bahia; a taxa de atraso, 6,2% contra 12,5%, "
    "e a nota média empatou em 4,21.\n" + closing_line(CONCLUSIONS, NAMES)
)
TRUTH = InsightsTruth(facts=FACTS, entities=["Paraná", "Bahia"], reference=REFERENCE, table=TABLE, conclusions=CONCLUSIONS)
QUESTION = ("Compare o desempenho dos clientes do Paraná (PR) e da Bahia (BA): número de pedidos, receita, "
            "ticket médio, taxa de entregas atrasadas e nota média das avaliações.\n\nDados (clientes por estado):\n"
            + table_text("estado", TABLE, ("orders", "revenue", "ticket", "late_pct", "score"))
            + "\n\nItens da conclusão: " + "; ".join(c.item for c in CONCLUSIONS) + ".")

GOOD = """O Paraná concentra bem mais volume: foram 1.234 pedidos e R$ 198,8 mil de receita, frente a 456 pedidos
e R$ 87.654,32 na Bahia — uma diferença de 778 pedidos. Em compensação, o ticket médio baiano é maior
(R$ 192,23 contra R$ 161,07). A logística paranaense é melhor: 6,2% de atrasos contra 12,5%, e as notas
médias são iguais (4,21), então o atraso não chegou a derrubar a satisfação na Bahia.

**Conclusão:** mais pedidos: Paraná; maior receita: Paraná; maior ticket médio: Bahia; menor taxa de atraso: PR; maior nota média: empate."""
BULLETS = """Análise rápida dos dois estados:
- Paraná: 1.234 pedidos, receita de R$ 198.765,43, ticket de R$ 161,07, 6,2% de atraso, nota 4,21.
- Bahia: 456 pedidos, receita de R$ 87.654,32, ticket de R$ 192,23, 12,5% de atraso, nota 4,21.

Conclusão:
- Mais pedidos: Paraná
- Maior receita: Paraná
- Maior ticket médio: Bahia
- Menor taxa de atraso: Paraná
- Maior nota média: empate (4,21 nos dois)"""
WRONG = GOOD.replace("maior ticket médio: Bahia", "maior ticket médio: Paraná").replace("menor taxa de atraso: PR", "menor taxa de atraso: Bahia")
NO_LINE = GOOD.rsplit("\n\n", 1)[0]
TABLE_COPY = table_text("estado", TABLE, ("orders", "revenue", "ticket", "late_pct", "score"))
INVENTED = GOOD.replace("R$ 192,23 contra", "R$ 205,90 contra").replace("6,2% de atrasos", "3,4% de atrasos") \
    + "\nA receita do Paraná cresceu 37,8% no ano e a Bahia perdeu 1.900 clientes."


def s(text: str) -> dict:
    return rewards.score("insights", text, TRUTH, prompt=QUESTION)


def test_reference_and_realistic_good_answers_score_full():
    assert s(REFERENCE)["task"] == pytest.approx(1.0)
    assert s(REFERENCE)["reward"] == pytest.approx(1.0)
    good = s(GOOD)
    assert good["conclusions"] == 1.0 and good["figures_precision"] == 1.0  # 198,8 mil and the 778 difference
    assert good["task"] > 0.9
    assert s(BULLETS)["conclusions"] == 1.0 and s(BULLETS)["task"] > 0.9


@pytest.mark.parametrize("name, text", [("echo", QUESTION), ("table_copy", TABLE_COPY), ("no_line", NO_LINE),
                                        ("empty", ""), ("facts_list", "; ".join(f"{f.name}: {f.value}" for f in FACTS))])
def test_echo_table_copy_and_missing_conclusion_earn_at_most_the_format_weight(name, text):
    scores = s(text)
    assert scores["task"] == 0.0 and scores["partial"] == 0.0, name
    assert scores["reward"] <= WEIGHT_FORMAT + 1e-9, name


def test_conclusion_in_plain_sentences():
    prose_line = ("Conclusão: o Paraná tem mais pedidos, maior receita e menor atraso; a Bahia tem o maior ticket; "
                  "a nota média ficou empatada.")
    assert read_conclusions(prose_line, TRUTH) == ["PR", "PR", "BA", "PR", "empate"]


def test_wrong_conclusions_cost_what_right_ones_earn():
    wrong = s(WRONG)
    assert wrong["answers"][2] == "PR" and wrong["answers"][3] == "BA"
    assert wrong["conclusions"] == pytest.approx((3 - 2) / 5)
    assert wrong["task"] < 0.25 < s(GOOD)["task"]


def test_guessing_every_candidate_is_a_guess_not_a_hedge():
    listed = "Conclusão: " + "; ".join(f"{c.item}: Bahia ou Paraná" for c in CONCLUSIONS)
    answers = read_conclusions(listed, TRUTH)
    assert answers == ["BA"] * 5  # the first named counts
    assert s(listed)["conclusions"] == 0.0  # 2 right (ticket, the tie) - 3 wrong, floored at 0


def test_a_tie_is_a_tie_and_a_distractor_row_is_wrong():
    assert CONCLUSIONS[4].accepted == ["empate", "PR", "BA"]
    tie_named = "Conclusão: maior nota média: Paraná"
    assert read_conclusions(tie_named, TRUTH)[4] == "PR"
    distractor = "Conclusão: mais pedidos: São Paulo; maior receita: São Paulo"
    assert read_conclusions(distractor, TRUTH)[:2] == ["SP", "SP"]
    assert s(distractor)["conclusions"] == 0.0


def test_state_codes_count_only_in_capitals():
    text = "Conclusão: maior ticket médio: se olharmos o ticket, a Bahia."
    assert read_conclusions(text, TRUTH)[2] == "BA"  # "se" is not Sergipe
    assert read_conclusions("Conclusão: maior ticket médio: SE", TRUTH)[2] == "SE"


def test_closing_line_marker_forms():
    assert conclusion_text("texto\n## Conclusão\nmais pedidos: Paraná") == "mais pedidos: Paraná"
    assert conclusion_text("texto\nConclusao - mais pedidos: Paraná") == "mais pedidos: Paraná"
    assert conclusion_text("Em conclusão, o Paraná vai melhor.") is None  # not a closing line


def test_invented_figures_lower_precision_and_task():
    invented = s(INVENTED)
    assert invented["conclusions"] == 1.0
    assert invented["figures_precision"] < 0.75
    assert invented["task"] < s(GOOD)["task"] - 0.1


def test_right_conclusions_without_figures_get_part_credit():
    bare = s(REFERENCE.splitlines()[-1])
    assert bare["conclusions"] == 1.0 and bare["task"] == pytest.approx(0.4)


TREND_TABLE = [TableRow(label=f"mês {m}", entity=m, values={"orders": o, "revenue": r})
               for m, o, r in (("2018-02", 40, 9000.0), ("2018-03", 30, 6000.0), ("2018-04", 36, 6100.0),
                               ("2018-05", 45, 6280.0), ("2018-06", 20, 3000.0))]
TREND = InsightsTruth(
    facts=[Fact(name="pedidos 2018-03", value=30), Fact(name="pedidos 2018-05", value=45)],
    entities=["2018-03", "2018-05"], reference="x", table=TREND_TABLE,
    conclusions=[conclude("tendência dos pedidos", "trend", "orders", ["2018-03", "2018-04", "2018-05"], TREND_TABLE),
                 conclude("tendência da receita", "trend", "revenue", ["2018-03", "2018-04", "2018-05"], TREND_TABLE)])


@pytest.mark.parametrize("line, expected", [
    ("Conclusão: tendência dos pedidos: alta; tendência da receita: estabilidade", 1.0),
    ("Conclusão: os pedidos cresceram; a receita ficou estável", 1.0),
    ("Conclusão: tendência dos pedidos: crescimento de 50%; tendência da receita: leve alta de 3%", 1.0),
    ("Conclusão: tendência dos pedidos: queda; tendência da receita: queda", 0.0),
])
def test_trend_directions_in_portuguese(line, expected):
    assert TREND.conclusions[0].accepted == ["alta"]
    assert TREND.conclusions[1].accepted == ["estabilidade", "alta"]  # +4,7% is near the 5% line: both right
    assert rewards.score("insights", line, TREND)["conclusions"] == expected


def test_hand_written_truth_without_a_table_is_scored_on_its_figures():
    legacy = InsightsTruth(facts=[Fact(name="receita SP", value=1234.5, unit="R$")], entities=["São Paulo"],
                           reference="Em São Paulo a receita foi de R$ 1.234,50.")
    assert rewards.score("insights", legacy.reference, legacy)["task"] == 1.0
    assert rewards.score("insights", "Em São Paulo a receita foi boa.", legacy)["task"] == pytest.approx(0.4)
    assert rewards.score("insights", "Em São Paulo a receita foi de R$ 9.999,00.", legacy)["task"] == pytest.approx(0.4)
