"""Push: a short re-engagement notification for a customer or a segment, under checkable constraints.

Constraints (`PushTruth`): at most `max_chars` characters, mention the category (the reason to come
back, from the customer's data), a call to action, no discount unless one is authorised (then at
most that percentage) and no benefit the rules do not grant (free shipping, deadlines, gifts). The
reference message meets all of them (`rewards.push` scores it 1; `rewards.consistency` checks).
"""
from __future__ import annotations

import itertools
from typing import Iterable, Iterator

from factory.prompts.base import Candidate, TaskGenerator
from factory.prompts.text import brl, category_pt
from schemas.brazil import state_with
from schemas.tasks import PushTruth

MAX_CHARS = (90, 120, 160)
DISCOUNTS = (None, None, 5, 10, 15)     # two in five prompts authorise no discount at all
MIN_RECENCY_DAYS = 30

SYSTEM = (
    "Você escreve notificações push curtas, em português do Brasil, para reengajar clientes de um "
    "e-commerce. Responda somente com o texto da notificação, uma frase completa que respeite o limite "
    "de caracteres, dê um motivo para voltar tirado dos dados do cliente (a categoria pedida) e termine "
    "com uma chamada para ação (por exemplo: Confira, Aproveite, Volte). Não ofereça descontos que não "
    "foram autorizados e não invente benefícios que não estão nas regras (frete grátis, brindes, preços, "
    "prazos como 'só hoje')."
)
TEMPLATE_CUSTOMER = (
    "Cliente: mora {state}, última compra há {recency} dias, {orders} pedido(s), gasto total de {spent}, "
    "categoria preferida: {category}.\nRegras: no máximo {max_chars} caracteres; mencione a categoria "
    "{category}; {discount_rule} Não invente frete grátis, brindes nem prazos.\nEscreva a notificação push."
)
TEMPLATE_SEGMENT = (
    "Segmento: {size} clientes {state} cuja categoria preferida é {category}, sem comprar há mais de "
    "{days} dias (ticket médio de {ticket}).\nRegras: no máximo {max_chars} caracteres; mencione a categoria "
    "{category}; {discount_rule} Não invente frete grátis, brindes nem prazos.\nEscreva a notificação push."
)
REFERENCES_PLAIN = (
    "Sentimos sua falta! Veja as novidades em {category} que separamos para você.",
    "Faz tempo que você não passa por aqui: tem lançamento em {category} com a sua cara. Vem ver!",
    "Novidades em {category} chegaram! Volte e confira.",
    "Separamos produtos de {category} pensando em você. Dá uma olhada!",
    "Tem {category} novo esperando você. Confira!",
)
REFERENCES_DISCOUNT = (
    "Sentimos sua falta! Volte e ganhe {d}% de desconto em {category}.",
    "Que tal voltar? Hoje tem cupom de {d}% em {category} só para você. Aproveite!",
    "Volte: tem {d}% off em {category} para você!",
    "Seu cupom de {d}% em {category} está esperando. Aproveite!",
    "{category} com {d}% off para você. Confira!",
)

CUSTOMERS_SQL = f"""
SELECT customer_unique_id, customer_state, recency_days, frequency, monetary, top_category_pt
FROM customer_features
WHERE top_category_pt IS NOT NULL AND top_category_pt <> 'sem_categoria' AND recency_days >= {MIN_RECENCY_DAYS}
"""
SEGMENTS_SQL = """
SELECT customer_state, top_category_pt, count(*) AS size, round(avg(avg_ticket), 2) AS ticket
FROM customer_features
WHERE top_category_pt <> 'sem_categoria' AND recency_days > {days}
GROUP BY 1, 2 HAVING count(*) >= 3 ORDER BY 1, 2
"""


def discount_rule(pct: int | None) -> str:
    return "não ofereça nenhum desconto." if pct is None else f"você pode oferecer um cupom de até {pct}% de desconto."


def reference_message(category: str, max_chars: int, pct: int | None, rng) -> str | None:
    """A stock message that fits (None if none does): it names the category, calls to action and
    offers only the authorised discount."""
    texts = [t.format(category=category, d=pct) for t in (REFERENCES_PLAIN if pct is None else REFERENCES_DISCOUNT)]
    fitting = [t for t in texts if len(t) <= max_chars]
    if not fitting:
        return None
    text = rng.choice(fitting)
    return text[0].upper() + text[1:]


class PushGenerator(TaskGenerator):
    task = "push"
    system = SYSTEM
    templates = (TEMPLATE_CUSTOMER, TEMPLATE_SEGMENT)

    def _truth(self, key: str, category: str) -> PushTruth | None:
        rng = self.rng("constraints", key)
        max_chars, pct = rng.choice(MAX_CHARS), rng.choice(DISCOUNTS)
        reference = reference_message(category, max_chars, pct, rng)
        if reference is None:
            self.reject("no reference message fits the length limit")
            return None
        return PushTruth(max_chars=max_chars, category=category, allowed_discount_pct=pct, reference=reference)

    @staticmethod
    def _rules(truth: PushTruth) -> dict[str, object]:
        pct = None if truth.allowed_discount_pct is None else int(truth.allowed_discount_pct)
        return {"max_chars": truth.max_chars, "discount_rule": discount_rule(pct)}

    def customer_prompts(self) -> Iterator[Candidate]:
        for r in self.ctx.shuffled_rows(CUSTOMERS_SQL, "customer_unique_id", self.rng("customers")):
            category = category_pt(r["top_category_pt"])
            truth = self._truth(r["customer_unique_id"], category)
            if truth is None:
                continue
            user = TEMPLATE_CUSTOMER.format(
                state=state_with("em", r["customer_state"]), recency=int(r["recency_days"]),
                orders=r["frequency"], spent=brl(r["monetary"]), category=category, **self._rules(truth),
            )
            yield Candidate("customer", user, truth, "customer_features", (f"customer:{r['customer_unique_id']}",))

    def segment_prompts(self) -> Iterator[Candidate]:
        segments = [(days, r) for days in (60, 90, 180) for r in self.ctx.rows(SEGMENTS_SQL.format(days=days))]
        self.rng("segments").shuffle(segments)
        for days, r in segments:
            key = f"segment:{r['customer_state']}|{r['top_category_pt']}|{days}"
            category = category_pt(r["top_category_pt"])
            truth = self._truth(key, category)
            if truth is None:
                continue
            user = TEMPLATE_SEGMENT.format(
                size=r["size"], state=state_with("de", r["customer_state"]), category=category,
                days=days, ticket=brl(r["ticket"]), **self._rules(truth),
            )
            yield Candidate("segment", user, truth, "customer_features", (key,))

    def candidates(self) -> Iterable[Candidate]:
        for batch in itertools.zip_longest(self.customer_prompts(), self.segment_prompts()):
            yield from (c for c in batch if c is not None)
