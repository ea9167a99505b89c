"""Insights: an analysis of the fact table given in the prompt, scored on its conclusions and figures.

The system prompt asks the answer to end with a closing line "Conclusão: <item>: <resposta>; ...",
one answer per item the question lists (an entity of the table, "empate", or a trend direction).

- `conclusions`: (right - wrong) / items over the truth's `Conclusion`s, floored at 0, read from the
  text after the last "Conclusão:"; each item's answer is the first candidate it names (a table
  entity, "empate", "alta"/"queda"/"estabilidade"), so listing every candidate is a guess, and a
  guess earns nothing on average. No closing line: no conclusion, and half the format credit.
- `figures_precision`: share of the answer's figures the table supports (a value shown, or the
  difference, percent change, sum or mean of shown values of one column), at the precision written;
  `facts_recall`: share of the asked facts cited. `figures` = their mean.
- `insights_grounding` (the offline task score) = conclusions x (0.4 + 0.6 x figures): an echo of the
  question or a copy of the table without a conclusion scores 0, right conclusions without figures 0.4.
- `partial` = 0.5 x conclusions + 0.5 x figures, and 0 without any right conclusion.
- With an LLM judge (params `eval.judge`), task = grounding x (0.5 + 0.5 x judge): the judge grades
  the prose on top and cannot lift a wrong conclusion.

A hand-written truth without a table (no `conclusions`) is scored on its figures alone
(conclusions = 1, supported figures = its facts); `rewards.consistency` flags such records.
"""
from __future__ import annotations

import re
from itertools import combinations
from typing import Any

from rewards.base import Options, PerTruth
from rewards.consistency import TIE
from rewards.mentions import first_position, mentions, word_positions
from rewards.parsing import Reading, fold, numbers_in_text, prose, readability
from schemas.tasks import Conclusion, Fact, InsightsTruth

DIRECTIONS = ("alta", "queda", "estabilidade")
# Folded words that name an answer other than an entity.
ANSWER_WORDS: dict[str, frozenset[str]] = {
    TIE: frozenset({"empate", "empatado", "empatada", "empatados", "empatadas", "empatou", "empatam", "empataram",
                    "iguais"}),
    "alta": frozenset({"alta", "altas", "subiu", "subiram", "cresceu", "cresceram", "crescimento", "crescente",
                       "aumento", "aumentou", "aumentaram", "ascendente", "positiva"}),
    "queda": frozenset({"queda", "quedas", "caiu", "cairam", "reducao", "reduziu", "reduziram", "diminuiu",
                        "diminuiram", "diminuicao", "recuo", "recuou", "decrescente", "declinio", "retracao",
                        "negativa"}),
    "estabilidade": frozenset({"estavel", "estaveis", "estabilidade", "estabilizou", "constante", "constantes",
                               "manteve", "mantiveram", "lateral", "estagnacao", "estagnou"}),
}
# Word prefixes (folded) that name a metric in an item label.
METRIC_WORDS: dict[str, tuple[str, ...]] = {
    "orders": ("pedido", "volume"), "revenue": ("receita", "faturamento"), "ticket": ("ticket",),
    "late_pct": ("atras",), "score": ("nota",), "negative_pct": ("negativ",),
}
_CONCLUSION_MARK = re.compile(r"(?im)^[\s>*#_-]*conclus(?:ão|ao|oes|ões)\b[\s*_]*[:\-–—]?[\s*_]*")
_PART_SPLIT = re.compile(r";|\n+\s*(?:[-*•]|\d+[.)])?\s*|\s+[-•]\s+")
_LABEL = re.compile(r"^([^:]{1,60}):(.*)$", re.S)
NO_FIGURE_SHARE = 0.4   # task credit of right conclusions that cite no figure


# --- the closing line ----------------------------------------------------------------------------

def conclusion_text(text: str) -> str | None:
    """What follows the last "Conclusão:" that opens a line, or None."""
    marks = list(_CONCLUSION_MARK.finditer(text))
    return text[marks[-1].end():].strip() if marks else None


def _parts(closing: str) -> list[tuple[str, str]]:
    """(label, answer) per item of the closing text; label is "" when the item has no "label:"."""
    out = []
    for part in _PART_SPLIT.split(closing):
        part = part.strip(" .*_")
        if not part:
            continue
        m = _LABEL.match(part)
        out.append((m.group(1).strip(), m.group(2).strip()) if m else ("", part))
    return out


def _names_metric(label: str, metric: str) -> bool:
    return any(w.startswith(p) for w in fold(label).split() for p in METRIC_WORDS.get(metric, (metric,)))


def candidates(conclusion: Conclusion, truth: InsightsTruth) -> tuple[str, ...]:
    """Every answer the item allows: trend directions, or each table entity and "empate"."""
    if conclusion.rule == "trend":
        return DIRECTIONS
    return tuple(dict.fromkeys([row.entity for row in truth.table] + list(conclusion.rows) + [TIE]))


def named_answer(section: str, options: tuple[str, ...]) -> str | None:
    """The option `section` names first (entities by name or code, answer words by spelling)."""
    best: tuple[int, int, str] | None = None
    for order, option in enumerate(options):
        at = word_positions(section, ANSWER_WORDS[option]) if option in ANSWER_WORDS else first_position(section, option)
        if at is not None and (best is None or (at, order) < best[:2]):
            best = (at, order, option)
    return best[2] if best else None


def read_conclusions(text: str, truth: InsightsTruth) -> list[str | None]:
    """The answer the text gives to each of the truth's conclusions (None: not answered)."""
    closing = conclusion_text(text)
    if closing is None:
        return [None] * len(truth.conclusions)
    parts = _parts(closing)
    single = len(truth.conclusions) == 1
    answers: list[str | None] = []
    for conclusion in truth.conclusions:
        section = None
        for label, answer in parts:
            if label and _names_metric(label, conclusion.metric):
                section = answer
                break
        if section is None:
            section = next((a for label, a in parts if not label and _names_metric(a, conclusion.metric)), None)
        if section is None and single:
            section = " ".join(a for _, a in parts)
        answers.append(named_answer(section, candidates(conclusion, truth)) if section else None)
    return answers


def conclusion_score(answers: list[str | None], truth: InsightsTruth) -> float:
    """(right - wrong) / items, floored at 0."""
    if not truth.conclusions:
        return 1.0
    right = sum(a is not None and a in c.accepted for a, c in zip(answers, truth.conclusions))
    wrong = sum(a is not None and a not in c.accepted for a, c in zip(answers, truth.conclusions))
    return max(0.0, (right - wrong) / len(truth.conclusions))


# --- figures -------------------------------------------------------------------------------------

def _fact_targets(fact: Fact) -> tuple[float, ...]:
    targets = [fact.value]
    if fact.unit.strip() == "%":  # 0.125 written as 12,5% or 12.5 written as 0,125
        targets.append(fact.value * 100 if abs(fact.value) <= 1 else fact.value / 100)
    return tuple(targets)


def _derived(truth: InsightsTruth) -> tuple[float, ...]:
    """Figures the table supports: each value, and per column the pairwise differences and percent
    changes, and the sum and mean of the values shown."""
    out: set[float] = set()
    for fact in truth.facts:
        out.update(_fact_targets(fact))
    columns: dict[str, list[float]] = {}
    for row in truth.table:
        for key, value in row.values.items():
            columns.setdefault(key, []).append(value)
    for values in columns.values():
        out.update(values)
        out.update((sum(values), sum(values) / len(values)))
        for a, b in combinations(values, 2):
            out.add(abs(a - b))
            out.update(100 * abs(b - a) / abs(x) for x in (a, b) if x)
    return tuple(sorted(out))


_SUPPORTED = PerTruth(_derived)


def _close(reading: Reading, target: float, rel_tolerance: float = 0.001) -> bool:
    """Equal at the precision written ("1,2 mil" for 1.234), signs ignored ("queda de 12,5%")."""
    tolerance = max(rel_tolerance * abs(target), 0.5 * reading.resolution) + 1e-9
    return abs(abs(reading.value) - abs(target)) <= tolerance


def _trivial(readings: tuple[Reading, ...]) -> bool:
    """Counts, ranks, months and years say nothing about grounding."""
    r = readings[0]
    return r.decimals == 0 and not r.scaled and (0 <= r.value <= 12 or 1990 <= r.value <= 2100)


def grounding(text: str, truth: InsightsTruth) -> dict[str, float]:
    numbers = numbers_in_text(text)
    found = [any(_close(r, t, f.rel_tolerance) for readings in numbers for r in readings for t in _fact_targets(f))
             for f in truth.facts]
    recall = sum(found) / len(found) if found else 1.0
    supported = _SUPPORTED(truth)
    figures = [readings for readings in numbers if not _trivial(readings)]
    unsupported = sum(1 for readings in figures if not any(_close(r, s) for r in readings for s in supported))
    precision = 1.0 - unsupported / len(figures) if figures else 0.0  # no figures: nothing grounded
    return {"facts_recall": recall, "figures_precision": precision, "figures": 0.5 * recall + 0.5 * precision}


# --- the score -----------------------------------------------------------------------------------

def score(completion: str, truth: InsightsTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    text, quality = prose(completion)
    scores: dict[str, Any] = {"judge": None}
    if not text:
        scores.update(format=0.0, partial=0.0, task=0.0, conclusions=0.0, facts_recall=0.0, figures_precision=0.0,
                      figures=0.0, insights_grounding=0.0, entities=0.0, conclusion_line=0.0)
        return scores
    has_line = conclusion_text(text) is not None
    answers = read_conclusions(text, truth)
    scores.update(grounding(text, truth))
    scores["conclusions"] = conclusion_score(answers, truth)
    scores["answers"] = answers
    scores["conclusion_line"] = 1.0 if has_line else 0.0
    scores["entities"] = (sum(mentions(text, e) for e in truth.entities) / len(truth.entities)) if truth.entities else 1.0
    right = scores["conclusions"]
    scores["insights_grounding"] = right * (NO_FIGURE_SHARE + (1 - NO_FIGURE_SHARE) * scores["figures"])
    scores["format"] = quality * (1.0 if has_line or not truth.conclusions else 0.5)
    scores["partial"] = 0.5 * right + 0.5 * scores["figures"] if right > 0 else 0.0
    scores["task"] = scores["insights_grounding"]
    if options.judge is not None:
        verdict = options.judge.evaluate(prompt, truth, text)
        scores["judge"] = verdict.score
        scores["judge_dimensions"] = verdict.dimensions
        scores["task"] = scores["insights_grounding"] * (0.5 + 0.5 * verdict.score)
    scores["readability"] = readability(text)
    for stage in ("format", "partial", "task"):
        scores[stage] *= scores["readability"]
    return scores
