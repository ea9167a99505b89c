"""The answer format is declared once: the system prompts of the JSON tasks are written from the
scorers' field specs, so a field added to a scorer shows up in the prompt and vice versa."""
from __future__ import annotations

import pytest

from rewards import churn, extraction, sentiment
from rewards.fields import FieldSpec, JsonAnswer, one_of


def test_every_field_of_every_json_prompt_is_in_its_system_prompt() -> None:
    from factory.prompts.churn import SYSTEM as CHURN
    from factory.prompts.extraction import SYSTEM as EXTRACTION
    from factory.prompts.sentiment import SYSTEM as SENTIMENT

    for answer, system in ((extraction.ANSWER, EXTRACTION), (sentiment.ANSWER, SENTIMENT), (churn.ANSWER, CHURN)):
        for spec in answer.specs:
            assert spec.name in system and spec.described in system, spec.name
    assert f"exatamente estes {len(extraction.ANSWER.specs)} campos" in EXTRACTION
    assert "- delivery_issue, product_issue, seller_issue, would_recommend: true ou false" in EXTRACTION
    assert 'sentiment ("positivo", "neutro" ou "negativo") e sentiment_score (' in SENTIMENT


def test_field_lines_group_alike_fields_and_field_phrase_joins_with_e() -> None:
    answer = JsonAnswer((FieldSpec("a", "number", doc="de 0 a 1"), FieldSpec("b", "bool"), FieldSpec("c", "bool"),
                         FieldSpec("d", "label", ("x", "y"), doc=one_of(("x", "y")))))
    assert answer.field_lines() == '- a: de 0 a 1\n- b, c: true ou false\n- d: "x" ou "y"'
    assert answer.field_phrase() == 'a (de 0 a 1), b (true ou false), c (true ou false) e d ("x" ou "y")'


def test_a_field_the_prompt_cannot_describe_is_an_error() -> None:
    with pytest.raises(ValueError, match="'n': a number field needs a `doc`"):
        JsonAnswer((FieldSpec("n", "number"),)).field_lines()
