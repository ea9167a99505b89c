"""GRPO with TRL from the SFT checkpoint, one reward function per task, with the seeds' lessons as defaults.

Defaults (params.yaml `train.*`): beta 0 (no reference model), Dr. GRPO loss, no std scaling of
rewards, constant_with_warmup at lr 5e-6, 4 generations, truncated completions masked. Sampling
uses `train.temperature` / `train.top_p` / `train.top_k`, passed explicitly, and the policy's own
generation_config is replaced by a neutral one (eos/pad only) so a checkpoint's sampling defaults
can never leak in; `effective_sampling` reads back what `generate` will really use.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from factory.io import sha256_tree
from factory.training import checkpoints, tracking
from factory.training.backends import LoraSpec, choose_backend, load_policy, precision_args, save_policy, vllm_args
from factory.training.base_model import neutral_generation_config
from factory.training.data import grpo_dataset, records_hash
from factory.training.monitors import FailureMonitor, MonitorCallback, Thresholds

RewardFunc = Callable[..., list]


@dataclass
class GrpoRun:
    metrics: dict[str, Any]
    log_history: list[dict[str, Any]] = field(default_factory=list)
    sampling: dict[str, Any] = field(default_factory=dict)


def steps_per_epoch(n_prompts: int, params: dict[str, Any], world_size: int = 1) -> int:
    """Optimizer steps to see every prompt once: prompts x generations / (batch x accumulation x processes)."""
    completions_per_step = params["per_device_train_batch_size"] * params["gradient_accumulation_steps"] * world_size
    return math.ceil(n_prompts * params["num_generations"] / completions_per_step)


def fit_prompts(records: Sequence[dict[str, Any]], tokenizer: Any, max_prompt_length: int) -> tuple[list[dict[str, Any]], int]:
    """Drop prompts longer than `max_prompt_length` tokens (TRL 1.x no longer truncates prompts)."""
    kept = [r for r in records if len(tokenizer.apply_chat_template(
        [{"role": m["role"], "content": m["content"]} for m in r["messages"]],
        tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]) <= max_prompt_length]
    return kept, len(records) - len(kept)


def grpo_args(params: dict[str, Any], work_dir: Path, *, report: list[str], evaluate: bool) -> Any:
    from trl import GRPOConfig

    batch = params["per_device_train_batch_size"]
    # One generate call feeds `steps_per_generation` optimizer steps: on CPU, decoding is per-token
    # overhead-bound, so 32 completions cost little more than 8. TRL's importance ratio corrects
    # the few steps of staleness (watch clip_ratio/*).
    per_generation = params.get("steps_per_generation") or params["gradient_accumulation_steps"]
    return GRPOConfig(
        output_dir=str(work_dir),
        max_steps=params["max_steps"],
        learning_rate=params["learning_rate"],
        lr_scheduler_type=params["lr_scheduler_type"],
        warmup_steps=params["warmup_steps"],
        temperature=params["temperature"],
        top_p=params["top_p"],
        top_k=params.get("top_k", 0),
        beta=params["beta"],
        loss_type=params["loss_type"],
        scale_rewards=params["scale_rewards"],
        num_generations=params["num_generations"],
        num_generations_eval=params["num_generations"],
        per_device_train_batch_size=batch,
        per_device_eval_batch_size=batch * per_generation,
        steps_per_generation=per_generation,
        gradient_accumulation_steps=params["gradient_accumulation_steps"],
        max_completion_length=params["max_completion_length"],
        mask_truncated_completions=params["mask_truncated_completions"],
        activation_checkpointing=params.get("gradient_checkpointing", False),  # v5 name of gradient_checkpointing
        logging_steps=params.get("logging_steps", 1),
        save_strategy="steps",
        save_steps=params["save_steps"],
        save_total_limit=2,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=max(1, min(params["eval_steps"], params["max_steps"] // 5)),  # >= 5 val points per run
        report_to=report,
        run_name="grpo",
        seed=params["seed"],
        data_seed=params["seed"],
        dataloader_num_workers=0,
        log_completions=False,
        **vllm_args(params),
        **precision_args(),
    )


def effective_sampling(trainer: Any) -> dict[str, Any]:
    """The sampling settings `generate` will actually use: TRL's config merged over the policy's own."""
    model = trainer.accelerator.unwrap_model(trainer.model)
    config, _ = model._prepare_generation_config(trainer.generation_config)
    return {k: getattr(config, k) for k in ("do_sample", "temperature", "top_p", "top_k", "max_new_tokens")}


def check_sampling(sampling: dict[str, Any], params: dict[str, Any]) -> None:
    """Fail before training when the merged generation config differs from train.* (the seed bug)."""
    want = {"do_sample": True, "temperature": params["temperature"], "top_p": params["top_p"],
            "top_k": params.get("top_k", 0), "max_new_tokens": params["max_completion_length"]}
    wrong = {k: (sampling.get(k), v) for k, v in want.items() if sampling.get(k) != v}
    if wrong:
        raise RuntimeError(f"generation would not use train.* sampling: (got, wanted) = {wrong}")


def train_grpo(
    train_records: Sequence[dict[str, Any]],
    val_records: Sequence[dict[str, Any]],
    *,
    policy_dir: str | Path,
    out_dir: str | Path,
    params: dict[str, Any],
    reward_funcs: Sequence[RewardFunc],
    work_dir: str | Path,
    tracking_params: dict[str, Any] | None = None,
    thresholds: Thresholds | None = None,
    callbacks: Sequence[Any] = (),
) -> GrpoRun:
    """GRPO from `policy_dir`; the merged policy goes to `out_dir`. Resumes an interrupted identical run."""
    from trl import GRPOTrainer

    work_dir = Path(work_dir)
    chosen = choose_backend(params.get("backend", "auto"))
    lora = LoraSpec.from_params(params.get("lora"))
    max_seq = params["max_prompt_length"] + params["max_completion_length"]
    fast_inference = chosen == "unsloth" and vllm_args(params)["use_vllm"]  # Unsloth's own vLLM generation
    model, tokenizer = load_policy(policy_dir, backend=chosen, lora=lora, max_seq_length=max_seq, seed=params["seed"],
                                   fast_inference=fast_inference,
                                   gpu_memory_utilization=params.get("vllm_gpu_memory_utilization", 0.3))
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    base.generation_config = neutral_generation_config(base, tokenizer)
    train_kept, train_dropped = fit_prompts(train_records, tokenizer, params["max_prompt_length"])
    val_kept, val_dropped = fit_prompts(val_records, tokenizer, params["max_prompt_length"])
    if not train_kept:
        raise ValueError(f"every training prompt is longer than train.max_prompt_length={params['max_prompt_length']}")
    names = [f.__name__ for f in reward_funcs]
    world = int(os.environ.get("WORLD_SIZE", "1"))
    per_generation = params.get("steps_per_generation") or params["gradient_accumulation_steps"]
    needed = params["per_device_train_batch_size"] * per_generation * world // params["num_generations"]
    if len(train_kept) < needed:
        raise ValueError(f"{len(train_kept)} training prompts, but one generation batch needs {needed} "
                         "(per_device_train_batch_size x steps_per_generation x processes / num_generations)")
    # The config first: it sets up the (possibly distributed) process state the checkpoint logic uses.
    args = grpo_args(params, work_dir, report=tracking.report_to(tracking_params, run_name="grpo"),
                     evaluate=bool(val_kept))
    resume = checkpoints.prepare_distributed(work_dir, checkpoints.fingerprint(
        train=params, backend=chosen, policy=sha256_tree(policy_dir), rewards=names,
        prompts=records_hash(train_kept), val=records_hash(val_kept)))
    resumed_step = checkpoints.global_step(resume) if resume else 0
    monitor = FailureMonitor(thresholds or Thresholds())
    trainer = GRPOTrainer(
        model=model, args=args, processing_class=tokenizer, reward_funcs=list(reward_funcs),
        train_dataset=grpo_dataset(train_kept), eval_dataset=grpo_dataset(val_kept) if val_kept else None,
        callbacks=[MonitorCallback(monitor), *callbacks],
    )
    sampling = effective_sampling(trainer)
    check_sampling(sampling, params)
    epoch = steps_per_epoch(len(train_kept), params, trainer.accelerator.num_processes)
    print(f"grpo: {len(train_kept)} prompts x {params['num_generations']} generations / "
          f"({params['per_device_train_batch_size']} batch x {params['gradient_accumulation_steps']} accumulation x "
          f"{trainer.accelerator.num_processes} processes) = {epoch} steps per epoch; max_steps {params['max_steps']} "
          f"= {params['max_steps'] / epoch:.2f} epochs; dropped {train_dropped} prompts over max_prompt_length; "
          f"backend {chosen}; sampling {sampling}", flush=True)
    if resume is not None:
        print(f"grpo: resuming from {resume} (step {resumed_step})", flush=True)
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds = time.perf_counter() - start
    last_eval = max((e["step"] for e in trainer.state.log_history if "eval_reward" in e), default=None)
    if val_kept and last_eval != trainer.state.global_step:
        trainer.evaluate()  # the final policy's per-task reward on val, whatever eval_steps was
    tracking.finish()
    if trainer.accelerator.is_main_process:
        save_policy(trainer.model, tokenizer, out_dir)
        checkpoints.finish(work_dir)
    trainer.accelerator.wait_for_everyone()
    history = list(trainer.state.log_history)
    metrics = summarize(history, names, monitor)
    metrics.update(
        backend=chosen, lora=lora.enabled, global_step=trainer.state.global_step, resumed_from_step=resumed_step,
        steps_per_epoch=epoch, epochs=round(trainer.state.global_step / epoch, 3), train_prompts=len(train_kept),
        dropped_too_long=train_dropped + val_dropped, seconds=round(seconds, 1),
        seconds_per_step=round(seconds / max(1, trainer.state.global_step - resumed_step), 3),
    )
    return GrpoRun(metrics=metrics, log_history=history, sampling=sampling)


def _mean(values: Sequence[float]) -> float | None:
    values = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    return sum(values) / len(values) if values else None


def summarize(history: Sequence[dict[str, Any]], tasks: Sequence[str], monitor: FailureMonitor) -> dict[str, Any]:
    """Metrics from the log history: reward start/end, per-task train and eval reward, monitor figures.

    Rewards are logged on generation steps only, loss/entropy/grad_norm on every step: each figure
    is averaged over the first or last fifth of the rows that carry it.
    """
    steps = [e for e in history if "loss" in e and not any(k.startswith("eval_") for k in e)]
    evals = [e for e in history if "eval_reward" in e]

    def rows_with(key: str) -> list[dict[str, Any]]:
        return [e for e in steps if _mean([e.get(key)]) is not None]

    def mean(key: str, part: str = "all") -> float | None:
        rows = rows_with(key)
        fifth = max(1, len(rows) // 5)
        rows = {"all": rows, "head": rows[:fifth], "tail": rows[-fifth:]}[part]
        return _mean([r.get(key) for r in rows])

    return {
        "reward_first": mean("reward", "head"),
        "reward_last": mean("reward", "tail"),
        "reward_std_mean": mean("reward_std"),
        "loss_last": mean("loss", "tail"),
        "train_reward": {t: mean(f"rewards/{t}/mean", "tail") for t in tasks},
        "eval_reward": {t: evals[-1].get(f"eval_rewards/{t}/mean") for t in tasks} if evals else {},
        "eval_reward_mean": evals[-1].get("eval_reward") if evals else None,
        "monitors": {
            "frac_reward_zero_std": mean("frac_reward_zero_std"),
            "clipped_ratio": mean("completions/clipped_ratio"),
            "entropy_first": mean("entropy", "head"),
            "entropy_last": mean("entropy", "tail"),
            "kl_last": mean("kl", "tail"),  # logged only when beta > 0 (no reference model at beta 0)
            "grad_norm_mean": mean("grad_norm"),
            "grad_norm_max": max((r["grad_norm"] for r in rows_with("grad_norm")), default=None),
            "warnings": dict(monitor.warnings),
        },
    }
