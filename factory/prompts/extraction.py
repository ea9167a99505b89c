"""Extraction: a review with its order metadata -> the 10-field JSON of `ExtractionTruth`.

Ground truth comes from `labeler.py` (rules by default, an LLM when `prompts.labeler.backend` is
`openai`); the stratum is always the rule labeler's: `easy` for clear signals, `hard` for mixed ones.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from itertools import zip_longest
from typing import Iterable

from factory.prompts.base import Candidate, TaskGenerator
from factory.prompts.labeler import HARD_SIGNAL_ORDER, OpenAILabeler, RuleLabeler, make_labeler
from factory.prompts.reviews import Review, review_pool
from schemas.tasks import COMPLAINT_CATEGORIES

SYSTEM = (
    "Você extrai informações estruturadas de avaliações de clientes de um e-commerce brasileiro. "
    "Responda somente com um objeto JSON com exatamente estes 10 campos:\n"
    "- sentiment: \"positivo\", \"neutro\" ou \"negativo\"\n"
    "- sentiment_score: número de -1 (muito negativo) a 1 (muito positivo)\n"
    f"- complaint_category: uma de {', '.join(COMPLAINT_CATEGORIES)} (\"nenhuma\" quando não há reclamação)\n"
    "- churn_risk: de 0 a 1, chance de o cliente não comprar de novo\n"
    "- repeat_intent: de 0 a 1, intenção de comprar novamente\n"
    "- delivery_issue, product_issue, seller_issue, would_recommend: true ou false\n"
    "- main_complaint: a reclamação principal em poucas palavras (\"\" quando não há reclamação)"
)

TEMPLATE_OLIST = (
    "Avaliação de cliente\nCategoria do produto: {product}\nNota: {stars} de 5\nStatus do pedido: {status}\n"
    "Entrega: {delivery}\nTítulo: {title}\nComentário: {comment}"
)
TEMPLATE_B2W = "Avaliação de cliente\nProduto: {product}\nNota: {stars} de 5\nTítulo: {title}\nComentário: {comment}"


def render_review(review: Review) -> str:
    slots = dict(product=review.product, stars=review.facts.stars, title=review.title or "(sem título)",
                 comment=review.comment or "(sem comentário)", status=review.status, delivery=review.delivery)
    return (TEMPLATE_OLIST if review.source == "olist" else TEMPLATE_B2W).format(**slots)


class ExtractionGenerator(TaskGenerator):
    task = "extraction"
    system = SYSTEM
    templates = (TEMPLATE_OLIST, TEMPLATE_B2W)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.labeler = make_labeler(ctx.params["prompts"]["labeler"])
        self.rules = RuleLabeler()

    def candidates(self) -> Iterable[Candidate]:
        """Easy reviews in pool order; hard ones rotated over their main signal, so that every kind of
        ambiguity (irony, late but good, 3 stars, ...) reaches the benchmark and the training set."""
        easy: list[Candidate] = []
        hard: dict[str, list[Candidate]] = {s: [] for s in HARD_SIGNAL_ORDER}
        for review in review_pool(self.ctx, self.rng("reviews")):
            label = self.rules.label(review.facts)
            cand = Candidate(label.difficulty, render_review(review), label.truth, review.table, review.keys)
            if label.difficulty == "easy":
                easy.append(cand)
            else:
                hard[min(label.signals, key=HARD_SIGNAL_ORDER.index)].append(cand)
        self.notes["hard_signals"] = {s: len(v) for s, v in hard.items()}
        rotated = [c for batch in zip_longest(*hard.values()) for c in batch if c is not None]
        for batch in zip_longest(easy, rotated):
            yield from (c for c in batch if c is not None)

    def finalize(self, kept: dict[str, list[Candidate]]) -> dict[str, list[Candidate]]:
        self.notes["labeler"] = self.labeler.name
        self.notes["kept_per_table"] = dict(sorted(Counter(c.table for cs in kept.values() for c in cs).items()))
        if not isinstance(self.labeler, OpenAILabeler):
            return kept
        flat = [c for stratum in kept.values() for c in stratum]
        results = self.labeler.label_many([c.user for c in flat], [c.truth for c in flat], progress=True)
        self.notes["labeler_stats"] = self.labeler.stats.as_dict()
        self.notes["labeler_fallback_examples"] = [
            {"prompt_sha256": self.labeler.cache_key(c.user)[:16], "reason": reason}
            for c, (_, reason) in zip(flat, results) if reason
        ][:20]
        relabeled = iter(dataclasses.replace(c, truth=truth) for c, (truth, _) in zip(flat, results))
        return {s: [next(relabeled) for _ in cands] for s, cands in kept.items()}
