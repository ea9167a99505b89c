"""Failure-mode monitors, log rows/CSV/PNG, degenerate-output metrics, backend choice, resume bookkeeping."""
from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import pytest

from factory.training import checkpoints
from factory.training.backends import choose_backend, precision_args
from factory.training.grpo import steps_per_epoch
from factory.training.monitors import (
    FailureMonitor,
    Thresholds,
    completion_warnings,
    log_rows,
    plot_curves,
    select,
    write_csv,
)
from factory.training.sampling import degeneracy, repetition


def _feed(monitor: FailureMonitor, series: list[dict]) -> list[str]:
    lines: list[str] = []
    for step, logs in enumerate(series, 1):
        lines += monitor.update(logs, step)
    return lines


def test_zero_std_warns_once_when_sustained_not_on_a_blip() -> None:
    m = FailureMonitor(Thresholds(window=3))
    blip = [{"frac_reward_zero_std": v} for v in (0.9, 0.1, 0.9, 0.9)]
    assert _feed(m, blip) == []
    lines = _feed(m, [{"frac_reward_zero_std": 0.8}] * 4)
    assert len(lines) == 1 and "frac_reward_zero_std" in lines[0] and lines[0].startswith("WARNING [monitor]")
    assert m.warnings["zero_std"] == 1
    # recovery then relapse counts a second onset
    _feed(m, [{"frac_reward_zero_std": 0.0}])
    assert len(_feed(m, [{"frac_reward_zero_std": 1.0}] * 3)) == 1
    assert m.warnings["zero_std"] == 2


def test_ceiling_and_entropy_collapse() -> None:
    m = FailureMonitor(Thresholds(window=2))
    lines = _feed(m, [{"completions/clipped_ratio": 1.0, "entropy": 4.0},
                      {"completions/clipped_ratio": 0.97, "entropy": 0.3},
                      {"completions/clipped_ratio": 0.5, "entropy": 0.2}])
    kinds = [k for k, n in m.warnings.items() if n]
    assert sorted(kinds) == ["ceiling", "entropy_collapse"]
    assert any("max_completion_length" in line for line in lines)
    healthy = FailureMonitor(Thresholds(window=2))
    assert _feed(healthy, [{"completions/clipped_ratio": 0.2, "entropy": 4.0, "frac_reward_zero_std": 0.1}] * 5) == []


def test_log_rows_split_train_and_eval_and_drop_bookkeeping(tmp_path: Path) -> None:
    history = [
        {"loss": 1.0, "reward": 0.2, "entropy": 3.0, "step_time": 0.4, "epoch": 0.1, "step": 1},
        {"loss": 0.5, "reward": 0.4, "entropy": 2.5, "rewards/sql/mean": None, "step": 2},
        {"eval_reward": 0.3, "eval_runtime": 1.2, "eval_rewards/sql/mean": 0.1, "step": 2},
        {"train_runtime": 9.0, "train_loss": 0.7, "step": 2},
    ]
    rows = log_rows(history)
    assert rows == [{"step": 1, "loss": 1.0, "reward": 0.2, "entropy": 3.0},
                    {"step": 2, "loss": 0.5, "reward": 0.4, "entropy": 2.5}]
    assert log_rows(history, eval_rows=True) == [{"step": 2, "eval_reward": 0.3, "eval_rewards/sql/mean": 0.1}]
    write_csv(tmp_path / "log.csv", rows)
    parsed = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert parsed[1] == {"step": "2", "loss": "0.5", "reward": "0.4", "entropy": "2.5"}
    plot_curves(tmp_path / "c.png", rows, {"loss": ["loss"], "absent": ["kl"]}, title="t")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_select_keeps_dense_rows_per_plot() -> None:
    rows = [{"step": 1, "loss": 0.1, "reward": 0.5, "rewards/sql/mean": 0.2, "entropy": 3.0},
            {"step": 2, "loss": 0.2, "reward": None, "rewards/sql/mean": None, "entropy": 2.9}]
    assert select(rows, ["reward", "rewards/"]) == [{"step": 1, "reward": 0.5, "rewards/sql/mean": 0.2}]
    assert select(rows, ["loss", "entropy"]) == [{"step": 1, "loss": 0.1, "entropy": 3.0},
                                                  {"step": 2, "loss": 0.2, "entropy": 2.9}]


def test_repetition_and_degeneracy() -> None:
    assert repetition("a b c d e f") == 0.0
    assert repetition("foo bar baz " * 20) > 0.9
    samples = [{"text": "foo bar baz " * 20, "stopped": False}, {"text": "", "stopped": True},
               {"text": '{"sentiment": "positivo"}', "stopped": True}]
    m = degeneracy(samples, [0.0, 0.0, 1.0])
    assert m["looping_rate"] == pytest.approx(1 / 3)
    assert m["empty_rate"] == pytest.approx(1 / 3)
    assert m["stopped_rate"] == pytest.approx(2 / 3)
    assert m["valid_format_rate"] == pytest.approx(1 / 3)


def test_backend_choice_falls_back_to_trl_without_cuda(caplog: pytest.LogCaptureFixture) -> None:
    assert choose_backend("auto", cuda=False, unsloth=True) == "trl"
    with caplog.at_level(logging.WARNING):
        assert choose_backend("unsloth", cuda=False, unsloth=True) == "trl"
    assert "falling back to trl" in caplog.text
    assert choose_backend("unsloth", cuda=True, unsloth=False) == "trl"
    assert choose_backend("auto", cuda=True, unsloth=True) == "unsloth"
    assert choose_backend("trl", cuda=True, unsloth=True) == "trl"
    # this machine: the real probe (no GPU, no unsloth here) picks trl
    assert choose_backend("auto") == "trl"
    assert precision_args(cuda=False) == {"use_cpu": True, "bf16": False, "fp16": False}
    with pytest.raises(ValueError, match="train.backend"):
        choose_backend("vllm")


def test_steps_per_epoch() -> None:
    params = {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 2, "num_generations": 4}
    assert steps_per_epoch(100, params) == 25          # 100 x 4 / (8 x 2)
    assert steps_per_epoch(101, params) == 26
    assert steps_per_epoch(100, params, world_size=2) == 13


def test_checkpoint_resume_only_for_the_same_fingerprint(tmp_path: Path) -> None:
    work = tmp_path / "work"
    fp = checkpoints.fingerprint(train={"max_steps": 4}, data="abc")
    assert checkpoints.prepare(work, fp) is None
    for step, complete in ((2, True), (4, True), (6, False)):   # checkpoint-6 was cut mid-write
        (work / f"checkpoint-{step}").mkdir()
        if complete:
            (work / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    found = checkpoints.prepare(work, fp)
    assert found is not None and found.name == "checkpoint-4" and checkpoints.global_step(found) == 4
    other = checkpoints.fingerprint(train={"max_steps": 8}, data="abc")
    assert checkpoints.prepare(work, other) is None
    assert not list(work.glob("checkpoint-*"))


# What the tiny model really produced before SFT learned anything: a digit run to the length limit.
COLLAPSED = ['{"sentiment": 1' + "0" * 120, "1" + "0" * 127, "0" * 128, '{"sentiment": "positivo", "sentiment_score": 0.9}']


def test_repeated_digit_collapse_counts_as_repetition_and_looping() -> None:
    assert all(repetition(t) > 0.8 for t in COLLAPSED[:3])
    assert repetition(COLLAPSED[3]) < 0.3
    # a correct, varied extraction answer is not flagged
    gold = ('{"sentiment": "negativo", "sentiment_score": -0.8, "complaint_category": "atraso_entrega", '
            '"churn_risk": 0.7, "repeat_intent": 0.2, "delivery_issue": true, "product_issue": false, '
            '"seller_issue": false, "would_recommend": false, "main_complaint": "o pedido chegou com atraso"}')
    assert repetition(gold) < 0.5
    m = degeneracy([{"text": t, "stopped": i == 3} for i, t in enumerate(COLLAPSED)], [0, 0, 0, 1])
    assert m["looping_rate"] == pytest.approx(3 / 4)


def test_completion_warnings_flag_looping_and_ceiling_on_eval_sets() -> None:
    m = degeneracy([{"text": t, "stopped": False} for t in COLLAPSED[:3]] + [{"text": COLLAPSED[3], "stopped": True}], [0] * 4)
    lines = completion_warnings("benchmark sft", m, Thresholds(looping=0.2, ceiling=0.5))
    assert len(lines) == 2 and all(line.startswith("WARNING [monitor] benchmark sft:") for line in lines)
    assert "75% of completions loop" in lines[0] and "hit the length limit" in lines[1]
    healthy = degeneracy([{"text": COLLAPSED[3], "stopped": True}] * 4, [1] * 4)
    assert completion_warnings("benchmark grpo", healthy, Thresholds()) == []


def test_ceiling_monitor_reads_eval_completions() -> None:
    monitor = FailureMonitor(Thresholds(ceiling=0.9))
    assert monitor.update({"eval_completions/clipped_ratio": 0.5}, step=10) == []
    lines = monitor.update({"eval_completions/clipped_ratio": 1.0}, step=20)
    assert lines and "val completions hit max_completion_length" in lines[0]
    assert monitor.warnings["eval_ceiling"] == 1


def test_stratified_subset_keeps_every_stratum() -> None:
    from factory.training.data import stratified_subset

    records = [{"id": f"{t}-{s}-{i:03d}", "task": t, "difficulty": s}
               for t, s, n in (("sql", "simple", 30), ("sql", "join", 2), ("churn", "high", 10)) for i in range(n)]
    subset = stratified_subset(records, 5)
    counts = {}
    for r in subset:
        counts[(r["task"], r["difficulty"])] = counts.get((r["task"], r["difficulty"]), 0) + 1
    assert counts == {("sql", "simple"): 5, ("sql", "join"): 2, ("churn", "high"): 5}
    assert [r["id"] for r in subset if r["difficulty"] == "simple"] == [f"sql-simple-{i:03d}" for i in range(5)]
    assert stratified_subset(records, None) == records


def test_task_balanced_subset_gives_every_task_the_same_share_spread_over_its_strata() -> None:
    from factory.training.data import task_balanced_subset

    sizes = (("sentiment", "positive", 30), ("sentiment", "neutral", 30), ("sentiment", "negative", 30),
             ("extraction", "easy", 30), ("extraction", "hard", 30), ("sql", "simple", 2), ("sql", "join", 30),
             ("push", "customer", 5))
    records = [{"id": f"{t}-{s}-{i:03d}", "task": t, "difficulty": s} for t, s, n in sizes for i in range(n)]
    subset = task_balanced_subset(records, 12)
    counts: dict = {}
    for r in subset:
        counts[(r["task"], r["difficulty"])] = counts.get((r["task"], r["difficulty"]), 0) + 1
    assert counts == {("sentiment", "positive"): 4, ("sentiment", "neutral"): 4, ("sentiment", "negative"): 4,
                      ("extraction", "easy"): 6, ("extraction", "hard"): 6,
                      ("sql", "simple"): 2, ("sql", "join"): 10,   # the short stratum's share goes to the other
                      ("push", "customer"): 5}                     # fewer than the cap: all of them
    assert [r["id"] for r in subset if r["difficulty"] == "easy"] == [f"extraction-easy-{i:03d}" for i in range(6)]
    assert subset == task_balanced_subset(list(reversed(records)), 12)  # first by id, whatever the file order
    assert task_balanced_subset(records, None) == records


def test_steps_that_scored_no_token_are_not_an_entropy_collapse() -> None:
    """All completions truncated and masked: TRL logs entropy 0 and grad_norm 0 (seen on Gemma 270M)."""
    masked = {"entropy": 0.0, "grad_norm": 0.0, "loss": 0.0}
    m = FailureMonitor(Thresholds(window=3))
    assert _feed(m, [masked, {"entropy": 0.8, "grad_norm": 0.1}, masked, masked, masked,
                     {"entropy": 0.7, "grad_norm": 0.2}]) == []
    assert m.first_entropy == 0.8 and m.history["entropy"] == [0.8, 0.7]
    collapsed = FailureMonitor(Thresholds(window=3))
    lines = _feed(collapsed, [{"entropy": 0.8, "grad_norm": 0.1}] + [{"entropy": 0.01, "grad_norm": 0.1}] * 3)
    assert [line for line in lines if "stopped exploring" in line]  # a real collapse still warns
