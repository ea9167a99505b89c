"""Text-to-SQL: templated PT-BR business questions over commerce.db, gold SQL executed at build time.

The templates live in `sql_templates.py`; every record names its template in `source.template`.
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
from decimal import Decimal
from typing import Any, Iterable, Iterator

from factory.prompts.base import Candidate, GenerationContext, TaskGenerator
from factory.prompts.sql_templates import FIXED_SLOTS, SLOT_SQL, TEMPLATES, SqlTemplate
from factory.prompts.text import ORDER_STATUS_PT, PAYMENT_PT, STATE_NAMES, month_pt
from schemas.brazil import state_with
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


def _slot_names(kind: str, value: str) -> dict[str, str]:
    """Question-side names for one slot value (the raw value stays under the slot's own name)."""
    names = {kind: value}
    if kind == "state":
        names["state_name"] = STATE_NAMES.get(value, value)
        names["de_state"] = state_with("de", value, f"{names['state_name']} ({value})")  # "da Bahia (BA)"
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
        max_rows = int(self.ctx.params["prompts"]["sql"]["max_result_rows"])
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
            yield Candidate(template.stratum, template.question.format(**names), truth, "commerce.db", (key,),
                            template=template.name)
