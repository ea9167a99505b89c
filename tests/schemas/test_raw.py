"""schemas/raw.py is the contract of data/raw/: the Parquet files it describes validate against it,
and the Arrow schema derived from it has the contract's types."""
from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from factory.sources import ingest
from factory.sources.columns import arrow_schema, column_specs
from schemas.raw import OLIST_MODELS, RAW_MODELS, B2wReview, Order, OrderItem, Product


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("raw_schema") / "raw"
    ingest({"source": "synthetic", "synthetic": {"seed": 5, "orders": 300, "b2w_reviews": 100}}, out)
    return out


@pytest.mark.parametrize("name", [m.table for m in OLIST_MODELS] + [B2wReview.table])
def test_parquet_rows_validate_against_the_models(raw_dir, name):
    table = pq.read_table(raw_dir / f"{name}.parquet")
    model = RAW_MODELS[name]
    assert table.column_names == list(model.model_fields)
    for row in table.to_pylist():
        model.model_validate(row)


def test_contract_types():
    schema = arrow_schema(Order)
    assert schema.field("order_purchase_timestamp").type == pa.timestamp("us")
    assert not schema.field("order_id").nullable and schema.field("order_approved_at").nullable
    assert arrow_schema(OrderItem).field("price").type == pa.float64()
    assert arrow_schema(OrderItem).field("order_item_id").type == pa.int64()
    assert arrow_schema(Product).field("product_weight_g").nullable
    assert arrow_schema(B2wReview).field("recommend_to_a_friend").type == pa.bool_()
    specs = {s.name: s for s in column_specs(B2wReview)}
    assert specs["reviewer_gender"].allowed == ("M", "F") and specs["overall_rating"].maximum == 5


def test_models_reject_bad_rows():
    good = {"order_id": "a" * 32, "customer_id": "b" * 32, "order_status": "delivered",
            "order_purchase_timestamp": datetime(2017, 1, 1), "order_approved_at": None,
            "order_delivered_carrier_date": None, "order_delivered_customer_date": None,
            "order_estimated_delivery_date": datetime(2017, 1, 20)}
    Order.model_validate(good)
    for change in ({"order_status": "lost"}, {"order_id": "XYZ"}, {"extra": 1}):
        with pytest.raises(ValidationError):
            Order.model_validate(good | change)
