"""Property tests: on arbitrary text and adversarial JSON every reward returns None (rows of other
tasks) or a finite float in [0, 1], and never raises."""
from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewards
from rewards.render import ANSWER_FIELDS

FIELD_NAMES = sorted({f for fields in ANSWER_FIELDS.values() for f in fields}
                     | {"gold_sql", "sentiment", "Resposta", "SELECT", "answer"})

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from(["sim", "não", "verdadeiro", "4,5", "1.234,56", "80%", "NEGATIVO", "Atraso na entrega",
                              "", "nenhuma", "R$ 12,30", "-0,0", "1e309", "SELECT 1", "```", "<think>"])
           | st.text(max_size=20))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=8),
    max_leaves=20,
)


@st.composite
def adversarial_json(draw) -> str:
    """Serialized JSON, then damaged the way models damage it."""
    text = json.dumps(draw(json_values), ensure_ascii=draw(st.booleans()), allow_nan=True)
    damage = draw(st.sampled_from(["none", "truncate", "commas", "fence", "think", "prose", "quotes", "unclosed_think"]))
    if damage == "truncate":
        text = text[:draw(st.integers(min_value=0, max_value=len(text)))]
    elif damage == "commas":
        text = text.replace(".", ",")
    elif damage == "fence":
        text = f"```json\n{text}"
    elif damage == "think":
        text = f"<think>{draw(st.text(max_size=30))}</think>{text}"
    elif damage == "prose":
        text = f"{draw(st.text(max_size=30))} {text} {draw(st.text(max_size=30))}"
    elif damage == "quotes":
        text = text.replace('"', "'")
    elif damage == "unclosed_think":
        text = f"{text}<think>"
    return text


completions = st.text(max_size=400) | adversarial_json() | st.lists(
    st.fixed_dictionaries({"role": st.just("assistant"), "content": st.text(max_size=200) | adversarial_json()}),
    min_size=0, max_size=2)

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _check(records: list[dict], options, completion) -> None:
    tasks = [r["task"] for r in records]
    truths = [json.dumps(r["ground_truth"]) for r in records]
    prompts = [r["messages"] for r in records]
    for name in rewards.names():
        out = rewards.get(name, options=options)(prompts=prompts, completions=[completion] * len(records),
                                                 task=tasks, ground_truth=truths)
        for task, value in zip(tasks, out):
            if task != name:
                assert value is None
            else:
                assert isinstance(value, float) and math.isfinite(value) and 0.0 <= value <= 1.0, (name, value)


@SETTINGS
@given(completion=completions)
def test_rewards_are_bounded_on_arbitrary_text(records: list[dict], options, completion) -> None:
    _check(records, options, completion)


@SETTINGS
@given(completion=adversarial_json())
def test_rewards_are_bounded_on_adversarial_json(records: list[dict], options, completion: str) -> None:
    _check(records, options, completion)


@SETTINGS
@given(completion=st.text(max_size=300))
def test_sub_scores_are_bounded(by_task: dict, options, completion: str) -> None:
    for task, records in by_task.items():
        scores = rewards.score(task, completion, records[0]["ground_truth"], options=options)
        for stage in ("format", "partial", "task", "reward"):
            assert 0.0 <= scores[stage] <= 1.0 and math.isfinite(scores[stage])
