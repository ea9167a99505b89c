"""Reasoning: an answer is right within the rounding the question asks for."""
from __future__ import annotations

import pytest

import rewards
from factory.prompts.reasoning import ReasoningGenerator
from factory.prompts.base import GenerationContext

MEAN = {"answer": 160.33, "decimals": 2,
        "reference": "Soma: 150 + 171 + 160 = 481.\nMédia: 481 ÷ 3 = 160,33.\nResposta: 160,33"}
COUNT = {"answer": 250.0, "decimals": 0, "reference": "Com a reposição: 250.\nResposta: 250"}


@pytest.mark.parametrize("answer, right", [
    ("160,333", True), ("160,33", True), ("160,3333", True), ("160.33", True), ("R$ 160,33", True),
    ("160,3", False), ("160", False), ("160,34", False), ("161", False), ("0,16 mil", False),
])
def test_two_decimals_asked(answer, right):
    text = f"A soma é 481 e a média é 481 ÷ 3.\nResposta: {answer}"
    assert rewards.score("reasoning", text, MEAN)["task"] == (1.0 if right else 0.0)


@pytest.mark.parametrize("answer, right", [("250", True), ("250,0", True), ("250,4", True), ("251", False)])
def test_whole_count_asked(answer, right):
    assert rewards.score("reasoning", f"Resposta: {answer}", COUNT)["task"] == (1.0 if right else 0.0)


def test_generated_truths_carry_the_rounding_their_question_asks_for():
    ctx = GenerationContext({"prompts": {"seed": 0, "counts": {}, "pool_factor": 1}, "mix": {"general_ratio": 0.3}})
    gen = ReasoningGenerator(ctx)
    for cand, _ in zip(gen.candidates(), range(48)):
        decimals = cand.truth.decimals
        assert decimals == (0 if "Com quantas unidades" in cand.user else 2), cand.user
        assert rewards.score("reasoning", cand.truth.reference, cand.truth)["task"] == 1.0
        if decimals == 2 and "média de pedidos" in cand.user:
            assert "duas casas decimais" in cand.user


@pytest.mark.parametrize("answer", ["1" + "0" * 40, "9" * 400, "1e999", "-" + "8" * 30])
def test_a_number_too_long_to_round_is_wrong_not_a_crash(answer):
    """A collapsed model writes digits to the length limit; the gemma-3-270m SFT samples did, and the
    Decimal rounding raised InvalidOperation inside the SFT stage."""
    scores = rewards.score("reasoning", f"Resposta: {answer}", MEAN)
    assert scores["task"] == 0.0 and 0.0 <= scores["reward"] < 0.5
