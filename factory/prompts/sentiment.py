"""Sentiment: review text alone -> polarity and score, balanced over positive/neutral/negative.

The label is the rule labeler's (the customer's own stars, refined by the lexicon); the prompt shows
only the title and comment, so the stars are not given away.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from factory.prompts.base import Candidate, TaskGenerator
from factory.prompts.labeler import RuleLabeler
from factory.prompts.reviews import review_pool
from schemas.tasks import SentimentTruth

SYSTEM = (
    "Você classifica o sentimento de avaliações de clientes de um e-commerce brasileiro. Responda "
    "somente com um objeto JSON com os campos sentiment (\"positivo\", \"neutro\" ou \"negativo\") e "
    "sentiment_score (número de -1, muito negativo, a 1, muito positivo)."
)
TEMPLATE = "Produto: {product}\nTítulo: {title}\nAvaliação: {comment}"
STRATUM = {"positivo": "positive", "neutro": "neutral", "negativo": "negative"}


class SentimentGenerator(TaskGenerator):
    task = "sentiment"
    system = SYSTEM
    templates = (TEMPLATE,)

    def candidates(self) -> Iterable[Candidate]:
        rules = RuleLabeler()
        for review in review_pool(self.ctx, self.rng("reviews")):
            label = rules.label(review.facts)
            truth = SentimentTruth(sentiment=label.truth.sentiment, sentiment_score=label.truth.sentiment_score)
            user = TEMPLATE.format(product=review.product, title=review.title or "(sem título)",
                                   comment=review.comment or "(sem comentário)")
            yield Candidate(STRATUM[truth.sentiment], user, truth, review.table, review.keys)

    def finalize(self, kept: dict[str, list[Candidate]]) -> dict[str, list[Candidate]]:
        self.notes["kept_per_table"] = dict(sorted(Counter(c.table for cs in kept.values() for c in cs).items()))
        return kept
