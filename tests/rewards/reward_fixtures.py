"""A small real DuckDB with the contract's `orders_enriched` and `customer_features` columns, and
PromptRecords for every task built against it (SQL gold results come from executing the gold SQL).

Used by tests/rewards/conftest.py and by benchmarks/rewards_throughput.py when data/commerce.db is
absent. Deterministic: the same arguments give the same database content and records.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path
from typing import Any

import duckdb

from schemas.records import PromptRecord

ORDERS_ENRICHED_SQL = """
CREATE TABLE orders_enriched AS
WITH base AS (
    SELECT i,
           TIMESTAMP '2017-01-02 10:00:00' + to_hours(CAST(i * 37 % 14000 AS BIGINT)) AS purchase_ts,
           ['SP', 'RJ', 'MG', 'RS', 'PR', 'BA'][1 + i % 6] AS customer_state,
           ['cama_mesa_banho', 'beleza_saude', 'esporte_lazer', 'informatica_acessorios', 'moveis_decoracao'][1 + (i * 7) % 5] AS category_pt,
           round(20 + (i * 7919) % 480 + (i % 100) / 100.0, 2) AS items_value,
           round(5 + (i * 31) % 40 + (i % 10) / 10.0, 2) AS freight_value,
           (i % 17 = 3) AS undelivered
    FROM range({n}) AS t(i)
)
SELECT
    printf('o%05d', i) AS order_id,
    printf('c%05d', i) AS customer_id,
    printf('u%05d', i % {customers}) AS customer_unique_id,
    customer_state,
    ['sao paulo', 'rio de janeiro', 'belo horizonte', 'porto alegre', 'curitiba', 'salvador'][1 + i % 6] AS customer_city,
    CASE WHEN undelivered THEN 'shipped' ELSE 'delivered' END AS order_status,
    purchase_ts,
    purchase_ts + INTERVAL 2 HOUR AS approved_ts,
    purchase_ts + INTERVAL 2 DAY AS delivered_carrier_ts,
    CASE WHEN undelivered THEN NULL ELSE purchase_ts + to_days(CAST(3 + i % 20 AS INTEGER)) END AS delivered_customer_ts,
    purchase_ts + INTERVAL 15 DAY AS estimated_delivery_ts,
    strftime(purchase_ts, '%Y-%m') AS purchase_month,
    1 + i % 3 AS item_count,
    items_value,
    freight_value,
    round(items_value + freight_value, 2) AS total_value,
    round(items_value + freight_value, 2) AS payment_value,
    ['credit_card', 'boleto', 'voucher', 'debit_card'][1 + i % 4] AS payment_type,
    1 + i % 10 AS payment_installments,
    printf('p%04d', i % 150) AS product_id,
    category_pt,
    CASE category_pt WHEN 'cama_mesa_banho' THEN 'bed_bath_table' WHEN 'beleza_saude' THEN 'health_beauty'
         WHEN 'esporte_lazer' THEN 'sports_leisure' WHEN 'informatica_acessorios' THEN 'computers_accessories'
         ELSE 'furniture_decor' END AS category_en,
    printf('s%03d', i % 40) AS seller_id,
    ['SP', 'SP', 'MG', 'PR'][1 + i % 4] AS seller_state,
    CASE WHEN undelivered THEN NULL ELSE CAST(3 + i % 20 AS DOUBLE) END AS delivery_days,
    15.0 AS estimated_days,
    CASE WHEN undelivered THEN NULL ELSE CAST(3 + i % 20 AS DOUBLE) - 15.0 END AS delay_days,
    CASE WHEN undelivered THEN NULL ELSE 3 + i % 20 > 15 END AS is_late,
    printf('r%05d', i) AS review_id,
    CASE WHEN 3 + i % 20 > 15 THEN 1 + i % 2 ELSE 3 + i % 3 END AS review_score,
    NULL::VARCHAR AS review_title,
    CASE WHEN i % 3 = 0 THEN 'entrega demorou' ELSE NULL END AS review_comment,
    purchase_ts + INTERVAL 20 DAY AS review_created_ts,
    i % 3 = 0 AS has_comment
FROM base
"""

CUSTOMER_FEATURES_SQL = """
CREATE TABLE customer_features AS
SELECT customer_unique_id,
       any_value(customer_state) AS customer_state,
       min(purchase_ts) AS first_purchase_ts,
       max(purchase_ts) AS last_purchase_ts,
       (SELECT max(purchase_ts) FROM orders_enriched) AS snapshot_ts,
       date_diff('day', max(purchase_ts), (SELECT max(purchase_ts) FROM orders_enriched)) AS recency_days,
       count(*) AS frequency,
       round(sum(total_value), 2) AS monetary,
       round(avg(total_value), 2) AS avg_ticket,
       date_diff('day', min(purchase_ts), (SELECT max(purchase_ts) FROM orders_enriched)) AS tenure_days,
       count(review_score) AS n_reviews,
       avg(review_score) AS avg_review_score,
       count(*) FILTER (WHERE review_score <= 2) AS n_negative_reviews,
       count(*) FILTER (WHERE is_late) AS n_late_orders,
       arg_max(review_score, purchase_ts) AS last_review_score,
       mode(category_pt) AS top_category_pt
FROM orders_enriched
GROUP BY customer_unique_id
"""


def build_commerce_db(path: Path, orders: int = 400) -> Path:
    """Write a deterministic DuckDB file at `path` (replacing it) and return the path."""
    path = Path(path)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(ORDERS_ENRICHED_SQL.format(n=orders, customers=max(1, orders * 3 // 4)))
        con.execute(CUSTOMER_FEATURES_SQL)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# (difficulty, question, gold SQL); ordered when the gold has ORDER BY.
SQL_QUESTIONS = [
    ("simple", "Quantos pedidos foram feitos por clientes de SP?",
     "SELECT count(*) AS pedidos FROM orders_enriched WHERE customer_state = 'SP'"),
    ("aggregate", "Qual o ticket médio por estado, do maior para o menor?",
     "SELECT customer_state, round(avg(total_value), 2) AS ticket_medio FROM orders_enriched "
     "GROUP BY customer_state ORDER BY ticket_medio DESC"),
    ("aggregate", "Quantos pedidos e qual a receita por categoria?",
     "SELECT category_pt, count(*) AS pedidos, sum(total_value) AS receita FROM orders_enriched GROUP BY category_pt"),
    ("join", "Quais clientes com mais de um pedido moram no RJ? Liste o id e a frequência.",
     "SELECT f.customer_unique_id, f.frequency FROM customer_features f "
     "JOIN (SELECT DISTINCT customer_unique_id FROM orders_enriched WHERE customer_state = 'RJ') o "
     "USING (customer_unique_id) WHERE f.frequency > 1"),
]

SYSTEM = {
    "extraction": "Extraia os campos da avaliação e responda somente com um objeto JSON.",
    "sentiment": "Classifique o sentimento e responda com JSON {sentiment, sentiment_score}.",
    "sql": "Escreva uma consulta DuckDB para a pergunta, num bloco ```sql.",
    "churn": "Responda com JSON com os campos will_churn e churn_probability.",
    "insights": "Você é analista de e-commerce. Responda em português com números da base.",
    "push": "Escreva uma notificação push curta em português.",
    "reasoning": "Resolva passo a passo e termine com 'Resposta: <valor>'.",
}


def _record(task: str, difficulty: str, n: int, user: str, truth: dict[str, Any], table: str = "orders_enriched") -> dict[str, Any]:
    record = {
        "id": f"{task}-{difficulty}-{n:04d}",
        "task": task,
        "difficulty": difficulty,
        "messages": [{"role": "system", "content": SYSTEM[task]}, {"role": "user", "content": user}],
        "ground_truth": truth,
        "source": {"table": table, "keys": [f"k{n}"]},
    }
    return PromptRecord.model_validate(record).model_dump()


def build_records(db_path: Path) -> list[dict[str, Any]]:
    """Records of every task (validated with PromptRecord); SQL truths executed on `db_path`."""
    out = [
        _record("extraction", "hard", 1, "Avaliação: 'Chegou com duas semanas de atraso e a caixa amassada. Não recomendo.'", {
            "sentiment": "negativo", "sentiment_score": -0.8, "complaint_category": "atraso_entrega",
            "churn_risk": 0.75, "repeat_intent": 0.1, "delivery_issue": True, "product_issue": False,
            "seller_issue": False, "would_recommend": False,
            "main_complaint": "Chegou com duas semanas de atraso e a caixa amassada"}),
        _record("extraction", "easy", 2, "Avaliação: 'Produto ótimo, chegou antes do prazo!'", {
            "sentiment": "positivo", "sentiment_score": 0.9, "complaint_category": "nenhuma",
            "churn_risk": 0.05, "repeat_intent": 0.9, "delivery_issue": False, "product_issue": False,
            "seller_issue": False, "would_recommend": True, "main_complaint": ""}),
        _record("sentiment", "positive", 3, "Avaliação: 'Amei, recomendo.'", {"sentiment": "positivo", "sentiment_score": 0.85}),
        _record("sentiment", "neutral", 4, "Avaliação: 'Ok, nada demais.'", {"sentiment": "neutro", "sentiment_score": 0.0}),
        _record("sentiment", "negative", 5, "Avaliação: 'Veio quebrado.'", {"sentiment": "negativo", "sentiment_score": -0.6}),
        _record("churn", "high", 6, "Cliente: 1 pedido, última compra há 300 dias, nota 1.", {
            "will_churn": True, "churn_probability": 0.82, "cutoff_date": "2018-03-01", "horizon_days": 180}),
        _record("churn", "low", 7, "Cliente: 4 pedidos, última compra há 20 dias, nota 5.", {
            "will_churn": False, "churn_probability": 0.35, "cutoff_date": "2018-03-01", "horizon_days": 180}),
        _record("insights", "comparison", 8, "Compare SP e RJ em pedidos e ticket médio.", {
            "facts": [{"name": "pedidos SP", "value": 67, "unit": "pedidos"},
                      {"name": "ticket médio SP", "value": 281.456, "unit": "R$"},
                      {"name": "pedidos RJ", "value": 67, "unit": "pedidos"},
                      {"name": "taxa de atraso RJ", "value": 0.125, "unit": "%", "rel_tolerance": 0.05}],
            "entities": ["São Paulo", "RJ"],
            "reference": "São Paulo teve 67 pedidos com ticket médio de R$ 281,46. O Rio de Janeiro (RJ) também "
                         "teve 67 pedidos, mas 12,5% deles atrasaram. Recomendo priorizar a logística no RJ."}),
        _record("insights", "trend", 9, "Como evoluíram os pedidos de cama_mesa_banho entre 2017-03 e 2017-05?", {
            "facts": [{"name": "pedidos 2017-03", "value": 12, "unit": "pedidos"},
                      {"name": "pedidos 2017-05", "value": 9, "unit": "pedidos"},
                      {"name": "variação", "value": -25.0, "unit": "%", "rel_tolerance": 0.05},
                      {"name": "receita 2017-05", "value": 2345.67, "unit": "R$"}],
            "entities": ["cama_mesa_banho", "2017-03", "2017-05"],
            "reference": "Em cama, mesa e banho os pedidos caíram de 12 em março de 2017 para 9 em maio de 2017, "
                         "uma queda de 25,0%. A receita de maio foi R$ 2.345,67. Vale uma campanha de reativação."}),
        _record("push", "customer", 10, "Cliente Ana, categoria preferida: beleza_saude. No máximo 90 caracteres, sem desconto.", {
            "max_chars": 90, "category": "beleza_saude", "allowed_discount_pct": None,
            "reference": "Ana, novidades de beleza e saúde chegaram! Confira na loja."}),
        _record("push", "segment", 11, "Segmento inativo, categoria esporte_lazer, até 10% de desconto, 100 caracteres.", {
            "max_chars": 100, "category": "esporte_lazer", "allowed_discount_pct": 10.0,
            "reference": "Volte a treinar: esporte e lazer com 10% de desconto para você. Aproveite!"}),
        _record("reasoning", "arithmetic", 12, "Um pedido tem 3 itens de R$ 45,90 e frete de R$ 12,30. Qual o total?", {
            "answer": 150.0, "reference": "Itens: 3 x 45,90 = 137,70. Total: 137,70 + 12,30 = 150,00.\nResposta: 150,00"}),
        _record("reasoning", "percentage", 13, "De 1.234 pedidos, 185 atrasaram. Qual a taxa de atraso em %?", {
            "answer": 14.991896272285251, "rel_tolerance": 1e-6,
            "reference": "185 / 1.234 = 0,1499. Em porcentagem: 14,99%.\nResposta: 14,99"}),
        _record("reasoning", "multi_step", 14, "Receita de R$ 1.234.567,80 dividida por 1.000 pedidos: qual o ticket?", {
            "answer": 1234.5678, "reference": "1.234.567,80 / 1.000 = 1.234,57.\nResposta: 1.234,57"}),
    ]
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        for n, (difficulty, question, sql) in enumerate(SQL_QUESTIONS, start=20):
            cursor = con.execute(sql)
            columns = [d[0] for d in cursor.description]
            rows = [[_jsonable(v) for v in row] for row in cursor.fetchall()]
            ordered = "order by" in sql.lower()
            if not ordered:
                rows.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
            out.append(_record("sql", difficulty, n, question,
                               {"gold_sql": sql, "columns": columns, "rows": rows, "ordered": ordered}))
    finally:
        con.close()
    return out
