"""Numeric reasoning: the value after the last "Resposta:", read with PT-BR notation.

Right when it rounds to the answer at the decimals the question asks for (`decimals`: "160,333"
and "160,33" are both right for 481 / 3 to two places, "160,3" is not); for a truth without
`decimals`, when it equals the answer within the relative tolerance or is the answer rounded to
the decimals written (two or more: "33,33" for 33.3333...). The partial stage gives credit by
relative distance.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from rewards.base import Options
from rewards.parsing import Reading, numbers_in_text, strip_think
from schemas.tasks import ReasoningTruth

_ANSWER_MARK = re.compile(r"resposta(?:\s+final)?\s*\**\s*[:=]", re.I)


def final_answer(completion: str) -> tuple[tuple[Reading, ...], float]:
    """Readings of the final number and the format quality (1.0 after "Resposta:", 0.5 when only
    the last number of the text could be taken, 0.0 none)."""
    answer = strip_think(completion)
    marks = list(_ANSWER_MARK.finditer(answer))
    if marks:
        after = numbers_in_text(answer[marks[-1].end():])
        if after:
            return after[0], 1.0
    numbers = numbers_in_text(answer)
    return (numbers[-1], 0.5) if numbers else ((), 0.0)


def rounds_to(value: float, answer: float, decimals: int) -> bool:
    """`value` rounded half up to `decimals` equals `answer` rounded the same way. A value that is not
    finite, or too long to write to `decimals` places (a model's "1000…0"), is a wrong answer, not a crash."""
    if not math.isfinite(value):
        return False
    unit = Decimal(1).scaleb(-decimals)
    try:
        return Decimal(repr(value)).quantize(unit, ROUND_HALF_UP) == Decimal(repr(answer)).quantize(unit, ROUND_HALF_UP)
    except InvalidOperation:
        return False


def is_correct(reading: Reading, truth: ReasoningTruth) -> bool:
    """Right at the rounding the question asks for (`truth.decimals`), else within the tolerance."""
    if truth.decimals is not None:
        return not reading.scaled and rounds_to(reading.value, truth.answer, truth.decimals)
    tolerance = truth.rel_tolerance * abs(truth.answer)
    if reading.decimals >= 2 and not reading.scaled:
        tolerance = max(tolerance, 0.5 * 10.0 ** -reading.decimals)
    return abs(reading.value - truth.answer) <= tolerance + 1e-12


def score(completion: str, truth: ReasoningTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    readings, quality = final_answer(completion)
    if not readings:
        return {"format": 0.0, "partial": 0.0, "task": 0.0, "answer": None}
    best = min(readings, key=lambda r: abs(r.value - truth.answer))
    correct = is_correct(best, truth)
    closeness = 1.0 if correct else max(0.0, 1.0 - abs(best.value - truth.answer) / max(abs(truth.answer), 1.0))
    return {"format": quality, "partial": closeness, "task": 1.0 if correct else 0.0, "answer": best.value}
