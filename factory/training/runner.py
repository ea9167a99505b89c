"""The trainer skeleton SFT and GRPO share: load, fit, resume, train, evaluate, save, time.

A stage describes what differs in a `Recipe` (which records fit, the TRL config, what the resume
fingerprint covers, the trainer, the final evaluation); `run` does the rest in one order, so
resuming, saving, tracking and timing behave the same in both.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from factory.training import checkpoints, tracking
from factory.training.backends import LoraSpec, choose_backend, load_policy, save_policy

Records = list[dict[str, Any]]


class Recipe:
    """One stage's pieces; the methods with a body are optional."""

    name: str  # "sft" | "grpo": the tracking run name and the prefix of the log lines

    def load_kwargs(self, backend: str) -> dict[str, Any]:
        """Extra `load_policy` arguments for the chosen backend."""
        return {}

    def prepare(self, model: Any, tokenizer: Any) -> None:
        """Adjust the loaded policy before anything reads it."""

    def fit(self, tokenizer: Any) -> tuple[Records, Records, int]:
        """(train records kept, val records kept, how many were dropped as too long); raise if none fit."""
        raise NotImplementedError

    def config(self, report_to: list[str], train: Records, val: Records) -> Any:
        """The TRL config."""
        raise NotImplementedError

    def fingerprint(self, backend: str, train: Records, val: Records) -> dict[str, Any]:
        """Everything that shapes the run: an interrupted run resumes only when all of it is unchanged."""
        raise NotImplementedError

    def trainer(self, model: Any, tokenizer: Any, config: Any, train: Records, val: Records) -> Any:
        """The TRL trainer."""
        raise NotImplementedError

    def ready(self, trainer: Any, backend: str, train: Records) -> None:
        """Checks and log lines once the trainer exists, before training."""

    def evaluate(self, trainer: Any, val: Records) -> dict[str, Any]:
        """The final evaluation after training ({} when there is none)."""
        return {}


@dataclass
class Trained:
    """What `run` leaves: the finished trainer and the figures every stage reports."""

    trainer: Any
    backend: str
    lora: bool
    train: Records
    val: Records
    dropped: int
    resumed_step: int
    seconds: float
    evaluation: dict[str, Any] = field(default_factory=dict)

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.trainer.state.log_history)

    def metrics(self) -> dict[str, Any]:
        step = self.trainer.state.global_step
        return {
            "backend": self.backend,
            "lora": self.lora,
            "global_step": step,
            "resumed_from_step": self.resumed_step,
            "dropped_too_long": self.dropped,
            "seconds": round(self.seconds, 1),
            "seconds_per_step": round(self.seconds / max(1, step - self.resumed_step), 3),
        }


def run(
    recipe: Recipe,
    *,
    policy_dir: str | Path,
    out_dir: str | Path,
    work_dir: str | Path,
    backend: str,
    lora: dict[str, Any] | None,
    max_seq_length: int,
    seed: int,
    tracking_params: dict[str, Any] | None,
) -> Trained:
    """Train `policy_dir` with `recipe`, save the merged policy to `out_dir`; resume an identical interrupted run."""
    work_dir = Path(work_dir)
    chosen = choose_backend(backend)
    spec = LoraSpec.from_params(lora)
    model, tokenizer = load_policy(policy_dir, backend=chosen, lora=spec, max_seq_length=max_seq_length, seed=seed,
                                   **recipe.load_kwargs(chosen))
    recipe.prepare(model, tokenizer)
    train, val, dropped = recipe.fit(tokenizer)
    # The config first: it sets up the (possibly distributed) process state the checkpoint logic uses.
    config = recipe.config(tracking.report_to(tracking_params, run_name=recipe.name), train, val)
    resume = checkpoints.prepare_distributed(
        work_dir, checkpoints.fingerprint(**recipe.fingerprint(chosen, train, val)))
    resumed_step = checkpoints.global_step(resume) if resume else 0
    trainer = recipe.trainer(model, tokenizer, config, train, val)
    recipe.ready(trainer, chosen, train)
    if resume is not None:
        print(f"{recipe.name}: resuming from {resume} (step {resumed_step})", flush=True)
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds = time.perf_counter() - start
    evaluation = recipe.evaluate(trainer, val)
    tracking.finish()
    if trainer.accelerator.is_main_process:
        save_policy(trainer.model, tokenizer, out_dir)
        checkpoints.finish(work_dir)
    trainer.accelerator.wait_for_everyone()
    return Trained(trainer, chosen, spec.enabled, train, val, dropped, resumed_step, seconds, evaluation)


def finite_mean(values: Sequence[Any]) -> float | None:
    """Mean of the finite numbers among `values` (None when there are none)."""
    values = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    return sum(values) / len(values) if values else None


def train_rows(history: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The per-step training rows of a log history (not eval rows, not the final summary)."""
    return [e for e in history if "loss" in e and not any(k.startswith("eval_") for k in e)]


def fifth_mean(rows: Sequence[dict[str, Any]], key: str, part: str = "all") -> float | None:
    """`key` averaged over the rows that carry it: all of them, the first fifth (head) or the last (tail)."""
    rows = [r for r in rows if finite_mean([r.get(key)]) is not None]
    fifth = max(1, len(rows) // 5)
    rows = {"all": rows, "head": rows[:fifth], "tail": rows[-fifth:]}[part]
    return finite_mean([r.get(key) for r in rows])
