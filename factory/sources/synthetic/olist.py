"""Seeded, vectorised generator of the eight Olist tables (typed Arrow tables, upstream columns).

What it models, and why:
- purchases from 2016-09 to 2018-10 with Olist's shape (a launch burst in 2016-10, growth through
  2017, a Black Friday peak, a plateau in 2018, a thin tail after 2018-08);
- order lifecycles: approval (boletos take days), handover to the carrier, transit that depends on
  the customer's region and the seller's distance, an estimated date at midnight that is usually
  generous; some orders are late (about 8%), some canceled / unavailable / shipped but not
  delivered, and orders whose delivery would fall after the snapshot are still open;
- repeat buyers: about 20% of customer_unique_ids buy more than once (upstream: about 3%) so that
  churn labels after a cutoff mean something; a bad first experience makes a later purchase less
  likely, as customers who return had fewer problems;
- reviews whose score and text follow the order's facts (`texts.py`); about 58% of comments
  empty, a few orders with two reviews, and one review_id shared by orders bought together;
- the upstream quirks: empty categories, two categories without translation, free-form cities
  (`sao paulo / sao paulo`, `são paulo`, digits).
Independent random streams per concern (SeedSequence.spawn) keep each part stable when another
part changes.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from factory.sources.columns import arrow_schema
from factory.sources.synthetic import catalog, texts
from factory.sources.synthetic.pool import TextPool
from factory.sources.synthetic.texts import Situation
from schemas.raw import (
    CategoryTranslation, Customer, Order, OrderItem, OrderPayment, OrderReview, Product, Seller,
)

DAY = 86_400
FIRST_DAY = np.datetime64("2016-09-04", "D")
LAST_DAY = np.datetime64("2018-10-17", "D")
SNAPSHOT = int(np.datetime64("2018-10-17T17:30:00", "s").astype(np.int64))
REPEAT_SHARE = 0.20

STATE_CODES = tuple(catalog.STATES)
REGIONS = tuple(sorted({v[2] for v in catalog.STATES.values()}))
STATE_REGION = np.array([REGIONS.index(catalog.STATES[s][2]) for s in STATE_CODES])
TRANSIT = np.array([catalog.TRANSIT_DAYS[catalog.STATES[s][2]] for s in STATE_CODES])
FAR_REGIONS = np.array([catalog.STATES[s][2] in ("N", "NE") for s in STATE_CODES])

STATUSES = ("delivered", "shipped", "canceled", "unavailable", "invoiced", "processing", "created", "approved")
STATUS_P = np.array([0.9700, 0.0110, 0.0063, 0.0061, 0.0032, 0.0030, 0.00005, 0.00002])

# Review score distribution (1..5) per situation.
SCORE_P = {
    Situation.NONE: (0.03, 0.015, 0.07, 0.23, 0.655),
    Situation.LATE: (0.42, 0.12, 0.18, 0.14, 0.14),
    Situation.NOT_RECEIVED: (0.72, 0.10, 0.10, 0.04, 0.04),
    Situation.CANCELED: (0.55, 0.10, 0.15, 0.08, 0.12),
    Situation.DEFECT: (0.60, 0.20, 0.12, 0.05, 0.03),
    Situation.WRONG_PRODUCT: (0.55, 0.22, 0.15, 0.05, 0.03),
    Situation.SELLER: (0.50, 0.22, 0.17, 0.07, 0.04),
    Situation.PACKAGING: (0.15, 0.20, 0.35, 0.20, 0.10),
    Situation.PRICE: (0.10, 0.15, 0.35, 0.25, 0.15),
}
COMMENT_P = np.array([0.0, 0.78, 0.70, 0.50, 0.34, 0.36])  # by score (index 1..5)
# Problem rates among delivered orders: defect, wrong product, seller, packaging, price.
PROBLEMS = (Situation.DEFECT, Situation.WRONG_PRODUCT, Situation.SELLER, Situation.PACKAGING, Situation.PRICE)
PROBLEM_P = np.array([0.030, 0.015, 0.012, 0.010, 0.010])


def hex_ids(rng: np.random.Generator, n: int) -> pa.StringArray:
    """n distinct 32-char lower-case hex ids (like Olist's md5 ids), built without Python strings."""
    ids = np.unique(rng.integers(0, 256, size=(n + 8, 16), dtype=np.uint8).view("V16").ravel())
    text = rng.permutation(ids)[:n].tobytes().hex().encode()
    offsets = np.arange(0, 32 * n + 1, 32, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))


def weighted_choice(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    values = seconds.astype("datetime64[s]").astype("datetime64[us]")
    return pa.array(values, type=pa.timestamp("us"), mask=None if valid is None else ~valid)


def _table(model, columns: dict) -> pa.Table:
    return pa.Table.from_pydict(columns, schema=arrow_schema(model))


def _day_weights() -> tuple[np.ndarray, np.ndarray]:
    days = np.arange(FIRST_DAY, LAST_DAY + 1)
    t = (days - np.datetime64("2017-01-01")).astype(float) / 330.0
    w = np.clip(0.3 + 0.7 * t, 0.3, 1.05)
    w[days < np.datetime64("2017-01-01")] = 0.02
    w[(days >= np.datetime64("2016-10-03")) & (days < np.datetime64("2016-10-25"))] = 0.45
    w[days > np.datetime64("2018-08-29")] = 0.004
    w[days == np.datetime64("2017-11-24")] *= 5
    return days.astype("datetime64[s]").astype(np.int64), w / w.sum()


HOUR_P = np.array([3, 1.5, .7, .4, .3, .4, 1, 2.5, 4.5, 6, 6.5, 6.7, 6.2, 6.5, 6.6, 6.3, 6.3, 6.1, 5.8,
                   6, 6.4, 6.4, 6, 4.5])


def _places(rng: np.random.Generator, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """City name and CEP prefix for each state index (cities by weight, CEPs inside the state)."""
    city = np.empty(len(state), dtype=object)
    zips = np.empty(len(state), dtype=np.int64)
    for s, code in enumerate(STATE_CODES):
        where = np.flatnonzero(state == s)
        if not len(where):
            continue
        _, _, _, lo, hi, cities = catalog.STATES[code]
        pick = weighted_choice(rng, [w for _, w in cities], len(where))
        span = (hi - lo) // len(cities)
        city[where] = np.array([c for c, _ in cities], dtype=object)[pick]
        zips[where] = lo + pick * span + rng.integers(0, max(span, 1), len(where))
    return city, zips


def _messy(rng: np.random.Generator, city: np.ndarray, state: np.ndarray, share: float) -> np.ndarray:
    """Free-form spellings for a share of rows: accents, 'city / city', 'city / uf', bare 'uf'."""
    city = city.copy()
    for i in np.flatnonzero(rng.random(len(city)) < share):
        c, uf = city[i], STATE_CODES[state[i]].lower()
        options = [f"{c} / {c}", f"{c} / {uf}", f"{c} - {uf}", uf]
        if c in catalog.ACCENTED:
            options += [catalog.ACCENTED[c]] * 3
        city[i] = options[rng.integers(len(options))]
    return city


def _zip_text(zips: np.ndarray) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(zips), pa.string()), width=5, padding="0")


def generate(seed: int, n_orders: int) -> dict[str, pa.Table]:
    """The eight Olist tables for `n_orders` orders, keyed by raw table name."""
    return dict(iter_tables(seed, n_orders))


def iter_tables(seed: int, n_orders: int, pool: TextPool | None = None) -> Iterator[tuple[str, pa.Table]]:
    """(raw table name, table) of the eight Olist tables, one at a time (order_reviews last, its texts
    composed by `pool` meanwhile), so that a caller can write and drop each before the next. A bad
    `n_orders` raises here, at the call, not at the first table."""
    if n_orders < 1:
        raise ValueError("data.synthetic.orders must be at least 1")
    return _tables(seed, n_orders, pool or TextPool(1))


def _tables(seed: int, n_orders: int, pool: TextPool) -> Iterator[tuple[str, pa.Table]]:
    (r_cust, r_time, r_sell, r_prod, r_item, r_life, r_pay, r_rev, r_text, r_ids, r_order) = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(11))
    n = n_orders

    # Customers: k orders per unique customer; ~20% of them buy more than once.
    k = np.where(r_cust.random(n) < REPEAT_SHARE, 1 + r_cust.geometric(0.55, n), 1)
    cum = np.cumsum(k)
    n_unique = int(np.searchsorted(cum, n)) + 1
    k = k[:n_unique].copy()
    k[-1] -= cum[n_unique - 1] - n
    cust = np.repeat(np.arange(n_unique), k)
    cust_state = weighted_choice(r_cust, [v[0] for v in catalog.STATES.values()], n_unique)
    cust_city, cust_zip = _places(r_cust, cust_state)
    cust_city = _messy(r_cust, cust_city, cust_state, 0.004)
    cust_state[0], cust_city[0] = STATE_CODES.index("SP"), "são paulo"

    # Purchase times, ascending per customer; some repeat orders are a second cart minutes later.
    day_starts, day_p = _day_weights()
    t = (day_starts[r_time.choice(len(day_starts), n, p=day_p)]
         + r_time.choice(24, n, p=HOUR_P / HOUR_P.sum()) * 3600 + r_time.integers(0, 3600, n))
    t = t[np.lexsort((t, cust))]
    same_cust = np.r_[False, cust[1:] == cust[:-1]]
    split_cart = same_cust & (r_time.random(n) < 0.04)
    t[split_cart] = t[np.flatnonzero(split_cart) - 1] + r_time.integers(30, 900, split_cart.sum())
    returns_later = np.r_[cust[1:] == cust[:-1], False]

    # Sellers (a few bad ones) and products.
    n_sellers = max(12, n // 32)
    seller_state = weighted_choice(r_sell, [v[1] for v in catalog.STATES.values()], n_sellers)
    seller_city, seller_zip = _places(r_sell, seller_state)
    seller_city = _messy(r_sell, seller_city, seller_state, 0.05)
    sp = STATE_CODES.index("SP")
    seller_state[:3] = sp
    seller_city[:3] = ["sao paulo / sao paulo", "são paulo", f"{seller_zip[2]:05d}255"]
    seller_pop = r_sell.lognormal(0, 1.2, n_sellers)
    bad_seller = r_sell.random(n_sellers) < 0.07

    n_products = max(40, n // 3)
    cats = catalog.CATEGORIES + tuple((pt, None, w, price) for pt, w, price in catalog.UNTRANSLATED)
    cat = weighted_choice(r_prod, [c[2] for c in cats], n_products)
    cat[r_prod.random(n_products) < 0.0185] = -1
    cat[:3] = [len(catalog.CATEGORIES), len(catalog.CATEGORIES) + 1, -1]
    product_seller = weighted_choice(r_prod, seller_pop, n_products)
    product_pop = r_prod.lognormal(0, 1.3, n_products)
    median_price = np.array([c[3] for c in cats] + [80.0])[cat]
    raw_price = np.clip(median_price * r_prod.lognormal(0, 0.7, n_products), 0.85, 6735.0)
    ending = r_prod.random(n_products)
    price = np.where(ending < 0.5, np.floor(raw_price) + 0.90,
                     np.where(ending < 0.7, np.floor(raw_price) + 0.99, np.round(raw_price, 2)))
    weight_g = np.clip(np.round(r_prod.lognormal(np.log(600), 1.0, n_products)), 50, 40425).astype(np.int64)
    side = np.cbrt(weight_g)
    length = np.clip(np.round(side * 1.6 * r_prod.lognormal(0, .25, n_products)), 7, 105).astype(np.int64)
    height = np.clip(np.round(side * 0.8 * r_prod.lognormal(0, .4, n_products)), 2, 105).astype(np.int64)
    width = np.clip(np.round(side * 1.3 * r_prod.lognormal(0, .25, n_products)), 6, 118).astype(np.int64)
    described = cat >= 0

    # Status, payment type, items.
    status = weighted_choice(r_order, STATUS_P, n)
    main_pay = weighted_choice(r_pay, [0.755, 0.198, 0.015, 0.032], n)  # credit, boleto, debit, voucher
    no_items = (status == STATUSES.index("unavailable")) | (
        (status == STATUSES.index("canceled")) & (r_item.random(n) < 0.5))
    n_items = np.where(no_items, 0, 1 + weighted_choice(r_item, [.9, .075, .015, .006, .003, .001], n))
    item_order = np.repeat(np.arange(n), n_items)
    item_no = np.arange(len(item_order)) - np.repeat(np.cumsum(n_items) - n_items, n_items) + 1
    item_product = weighted_choice(r_item, product_pop, len(item_order))
    first_item = np.repeat(np.cumsum(n_items) - n_items, n_items)
    same_as_first = (item_no > 1) & (r_item.random(len(item_order)) < 0.6)
    item_product[same_as_first] = item_product[first_item[same_as_first]]
    unused = np.setdiff1d(np.arange(3), item_product)  # the quirk products must be sold at least once
    firsts = np.flatnonzero(item_no == 1)[:len(unused)]
    item_product[firsts] = unused[:len(firsts)]
    item_seller = product_seller[item_product]
    order_seller = np.full(n, -1)
    order_seller[item_order[item_no == 1]] = item_seller[item_no == 1]

    # Lifecycle.
    cust_of_order_state = cust_state[cust]
    order_bad = np.where(order_seller >= 0, bad_seller[np.maximum(order_seller, 0)], False)
    same_state = (order_seller >= 0) & (seller_state[np.maximum(order_seller, 0)] == cust_of_order_state)
    lag = np.where(main_pay == 1, r_life.uniform(0.5, 3.0, n) * DAY,
                   np.where(r_life.random(n) < 0.85, r_life.exponential(900, n), r_life.uniform(3600, 2 * DAY, n)))
    approved = t + lag.astype(np.int64)
    handling = (r_life.gamma(2.0, 1.2, n) + order_bad * r_life.gamma(2.0, 1.5, n)) * DAY
    carrier = approved + handling.astype(np.int64)
    transit_days = TRANSIT[cust_of_order_state] * np.where(same_state, 0.55, 1.0)
    care = np.where(returns_later, 0.5, 1.0)  # returning customers had fewer problems
    shock = r_life.random(n) < (0.06 + 0.10 * order_bad) * care
    transit = transit_days * r_life.lognormal(0.1, 0.45, n) + shock * r_life.uniform(5, 30, n)
    delivered = carrier + (transit * DAY).astype(np.int64)
    estimated_days = np.ceil(5 + transit_days * 1.45) + r_life.integers(3, 12, n)
    estimated = (t // DAY + estimated_days.astype(np.int64)) * DAY

    status_name = np.array(STATUSES, dtype=object)[status]
    delivered_state = status_name == "delivered"
    open_at_snapshot = delivered_state & (delivered > SNAPSHOT)
    status_name[open_at_snapshot & (carrier <= SNAPSHOT)] = "shipped"
    status_name[open_at_snapshot & (carrier > SNAPSHOT)] = "invoiced"
    has_approved = ~np.isin(status_name, ["created"]) & ~(
        (status_name == "canceled") & (r_life.random(n) < 0.33))
    has_carrier = np.isin(status_name, ["delivered", "shipped"]) | (
        (status_name == "canceled") & (r_life.random(n) < 0.1))
    has_delivered = status_name == "delivered"
    late = has_delivered & (delivered > estimated)

    # Items, freight, payments.
    item_region = STATE_REGION[seller_state[item_seller]]
    cust_item_state = cust_of_order_state[item_order]
    distance = np.where(seller_state[item_seller] == cust_item_state, 1.0,
                        np.where(item_region == STATE_REGION[cust_item_state], 1.35, 1.9))
    distance += 0.5 * FAR_REGIONS[cust_item_state]
    freight = np.round((5 + weight_g[item_product] / 1000 * 3.2) * distance
                       * r_item.lognormal(0, 0.25, len(item_order)), 2)
    freight[r_item.random(len(item_order)) < 0.003] = 0.0
    item_price = price[item_product]
    shipping_limit = approved[item_order] + r_item.integers(3 * DAY, 7 * DAY, len(item_order))
    total = np.bincount(item_order, item_price + freight, minlength=n)
    total = np.where(n_items == 0, np.round(r_pay.lognormal(np.log(120), 0.7, n), 2), total)
    total = np.round(total, 2)

    pay_names = np.array(["credit_card", "boleto", "debit_card", "voucher"], dtype=object)
    n_vouchers = np.where((r_pay.random(n) < 0.025) & (main_pay != 3), 1 + weighted_choice(r_pay, [.7, .2, .1], n), 0)
    voucher_share = np.where(n_vouchers > 0, r_pay.uniform(0.05, 0.4, n), 0.0)
    voucher_each = np.round(total * voucher_share / np.maximum(n_vouchers, 1), 2)
    main_value = np.round(total - voucher_each * n_vouchers, 2)
    installments = np.where(main_pay == 0, np.where(
        r_pay.random(n) < 0.5, 1, np.array([2, 3, 4, 5, 6, 7, 8, 10, 12, 24])[
            weighted_choice(r_pay, [20, 20, 14, 12, 8, 3, 9, 11, .4, .2], n)]), 1)
    main_type = pay_names[main_pay]
    not_defined = no_items & (status_name == "canceled") & (r_pay.random(n) < 0.05)
    main_type[not_defined] = "not_defined"
    main_value[not_defined] = 0.0
    installments[not_defined] = 1
    pay_order = np.r_[np.arange(n), np.repeat(np.arange(n), n_vouchers)]
    pay_seq = np.r_[np.ones(n, dtype=np.int64),
                    2 + np.arange(n_vouchers.sum()) - np.repeat(np.cumsum(n_vouchers) - n_vouchers, n_vouchers)]
    pay_type = np.r_[main_type, np.full(n_vouchers.sum(), "voucher", dtype=object)]
    pay_inst = np.r_[installments, np.ones(n_vouchers.sum(), dtype=np.int64)]
    pay_value = np.r_[main_value, np.repeat(voucher_each, n_vouchers)]

    # Situations, then reviews.
    situation = np.full(n, int(Situation.NONE))
    problem = weighted_choice(r_rev, PROBLEM_P.tolist() + [1 - PROBLEM_P.sum()], n)
    has_problem = (problem < len(PROBLEMS)) & (r_rev.random(n) < care)
    situation[has_problem] = np.array([int(p) for p in PROBLEMS])[problem[has_problem]]
    situation[order_bad & (r_rev.random(n) < 0.10 * care) & ~has_problem] = int(Situation.SELLER)
    situation[late & ~np.isin(situation, [int(Situation.DEFECT), int(Situation.WRONG_PRODUCT)])] = int(Situation.LATE)
    situation[~has_delivered & np.isin(status_name, ["shipped", "invoiced", "processing", "created", "approved"])] = \
        int(Situation.NOT_RECEIVED)
    situation[np.isin(status_name, ["canceled", "unavailable"])] = int(Situation.CANCELED)

    creation_day = np.where(
        has_delivered, delivered // DAY + 1 + (r_rev.random(n) < 0.1) * r_rev.integers(1, 5, n),
        np.where(situation == int(Situation.CANCELED), t // DAY + r_rev.integers(2, 26, n),
                 estimated // DAY + 1 + r_rev.integers(0, 4, n)))
    creation = creation_day * DAY
    reviewed = (r_rev.random(n) < 0.992) & (creation <= SNAPSHOT)
    second = reviewed & (r_rev.random(n) < 0.006) & (creation + 20 * DAY <= SNAPSHOT)
    rev_order = np.r_[np.flatnonzero(reviewed), np.flatnonzero(second)]
    m = len(rev_order)
    rev_creation = creation[rev_order] + np.r_[np.zeros(reviewed.sum(), np.int64),
                                               r_rev.integers(1, 20, second.sum()) * DAY]
    rev_answer = rev_creation + (r_rev.exponential(2.5, m) * DAY).astype(np.int64) + r_rev.integers(600, 4 * 3600, m)
    rev_sit = situation[rev_order]
    cdf = np.cumsum(np.array([SCORE_P[Situation(s)] for s in range(len(Situation))]), axis=1)
    score = 1 + (r_rev.random(m)[:, None] > cdf[rev_sit]).sum(axis=1)
    score = np.minimum(score, 5)
    has_comment = r_rev.random(m) < COMMENT_P[score]
    has_title = r_rev.random(m) < np.where(has_comment, 0.2, 0.05)
    rev_id = hex_ids(r_ids, m)

    draws = r_text.random((m, 10))
    late_days = np.ceil((delivered - estimated) / DAY).astype(np.int64)
    wait_days = (rev_creation - t[rev_order]) // DAY
    first_price = np.zeros(n)
    first_freight = np.zeros(n)
    first_price[item_order[item_no == 1]] = item_price[item_no == 1]
    first_freight[item_order[item_no == 1]] = freight[item_no == 1]
    first_category = np.full(n, None, dtype=object)  # names the product in the comment (texts.py)
    first_category[item_order[item_no == 1]] = np.array([c[0] for c in cats] + [None], dtype=object)[
        cat[item_product[item_no == 1]]]
    # The texts are composed in the pool (in parallel for large runs) while the other tables are written.
    text_rows = np.flatnonzero(has_comment | has_title)
    text_order = rev_order[text_rows]
    pending_texts = pool.submit(
        review_texts, score[text_rows], rev_sit[text_rows], draws[text_rows], late_days[text_order],
        wait_days[text_rows], (delivered - t)[text_order] // DAY, first_price[text_order], first_freight[text_order],
        first_category[text_order], has_comment[text_rows], has_title[text_rows])
    del draws, late_days, wait_days, first_price, first_freight, first_category, text_order

    # Orders bought together (a second cart minutes later) share the first cart's review.
    first_review = np.full(n, -1)
    first_review[rev_order[:reviewed.sum()]] = np.arange(reviewed.sum())
    shared = np.flatnonzero(split_cart & (first_review >= 0) & (np.r_[-1, first_review[:-1]] >= 0))
    src, dst = first_review[shared - 1], first_review[shared]
    for arr in (score, rev_creation, rev_answer):  # message and title: once the texts are back
        arr[dst] = arr[src]
    id_source = np.arange(m)
    id_source[dst] = src
    rev_id = rev_id.take(id_source)

    # Ids and tables (rows in a fixed shuffled order, items sorted by order_id as upstream).
    order_id = hex_ids(r_ids, n)
    customer_id = hex_ids(r_ids, n)
    unique_id = hex_ids(r_ids, n_unique)
    seller_id = hex_ids(r_ids, n_sellers)
    product_id = hex_ids(r_ids, n_products)
    o_perm = r_ids.permutation(n)
    c_perm = r_ids.permutation(n)
    order_rank = np.empty(n, dtype=np.int64)
    order_rank[pc.sort_indices(order_id).to_numpy()] = np.arange(n)
    item_perm = np.lexsort((item_no, order_rank[item_order]))
    pay_perm = r_ids.permutation(len(pay_order))
    rev_perm = r_ids.permutation(m)
    prod_perm = r_ids.permutation(n_products)
    sell_perm = r_ids.permutation(n_sellers)

    cat_pt = np.array([c[0] for c in cats] + [None], dtype=object)[cat]
    text_len = lambda a: np.where(described, a, None)  # noqa: E731 - empty with the category
    # Each table is handed out as soon as it is built, and what only it needed is dropped (memory).
    customer_state = np.array(STATE_CODES, dtype=object)[cust_state[cust[c_perm]]]
    yield "customers", _table(Customer, {
        "customer_id": customer_id.take(c_perm), "customer_unique_id": unique_id.take(cust[c_perm]),
        "customer_zip_code_prefix": _zip_text(cust_zip[cust[c_perm]]),
        "customer_city": cust_city[cust[c_perm]], "customer_state": customer_state})
    del customer_state, unique_id, cust_zip, cust_city, c_perm
    yield "orders", _table(Order, {
        "order_id": order_id.take(o_perm), "customer_id": customer_id.take(o_perm),
        "order_status": status_name[o_perm],
        "order_purchase_timestamp": _timestamps(t[o_perm]),
        "order_approved_at": _timestamps(approved[o_perm], has_approved[o_perm]),
        "order_delivered_carrier_date": _timestamps(carrier[o_perm], has_carrier[o_perm]),
        "order_delivered_customer_date": _timestamps(delivered[o_perm], has_delivered[o_perm]),
        "order_estimated_delivery_date": _timestamps(estimated[o_perm])})
    del customer_id, o_perm, status_name, approved, carrier, delivered, estimated
    yield "order_items", _table(OrderItem, {
        "order_id": order_id.take(item_order[item_perm]), "order_item_id": item_no[item_perm],
        "product_id": product_id.take(item_product[item_perm]), "seller_id": seller_id.take(item_seller[item_perm]),
        "shipping_limit_date": _timestamps(shipping_limit[item_perm]),
        "price": item_price[item_perm], "freight_value": freight[item_perm]})
    del item_perm, shipping_limit, item_price, freight
    yield "order_payments", _table(OrderPayment, {
        "order_id": order_id.take(pay_order[pay_perm]), "payment_sequential": pay_seq[pay_perm],
        "payment_type": pay_type[pay_perm], "payment_installments": pay_inst[pay_perm],
        "payment_value": pay_value[pay_perm]})
    del pay_perm, pay_order, pay_seq, pay_type, pay_inst, pay_value
    yield "products", _table(Product, {
        "product_id": product_id.take(prod_perm), "product_category_name": cat_pt[prod_perm],
        "product_name_lenght": text_len(np.clip(np.round(r_prod.normal(48, 10, n_products)), 5, 76)
                                        .astype(np.int64))[prod_perm],
        "product_description_lenght": text_len(np.clip(np.round(r_prod.lognormal(np.log(600), 0.8, n_products)),
                                                       4, 3992).astype(np.int64))[prod_perm],
        "product_photos_qty": text_len(
            1 + weighted_choice(r_prod, [50, 19, 12, 8, 5, 3, 1.5, 1, .5], n_products))[prod_perm],
        "product_weight_g": weight_g[prod_perm], "product_length_cm": length[prod_perm],
        "product_height_cm": height[prod_perm], "product_width_cm": width[prod_perm]})
    yield "sellers", _table(Seller, {
        "seller_id": seller_id.take(sell_perm), "seller_zip_code_prefix": _zip_text(seller_zip[sell_perm]),
        "seller_city": seller_city[sell_perm],
        "seller_state": np.array(STATE_CODES, dtype=object)[seller_state[sell_perm]]})
    yield "category_translation", _table(CategoryTranslation, {
        "product_category_name": [c[0] for c in catalog.CATEGORIES],
        "product_category_name_english": [c[1] for c in catalog.CATEGORIES]})

    message = np.full(m, None, dtype=object)
    title = np.full(m, None, dtype=object)
    composed = pending_texts.result()
    message[text_rows] = np.array([c for c, _ in composed], dtype=object)
    title[text_rows] = np.array([h for _, h in composed], dtype=object)
    del composed
    for arr in (message, title):
        arr[dst] = arr[src]
    yield "order_reviews", _table(OrderReview, {
        "review_id": rev_id.take(rev_perm), "order_id": order_id.take(rev_order[rev_perm]),
        "review_score": score[rev_perm], "review_comment_title": title[rev_perm],
        "review_comment_message": message[rev_perm],
        "review_creation_date": _timestamps(rev_creation[rev_perm]),
        "review_answer_timestamp": _timestamps(rev_answer[rev_perm])})


def review_texts(score, situation, draws, late, wait, days, price, freight, product, has_comment,
                 has_title) -> list[tuple[str | None, str | None]]:
    """(comment, title) of each review row, None where it has none (per row: any chunking gives the same)."""
    out = []
    for j in range(len(score)):
        s, sit = int(score[j]), Situation(int(situation[j]))
        u = draws[j].tolist()
        message = texts.comment(
            s, sit, u, late=int(late[j]), wait=int(wait[j]), days=max(1, int(days[j])), price=price[j],
            freight=freight[j], product=product[j]) if has_comment[j] else None
        out.append((message, texts.title(s, sit, u[9]) if has_title[j] else None))
    return out
