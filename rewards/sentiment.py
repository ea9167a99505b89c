"""Sentiment: polarity (exact after normalization) and score (by distance)."""
from __future__ import annotations

from typing import Any

from rewards.base import Options
from rewards.fields import FieldSpec, JsonAnswer, polarity_field
from schemas.tasks import SentimentTruth

FIELDS: tuple[FieldSpec, ...] = (
    polarity_field(weight=1.5),
    FieldSpec("sentiment_score", "number", bounds=(-1.0, 1.0), scale=1.0, doc="número de -1, muito negativo, a 1, muito positivo"),
)
ANSWER = JsonAnswer(FIELDS)


def score(completion: str, truth: SentimentTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    return ANSWER.score(completion, truth)[0]
