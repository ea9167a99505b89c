"""Prompt stages at scale: generators read a seeded sample of at most `read_limit` rows, fetched as
they are consumed, and on data smaller than that they give what reading everything gives."""
from __future__ import annotations

import random

import pytest

from factory.prompts import base, reviews
from factory.prompts.base import GenerationContext
from factory.prompts.build import generate_task
from factory.prompts.curation import Curation
from factory.prompts.labeler import RuleLabeler
from factory.prompts.push import CUSTOMERS_SQL
from tests.factory.prompts.conftest import small_params


@pytest.fixture
def ctx(synthetic_db):
    context = GenerationContext(small_params(), synthetic_db)
    yield context
    context.close()


@pytest.mark.parametrize("sql, order_by", [
    (reviews.OLIST_SQL, reviews.OLIST_ORDER), (reviews.B2W_SQL, reviews.B2W_ORDER), (CUSTOMERS_SQL, "customer_unique_id"),
], ids=["olist reviews", "b2w reviews", "push customers"])
def test_shuffled_rows_are_the_full_fetch_shuffled(ctx, sql, order_by, monkeypatch):
    """The same rows in the same order, and the stream left in the same state, as fetching every row
    and shuffling the list (what the generators did before), across several fetch chunks."""
    monkeypatch.setattr(base, "FIRST_CHUNK_ROWS", 7)
    full = ctx.rows(f"{sql} ORDER BY {order_by}")
    assert len(full) > 40, "the fixture database is too small for this test"
    old, new = random.Random("seed|task"), random.Random("seed|task")
    old.shuffle(full)
    lazy = ctx.shuffled_rows(sql, order_by, new)
    assert old.getstate() == new.getstate()  # shuffled at the call, before any row is read
    assert list(lazy) == full


def test_shuffled_rows_of_an_empty_result(ctx):
    assert list(ctx.shuffled_rows(f"{reviews.OLIST_SQL} AND false", reviews.OLIST_ORDER, random.Random(0))) == []


def test_review_pool_limit_is_a_prefix_of_the_pool(ctx):
    everything = list(reviews.review_pool(ctx, random.Random(3)))
    assert len(everything) == len(reviews.all_reviews(ctx))
    assert list(reviews.review_pool(ctx, random.Random(3), limit=25)) == everything[:25]


@pytest.mark.parametrize("task", ["extraction", "sentiment"])
def test_review_tasks_read_at_most_the_limit(synthetic_db, tmp_path, monkeypatch, task):
    """With a limit below the pool, a review task labels only that many reviews and still fills its
    quotas; with the default limit (above this pool) it reads every review."""
    params = small_params()
    ctx = GenerationContext(params, synthetic_db)
    pool = len(reviews.all_reviews(ctx))
    assert ctx.read_limit(task) >= pool  # the default: everything is read on small data
    ctx.close()
    full = generate_task(task, params, synthetic_db, tmp_path / "full", tmp_path / "full-metrics")
    assert full["reviews_read"] == pool

    monkeypatch.setattr(base, "READ_PER_KEPT", 1)
    ctx = GenerationContext(params, synthetic_db)
    limit = ctx.read_limit(task)
    ctx.close()
    assert limit < pool
    capped = generate_task(task, params, synthetic_db, tmp_path / "capped", tmp_path / "capped-metrics")
    assert capped["reviews_read"] == limit
    assert capped["records"] > 0


def test_churn_reads_a_seeded_sample_of_customers(synthetic_db, tmp_path, monkeypatch):
    params = small_params()
    full = generate_task("churn", params, synthetic_db, tmp_path / "full", tmp_path / "m1")
    monkeypatch.setattr(base, "READ_PER_KEPT", 1)
    ctx = GenerationContext(params, synthetic_db)
    limit = ctx.read_limit("churn")
    ctx.close()
    capped = generate_task("churn", params, synthetic_db, tmp_path / "capped", tmp_path / "m2")
    again = generate_task("churn", params, synthetic_db, tmp_path / "again", tmp_path / "m3")
    assert capped["profiles"] <= limit < full["profiles"]
    assert capped["data_end"] == full["data_end"]  # the end of the data is every order's, not the sample's
    assert (tmp_path / "capped/by_task/churn.jsonl").read_bytes() == (tmp_path / "again/by_task/churn.jsonl").read_bytes()


def test_curation_counts_what_it_read(ctx):
    curation = Curation.from_params(ctx.params)
    taken = list(zip(range(10), curation.labeled_reviews(ctx, random.Random(0), RuleLabeler(), "extraction")))
    assert len(taken) == 10 and curation.read >= 10
