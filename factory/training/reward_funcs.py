"""The rewards library as training needs it: one TRL reward function per task, and the format sub-score."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence


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
