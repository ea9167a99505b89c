"""Review pool shared by the extraction and sentiment tasks: Olist reviews with their order facts,
and B2W reviews where the table has rows. Both sources are shuffled with the task's seed and
interleaved, so each source feeds every stratum."""
from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import islice, zip_longest
from typing import Any, Iterator

from common.io import sha256_bytes
from factory.prompts.base import GenerationContext
from factory.prompts.labeler import Label, ReviewFacts, RuleLabeler
from factory.prompts.overrides import Overrides
from factory.prompts.text import ORDER_STATUS_PT, category_pt

OLIST_SQL = """
SELECT review_id, order_id, customer_unique_id, review_score, review_title, review_comment, order_status,
       is_late, delay_days, category_pt
FROM orders_enriched
WHERE review_score BETWEEN 1 AND 5 AND has_comment
"""
OLIST_ORDER = "review_id, order_id"
B2W_SQL = """
SELECT reviewer_id, product_id, CAST(submission_date AS VARCHAR) AS submitted, product_name, site_category_lv1,
       review_title, review_text, overall_rating, recommend_to_a_friend
FROM b2w_reviews
WHERE overall_rating BETWEEN 1 AND 5 AND length(trim(coalesce(review_text, ''))) > 0
"""
B2W_ORDER = "reviewer_id, product_id, submitted"


@dataclass(frozen=True)
class Review:
    source: str                    # olist | b2w
    title: str
    comment: str
    facts: ReviewFacts
    product: str                   # what the prompt names: category (Olist) or product name (B2W)
    status: str | None             # order status in PT (Olist)
    delivery: str | None           # delivery outcome in PT (Olist)
    table: str
    keys: tuple[str, ...]


def _delivery_pt(status: str, is_late: bool | None, delay_days: float | None) -> str:
    if status in ("canceled", "unavailable"):
        return "não entregue"
    if is_late is None or delay_days is None:
        return "ainda não entregue"
    days = round(abs(delay_days))
    if is_late:
        return f"{max(days, 1)} {'dia' if max(days, 1) == 1 else 'dias'} de atraso"
    return "no dia previsto" if days == 0 else f"{days} {'dia' if days == 1 else 'dias'} antes do previsto"


def _olist(r: dict[str, Any]) -> Review:
    title, comment = (r["review_title"] or "").strip(), (r["review_comment"] or "").strip()
    facts = ReviewFacts(
        text="\n".join(t for t in (title, comment) if t), stars=int(r["review_score"]), order_status=r["order_status"],
        is_late=r["is_late"], delay_days=r["delay_days"],
    )
    return Review(
        "olist", title, comment, facts, category_pt(r["category_pt"]),
        ORDER_STATUS_PT.get(r["order_status"], r["order_status"]),
        _delivery_pt(r["order_status"], r["is_late"], r["delay_days"]), "orders_enriched",
        (f"review:{r['review_id']}", f"order:{r['order_id']}", f"customer:{r['customer_unique_id']}"),
    )


def _b2w(r: dict[str, Any]) -> Review:
    title, comment = (r["review_title"] or "").strip(), (r["review_text"] or "").strip()
    row_key = sha256_bytes(f"{r['reviewer_id']}|{r['product_id']}|{r['submitted']}".encode())[:16]
    facts = ReviewFacts(text="\n".join(t for t in (title, comment) if t), stars=int(r["overall_rating"]),
                        recommend=r["recommend_to_a_friend"])
    product = (r["product_name"] or "").strip() or category_pt(r["site_category_lv1"] or "produto")
    return Review("b2w", title, comment, facts, product, None, None, "b2w_reviews",
                  (f"b2w_review:{row_key}", f"b2w_reviewer:{r['reviewer_id']}"))


def all_reviews(ctx: GenerationContext) -> list[Review]:
    """Every Olist and B2W review, in table order (the audit and the gold set's lookups)."""
    return ([_olist(r) for r in ctx.rows(f"{OLIST_SQL} ORDER BY {OLIST_ORDER}")]
            + [_b2w(r) for r in ctx.rows(f"{B2W_SQL} ORDER BY {B2W_ORDER}")])


TITLE_LABEL = "Título: "
NO_TITLE, NO_COMMENT = "(sem título)", "(sem comentário)"


def review_label(review: Review, rules: RuleLabeler, corrections: Overrides | None = None) -> Label:
    """The one place where a review's label is decided (extraction truth, sentiment, stratum);
    reviewed corrections (`prompts.labeler.overrides`) take precedence over the labeler's truth."""
    label = rules.label(review.facts)
    return label if corrections is None else corrections.corrected(label, review.keys)


def quoted_review(user: str, comment_label: str) -> tuple[str, ...]:
    """The title and comment a review prompt quotes (the comment is the prompt's last field and may
    span lines); placeholders for a missing title or comment are not quotes."""
    head, sep, comment = user.partition("\n" + comment_label)
    title = head.rpartition(TITLE_LABEL)[2] if TITLE_LABEL in head else ""
    parts = (title.strip(), comment.strip() if sep else "")
    return tuple(p for p in parts if p and p not in (NO_TITLE, NO_COMMENT))


def review_pool(ctx: GenerationContext, rng: random.Random, limit: int | None = None) -> Iterator[Review]:
    """Olist and B2W reviews, each shuffled by `rng`, interleaved one by one; at most `limit` of them.

    Both shuffles happen at the call (as `GenerationContext.shuffled_rows` explains, the order is the
    one shuffling every row would give), and rows are fetched only as the pool is read."""
    olist = map(_olist, ctx.shuffled_rows(OLIST_SQL, OLIST_ORDER, rng))
    b2w = map(_b2w, ctx.shuffled_rows(B2W_SQL, B2W_ORDER, rng))
    pool = (r for pair in zip_longest(olist, b2w) for r in pair if r is not None)
    return pool if limit is None else islice(pool, limit)
