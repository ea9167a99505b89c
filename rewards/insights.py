"""Business insights in PT-BR, scored by grounding in the reference fact sheet.

`insights_grounding` (offline, always computed): the share of facts whose figure the answer gets
right within the fact's tolerance, and the share of the answer's figures that are supported (by a
fact, the reference answer or the question). Entities and structure form the partial stage. When
an LLM judge is configured its rubric score is reported as `judge` and averaged with the grounding
into the task stage; without one, `judge` is None and the task stage is the grounding alone.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rewards.base import Options
from rewards.mentions import mentions
from rewards.parsing import Reading, numbers_in_text, prose, readability
from schemas.tasks import Fact, InsightsTruth

_SENTENCE_END = re.compile(r"[.!?;:](?:\s|$)|\n")


def _fact_targets(fact: Fact) -> tuple[float, ...]:
    targets = [fact.value]
    if fact.unit.strip() == "%":  # 0.125 written as 12,5% or 12.5 written as 0,125
        targets.append(fact.value * 100 if abs(fact.value) <= 1 else fact.value / 100)
    return tuple(targets)


def _close(reading: Reading, target: float, rel_tolerance: float) -> bool:
    """Within the fact's tolerance, or equal to it at the precision written ("1,2%" for 1.23%).
    Signs are ignored: PT-BR writes a fall as "queda de 12,5%"."""
    tolerance = max(rel_tolerance * abs(target), 0.5 * reading.resolution, 1e-9)
    return abs(abs(reading.value) - abs(target)) <= tolerance


def _trivial(readings: tuple[Reading, ...]) -> bool:
    """Counts, ranks, months and years say nothing about grounding."""
    r = readings[0]
    return r.decimals == 0 and not r.scaled and (0 <= r.value <= 12 or 1990 <= r.value <= 2100)


@lru_cache(maxsize=4096)
def _supported_values(reference: str, question: str) -> tuple[float, ...]:
    return tuple(r.value for readings in numbers_in_text(reference + "\n" + question) for r in readings)


def grounding(text: str, truth: InsightsTruth, question: str = "") -> dict[str, float]:
    numbers = numbers_in_text(text)
    found = [any(_close(r, t, f.rel_tolerance) for readings in numbers for r in readings for t in _fact_targets(f))
             for f in truth.facts]
    facts_recall = sum(found) / len(found) if found else 1.0
    supported = _supported_values(truth.reference, question)
    figures = [readings for readings in numbers if not _trivial(readings)]
    unsupported = sum(
        1 for readings in figures
        if not any(_close(r, t, f.rel_tolerance) for r in readings for f in truth.facts for t in _fact_targets(f))
        and not any(_close(r, s, 0.005) for r in readings for s in supported)
    )
    precision = 1.0 - unsupported / len(figures) if figures else 0.0  # no figures: nothing grounded
    return {"facts_recall": facts_recall, "figures_precision": precision,
            "insights_grounding": 0.8 * facts_recall + 0.2 * precision}


def structure(text: str, reference: str) -> float:
    """Two or more sentences and a length within a factor 4 of the reference."""
    sentences = [s for s in _SENTENCE_END.split(text) if len(s.strip()) > 3]
    ratio = len(text) / max(len(reference), 1)
    length = 1.0 if 0.25 <= ratio <= 4.0 else max(0.0, ratio / 0.25) if ratio < 0.25 else max(0.0, 1 - (ratio - 4.0) / 4.0)
    return 0.5 * (1.0 if len(sentences) >= 2 else 0.5 if sentences else 0.0) + 0.5 * length


def score(completion: str, truth: InsightsTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    text, quality = prose(completion)
    scores: dict[str, Any] = {"format": quality, "judge": None}
    if not text:
        scores.update(partial=0.0, task=0.0, facts_recall=0.0, figures_precision=0.0, insights_grounding=0.0,
                      entities=0.0, structure=0.0)
        return scores
    scores.update(grounding(text, truth, prompt))
    scores["entities"] = (sum(mentions(text, e) for e in truth.entities) / len(truth.entities)) if truth.entities else 1.0
    scores["structure"] = structure(text, truth.reference)
    scores["partial"] = 0.5 * scores["entities"] + 0.5 * scores["structure"]
    scores["task"] = scores["insights_grounding"]
    if options.judge is not None:
        verdict = options.judge.evaluate(prompt, truth, text)
        scores["judge"] = verdict.score
        scores["judge_dimensions"] = verdict.dimensions
        scores["task"] = 0.5 * scores["insights_grounding"] + 0.5 * verdict.score
    scores["readability"] = readability(text)
    for stage in ("format", "partial", "task"):
        scores[stage] *= scores["readability"]
    return scores
