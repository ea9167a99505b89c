"""Rewards for every registered task (`schemas.tasks`): TRL reward functions and their sub-scores.

    import rewards
    funcs = [rewards.get(name, db_path="data/commerce.db") for name in rewards.names()]
    GRPOTrainer(..., reward_funcs=funcs)            # logs rewards/<task>/mean
    rewards.score("sql", completion, ground_truth)  # {"format", "partial", "task", "reward", ...}

Each reward reads the `task` and `ground_truth` dataset columns that TRL passes as keyword
arguments, returns None for rows of other tasks, and gives staged partial credit in [0, 1]:
weights["format"] * format + weights["partial"] * partial + weights["task"] * task (normalized).
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Mapping

# The built-in scorers, imported here so that every stage using rewards depends on them (their
# registry references below resolve to these modules).
from rewards import churn, extraction, insights, push, reasoning, render, sentiment, sql  # noqa: F401
from rewards.base import DEFAULT_DB_PATH, DEFAULT_WEIGHTS, Options, completion_text, finish, prompt_text
from rewards.judge import InsightsJudge, JudgeConfig, build_judge
from schemas.tasks import TRUTH_MODELS, LiveMapping, resolve, specs

__all__ = ["names", "get", "score", "options", "render", "sql", "Options"]

# Task -> scorer (completion, truth, options, prompt) -> sub-scores: `TaskSpec.scorer` of every
# registered task, so a task registered by a plugin is scored like a built-in.
SCORERS: LiveMapping = LiveMapping(lambda: {s.name: resolve(s.scorer) for s in specs()})
# Tasks whose scorer can take a whole reward call at once: (completions, truths, options) -> sub-scores.
BATCH_SCORERS: LiveMapping = LiveMapping(
    lambda: {s.name: resolve(s.batch_scorer) for s in specs() if s.batch_scorer is not None})


def names() -> list[str]:
    return list(SCORERS)


def options(
    *,
    db_path: str | Path | None = None,
    weights: Mapping[str, float] | None = None,
    sql_timeout_s: float = 1.0,
    sql_max_rows: int = 1000,
    judge: "InsightsJudge | JudgeConfig | Mapping[str, Any] | None" = None,
) -> Options:
    """Options from keyword arguments (`judge` may be the params `eval.judge` mapping)."""
    return Options(
        weights=dict(weights) if weights is not None else dict(DEFAULT_WEIGHTS),
        db_path=Path(db_path) if db_path is not None else DEFAULT_DB_PATH,
        sql_timeout_s=float(sql_timeout_s),
        sql_max_rows=int(sql_max_rows),
        judge=build_judge(judge),
    )


class _TruthCache(OrderedDict):
    """Parsed ground truths by their JSON text (each prompt's truth repeats num_generations times)."""

    def get_truth(self, task: str, ground_truth: Any):
        if isinstance(ground_truth, str):
            key = (task, ground_truth)
            truth = super().get(key)
            if truth is None:
                truth = self[key] = TRUTH_MODELS[task].model_validate_json(ground_truth)
                if len(self) > 8192:
                    self.popitem(last=False)
            return truth
        if isinstance(ground_truth, TRUTH_MODELS[task]):
            return ground_truth
        if isinstance(ground_truth, Mapping):
            # A datasets struct column carries every task's keys, the foreign ones as None.
            fields = TRUTH_MODELS[task].model_fields
            return TRUTH_MODELS[task].model_validate(
                {k: v for k, v in ground_truth.items() if k in fields and v is not None})
        raise TypeError(f"ground_truth for {task} must be a JSON string or a dict, got {type(ground_truth).__name__}")


_TRUTHS = _TruthCache()


def _score(name: str, completion: str, truth: Any, opts: Options, prompt: str = "") -> dict[str, Any]:
    return finish(SCORERS[name](completion, truth, opts, prompt), opts.weights)


def score(task: str, completion: str, ground_truth: Any, *, prompt: str = "", **kwargs: Any) -> dict[str, Any]:
    """Sub-scores of one completion: format, partial, task, reward and task-specific keys."""
    if task not in SCORERS:
        raise KeyError(f"unknown task {task!r}; expected one of {names()}")
    opts = kwargs.pop("options", None) or options(**kwargs)
    return _score(task, completion_text(completion), _TRUTHS.get_truth(task, ground_truth), opts, prompt)


def get(name: str, **kwargs: Any) -> Callable[..., list[float | None]]:
    """The TRL reward function of one task (keyword options as in `options`)."""
    if name not in SCORERS:
        raise KeyError(f"unknown task {name!r}; expected one of {names()}")
    opts = kwargs.pop("options", None) or options(**kwargs)
    scorer = SCORERS[name]
    weights = opts.weights

    def reward(prompts: list[Any] | None = None, completions: list[Any] | None = None, *,
               task: list[str], ground_truth: list[Any], **_: Any) -> list[float | None]:
        completions = completions or []
        prompts = prompts or [None] * len(completions)
        if not len(task) == len(prompts) == len(completions) == len(ground_truth):
            raise ValueError(f"reward {name}: {len(task)} tasks, {len(prompts)} prompts, {len(completions)} "
                             f"completions, {len(ground_truth)} ground truths")
        rows = [i for i, t in enumerate(task) if t == name]
        texts = [completion_text(completions[i]) for i in rows]
        truths = [_TRUTHS.get_truth(name, ground_truth[i]) for i in rows]
        if name in BATCH_SCORERS:  # one round trip for the whole call (SQL: one batch to the sandbox pool)
            scores = BATCH_SCORERS[name](texts, truths, opts)
        else:  # every scorer sees the question, as in `score` (push checks it is not echoed)
            scores = [scorer(text, truth, opts, prompt_text(prompts[i])) for i, text, truth in zip(rows, texts, truths)]
        out: list[float | None] = [None] * len(task)
        for i, sub_scores in zip(rows, scores, strict=True):
            out[i] = finish(sub_scores, weights)["reward"]
        return out

    reward.__name__ = reward.__qualname__ = name
    reward.__doc__ = f"TRL reward for the {name} task (None on other tasks' rows)."
    return reward
