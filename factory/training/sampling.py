"""Sample a model on prompts and measure degenerate output (a good-looking loss is not enough).

The seeds trained a model whose loss fell nicely and whose outputs were garbage: repeated
tokens, never-ending answers, no valid format. `degeneracy` puts numbers on that.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import torch

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def generate(
    model: Any,
    tokenizer: Any,
    conversations: Sequence[list[dict[str, str]]],
    *,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    batch_size: int = 16,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Complete each conversation (chat template + generation prompt); greedy when temperature is 0.

    Sampling settings are passed in full, so the model's generation_config adds nothing but
    eos/pad ids. Returns the text and whether generation stopped at an end-of-turn token.
    """
    from transformers import GenerationConfig

    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    config = GenerationConfig(
        max_new_tokens=max_new_tokens, do_sample=temperature > 0, temperature=temperature or None,
        top_p=top_p if temperature > 0 else None, top_k=0 if temperature > 0 else None,
        eos_token_id=eos, pad_token_id=pad,
    )
    torch.manual_seed(seed)
    model.eval()
    out: list[dict[str, Any]] = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(conversations), batch_size):
            chunk = conversations[start:start + batch_size]
            texts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in chunk]
            enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            with torch.no_grad():
                ids = model.generate(**enc, generation_config=config)
            for row in ids[:, enc["input_ids"].shape[1]:].tolist():
                stopped = eos in row
                row = row[: row.index(eos)] if stopped else row
                row = [t for t in row if t != pad]
                out.append({"text": tokenizer.decode(row, skip_special_tokens=True), "tokens": len(row),
                            "stopped": stopped})
    finally:
        tokenizer.padding_side = side
    return out


def repetition(text: str, n: int = 3, chars: int = 8) -> float:
    """Share of repeated n-grams (0 = none repeated, near 1 = one phrase looping).

    The larger of two views: word n-grams catch a phrase that loops, character n-grams (whitespace
    ignored) catch a run-on token such as `1000000…` or `{"sentiment": 0000…`, which is one "word".
    """
    words = _WORD.findall(text.lower())
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    word_rep = 1.0 - len(set(grams)) / len(grams) if grams else 0.0
    squeezed = "".join(text.split())
    cgrams = [squeezed[i:i + chars] for i in range(len(squeezed) - chars + 1)]
    char_rep = 1.0 - len(set(cgrams)) / len(cgrams) if len(cgrams) >= 2 * chars else 0.0
    return max(word_rep, char_rep)


def degeneracy(samples: Sequence[dict[str, Any]], format_scores: Sequence[float], *, loop_threshold: float = 0.5) -> dict[str, float]:
    """Aggregate degenerate-output metrics over samples (each with text/stopped) and their format sub-scores."""
    n = len(samples)
    if n == 0:
        raise ValueError("no samples to measure")
    reps = [repetition(s["text"]) for s in samples]
    return {
        "samples": n,
        "repetition_rate": sum(reps) / n,
        "looping_rate": sum(r > loop_threshold for r in reps) / n,
        "empty_rate": sum(not s["text"].strip() for s in samples) / n,
        "stopped_rate": sum(bool(s["stopped"]) for s in samples) / n,
        "valid_format_rate": sum(f >= 1.0 for f in format_scores) / n,
        "mean_format_score": sum(format_scores) / n,
    }
