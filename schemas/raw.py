"""One pydantic model per raw table in data/raw/ (written by stage `ingest`).

The models are the single description of the raw layer: column names and order (upstream Olist
spelling, `lenght` included), types (str -> string, int -> int64, float -> float64, datetime ->
timestamp[us] naive, bool -> bool), nullability (`| None`), value sets (`Literal`), patterns and
bounds. `factory.sources` derives the Parquet schema and its row checks from them, so a change
here changes what ingest accepts. Class variables say which upstream file a table comes from and
its primary key (checked for uniqueness at ingest; empty = no key).
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Md5Id = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="32-char lower-case hex id")]
ZipPrefix = Annotated[str, Field(pattern=r"^[0-9]{5}$", description="first 5 CEP digits, leading zeros kept")]
State = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="two-letter Brazilian state code (UF)")]
City = Annotated[str, Field(description="free-form lower-case city as typed upstream (accents, ' / uf', digits)")]
Count = Annotated[int, Field(ge=0)]
Money = Annotated[float, Field(ge=0, description="BRL")]

OrderStatus = Literal["delivered", "shipped", "canceled", "unavailable", "invoiced", "processing",
                      "created", "approved"]
PaymentType = Literal["credit_card", "boleto", "voucher", "debit_card", "not_defined"]


class RawRow(BaseModel):
    """Base of every raw table row."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    table: ClassVar[str]
    source_file: ClassVar[str]
    primary_key: ClassVar[tuple[str, ...]] = ()


class Customer(RawRow):
    """One row per order's customer (customer_id is per order; customer_unique_id is the person)."""

    table: ClassVar[str] = "customers"
    source_file: ClassVar[str] = "olist_customers_dataset.csv"
    primary_key: ClassVar[tuple[str, ...]] = ("customer_id",)
    customer_id: Md5Id
    customer_unique_id: Md5Id
    customer_zip_code_prefix: ZipPrefix
    customer_city: City
    customer_state: State


class Order(RawRow):
    """An order and its lifecycle timestamps (empty upstream field = not reached)."""

    table: ClassVar[str] = "orders"
    source_file: ClassVar[str] = "olist_orders_dataset.csv"
    primary_key: ClassVar[tuple[str, ...]] = ("order_id",)
    order_id: Md5Id
    customer_id: Md5Id
    order_status: OrderStatus
    order_purchase_timestamp: datetime
    order_approved_at: datetime | None
    order_delivered_carrier_date: datetime | None
    order_delivered_customer_date: datetime | None
    order_estimated_delivery_date: datetime


class OrderItem(RawRow):
    """One item line of an order (order_item_id counts from 1 within the order)."""

    table: ClassVar[str] = "order_items"
    source_file: ClassVar[str] = "olist_order_items_dataset.csv"
    primary_key: ClassVar[tuple[str, ...]] = ("order_id", "order_item_id")
    order_id: Md5Id
    order_item_id: Annotated[int, Field(ge=1)]
    product_id: Md5Id
    seller_id: Md5Id
    shipping_limit_date: datetime
    price: Money
    freight_value: Money


class OrderPayment(RawRow):
    """One payment of an order (vouchers split an order into several sequential payments)."""

    table: ClassVar[str] = "order_payments"
    source_file: ClassVar[str] = "olist_order_payments_dataset.csv"
    primary_key: ClassVar[tuple[str, ...]] = ("order_id", "payment_sequential")
    order_id: Md5Id
    payment_sequential: Annotated[int, Field(ge=1)]
    payment_type: PaymentType
    payment_installments: Count
    payment_value: Money


class OrderReview(RawRow):
    """A customer review; review_id can repeat across orders bought together, so no key."""

    table: ClassVar[str] = "order_reviews"
    source_file: ClassVar[str] = "olist_order_reviews_dataset.csv"
    review_id: Md5Id
    order_id: Md5Id
    review_score: Annotated[int, Field(ge=1, le=5)]
    review_comment_title: str | None = Field(description="read as text: some titles are only digits")
    review_comment_message: str | None = Field(description='line breaks normalised to "\\n"')
    review_creation_date: datetime
    review_answer_timestamp: datetime


class Product(RawRow):
    """A product; category and the descriptive counts may be empty upstream."""

    table: ClassVar[str] = "products"
    source_file: ClassVar[str] = "olist_products_dataset.csv"
    primary_key: ClassVar[tuple[str, ...]] = ("product_id",)
    product_id: Md5Id
    product_category_name: str | None
    product_name_lenght: Count | None
    product_description_lenght: Count | None
    product_photos_qty: Count | None
    product_weight_g: Count | None
    product_length_cm: Count | None
    product_height_cm: Count | None
    product_width_cm: Count | None


class Seller(RawRow):
    """A marketplace seller and where it ships from."""

    table: ClassVar[str] = "sellers"
    source_file: ClassVar[str] = "olist_sellers_dataset.csv"
    primary_key: ClassVar[tuple[str, ...]] = ("seller_id",)
    seller_id: Md5Id
    seller_zip_code_prefix: ZipPrefix
    seller_city: City
    seller_state: State


class CategoryTranslation(RawRow):
    """Portuguese category name -> English (two categories used by products are missing upstream)."""

    table: ClassVar[str] = "category_translation"
    source_file: ClassVar[str] = "product_category_name_translation.csv"
    primary_key: ClassVar[tuple[str, ...]] = ("product_category_name",)
    product_category_name: str
    product_category_name_english: str


class Geolocation(RawRow):
    """Optional upstream table (many rows per zip prefix); written only when its file is present."""

    table: ClassVar[str] = "geolocation"
    source_file: ClassVar[str] = "olist_geolocation_dataset.csv"
    geolocation_zip_code_prefix: ZipPrefix
    geolocation_lat: float
    geolocation_lng: float
    geolocation_city: City
    geolocation_state: State


class B2wReview(RawRow):
    """A B2W-Reviews01 product review (Americanas.com, 2018); the text "null" upstream is null here."""

    table: ClassVar[str] = "b2w_reviews"
    source_file: ClassVar[str] = "B2W-Reviews01.csv"
    submission_date: datetime
    reviewer_id: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    product_id: str = Field(description="text: the full corpus has a non-numeric id")
    product_name: str | None
    product_brand: str | None
    site_category_lv1: str | None
    site_category_lv2: str | None
    review_title: str | None = Field(description="read as text: some titles are only digits")
    overall_rating: Annotated[int, Field(ge=1, le=5)]
    recommend_to_a_friend: bool | None = Field(description='upstream "Yes" / "No"')
    review_text: str | None
    reviewer_birth_year: int | None = Field(description="as given, implausible years (61, 2010) kept")
    reviewer_gender: Literal["M", "F"] | None
    reviewer_state: State | None


class Rejection(BaseModel):
    """One row dropped on purpose at ingest (data/raw/rejections.csv)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file: str
    line: int = Field(ge=1, description="physical line where the record starts (header = 1)")
    column: str
    reason: str
    row_key: str


OLIST_MODELS: tuple[type[RawRow], ...] = (
    Customer, Order, OrderItem, OrderPayment, OrderReview, Product, Seller, CategoryTranslation,
)
OPTIONAL_OLIST_MODELS: tuple[type[RawRow], ...] = (Geolocation,)
RAW_MODELS: dict[str, type[RawRow]] = {
    m.table: m for m in (*OLIST_MODELS, *OPTIONAL_OLIST_MODELS, B2wReview)
}
