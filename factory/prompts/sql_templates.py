"""The text-to-SQL template library: PT-BR business questions with their gold DuckDB SQL.

Each template has a stable `name` (the record's `source.template`), a stratum (`simple`: one table,
a filter and an aggregate or a sorted list; `join`: two or more tables; `aggregate`: GROUP BY,
HAVING or window functions), a question and a SQL text (both `str.format` over slot values), and
the slot kinds it draws (see `SLOT_SQL` and `FIXED_SLOTS`). The split holds whole templates out for
the benchmark, so a benchmark question is never a re-parameterised training question.
"""
from __future__ import annotations

from dataclasses import dataclass


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
      "Qual foi o tempo médio de entrega, em dias, dos pedidos entregues a clientes {de_state} "
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
    T("canceled_share_year", "simple",
      "Que percentual dos pedidos feitos em {year} acabou cancelado? Arredonde para duas casas.",
      "SELECT round(100.0 * count(*) FILTER (WHERE order_status = 'canceled') / count(*), 2) AS pct_cancelados "
      "FROM orders_enriched WHERE year(purchase_ts) = {year}", ("year",)),
    T("late_rate_state", "simple",
      "Dos pedidos já entregues a clientes {de_state}, quantos por cento chegaram depois da data "
      "prevista? Arredonde para duas casas.",
      "SELECT round(100 * avg(is_late::INTEGER), 2) AS taxa_atraso FROM orders_enriched "
      "WHERE customer_state = '{state}' AND is_late IS NOT NULL", ("state",)),
    T("bad_reviews_category", "simple",
      "Quantos pedidos da categoria '{category}' receberam nota 1 ou 2 na avaliação?",
      "SELECT count(*) AS avaliacoes_ruins FROM orders_enriched WHERE category_pt = '{category}' AND review_score <= 2",
      ("category",)),
    T("items_per_order_month", "simple",
      "Em {month_pt}, quantos itens tinha, em média, cada pedido? Arredonde para duas casas.",
      "SELECT round(avg(item_count), 2) AS itens_por_pedido FROM orders_enriched WHERE purchase_month = '{month}'",
      ("month",)),
    T("max_freight_state", "simple",
      "Qual foi o maior frete cobrado num único pedido de um cliente {de_state}?",
      "SELECT max(freight_value) AS maior_frete FROM orders_enriched WHERE customer_state = '{state}'", ("state",)),
    T("comment_share_category", "simple",
      "Em que percentual dos pedidos da categoria '{category}' o cliente deixou um comentário escrito na "
      "avaliação? Arredonde para duas casas.",
      "SELECT round(100 * avg(has_comment::INTEGER), 2) AS pct_com_comentario FROM orders_enriched "
      "WHERE category_pt = '{category}'", ("category",)),
    T("orders_payment_month", "simple",
      "Quantos pedidos de {month_pt} foram pagos principalmente com {payment_pt} ('{payment}')?",
      "SELECT count(*) AS pedidos FROM orders_enriched WHERE purchase_month = '{month}' AND payment_type = '{payment}'",
      ("month,payment",)),
    T("installments_payment_year", "simple",
      "Em {year}, em quantas parcelas, em média, foram pagos os pedidos com {payment_pt} ('{payment}')? "
      "Arredonde para uma casa decimal.",
      "SELECT round(avg(payment_installments), 1) AS parcelas_medias FROM orders_enriched "
      "WHERE payment_type = '{payment}' AND year(purchase_ts) = {year}", ("payment", "year")),
    T("repeat_customers_state", "simple",
      "Quantos clientes {de_state} compraram mais de uma vez? Use customer_features.",
      "SELECT count(*) AS clientes_recorrentes FROM customer_features WHERE customer_state = '{state}' AND frequency > 1",
      ("state",)),
    T("recency_state", "simple",
      "Há quantos dias, em média, os clientes {de_state} fizeram a última compra (recency_days de "
      "customer_features)? Arredonde para uma casa decimal.",
      "SELECT round(avg(recency_days), 1) AS recencia_media FROM customer_features WHERE customer_state = '{state}'",
      ("state",)),
    T("max_delay_category", "simple",
      "Qual foi o maior atraso, em dias, de um pedido da categoria '{category}'? Arredonde para uma casa decimal.",
      "SELECT round(max(delay_days), 1) AS maior_atraso FROM orders_enriched WHERE category_pt = '{category}' AND is_late",
      ("late_category",)),
    T("latest_orders_state", "simple",
      "Me traga os 3 pedidos de clientes {de_state} que chegaram com mais atraso: order_id e dias "
      "de atraso com uma casa decimal, do maior atraso para o menor (empates pelo order_id).",
      "SELECT order_id, round(delay_days, 1) AS dias_atraso FROM orders_enriched WHERE customer_state = '{state}' "
      "AND is_late ORDER BY delay_days DESC, order_id LIMIT 3", ("state",)),
    T("first_purchase_month", "simple",
      "Quando foi feita a primeira compra de {month_pt}? Quero a data e hora (purchase_ts).",
      "SELECT min(purchase_ts) AS primeira_compra FROM orders_enriched WHERE purchase_month = '{month}'", ("month",)),
    T("revenue_state_year", "simple",
      "Quanto os clientes {de_state} gastaram no total (soma de total_value) em pedidos de {year}? "
      "Arredonde para duas casas.",
      "SELECT round(sum(total_value), 2) AS gasto_total FROM orders_enriched WHERE customer_state = '{state}' "
      "AND year(purchase_ts) = {year}", ("state,year",)),
    T("five_star_share_month", "simple",
      "Das avaliações dos pedidos de {month_pt}, que percentual deu nota máxima (5)? Arredonde para duas casas.",
      "SELECT round(100 * avg((review_score = 5)::INTEGER), 2) AS pct_nota_5 FROM orders_enriched "
      "WHERE purchase_month = '{month}' AND review_score IS NOT NULL", ("month",)),
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
      "Qual é o nome em inglês da categoria com mais itens vendidos para clientes {de_state}? "
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
      "Quantos pedidos de clientes {de_state} tiveram pagamento com {payment_pt} ('{payment}') "
      "em {installments} parcelas ou mais?",
      "SELECT count(DISTINCT o.order_id) AS pedidos FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
      "JOIN order_payments op ON op.order_id = o.order_id WHERE c.customer_state = '{state}' "
      "AND op.payment_type = '{payment}' AND op.payment_installments >= {installments}",
      ("state,payment", "installments")),
    T("weight_category_state", "join",
      "Qual é o peso médio, em gramas, dos itens da categoria '{category}' comprados por clientes "
      "{de_state}? Arredonde para uma casa decimal.",
      "SELECT round(avg(p.product_weight_g), 1) AS peso_medio_g FROM order_items oi "
      "JOIN products p ON p.product_id = oi.product_id JOIN orders o ON o.order_id = oi.order_id "
      "JOIN customers c ON c.customer_id = o.customer_id "
      "WHERE p.product_category_name = '{category}' AND c.customer_state = '{state}'", ("category,state",)),
    T("seller_cities_state", "join",
      "Quais são as 3 cidades de vendedores com mais itens vendidos para clientes {de_state}? "
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
    T("avg_price_seller_state_category", "join",
      "Qual é o preço médio (price) dos itens da categoria '{category}' vendidos por vendedores de {seller_state}? "
      "Arredonde para duas casas.",
      "SELECT round(avg(oi.price), 2) AS preco_medio FROM order_items oi JOIN products p ON p.product_id = oi.product_id "
      "JOIN sellers s ON s.seller_id = oi.seller_id WHERE s.seller_state = '{seller_state}' "
      "AND p.product_category_name = '{category}'", ("seller_state,category",)),
    T("photos_category_sold", "join",
      "Os itens vendidos da categoria '{category}' têm, em média, quantas fotos no anúncio (product_photos_qty)? "
      "Arredonde para duas casas.",
      "SELECT round(avg(p.product_photos_qty), 2) AS fotos_medias FROM order_items oi "
      "JOIN products p ON p.product_id = oi.product_id WHERE p.product_category_name = '{category}'", ("category",)),
    T("written_reviews_state", "join",
      "Quantas avaliações com comentário escrito (review_comment_message não vazio) vieram de clientes "
      "{de_state}?",
      "SELECT count(*) AS avaliacoes_com_texto FROM order_reviews r JOIN orders o ON o.order_id = r.order_id "
      "JOIN customers c ON c.customer_id = o.customer_id WHERE c.customer_state = '{state}' "
      "AND length(trim(coalesce(r.review_comment_message, ''))) > 0", ("state",)),
    T("score_customer_state_year", "join",
      "Que nota média os clientes {de_state} deram aos pedidos feitos em {year}? Use order_reviews, "
      "orders e customers e arredonde para duas casas.",
      "SELECT round(avg(r.review_score), 2) AS nota_media FROM order_reviews r JOIN orders o ON o.order_id = r.order_id "
      "JOIN customers c ON c.customer_id = o.customer_id WHERE c.customer_state = '{state}' "
      "AND year(o.order_purchase_timestamp) = {year}", ("state,year",)),
    T("late_orders_seller_state", "join",
      "Quantos pedidos com pelo menos um item de vendedores de {seller_state} foram entregues depois da data "
      "estimada?",
      "SELECT count(DISTINCT o.order_id) AS pedidos_atrasados FROM orders o JOIN order_items oi ON oi.order_id = o.order_id "
      "JOIN sellers s ON s.seller_id = oi.seller_id WHERE s.seller_state = '{seller_state}' "
      "AND o.order_delivered_customer_date > o.order_estimated_delivery_date", ("seller_state",)),
    T("category_english_items", "join",
      "Como se chama em inglês a categoria '{category}' e quantos itens dela foram vendidos? Mostre o nome em "
      "inglês e a quantidade.",
      "SELECT t.product_category_name_english AS categoria_en, count(*) AS itens FROM order_items oi "
      "JOIN products p ON p.product_id = oi.product_id "
      "JOIN category_translation t ON t.product_category_name = p.product_category_name "
      "WHERE p.product_category_name = '{category}' GROUP BY 1", ("category",)),
    T("local_seller_share_state", "join",
      "Dos itens comprados por clientes {de_state}, que percentual foi vendido por vendedores do "
      "mesmo estado? Arredonde para duas casas.",
      "SELECT round(100 * avg((s.seller_state = c.customer_state)::INTEGER), 2) AS pct_mesmo_estado "
      "FROM order_items oi JOIN sellers s ON s.seller_id = oi.seller_id JOIN orders o ON o.order_id = oi.order_id "
      "JOIN customers c ON c.customer_id = o.customer_id WHERE c.customer_state = '{state}'", ("state",)),
    T("top_products_category", "join",
      "Quais são os 3 produtos (product_id) da categoria '{category}' com mais itens vendidos? Mostre product_id e "
      "itens, do mais vendido para o menos (empates pelo product_id).",
      "SELECT oi.product_id, count(*) AS itens FROM order_items oi JOIN products p ON p.product_id = oi.product_id "
      "WHERE p.product_category_name = '{category}' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3", ("category",)),
    T("freight_share_seller_state", "join",
      "Para os itens vendidos por vendedores de {seller_state}, quanto o frete representa, em percentual, do valor "
      "dos produtos (soma de freight_value sobre soma de price)? Arredonde para duas casas.",
      "SELECT round(100 * sum(oi.freight_value) / sum(oi.price), 2) AS pct_frete FROM order_items oi "
      "JOIN sellers s ON s.seller_id = oi.seller_id WHERE s.seller_state = '{seller_state}'", ("seller_state",)),
    T("customers_category_state", "join",
      "Quantos clientes únicos (customer_unique_id) {de_state} compraram algum item da categoria "
      "'{category}'?",
      "SELECT count(DISTINCT c.customer_unique_id) AS clientes FROM order_items oi "
      "JOIN products p ON p.product_id = oi.product_id JOIN orders o ON o.order_id = oi.order_id "
      "JOIN customers c ON c.customer_id = o.customer_id "
      "WHERE p.product_category_name = '{category}' AND c.customer_state = '{state}'", ("category,state",)),
    T("weight_seller_state_month", "join",
      "Quantos quilos de mercadoria (soma de product_weight_g / 1000) os vendedores de {seller_state} venderam em "
      "pedidos de {month_pt}? Arredonde para uma casa decimal.",
      "SELECT round(sum(p.product_weight_g) / 1000, 1) AS peso_kg FROM order_items oi "
      "JOIN sellers s ON s.seller_id = oi.seller_id JOIN products p ON p.product_id = oi.product_id "
      "JOIN orders o ON o.order_id = oi.order_id WHERE s.seller_state = '{seller_state}' "
      "AND strftime(o.order_purchase_timestamp, '%Y-%m') = '{month}'", ("seller_state,month",)),
    T("delivery_days_seller_state", "join",
      "Quanto tempo, em dias, levaram em média da compra até a entrega os pedidos com algum item de vendedores de "
      "{seller_state}? Use orders e arredonde para uma casa decimal.",
      "SELECT round(avg(date_diff('second', o.order_purchase_timestamp, o.order_delivered_customer_date) / 86400.0), 1) "
      "AS dias_medios FROM orders o WHERE o.order_id IN (SELECT oi.order_id FROM order_items oi "
      "JOIN sellers s ON s.seller_id = oi.seller_id WHERE s.seller_state = '{seller_state}')", ("seller_state",)),
    T("review_answer_hours_state", "join",
      "Em média, quantas horas se passaram entre a criação e a resposta das avaliações de clientes "
      "{de_state}? Arredonde para uma casa decimal.",
      "SELECT round(avg(date_diff('second', r.review_creation_date, r.review_answer_timestamp) / 3600.0), 1) "
      "AS horas_medias FROM order_reviews r JOIN orders o ON o.order_id = r.order_id "
      "JOIN customers c ON c.customer_id = o.customer_id WHERE c.customer_state = '{state}'", ("state",)),
    T("sellers_selling_to_state", "join",
      "Quantos vendedores diferentes já venderam para clientes {de_state}?",
      "SELECT count(DISTINCT oi.seller_id) AS vendedores FROM order_items oi JOIN orders o ON o.order_id = oi.order_id "
      "JOIN customers c ON c.customer_id = o.customer_id WHERE c.customer_state = '{state}'", ("state",)),
    T("paid_value_state_payment", "join",
      "Quanto foi pago com {payment_pt} ('{payment}') por clientes {de_state}, somando todos os "
      "pagamentos (order_payments)? Arredonde para duas casas.",
      "SELECT round(sum(op.payment_value), 2) AS valor_pago FROM order_payments op "
      "JOIN orders o ON o.order_id = op.order_id JOIN customers c ON c.customer_id = o.customer_id "
      "WHERE c.customer_state = '{state}' AND op.payment_type = '{payment}'", ("state,payment",)),
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
      "Quais são os 3 vendedores (seller_id) com mais pedidos de clientes {de_state}? Mostre "
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
    T("status_mix_year", "aggregate",
      "Como os pedidos de {year} se distribuem por status? Mostre o status e o número de pedidos, do maior para o "
      "menor (empates em ordem alfabética).",
      "SELECT order_status, count(*) AS pedidos FROM orders_enriched WHERE year(purchase_ts) = {year} "
      "GROUP BY 1 ORDER BY 2 DESC, 1", ("year",)),
    T("score_by_payment_year", "aggregate",
      "Em {year}, qual foi a nota média das avaliações por tipo de pagamento principal? Mostre payment_type e a nota "
      "com duas casas, em ordem alfabética do tipo.",
      "SELECT payment_type, round(avg(review_score), 2) AS nota_media FROM orders_enriched "
      "WHERE year(purchase_ts) = {year} AND payment_type IS NOT NULL GROUP BY 1 ORDER BY 1", ("year",)),
    T("monthly_late_rate_state_year", "aggregate",
      "Mês a mês em {year}, qual foi a taxa de atraso (percentual) dos pedidos entregues a clientes "
      "{de_state}? Mostre o mês e a taxa com duas casas, em ordem cronológica.",
      "SELECT purchase_month, round(100 * avg(is_late::INTEGER), 2) AS taxa_atraso FROM orders_enriched "
      "WHERE customer_state = '{state}' AND year(purchase_ts) = {year} AND is_late IS NOT NULL "
      "GROUP BY 1 ORDER BY 1", ("state,year",)),
    T("top_states_revenue_month", "aggregate",
      "Quais foram os 5 estados de clientes com maior receita (soma de total_value) em {month_pt}? Mostre o estado e "
      "a receita com duas casas, da maior para a menor (empates em ordem alfabética).",
      "SELECT customer_state, round(sum(total_value), 2) AS receita FROM orders_enriched WHERE purchase_month = '{month}' "
      "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5", ("month",)),
    T("category_rank_in_state", "aggregate",
      "No ranking de categorias por número de pedidos de clientes {de_state}, em que posição fica "
      "'{category}'? Use rank(), em que empates dividem a posição.",
      "SELECT posicao FROM (SELECT category_pt, rank() OVER (ORDER BY count(*) DESC) AS posicao FROM orders_enriched "
      "WHERE customer_state = '{state}' GROUP BY 1) WHERE category_pt = '{category}'", ("category,state",)),
    T("state_share_month", "aggregate",
      "Em {month_pt}, qual foi a fatia (percentual do total de pedidos do mês) de cada um dos 3 estados com mais "
      "pedidos? Mostre estado e fatia com duas casas, da maior para a menor (empates em ordem alfabética).",
      "SELECT customer_state, round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS fatia FROM orders_enriched "
      "WHERE purchase_month = '{month}' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3", ("month",)),
    T("cumulative_orders_state_year", "aggregate",
      "Mostre, mês a mês em {year}, quantos pedidos os clientes {de_state} fizeram e o total "
      "acumulado no ano, em ordem cronológica.",
      "SELECT purchase_month, count(*) AS pedidos, sum(count(*)) OVER (ORDER BY purchase_month) AS acumulado "
      "FROM orders_enriched WHERE customer_state = '{state}' AND year(purchase_ts) = {year} GROUP BY 1 ORDER BY 1",
      ("state,year",)),
    T("best_month_year", "aggregate",
      "Qual foi o mês de maior receita (soma de total_value) em {year}, e quanto faturou? Mostre o mês "
      "(purchase_month) e a receita com duas casas.",
      "SELECT purchase_month, round(sum(total_value), 2) AS receita FROM orders_enriched WHERE year(purchase_ts) = {year} "
      "GROUP BY 1 ORDER BY sum(total_value) DESC, 1 LIMIT 1", ("year",)),
    T("weekday_orders_month", "aggregate",
      "Em {month_pt}, quantos pedidos foram feitos em cada dia da semana? Mostre o dia (dayofweek de purchase_ts, "
      "0 = domingo) e os pedidos, do domingo ao sábado.",
      "SELECT dayofweek(purchase_ts) AS dia_semana, count(*) AS pedidos FROM orders_enriched "
      "WHERE purchase_month = '{month}' GROUP BY 1 ORDER BY 1", ("month",)),
    T("seller_states_revenue_year", "aggregate",
      "Quais 5 estados de vendedores (seller_state) concentraram mais receita (soma de total_value) nos pedidos de "
      "{year}? Mostre o estado e a receita com duas casas, da maior para a menor.",
      "SELECT seller_state, round(sum(total_value), 2) AS receita FROM orders_enriched WHERE year(purchase_ts) = {year} "
      "AND seller_state IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5", ("year",)),
    T("score_by_delay_band_state", "aggregate",
      "Nos pedidos entregues a clientes {de_state}, compare a nota média por faixa: 'no prazo', "
      "'até 7 dias de atraso' e 'mais de 7 dias de atraso'. Mostre faixa, pedidos e nota (duas casas), em ordem alfabética da faixa.",
      "SELECT CASE WHEN NOT is_late THEN 'no prazo' WHEN delay_days <= 7 THEN 'até 7 dias de atraso' "
      "ELSE 'mais de 7 dias de atraso' END AS faixa, count(*) AS pedidos, round(avg(review_score), 2) AS nota_media "
      "FROM orders_enriched WHERE customer_state = '{state}' AND is_late IS NOT NULL GROUP BY 1 ORDER BY 1", ("state",)),
    T("repeat_share_top_states", "aggregate",
      "Entre os estados com ao menos {min_orders} clientes em customer_features, quais 5 têm mais clientes "
      "recorrentes (mais de uma compra), em percentual? Estado e percentual (duas casas), do maior ao menor, "
      "empates em ordem alfabética.",
      "SELECT customer_state, round(100 * avg((frequency > 1)::INTEGER), 2) AS pct_recorrentes FROM customer_features "
      "GROUP BY 1 HAVING count(*) >= {min_orders} ORDER BY 2 DESC, 1 LIMIT 5", ("min_orders",)),
    T("revenue_diff_month_year", "aggregate",
      "Mês a mês em {year}, quanto a receita (soma de total_value) variou em reais em relação ao mês anterior? "
      "Mostre o mês e a diferença com duas casas (vazia no primeiro mês), em ordem cronológica.",
      "SELECT purchase_month, round(sum(total_value) - lag(sum(total_value)) OVER (ORDER BY purchase_month), 2) "
      "AS diferenca FROM orders_enriched WHERE year(purchase_ts) = {year} GROUP BY 1 ORDER BY 1", ("year",)),
    T("worst_rated_categories", "aggregate",
      "Entre as categorias com pelo menos {min_orders} pedidos avaliados, quais são as 5 com a pior nota média? "
      "Mostre category_pt e a nota com duas casas, da pior para a melhor (empates em ordem alfabética).",
      "SELECT category_pt, round(avg(review_score), 2) AS nota_media FROM orders_enriched WHERE review_score IS NOT NULL "
      "GROUP BY 1 HAVING count(*) >= {min_orders} ORDER BY 2, 1 LIMIT 5", ("min_orders",)),
    T("spend_quartiles_state", "aggregate",
      "Divida os clientes {de_state} em 4 faixas de gasto (quartis de monetary com ntile, empates "
      "pelo customer_unique_id) e mostre, por faixa, o número de clientes e o gasto médio com duas casas.",
      "SELECT faixa, count(*) AS clientes, round(avg(monetary), 2) AS gasto_medio FROM (SELECT monetary, "
      "ntile(4) OVER (ORDER BY monetary, customer_unique_id) AS faixa FROM customer_features "
      "WHERE customer_state = '{state}') GROUP BY 1 ORDER BY 1", ("state",)),
    T("pricey_categories_year", "aggregate",
      "Em {year}, quais categorias com pelo menos {min_orders} pedidos tiveram ticket médio (total_value) acima de "
      "R$ {value}? Mostre category_pt e o ticket com duas casas, do maior para o menor.",
      "SELECT category_pt, round(avg(total_value), 2) AS ticket_medio FROM orders_enriched WHERE year(purchase_ts) = {year} "
      "GROUP BY 1 HAVING count(*) >= {min_orders} AND avg(total_value) > {value} ORDER BY 2 DESC, 1",
      ("year", "min_orders", "value")),
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
    "state,year": "SELECT customer_state, CAST(year(purchase_ts) AS VARCHAR) FROM orders_enriched WHERE customer_state IS NOT NULL GROUP BY 1, 2 HAVING count(*) >= 5 ORDER BY 1, 2",
    "month,payment": "SELECT purchase_month, payment_type FROM orders_enriched WHERE payment_type IS NOT NULL GROUP BY 1, 2 HAVING count(*) >= 3 ORDER BY 1, 2",
    "state,payment": "SELECT customer_state, payment_type FROM orders_enriched WHERE customer_state IS NOT NULL AND payment_type IS NOT NULL GROUP BY 1, 2 HAVING count(*) >= 3 ORDER BY 1, 2",
}
FIXED_SLOTS = {"installments": ("2", "3", "6", "10"), "min_orders": ("10", "20", "50", "100"), "pct": ("5", "8", "10", "15"),
               "value": ("150", "200", "300")}
