"""Churn: a customer's profile as of a cutoff date -> will the customer buy again within the horizon?

Per customer, a seeded cutoff falls after one of their purchases (before the next one, when there is
one) and at least `prompts.churn.horizon_days` before the end of the data, so the outcome is observed.
The profile uses only facts dated before the cutoff (orders, deliveries, reviews); the label is what
the data says happened after it: `will_churn` = no purchase within the horizon.

Strata are risk bands known at the cutoff: terciles of a transparent score (recency relative to
the horizon, one-time buyer, a bad experience) over all candidates. `churn_probability` is the churn
rate the data shows in that band.

Each band is balanced on its outcome: its prompts alternate churners and returning customers (the
benchmark and the training split both draw from the head of the pool), capped at twice the smaller
outcome, so that no constant answer is right on most prompts; where the data cannot balance a band
the metric `unbalanced_strata` names it. `outcome` is `will_churn`, so the split keeps that balance
in each band of the benchmark, train and val.

The gold answer (`reference_probability`, `reference_will_churn` = p >= 0.5) comes from a logistic
regression (numpy, Newton steps, deterministic) on features known at the cutoff and the band, fit on
every profile except the head of each band's pool, where the split draws the benchmark from
(`BENCHMARK_RESERVE` times its share): the training customers and the unused ones. Each (band,
outcome) cell is weighted so that every band counts half churners, half returning customers, as the
prompts do, so the reference is calibrated for the prompts' distribution; no benchmark outcome
enters the fit.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Hashable, Iterable

import numpy as np

from factory.prompts.base import BENCHMARK_STRATA, Candidate, TaskGenerator
from factory.prompts.text import brl, category_pt, date_pt, number_pt, state_pt
from rewards.churn import ANSWER
from schemas.tasks import ChurnTruth

log = logging.getLogger(__name__)

MAX_OFFSET_DAYS = 120      # a cutoff falls at most this long after the anchor purchase
BENCHMARK_RESERVE = 3      # the first 3x the benchmark's share of each band's pool stay out of the fit
L2 = 1e-2                  # ridge penalty of the reference model (features are O(1))
FEATURES = ("recency_ratio", "log_orders", "one_time", "bad_experience", "log_spent", "pending", "tenure_years",
            "reviewed", "last_review_low", "band_medium", "band_high")

SYSTEM = (
    "Você avalia o risco de churn de clientes de um e-commerce brasileiro. Churn significa que o cliente "
    "não faz nenhuma compra nos dias seguintes à data de corte (o horizonte está na pergunta). Com base "
    f"apenas no perfil, responda somente com um objeto JSON com os campos {ANSWER.field_phrase()}."
)  # the answer format is the scorer's (rewards.churn.ANSWER)
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
WHERE customer_unique_id IS NOT NULL AND purchase_ts IS NOT NULL AND customer_unique_id IN (
    SELECT customer_unique_id FROM orders_enriched WHERE customer_unique_id IS NOT NULL AND purchase_ts IS NOT NULL
    GROUP BY 1 ORDER BY md5(customer_unique_id || '|' || ?), 1 LIMIT ?)
ORDER BY customer_unique_id, purchase_ts, order_id
"""  # the orders of a seeded sample of customers (all of them when they are fewer than the limit)
DATA_END_SQL = "SELECT max(purchase_ts) AS data_end FROM orders_enriched WHERE customer_unique_id IS NOT NULL"


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

    @classmethod
    def outcome(cls, ground_truth: dict[str, Any]) -> tuple[Hashable, ...]:
        """The real outcome: the split balances every band of the benchmark, train and val on it, so a
        constant `will_churn` is right on about half of each band's prompts (as the data allows)."""
        return (ground_truth["will_churn"],)

    def profiles(self) -> list[Profile]:
        horizon = int(self.ctx.params["prompts"]["churn"]["horizon_days"])
        by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
        sample = self.ctx.read_limit(self.task)
        for row in self.ctx.rows(ORDERS_SQL, [str(self.ctx.params["prompts"]["seed"]), sample]):
            by_customer[row["customer_unique_id"]].append(row)
        if not by_customer:
            return []
        data_end = self.ctx.rows(DATA_END_SQL)[0]["data_end"]  # of every order, not only the sample's
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
        ordered = list(profiles)
        self.rng("order").shuffle(ordered)
        pools = {s: balanced_outcomes([p for p in ordered if band(p) == s], start_with_churn=(i % 2 == 0),
                                      minimum=BENCHMARK_STRATA["churn"][s])
                 for i, s in enumerate(("low", "medium", "high"))}
        reserved = {p.customer for s, v in pools.items() for p in v[:BENCHMARK_RESERVE * BENCHMARK_STRATA["churn"][s]]}
        calibration = [p for p in profiles if p.customer not in reserved]
        model = ReferenceModel.fit(calibration, [band(p) for p in calibration], horizon)
        balance = {s: {"churn": sum(p.will_churn for p in v), "stay": sum(not p.will_churn for p in v)}
                   for s, v in pools.items()}
        for s, b in balance.items():
            if abs(b["churn"] - b["stay"]) > 1:
                log.warning("churn/%s: the data cannot balance the band (%d churners, %d returning)", s, b["churn"], b["stay"])
        references = {p.customer: model.probability(p, horizon, s) for s, v in pools.items() for p in v}
        kept = [p for v in pools.values() for p in v]
        self.notes.update(
            profiles=len(profiles), risk_cuts=[low_cut, high_cut], churn_rate_per_stratum=rates,
            churn_rate=round(sum(p.will_churn for p in profiles) / len(profiles), 4),
            outcome_balance=balance,
            unbalanced_strata=sorted(s for s, b in balance.items() if abs(b["churn"] - b["stay"]) > 1),
            reference_model={
                "features": list(FEATURES), "coefficients": [round(float(c), 6) for c in model.beta],
                "calibration_customers": len(calibration), "benchmark_head_excluded": len(reserved),
                **reference_quality([references[p.customer] for p in kept], [p.will_churn for p in kept]),
            },
        )
        for p in (p for batch in zip_all(*pools.values()) for p in batch):
            probability = references[p.customer]
            truth = ChurnTruth(will_churn=p.will_churn, churn_probability=rates[band(p)],
                               cutoff_date=p.cutoff.isoformat(), horizon_days=horizon,
                               reference_probability=probability, reference_will_churn=probability >= 0.5)
            keys = (f"customer:{p.customer}",) + tuple(f"order:{o}" for o in p.order_ids)
            yield Candidate(band(p), render_profile(p, horizon), truth, "orders_enriched", keys)


def reference_quality(probabilities: list[float], outcomes: list[bool]) -> dict[str, float | None]:
    """How the reference answers fare on the pools' outcomes: label rate, accuracy, Brier score."""
    if not outcomes:
        return {"reference_churn_rate": None, "reference_accuracy": None, "reference_brier": None}
    labels = [q >= 0.5 for q in probabilities]
    n = len(outcomes)
    return {"reference_churn_rate": round(sum(labels) / n, 4),
            "reference_accuracy": round(sum(a == b for a, b in zip(labels, outcomes)) / n, 4),
            "reference_brier": round(sum((q - o) ** 2 for q, o in zip(probabilities, outcomes)) / n, 4)}


def zip_all(*lists: list) -> Iterable[tuple]:
    """Items of every list in turn (the longer lists continue alone)."""
    for i in range(max((len(v) for v in lists), default=0)):
        yield tuple(v[i] for v in lists if i < len(v))


def balanced_outcomes(profiles: list[Profile], start_with_churn: bool, minimum: int) -> list[Profile]:
    """Churners and returning customers alternating (order within each kept), at most twice the
    smaller outcome, or `minimum` profiles (the benchmark's share) when the data has fewer."""
    first = [p for p in profiles if p.will_churn == start_with_churn]
    second = [p for p in profiles if p.will_churn != start_with_churn]
    out = [p for pair in zip(first, second) for p in pair]
    n = min(len(first), len(second))
    rest = first[n:] + second[n:]
    return out + rest[:max(0, minimum - len(out))]


def features(p: Profile, horizon: int, band: str) -> list[float]:
    """The reference model's inputs: facts known at the cutoff, each O(1), and the risk band (so
    the weighted fit is calibrated within every band)."""
    f = p.facts
    bad = f["late"] > 0 or f["canceled"] > 0 or (f["avg_review"] is not None and f["avg_review"] <= 2)
    return [1.0, min(f["recency"] / horizon, 3.0), float(np.log1p(f["orders"])), float(f["orders"] == 1), float(bad),
            float(np.log1p(f["spent"]) / 5), float(f["pending"] > 0), f["tenure"] / 365, float(f["n_reviews"] > 0),
            float(f["last_review"] is not None and f["last_review"] <= 2), float(band == "medium"), float(band == "high")]


@dataclass(frozen=True)
class ReferenceModel:
    """A ridge logistic regression (intercept first, then FEATURES)."""

    beta: np.ndarray

    @classmethod
    def fit(cls, profiles: list[Profile], bands: list[str], horizon: int, steps: int = 25) -> "ReferenceModel":
        """Newton steps on the weighted log-loss; each (band, outcome) cell weighs so that every band
        counts as half churners, half returning customers (the prompts' balance)."""
        if not profiles:
            return cls(np.zeros(len(FEATURES) + 1))
        X = np.array([features(p, horizon, b) for p, b in zip(profiles, bands)], dtype=np.float64)
        y = np.array([float(p.will_churn) for p in profiles])
        cells: dict[tuple[str, bool], int] = defaultdict(int)
        for b, p in zip(bands, profiles):
            cells[(b, p.will_churn)] += 1
        w = np.array([0.5 * (cells[(b, True)] + cells[(b, False)]) / cells[(b, p.will_churn)]
                      if cells[(b, True)] and cells[(b, False)] else 1.0 for b, p in zip(bands, profiles)])
        beta = np.zeros(X.shape[1])
        penalty = L2 * len(y) * np.eye(X.shape[1])
        penalty[0, 0] = 0.0
        for _ in range(steps):
            mu = 1.0 / (1.0 + np.exp(-(X @ beta)))
            grad = X.T @ (w * (mu - y)) + penalty @ beta
            hess = (X * (w * mu * (1 - mu))[:, None]).T @ X + penalty
            step = np.linalg.solve(hess, grad)
            beta = beta - step
            if float(np.max(np.abs(step))) < 1e-10:
                break
        return cls(beta)

    def probability(self, p: Profile, horizon: int, band: str) -> float:
        """The churn probability, rounded to two decimals (the gold answer's precision)."""
        z = float(np.dot(self.beta, np.array(features(p, horizon, band))))
        return round(1.0 / (1.0 + math.exp(-z)), 2)
