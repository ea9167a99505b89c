"""The real Olist / B2W samples in ../shared/data: row counts, every documented quirk, byte round trip.
Skipped, with a message, where ../shared/data is absent."""
from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from factory.sources.columns import arrow_schema
from factory.sources.reader import read_b2w, read_olist_table
from factory.sources.writer import format_rows, render_csv
from schemas.raw import OLIST_MODELS, RAW_MODELS, B2wReview

# The sample's README, "Row counts".
README_ROWS = {"orders": 2000, "customers": 2000, "order_items": 2280, "order_payments": 2096,
               "order_reviews": 1996, "products": 1727, "sellers": 749, "category_translation": 71}
B2W_FILE = "B2W-Reviews01.sample.csv"


def test_row_counts_match_the_readme(real_run):
    _, metrics = real_run
    rows = dict(metrics["rows"])
    b2w = rows.pop("b2w_reviews")
    assert rows == README_ROWS
    assert b2w == 2000 - metrics["rejected"]["total"]
    assert metrics["source"] == "olist"


def test_every_table_has_the_contract_schema(real_tables):
    for name, table in real_tables.items():
        assert table.schema.equals(arrow_schema(RAW_MODELS[name])), name
    assert "geolocation" not in real_tables  # optional, absent from the sample


def test_translation_file_bom_crlf_unquoted_header_no_final_newline(shared_data, real_tables):
    data = (shared_data / "olist-sample" / "product_category_name_translation.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfproduct_category_name,") and b"\r\n" in data and not data.endswith(b"\n")
    table = real_tables["category_translation"]
    assert table.column_names == ["product_category_name", "product_category_name_english"]
    assert table.column(0)[0].as_py() == "beleza_saude"
    assert table.column(1)[70].as_py() == "security_and_services"  # last line, no newline after it


def test_review_comments_crlf_normalised_quotes_emoji_and_empties(real_tables):
    reviews = real_tables["order_reviews"]
    messages = [m for m in reviews.column("review_comment_message").to_pylist() if m is not None]
    assert len(messages) == 858  # README: 858 with a comment
    assert sum("\n" in m for m in messages) == 97  # README: 97 multi-line
    assert not any("\r" in m for m in messages)
    assert any('bem "salgado" o valor do frete' in m for m in messages)  # doubled "" read as one
    assert any(any(ord(c) > 0xFFFF for c in m) for m in messages)  # emoji
    assert any("," in m for m in messages)
    assert reviews.column("review_comment_title").null_count == 1761  # most titles empty


def test_digit_only_titles_are_text(real_tables):
    titles = real_tables["order_reviews"].column("review_comment_title")
    digits = pc.filter(titles, pc.fill_null(pc.match_substring_regex(titles, r"^[0-9]+$"), False)).to_pylist()
    assert sorted(digits) == ["3", "5", "7", "8"]


def test_review_id_repeats_across_different_orders(real_tables):
    reviews = real_tables["order_reviews"]
    grouped = reviews.group_by("review_id").aggregate([("order_id", "count_distinct")])
    assert pc.max(grouped.column("order_id_count_distinct")).as_py() == 2


def test_zip_prefixes_keep_leading_zeros_and_timestamps_are_typed(real_tables):
    zips = real_tables["customers"].column("customer_zip_code_prefix")
    assert pc.all(pc.equal(pc.utf8_length(zips), 5)).as_py()
    assert "01030" in zips.to_pylist()
    orders = real_tables["orders"]
    assert orders.schema.field("order_purchase_timestamp").type == pa.timestamp("us")
    assert orders.column("order_delivered_customer_date").null_count == 70  # not delivered
    assert orders.column("order_approved_at").null_count == 6


def test_empty_categories_and_misspelt_columns(real_tables):
    products = real_tables["products"]
    assert "product_name_lenght" in products.column_names and "product_description_lenght" in products.column_names
    assert products.column("product_category_name").null_count == 24
    assert products.column("product_name_lenght").null_count == 24
    assert products.schema.field("product_weight_g").type == pa.int64()


def test_b2w_nulls_types_ratings_and_repaired_rows(shared_data, real_run, real_tables):
    _, metrics = real_run
    b2w = real_tables["b2w_reviews"]
    nulls = {c: b2w.column(c).null_count for c in
             ("product_brand", "reviewer_birth_year", "reviewer_gender", "reviewer_state", "site_category_lv2")}
    assert nulls == {"product_brand": 1280, "reviewer_birth_year": 135, "reviewer_gender": 101,
                     "reviewer_state": 99, "site_category_lv2": 44}
    ratings = b2w.group_by("overall_rating").aggregate([("overall_rating", "count")]).to_pydict()
    assert dict(zip(ratings["overall_rating"], ratings["overall_rating_count"])) == {
        1: 373, 2: 115, 3: 230, 4: 496, 5: 786}
    assert pc.sum(b2w.column("recommend_to_a_friend")).as_py() == 1511
    assert b2w.schema.field("product_id").type == pa.string()
    assert sorted(t for t in b2w.column("review_title").to_pylist() if t.isdigit()) == ["1", "1", "2", "7"]
    # The two broken rows (data rows 1,285 and 1,931 = physical lines 1,286 and 1,932) are repaired.
    assert metrics["repaired"] == {"total": 2, "b2w_lines": [1286, 1932]}
    row_a, row_b = b2w.slice(1284, 1).to_pylist()[0], b2w.slice(1930, 1).to_pylist()[0]
    assert (row_a["reviewer_birth_year"], row_a["reviewer_gender"], row_a["reviewer_state"]) == (1960, "M", "RJ")
    assert (row_b["reviewer_birth_year"], row_b["reviewer_gender"], row_b["reviewer_state"]) == (1970, "M", "SP")
    assert "(Prezado(a) Francisco" in row_a["review_text"] and "nova entrega.)" in row_a["review_text"]
    assert row_b["review_text"] == ("Fiz a compra fiquei esperando a entrega que veio pelo correio quebrada , "
                                    "Película Pro Vidro Temperado Protouch Apple iPhone 5 5S SE")


def test_rejections_file_has_header_even_when_empty(real_run):
    raw, metrics = real_run
    with open(raw / "rejections.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "line", "column", "reason", "row_key"]
    assert len(rows) - 1 == metrics["rejected"]["total"]


@pytest.mark.parametrize("model", OLIST_MODELS, ids=lambda m: m.table)
def test_writer_reproduces_upstream_bytes(shared_data, model):
    """Reading an upstream file and writing it back gives the same bytes: the writer (used by the
    synthetic source) follows the upstream format exactly."""
    path = shared_data / "olist-sample" / model.source_file
    table, _ = read_olist_table(path, model)
    assert render_csv(model, format_rows(table, model)) == path.read_bytes()


def test_writer_reproduces_b2w_bytes_except_the_two_broken_rows(shared_data):
    path = shared_data / "b2w-sample" / B2W_FILE
    result = read_b2w(path)
    written = render_csv(B2wReview, format_rows(result.table, B2wReview)).split(b"\n")
    original = path.read_bytes().split(b"\n")
    assert len(written) == len(original)
    assert [i + 1 for i, (a, b) in enumerate(zip(original, written)) if a != b] == [1286, 1932]
