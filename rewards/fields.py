"""Field-by-field scoring of JSON answers (extraction, sentiment, churn).

The answer object is read by `rewards.parsing.extract_json_object` (its docstring has the rules);
this module coerces each field to its kind, in one place (`FieldSpec.coerce`), and gives credit:

- labels and booleans: 1 when equal after coercion, else 0;
- numbers: 1 - |error| / scale, free text: token F1; either counts only when the field is right,
  i.e. at least RIGHT_MIN (below it the credit is 0, so that a wrong value earns nothing);
- probabilities: 1 - (p - outcome)^2, the Brier score's complement, a proper scoring rule against
  the outcome the field is compared with (`against`); no threshold, which would make it improper.

Sub-scores: format is the parser's quality; partial is the share of fields whose content is right
(a right field counts 1, a probability its proper score); task is the weighted mean of the credits
(a field of weight 0 is not part of the task). `rewards.base.apply_credit_rules` ends every score:
nothing recovered is 0 everywhere and a well-formed answer with nothing right earns only the format
stage. Hot path of GRPO (thousands of completions per step), so values already in canonical form
skip normalization, and what depends only on the truth is prepared once per truth object.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from rewards.base import PerTruth, apply_credit_rules
from rewards.parsing import (coerce_bool, coerce_label, extract_json_object, fold, is_placeholder, options_listed,
                             parse_number, words)

POLARITIES = ("positivo", "neutro", "negativo")
POLARITY_ALIASES = {
    "positiva": "positivo", "positive": "positivo", "pos": "positivo",
    "negativa": "negativo", "negative": "negativo", "neg": "negativo",
    "neutra": "neutro", "neutral": "neutro", "misto": "neutro", "mista": "neutro",
}
# Ways of writing "no complaint" in a free-text field.
_EMPTY_TEXT = frozenset({"", "nenhuma", "nenhum", "n a", "na", "none", "null", "sem reclamacao", "nada"})  # <= 2 words
RIGHT_MIN = 0.5   # agreement from which a number or text field is right (and earns its credit)
# A range or type standing for a number in a format example: "0 a 1", "de -1 a 1", "0-1", "<número>".
_NUMBER_PLACEHOLDER = re.compile(r"(?:de\s+)?[-\u2212]?\d+(?:[.,]\d+)?\s*(?:a|ate|to|-|\u2013|\u2014|\.\.)\s*[-\u2212]?\d+(?:[.,]\d+)?"
                                 r"|.*\b(?:numero|number|float|decimal|probabilidade|entre)\b.*")

Kind = Literal["label", "number", "bool", "text", "probability"]
_ABSENT = object()


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] | None = None
    bounds: tuple[float, float] | None = None
    scale: float = 1.0   # for numbers: the absolute error at which credit reaches 0
    weight: float = 1.0  # in the task score (0: scored in partial only)
    against: str = ""    # the truth field compared with ("" = the field of the same name)
    doc: str = ""        # how the system prompt describes the value ("" = from the kind: booleans "true ou false")
    truth_key: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "truth_key", self.against or self.name)

    @property
    def described(self) -> str:
        """The value's description in the system prompt."""
        if self.doc:
            return self.doc
        if self.kind == "bool":
            return "true ou false"
        raise ValueError(f"field {self.name!r}: a {self.kind} field needs a `doc` for the system prompt")

    def coerce(self, raw: Any) -> Any:
        """The model's value in canonical form, or None when unreadable: the one place where a
        JSON value becomes a field's type."""
        kind = self.kind
        if kind == "number" or kind == "probability":
            if type(raw) is float:
                return raw if math.isfinite(raw) else None
            if type(raw) is int:
                return float(raw) if -1e300 < raw < 1e300 else None
            value = parse_number(raw)
            if (value is not None and (kind == "probability" or self.bounds == (0.0, 1.0)) and isinstance(raw, str)
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

    def is_placeholder(self, raw: Any) -> bool:
        """A value that stands for this field in a format example rather than answering it: a
        generic placeholder, or the field's options listed ("positivo|neutro|negativo", "true ou
        false"), or a range for a number ("0 a 1")."""
        if not isinstance(raw, str) or raw in self.choices:
            return False
        if is_placeholder(raw):
            return True
        kind = self.kind
        if kind == "label":
            return sum(coerce_label(p, self.choices, self.aliases) is not None for p in options_listed(raw)) >= 2
        if kind == "bool":
            return len({coerce_bool(p) for p in options_listed(raw)} - {None}) == 2
        if kind == "number" or kind == "probability":
            return parse_number(raw) is None and _NUMBER_PLACEHOLDER.fullmatch(fold(raw.strip())) is not None
        return False

    def assess(self, raw: Any, gold: Any) -> tuple[float, Any]:
        """(credit in [0, 1], the value if valid else None) for a raw JSON value against `gold`.

        Valid means typed and within the field's domain; see the module docstring for credit."""
        value = self.coerce(raw)
        if value is None:
            return 0.0, None
        kind = self.kind
        if kind == "number" or kind == "probability":
            bounds = self.bounds
            valid = bounds is None or bounds[0] <= value <= bounds[1]
            if kind == "probability":
                if not valid:
                    return 0.0, None
                error = value - (1.0 if gold else 0.0)
                return 1.0 - error * error, value
            agreement = 1.0 - abs(value - gold) / self.scale
            return (agreement if agreement >= RIGHT_MIN else 0.0), (value if valid else None)
        if kind == "text":
            similarity = text_similarity(value, gold)
            return (similarity if similarity >= RIGHT_MIN else 0.0), value
        return (1.0 if value == gold else 0.0), value

    def balance_class(self, gold: Any) -> Any:
        """The class of a gold value that a field-balanced task score averages over (rewards.aggregate):
        the value itself for labels and booleans, a number to one decimal, a probability's outcome,
        and for free text whether there is anything to say (a complaint) or not."""
        if self.kind == "text":
            empty = gold.empty if isinstance(gold, _Text) else _is_empty(words(gold))
            return "empty" if empty else "text"
        if self.kind == "number":
            return round(float(gold), 1)
        return gold

    def content(self, credit: float) -> float:
        """This field's share in `partial`: 1 when right, a probability's proper score as is."""
        if self.kind == "probability":
            return credit
        return 1.0 if credit > 0.0 else 0.0


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


def _series(items: list[str], conjunction: str) -> str:
    """'a, b <conjunction> c', as Portuguese lists items."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def one_of(choices: tuple[str, ...]) -> str:
    """'"a", "b" ou "c"': a vocabulary as the system prompts list it."""
    return _series([f'"{c}"' for c in choices], "ou")


def polarity_field(weight: float = 1.0) -> FieldSpec:
    return FieldSpec("sentiment", "label", POLARITIES, POLARITY_ALIASES, weight=weight, doc=one_of(POLARITIES))


class JsonAnswer:
    """Scores JSON answers against truths for one list of fields."""

    def __init__(self, specs: tuple[FieldSpec, ...]) -> None:
        self.specs = specs
        self.by_name = {s.name: s for s in specs}
        self.names = frozenset(self.by_name)
        self.total_weight = sum(s.weight for s in specs)
        if self.total_weight <= 0:
            raise ValueError("at least one field must count in the task score (weight > 0)")
        self._gold = PerTruth(self._prepare)

    def _prepare(self, truth: Any) -> dict[str, Any]:
        data = truth.model_dump()
        return {s.name: _Text(data[s.truth_key]) if s.kind == "text" else data[s.truth_key] for s in self.specs}

    def field_lines(self) -> str:
        """The answer format as a list, one line per field ("- name: description"); consecutive fields
        described alike share a line ("- a, b: true ou false")."""
        groups: list[tuple[list[str], str]] = []
        for spec in self.specs:
            if groups and groups[-1][1] == spec.described:
                groups[-1][0].append(spec.name)
            else:
                groups.append(([spec.name], spec.described))
        return "\n".join(f"- {', '.join(names)}: {doc}" for names, doc in groups)

    def field_phrase(self) -> str:
        """The answer format in one phrase: "a (description) e b (description)"."""
        return _series([f"{s.name} ({s.described})" for s in self.specs], "e")

    def classes(self, truth: Any) -> dict[str, Any]:
        """Each task-scored field's gold class (`FieldSpec.balance_class`), for a field-balanced task score."""
        gold = self._gold(truth)
        return {s.name: s.balance_class(gold[s.name]) for s in self.specs if s.weight > 0}

    def credit(self, name: str, raw: Any, truth: Any) -> float:
        """The credit field `name` earns with the JSON value `raw` against `truth` (as `score` gives it)."""
        return self.by_name[name].assess(raw, self._gold(truth)[name])[0]

    def keep(self, name: str, raw: Any) -> bool:
        """Whether a value of an expected key is a value at all (not a format placeholder)."""
        return type(raw) is not str or not self.by_name[name].is_placeholder(raw)

    def score(self, completion: str, truth: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Sub-scores and the valid values read from the answer (see the module docstring); each
        field's credit is also returned under its name."""
        parsed = extract_json_object(completion, self.names, self.keep)
        obj = parsed.value
        values: dict[str, Any] = {}
        if obj is None:
            scores: dict[str, Any] = {"format": 0.0, "partial": 0.0, "task": 0.0, "json_repaired": False}
            for spec in self.specs:
                scores[spec.name] = 0.0
            return scores, values
        scores = {"format": parsed.quality, "json_repaired": parsed.quality < 1.0}
        gold = self._gold(truth)
        content, task = 0.0, 0.0
        for spec in self.specs:
            name = spec.name
            raw = obj.get(name, _ABSENT)
            if raw is _ABSENT:
                scores[name] = 0.0
                continue
            kind = spec.kind
            if (kind == "bool" and (raw is True or raw is False)) or (kind == "label" and raw in spec.choices):
                credit = 1.0 if raw == gold[name] else 0.0  # canonical already: the common case, inline
                values[name] = raw
            else:
                credit, value = spec.assess(raw, gold[name])
                if value is not None:
                    values[name] = value
            content += credit if kind == "probability" else (1.0 if credit > 0.0 else 0.0)  # = spec.content
            task += spec.weight * credit
            scores[name] = credit
        scores["partial"] = content / len(self.specs)
        scores["task"] = task / self.total_weight
        return apply_credit_rules(scores), values
