"""Text-to-SQL: templated PT-BR business questions over commerce.db, gold SQL executed at build time.

Template values come from the data (states, seller states, categories, months, years, order
statuses, payment types that have orders). Each gold query runs against commerce.db; its columns
and rows are stored (rows sorted canonically unless the query has ORDER BY, where order counts). A
query whose result is empty, all NULL/zero, or longer than `prompts.sql.max_result_rows` is rejected
and counted under its reason.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Iterator

from factory.prompts.base import Candidate, GenerationContext, TaskGenerator
from factory.prompts.text import ORDER_STATUS_PT, PAYMENT_PT, STATE_NAMES, month_pt
from schemas.tasks import SqlTruth

SCHEMA_DOC = """Tabelas do banco DuckDB (datas são TIMESTAMP):
- orders_enriched (um pedido por linha): order_id, customer_unique_id, customer_state (UF do cliente), customer_city, order_status ('delivered', 'shipped', 'canceled', 'unavailable', 'invoiced', 'processing', ...), purchase_ts, purchase_month (texto 'AAAA-MM'), delivered_customer_ts, estimated_delivery_ts, item_count, items_value, freight_value, total_value (itens + frete), payment_value, payment_type (tipo de maior valor: 'credit_card', 'boleto', 'voucher', 'debit_card'), payment_installments, product_id, category_pt (categoria do item mais caro; 'sem_categoria' quando vazia), category_en, seller_id, seller_state, delivery_days, estimated_days, delay_days (positivo = atraso), is_late, review_id, review_score (1 a 5), review_comment, has_comment
- customer_features (um cliente por linha): customer_unique_id, customer_state, first_purchase_ts, last_purchase_ts, recency_days, frequency (pedidos), monetary, avg_ticket, tenure_days, n_reviews, avg_review_score, n_negative_reviews, n_late_orders, last_review_score, top_category_pt
- orders: order_id, customer_id, order_status, order_purchase_timestamp, order_approved_at, order_delivered_carrier_date, order_delivered_customer_date, order_estimated_delivery_date
- customers: customer_id, customer_unique_id, customer_zip_code_prefix, customer_city, customer_state
- order_items: order_id, order_item_id, product_id, seller_id, shipping_limit_date, price, freight_value
- order_payments: order_id, payment_sequential, payment_type, payment_installments, payment_value
- order_reviews: review_id, order_id, review_score, review_comment_title, review_comment_message, review_creation_date, review_answer_timestamp
- products: product_id, product_category_name, product_weight_g, product_length_cm, product_height_cm, product_width_cm, product_photos_qty
- sellers: seller_id, seller_zip_code_prefix, seller_city, seller_state
- category_translation: product_category_name, product_category_name_english"""

SYSTEM = (
    "Você escreve consultas SQL (dialeto DuckDB) que respondem perguntas de negócio sobre um e-commerce "
    "brasileiro. Responda somente com uma consulta SELECT dentro de um bloco ```sql.\n" + SCHEMA_DOC
)


@dataclass(frozen=True)
class SqlTemplate:
    name: str
    stratum: str            # simple | join | aggregate
    question: str           # str.format over the slot values (PT-BR)
    sql: str                # str.format over the SQL-escaped slot values
    slots: tuple[str, ...]  # slot kinds, see `slot_values`


T = SqlTemplate
TEMPLATES: tuple[SqlTemplate, ...] = (
    # --- simple: one table, a filter and one aggregate or a sorted list
    T("orders_by_state", "simple",
      "Quantos pedidos foram feitos por clientes do estado {state_name} ({state})?",
      "SELECT count(*) AS pedidos FROM orders_enriched WHERE customer_state = '{state}'", ("state",)),
    T("revenue_month", "simple",
      "Qual foi o valor total dos pedidos (itens + frete) feitos em {month_pt}? Arredonde para duas casas.",
      "SELECT round(sum(total_value), 2) AS valor_total FROM orders_enriched WHERE purchase_month = '{month}'", ("month",)),
    T("late_by_category", "simple",
      "Quantos pedidos da categoria '{category}' foram entregues com atraso?",
      "SELECT count(*) AS pedidos_atrasados FROM orders_enriched WHERE category_pt = '{category}' AND is_late", ("late_category",)),
    T("avg_score_category", "simple",
      "Qual é a nota média das avaliações dos pedidos da categoria '{category}'? Arredonde para duas casas.",
      "SELECT round(avg(review_score), 2) AS nota_media FROM orders_enriched WHERE category_pt = '{category}'", ("category",)),
    T("status_year", "simple",
      "Quantos pedidos feitos em {year} estão com status '{status}' ({status_pt})?",
      "SELECT count(*) AS pedidos FROM orders_enriched WHERE order_status = '{status}' AND year(purchase_ts) = {year}",
      ("status", "year")),
    T("ticket_payment_year", "simple",
      "Qual foi o ticket médio (valor total médio por pedido) dos pedidos pagos principalmente com {payment_pt} "
      "('{payment}') em {year}? Arredonde para duas casas.",
      "SELECT round(avg(total_value), 2) AS ticket_medio FROM orders_enriched WHERE payment_type = '{payment}' "
      "AND year(purchase_ts) = {year}", ("payment", "year")),
    T("top_orders_month", "simple",
      "Liste os 3 pedidos de maior valor total feitos em {month_pt}: order_id e total_value, do maior para o menor "
      "(empates pelo order_id).",
      "SELECT order_id, total_value FROM orders_enriched WHERE purchase_month = '{month}' "
      "ORDER BY total_value DESC, order_id LIMIT 3", ("month",)),
    T("delivery_days_state_year", "simple",
      "Qual foi o tempo médio de entrega, em dias, dos pedidos entregues a clientes de {state_name} ({state}) "
      "comprados em {year}? Arredonde para uma casa decimal.",
      "SELECT round(avg(delivery_days), 1) AS dias_medios FROM orders_enriched WHERE customer_state = '{state}' "
      "AND year(purchase_ts) = {year} AND delivered_customer_ts IS NOT NULL", ("state", "year")),
    T("freight_category_year", "simple",
      "Qual foi o frete médio por pedido da categoria '{category}' em {year}? Arredonde para duas casas.",
      "SELECT round(avg(freight_value), 2) AS frete_medio FROM orders_enriched WHERE category_pt = '{category}' "
      "AND year(purchase_ts) = {year}", ("category,year",)),
    T("customers_state", "simple",
      "Quantos clientes únicos do estado {state_name} ({state}) há em customer_features, e qual é o gasto médio "
      "(monetary) deles? Arredonde o gasto para duas casas.",
      "SELECT count(*) AS clientes, round(avg(monetary), 2) AS gasto_medio FROM customer_features "
      "WHERE customer_state = '{state}'", ("state",)),
    # --- join: two or more tables
    T("sellers_state_category", "join",
      "Quantos vendedores diferentes do estado {seller_state} venderam itens da categoria '{category}'?",
      "SELECT count(DISTINCT s.seller_id) AS vendedores FROM order_items oi JOIN products p ON p.product_id = oi.product_id "
      "JOIN sellers s ON s.seller_id = oi.seller_id WHERE s.seller_state = '{seller_state}' "
      "AND p.product_category_name = '{category}'", ("seller_state,category",)),
    T("items_category_state", "join",
      "Quantos itens da categoria '{category}' foram vendidos para clientes do estado {state_name} ({state})?",
      "SELECT count(*) AS itens FROM order_items oi JOIN products p ON p.product_id = oi.product_id "
      "JOIN orders o ON o.order_id = oi.order_id JOIN customers c ON c.customer_id = o.customer_id "
      "WHERE p.product_category_name = '{category}' AND c.customer_state = '{state}'", ("category,state",)),
    T("top_category_en_state", "join",
      "Qual é o nome em inglês da categoria com mais itens vendidos para clientes de {state_name} ({state})? "
      "Em caso de empate, a primeira em ordem alfabética.",
      "SELECT t.product_category_name_english AS categoria FROM order_items oi "
      "JOIN products p ON p.product_id = oi.product_id "
      "JOIN category_translation t ON t.product_category_name = p.product_category_name "
      "JOIN orders o ON o.order_id = oi.order_id JOIN customers c ON c.customer_id = o.customer_id "
      "WHERE c.customer_state = '{state}' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", ("state",)),
    T("score_seller_state", "join",
      "Qual é a nota média das avaliações de pedidos com pelo menos um item vendido por vendedores de "
      "{seller_state}? Arredonde para duas casas.",
      "SELECT round(avg(r.review_score), 2) AS nota_media FROM order_reviews r WHERE r.order_id IN ("
      "SELECT oi.order_id FROM order_items oi JOIN sellers s ON s.seller_id = oi.seller_id "
      "WHERE s.seller_state = '{seller_state}')", ("seller_state",)),
    T("installments_state_payment", "join",
      "Quantos pedidos de clientes de {state_name} ({state}) tiveram pagamento com {payment_pt} ('{payment}') "
      "em {installments} parcelas ou mais?",
      "SELECT count(DISTINCT o.order_id) AS pedidos FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
      "JOIN order_payments op ON op.order_id = o.order_id WHERE c.customer_state = '{state}' "
      "AND op.payment_type = '{payment}' AND op.payment_installments >= {installments}",
      ("state,payment", "installments")),
    T("weight_category_state", "join",
      "Qual é o peso médio, em gramas, dos itens da categoria '{category}' comprados por clientes de "
      "{state_name} ({state})? Arredonde para uma casa decimal.",
      "SELECT round(avg(p.product_weight_g), 1) AS peso_medio_g FROM order_items oi "
      "JOIN products p ON p.product_id = oi.product_id JOIN orders o ON o.order_id = oi.order_id "
      "JOIN customers c ON c.customer_id = o.customer_id "
      "WHERE p.product_category_name = '{category}' AND c.customer_state = '{state}'", ("category,state",)),
    T("seller_cities_state", "join",
      "Quais são as 3 cidades de vendedores com mais itens vendidos para clientes de {state_name} ({state})? "
      "Mostre a cidade (seller_city) e o número de itens, do maior para o menor (empates em ordem alfabética).",
      "SELECT s.seller_city, count(*) AS itens FROM order_items oi JOIN sellers s ON s.seller_id = oi.seller_id "
      "JOIN orders o ON o.order_id = oi.order_id JOIN customers c ON c.customer_id = o.customer_id "
      "WHERE c.customer_state = '{state}' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3", ("state",)),
    T("items_value_seller_state_month", "join",
      "Qual foi o valor total dos itens (soma de price) vendidos por vendedores de {seller_state} em pedidos "
      "feitos em {month_pt}? Arredonde para duas casas.",
      "SELECT round(sum(oi.price), 2) AS valor_itens FROM order_items oi JOIN sellers s ON s.seller_id = oi.seller_id "
      "JOIN orders o ON o.order_id = oi.order_id WHERE s.seller_state = '{seller_state}' "
      "AND strftime(o.order_purchase_timestamp, '%Y-%m') = '{month}'", ("seller_state,month",)),
    # --- aggregate/window: GROUP BY, HAVING, window functions
    T("top_categories_year", "aggregate",
      "Quais são as 5 categorias (category_pt) com maior receita (soma de total_value) em {year}? Mostre "
      "categoria e receita com duas casas, da maior para a menor.",
      "SELECT category_pt, round(sum(total_value), 2) AS receita FROM orders_enriched WHERE year(purchase_ts) = {year} "
      "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5", ("year",)),
    T("monthly_orders_year", "aggregate",
      "Para cada mês de {year}, mostre o mês (purchase_month), o número de pedidos e a receita total com duas "
      "casas, em ordem cronológica.",
      "SELECT purchase_month, count(*) AS pedidos, round(sum(total_value), 2) AS receita FROM orders_enriched "
      "WHERE year(purchase_ts) = {year} GROUP BY 1 ORDER BY 1", ("year",)),
    T("payment_share_month", "aggregate",
      "Qual é a participação percentual de cada tipo de pagamento (payment_type) no valor pago (payment_value) "
      "dos pedidos de {month_pt}? Mostre o tipo e a participação com duas casas, da maior para a menor.",
      "SELECT payment_type, round(100 * sum(payment_value) / sum(sum(payment_value)) OVER (), 2) AS participacao "
      "FROM orders_enriched WHERE purchase_month = '{month}' GROUP BY 1 ORDER BY 2 DESC, 1", ("month",)),
    T("late_rate_states", "aggregate",
      "Entre os estados de clientes com pelo menos {min_orders} pedidos entregues, quais têm taxa de atraso acima "
      "de {pct}%? Mostre estado e taxa percentual com duas casas, da maior para a menor.",
      "SELECT customer_state, round(100 * avg(is_late::INTEGER), 2) AS taxa_atraso FROM orders_enriched "
      "WHERE is_late IS NOT NULL GROUP BY 1 HAVING count(*) >= {min_orders} AND 100 * avg(is_late::INTEGER) > {pct} "
      "ORDER BY 2 DESC, 1", ("min_orders", "pct")),
    T("cumulative_category_year", "aggregate",
      "Mostre, mês a mês em {year}, a receita da categoria '{category}' (soma de total_value) e a receita "
      "acumulada no ano, com duas casas, em ordem cronológica.",
      "SELECT purchase_month, round(sum(total_value), 2) AS receita, "
      "round(sum(sum(total_value)) OVER (ORDER BY purchase_month), 2) AS receita_acumulada FROM orders_enriched "
      "WHERE category_pt = '{category}' AND year(purchase_ts) = {year} GROUP BY 1 ORDER BY 1", ("category,year",)),
    T("top_sellers_state", "aggregate",
      "Quais são os 3 vendedores (seller_id) com mais pedidos de clientes de {state_name} ({state})? Mostre "
      "seller_id e número de pedidos, em ordem decrescente (empates pelo seller_id).",
      "SELECT seller_id, count(*) AS pedidos FROM orders_enriched WHERE customer_state = '{state}' "
      "AND seller_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3", ("state",)),
    T("mom_growth_month", "aggregate",
      "Qual foi a variação percentual do número de pedidos de {month_pt} em relação ao mês anterior com "
      "pedidos? Arredonde para duas casas.",
      "SELECT round(variacao, 2) AS variacao_pct FROM (SELECT purchase_month, 100.0 * (count(*) - lag(count(*)) "
      "OVER (ORDER BY purchase_month)) / lag(count(*)) OVER (ORDER BY purchase_month) AS variacao "
      "FROM orders_enriched GROUP BY 1) WHERE purchase_month = '{month}'", ("month",)),
    T("top_category_per_state", "aggregate",
      "Para cada estado com pelo menos {min_orders} pedidos, qual é a categoria (category_pt) com mais pedidos? "
      "Mostre estado, categoria e pedidos, em ordem de estado (empates de categoria em ordem alfabética).",
      "SELECT customer_state, category_pt, pedidos FROM (SELECT customer_state, category_pt, count(*) AS pedidos, "
      "count(*) OVER (PARTITION BY customer_state) AS n_cat, sum(count(*)) OVER (PARTITION BY customer_state) AS n, "
      "row_number() OVER (PARTITION BY customer_state ORDER BY count(*) DESC, category_pt) AS rn "
      "FROM orders_enriched GROUP BY 1, 2) WHERE rn = 1 AND n >= {min_orders} ORDER BY 1", ("min_orders",)),
    T("score_by_lateness_year", "aggregate",
      "Em {year}, qual é a nota média das avaliações dos pedidos entregues no prazo e dos entregues com atraso? "
      "Mostre is_late e a nota média com duas casas.",
      "SELECT is_late, round(avg(review_score), 2) AS nota_media FROM orders_enriched WHERE is_late IS NOT NULL "
      "AND year(purchase_ts) = {year} GROUP BY 1", ("year",)),
)

SLOT_SQL = {
    "state": "SELECT customer_state FROM orders_enriched WHERE customer_state IS NOT NULL GROUP BY 1 HAVING count(*) >= 5 ORDER BY 1",
    "seller_state": "SELECT seller_state FROM orders_enriched WHERE seller_state IS NOT NULL GROUP BY 1 HAVING count(*) >= 3 ORDER BY 1",
    "category": "SELECT category_pt FROM orders_enriched WHERE category_pt <> 'sem_categoria' GROUP BY 1 HAVING count(*) >= 5 ORDER BY 1",
    "month": "SELECT purchase_month FROM orders_enriched GROUP BY 1 HAVING count(*) >= 5 ORDER BY 1",
    "year": "SELECT CAST(year(purchase_ts) AS VARCHAR) FROM orders_enriched GROUP BY 1 HAVING count(*) >= 20 ORDER BY 1",
    "status": "SELECT order_status FROM orders_enriched GROUP BY 1 ORDER BY 1",
    "payment": "SELECT payment_type FROM orders_enriched WHERE payment_type IS NOT NULL GROUP BY 1 HAVING count(*) >= 5 ORDER BY 1",
    # Pairs that occur together in the data, so that filters on both rarely come back empty.
    "late_category": "SELECT category_pt FROM orders_enriched WHERE is_late AND category_pt <> 'sem_categoria' GROUP BY 1 ORDER BY 1",
    "category,state": "SELECT category_pt, customer_state FROM orders_enriched WHERE category_pt <> 'sem_categoria' AND customer_state IS NOT NULL GROUP BY 1, 2 HAVING count(*) >= 2 ORDER BY 1, 2",
    "category,year": "SELECT category_pt, CAST(year(purchase_ts) AS VARCHAR) FROM orders_enriched WHERE category_pt <> 'sem_categoria' GROUP BY 1, 2 HAVING count(*) >= 2 ORDER BY 1, 2",
    "seller_state,category": "SELECT seller_state, category_pt FROM orders_enriched WHERE seller_state IS NOT NULL AND category_pt <> 'sem_categoria' GROUP BY 1, 2 ORDER BY 1, 2",
    "seller_state,month": "SELECT seller_state, purchase_month FROM orders_enriched WHERE seller_state IS NOT NULL GROUP BY 1, 2 HAVING count(*) >= 2 ORDER BY 1, 2",
    "state,payment": "SELECT customer_state, payment_type FROM orders_enriched WHERE customer_state IS NOT NULL AND payment_type IS NOT NULL GROUP BY 1, 2 HAVING count(*) >= 3 ORDER BY 1, 2",
}
FIXED_SLOTS = {"installments": ("2", "3", "6", "10"), "min_orders": ("10", "20", "50", "100"), "pct": ("5", "8", "10", "15")}


def _slot_names(kind: str, value: str) -> dict[str, str]:
    """Question-side names for one slot value (the raw value stays under the slot's own name)."""
    names = {kind: value}
    if kind == "state":
        names["state_name"] = STATE_NAMES.get(value, value)
    elif kind == "month":
        names["month_pt"] = month_pt(value)
    elif kind == "status":
        names["status_pt"] = ORDER_STATUS_PT.get(value, value)
    elif kind == "payment":
        names["payment_pt"] = PAYMENT_PT.get(value, value.replace("_", " "))
    return names


def slot_values(ctx: GenerationContext) -> dict[str, list[dict[str, str]]]:
    """Per slot kind, the value assignments the data offers (a kind "a,b" assigns two slots at once)."""
    values = {
        kind: [dict(zip(kind.split(","), map(str, row))) for row in ctx.con.execute(sql).fetchall()]
        for kind, sql in SLOT_SQL.items()
    }
    values["late_category"] = [{"category": v["late_category"]} for v in values["late_category"]]
    return {**values, **{kind: [{kind: v} for v in vs] for kind, vs in FIXED_SLOTS.items()}}


def to_json_value(value: Any) -> Any:
    """DuckDB values as JSON: Decimal -> float, dates -> ISO text; floats keep DuckDB's rounding."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return value


def is_ordered(sql: str) -> bool:
    """True when the outermost query ends with an ORDER BY (row order is part of the answer)."""
    depth, outer = 0, []
    for ch in sql:
        depth += ch == "("
        depth -= ch == ")"
        outer.append(ch if depth == 0 else " ")
    return re.search(r"\border\s+by\b", "".join(outer), flags=re.I) is not None


def execute_gold(con, sql: str) -> tuple[list[str], list[list[Any]], bool]:
    """(columns, rows, ordered) of a gold query; unordered rows are sorted canonically."""
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    rows = [[to_json_value(v) for v in row] for row in cursor.fetchall()]
    ordered = is_ordered(sql)
    if not ordered:
        rows.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return columns, rows, ordered


def rejection(rows: list[list[Any]], max_rows: int) -> str | None:
    if not rows:
        return "empty_result"
    if len(rows) > max_rows:
        return "too_many_rows"
    if all(v is None or v == 0 for row in rows for v in row if not isinstance(v, str)) and not any(
        isinstance(v, str) for row in rows for v in row
    ):
        return "null_or_zero_result"
    return None


def _escape(value: str) -> str:
    return value.replace("'", "''")


class SqlGenerator(TaskGenerator):
    task = "sql"
    system = SYSTEM
    templates = tuple(t.question for t in TEMPLATES)

    def instances(self) -> Iterator[tuple[SqlTemplate, dict[str, str]]]:
        """Every (template, slot values) pair, each template's combinations shuffled, templates interleaved."""
        values = slot_values(self.ctx)
        streams = []
        for template in TEMPLATES:
            combos = [
                {k: v for part in combo for k, v in part.items()}
                for combo in itertools.product(*(values[k] for k in template.slots))
            ]
            self.rng("slots", template.name).shuffle(combos)
            streams.append([(template, combo) for combo in combos])
        for batch in itertools.zip_longest(*streams):
            yield from (item for item in batch if item is not None)

    def candidates(self) -> Iterable[Candidate]:
        max_rows = int(self.ctx.params["prompts"].get("sql", {}).get("max_result_rows", 20))
        for template, raw in self.instances():
            names = {k: v for kind, value in raw.items() for k, v in _slot_names(kind, value).items()}
            sql = template.sql.format(**{k: _escape(v) for k, v in raw.items()})
            columns, rows, ordered = execute_gold(self.ctx.con, sql)
            reason = rejection(rows, max_rows)
            if reason:
                self.reject(f"{reason}:{template.name}")
                continue
            key = f"sql:{template.name}:" + "|".join(f"{k}={v}" for k, v in sorted(raw.items()))
            truth = SqlTruth(gold_sql=sql, columns=columns, rows=rows, ordered=ordered)
            yield Candidate(template.stratum, template.question.format(**names), truth, "commerce.db", (key,))
