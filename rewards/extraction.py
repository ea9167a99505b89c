"""Review extraction: ten fields scored one by one (see `rewards.fields`)."""
from __future__ import annotations

from typing import Any

from rewards.base import Options
from rewards.fields import FieldSpec, JsonAnswer, polarity_field
from schemas.tasks import COMPLAINT_CATEGORIES, ExtractionTruth

FIELDS: tuple[FieldSpec, ...] = (
    polarity_field(),
    FieldSpec("sentiment_score", "number", bounds=(-1.0, 1.0), scale=1.0,
              doc="número de -1 (muito negativo) a 1 (muito positivo)"),
    FieldSpec("complaint_category", "label", COMPLAINT_CATEGORIES,
              doc=f"uma de {', '.join(COMPLAINT_CATEGORIES)} (\"nenhuma\" quando não há reclamação)"),
    FieldSpec("churn_risk", "number", bounds=(0.0, 1.0), scale=0.5, doc="de 0 a 1, chance de o cliente não comprar de novo"),
    FieldSpec("repeat_intent", "number", bounds=(0.0, 1.0), scale=0.5, doc="de 0 a 1, intenção de comprar novamente"),
    FieldSpec("delivery_issue", "bool"),
    FieldSpec("product_issue", "bool"),
    FieldSpec("seller_issue", "bool"),
    FieldSpec("would_recommend", "bool"),
    FieldSpec("main_complaint", "text", doc="a reclamação principal em poucas palavras (\"\" quando não há reclamação)"),
)
ANSWER = JsonAnswer(FIELDS)


def score(completion: str, truth: ExtractionTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    return ANSWER.score(completion, truth)[0]
