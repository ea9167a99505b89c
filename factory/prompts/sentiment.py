"""Sentiment: review text alone -> polarity and score, balanced over positive/neutral/negative.

The label is the rule labeler's (the customer's own stars, refined by the lexicon), with reviewed
corrections over it and the gold reviews kept out (`curation.py`); the prompt shows only the title
and comment, so the stars are not given away.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from factory.prompts.base import Candidate, TaskGenerator, spread
from factory.prompts.curation import Curation
from factory.prompts.labeler import RuleLabeler
from factory.prompts.reviews import NO_COMMENT, NO_TITLE, TITLE_LABEL, quoted_review
from rewards.sentiment import ANSWER
from schemas.tasks import SentimentTruth

# The answer format is the scorer's (rewards.sentiment.ANSWER).
SYSTEM = (
    "Você classifica o sentimento de avaliações de clientes de um e-commerce brasileiro. Responda "
    f"somente com um objeto JSON com os campos {ANSWER.field_phrase()}."
)
COMMENT_LABEL = "Avaliação: "
TEMPLATE = "Produto: {product}\n" + TITLE_LABEL + "{title}\n" + COMMENT_LABEL + "{comment}"
STRATUM = {"positivo": "positive", "neutro": "neutral", "negativo": "negative"}


class SentimentGenerator(TaskGenerator):
    task = "sentiment"
    system = SYSTEM
    templates = (TEMPLATE,)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.curation = Curation.from_params(ctx.params)

    @classmethod
    def quoted_texts(cls, user: str) -> tuple[str, ...]:
        return quoted_review(user, COMMENT_LABEL)

    def candidates(self) -> Iterable[Candidate]:
        """Reviews spread over the complaint category the labeler finds (then source), so each polarity
        stratum covers every kind of complaint or praise rather than the most common one."""
        labeled = []
        for review, label in self.curation.labeled_reviews(self.ctx, self.rng("reviews"), RuleLabeler(), self.task):
            truth = SentimentTruth(sentiment=label.truth.sentiment, sentiment_score=label.truth.sentiment_score)
            user = TEMPLATE.format(product=review.product, title=review.title or NO_TITLE,
                                   comment=review.comment or NO_COMMENT)
            cand = Candidate(STRATUM[truth.sentiment], user, truth, review.table, review.keys)
            labeled.append((cand, label.truth.complaint_category))
        yield from (cand for cand, _ in spread(labeled, lambda item: (item[1], item[0].table)))

    def finalize(self, kept: dict[str, list[Candidate]]) -> dict[str, list[Candidate]]:
        self.notes["kept_per_table"] = dict(sorted(Counter(c.table for cs in kept.values() for c in cs).items()))
        self.notes.update(self.curation.metrics(kept))
        return kept
