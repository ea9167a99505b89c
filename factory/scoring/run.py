"""Run the benchmark through one backend and score every completion with the rewards library."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from common.io import write_jsonl
from factory.scoring.backends import Backend
from factory.generation import Decoding
from rewards.aggregate import outcome
from rewards.trivial import user_message

# (task, completion, ground_truth, prompt) -> sub-scores incl. "reward" (see benchmark.make_scorer);
# prompt is the user message, which the insights judge reads.
Scorer = Callable[[str, str, dict[str, Any], str], dict[str, Any]]

# Per-row fields that vary run to run (wall-clock): kept out of the generations file, which is
# byte-identical for the same inputs, and written to the latency plot instead.
TIMING_FIELDS = ("latency_s", "cost_usd")


def decoding_from_params(eval_params: dict[str, Any]) -> Decoding:
    """The one decoding setup every model and endpoint is scored with (params.yaml `eval`)."""
    try:
        return Decoding(
            temperature=float(eval_params["temperature"]),
            top_p=float(eval_params["top_p"]),
            max_tokens=int(eval_params["max_new_tokens"]),
            seed=eval_params.get("seed"),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"params.yaml eval: bad decoding settings: {err}") from err


def run_benchmark(backend: Backend, records: list[dict[str, Any]], decoding: Decoding, scorer: Scorer,
                  batch_size: int = 1) -> list[dict[str, Any]]:
    """One generation per record, scored. Batch size 1: reseeded per prompt, so order does not matter.
    Larger batches go to a backend's `generate_batch` (local models; endpoints get one request per
    prompt), in benchmark order, so the same params still give the same completions."""
    rows = []
    batched = batch_size > 1 and hasattr(backend, "generate_batch")
    step = batch_size if batched else 1
    with tqdm(total=len(records), desc=f"score {backend.name}", unit="prompt") as progress:
        for start in range(0, len(records), step):
            chunk = records[start:start + step]
            conversations = [[{"role": m["role"], "content": m["content"]} for m in r["messages"]] for r in chunk]
            generations = (backend.generate_batch(conversations, decoding) if batched
                           else [backend.generate(conversations[0], decoding)])
            for record, generation in zip(chunk, generations, strict=True):
                rows.append({
                    **score_row(record, generation.text, scorer),
                    "finish_reason": generation.finish_reason,
                    "prompt_tokens": generation.prompt_tokens,
                    "completion_tokens": generation.completion_tokens,
                    "latency_s": generation.latency_s,
                    "cost_usd": backend.cost_usd(generation),
                })
            progress.update(len(chunk))
    return rows


def score_row(record: dict[str, Any], completion: str, scorer: Scorer) -> dict[str, Any]:
    """One completion for one benchmark record, scored: id, task, difficulty, completion, scores."""
    scores = scorer(record["task"], completion, record["ground_truth"], user_message(record))
    if not isinstance(scores, dict) or "reward" not in scores:
        raise TypeError(f"scorer returned {scores!r} for {record['id']}: expected a dict with 'reward'")
    row = {"id": record["id"], "task": record["task"], "difficulty": record["difficulty"],
           "completion": completion, "scores": scores}
    classes = outcome(record["task"], record["ground_truth"])
    if classes is not None:
        row["outcome"] = classes
    return row


def score_answers(records: list[dict[str, Any]], answer: Callable[[dict[str, Any]], str],
                  scorer: Scorer) -> list[dict[str, Any]]:
    """A model-free answerer (record -> text) over the benchmark, scored like a model's generations."""
    return [score_row(record, answer(record), scorer) for record in records]


def write_generations(path: str | Path, rows: list[dict[str, Any]]) -> int:
    return write_jsonl(path, ({k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in rows))


def latency_csv(rows: list[dict[str, Any]]) -> str:
    """One line per prompt in benchmark order: the DVC plot of latency per prompt for one model."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["prompt", "id", "task", "latency_s"])
    for i, row in enumerate(rows):
        writer.writerow([i, row["id"], row["task"], f"{row['latency_s']:.4f}"])
    return buf.getvalue()
