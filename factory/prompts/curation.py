"""Human curation of the review tasks' pools (extraction, sentiment), named by params `prompts.labeler`:

- `overrides`: reviewed label corrections, which take precedence over the labeler (`overrides.py`);
- `gold`: the hand-labelled gold set the `label_quality` stage scores the labeler on. Its reviews
  are kept out of every review pool, so they are never in the benchmark, train or val, and label
  quality is measured on reviews no model was trained or benchmarked on.

Both are counted in the task's prompt metrics (`overrides`, `gold`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from factory.params import ParamsError
from factory.prompts import overrides
from factory.prompts.base import Candidate, GenerationContext
from factory.prompts.label_quality import GoldError, gold_source_keys
from factory.prompts.labeler import Label, RuleLabeler
from factory.prompts.reviews import Review, review_label, review_pool


@dataclass
class Curation:
    corrections: overrides.Overrides
    gold_file: Path
    gold_keys: frozenset[str]                                    # "review:<id>", "b2w_review:<id>"
    gold_excluded: Counter[str] = field(default_factory=Counter)  # per source table, as the pool is read
    read: int = 0                                                  # reviews read from the pool

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "Curation":
        gold = (params.get("prompts", {}).get("labeler", {}) or {}).get("gold")
        if not gold:
            raise ParamsError("params.yaml prompts.labeler.gold: missing (the gold set kept out of the prompt "
                              "sets, e.g. data/labels/gold.jsonl)")
        try:
            keys = gold_source_keys(gold)
        except GoldError as exc:
            raise GoldError(f"params.yaml prompts.labeler.gold: {exc}") from exc
        return cls(overrides.from_params(params), Path(gold), frozenset(keys))

    def labeled_reviews(self, ctx: GenerationContext, rng, rules: RuleLabeler, task: str) -> Iterator[tuple[Review, Label]]:
        """The review pool (`reviews.review_pool`, in its seeded order, at most `ctx.read_limit(task)`
        reviews) without the gold reviews, each with its label, reviewed corrections applied."""
        limit = ctx.read_limit(task)
        for review in review_pool(ctx, rng, limit):
            self.read += 1
            if review.keys[0] in self.gold_keys:
                self.gold_excluded[review.table] += 1
                continue
            yield review, review_label(review, rules, self.corrections)

    def metrics(self, kept: dict[str, list[Candidate]]) -> dict[str, Any]:
        """The prompt metrics' `overrides` and `gold` entries for the kept candidates."""
        keys: Iterable[tuple[str, ...]] = [c.keys for cands in kept.values() for c in cands]
        return {
            "reviews_read": self.read,
            "overrides": {**self.corrections.metrics(), "in_records": self.corrections.in_records(keys)},
            "gold": {"file": self.gold_file.as_posix(), "entries": len(self.gold_keys),
                     "excluded": sum(self.gold_excluded.values()),
                     "excluded_per_table": dict(sorted(self.gold_excluded.items())),
                     "in_records": sum(k[0] in self.gold_keys for k in keys)},
        }
