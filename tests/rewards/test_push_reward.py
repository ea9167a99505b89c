"""Push reward: a complete notification earns it; a bare category, an echo, a generic line, invented
free shipping or an over-discount earn little (task score at most the format weight)."""
from __future__ import annotations

import pytest

import rewards
from factory.prompts.push import TEMPLATE_CUSTOMER, discount_rule
from rewards.push import invented
from schemas.tasks import PushTruth

WEIGHT_FORMAT = 0.2
NO_DISCOUNT = PushTruth(max_chars=90, category="moveis decoracao", allowed_discount_pct=None,
                        reference="Novidades em moveis decoracao chegaram! Volte e confira.")
TEN_OFF = PushTruth(max_chars=120, category="cama mesa banho", allowed_discount_pct=10.0,
                    reference="Seu cupom de 10% em cama mesa banho está esperando. Aproveite!")
PROMPT = TEMPLATE_CUSTOMER.format(state="em Minas Gerais", recency=375, orders=1, spent="R$ 204,25",
                                  category="moveis decoracao", max_chars=90, discount_rule=discount_rule(None))


def s(text: str, truth: PushTruth = NO_DISCOUNT, prompt: str = "") -> dict:
    return rewards.score("push", text, truth, prompt=prompt)


@pytest.mark.parametrize("text, truth", [
    ("Novidades em moveis decoracao chegaram! Volte e confira.", NO_DISCOUNT),
    ("Sua casa merece: chegaram peças novas de Móveis & Decoração. Vem conferir!", NO_DISCOUNT),
    ("Faz tempo! Separamos móveis e decoração com a sua cara. Dá uma olhada.", NO_DISCOUNT),
    ("Use seu cupom de 10% em cama, mesa e banho e renove o quarto. Aproveite!", TEN_OFF),
])
def test_complete_notifications_score_full(text, truth):
    scores = s(text, truth)
    assert scores["task"] == pytest.approx(1.0), scores
    assert scores["reward"] == pytest.approx(1.0)


@pytest.mark.parametrize("name, text, prompt", [
    ("bare_category", "moveis decoracao!", ""),
    ("bare_category_caps", "MÓVEIS DECORAÇÃO", ""),
    ("echo", PROMPT, ""),
    ("echo_truncated", PROMPT[:88], PROMPT),
    ("generic", "Sentimos sua falta! Volte e confira as novidades que separamos para você.", ""),
    ("free_shipping", "Frete grátis em móveis e decoração para você. Aproveite!", ""),
    ("deadline", "Novidades em móveis e decoração só hoje! Confira.", ""),
    ("gift", "Ganhe um brinde nas compras de móveis e decoração. Confira!", ""),
    ("discount_not_allowed", "Volte! 10% de desconto em móveis e decoração. Confira!", ""),
    ("placeholder", "{nome}, chegaram novidades em móveis e decoração. Confira!", ""),
])
def test_trivial_and_dishonest_answers_earn_at_most_the_format_weight(name, text, prompt):
    assert s(text, prompt=prompt)["task"] <= WEIGHT_FORMAT + 1e-9, name


def test_over_discount_and_free_shipping_zero_the_task():
    assert s("Volte! 15% de desconto em cama mesa banho para você. Confira!", TEN_OFF)["task"] == 0.0
    assert s("Volte! 10% de desconto em cama mesa banho para você. Confira!", TEN_OFF)["task"] == 1.0
    assert s("Cama mesa banho com 10% off e frete grátis. Confira!", TEN_OFF)["invented"] == ["free_shipping"]


def test_a_call_to_action_and_a_sentence_both_count():
    short = s("Confira moveis decoracao!")  # category and a call, no sentence: a generic line
    no_cta = s("Chegaram novidades em moveis decoracao pensando em você.")  # no call to action
    full = s("Chegaram novidades em moveis decoracao pensando em você. Confira!")
    assert short["task"] == pytest.approx(0.2) and no_cta["task"] == 0.0
    assert short["task"] <= WEIGHT_FORMAT + 1e-9
    assert full["task"] == 1.0


def test_length_limit_decays():
    long = s("Chegaram novidades em moveis decoracao pensando em você e na sua casa nova. Volte e confira agora mesmo!")
    assert long["chars"] > 90 and 0.0 < long["length_ok"] < 1.0 and long["task"] < 1.0


@pytest.mark.parametrize("text, kinds", [
    ("Entrega grátis para todo o Brasil!", ["free_shipping"]),
    ("Oferta válida até domingo.", ["deadline"]),
    ("Últimas unidades em estoque!", ["deadline"]),
    ("Por tempo limitado: confira.", ["deadline"]),
    ("A partir de R$ 19,90. Confira!", ["price"]),
    ("Chegaram novidades hoje. Confira!", []),
    ("Sem frete para você.", ["free_shipping"]),
])
def test_invented_benefits(text, kinds):
    assert invented(text) == kinds


def test_the_grpo_reward_sees_the_prompt_as_score_does():
    """TRL passes the conversation; the push reward must read its question to catch an echo."""
    reward = rewards.get("push")
    conversation = [{"role": "system", "content": "Você escreve notificações."}, {"role": "user", "content": PROMPT}]
    echo = PROMPT[:88]
    got = reward(prompts=[conversation, conversation], completions=[echo, NO_DISCOUNT.reference],
                 task=["push", "sql"], ground_truth=[NO_DISCOUNT.model_dump_json(), "{}"])
    assert got == [pytest.approx(s(echo, prompt=PROMPT)["reward"]), None]
    assert s(echo, prompt=PROMPT)["not_echo"] == 0.0
    with pytest.raises(ValueError, match="2 tasks, 1 prompts"):
        reward(prompts=[conversation], completions=[echo, echo], task=["push", "push"],
               ground_truth=[NO_DISCOUNT.model_dump_json()] * 2)
