"""Ground truth per task: what a correct answer must contain, checked by `rewards/`.

Answer formats the system prompts ask for (and that `rewards.render.gold_answer` writes):
extraction, sentiment, churn -> one JSON object with the fields below; sql -> one SQL query in a
```sql fence; insights, push, reasoning -> PT-BR text (reasoning ends with "Resposta: <valor>").
"""
from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

TASKS = ("extraction", "sentiment", "sql", "churn", "insights", "push", "reasoning")

# Strata (the `difficulty` field) per task; the benchmark draws exactly these.
STRATA: dict[str, tuple[str, ...]] = {
    "extraction": ("easy", "hard"),
    "sentiment": ("positive", "neutral", "negative"),
    "sql": ("simple", "join", "aggregate"),
    "churn": ("low", "medium", "high"),
    "insights": ("comparison", "trend", "recommendation"),
    "push": ("customer", "segment"),
    "reasoning": ("arithmetic", "percentage", "multi_step"),
}

Polarity = Literal["positivo", "neutro", "negativo"]

# Complaint categories for extraction; "nenhuma" means the review has no complaint.
COMPLAINT_CATEGORIES = (
    "nenhuma",
    "atraso_entrega",
    "produto_nao_recebido",
    "produto_defeituoso",
    "produto_diferente",
    "atendimento_vendedor",
    "embalagem",
    "preco",
    "outro",
)
ComplaintCategory = Literal[
    "nenhuma", "atraso_entrega", "produto_nao_recebido", "produto_defeituoso",
    "produto_diferente", "atendimento_vendedor", "embalagem", "preco", "outro",
]


class _Truth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExtractionTruth(_Truth):
    """The 10-field review extraction."""

    sentiment: Polarity
    sentiment_score: float = Field(ge=-1, le=1)
    complaint_category: ComplaintCategory
    churn_risk: float = Field(ge=0, le=1)
    repeat_intent: float = Field(ge=0, le=1)
    delivery_issue: bool
    product_issue: bool
    seller_issue: bool
    would_recommend: bool
    main_complaint: str = Field(max_length=160)  # "" when complaint_category == "nenhuma"


class SentimentTruth(_Truth):
    sentiment: Polarity
    sentiment_score: float = Field(ge=-1, le=1)


class SqlTruth(_Truth):
    """Gold SQL, executed at build time against data/commerce.db, and its stored result."""

    gold_sql: str
    columns: list[str]
    rows: list[list[Any]]
    ordered: bool  # True when the gold has ORDER BY: row order then counts


class ChurnTruth(_Truth):
    """What the data says happened after the cutoff (never invented)."""

    will_churn: bool                 # no purchase within horizon_days after cutoff
    churn_probability: float = Field(ge=0, le=1)  # reference calibration target for the stratum
    cutoff_date: str                 # YYYY-MM-DD
    horizon_days: int


class Fact(_Truth):
    name: str
    value: float
    rel_tolerance: float = 0.02
    unit: str = ""


class InsightsTruth(_Truth):
    """A reference fact sheet computed from commerce.db: figures a correct answer must get right."""

    facts: list[Fact]
    entities: list[str]              # names the answer must mention (states, categories, months)
    reference: str                   # a reference answer written from the facts


class PushTruth(_Truth):
    max_chars: int
    category: str                    # must be mentioned (PT name, any accent/case)
    allowed_discount_pct: float | None = None  # None: any discount mention is invented
    reference: str


class ReasoningTruth(_Truth):
    answer: float
    rel_tolerance: float = 1e-6
    reference: str                   # a worked solution ending in "Resposta: <valor>"


GroundTruth = Union[
    ExtractionTruth, SentimentTruth, SqlTruth, ChurnTruth, InsightsTruth, PushTruth, ReasoningTruth
]

TRUTH_MODELS: dict[str, type[_Truth]] = {
    "extraction": ExtractionTruth,
    "sentiment": SentimentTruth,
    "sql": SqlTruth,
    "churn": ChurnTruth,
    "insights": InsightsTruth,
    "push": PushTruth,
    "reasoning": ReasoningTruth,
}


def parse_truth(task: str, data: dict | str) -> _Truth:
    """Validate a ground truth (a dict, or the JSON string that HF/TRL datasets carry)."""
    model = TRUTH_MODELS[task]
    if isinstance(data, str):
        return model.model_validate_json(data)
    return model.model_validate(data)
