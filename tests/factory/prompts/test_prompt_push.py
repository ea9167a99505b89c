"""Push prompts: rules a model can follow, and references that meet them (a complete notification)."""
from __future__ import annotations

import rewards
from common.io import read_jsonl
from factory.prompts.push import SYSTEM
from rewards.consistency import check_references


def test_references_are_complete_notifications_under_their_rules(prompt_sets):
    records = read_jsonl(prompt_sets.root / "by_task" / "push.jsonl")
    assert check_references(records) == []
    for r in records:
        user = r["messages"][1]["content"]
        assert "Não invente frete grátis, brindes nem prazos." in user
        scores = rewards.score("push", r["ground_truth"]["reference"], r["ground_truth"], prompt=user)
        assert scores["task"] == 1.0 and scores["cta"] == 1.0 and scores["reason"] == 1.0, r["id"]
        echo = rewards.score("push", user, r["ground_truth"], prompt=user)
        assert echo["task"] == 0.0
    assert "chamada para ação" in SYSTEM and "frete grátis" in SYSTEM
