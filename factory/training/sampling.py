"""Measure degenerate output of sampled completions (a good-looking loss is not enough).

The seeds trained a model whose loss fell nicely and whose outputs were garbage: repeated
tokens, never-ending answers, no valid format. `degeneracy` puts numbers on that; the completions
themselves come from `factory.generation.complete`.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


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
