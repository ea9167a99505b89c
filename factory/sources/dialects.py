"""The byte formats of the upstream files, as data: one `CsvDialect` per file style.

Olist (Kaggle) files: headers fully quoted; string values quoted only when they start with a
digit or hold a separator, quote or line break; numbers and timestamps never quoted; money with
two decimals. The reviews file quotes both ids always, ends lines (and line breaks inside
comments) in CRLF, and does not quote digit-only titles. The translation file has a BOM, CRLF,
an unquoted header and no final newline. B2W-Reviews01 (the course copy in the sample): every
non-number quoted, `"null"` for missing, five empty unnamed columns after the 14 named ones.

The reader accepts these; the writer (`factory.sources.writer`) reproduces them byte for byte.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.raw import (
    B2wReview, CategoryTranslation, Customer, Geolocation, Order, OrderItem, OrderPayment,
    OrderReview, Product, RawRow, Seller,
)


@dataclass(frozen=True)
class CsvDialect:
    line_end: str = "\n"
    bom: bool = False
    quote_header: bool = True
    final_newline: bool = True
    # "minimal": quote strings holding , " CR LF (and, with quote_leading_digit, starting with a
    # digit); "text": quote every non-number cell unless it is all digits (B2W course copy).
    quoting: Literal["minimal", "text"] = "minimal"
    quote_leading_digit: bool = True
    always_quoted: tuple[str, ...] = ()
    multiline: tuple[str, ...] = ()       # columns whose values may hold line breaks
    null_token: str = ""                  # how a missing value is written
    bool_tokens: tuple[str, str] = ("True", "False")
    unnamed_columns: int = 0              # empty trailing columns with empty header names
    decimals: int = 2                     # float columns (money) are written with this many


OLIST_DIALECT = CsvDialect()

DIALECTS: dict[str, CsvDialect] = {
    Customer.table: OLIST_DIALECT,
    Order.table: OLIST_DIALECT,
    OrderItem.table: OLIST_DIALECT,
    OrderPayment.table: OLIST_DIALECT,
    Product.table: OLIST_DIALECT,
    Seller.table: OLIST_DIALECT,
    Geolocation.table: OLIST_DIALECT,
    OrderReview.table: CsvDialect(
        line_end="\r\n", quote_leading_digit=False, always_quoted=("review_id", "order_id"),
        multiline=("review_comment_title", "review_comment_message"),
    ),
    CategoryTranslation.table: CsvDialect(
        line_end="\r\n", bom=True, quote_header=False, final_newline=False, quote_leading_digit=False,
    ),
    B2wReview.table: CsvDialect(
        quoting="text", null_token='"null"', bool_tokens=("Yes", "No"), unnamed_columns=5,
        multiline=("product_name", "review_title", "review_text"),
    ),
}


def dialect_of(model: type[RawRow]) -> CsvDialect:
    return DIALECTS[model.table]
