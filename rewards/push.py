"""Push notifications, scored by their constraints: length, the category named, no invented or
excessive discount, no unfilled template placeholders."""
from __future__ import annotations

import re
from typing import Any

from rewards.base import Options
from rewards.mentions import mentions
from rewards.parsing import fold, number_readings, prose, readability
from schemas.tasks import PushTruth

_DISCOUNT_WORD = re.compile(r"descont|cupo[mn]|cashback|\boff\b|promocode")
_PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|por\s*cento)")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]|<[^<>]*>|\bX{2,}\b")


def discount_ok(text: str, allowed_pct: float | None) -> bool:
    """No discount at all when none is allowed; otherwise every percentage within the allowance."""
    folded = fold(text)
    percents = [number_readings(m.group(0))[0].value for m in _PERCENT.finditer(folded) if number_readings(m.group(0))]
    if allowed_pct is None:
        return not percents and not _DISCOUNT_WORD.search(folded)
    return all(p <= allowed_pct + 1e-9 for p in percents)


def score(completion: str, truth: PushTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    text, quality = prose(completion)
    text = text.strip().strip('"“”').strip()
    if not text:
        return {"format": 0.0, "partial": 0.0, "task": 0.0, "length_ok": 0.0, "category_ok": 0.0,
                "discount_ok": 0.0, "no_placeholder": 0.0, "chars": 0}
    over = len(text) - truth.max_chars
    constraints = {
        "length_ok": 1.0 if over <= 0 else max(0.0, 1.0 - over / truth.max_chars),
        "category_ok": 1.0 if mentions(text, truth.category) else 0.0,
        "discount_ok": 1.0 if discount_ok(text, truth.allowed_discount_pct) else 0.0,
        "no_placeholder": 0.0 if _PLACEHOLDER.search(text) else 1.0,
    }
    task = 1.0
    for value in constraints.values():
        task *= value
    fluent = readability(text)
    return {"format": quality * fluent, "partial": fluent * sum(constraints.values()) / len(constraints),
            "task": fluent * task, "readability": fluent, "chars": len(text), **constraints}
