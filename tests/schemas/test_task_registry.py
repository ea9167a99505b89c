"""The task registry: one TaskSpec per task, and every per-task table a live view of it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from schemas.tasks import (BENCHMARK_STRATA, CLASS_BALANCED, STRATA, TASKS, TRUTH_MODELS, ChurnTruth, TaskSpec,
                           benchmark_size, register, resolve, spec)

REPO = Path(__file__).resolve().parents[2]
BUILT_IN = ("extraction", "sentiment", "sql", "churn", "insights", "push", "reasoning")


class _Truth(BaseModel):
    stars: int


def _spec(**overrides):
    fields = dict(name="probe", strata=("a", "b"), truth=_Truth, doc="probe", generator="x.y:Z", scorer="x.y:score",
                  answer="x.y:ANSWER")
    return TaskSpec(**{**fields, **overrides})


def test_the_built_in_tasks_are_what_they_were():
    assert TASKS == BUILT_IN and list(TASKS) == list(BUILT_IN) and "sql" in TASKS and TASKS.index("churn") == 3
    assert STRATA["push"] == ("customer", "segment") and list(STRATA) == list(BUILT_IN)
    assert dict(CLASS_BALANCED) == {"churn": "will_churn"} and TRUTH_MODELS["churn"] is ChurnTruth
    assert BENCHMARK_STRATA == {"extraction": {"easy": 10, "hard": 10},
                                "sentiment": {"positive": 5, "neutral": 5, "negative": 5},
                                "sql": {"simple": 5, "join": 5, "aggregate": 5},
                                "churn": {"low": 5, "medium": 5, "high": 5},
                                "insights": {"comparison": 5, "trend": 5, "recommendation": 5}}
    assert benchmark_size() == 80
    assert [s for s in TASKS if spec(s).general_mix] == ["reasoning"]


def test_every_built_in_reference_resolves():
    for name in TASKS:
        task = spec(name)
        for ref in (task.generator, task.scorer, task.answer, task.gold, task.answer_object, task.oracle,
                    task.batch_scorer, task.variants, task.corruptions, task.check):
            if ref is not None:
                assert callable(resolve(ref)) or hasattr(resolve(ref), "specs"), (name, ref)


@pytest.mark.parametrize("overrides, message", [
    ({"name": "Bad-Name"}, "lower-case"),
    ({"strata": ()}, "strata"),
    ({"strata": ("a", "a")}, "strata"),
    ({"truth": dict}, "pydantic"),
    ({"benchmark": {"a": 2}}, "every stratum"),
    ({"benchmark": {"a": 2, "b": 0}}, "positive"),
    ({"outcome_key": "nope"}, "outcome_key"),
    ({"gold": "x.y:gold"}, "exactly one"),
    ({"answer": None}, "exactly one"),
])
def test_a_malformed_spec_is_refused(overrides, message):
    with pytest.raises((ValueError, TypeError), match=message):
        _spec(**overrides)


def test_a_taken_name_is_refused_and_a_bad_reference_named():
    with pytest.raises(ValueError, match="already registered"):
        register(_spec(name="sql"))
    with pytest.raises(ValueError, match="package.module:attribute"):
        resolve("no_colon")
    with pytest.raises(ImportError, match="rewards.nope:score"):
        resolve("rewards.nope:score")
    with pytest.raises(KeyError, match="registered: extraction"):
        spec("nope")


# In a fresh interpreter (the registry is process-wide): a task registered late is seen by every view.
LATE = r'''
from pydantic import BaseModel
from rewards.fields import FieldSpec, JsonAnswer
from schemas.tasks import BENCHMARK_STRATA, STRATA, TASKS, TRUTH_MODELS, TaskSpec, register

import factory.prompts as prompts, rewards
from factory.prompts.base import TaskGenerator
from factory.prompts.publish import TASK_DOCS
from rewards.render import ANSWER_FIELDS, gold_answer
from rewards.selftest import CORRUPTIONS, JSON_ANSWERS

class StarsTruth(BaseModel):
    stars: int

class StarsGenerator(TaskGenerator):
    task, system = "stars", "s"
    def candidates(self):
        return []

ANSWER = JsonAnswer((FieldSpec("stars", "number", bounds=(1.0, 5.0), scale=2.0),))
def score(completion, truth, options, prompt=""):
    return ANSWER.score(completion, truth)[0]

before = ("stars" in TASKS, "stars" in rewards.names())
register(TaskSpec("stars", ("low", "high"), StarsTruth, doc="d", generator=StarsGenerator, scorer=score, answer=ANSWER,
                  benchmark={"low": 1, "high": 1}))
assert before == (False, False)
assert TASKS[-1] == "stars" and STRATA["stars"] == ("low", "high") and TRUTH_MODELS["stars"] is StarsTruth
assert BENCHMARK_STRATA["stars"] == {"low": 1, "high": 1} and prompts.GENERATORS["stars"] is StarsGenerator
assert rewards.names()[-1] == "stars" and ANSWER_FIELDS["stars"] == ("stars",) and TASK_DOCS["stars"] == "d"
assert JSON_ANSWERS["stars"] is ANSWER and "stars" in CORRUPTIONS
assert gold_answer("stars", {"stars": 4}) == '{"stars": 4}'
assert rewards.score("stars", '{"stars": 4}', {"stars": 4})["reward"] == 1.0
print("ok")
'''


def test_a_task_registered_later_is_seen_by_every_view():
    out = subprocess.run([sys.executable, "-c", LATE], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]
