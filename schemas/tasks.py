"""The task registry and the ground truth of each task: what a correct answer must contain.

A task is one `TaskSpec` (its strata and benchmark quota, truth model, generator, scorer, gold
renderer, self-test hooks, dataset-card line), registered with `register`; every stage iterates the
registry, so a task added by a plugin (`factory/tasks/`) is seen everywhere. The seven built-in tasks
are registered at the end of this module. `TASKS`, `STRATA`, `CLASS_BALANCED` and `TRUTH_MODELS`
are live views of the registry, not separate lists.

Answer formats the system prompts ask for (and that `rewards.render.gold_answer` writes):
extraction, sentiment, churn -> one JSON object with the fields of the task's `rewards` JsonAnswer;
sql -> one SQL query in a ```sql fence; insights, push, reasoning -> PT-BR text (insights ends with a
"Conclusão: <item>: <resposta>; ..." line, reasoning with "Resposta: <valor>"). Churn's gold answer is
the reference model's (`reference_probability`, `reference_will_churn`); the reward grades the
outcome `will_churn`.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

# A reference to code in a layer above schemas/ (a generator in factory/, a scorer in rewards/):
# "package.module:attribute", imported only when a consumer resolves it, or the object itself.
Ref = Union[str, Callable[..., Any], type, object]


def resolve(ref: Ref) -> Any:
    """The object a "module:attr" reference names (imported on first use); an object is returned as is."""
    if not isinstance(ref, str):
        return ref
    module, sep, attr = ref.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"task reference {ref!r} must be 'package.module:attribute'")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ImportError(f"task reference {ref!r} cannot be resolved: {exc}") from exc


@dataclass(frozen=True)
class TaskSpec:
    """Everything the pipeline knows about one task; references are "module:attr" strings or objects.

    JSON-answer tasks give `answer` (a `rewards.fields.JsonAnswer`: its field specs are the answer
    format, so renderer, trivial answerers and self-test derive the fields from it); text tasks
    give `gold` (truth -> the gold completion).
    """

    name: str
    strata: tuple[str, ...]                      # the record's `difficulty` values, in report order
    truth: type[BaseModel]                       # the ground-truth model
    doc: str                                     # one line for the dataset card
    generator: Ref                               # a factory.prompts.base.TaskGenerator subclass
    scorer: Ref                                  # (completion, truth, options, prompt) -> sub-scores
    benchmark: Mapping[str, int] = field(default_factory=dict)  # held-out prompts per stratum ({}: none)
    answer: Ref | None = None                    # JSON tasks: the JsonAnswer declaring the fields
    gold: Ref | None = None                      # text tasks: truth -> gold completion
    answer_object: Ref | None = None             # JSON tasks: truth -> gold answer dict (default: its fields)
    oracle: Ref | None = None                    # truth -> the answer that must score 1 (default: gold)
    batch_scorer: Ref | None = None              # (completions, truths, options) -> sub-scores, one call
    variants: Ref | None = None                  # self-test, text tasks: (truth, gold) -> {name: right answer}
    corruptions: Ref | None = None               # self-test: (task, truth, gold, id) -> {name: wrong answer}
    check: Ref | None = None                     # self-test: (record id, truth) -> problems of the reference
    outcome_key: str | None = None               # class-balanced task score over this truth key
    balanced_fields: bool = False                # JSON tasks: task score class-balanced field by field
    general_mix: bool = False                    # training count from mix.general_ratio, not prompts.counts

    def __post_init__(self) -> None:
        object.__setattr__(self, "strata", tuple(self.strata))
        object.__setattr__(self, "benchmark", dict(self.benchmark))
        where = f"task {self.name!r}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"{where}: a task name is lower-case letters, digits and '_'")
        if not self.strata or len(set(self.strata)) != len(self.strata):
            raise ValueError(f"{where}: strata must be distinct and at least one, got {self.strata}")
        if not (isinstance(self.truth, type) and issubclass(self.truth, BaseModel)):
            raise TypeError(f"{where}: truth must be a pydantic model class, got {self.truth!r}")
        if self.benchmark and (set(self.benchmark) != set(self.strata)
                               or any(not isinstance(n, int) or n <= 0 for n in self.benchmark.values())):
            raise ValueError(f"{where}: benchmark must give a positive count for every stratum {self.strata}, "
                             f"got {self.benchmark}")
        if self.outcome_key is not None and self.outcome_key not in self.truth.model_fields:
            raise ValueError(f"{where}: outcome_key {self.outcome_key!r} is not a field of {self.truth.__name__}")
        if self.balanced_fields and (self.answer is None or self.outcome_key is not None):
            raise ValueError(f"{where}: balanced_fields needs a JSON `answer` and no outcome_key")
        if (self.answer is None) == (self.gold is None):
            raise ValueError(f"{where}: give exactly one of `answer` (a JSON answer) or `gold` (a text answer)")

    @property
    def is_json(self) -> bool:
        return self.answer is not None


_REGISTRY: dict[str, TaskSpec] = {}
_VERSION = [0]  # bumped by every registration: the live views rebuild when it changes


def register(spec: TaskSpec) -> TaskSpec:
    """Add a task (registering an equal spec again is a no-op; another spec under a taken name is an error)."""
    known = _REGISTRY.get(spec.name)
    if known is not None:
        if known == spec:
            return known
        raise ValueError(f"task {spec.name!r} is already registered (schemas.tasks or a plugin in factory/tasks)")
    _REGISTRY[spec.name] = spec
    _VERSION[0] += 1
    return spec


def spec(name: str) -> TaskSpec:
    """The registered spec of `name`, or a KeyError listing the registered tasks."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; registered: {', '.join(_REGISTRY)}") from None


def specs() -> tuple[TaskSpec, ...]:
    """Every registered task, in registration order (built-ins first): the order of every report."""
    return tuple(_REGISTRY.values())


class LiveMapping(Mapping):
    """A read-only mapping rebuilt from the registry whenever a task is registered."""

    def __init__(self, build: Callable[[], dict[str, Any]]):
        self._build, self._cache, self._version = build, {}, -1

    def _data(self) -> dict[str, Any]:
        if self._version != _VERSION[0]:
            self._cache, self._version = self._build(), _VERSION[0]
        return self._cache

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return repr(self._data())


class _TaskNames(Sequence):
    """The registered task names in order (compares equal to a tuple or list of the same names)."""

    def _names(self) -> tuple[str, ...]:
        return tuple(_REGISTRY)

    def __getitem__(self, i):
        return self._names()[i]

    def __len__(self) -> int:
        return len(_REGISTRY)

    def __contains__(self, name: object) -> bool:
        return name in _REGISTRY

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (tuple, list, Sequence)) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self._names())

    def __repr__(self) -> str:
        return repr(self._names())


TASKS: Sequence[str] = _TaskNames()
# Strata (the `difficulty` field) per task; the benchmark draws exactly `TaskSpec.benchmark` of them.
STRATA: Mapping[str, tuple[str, ...]] = LiveMapping(lambda: {s.name: s.strata for s in specs()})
# Tasks whose headline task score is the mean of the per-outcome-class means (ground-truth key of
# the outcome): with 15 benchmark prompts in 3 odd-sized bands the classes cannot be exactly even,
# and a plain mean would pay a constant answer 8/15; class-balanced, a constant scores exactly 0.5.
CLASS_BALANCED: Mapping[str, str] = LiveMapping(lambda: {s.name: s.outcome_key for s in specs() if s.outcome_key})
# Tasks whose task score is class-balanced field by field (rewards.aggregate): a multi-field answer
# whose booleans are mostly false would otherwise pay a constant "no issue" answer over half marks.
FIELD_BALANCED: Mapping[str, bool] = LiveMapping(lambda: {s.name: True for s in specs() if s.balanced_fields})
# The held-out benchmark: exactly these prompts per task and stratum (80 for the built-in tasks).
BENCHMARK_STRATA: Mapping[str, dict[str, int]] = LiveMapping(
    lambda: {s.name: dict(s.benchmark) for s in specs() if s.benchmark})


def benchmark_size() -> int:
    return sum(sum(quota.values()) for quota in BENCHMARK_STRATA.values())


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

TRUTH_MODELS: Mapping[str, type[BaseModel]] = LiveMapping(lambda: {s.name: s.truth for s in specs()})


def parse_truth(task: str, data: dict | str) -> BaseModel:
    """Validate a ground truth (a dict, or the JSON string that HF/TRL datasets carry)."""
    model = TRUTH_MODELS[task]
    if isinstance(data, str):
        return model.model_validate_json(data)
    return model.model_validate(data)


# --- the built-in tasks (generators in factory/prompts/, scorers and renderers in rewards/) ----------
register(TaskSpec(
    "extraction", ("easy", "hard"), ExtractionTruth,
    doc="review + order metadata -> 10-field JSON (sentiment, score, complaint category, churn risk, "
        "repeat intent, delivery/product/seller issue, would recommend, main complaint); rule labeler "
        "(stars, lateness, status + PT-BR lexicon) or an LLM labeler",
    generator="factory.prompts.extraction:ExtractionGenerator", scorer="rewards.extraction:score",
    answer="rewards.extraction:ANSWER", balanced_fields=True, benchmark={"easy": 10, "hard": 10}))
register(TaskSpec(
    "sentiment", ("positive", "neutral", "negative"), SentimentTruth,
    doc="review text -> polarity (positivo/neutro/negativo) and score in [-1, 1]",
    generator="factory.prompts.sentiment:SentimentGenerator", scorer="rewards.sentiment:score",
    answer="rewards.sentiment:ANSWER", benchmark={"positive": 5, "neutral": 5, "negative": 5}))
register(TaskSpec(
    "sql", ("simple", "join", "aggregate"), SqlTruth,
    doc="PT-BR business question -> DuckDB SQL; gold SQL executed at build time, result stored",
    generator="factory.prompts.sql:SqlGenerator", scorer="rewards.sql:score", batch_scorer="rewards.sql:score_many",
    gold="rewards.render:sql_fence", variants="rewards.selftest:sql_variants",
    corruptions="rewards.selftest:sql_corruptions", benchmark={"simple": 5, "join": 5, "aggregate": 5}))
register(TaskSpec(
    "churn", ("low", "medium", "high"), ChurnTruth,
    doc="customer profile as of a cutoff date -> will the customer buy within the horizon; the reward checks "
        "the outcome observed after the cutoff, the reference answer is a calibrated model's probability "
        "(fit on training customers only) and the label that follows from it",
    generator="factory.prompts.churn:ChurnGenerator", scorer="rewards.churn:score", answer="rewards.churn:ANSWER",
    answer_object="rewards.render:churn_reference", oracle="rewards.render:churn_oracle",
    check="rewards.consistency:churn_problems", outcome_key="will_churn",
    benchmark={"low": 5, "medium": 5, "high": 5}))
register(TaskSpec(
    "insights", ("comparison", "trend", "recommendation"), InsightsTruth,
    doc="a question plus a fact table computed from commerce.db (asked entities and distractor rows) -> "
        "a PT-BR analysis citing the table and a checkable closing line `Conclusão: <item>: <resposta>; ...`",
    generator="factory.prompts.insights:InsightsGenerator", scorer="rewards.insights:score",
    gold="rewards.render:reference_text", corruptions="rewards.selftest:insights_corruptions",
    check="rewards.consistency:insights_problems", benchmark={"comparison": 5, "trend": 5, "recommendation": 5}))
register(TaskSpec(
    "push", ("customer", "segment"), PushTruth,
    doc="re-engagement notification under checkable constraints: length, category, a call to action, a reason "
        "drawn from the customer's data, no discount beyond the allowed one, no invented facts",
    generator="factory.prompts.push:PushGenerator", scorer="rewards.push:score",
    gold="rewards.render:reference_text", corruptions="rewards.selftest:push_corruptions",
    check="rewards.consistency:push_problems"))
register(TaskSpec(
    "reasoning", ("arithmetic", "percentage", "multi_step"), ReasoningTruth,
    doc="PT-BR word problems with exact answers (procedural) plus any local HF datasets in mix.hf_datasets",
    generator="factory.prompts.reasoning:ReasoningGenerator", scorer="rewards.reasoning:score",
    gold="rewards.render:reference_text", variants="rewards.selftest:reasoning_variants",
    corruptions="rewards.selftest:reasoning_corruptions", check="rewards.consistency:reasoning_problems",
    general_mix=True))
