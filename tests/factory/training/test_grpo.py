"""GRPO with the real reward functions: learning signal, sampling params, resume, checkpoint reload."""
from __future__ import annotations

import json
import math
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from transformers import AutoTokenizer, GenerationConfig, TrainerCallback

from factory.training.base_model import CHAT_TEMPLATE, check_model_dir, load_model
from factory.training.grpo import train_grpo


class CompletionRecorder:
    """A reward function that scores nothing (None) and keeps every completion, grouped by prompt."""

    __name__ = "recorder"

    def __init__(self) -> None:
        self.groups: dict[str, list[str]] = defaultdict(list)

    def __call__(self, prompts, completions, **kwargs) -> list[None]:
        for prompt, completion in zip(prompts, completions):
            self.groups[prompt[-1]["content"]].append(completion[-1]["content"])
        return [None] * len(completions)

    def diversity(self) -> float:
        """Mean share of distinct completions within a prompt's group."""
        return sum(len(set(g)) / len(g) for g in self.groups.values()) / len(self.groups)


def test_a_few_grpo_steps_with_the_real_rewards(
    sft_model_dir: Path, records: list[dict], task_rewards: list, grpo_params: dict, tmp_path: Path
) -> None:
    params = {**grpo_params, "max_steps": 3, "eval_steps": 3}
    run = train_grpo(records, records[:6], policy_dir=sft_model_dir, out_dir=tmp_path / "grpo", params=params,
                     reward_funcs=task_rewards, work_dir=tmp_path / "work")
    train = [e for e in run.log_history if "reward" in e and "eval_reward" not in e]
    assert [e["step"] for e in train] == [1, 2, 3]
    assert all(math.isfinite(e["loss"]) for e in train)
    assert max(e["reward_std"] for e in train) > 0.0          # a learning signal exists
    assert all(0.0 <= e["reward"] <= 1.0 for e in train)
    logged = {k for e in train for k, v in e.items() if k.startswith("rewards/") and v is not None}
    assert {"rewards/sentiment/mean", "rewards/reasoning/mean"} <= logged | {"rewards/push/mean"}
    for key in ("frac_reward_zero_std", "completions/clipped_ratio", "entropy", "grad_norm"):
        assert all(key in e for e in train), key
    evals = [e for e in run.log_history if "eval_reward" in e]
    assert evals and evals[-1]["eval_rewards/sentiment/mean"] is not None  # per-task reward on val
    m = run.metrics
    assert m["global_step"] == 3 and m["steps_per_epoch"] == 6  # 12 prompts x 4 / 8
    assert set(m["eval_reward"]) == {"push", "reasoning", "sentiment"}
    assert set(m["monitors"]["warnings"]) == {"zero_std", "ceiling", "entropy_collapse", "eval_ceiling"}
    assert run.sampling == {"do_sample": True, "temperature": 1.0, "top_p": 1.0, "top_k": 0, "max_new_tokens": 24}
    # the trained policy reloads with its tokenizer and a neutral generation config
    check_model_dir(tmp_path / "grpo")
    model, tok = load_model(tmp_path / "grpo")
    assert tok.chat_template == CHAT_TEMPLATE and model.generation_config.temperature is None


def test_sampling_uses_train_temperature_not_the_checkpoint_generation_config(
    sft_model_dir: Path, records: list[dict], task_rewards: list, grpo_params: dict, tmp_path: Path
) -> None:
    """A checkpoint whose generation_config samples near-greedily (top_k=1, T=0.01) must not leak into GRPO."""
    greedy = tmp_path / "greedy-policy"
    shutil.copytree(sft_model_dir, greedy)
    GenerationConfig(do_sample=True, temperature=0.01, top_k=1, top_p=0.1, max_new_tokens=3,
                     eos_token_id=2, pad_token_id=0).save_pretrained(greedy)

    def diversity(temperature: float) -> tuple[float, dict]:
        recorder = CompletionRecorder()
        params = {**grpo_params, "max_steps": 1, "temperature": temperature}
        run = train_grpo(records[:6], [], policy_dir=greedy, out_dir=tmp_path / f"out-{temperature}", params=params,
                         reward_funcs=[*task_rewards, recorder], work_dir=tmp_path / f"work-{temperature}")
        return recorder.diversity(), run.sampling

    hot, hot_sampling = diversity(1.0)
    cold, cold_sampling = diversity(0.05)
    print(f"completion diversity: T=1.0 {hot:.2f}, T=0.05 {cold:.2f}")
    assert hot_sampling["temperature"] == 1.0 and hot_sampling["do_sample"] and hot_sampling["top_k"] == 0
    assert cold_sampling["temperature"] == 0.05 and cold_sampling["max_new_tokens"] == 24
    assert hot >= 0.75, hot    # 4 samples per prompt at T=1 are (nearly) all different
    assert cold < hot, (cold, hot)


class Interrupt(TrainerCallback):
    """Stops the run like a crash: raises right after the optimizer step `at`."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.at:
            raise KeyboardInterrupt(f"interrupted at step {self.at}")


def test_resume_after_an_interruption_continues_the_step_count(
    sft_model_dir: Path, records: list[dict], task_rewards: list, grpo_params: dict, tmp_path: Path
) -> None:
    params = {**grpo_params, "max_steps": 4, "save_steps": 2}
    kwargs = dict(policy_dir=sft_model_dir, out_dir=tmp_path / "grpo", params=params, reward_funcs=task_rewards,
                  work_dir=tmp_path / "work")
    with pytest.raises(KeyboardInterrupt):
        train_grpo(records, [], callbacks=[Interrupt(at=3)], **kwargs)
    assert not (tmp_path / "grpo").exists()
    checkpoint = tmp_path / "work" / "checkpoint-2"
    assert json.loads((checkpoint / "trainer_state.json").read_text())["global_step"] == 2
    # a mid-run checkpoint reloads with its tokenizer
    assert AutoTokenizer.from_pretrained(checkpoint).chat_template == CHAT_TEMPLATE

    # a changed param never resumes a stale run (and wipes its checkpoints)
    saved = tmp_path / "saved-work"
    shutil.copytree(tmp_path / "work", saved)
    fresh = train_grpo(records, [], **{**kwargs, "params": {**params, "max_steps": 1}})
    assert fresh.metrics["resumed_from_step"] == 0 and fresh.metrics["global_step"] == 1
    shutil.rmtree(tmp_path / "grpo")
    shutil.copytree(saved, tmp_path / "work")

    # the same run resumes from checkpoint-2 and finishes
    run = train_grpo(records, [], **kwargs)
    assert run.metrics["resumed_from_step"] == 2 and run.metrics["global_step"] == 4
    steps = [e["step"] for e in run.log_history if "reward" in e]
    assert steps == [1, 2, 3, 4]  # history restored up to 2, then 3 and 4 trained
    assert not (tmp_path / "work").exists()
    check_model_dir(tmp_path / "grpo")


def test_too_few_prompts_for_one_generation_batch_is_an_error(
    sft_model_dir: Path, records: list[dict], task_rewards: list, grpo_params: dict, tmp_path: Path
) -> None:
    params = {**grpo_params, "steps_per_generation": 8}   # 8 x 8 / 4 = 16 prompts per generation batch
    with pytest.raises(ValueError, match="needs 16"):
        train_grpo(records, [], policy_dir=sft_model_dir, out_dir=tmp_path / "grpo", params=params,
                   reward_funcs=task_rewards, work_dir=tmp_path / "work")
    assert not (tmp_path / "grpo").exists()


def test_summarize_uses_the_rows_that_carry_each_figure() -> None:
    from factory.training.grpo import summarize
    from factory.training.monitors import FailureMonitor

    history = []
    for step in range(1, 11):
        row = {"step": step, "loss": 0.1 * step, "entropy": 4.0 - 0.1 * step, "grad_norm": 1.0}
        if step % 4 == 1:   # generation steps 1, 5, 9 carry the rewards
            row.update(reward=0.1 * step, reward_std=0.2, frac_reward_zero_std=0.25,
                       **{"completions/clipped_ratio": 0.5, "rewards/sql/mean": 0.3 if step < 9 else None})
        else:
            row.update(reward=None, reward_std=None)
        history.append(row)
    history.append({"step": 10, "eval_reward": 0.4, "eval_rewards/sql/mean": 0.35})
    m = summarize(history, ["sql"], FailureMonitor())
    assert m["reward_first"] == pytest.approx(0.1) and m["reward_last"] == pytest.approx(0.9)
    assert m["loss_last"] == pytest.approx(0.95)               # last fifth of 10 rows: steps 9, 10
    assert m["train_reward"] == {"sql": pytest.approx(0.3)}     # step 5 is the last with an sql reward
    assert m["eval_reward"] == {"sql": 0.35} and m["eval_reward_mean"] == 0.4
    assert m["monitors"]["clipped_ratio"] == pytest.approx(0.5) and m["monitors"]["kl_last"] is None


def test_grpo_with_lora_saves_a_merged_policy(
    sft_model_dir: Path, records: list[dict], task_rewards: list, grpo_params: dict, tmp_path: Path
) -> None:
    params = {**grpo_params, "max_steps": 1, "learning_rate": 1e-2,
              "lora": {"enabled": True, "r": 4, "alpha": 8, "dropout": 0.0}}
    run = train_grpo(records, [], policy_dir=sft_model_dir, out_dir=tmp_path / "grpo", params=params,
                     reward_funcs=task_rewards, work_dir=tmp_path / "work")
    assert run.metrics["lora"] is True and run.metrics["global_step"] == 1
    assert not (tmp_path / "grpo" / "adapter_config.json").exists()
    model, _ = load_model(tmp_path / "grpo")
    assert not any("lora" in name for name, _ in model.named_parameters())
