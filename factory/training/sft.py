"""SFT with TRL: gold answers as the assistant turn, assistant-only loss, LoRA optional, resumable.

After training, `sample_report` generates on val and measures degenerate output, because a falling
loss alone once hid a model whose outputs were garbage.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from factory.io import sha256_tree
from factory.training import checkpoints, tracking
from factory.training.backends import LoraSpec, choose_backend, load_policy, precision_args, save_policy
from factory.training.data import gold_answer, records_hash, sft_dataset
from factory.training.sampling import degeneracy, generate

FormatScore = Callable[[dict[str, Any], str], float]


@dataclass
class SftRun:
    metrics: dict[str, Any]
    log_history: list[dict[str, Any]] = field(default_factory=list)


def fit_length(records: Sequence[dict[str, Any]], tokenizer: Any, max_length: int) -> tuple[list[dict[str, Any]], int]:
    """Drop records whose prompt + gold answer exceed `max_length` tokens (truncation would cut the answer)."""
    kept = []
    for r in records:
        messages = [{"role": m["role"], "content": m["content"]} for m in r["messages"]]
        messages.append({"role": "assistant", "content": gold_answer(r)})
        if len(tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]) <= max_length:
            kept.append(r)
    return kept, len(records) - len(kept)


def sft_args(params: dict[str, Any], work_dir: Path, *, report: list[str], eval_batch: int) -> Any:
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(work_dir),
        max_steps=params["max_steps"],
        learning_rate=params["learning_rate"],
        lr_scheduler_type=params.get("lr_scheduler_type", "linear"),
        warmup_steps=params.get("warmup_steps", 0),
        per_device_train_batch_size=params["per_device_train_batch_size"],
        per_device_eval_batch_size=eval_batch,
        gradient_accumulation_steps=params["gradient_accumulation_steps"],
        max_length=params["max_length"],
        assistant_only_loss=True,
        packing=False,
        # Batches of similar lengths: random batches of these prompts carry ~1.9x padding. (padding_free
        # would remove it too, but on CPU/SDPA one long block-masked sequence is slower than padding.)
        train_sampling_strategy="group_by_length" if params.get("group_by_length", True) else "random",
        activation_checkpointing=params.get("gradient_checkpointing", False),  # v5 name of gradient_checkpointing
        logging_steps=params.get("logging_steps", 1),
        save_strategy="steps",
        save_steps=params.get("save_steps", 20),
        save_total_limit=2,
        eval_strategy="no",
        report_to=report,
        run_name="sft",
        seed=params["seed"],
        data_seed=params["seed"],
        dataloader_num_workers=0,
        disable_tqdm=False,
        **precision_args(),
    )


def train_sft(
    train_records: Sequence[dict[str, Any]],
    val_records: Sequence[dict[str, Any]],
    *,
    base_dir: str | Path,
    out_dir: str | Path,
    params: dict[str, Any],
    work_dir: str | Path,
    backend: str = "auto",
    tracking_params: dict[str, Any] | None = None,
    callbacks: Sequence[Any] = (),
) -> SftRun:
    """Fine-tune `base_dir` on the gold answers; save the merged model to `out_dir`; resume if interrupted."""
    from trl import SFTTrainer

    work_dir = Path(work_dir)
    chosen = choose_backend(backend)
    lora = LoraSpec.from_params(params.get("lora"))
    model, tokenizer = load_policy(base_dir, backend=chosen, lora=lora, max_seq_length=params["max_length"],
                                   seed=params["seed"])
    train_kept, train_dropped = fit_length(train_records, tokenizer, params["max_length"])
    val_kept, val_dropped = fit_length(val_records, tokenizer, params["max_length"])
    if not train_kept:
        raise ValueError(f"every training record is longer than sft.max_length={params['max_length']} tokens")
    # The config first: it sets up the (possibly distributed) process state the checkpoint logic uses.
    args = sft_args(params, work_dir, report=tracking.report_to(tracking_params, run_name="sft"),
                    eval_batch=params["per_device_train_batch_size"])
    resume = checkpoints.prepare_distributed(work_dir, checkpoints.fingerprint(
        sft=params, backend=chosen, base=sha256_tree(base_dir), train=records_hash(train_kept)))
    if resume is not None:
        print(f"sft: resuming from {resume} (step {checkpoints.global_step(resume)})", flush=True)
    trainer = SFTTrainer(
        model=model, args=args, processing_class=tokenizer,
        train_dataset=sft_dataset(train_kept), eval_dataset=sft_dataset(val_kept) if val_kept else None,
        callbacks=list(callbacks),
    )
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds = time.perf_counter() - start
    evaluation = trainer.evaluate() if val_kept else {}
    tracking.finish()
    if trainer.accelerator.is_main_process:
        save_policy(trainer.model, tokenizer, out_dir)
        checkpoints.finish(work_dir)
    trainer.accelerator.wait_for_everyone()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    head = losses[: max(1, len(losses) // 5)]
    tail = losses[-max(1, len(losses) // 5):]
    metrics = {
        "backend": chosen,
        "lora": lora.enabled,
        "global_step": trainer.state.global_step,
        "resumed_from_step": checkpoints.global_step(resume) if resume else 0,
        "train_records": len(train_kept),
        "dropped_too_long": train_dropped + val_dropped,
        "loss_first": sum(head) / len(head) if head else None,
        "loss_last": sum(tail) / len(tail) if tail else None,
        "val_loss": evaluation.get("eval_loss"),
        "seconds": round(seconds, 1),
        "seconds_per_step": round(seconds / max(1, trainer.state.global_step - (checkpoints.global_step(resume) if resume else 0)), 3),
    }
    return SftRun(metrics=metrics, log_history=list(trainer.state.log_history))


def sample_report(
    model_dir: str | Path,
    records: Sequence[dict[str, Any]],
    *,
    format_score: FormatScore,
    max_new_tokens: int,
    seed: int = 0,
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Greedy generations on `records` with their format sub-score, and the degenerate-output metrics."""
    from factory.training.base_model import load_model

    model, tokenizer = load_model(model_dir)
    conversations = [[{"role": m["role"], "content": m["content"]} for m in r["messages"]] for r in records]
    outputs = generate(model, tokenizer, conversations, max_new_tokens=max_new_tokens, seed=seed)
    rows = []
    for r, o in zip(records, outputs):
        rows.append({"id": r["id"], "task": r["task"], "prompt": r["messages"][-1]["content"],
                     "gold": gold_answer(r), "output": o["text"], "tokens": o["tokens"], "stopped": o["stopped"],
                     "format": format_score(r, o["text"])})
    return rows, degeneracy(outputs, [row["format"] for row in rows])


def samples_markdown(rows: Sequence[dict[str, Any]], metrics: dict[str, float], *, title: str) -> str:
    """A human-readable page: the degenerate-output figures, then every sample with its gold."""
    lines = [f"# {title}", "", "| metric | value |", "|---|---:|"]
    lines += [f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in metrics.items()]
    for row in rows:
        lines += ["", f"## {row['id']} ({row['task']})",
                  f"format {row['format']:.2f} · {row['tokens']} tokens · {'stopped' if row['stopped'] else 'hit the length limit'}",
                  "", "**prompt (last user turn)**", "", _fence(row["prompt"][:600]),
                  "**output**", "", _fence(row["output"]), "**gold**", "", _fence(row["gold"])]
    return "\n".join(lines) + "\n"


def _fence(text: str) -> str:
    return "````text\n" + text.replace("````", "'''") + "\n````\n"
