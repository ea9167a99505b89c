"""Field-by-field scoring of JSON answers (extraction, sentiment, churn).

Each field has a kind: labels compare exactly after normalization (accents, case, separators,
aliases), numbers by distance, booleans exactly, free text by token F1 (deterministic). A field's
value is `valid` when it has the right type and lies in its domain: that is the partial stage.
Hot path of GRPO (thousands of completions per step), so values already in canonical form skip
normalization, and what depends only on the truth is prepared once per truth object.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from rewards.base import PerTruth
from rewards.parsing import coerce_bool, coerce_label, extract_json_object, normalize_keys, parse_number, words

POLARITIES = ("positivo", "neutro", "negativo")
POLARITY_ALIASES = {
    "positiva": "positivo", "positive": "positivo", "pos": "positivo",
    "negativa": "negativo", "negative": "negativo", "neg": "negativo",
    "neutra": "neutro", "neutral": "neutro", "misto": "neutro", "mista": "neutro",
}
# Ways of writing "no complaint" in a free-text field.
_EMPTY_TEXT = frozenset({"", "nenhuma", "nenhum", "n a", "na", "none", "null", "sem reclamacao", "nada"})  # <= 2 words

Kind = Literal["label", "number", "bool", "text"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] | None = None
    bounds: tuple[float, float] | None = None
    scale: float = 1.0   # for numbers: the absolute error at which credit reaches 0
    weight: float = 1.0

    def coerce(self, raw: Any) -> Any:
        """The model's value in canonical form, or None when unreadable."""
        kind = self.kind
        if kind == "number":
            if type(raw) is float:
                return raw if math.isfinite(raw) else None
            if type(raw) is int:
                return float(raw) if -1e300 < raw < 1e300 else None
            value = parse_number(raw)
            if (value is not None and self.bounds == (0.0, 1.0) and isinstance(raw, str)
                    and "%" in raw and 1.0 < value <= 100.0):
                value /= 100.0  # "80%" for a probability
            return value
        if kind == "label":
            return raw if raw in self.choices else coerce_label(raw, self.choices, self.aliases)
        if kind == "bool":
            return raw if raw is True or raw is False else coerce_bool(raw)
        if raw is None:
            return ""
        return raw if isinstance(raw, str) else None

    def assess(self, raw: Any, gold: Any) -> tuple[float, Any]:
        """(agreement with `gold` in [0, 1], the value if valid else None) for a raw JSON value.

        Valid means typed and within the field's domain; agreement is exact for labels and
        booleans, by distance for numbers (clipped to the domain's scale), token F1 for text."""
        value = self.coerce(raw)
        if value is None:
            return 0.0, None
        kind = self.kind
        if kind == "number":
            sim = 1.0 - abs(value - gold) / self.scale
            bounds = self.bounds
            valid = bounds is None or bounds[0] <= value <= bounds[1]
            return (sim if sim > 0.0 else 0.0), (value if valid else None)
        if kind == "text":
            return text_similarity(value, gold), value
        return (1.0 if value == gold else 0.0), value


class _Text:
    """A reference text prepared for token F1."""

    __slots__ = ("raw", "counts", "n", "empty")

    def __init__(self, raw: str) -> None:
        tokens = words(raw)
        self.raw, self.counts, self.n = raw, Counter(tokens), len(tokens)
        self.empty = _is_empty(tokens)


def _is_empty(tokens: list[str]) -> bool:
    return len(tokens) <= 2 and " ".join(tokens) in _EMPTY_TEXT


def text_similarity(candidate: str, gold: "str | _Text") -> float:
    """Token F1 over accent- and case-folded words; two empty answers ("", "nenhuma") agree."""
    ref = gold if isinstance(gold, _Text) else _Text(gold)
    if candidate == ref.raw:
        return 1.0
    tokens = words(candidate)
    cand_empty = _is_empty(tokens)
    if cand_empty or ref.empty:
        return 1.0 if cand_empty and ref.empty else 0.0
    remaining = dict(ref.counts)
    common = 0
    for token in tokens:
        left = remaining.get(token)
        if left:
            remaining[token] = left - 1
            common += 1
    if common == 0:
        return 0.0
    return 2.0 * common / (len(tokens) + ref.n)


def polarity_field(weight: float = 1.0) -> FieldSpec:
    return FieldSpec("sentiment", "label", POLARITIES, POLARITY_ALIASES, weight=weight)


class JsonAnswer:
    """Scores JSON answers against truths for one list of fields."""

    def __init__(self, specs: tuple[FieldSpec, ...]) -> None:
        self.specs = specs
        self.names = frozenset(s.name for s in specs)
        self.total_weight = sum(s.weight for s in specs)
        self._gold = PerTruth(self._prepare)

    def _prepare(self, truth: Any) -> dict[str, Any]:
        data = truth.model_dump()
        return {s.name: _Text(data[s.name]) if s.kind == "text" else data[s.name] for s in self.specs}

    def score(self, completion: str, truth: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Sub-scores and the valid values read from the answer.

        format: the JSON object's quality (1 clean, 0.5 repaired, 0 absent); partial: share of
        fields present, typed and in domain; task: weighted mean of per-field agreement, which
        is also returned under each field's name.
        """
        parsed = extract_json_object(completion)
        scores: dict[str, Any] = {"format": parsed.quality, "json_repaired": parsed.quality == 0.5}
        values: dict[str, Any] = {}
        obj = parsed.value
        if obj is None:
            scores["partial"] = scores["task"] = 0.0
            for spec in self.specs:
                scores[spec.name] = 0.0
            return scores, values
        if not self.names <= obj.keys():
            obj = normalize_keys(obj)
        gold = self._gold(truth)
        n_valid, agreement = 0, 0.0
        for spec in self.specs:
            name = spec.name
            if name in obj:
                sim, value = spec.assess(obj[name], gold[name])
                if value is not None:
                    n_valid += 1
                    values[name] = value
                agreement += spec.weight * sim
                scores[name] = sim
            else:
                scores[name] = 0.0
        scores["partial"] = n_valid / len(self.specs)
        scores["task"] = agreement / self.total_weight
        return scores, values
