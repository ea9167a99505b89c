"""Insights: analytical questions (comparison, trend, recommendation) with a fact sheet from commerce.db.

Each question comes with the figures a correct answer must get right (`Fact`s with a tolerance),
the entities it must name, and a reference answer written from those figures (the SFT target).
Entities qualify only with at least `MIN_ORDERS` orders behind every figure.
"""
from __future__ import annotations

import itertools
from typing import Any, Iterable, Iterator

from factory.prompts.base import Candidate, TaskGenerator
from factory.prompts.text import STATE_NAMES, brl, category_pt, month_pt, number_pt
from schemas.tasks import Fact, InsightsTruth

MIN_ORDERS = 10

SYSTEM = (
    "Você é um analista de dados de um e-commerce brasileiro. Responda em português do Brasil, em um ou "
    "dois parágrafos curtos, citando os números relevantes (valores em reais, porcentagens com uma casa) "
    "e os nomes dos estados, categorias e meses envolvidos. Termine com uma conclusão ou recomendação clara."
)

TEMPLATES = {
    "compare_states": "Compare o desempenho dos clientes de {a} e de {b}: número de pedidos, receita, ticket médio, taxa de entregas atrasadas e nota média das avaliações. O que explica as diferenças?",
    "compare_categories": "Compare as categorias {a} e {b} em número de pedidos, receita, ticket médio, taxa de atraso na entrega e nota média. Qual delas tem o melhor desempenho geral?",
    "trend_category": "Como evoluíram os pedidos e a receita da categoria {a} de {m1} a {m3}? Descreva a tendência mês a mês.",
    "trend_state": "Como evoluíram os pedidos e o ticket médio dos clientes de {a} de {m1} a {m3}? Descreva a tendência mês a mês.",
    "recommend_delivery": "Entre as categorias mais vendidas para clientes de {a}, em qual a operação logística deveria focar primeiro para reduzir atrasos? Justifique com os números.",
    "recommend_retention": "Entre os estados {a}, {b} e {c}, onde uma campanha de retenção focada em satisfação teria mais prioridade? Use a nota média, a taxa de avaliações negativas e a taxa de atraso.",
}
STRATUM = {
    "compare_states": "comparison", "compare_categories": "comparison", "trend_category": "trend",
    "trend_state": "trend", "recommend_delivery": "recommendation", "recommend_retention": "recommendation",
}

METRICS_SQL = """
SELECT {key} AS entity, count(*) AS orders, round(sum(total_value), 2) AS revenue,
       round(avg(total_value), 2) AS ticket,
       round(100 * avg(CASE WHEN is_late IS NULL THEN NULL ELSE is_late::INTEGER END), 1) AS late_pct,
       round(avg(review_score), 2) AS score,
       round(100 * avg(CASE WHEN review_score IS NULL THEN NULL ELSE (review_score <= 2)::INTEGER END), 1) AS negative_pct
FROM orders_enriched WHERE {key} IS NOT NULL {where}
GROUP BY 1 HAVING count(*) >= {min_orders} AND count(is_late) > 0 AND count(review_score) > 0 ORDER BY 1
"""
MONTHLY_SQL = """
SELECT {key} AS entity, purchase_month AS month, count(*) AS orders, round(sum(total_value), 2) AS revenue,
       round(avg(total_value), 2) AS ticket
FROM orders_enriched WHERE {key} IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
"""


def state_label(code: str) -> str:
    return f"{STATE_NAMES.get(code, code)} ({code})"


def entity_name(key: str, value: str) -> str:
    """The name an answer must contain: the state's name, or the readable category."""
    return STATE_NAMES.get(value, value) if key == "customer_state" else category_pt(value)


def pct(value: float) -> str:
    return f"{number_pt(value, 1)}%"


def _next_month(month: str) -> str:
    year, mm = map(int, month.split("-"))
    return f"{year + mm // 12}-{mm % 12 + 1:02d}"


class InsightsGenerator(TaskGenerator):
    task = "insights"
    system = SYSTEM
    templates = tuple(TEMPLATES.values())

    def metrics(self, key: str, where: str = "") -> dict[str, dict[str, Any]]:
        rows = self.ctx.rows(METRICS_SQL.format(key=key, where=where, min_orders=MIN_ORDERS))
        return {r["entity"]: r for r in rows}

    # -- comparison -------------------------------------------------------------------------------
    def comparisons(self, kind: str, key: str, label) -> Iterator[Candidate]:
        stats = self.metrics(key, "AND category_pt <> 'sem_categoria'" if key == "category_pt" else "")
        pairs = list(itertools.combinations(sorted(stats), 2))
        self.rng(kind).shuffle(pairs)
        for a, b in pairs:
            sa, sb = stats[a], stats[b]
            la, lb = label(a), label(b)
            facts = []
            for s, lab in ((sa, la), (sb, lb)):
                facts += [
                    Fact(name=f"pedidos {lab}", value=s["orders"], unit="pedidos"),
                    Fact(name=f"receita {lab}", value=s["revenue"], unit="R$"),
                    Fact(name=f"ticket médio {lab}", value=s["ticket"], unit="R$"),
                    Fact(name=f"taxa de atraso {lab}", value=s["late_pct"], unit="%", rel_tolerance=0.05),
                    Fact(name=f"nota média {lab}", value=s["score"], unit="estrelas"),
                ]
            best = max((a, b), key=lambda e: (stats[e]["score"] - stats[e]["late_pct"] / 10, e))
            reference = (
                f"{la} teve {sa['orders']} pedidos e receita de {brl(sa['revenue'])}, contra {sb['orders']} pedidos "
                f"e {brl(sb['revenue'])} de {lb}. O ticket médio foi de {brl(sa['ticket'])} em {la} e "
                f"{brl(sb['ticket'])} em {lb}. A taxa de entregas atrasadas foi de {pct(sa['late_pct'])} em {la} "
                f"e {pct(sb['late_pct'])} em {lb}, e a nota média das avaliações foi {number_pt(sa['score'], 2)} "
                f"contra {number_pt(sb['score'], 2)}.\n"
                f"Conclusão: {label(best)} tem o melhor desempenho de experiência (mais nota e menos atraso); "
                f"{la if sa['revenue'] >= sb['revenue'] else lb} concentra mais receita."
            )
            truth = InsightsTruth(facts=facts, entities=[entity_name(key, a), entity_name(key, b)], reference=reference)
            yield Candidate(STRATUM[kind], TEMPLATES[kind].format(a=la, b=lb), truth, "orders_enriched",
                            (f"insight:{kind}:{a}|{b}",))

    # -- trend ------------------------------------------------------------------------------------
    def trends(self, kind: str, key: str, label, value: str) -> Iterator[Candidate]:
        monthly: dict[str, dict[str, dict[str, Any]]] = {}
        for r in self.ctx.rows(MONTHLY_SQL.format(key=key)):
            monthly.setdefault(r["entity"], {})[r["month"]] = r
        windows = []
        for entity, months in sorted(monthly.items()):
            if key == "category_pt" and entity == "sem_categoria":
                continue
            for m1 in sorted(months):
                m2 = _next_month(m1)
                m3 = _next_month(m2)
                if all(m in months and months[m]["orders"] >= 3 for m in (m2, m3)) and months[m1]["orders"] >= 3:
                    windows.append((entity, (m1, m2, m3)))
        self.rng(kind).shuffle(windows)
        for entity, window in windows:
            rows = [monthly[entity][m] for m in window]
            lab = label(entity)
            value_name = {"revenue": "receita", "ticket": "ticket médio"}[value]
            facts = []
            for r in rows:
                facts.append(Fact(name=f"pedidos {entity} {r['month']}", value=r["orders"], unit="pedidos"))
                facts.append(Fact(name=f"{value_name} {entity} {r['month']}", value=r[value], unit="R$"))
            change = round(100 * (rows[2]["orders"] - rows[0]["orders"]) / rows[0]["orders"], 1)
            facts.append(Fact(name=f"variação de pedidos {month_pt(window[0])} a {month_pt(window[2])}", value=change,
                              unit="%", rel_tolerance=0.05))
            direction = "alta" if change > 5 else "queda" if change < -5 else "estabilidade"
            steps = "; ".join(
                f"{month_pt(r['month'])}: {r['orders']} pedidos e {value_name} de {brl(r[value])}" for r in rows
            )
            reference = (
                f"{lab} — {steps}. De {month_pt(window[0])} a {month_pt(window[2])}, os pedidos variaram "
                f"{pct(change)}, uma tendência de {direction}."
            )
            entities = [entity_name(key, entity)] + [month_pt(m) for m in window]
            truth = InsightsTruth(facts=facts, entities=entities, reference=reference)
            user = TEMPLATES[kind].format(a=lab, m1=month_pt(window[0]), m3=month_pt(window[2]))
            yield Candidate("trend", user, truth, "orders_enriched", (f"insight:{kind}:{entity}|{window[0]}",))

    # -- recommendation ---------------------------------------------------------------------------
    def delivery_focus(self) -> Iterator[Candidate]:
        states = sorted(self.metrics("customer_state"))
        self.rng("recommend_delivery").shuffle(states)
        for state in states:
            stats = self.metrics("category_pt", f"AND customer_state = '{state}' AND category_pt <> 'sem_categoria'")
            top = sorted(stats.values(), key=lambda s: (-s["orders"], s["entity"]))[:3]
            if len(top) < 2:
                continue
            worst = max(top, key=lambda s: (s["late_pct"], -s["orders"], s["entity"]))
            lab = state_label(state)
            facts = [Fact(name=f"taxa de atraso {category_pt(s['entity'])} em {state}", value=s["late_pct"], unit="%",
                          rel_tolerance=0.05) for s in top]
            facts += [Fact(name=f"pedidos {category_pt(s['entity'])} em {state}", value=s["orders"], unit="pedidos") for s in top]
            lines = "; ".join(f"{category_pt(s['entity'])}: {s['orders']} pedidos, {pct(s['late_pct'])} de atraso" for s in top)
            reference = (
                f"Para clientes de {lab}, as categorias mais vendidas são {lines}. A prioridade deve ser "
                f"{category_pt(worst['entity'])}, que tem a maior taxa de atraso ({pct(worst['late_pct'])}) entre elas: "
                f"recomendo revisar prazos e transportadoras dessa categoria primeiro."
            )
            truth = InsightsTruth(facts=facts, entities=[STATE_NAMES.get(state, state), category_pt(worst["entity"])],
                                  reference=reference)
            yield Candidate("recommendation", TEMPLATES["recommend_delivery"].format(a=lab), truth, "orders_enriched",
                            (f"insight:recommend_delivery:{state}",))

    def retention_focus(self) -> Iterator[Candidate]:
        stats = self.metrics("customer_state")
        triples = list(itertools.combinations(sorted(stats), 3))
        self.rng("recommend_retention").shuffle(triples)
        for triple in triples:
            rows = [stats[s] for s in triple]
            worst = min(rows, key=lambda s: (s["score"], -s["negative_pct"], s["entity"]))
            labels = [state_label(s) for s in triple]
            facts = []
            for s in rows:
                facts += [Fact(name=f"nota média {s['entity']}", value=s["score"], unit="estrelas"),
                          Fact(name=f"avaliações negativas {s['entity']}", value=s["negative_pct"], unit="%", rel_tolerance=0.05),
                          Fact(name=f"taxa de atraso {s['entity']}", value=s["late_pct"], unit="%", rel_tolerance=0.05)]
            lines = "; ".join(
                f"{state_label(s['entity'])}: nota média {number_pt(s['score'], 2)}, {pct(s['negative_pct'])} de "
                f"avaliações negativas e {pct(s['late_pct'])} de atraso" for s in rows
            )
            reference = (
                f"{lines}. A prioridade é {state_label(worst['entity'])}, com a menor nota média "
                f"({number_pt(worst['score'], 2)}); a campanha deve atacar as causas de insatisfação, a começar pelos atrasos."
            )
            truth = InsightsTruth(facts=facts, entities=[STATE_NAMES.get(s, s) for s in triple], reference=reference)
            user = TEMPLATES["recommend_retention"].format(a=labels[0], b=labels[1], c=labels[2])
            yield Candidate("recommendation", user, truth, "orders_enriched", (f"insight:recommend_retention:{'|'.join(triple)}",))

    def candidates(self) -> Iterable[Candidate]:
        streams = [
            self.comparisons("compare_states", "customer_state", state_label),
            self.comparisons("compare_categories", "category_pt", category_pt),
            self.trends("trend_category", "category_pt", category_pt, "revenue"),
            self.trends("trend_state", "customer_state", state_label, "ticket"),
            self.delivery_focus(),
            self.retention_focus(),
        ]
        for batch in itertools.zip_longest(*streams):
            yield from (c for c in batch if c is not None)
