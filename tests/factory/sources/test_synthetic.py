"""The synthetic source: upstream byte format and quirks, realistic structure, and review texts
that agree with the order facts."""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import pyarrow.compute as pc
import pytest

from common.io import sha256_file
from factory.sources import ingest
from factory.sources.columns import arrow_schema
from factory.sources.synthetic import B2W_FILE, b2w, catalog, pool, write_csvs
from factory.sources.writer import format_rows, render_csv, replace_rows, write_csv
from schemas.raw import RAW_MODELS, B2wReview

from .conftest import B2W_REVIEWS, SEED, synthetic

HEX_FIELD = r'(?:"[0-9][0-9a-f]{31}"|[a-f][0-9a-f]{31})'  # quoted exactly when it starts with a digit

# Sentiment lexicons of the test (independent of the generator's phrase banks).
NEGATIVE_WORDS = ("atras", "demor", "não recebi", "nao recebi", "defeito", "quebrad", "péssim", "pessim",
                  "não recomendo", "nao recomendo", "cancel", "errad", "diferente", "dinheiro de volta",
                  "insatisf", "decepcion", "não responde", "nao responde", "amassad", "nunca chega", "nada", "🙄",
                  "não gostei", "nao gostei", "baixa qualidade", "frágil", "fragil", "depois do prazo",
                  "não corresponde", "nao corresponde", "parou de funcionar", "ignorou", "alto demais",
                  "mal embalado")
POSITIVE_WORDS = ("excelente", "ótim", "otim", "gostei muito", "recomendo!", "super recomendo", "amei", "adorou",
                  "perfeit", "muito bom", "de qualidade", "antes do prazo", "rápida", "rapida", "nota 10", "lindo",
                  "tudo certo", "antes do previsto")


def _count(text: str | None, words: tuple[str, ...]) -> int:
    low = (text or "").lower()
    return sum(low.count(w) for w in words)


@pytest.fixture(scope="module")
def csv_dir(synthetic_run):
    return synthetic_run[0] / "synthetic_csv"


@pytest.fixture(scope="module")
def facts(synthetic_tables):
    """One row per review with its order's facts (late flag, status)."""
    orders = synthetic_tables["orders"].to_pydict()
    by_order = {oid: i for i, oid in enumerate(orders["order_id"])}
    rows = []
    for r in synthetic_tables["order_reviews"].to_pylist():
        i = by_order[r["order_id"]]
        delivered, estimated = orders["order_delivered_customer_date"][i], orders["order_estimated_delivery_date"][i]
        rows.append({**r, "status": orders["order_status"][i],
                     "late": None if delivered is None else delivered > estimated})
    return rows


# --- byte format -------------------------------------------------------------------------------

def test_ingest_reads_the_generated_csvs_through_the_same_reader(synthetic_run, csv_dir):
    _, metrics = synthetic_run
    assert metrics["source"] == "synthetic"
    assert metrics["inputs_sha256"] == {p.name: sha256_file(p) for p in sorted(csv_dir.iterdir())}
    assert len(metrics["inputs_sha256"]) == 9


def test_headers_fully_quoted_ids_quoted_only_when_starting_with_a_digit(csv_dir):
    for model in RAW_MODELS.values():
        if model.table in ("category_translation", "geolocation", "b2w_reviews"):
            continue
        data = (csv_dir / model.source_file).read_text(encoding="utf-8")
        header = data.split("\n", 1)[0].rstrip("\r")
        assert header == ",".join(f'"{c}"' for c in model.model_fields), model.table
    orders = (csv_dir / "olist_orders_dataset.csv").read_text().splitlines()[1:]
    pattern = re.compile(rf"^{HEX_FIELD},{HEX_FIELD},[a-z]+,\d{{4}}-")
    assert all(pattern.match(line) for line in orders)
    assert any(line.startswith('"') for line in orders) and any(not line.startswith('"') for line in orders)
    customers = (csv_dir / "olist_customers_dataset.csv").read_text().splitlines()[1:]
    assert all(re.match(rf'^{HEX_FIELD},{HEX_FIELD},"\d{{5}}",', line) for line in customers)  # zips always quoted


def test_reviews_file_crlf_quoting_doubled_quotes_and_emoji(csv_dir):
    data = (csv_dir / "olist_order_reviews_dataset.csv").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")  # every line break is CRLF, inside comments too
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert len(records) - 1 < data.count(b"\r\n")  # some comments span lines
    assert all(re.match(r'^"[0-9a-f]{32}","[0-9a-f]{32}",[1-5],', line)
               for line in data.decode().split("\r\n")[1:] if re.match(r'^"[0-9a-f]{32}"', line))
    assert b'""salgado""' in data  # inner quotes doubled
    assert re.search(rb',"[^"\r\n]*,[^"\r\n]*",\d{4}-', data)  # a comment with a comma, quoted
    assert any(ord(c) > 0xFFFF for c in data.decode())  # emoji
    assert re.search(rb"^\"[0-9a-f]{32}\",\"[0-9a-f]{32}\",[1-5],[0-9]+,", data, re.M)  # digit title unquoted


def test_translation_file_matches_upstream_format(csv_dir):
    data = (csv_dir / "product_category_name_translation.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfproduct_category_name,product_category_name_english\r\n")
    assert not data.endswith(b"\n") and data.count(b"\r\n") == 71
    assert b"\nbeleza_saude,health_beauty\r" in data


def test_b2w_file_format_nulls_unquoted_integers_and_a_spilled_row(csv_dir):
    lines = (csv_dir / B2W_FILE).read_text(encoding="utf-8").split("\n")
    assert lines[0].endswith('"reviewer_state",,,,,') and lines[-1] == ""
    records = list(csv.reader(lines[1:-1]))
    assert len(records) == B2W_REVIEWS
    assert all(len(r) == 19 for r in records)
    assert '"null"' in lines[1] or any(',"null",' in line for line in lines)
    assert all(re.match(r'^"2018-0[1-5]-\d\d \d\d:\d\d:\d\d","[0-9a-f]{64}",\d+,"', line) for line in lines[1:-1])
    spilled = [r for r in records if any(r[14:])]
    assert spilled, "at least one row with its text spilling into the unnamed columns"


# --- structure -----------------------------------------------------------------------------------

def test_tables_have_contract_schemas_and_expected_sizes(synthetic_tables):
    for name, table in synthetic_tables.items():
        assert table.schema.equals(arrow_schema(RAW_MODELS[name])), name
    assert synthetic_tables["orders"].num_rows == 3000
    assert synthetic_tables["customers"].num_rows == 3000
    assert synthetic_tables["category_translation"].num_rows == 71
    assert synthetic_tables["b2w_reviews"].num_rows == B2W_REVIEWS
    assert 1.05 < synthetic_tables["order_items"].num_rows / 3000 < 1.25


def test_about_a_fifth_of_customers_buy_more_than_once(synthetic_tables):
    counts = synthetic_tables["customers"].group_by("customer_unique_id").aggregate([("customer_id", "count")])
    share = pc.mean(pc.greater(counts.column("customer_id_count"), 1)).as_py()
    assert 0.15 < share < 0.25


def test_categories_empty_untranslated_and_real(synthetic_tables):
    products = synthetic_tables["products"]
    translated = set(synthetic_tables["category_translation"].column(0).to_pylist())
    used = set(products.column("product_category_name").to_pylist()) - {None}
    assert used - translated == {"pc_gamer", "portateis_cozinha_e_preparadores_de_alimentos"}
    assert products.column("product_category_name").null_count > 0
    empty = pc.is_null(products.column("product_category_name"))
    assert pc.all(pc.is_null(pc.filter(products.column("product_name_lenght"), empty))).as_py()
    sold = set(synthetic_tables["order_items"].column("product_id").to_pylist())
    sold_categories = {c for p, c in zip(products.column("product_id").to_pylist(),
                                         products.column("product_category_name").to_pylist()) if p in sold}
    assert {"pc_gamer", "portateis_cozinha_e_preparadores_de_alimentos", None} <= sold_categories


def test_states_cities_and_messy_spellings(synthetic_tables):
    customers, sellers = synthetic_tables["customers"], synthetic_tables["sellers"]
    states = customers.group_by("customer_state").aggregate([("customer_state", "count")]).sort_by(
        [("customer_state_count", "descending")])
    assert states.column(0)[0].as_py() == "SP"
    assert set(states.column(0).to_pylist()) <= set(catalog.STATES)
    cities = set(sellers.column("seller_city").to_pylist()) | set(customers.column("customer_city").to_pylist())
    assert {"sao paulo / sao paulo", "são paulo"} <= cities
    assert any(c[0].isdigit() for c in cities)


def test_timestamps_and_lifecycles(synthetic_tables):
    o = synthetic_tables["orders"].to_pydict()
    purchase = np.array(o["order_purchase_timestamp"], dtype="datetime64[us]")
    assert purchase.min() >= np.datetime64("2016-09-01") and purchase.max() < np.datetime64("2018-10-18")
    statuses = set(o["order_status"])
    assert {"delivered", "canceled", "unavailable", "shipped"} <= statuses
    for i, status in enumerate(o["order_status"]):
        approved, carrier, delivered = (o["order_approved_at"][i], o["order_delivered_carrier_date"][i],
                                        o["order_delivered_customer_date"][i])
        assert (delivered is not None) == (status == "delivered")
        if status == "shipped":
            assert carrier is not None
        if delivered is not None:
            assert o["order_purchase_timestamp"][i] <= approved <= carrier <= delivered
        assert o["order_estimated_delivery_date"][i].time().isoformat() == "00:00:00"
    late = [d > e for d, e in zip(o["order_delivered_customer_date"], o["order_estimated_delivery_date"]) if d]
    assert 0.04 < np.mean(late) < 0.12


def test_payments_add_up_to_items_and_freight(synthetic_tables):
    items = synthetic_tables["order_items"].group_by("order_id").aggregate([("price", "sum"), ("freight_value", "sum")])
    paid = synthetic_tables["order_payments"].group_by("order_id").aggregate([("payment_value", "sum")])
    joined = items.join(paid, "order_id")
    diff = pc.abs(pc.subtract(pc.add(joined.column("price_sum"), joined.column("freight_value_sum")),
                              joined.column("payment_value_sum")))
    assert pc.max(diff).as_py() < 0.011
    assert paid.num_rows == synthetic_tables["orders"].num_rows


def test_reviews_empty_comments_repeated_ids_and_second_reviews(synthetic_tables):
    reviews = synthetic_tables["order_reviews"]
    empty = reviews.column("review_comment_message").null_count / reviews.num_rows
    assert 0.52 < empty < 0.63
    per_id = reviews.group_by("review_id").aggregate([("order_id", "count_distinct")])
    assert pc.max(per_id.column("order_id_count_distinct")).as_py() >= 2
    per_order = reviews.group_by("order_id").aggregate([("review_id", "count_distinct")])
    assert pc.max(per_order.column("review_id_count_distinct")).as_py() >= 2
    assert not any("\r" in m for m in reviews.column("review_comment_message").drop_null().to_pylist())


# --- review texts follow the facts ---------------------------------------------------------------

def test_late_orders_get_delivery_complaints_and_lower_scores(facts):
    late = [f for f in facts if f["late"] is True]
    on_time = [f for f in facts if f["late"] is False]
    assert np.mean([f["review_score"] for f in late]) < np.mean([f["review_score"] for f in on_time]) - 1.0
    late_text = [f["review_comment_message"] for f in late if f["review_comment_message"]]
    on_time_text = [f["review_comment_message"] for f in on_time if f["review_comment_message"]]
    neg_late = np.mean([_count(t, NEGATIVE_WORDS) for t in late_text])
    neg_on_time = np.mean([_count(t, NEGATIVE_WORDS) for t in on_time_text])
    assert neg_late > 3 * neg_on_time
    delivery_words = ("atras", "prazo", "demor", "mês depois")
    assert np.mean([any(w in t.lower() for w in delivery_words) for t in late_text]) > 0.6


def test_score_polarity_matches_comment_polarity(facts):
    def polarity_rate(rows, words):
        texts = [r["review_comment_message"] for r in rows if r["review_comment_message"]]
        return np.mean([_count(t, words) > 0 for t in texts])

    low = [f for f in facts if f["review_score"] <= 2]
    high = [f for f in facts if f["review_score"] >= 4]
    assert polarity_rate(low, NEGATIVE_WORDS) > 0.85
    assert polarity_rate(high, POSITIVE_WORDS) > 0.85
    assert polarity_rate(low, POSITIVE_WORDS) < polarity_rate(high, POSITIVE_WORDS) / 2


def test_undelivered_orders_complain_about_not_receiving(facts):
    open_orders = [f for f in facts if f["status"] in ("shipped", "invoiced", "processing")
                   and f["review_score"] <= 2 and f["review_comment_message"]]
    canceled = [f for f in facts if f["status"] in ("canceled", "unavailable") and f["review_score"] <= 2
                and f["review_comment_message"]]
    assert open_orders and canceled
    words = ("receb", "entreg", "nada", "chega")
    assert np.mean([any(w in f["review_comment_message"].lower() for w in words) for f in open_orders]) > 0.6
    assert np.mean([any(w in f["review_comment_message"].lower() for w in ("cancel", "indispon", "não tem"))
                    for f in canceled]) > 0.6


def test_irony_appears_on_low_scores_only(facts):
    ironic = [f for f in facts if f["review_comment_message"] and "🙄" in f["review_comment_message"]]
    assert ironic and all(f["review_score"] <= 2 for f in ironic)


# --- B2W --------------------------------------------------------------------------------------

def test_b2w_spilled_rows_are_repaired_to_the_generated_text(synthetic_run, synthetic_tables):
    _, metrics = synthetic_run
    generated = b2w.generate(SEED, B2W_REVIEWS)
    spilled = b2w.spill_rows(generated, SEED)
    assert len(spilled) >= 1 and metrics["repaired"]["total"] == len(spilled)
    assert metrics["repaired"]["b2w_lines"] == [int(i) + 2 for i in spilled]
    assert synthetic_tables["b2w_reviews"].equals(generated)


def test_b2w_ratings_agree_with_recommendation(synthetic_tables):
    t = synthetic_tables["b2w_reviews"]
    rating = t.column("overall_rating").to_numpy()
    recommend = t.column("recommend_to_a_friend").to_numpy(zero_copy_only=False).astype(bool)
    assert recommend[rating >= 4].mean() > 0.9 and recommend[rating <= 2].mean() < 0.2
    assert {1, 2, 3, 4, 5} == set(rating.tolist())


def test_b2w_product_ids_stay_distinct_when_random_draws_collide():
    """140k+ reviews need ~100k product ids, where the draws collide more often than the spare ones cover."""
    n = 200_000  # about n**2 / 2.8e8 = 145 collisions among the first n + 16 draws
    first = b2w._distinct_ids(np.random.default_rng(7), n)
    assert len(first) >= n and len(np.unique(first)) == len(first)
    assert np.array_equal(first, b2w._distinct_ids(np.random.default_rng(7), n))
    assert first.min() >= b2w.PRODUCT_ID_LOW and first.max() < b2w.PRODUCT_ID_HIGH


# --- sizes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("orders", [1, 2, 25])
def test_tiny_sizes_still_build(tmp_path, orders):
    metrics = ingest(synthetic(orders=orders, b2w_reviews=0), tmp_path / "raw")
    assert metrics["rows"]["orders"] == orders and metrics["rows"]["b2w_reviews"] == 0


# --- scale: parallel texts and batched writing change no byte ------------------------------------

def _file_hashes(folder) -> dict[str, str]:
    return {p.name: sha256_file(p) for p in sorted(folder.iterdir())}


def test_texts_composed_in_worker_processes_give_the_same_bytes(tmp_path):
    """The pool path (forced here on a small input; large runs take it by default) writes exactly
    the files of the single-process path: texts per row, chunked, returned in row order."""
    one = write_csvs(seed=3, orders=1500, b2w_reviews=700, out_dir=tmp_path / "one", workers=1).parent
    three = write_csvs(seed=3, orders=1500, b2w_reviews=700, out_dir=tmp_path / "three", workers=3).parent
    assert len(_file_hashes(one)) == 9
    assert _file_hashes(one) == _file_hashes(three)


def test_small_runs_stay_in_one_process_and_large_ones_use_every_cpu():
    assert pool.default_workers(5_000 + 1_000) == 1
    assert pool.default_workers(100_000 + 20_000) == pool.available_cpus()


def test_batched_csv_writing_gives_the_bytes_of_one_piece(tmp_path, synthetic_tables):
    """Rows are formatted and written in batches; any batch size (a spilled B2W row replaced across
    a batch boundary included) gives the bytes of rendering the whole file at once."""
    reviews = b2w.generate(SEED, B2W_REVIEWS)
    spilled = b2w.spill_rows(reviews, SEED)
    lines = b2w.spilled_lines(reviews, spilled)
    whole = render_csv(B2wReview, replace_rows(format_rows(reviews, B2wReview), lines))
    for batch_rows in (1, 7, int(spilled[0]), int(spilled[0]) + 1, 10**6):
        write_csv(reviews, B2wReview, tmp_path / "b2w.csv", replace=lines, batch_rows=batch_rows)
        assert (tmp_path / "b2w.csv").read_bytes() == whole, batch_rows
    for name in ("orders", "order_reviews"):
        table, model = synthetic_tables[name], RAW_MODELS[name]
        write_csv(table, model, tmp_path / "t.csv", batch_rows=333)
        assert (tmp_path / "t.csv").read_bytes() == render_csv(model, format_rows(table, model)), name


def test_no_orders_is_refused_before_any_text_is_composed(tmp_path):
    with pytest.raises(ValueError, match="data.synthetic.orders must be at least 1"):
        write_csvs(SEED, 0, 10, tmp_path, workers=2)
    assert list(tmp_path.iterdir()) == []
