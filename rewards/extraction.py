"""Review extraction: ten fields scored one by one (see `rewards.fields`)."""
from __future__ import annotations

from typing import Any

from rewards.base import Options
from rewards.fields import FieldSpec, JsonAnswer, polarity_field
from schemas.tasks import COMPLAINT_CATEGORIES, ExtractionTruth

FIELDS: tuple[FieldSpec, ...] = (
    polarity_field(),
    FieldSpec("sentiment_score", "number", bounds=(-1.0, 1.0), scale=1.0),
    FieldSpec("complaint_category", "label", COMPLAINT_CATEGORIES),
    FieldSpec("churn_risk", "number", bounds=(0.0, 1.0), scale=0.5),
    FieldSpec("repeat_intent", "number", bounds=(0.0, 1.0), scale=0.5),
    FieldSpec("delivery_issue", "bool"),
    FieldSpec("product_issue", "bool"),
    FieldSpec("seller_issue", "bool"),
    FieldSpec("would_recommend", "bool"),
    FieldSpec("main_complaint", "text"),
)
ANSWER = JsonAnswer(FIELDS)


def score(completion: str, truth: ExtractionTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    return ANSWER.score(completion, truth)[0]
