"""Text overlap between prompts: word n-grams of the user message, minus template boilerplate.

Tokens are folded words (lower case, no accents); n-grams never cross a line break. The literal
words of a task's templates (`TaskGenerator.templates`) are boilerplate that every prompt of the task
shares by construction, so the n-grams inside them are ignored: two prompts overlap only through
what fills the template's slots (a review text, a question's values, a profile).
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from factory.prompts.text import fold

_WORD = re.compile(r"\w+")
_SLOT = re.compile(r"\{[^{}]*\}")

Gram = tuple[str, ...]


def tokens(line: str) -> list[str]:
    return _WORD.findall(fold(line))


def ngrams(text: str, n: int) -> set[Gram]:
    grams: set[Gram] = set()
    for line in text.splitlines():
        words = tokens(line)
        grams.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    return grams


def boilerplate(templates: Iterable[str], n: int) -> set[Gram]:
    """n-grams lying wholly inside the literal text of the templates (between slots)."""
    grams: set[Gram] = set()
    for template in templates:
        for piece in _SLOT.split(template):
            grams |= ngrams(piece, n)
    return grams


def normalized(text: str) -> str:
    """The form exact-duplicate checks compare: folded words joined by single spaces."""
    return " ".join(tokens(text))


def content_ngrams(text: str, n: int, boiler: set[Gram]) -> set[Gram]:
    return ngrams(text, n) - boiler


class NearDuplicateIndex:
    """Jaccard similarity over content shingles, found through an inverted index (no all-pairs scan)."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.shingles: dict[str, set[Gram]] = {}
        self.exact: dict[str, str] = {}
        self.postings: dict[Gram, list[str]] = {}

    def match(self, text_key: str, shingles: set[Gram]) -> tuple[str, str] | None:
        """(kind, id of the earlier record) when this record duplicates one already added."""
        if text_key in self.exact:
            return "exact_duplicate", self.exact[text_key]
        if not shingles:
            return None
        shared = Counter(other for g in shingles for other in self.postings.get(g, ()))
        best_score, best_id = 0.0, ""
        for other in sorted(shared):
            score = shared[other] / (len(shingles) + len(self.shingles[other]) - shared[other])
            if score > best_score:
                best_score, best_id = score, other
        return ("near_duplicate", best_id) if best_score >= self.threshold else None

    def add(self, record_id: str, text_key: str, shingles: set[Gram]) -> None:
        self.exact.setdefault(text_key, record_id)
        self.shingles[record_id] = shingles
        for g in shingles:
            self.postings.setdefault(g, []).append(record_id)
