"""Aggregation of scored rows: means by task and stratum, optional judge, no invented tokens or cost."""
from __future__ import annotations

import pytest

from factory.scoring.lineage import params_sha256
from factory.scoring.metrics import mean_scores, summarize


def row(task: str, stratum: str, reward: float, *, judge=None, latency=1.0, tokens=(10, 5), cost=0.0,
        finish="stop", **extra) -> dict:
    scores = {"reward": reward, "format": 1.0, "partial": reward, "task": reward, **extra}
    if judge is not None:
        scores["judge"] = judge
    return {"id": f"{task}-{stratum}-{int(reward * 1000):04d}", "task": task, "difficulty": stratum,
            "completion": "x", "finish_reason": finish, "prompt_tokens": tokens[0], "completion_tokens": tokens[1],
            "scores": scores, "latency_s": latency, "cost_usd": cost}


ROWS = [
    row("sql", "simple", 1.0, latency=1.0, exec_ok=1.0),
    row("sql", "join", 0.0, latency=2.0, exec_ok=0.0, finish="length"),
    row("sql", "join", 0.5, latency=3.0, exec_ok=1.0),
    row("sentiment", "positive", 0.25, latency=4.0),
]


def test_means_overall_by_task_and_by_stratum():
    m = summarize(ROWS)
    assert m["n"] == 4
    assert m["reward"] == pytest.approx((1.0 + 0.0 + 0.5 + 0.25) / 4)
    assert list(m["by_task"]) == ["sentiment", "sql"]  # schemas.tasks order, not input order
    sql = m["by_task"]["sql"]
    assert sql["n"] == 3 and sql["reward"] == pytest.approx(0.5)
    assert sql["exec_ok"] == pytest.approx(2 / 3)  # task-specific sub-scores appear at task level
    assert "exec_ok" not in m  # ... but not overall, where other tasks lack them
    assert list(sql["by_stratum"]) == ["simple", "join"]  # STRATA order
    assert sql["by_stratum"]["join"] == {"n": 2, "reward": 0.25, "format": 1.0, "partial": 0.25, "task": 0.25,
                                         "exec_ok": 0.5}
    assert m["truncated_rate"] == 0.25


def test_latency_tokens_and_cost():
    m = summarize(ROWS)
    assert m["latency_s"] == {"mean": 2.5, "p50": 2.5, "p95": pytest.approx(3.85), "max": 4.0}
    assert m["tokens"] == {"prompt_mean": 10.0, "completion_mean": 5.0, "total_mean": 15.0}
    assert m["cost_per_query_usd"] == 0.0


def test_unknown_usage_or_cost_is_left_out_not_guessed():
    rows = ROWS[:2] + [row("sql", "join", 0.5, tokens=(None, None), cost=None)]
    m = summarize(rows)
    assert "tokens" not in m and "cost_per_query_usd" not in m


def test_judge_absent_without_judge_and_counted_when_partial():
    assert "judge" not in summarize(ROWS)
    rows = ROWS + [row("insights", "trend", 0.5, judge=0.75), row("insights", "trend", 0.4, judge="unparsed")]
    m = summarize(rows)
    assert m["judge"] == 0.75 and m["judge_n"] == 1  # the unparsed verdict is no number
    assert m["by_task"]["insights"]["judge"] == 0.75 and m["by_task"]["insights"]["judge_n"] == 1


def test_mean_scores_ignores_non_numbers():
    rows = [{"scores": {"reward": 1.0, "note": "x", "nan": float("nan")}}, {"scores": {"reward": 0.0, "nan": 1.0}}]
    assert mean_scores(rows) == {"n": 2, "reward": 0.5, "nan": 1.0, "nan_n": 1}


def test_summarize_refuses_no_rows():
    with pytest.raises(ValueError, match="no scored rows"):
        summarize([])


def test_params_hash_ignores_key_order_but_not_values():
    assert params_sha256({"a": 1, "b": {"c": 2}}) == params_sha256({"b": {"c": 2}, "a": 1})
    assert params_sha256({"a": 1}) != params_sha256({"a": 2})


def test_churn_task_score_is_class_balanced_so_a_constant_gets_exactly_half() -> None:
    from factory.scoring.metrics import summarize_scores

    # 15 benchmark churn prompts in three bands of 5: 8 churners, 7 returning customers at best
    outcomes = [True] * 8 + [False] * 7
    rows = [{"id": f"churn-{i}", "task": "churn", "difficulty": "low", "outcome": o,
             "scores": {"reward": 0.5, "format": 1.0, "partial": 0.5, "task": 1.0 if o else 0.0}}
            for i, o in enumerate(outcomes)]  # the constant answer will_churn=true
    churn = summarize_scores(rows)["by_task"]["churn"]
    assert churn["task"] == 0.5
    assert churn["task_unbalanced"] == pytest.approx(8 / 15, abs=1e-6)
    del rows[0]["outcome"]
    with pytest.raises(KeyError, match="needs its outcome"):
        summarize_scores(rows)
