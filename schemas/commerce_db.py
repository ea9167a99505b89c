"""The commerce database's contract: its raw and derived tables and the SQL that derives them.

factory/db.py builds commerce.db with it and rewards/sql_variants.py rebuilds the derived tables
of perturbed copies with the same SQL, so both read it from here (rewards must not import factory).
"""
from __future__ import annotations

# Load order matters only for readability of `SHOW TABLES`; optional tables may be absent.
RAW_TABLES = (
    "customers", "sellers", "products", "category_translation", "orders",
    "order_items", "order_payments", "order_reviews", "b2w_reviews",
)
OPTIONAL_TABLES = ("geolocation",)
DERIVED_TABLES = ("orders_enriched", "customer_features")

# Floating-point sums are ordered aggregates (`sum(x ORDER BY key)`): DuckDB adds a group's partial
# sums in whatever order its threads finish, so from about a million orders (several row groups) a
# plain sum could differ in the last bit between two builds and flip a rounding (an average ticket
# of 74.865 read as 74.86 or 74.87). The orders are those a single-threaded build used, so small
# databases come out as before.
# Built in steps (temporary tables, dropped at the end) rather than one statement: a single query
# joining every table holds all their hash tables at once, which does not fit DuckDB's memory limit
# from about 2,000,000 orders on; each step here has at most three and can spill.
ORDERS_ENRICHED_SQL = """
CREATE TEMP TABLE enriched_items AS
SELECT order_id, count(*)::INTEGER AS item_count, sum(price ORDER BY order_item_id) AS items_value,
       sum(freight_value ORDER BY order_item_id) AS freight_value
FROM order_items GROUP BY order_id;

CREATE TEMP TABLE enriched_main_item AS  -- the most expensive item names the order's product, category and seller
SELECT m.order_id, m.product_id, m.seller_id, pr.product_category_name, tr.product_category_name_english,
       s.seller_state
FROM (SELECT order_id, product_id, seller_id FROM (
          SELECT order_id, product_id, seller_id,
                 row_number() OVER (PARTITION BY order_id ORDER BY price DESC, order_item_id) AS rn
          FROM order_items)
      WHERE rn = 1) m
LEFT JOIN products pr ON pr.product_id = m.product_id
LEFT JOIN category_translation tr ON tr.product_category_name = pr.product_category_name
LEFT JOIN sellers s ON s.seller_id = m.seller_id;

CREATE TEMP TABLE enriched_pay AS
WITH pay_by_type AS (
    SELECT order_id, payment_type, sum(payment_value ORDER BY payment_sequential) AS value
    FROM order_payments GROUP BY order_id, payment_type
)
SELECT p.order_id, p.payment_value, p.payment_installments, t.payment_type
FROM (SELECT order_id, sum(payment_value ORDER BY payment_sequential) AS payment_value,
             max(payment_installments)::INTEGER AS payment_installments
      FROM order_payments GROUP BY order_id) p
JOIN (SELECT order_id, payment_type FROM (
        SELECT order_id, payment_type,
               row_number() OVER (PARTITION BY order_id ORDER BY value DESC, payment_type) AS rn
        FROM pay_by_type) WHERE rn = 1) t USING (order_id);

CREATE TEMP TABLE enriched_review AS  -- the latest answered review of the order
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (
        PARTITION BY order_id
        ORDER BY review_answer_timestamp DESC NULLS LAST, review_creation_date DESC, review_id) AS rn
    FROM order_reviews)
WHERE rn = 1;

CREATE TEMP TABLE enriched_orders AS
SELECT o.*, c.customer_unique_id, c.customer_state, c.customer_city, i.item_count, i.items_value, i.freight_value
FROM orders o
LEFT JOIN customers c USING (customer_id)
LEFT JOIN enriched_items i USING (order_id);

CREATE TABLE orders_enriched AS
SELECT
    o.order_id,
    o.customer_id,
    o.customer_unique_id,
    o.customer_state,
    regexp_replace(strip_accents(lower(trim(o.customer_city))), '\\s*/.*$', '') AS customer_city,
    o.order_status,
    o.order_purchase_timestamp AS purchase_ts,
    o.order_approved_at AS approved_ts,
    o.order_delivered_carrier_date AS delivered_carrier_ts,
    o.order_delivered_customer_date AS delivered_customer_ts,
    o.order_estimated_delivery_date AS estimated_delivery_ts,
    strftime(o.order_purchase_timestamp, '%Y-%m') AS purchase_month,
    coalesce(o.item_count, 0)::INTEGER AS item_count,
    round(coalesce(o.items_value, 0), 2) AS items_value,
    round(coalesce(o.freight_value, 0), 2) AS freight_value,
    round(coalesce(o.items_value, 0) + coalesce(o.freight_value, 0), 2) AS total_value,
    round(coalesce(pay.payment_value, 0), 2) AS payment_value,
    pay.payment_type,
    pay.payment_installments,
    m.product_id,
    coalesce(m.product_category_name, 'sem_categoria') AS category_pt,
    coalesce(m.product_category_name_english, m.product_category_name, 'sem_categoria') AS category_en,
    m.seller_id,
    m.seller_state,
    date_diff('second', o.order_purchase_timestamp, o.order_delivered_customer_date) / 86400.0 AS delivery_days,
    date_diff('second', o.order_purchase_timestamp, o.order_estimated_delivery_date) / 86400.0 AS estimated_days,
    date_diff('second', o.order_estimated_delivery_date, o.order_delivered_customer_date) / 86400.0 AS delay_days,
    CASE WHEN o.order_delivered_customer_date IS NULL THEN NULL
         ELSE o.order_delivered_customer_date > o.order_estimated_delivery_date END AS is_late,
    r.review_id,
    r.review_score::INTEGER AS review_score,
    r.review_comment_title AS review_title,
    r.review_comment_message AS review_comment,
    r.review_creation_date AS review_created_ts,
    coalesce(length(trim(r.review_comment_message)) > 0, false) AS has_comment
FROM enriched_orders o
LEFT JOIN enriched_main_item m USING (order_id)
LEFT JOIN enriched_pay pay USING (order_id)
LEFT JOIN enriched_review r USING (order_id)
ORDER BY o.order_id;

DROP TABLE enriched_items; DROP TABLE enriched_main_item; DROP TABLE enriched_pay;
DROP TABLE enriched_review; DROP TABLE enriched_orders;
"""

CUSTOMER_FEATURES_SQL = """
CREATE TABLE customer_features AS
WITH snapshot AS (SELECT max(purchase_ts) AS snapshot_ts FROM orders_enriched),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY customer_unique_id ORDER BY purchase_ts DESC, order_id DESC) AS recent_rank
    FROM orders_enriched
),
top_category AS (
    SELECT customer_unique_id, category_pt AS top_category_pt FROM (
        SELECT customer_unique_id, category_pt,
               row_number() OVER (PARTITION BY customer_unique_id ORDER BY count(*) DESC, category_pt) AS rn
        FROM orders_enriched GROUP BY customer_unique_id, category_pt)
    WHERE rn = 1
)
SELECT
    r.customer_unique_id,
    any_value(r.customer_state ORDER BY r.recent_rank) AS customer_state,
    min(r.purchase_ts) AS first_purchase_ts,
    max(r.purchase_ts) AS last_purchase_ts,
    any_value(s.snapshot_ts) AS snapshot_ts,
    date_diff('second', max(r.purchase_ts), any_value(s.snapshot_ts)) / 86400.0 AS recency_days,
    count(*)::INTEGER AS frequency,
    round(sum(r.total_value ORDER BY r.recent_rank), 2) AS monetary,
    round(sum(r.total_value ORDER BY r.recent_rank) / count(*), 2) AS avg_ticket,
    date_diff('second', min(r.purchase_ts), any_value(s.snapshot_ts)) / 86400.0 AS tenure_days,
    count(r.review_score)::INTEGER AS n_reviews,
    round(avg(r.review_score), 3) AS avg_review_score,
    count(*) FILTER (WHERE r.review_score <= 2)::INTEGER AS n_negative_reviews,
    count(*) FILTER (WHERE r.is_late)::INTEGER AS n_late_orders,
    any_value(r.review_score ORDER BY r.recent_rank) FILTER (WHERE r.review_score IS NOT NULL) AS last_review_score,
    any_value(t.top_category_pt) AS top_category_pt
FROM ranked r
CROSS JOIN snapshot s
JOIN top_category t USING (customer_unique_id)
GROUP BY r.customer_unique_id
ORDER BY r.customer_unique_id
"""
