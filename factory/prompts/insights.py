"""Insights: analytical questions (comparison, trend, recommendation) over a fact table in the prompt.

Each prompt carries a compact table computed from commerce.db: the entities asked about plus a few
distractor rows (other states or categories, the months around a window), values as displayed. The
question lists the items its closing "Conclusão:" line must answer; each item is a `Conclusion`
whose accepted answers follow from the table by `rewards.consistency.expected_answers` (ties are
ties). The reference answer (the SFT target) cites the figures and ends with that line. Entities
qualify only with at least `MIN_ORDERS` orders behind every figure.
"""
from __future__ import annotations

import itertools
from typing import Any, Iterable, Iterator

from factory.prompts.base import Candidate, TaskGenerator
from factory.prompts.text import STATE_NAMES, brl, category_pt, month_pt, number_pt
from rewards.consistency import TREND_THRESHOLD_PCT, expected_answers, trend_answers
from schemas.brazil import state_with
from schemas.tasks import Conclusion, Fact, InsightsTruth, TableRow

MIN_ORDERS = 10
DISTRACTORS = 2           # extra rows in comparison and retention tables

SYSTEM = (
    "Você é um analista de dados de um e-commerce brasileiro. Responda em português do Brasil usando "
    "apenas os números da tabela da pergunta: escreva um ou dois parágrafos curtos que citem os valores "
    "relevantes (em reais como R$ 1.234,56, porcentagens com uma casa, como 12,5%) e comparem as entidades "
    "pedidas. Termine com uma última linha no formato 'Conclusão: <item>: <resposta>; <item>: <resposta>', "
    "com uma resposta para cada item listado na pergunta: o nome de um estado, categoria ou mês da tabela, "
    "'empate' quando os valores são iguais, ou, nos itens de tendência, 'alta', 'queda' ou 'estabilidade'."
)

# column key -> (header, kind); kind says how a value is displayed.
COLUMNS: dict[str, tuple[str, str]] = {
    "orders": ("pedidos", "count"), "revenue": ("receita", "money"), "ticket": ("ticket médio", "money"),
    "late_pct": ("taxa de atraso", "pct"), "score": ("nota média", "score"),
    "negative_pct": ("avaliações negativas", "pct"),
}
COMPARISON_ITEMS = (("mais pedidos", "max", "orders"), ("maior receita", "max", "revenue"),
                    ("maior ticket médio", "max", "ticket"), ("menor taxa de atraso", "min", "late_pct"),
                    ("maior nota média", "max", "score"))

TEMPLATES = {
    "compare_states": "Compare o desempenho dos clientes {a} e {b}: número de pedidos, receita, ticket médio, taxa de entregas atrasadas e nota média das avaliações. O que explica as diferenças?",
    "compare_categories": "Compare as categorias {a} e {b} em número de pedidos, receita, ticket médio, taxa de atraso na entrega e nota média. Qual delas vai melhor em cada indicador?",
    "trend_category": "Como evoluíram os pedidos e a receita da categoria {a} de {m1} a {m3}? Descreva a tendência mês a mês (considere estabilidade uma variação de até 5% entre o primeiro e o último mês).",
    "trend_state": "Como evoluíram os pedidos e o ticket médio dos clientes {a} de {m1} a {m3}? Descreva a tendência mês a mês (considere estabilidade uma variação de até 5% entre o primeiro e o último mês).",
    "recommend_delivery": "Entre as três categorias com mais pedidos de clientes {a}, em qual a operação logística deveria focar primeiro para reduzir atrasos (a de maior taxa de atraso)? Justifique com os números.",
    "recommend_retention": "Entre os estados {a}, {b} e {c}, onde uma campanha de retenção focada em satisfação teria mais prioridade (o de menor nota média)? Use a nota média, a taxa de avaliações negativas e a taxa de atraso.",
}
TABLE_INTRO = "Dados ({what}):"
ITEMS_LINE = "Itens da conclusão: {items}."
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


def shown(column: str, value: float) -> str:
    kind = COLUMNS[column][1]
    if kind == "money":
        return brl(value)
    if kind == "pct":
        return pct(value)
    return number_pt(value, 0) if kind == "count" else number_pt(value, 2)


def table_text(first_header: str, rows: list[TableRow], columns: tuple[str, ...]) -> str:
    """A markdown table: one row per entity, values displayed in PT-BR."""
    head = "| " + " | ".join((first_header,) + tuple(COLUMNS[c][0] for c in columns)) + " |"
    rule = "|" + "---|" * (len(columns) + 1)
    body = ["| " + " | ".join([r.label] + [shown(c, r.values[c]) for c in columns]) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def _next_month(month: str) -> str:
    year, mm = map(int, month.split("-"))
    return f"{year + mm // 12}-{mm % 12 + 1:02d}"


def _prev_month(month: str) -> str:
    year, mm = map(int, month.split("-"))
    return f"{year - (mm == 1)}-{(mm - 2) % 12 + 1:02d}"


def conclude(item: str, rule: str, metric: str, rows: list[str], table: list[TableRow]) -> Conclusion:
    return Conclusion(item=item, rule=rule, metric=metric, rows=rows,
                      accepted=expected_answers(rule, metric, rows, table))


def answer_words(conclusion: Conclusion, names: dict[str, str]) -> str:
    """How the reference states a conclusion: the entity's name, or "empate entre A e B"."""
    first = conclusion.accepted[0]
    if first == "empate":
        tied = [names.get(e, e) for e in conclusion.accepted[1:]]
        return "empate" + (f" entre {', '.join(tied[:-1])} e {tied[-1]}" if len(tied) > 1 else "")
    return names.get(first, first)


def closing_line(conclusions: list[Conclusion], names: dict[str, str]) -> str:
    return "Conclusão: " + "; ".join(f"{c.item}: {answer_words(c, names)}" for c in conclusions) + "."


def user_message(question: str, what: str, first_header: str, rows: list[TableRow], columns: tuple[str, ...],
                 conclusions: list[Conclusion]) -> str:
    return "\n\n".join([question, TABLE_INTRO.format(what=what) + "\n" + table_text(first_header, rows, columns),
                        ITEMS_LINE.format(items="; ".join(c.item for c in conclusions))])


def balanced_by_direction(windows: list[tuple[str, tuple[str, str, str]]], monthly: dict, value: str) -> list:
    """The windows taken in turn from each (orders trend, value trend) bucket, so that no constant
    pair of directions is right on most prompts of the stratum (within a bucket the order is kept)."""
    buckets: dict[tuple[str, str], list] = {}
    for entity, window in windows:
        months = monthly[entity]
        key = tuple(trend_answers(months[window[0]][c], months[window[2]][c])[0] for c in ("orders", value))
        buckets.setdefault(key, []).append((entity, window))
    queues = [buckets[k] for k in sorted(buckets)]
    out = []
    while any(queues):
        out += [q.pop(0) for q in queues if q]
    return out


class InsightsGenerator(TaskGenerator):
    task = "insights"
    system = SYSTEM
    templates = tuple(TEMPLATES.values()) + (TABLE_INTRO, ITEMS_LINE)

    def metrics(self, key: str, where: str = "") -> dict[str, dict[str, Any]]:
        rows = self.ctx.rows(METRICS_SQL.format(key=key, where=where, min_orders=MIN_ORDERS))
        return {r["entity"]: r for r in rows}

    def _rows(self, key: str, stats: dict[str, dict[str, Any]], entities: list[str], columns: tuple[str, ...],
              rng) -> list[TableRow]:
        """Table rows for `entities` in a seeded order, so a row's position says nothing."""
        label = state_label if key == "customer_state" else category_pt
        rows = [TableRow(label=label(e), entity=e if key == "customer_state" else category_pt(e),
                         values={c: float(stats[e][c]) for c in columns}) for e in entities]
        rng.shuffle(rows)
        return rows

    # -- comparison -------------------------------------------------------------------------------
    def comparisons(self, kind: str, key: str) -> Iterator[Candidate]:
        stats = self.metrics(key, "AND category_pt <> 'sem_categoria'" if key == "category_pt" else "")
        pairs = list(itertools.combinations(sorted(stats), 2))
        rng = self.rng(kind)
        rng.shuffle(pairs)
        columns = tuple(c for _, _, c in COMPARISON_ITEMS)
        is_state = key == "customer_state"
        for a, b in pairs:
            if rng.random() < 0.5:  # the question's order says nothing about the answer
                a, b = b, a
            others = sorted(set(stats) - {a, b})
            distractors = rng.sample(others, min(DISTRACTORS, len(others)))
            table = self._rows(key, stats, [a, b] + distractors, columns, rng)
            ea, eb = (e if is_state else category_pt(e) for e in (a, b))
            conclusions = [conclude(item, rule, metric, [ea, eb], table) for item, rule, metric in COMPARISON_ITEMS]
            sa, sb = stats[a], stats[b]
            if is_state:
                la, lb = state_label(a), state_label(b)
                subject_a = state_with("", a, la)
                subject_a = subject_a[0].upper() + subject_a[1:]
                of_b, in_a, in_b = state_with("de", b, lb), state_with("em", a, la), state_with("em", b, lb)
                question = TEMPLATES[kind].format(a=state_with("de", a, la), b=state_with("de", b, lb))
            else:
                la, lb = category_pt(a), category_pt(b)
                subject_a, of_b, in_a, in_b = f"A categoria {la}", f"de {lb}", f"em {la}", f"em {lb}"
                question = TEMPLATES[kind].format(a=la, b=lb)
            names = {r.entity: entity_name(key, r.entity) if is_state else r.entity for r in table}
            reference = (
                f"{subject_a} teve {number_pt(sa['orders'], 0)} pedidos e receita de {brl(sa['revenue'])}, contra "
                f"{number_pt(sb['orders'], 0)} pedidos e {brl(sb['revenue'])} {of_b}. O ticket médio foi de "
                f"{brl(sa['ticket'])} {in_a} e {brl(sb['ticket'])} {in_b}. A taxa de entregas atrasadas foi de "
                f"{pct(sa['late_pct'])} {in_a} e {pct(sb['late_pct'])} {in_b}, e a nota média das avaliações foi "
                f"{number_pt(sa['score'], 2)} contra {number_pt(sb['score'], 2)}.\n{closing_line(conclusions, names)}"
            )
            facts = []
            for s, lab in ((sa, la), (sb, lb)):
                facts += [
                    Fact(name=f"pedidos {lab}", value=s["orders"], unit="pedidos"),
                    Fact(name=f"receita {lab}", value=s["revenue"], unit="R$"),
                    Fact(name=f"ticket médio {lab}", value=s["ticket"], unit="R$"),
                    Fact(name=f"taxa de atraso {lab}", value=s["late_pct"], unit="%", rel_tolerance=0.05),
                    Fact(name=f"nota média {lab}", value=s["score"], unit="estrelas"),
                ]
            truth = InsightsTruth(facts=facts, entities=[entity_name(key, a), entity_name(key, b)],
                                  reference=reference, table=table, conclusions=conclusions)
            what = "clientes por estado" if is_state else "pedidos por categoria"
            user = user_message(question, what, "estado" if is_state else "categoria", table, columns, conclusions)
            yield Candidate(STRATUM[kind], user, truth, "orders_enriched", (f"insight:{kind}:{a}|{b}",))

    # -- trend ------------------------------------------------------------------------------------
    def trends(self, kind: str, key: str, value: str) -> Iterator[Candidate]:
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
                if all(m in months and months[m]["orders"] >= 3 for m in (m1, m2, m3)):
                    windows.append((entity, (m1, m2, m3)))
        self.rng(kind).shuffle(windows)
        windows = balanced_by_direction(windows, monthly, value)
        value_name = {"revenue": "receita", "ticket": "ticket médio"}[value]
        value_item = {"revenue": "tendência da receita", "ticket": "tendência do ticket médio"}[value]
        value_article = {"revenue": "a receita", "ticket": "o ticket médio"}[value]
        columns = ("orders", value)
        for entity, window in windows:
            months = monthly[entity]
            shown_months = [m for m in (_prev_month(window[0]), *window, _next_month(window[2])) if m in months]
            table = [TableRow(label=month_pt(m), entity=m, values={c: float(months[m][c]) for c in columns})
                     for m in shown_months]
            first, last = window[0], window[2]
            conclusions = [conclude("tendência dos pedidos", "trend", "orders", list(window), table),
                           conclude(value_item, "trend", value, list(window), table)]
            rows = [months[m] for m in window]
            if key == "customer_state":
                lab = state_label(entity)
                subject = state_with("", entity, lab)
                subject = subject[0].upper() + subject[1:]
                question = TEMPLATES[kind].format(a=state_with("de", entity, lab), m1=month_pt(first), m3=month_pt(last))
                what = f"clientes {state_with('de', entity, lab)} por mês"
            else:
                lab = category_pt(entity)
                subject = f"A categoria {lab}"
                question = TEMPLATES[kind].format(a=lab, m1=month_pt(first), m3=month_pt(last))
                what = f"categoria {lab} por mês"
            facts = []
            for r in rows:
                facts.append(Fact(name=f"pedidos {entity} {r['month']}", value=r["orders"], unit="pedidos"))
                facts.append(Fact(name=f"{value_name} {entity} {r['month']}", value=r[value], unit="R$"))
            change = {c: 100 * (months[last][c] - months[first][c]) / months[first][c] for c in columns}
            facts.append(Fact(name=f"variação de pedidos {month_pt(first)} a {month_pt(last)}",
                              value=round(change["orders"], 1), unit="%", rel_tolerance=0.05))
            steps = "; ".join(
                f"{number_pt(r['orders'], 0)} pedidos e {value_name} de {brl(r[value])} em {month_pt(r['month'])}"
                for r in rows
            )
            signed = lambda x: ("+" if x > 0 else "") + pct(x)  # noqa: E731
            reference = (
                f"{subject} teve {steps}. De {month_pt(first)} a {month_pt(last)}, os pedidos variaram "
                f"{signed(change['orders'])} e {value_article} {signed(change[value])} (estabilidade é uma variação "
                f"de até {number_pt(TREND_THRESHOLD_PCT, 0)}%).\n{closing_line(conclusions, {})}"
            )
            entities = [entity_name(key, entity)] + [month_pt(m) for m in window]
            truth = InsightsTruth(facts=facts, entities=entities, reference=reference, table=table,
                                  conclusions=conclusions)
            user = user_message(question, what, "mês", table, columns, conclusions)
            yield Candidate("trend", user, truth, "orders_enriched", (f"insight:{kind}:{entity}|{window[0]}",))

    # -- recommendation ---------------------------------------------------------------------------
    def delivery_focus(self) -> Iterator[Candidate]:
        states = sorted(self.metrics("customer_state"))
        rng = self.rng("recommend_delivery")
        rng.shuffle(states)
        columns = ("orders", "late_pct")
        for state in states:
            stats = self.metrics("category_pt", f"AND customer_state = '{state}' AND category_pt <> 'sem_categoria'")
            ranked = sorted(stats.values(), key=lambda s: (-s["orders"], s["entity"]))
            if len(ranked) < 3 or (len(ranked) > 3 and ranked[2]["orders"] == ranked[3]["orders"]):
                self.reject("recommend_delivery: fewer than three categories or a tie for the third place")
                continue
            top, rest = ranked[:3], ranked[3:3 + DISTRACTORS]
            table = self._rows("category_pt", stats, [s["entity"] for s in top + rest], columns, rng)
            conclusions = [conclude("prioridade", "max", "late_pct", [category_pt(s["entity"]) for s in top], table)]
            lab = state_label(state)
            lines = ", ".join(f"{category_pt(s['entity'])} ({number_pt(s['orders'], 0)} pedidos, {pct(s['late_pct'])} de atraso)"
                              for s in top)
            worst = max(s["late_pct"] for s in top)
            reference = (
                f"Para clientes {state_with('de', state, lab)}, as três categorias com mais pedidos são {lines}. "
                f"A maior taxa de atraso entre elas é de {pct(worst)}: recomendo revisar prazos e transportadoras "
                f"dessa categoria primeiro.\n{closing_line(conclusions, {})}"
            )
            facts = [Fact(name=f"taxa de atraso {category_pt(s['entity'])} em {state}", value=s["late_pct"], unit="%",
                          rel_tolerance=0.05) for s in top]
            facts += [Fact(name=f"pedidos {category_pt(s['entity'])} em {state}", value=s["orders"], unit="pedidos")
                      for s in top]
            entities = [STATE_NAMES.get(state, state)] + [e for e in conclusions[0].accepted if e != "empate"]
            truth = InsightsTruth(facts=facts, entities=entities, reference=reference, table=table,
                                  conclusions=conclusions)
            question = TEMPLATES["recommend_delivery"].format(a=state_with("de", state, lab))
            user = user_message(question, f"categorias dos clientes {state_with('de', state, lab)}", "categoria",
                                table, columns, conclusions)
            yield Candidate("recommendation", user, truth, "orders_enriched", (f"insight:recommend_delivery:{state}",))

    def retention_focus(self) -> Iterator[Candidate]:
        stats = self.metrics("customer_state")
        triples = list(itertools.combinations(sorted(stats), 3))
        rng = self.rng("recommend_retention")
        rng.shuffle(triples)
        columns = ("score", "negative_pct", "late_pct")
        for triple in triples:
            triple = tuple(rng.sample(triple, len(triple)))
            others = sorted(set(stats) - set(triple))
            table = self._rows("customer_state", stats, list(triple) + rng.sample(others, min(DISTRACTORS, len(others))),
                               columns, rng)
            conclusions = [conclude("prioridade", "min", "score", list(triple), table)]
            names = {s: STATE_NAMES.get(s, s) for s in stats}
            lines = "; ".join(
                f"{state_label(s)}: nota média {number_pt(stats[s]['score'], 2)}, {pct(stats[s]['negative_pct'])} de "
                f"avaliações negativas e {pct(stats[s]['late_pct'])} de atraso" for s in triple
            )
            lowest = min(stats[s]["score"] for s in triple)
            reference = (
                f"{lines}. A menor nota média entre os três é {number_pt(lowest, 2)}: a campanha deve começar por "
                f"aí, atacando as causas de insatisfação, a começar pelos atrasos.\n{closing_line(conclusions, names)}"
            )
            facts = []
            for s in triple:
                facts += [Fact(name=f"nota média {s}", value=stats[s]["score"], unit="estrelas"),
                          Fact(name=f"avaliações negativas {s}", value=stats[s]["negative_pct"], unit="%", rel_tolerance=0.05),
                          Fact(name=f"taxa de atraso {s}", value=stats[s]["late_pct"], unit="%", rel_tolerance=0.05)]
            truth = InsightsTruth(facts=facts, entities=[STATE_NAMES.get(s, s) for s in triple], reference=reference,
                                  table=table, conclusions=conclusions)
            labels = [state_label(s) for s in triple]
            question = TEMPLATES["recommend_retention"].format(a=labels[0], b=labels[1], c=labels[2])
            user = user_message(question, "clientes por estado", "estado", table, columns, conclusions)
            yield Candidate("recommendation", user, truth, "orders_enriched",
                            (f"insight:recommend_retention:{'|'.join(triple)}",))

    def candidates(self) -> Iterable[Candidate]:
        streams = [
            self.comparisons("compare_states", "customer_state"),
            self.comparisons("compare_categories", "category_pt"),
            self.trends("trend_category", "category_pt", "revenue"),
            self.trends("trend_state", "customer_state", "ticket"),
            self.delivery_focus(),
            self.retention_focus(),
        ]
        for batch in itertools.zip_longest(*streams):
            yield from (c for c in batch if c is not None)
