"""The rewards library as training needs it: one TRL reward function per task, and the format sub-score.

A completion that ran into `max_completion_length` without a stop token can still hold a complete
JSON answer before its loop, and the parser reads it. Scored as written, such a completion earns as
much as one that stopped, so GRPO learns nothing about stopping (the gemma-3-270m reference run went
from 35% to 0% stopped answers). `unstopped_scored_as` gives those completions a fixed reward.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Collection, Sequence


def reward_options(db_path: str | Path, rewards_params: dict[str, Any]) -> Any:
    """rewards.Options from params.yaml `rewards` (no LLM judge during training: offline heuristics only)."""
    import rewards

    return rewards.options(
        db_path=db_path, weights=rewards_params["weights"], sql_timeout_s=rewards_params["sql_timeout_s"],
        sql_max_rows=rewards_params.get("sql_max_rows", 1000),
    )


def task_rewards(tasks: Sequence[str], db_path: str | Path, rewards_params: dict[str, Any]) -> list[Callable[..., list]]:
    """`rewards.get(task)` for each task, so TRL logs `rewards/<task>/mean`."""
    import rewards

    opts = reward_options(db_path, rewards_params)
    return [rewards.get(task, options=opts) for task in tasks]


def format_scorer(db_path: str | Path, rewards_params: dict[str, Any]) -> Callable[[dict[str, Any], str], float]:
    """(record, completion text) -> the `format` sub-score (1.0 = the answer could be read)."""
    import rewards

    opts = reward_options(db_path, rewards_params)
    return lambda record, text: float(rewards.score(record["task"], text, record["ground_truth"], options=opts)["format"])


def unstopped_scored_as(func: Callable[..., list], stop_ids: Collection[int], value: float) -> Callable[..., list]:
    """`func`, except that a completion whose last token is not in `stop_ids` (cut by the length cap) gets `value`.

    TRL passes each completion's token ids as `completion_ids`; its own truncation test is the same
    (last id not an eos or pad id). Rows `func` leaves to other tasks (None) stay None.
    """
    stops = frozenset(int(i) for i in stop_ids)

    def reward(*args: Any, completion_ids: Sequence[Sequence[int]] | None = None, **kwargs: Any) -> list:
        out = func(*args, completion_ids=completion_ids, **kwargs)
        if completion_ids is None:
            return out
        return [r if r is None or (ids and int(ids[-1]) in stops) else value for r, ids in zip(out, completion_ids, strict=True)]

    reward.__name__ = reward.__qualname__ = func.__name__  # TRL logs rewards/<name>/mean
    reward.__doc__ = func.__doc__
    return reward


def stop_token_ids(model: Any, tokenizer: Any) -> list[int]:
    """The ids TRL treats as a completion's end: the generation config's eos ids, the tokenizer's eos and pad."""
    eos = getattr(model.generation_config, "eos_token_id", None)
    eos = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
    return sorted({i for i in [*eos, tokenizer.eos_token_id, tokenizer.pad_token_id] if i is not None})
