"""GRPO with TRL from the SFT checkpoint, one reward function per task, with the seeds' lessons as defaults.

Defaults (params.yaml `train.*`): beta 0 (no reference model), Dr. GRPO loss, no std scaling of
rewards, constant_with_warmup at lr 5e-6, 4 generations, truncated completions masked and rewarded
`train.truncated_reward` (0: a completion that never stops earns nothing, so stopping has an advantage). Sampling
uses `train.temperature` / `train.top_p` / `train.top_k`, passed explicitly, and the policy's own
generation_config is replaced by a neutral one (eos/pad only) so a checkpoint's sampling defaults
can never leak in; `effective_sampling` reads back what `generate` will really use. TRL generates;
the sampling fields and the neutral config come from `factory.generation`, the loading, resuming and
saving from the skeleton shared with SFT (`factory.training.runner`).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from common.io import sha256_tree
from factory.generation import neutral_generation_config, sampling_fields
from factory.training.backends import precision_args, vllm_args
from factory.training.data import grpo_dataset, records_hash
from factory.training.reward_funcs import stop_token_ids, unstopped_scored_as
from factory.training.monitors import FailureMonitor, MonitorCallback, Thresholds
from factory.training.runner import Recipe, fifth_mean, finite_mean, run, train_rows

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
    sampling = train_sampling(params)
    return GRPOConfig(
        output_dir=str(work_dir),
        max_steps=params["max_steps"],
        learning_rate=params["learning_rate"],
        lr_scheduler_type=params["lr_scheduler_type"],
        warmup_steps=params["warmup_steps"],
        temperature=sampling["temperature"],
        top_p=sampling["top_p"],
        top_k=sampling["top_k"],
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


def train_sampling(params: dict[str, Any]) -> dict[str, Any]:
    """The sampling train.* asks for, in generation-config fields (factory.generation.sampling_fields)."""
    return {**sampling_fields(params["temperature"], params["top_p"], params.get("top_k", 0)),
            "max_new_tokens": params["max_completion_length"]}


def effective_sampling(trainer: Any) -> dict[str, Any]:
    """The sampling settings `generate` will actually use: TRL's config merged over the policy's own."""
    model = trainer.accelerator.unwrap_model(trainer.model)
    config, _ = model._prepare_generation_config(trainer.generation_config)
    return {k: getattr(config, k) for k in ("do_sample", "temperature", "top_p", "top_k", "max_new_tokens")}


def check_sampling(sampling: dict[str, Any], params: dict[str, Any]) -> None:
    """Fail before training when the merged generation config differs from train.* (the seed bug)."""
    want = train_sampling(params)
    wrong = {k: (sampling.get(k), v) for k, v in want.items() if sampling.get(k) != v}
    if wrong:
        raise RuntimeError(f"generation would not use train.* sampling: (got, wanted) = {wrong}")


class _Grpo(Recipe):
    """GRPO's pieces for the shared skeleton (factory.training.runner)."""

    name = "grpo"

    def __init__(self, train_records: Sequence[dict[str, Any]], val_records: Sequence[dict[str, Any]], *,
                 policy_dir: str | Path, params: dict[str, Any], reward_funcs: Sequence[RewardFunc], work_dir: Path,
                 monitor: FailureMonitor, callbacks: Sequence[Any]) -> None:
        self.train_records, self.val_records, self.policy_dir = train_records, val_records, policy_dir
        self.params, self.reward_funcs, self.work_dir = params, list(reward_funcs), work_dir
        self.monitor, self.callbacks = monitor, callbacks
        self.names = [f.__name__ for f in reward_funcs]
        self.sampling: dict[str, Any] = {}  # set by ready(): what TRL's generate will use
        self.epoch = 1
        self.train_dropped = 0

    def load_kwargs(self, backend: str) -> dict[str, Any]:
        fast_inference = backend == "unsloth" and vllm_args(self.params)["use_vllm"]  # Unsloth's own vLLM generation
        return dict(fast_inference=fast_inference,
                    gpu_memory_utilization=self.params.get("vllm_gpu_memory_utilization", 0.3))

    def prepare(self, model: Any, tokenizer: Any) -> None:
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        base.generation_config = neutral_generation_config(base, tokenizer)

    def fit(self, tokenizer: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        params = self.params
        train, train_dropped = fit_prompts(self.train_records, tokenizer, params["max_prompt_length"])
        val, val_dropped = fit_prompts(self.val_records, tokenizer, params["max_prompt_length"])
        if not train:
            raise ValueError(f"every training prompt is longer than train.max_prompt_length={params['max_prompt_length']}")
        world = int(os.environ.get("WORLD_SIZE", "1"))
        per_generation = params.get("steps_per_generation") or params["gradient_accumulation_steps"]
        needed = params["per_device_train_batch_size"] * per_generation * world // params["num_generations"]
        if len(train) < needed:
            raise ValueError(f"{len(train)} training prompts, but one generation batch needs {needed} "
                             "(per_device_train_batch_size x steps_per_generation x processes / num_generations)")
        self.train_dropped = train_dropped
        return train, val, train_dropped + val_dropped

    def config(self, report_to: list[str], train: list[dict[str, Any]], val: list[dict[str, Any]]) -> Any:
        return grpo_args(self.params, self.work_dir, report=report_to, evaluate=bool(val))

    def fingerprint(self, backend: str, train: list[dict[str, Any]], val: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(train=self.params, backend=backend, policy=sha256_tree(self.policy_dir), rewards=self.names,
                    prompts=records_hash(train), val=records_hash(val))

    def trainer(self, model: Any, tokenizer: Any, config: Any, train: list[dict[str, Any]], val: list[dict[str, Any]]) -> Any:
        from trl import GRPOTrainer

        funcs = self.reward_funcs
        if self.params.get("truncated_reward") is not None:
            stops = stop_token_ids(model, tokenizer)
            funcs = [unstopped_scored_as(f, stops, float(self.params["truncated_reward"])) for f in funcs]
        return GRPOTrainer(
            model=model, args=config, processing_class=tokenizer, reward_funcs=funcs,
            train_dataset=grpo_dataset(train), eval_dataset=grpo_dataset(val) if val else None,
            callbacks=[MonitorCallback(self.monitor), *self.callbacks],
        )

    def ready(self, trainer: Any, backend: str, train: list[dict[str, Any]]) -> None:
        params = self.params
        self.sampling = effective_sampling(trainer)
        check_sampling(self.sampling, params)
        self.epoch = steps_per_epoch(len(train), params, trainer.accelerator.num_processes)
        print(f"grpo: {len(train)} prompts x {params['num_generations']} generations / "
              f"({params['per_device_train_batch_size']} batch x {params['gradient_accumulation_steps']} accumulation x "
              f"{trainer.accelerator.num_processes} processes) = {self.epoch} steps per epoch; max_steps {params['max_steps']} "
              f"= {params['max_steps'] / self.epoch:.2f} epochs; dropped {self.train_dropped} prompts over max_prompt_length; "
              f"backend {backend}; sampling {self.sampling}", flush=True)

    def evaluate(self, trainer: Any, val: list[dict[str, Any]]) -> dict[str, Any]:
        last_eval = max((e["step"] for e in trainer.state.log_history if "eval_reward" in e), default=None)
        if val and last_eval != trainer.state.global_step:
            trainer.evaluate()  # the final policy's per-task reward on val, whatever eval_steps was
        return {}  # the eval figures are in the log history (summarize reads them)


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
    monitor = FailureMonitor(thresholds or Thresholds())
    recipe = _Grpo(train_records, val_records, policy_dir=policy_dir, params=params, reward_funcs=reward_funcs,
                   work_dir=Path(work_dir), monitor=monitor, callbacks=callbacks)
    done = run(recipe, policy_dir=policy_dir, out_dir=out_dir, work_dir=work_dir, backend=params.get("backend", "auto"),
               lora=params.get("lora"), max_seq_length=params["max_prompt_length"] + params["max_completion_length"],
               seed=params["seed"], tracking_params=tracking_params)
    history = done.history
    step = done.trainer.state.global_step
    metrics = summarize(history, recipe.names, monitor)
    metrics.update(done.metrics(), steps_per_epoch=recipe.epoch, epochs=round(step / recipe.epoch, 3),
                   train_prompts=len(done.train))
    return GrpoRun(metrics=metrics, log_history=history, sampling=recipe.sampling)


def summarize(history: Sequence[dict[str, Any]], tasks: Sequence[str], monitor: FailureMonitor) -> dict[str, Any]:
    """Metrics from the log history: reward start/end, per-task train and eval reward, monitor figures.

    Rewards are logged on generation steps only, loss/entropy/grad_norm on every step: each figure
    is averaged over the first or last fifth of the rows that carry it.
    """
    steps = train_rows(history)
    evals = [e for e in history if "eval_reward" in e]

    def mean(key: str, part: str = "all") -> float | None:
        return fifth_mean(steps, key, part)

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
            "grad_norm_max": max((r["grad_norm"] for r in steps if finite_mean([r.get("grad_norm")]) is not None),
                                 default=None),
            "warnings": dict(monitor.warnings),
        },
    }
