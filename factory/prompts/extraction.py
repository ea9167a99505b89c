"""Extraction: a review with its order metadata -> the 10-field JSON of `ExtractionTruth`.

Ground truth comes from `labeler.py` (rules by default, an LLM when `prompts.labeler.backend` is
`openai`), with reviewed corrections over it and the gold reviews kept out (`curation.py`); the
stratum is always the rule labeler's: `easy` for clear signals, `hard` for mixed ones.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from itertools import zip_longest
from typing import Hashable, Iterable

from factory.prompts import overrides
from factory.prompts.base import Candidate, TaskGenerator, spread
from factory.prompts.curation import Curation
from factory.prompts.labeler import HARD_SIGNAL_ORDER, OpenAILabeler, RuleLabeler, make_labeler
from factory.prompts.reviews import NO_COMMENT, NO_TITLE, TITLE_LABEL, Review, quoted_review
from rewards.extraction import ANSWER

# The answer format is the scorer's (rewards.extraction.ANSWER): fields, vocabularies and descriptions.
SYSTEM = (
    "Você extrai informações estruturadas de avaliações de clientes de um e-commerce brasileiro. "
    f"Responda somente com um objeto JSON com exatamente estes {len(ANSWER.specs)} campos:\n"
    + ANSWER.field_lines()
)

COMMENT_LABEL = "Comentário: "
TEMPLATE_OLIST = (
    "Avaliação de cliente\nCategoria do produto: {product}\nNota: {stars} de 5\nStatus do pedido: {status}\n"
    "Entrega: {delivery}\n" + TITLE_LABEL + "{title}\n" + COMMENT_LABEL + "{comment}"
)
TEMPLATE_B2W = ("Avaliação de cliente\nProduto: {product}\nNota: {stars} de 5\n" + TITLE_LABEL + "{title}\n"
                + COMMENT_LABEL + "{comment}")


OUTCOME_FIELDS = ("sentiment", "complaint_category", "delivery_issue", "product_issue", "seller_issue",
                  "would_recommend")
# How much each outcome component weighs: about how many of the 10 scored fields it decides
# (polarity also fixes the score, churn risk and repeat intent; the category whether main_complaint
# is empty), then polarity x "has a complaint", the cells a mixed constant answer exploits
# ("negativo" with no complaint and no flags matches half of every positive review and most fields
# of every negative one).
OUTCOME_WEIGHTS = (4.0, 2.0, 1.0, 1.0, 1.0, 1.0, 2.0)


def render_review(review: Review) -> str:
    slots = dict(product=review.product, stars=review.facts.stars, title=review.title or NO_TITLE,
                 comment=review.comment or NO_COMMENT, status=review.status, delivery=review.delivery)
    return (TEMPLATE_OLIST if review.source == "olist" else TEMPLATE_B2W).format(**slots)


class ExtractionGenerator(TaskGenerator):
    task = "extraction"
    system = SYSTEM
    templates = (TEMPLATE_OLIST, TEMPLATE_B2W)
    outcome_weights = OUTCOME_WEIGHTS

    def __init__(self, ctx):
        super().__init__(ctx)
        self.labeler = make_labeler(ctx.params["prompts"]["labeler"])
        self.rules = RuleLabeler()
        self.curation = Curation.from_params(ctx.params)

    @classmethod
    def outcome(cls, ground_truth: dict) -> tuple[Hashable, ...]:
        """Polarity, complaint category, the four flags, and polarity x has-a-complaint: the discrete
        fields (and the combination) a constant answer could otherwise match on most reviews."""
        complaint = ground_truth["complaint_category"] != "nenhuma"
        return (*(ground_truth[f] for f in OUTCOME_FIELDS), (ground_truth["sentiment"], complaint))

    @classmethod
    def quoted_texts(cls, user: str) -> tuple[str, ...]:
        return quoted_review(user, COMMENT_LABEL)

    def candidates(self) -> Iterable[Candidate]:
        """Each stratum spread over its answer classes (`outcome`) and, for hard reviews, over their
        main signal (irony, late but good, 3 stars, ...), so that the pool, the benchmark and the
        training set cover every kind of answer and no constant answer scores well."""
        easy: list[tuple[Candidate, str]] = []
        hard: list[tuple[Candidate, str]] = []
        for review, label in self.curation.labeled_reviews(self.ctx, self.rng("reviews"), self.rules, self.task):
            cand = Candidate(label.difficulty, render_review(review), label.truth, review.table, review.keys)
            signal = min(label.signals, key=HARD_SIGNAL_ORDER.index) if label.signals else ""
            (easy if label.difficulty == "easy" else hard).append((cand, signal))
        self.notes["hard_signals"] = dict(sorted(Counter(s for _, s in hard).items(),
                                                 key=lambda kv: HARD_SIGNAL_ORDER.index(kv[0])))
        key = lambda item: (*self.outcome(item[0].truth.model_dump()), item[1])  # noqa: E731
        weights = (*OUTCOME_WEIGHTS, 1.0)
        for batch in zip_longest(spread(easy, key, weights), spread(hard, key, weights)):
            yield from (item[0] for item in batch if item is not None)

    def finalize(self, kept: dict[str, list[Candidate]]) -> dict[str, list[Candidate]]:
        self.notes["labeler"] = self.labeler.name
        self.notes["kept_per_table"] = dict(sorted(Counter(c.table for cs in kept.values() for c in cs).items()))
        self.notes.update(self.curation.metrics(kept))
        if not isinstance(self.labeler, OpenAILabeler):
            return kept
        flat = [c for stratum in kept.values() for c in stratum]
        results = self.labeler.label_many([c.user for c in flat], [c.truth for c in flat], progress=True)
        self.notes["labeler_stats"] = self.labeler.stats.as_dict()
        self.notes["labeler_fallback_examples"] = [
            {"prompt_sha256": self.labeler.cache_key(c.user)[:16], "reason": reason}
            for c, (_, reason) in zip(flat, results) if reason
        ][:20]
        corrections = self.curation.corrections  # reviewed fields win over the LLM's too
        relabeled = iter(dataclasses.replace(c, truth=corrections.apply(overrides.review_id(c.keys), truth))
                         for c, (truth, _) in zip(flat, results))
        return {s: [next(relabeled) for _ in cands] for s, cands in kept.items()}
