"""SFT with TRL: gold answers as the assistant turn, assistant-only loss, LoRA optional, resumable.

After training, `sample_report` generates on val (`factory.generation.complete`, as scoring and
serving do) and measures degenerate output, because a falling loss alone once hid a model whose
outputs were garbage. Loading, resuming and saving are the skeleton shared with GRPO
(`factory.training.runner`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from common.io import sha256_tree
from factory.generation import Decoding, complete
from factory.training.backends import precision_args
from factory.training.data import gold_answer, records_hash, sft_dataset
from factory.training.runner import Recipe, fifth_mean, run, train_rows
from factory.training.sampling import degeneracy

FormatScore = Callable[[dict[str, Any], str], float]
SAMPLE_BATCH = 16  # val prompts per generate call (left-padded)


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


class _Sft(Recipe):
    """SFT's pieces for the shared skeleton (factory.training.runner)."""

    name = "sft"

    def __init__(self, train_records: Sequence[dict[str, Any]], val_records: Sequence[dict[str, Any]], *,
                 base_dir: str | Path, params: dict[str, Any], work_dir: Path, callbacks: Sequence[Any]) -> None:
        self.train_records, self.val_records, self.base_dir = train_records, val_records, base_dir
        self.params, self.work_dir, self.callbacks = params, work_dir, callbacks

    def fit(self, tokenizer: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        max_length = self.params["max_length"]
        train, train_dropped = fit_length(self.train_records, tokenizer, max_length)
        val, val_dropped = fit_length(self.val_records, tokenizer, max_length)
        if not train:
            raise ValueError(f"every training record is longer than sft.max_length={max_length} tokens")
        return train, val, train_dropped + val_dropped

    def config(self, report_to: list[str], train: list[dict[str, Any]], val: list[dict[str, Any]]) -> Any:
        return sft_args(self.params, self.work_dir, report=report_to, eval_batch=self.params["per_device_train_batch_size"])

    def fingerprint(self, backend: str, train: list[dict[str, Any]], val: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(sft=self.params, backend=backend, base=sha256_tree(self.base_dir), train=records_hash(train))

    def trainer(self, model: Any, tokenizer: Any, config: Any, train: list[dict[str, Any]], val: list[dict[str, Any]]) -> Any:
        from trl import SFTTrainer

        return SFTTrainer(model=model, args=config, processing_class=tokenizer, train_dataset=sft_dataset(train),
                          eval_dataset=sft_dataset(val) if val else None, callbacks=list(self.callbacks))

    def evaluate(self, trainer: Any, val: list[dict[str, Any]]) -> dict[str, Any]:
        return trainer.evaluate() if val else {}


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
    recipe = _Sft(train_records, val_records, base_dir=base_dir, params=params, work_dir=Path(work_dir),
                  callbacks=callbacks)
    done = run(recipe, policy_dir=base_dir, out_dir=out_dir, work_dir=work_dir, backend=backend,
               lora=params.get("lora"), max_seq_length=params["max_length"], seed=params["seed"],
               tracking_params=tracking_params)
    steps = train_rows(done.history)
    metrics = {
        **done.metrics(),
        "train_records": len(done.train),
        "loss_first": fifth_mean(steps, "loss", "head"),
        "loss_last": fifth_mean(steps, "loss", "tail"),
        "val_loss": done.evaluation.get("eval_loss"),
    }
    return SftRun(metrics=metrics, log_history=done.history)


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
    greedy = Decoding(temperature=0.0, max_tokens=max_new_tokens, seed=seed)
    outputs = [{"text": c.text, "tokens": c.completion_tokens, "stopped": c.stopped}
               for [c] in complete(model, tokenizer, conversations, greedy, batch_size=SAMPLE_BATCH)]
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
