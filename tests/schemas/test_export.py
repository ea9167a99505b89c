"""The committed JSON Schema files match the pydantic models (run `python -m schemas.export`)."""
from __future__ import annotations

import json

from schemas import export


def test_committed_schema_files_are_up_to_date():
    assert export.stale_files() == [], "run: python -m schemas.export"


def test_every_model_of_the_three_modules_is_exported():
    names = set(export.exported_models())
    assert {"Order", "OrderReview", "B2wReview", "Rejection", "PromptRecord", "Message",
            "ExtractionTruth", "SqlTruth"} <= names
    assert not any(n.startswith("_") for n in names) and "RawRow" not in names


def test_check_detects_a_stale_missing_or_extra_file(tmp_path):
    export.write(tmp_path)
    assert export.stale_files(tmp_path) == []
    (tmp_path / "Order.schema.json").write_text("{}", encoding="utf-8")
    (tmp_path / "Seller.schema.json").unlink()
    (tmp_path / "Gone.schema.json").write_text("{}", encoding="utf-8")
    assert export.stale_files(tmp_path) == ["Gone.schema.json", "Order.schema.json", "Seller.schema.json"]
    export.write(tmp_path)
    assert export.stale_files(tmp_path) == []


def test_raw_schemas_document_table_file_key_and_column_order():
    schema = json.loads((export.JSON_DIR / "OrderItem.schema.json").read_text(encoding="utf-8"))
    assert schema["x-table"] == "order_items"
    assert schema["x-source-file"] == "olist_order_items_dataset.csv"
    assert schema["x-primary-key"] == ["order_id", "order_item_id"]
    assert schema["x-columns"][:3] == ["order_id", "order_item_id", "product_id"]


def test_main_check_exit_codes(capsys):
    assert export.main(["--check"]) == 0
