"""Churn: a customer's profile as of a cutoff date -> will the customer buy again within the horizon?

Per customer, a seeded cutoff falls after one of their purchases (before the next one, when there is
one) and at least `prompts.churn.horizon_days` before the end of the data, so the outcome is observed.
The profile uses only facts dated before the cutoff (orders, deliveries, reviews); the label is what
the data says happened after it: `will_churn` = no purchase within the horizon.

Strata are risk bands known at the cutoff: terciles of a transparent score (recency relative to
the horizon, one-time buyer, a bad experience) over all candidates. `churn_probability` is the churn
rate the data shows in that band, so it is a calibration target measured on outcomes, never a guess.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from factory.prompts.base import Candidate, TaskGenerator
from factory.prompts.text import brl, category_pt, date_pt, number_pt, state_pt
from schemas.tasks import ChurnTruth

MAX_OFFSET_DAYS = 120      # a cutoff falls at most this long after the anchor purchase

SYSTEM = (
    "Você avalia o risco de churn de clientes de um e-commerce brasileiro. Churn significa que o cliente "
    "não faz nenhuma compra nos dias seguintes à data de corte (o horizonte está na pergunta). Com base "
    "apenas no perfil, responda somente com um objeto JSON com os campos will_churn (true ou false) e "
    "churn_probability (de 0 a 1)."
)
TEMPLATE = (
    "Perfil do cliente\nData de corte: {cutoff}\nHorizonte: {horizon} dias\nEstado: {state}\n"
    "Cliente desde: {first} ({tenure} dias)\n"
    "Pedidos até a data de corte: {orders}\nValor total gasto: {spent}\nTicket médio: {ticket}\n"
    "Dias desde a última compra: {recency}\nCategoria mais comprada: {category}\n"
    "Avaliações feitas: {reviews}\nEntregas com atraso: {late}\nPedidos cancelados ou indisponíveis: {canceled}\n"
    "Pedidos ainda não entregues na data de corte: {pending}\n"
    "Pergunta: este cliente vai deixar de comprar (churn) dentro do horizonte, contado a partir da data de corte?"
)

ORDERS_SQL = """
SELECT customer_unique_id, order_id, customer_state, purchase_ts, order_status, total_value, category_pt,
       delivered_customer_ts, is_late, review_score, review_created_ts
FROM orders_enriched
WHERE customer_unique_id IS NOT NULL AND purchase_ts IS NOT NULL
ORDER BY customer_unique_id, purchase_ts, order_id
"""


@dataclass(frozen=True)
class Profile:
    customer: str
    cutoff: dt.date
    facts: dict[str, Any]
    risk: float
    will_churn: bool
    order_ids: tuple[str, ...]


def _day(ts: dt.datetime) -> dt.date:
    return ts.date()


def build_profile(customer: str, orders: list[dict[str, Any]], cutoff: dt.date, horizon: int) -> Profile:
    """Facts strictly before `cutoff` (midnight), and the outcome in [cutoff, cutoff + horizon)."""
    start = dt.datetime.combine(cutoff, dt.time())
    before = [o for o in orders if o["purchase_ts"] < start]
    after = [o for o in orders if start <= o["purchase_ts"] < start + dt.timedelta(days=horizon)]
    delivered = [o for o in before if o["delivered_customer_ts"] is not None and o["delivered_customer_ts"] < start]
    reviews = [o for o in before if o["review_score"] is not None and o["review_created_ts"] is not None
               and o["review_created_ts"] < start]
    categories: dict[str, int] = defaultdict(int)
    for o in before:
        categories[o["category_pt"]] += 1
    spent = round(sum(o["total_value"] or 0.0 for o in before), 2)
    last = max(o["purchase_ts"] for o in before)
    first = min(o["purchase_ts"] for o in before)
    facts = {
        "state": before[-1]["customer_state"],
        "first": _day(first), "tenure": (cutoff - _day(first)).days,
        "orders": len(before), "spent": spent, "ticket": round(spent / len(before), 2),
        "recency": (cutoff - _day(last)).days,
        "category": min(categories, key=lambda c: (-categories[c], c)),
        "n_reviews": len(reviews),
        "avg_review": round(sum(o["review_score"] for o in reviews) / len(reviews), 1) if reviews else None,
        "last_review": max(reviews, key=lambda o: o["review_created_ts"])["review_score"] if reviews else None,
        "late": sum(bool(o["is_late"]) for o in delivered),
        "canceled": sum(o["order_status"] in ("canceled", "unavailable") for o in before),
        "pending": sum(o["order_status"] not in ("canceled", "unavailable") and o not in delivered for o in before),
    }
    bad = facts["late"] > 0 or facts["canceled"] > 0 or (facts["avg_review"] is not None and facts["avg_review"] <= 2)
    risk = 0.5 * min(facts["recency"] / horizon, 1.0) + 0.3 / facts["orders"] + 0.2 * bad
    return Profile(customer, cutoff, facts, round(risk, 6), not after, tuple(o["order_id"] for o in orders))


def render_profile(p: Profile, horizon: int) -> str:
    f = p.facts
    reviews = "nenhuma" if not f["n_reviews"] else (
        f"{f['n_reviews']} (nota média {number_pt(f['avg_review'], 1)}; última nota {f['last_review']})"
    )
    return TEMPLATE.format(
        cutoff=date_pt(p.cutoff), state=state_pt(f["state"]), first=date_pt(f["first"]), tenure=f["tenure"],
        orders=f["orders"], spent=brl(f["spent"]), ticket=brl(f["ticket"]), recency=f["recency"],
        category=category_pt(f["category"]), reviews=reviews, late=f["late"], canceled=f["canceled"],
        pending=f["pending"], horizon=horizon,
    )


class ChurnGenerator(TaskGenerator):
    task = "churn"
    system = SYSTEM
    templates = (TEMPLATE,)

    def profiles(self) -> list[Profile]:
        horizon = int(self.ctx.params["prompts"]["churn"]["horizon_days"])
        by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self.ctx.rows(ORDERS_SQL):
            by_customer[row["customer_unique_id"]].append(row)
        if not by_customer:
            return []
        data_end = max(o["purchase_ts"] for orders in by_customer.values() for o in orders)
        last_cutoff = _day(data_end) - dt.timedelta(days=horizon)
        self.notes.update(horizon_days=horizon, data_end=str(_day(data_end)), last_cutoff=str(last_cutoff))
        profiles = []
        for customer in sorted(by_customer):
            orders = by_customer[customer]
            days = sorted({_day(o["purchase_ts"]) for o in orders})
            anchors = [d for d in days if d < last_cutoff]
            if not anchors:
                self.reject("censored: first purchase too close to the end of the data")
                continue
            rng = self.rng("cutoff", customer)
            anchor = rng.choice(anchors)
            following = [d for d in days if d > anchor]
            room = (following[0] - anchor).days - 1 if following else MAX_OFFSET_DAYS
            cutoff = min(anchor + dt.timedelta(days=1 + rng.randint(0, max(0, min(room, MAX_OFFSET_DAYS)))), last_cutoff)
            profiles.append(build_profile(customer, orders, cutoff, horizon))
        return profiles

    def candidates(self) -> Iterable[Candidate]:
        horizon = int(self.ctx.params["prompts"]["churn"]["horizon_days"])
        profiles = self.profiles()
        if not profiles:
            return
        ranked = sorted(p.risk for p in profiles)
        low_cut, high_cut = ranked[len(ranked) // 3], ranked[2 * len(ranked) // 3]
        band = lambda p: "low" if p.risk < low_cut else "high" if p.risk >= high_cut else "medium"  # noqa: E731
        rates = {}
        for stratum in ("low", "medium", "high"):
            members = [p for p in profiles if band(p) == stratum]
            rates[stratum] = round(sum(p.will_churn for p in members) / len(members), 2) if members else 1.0
        self.notes.update(
            profiles=len(profiles), risk_cuts=[low_cut, high_cut], churn_rate_per_stratum=rates,
            churn_rate=round(sum(p.will_churn for p in profiles) / len(profiles), 4),
        )
        self.rng("order").shuffle(profiles)
        for p in profiles:
            truth = ChurnTruth(will_churn=p.will_churn, churn_probability=rates[band(p)],
                               cutoff_date=p.cutoff.isoformat(), horizon_days=horizon)
            keys = (f"customer:{p.customer}",) + tuple(f"order:{o}" for o in p.order_ids)
            yield Candidate(band(p), render_profile(p, horizon), truth, "orders_enriched", keys)
