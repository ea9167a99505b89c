"""Ground truth per task: what a correct answer must contain, checked by `rewards/`.

Answer formats the system prompts ask for (and that `rewards.render.gold_answer` writes):
extraction, sentiment, churn -> one JSON object with the fields below; sql -> one SQL query in a
```sql fence; insights, push, reasoning -> PT-BR text (insights ends with a "Conclusão: <item>: <resposta>; ..."
line, reasoning with "Resposta: <valor>"). Churn's gold answer is the reference model's
(`reference_probability`, `reference_will_churn`); the reward grades the outcome `will_churn`.
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

# Tasks whose headline task score is the mean of the per-outcome-class means (ground-truth key of
# the outcome): with 15 benchmark prompts in 3 odd-sized bands the classes cannot be exactly even,
# and a plain mean would pay a constant answer 8/15; class-balanced, a constant scores exactly 0.5.
CLASS_BALANCED: dict[str, str] = {"churn": "will_churn"}

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

    will_churn: bool                 # the outcome: no purchase within horizon_days after cutoff
    churn_probability: float = Field(ge=0, le=1)  # the stratum's churn rate over all profiles
    cutoff_date: str                 # YYYY-MM-DD
    horizon_days: int
    # The gold answer a model is trained on: a calibrated model's probability (fit on the training
    # and unused customers, never the benchmark's) and the label that follows from it (p >= 0.5).
    # The reward checks the outcome above; None only in hand-written truths.
    reference_probability: float | None = Field(default=None, ge=0, le=1)
    reference_will_churn: bool | None = None


class Fact(_Truth):
    name: str
    value: float
    rel_tolerance: float = 0.02
    unit: str = ""


class TableRow(_Truth):
    """One row of the fact table shown in an insights prompt, values as displayed (rounded)."""

    label: str                       # the row as shown: "Paraná (PR)", "março de 2018"
    entity: str                      # the name an answer uses for it: "PR", "cama mesa banho", "2018-03"
    values: dict[str, float]         # column key (factory.prompts.insights.COLUMNS) -> value


class Conclusion(_Truth):
    """One item of the closing "Conclusão:" line and the answers that follow from the table.

    rule "max"/"min": the entity of `rows` with the highest/lowest `metric` (a tie accepts "empate"
    and every tied entity); rule "trend": the direction of `metric` from the first to the last of
    `rows` ("alta", "queda", "estabilidade"; both sides accepted near the threshold).
    """

    item: str                        # as the question lists it: "maior receita"
    rule: Literal["max", "min", "trend"]
    metric: str                      # a column key
    rows: list[str]                  # TableRow.entity values compared (max/min) or first..last (trend)
    accepted: list[str]              # right answers; the first is the reference's


class InsightsTruth(_Truth):
    """A fact table computed from commerce.db (shown in the prompt), the conclusions that follow
    from it, the figures a good answer cites, and a reference answer written from them."""

    facts: list[Fact]                # the figures the question is about (rows asked, metrics asked)
    entities: list[str]              # names the answer must mention (states, categories, months)
    reference: str                   # a reference answer written from the facts, ending in "Conclusão: ..."
    table: list[TableRow] = Field(default_factory=list)           # empty only in hand-written truths
    conclusions: list[Conclusion] = Field(default_factory=list)


class PushTruth(_Truth):
    max_chars: int
    category: str                    # must be mentioned (PT name, any accent/case)
    allowed_discount_pct: float | None = None  # None: any discount mention is invented
    reference: str


class ReasoningTruth(_Truth):
    answer: float
    rel_tolerance: float = 1e-6
    reference: str                   # a worked solution ending in "Resposta: <valor>"
    # The decimals the question asks for: an answer is right when it rounds (half up) to the
    # answer at these decimals ("160,333" and "160,33" for 481 / 3 to two places); None: tolerance.
    decimals: int | None = Field(default=None, ge=0, le=6)


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
