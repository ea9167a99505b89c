"""Reader details beyond the samples: optional geolocation, column order, the publisher's B2W
layout (14 columns, ';'), whole numbers written as floats, and line-break normalisation."""
from __future__ import annotations

import shutil

import pyarrow.parquet as pq

from factory.sources import ingest
from factory.sources.reader import read_b2w, read_olist_table
from schemas.raw import B2wReview, Geolocation, OrderReview, Seller

from .conftest import olist

GEOLOCATION = (
    '"geolocation_zip_code_prefix","geolocation_lat","geolocation_lng","geolocation_city","geolocation_state"\n'
    '"01037",-23.54562128115268,-46.63929204800168,sao paulo,SP\n'
    '"01046",-23.546081127035535,-46.64482029837157,são paulo,SP\n'
)


def test_geolocation_is_read_when_present(tmp_path, small_csv_dir):
    d = tmp_path / "csv"
    shutil.copytree(small_csv_dir, d)
    (d / Geolocation.source_file).write_text(GEOLOCATION, encoding="utf-8")
    metrics = ingest(olist(d), tmp_path / "raw")
    assert metrics["rows"]["geolocation"] == 2
    table = pq.read_table(tmp_path / "raw" / "geolocation.parquet").to_pylist()
    assert table[0]["geolocation_zip_code_prefix"] == "01037"
    assert table[1]["geolocation_city"] == "são paulo" and table[1]["geolocation_lat"] == -23.546081127035535


def test_columns_in_another_order_are_read_by_name(tmp_path):
    path = tmp_path / Seller.source_file
    path.write_text('"seller_state","seller_id","seller_city","seller_zip_code_prefix"\n'
                    'SP,' + "a" * 32 + ',sao paulo,"01001"\n', encoding="utf-8")
    table, _ = read_olist_table(path, Seller)
    assert table.column_names == list(Seller.model_fields)
    assert table.to_pylist()[0] == {"seller_id": "a" * 32, "seller_zip_code_prefix": "01001",
                                    "seller_city": "sao paulo", "seller_state": "SP"}


def test_line_breaks_in_comments_become_newlines(tmp_path):
    path = tmp_path / OrderReview.source_file
    path.write_bytes(b'"review_id","order_id","review_score","review_comment_title","review_comment_message",'
                     b'"review_creation_date","review_answer_timestamp"\r\n'
                     b'"' + b"a" * 32 + b'","' + b"b" * 32 + b'",1,,"linha 1\r\nlinha 2\rlinha 3",'
                     b'2018-01-01 00:00:00,2018-01-02 10:00:00\r\n')
    table, _ = read_olist_table(path, OrderReview)
    assert table.column("review_comment_message")[0].as_py() == "linha 1\nlinha 2\nlinha 3"


def test_b2w_publisher_layout_semicolons_14_columns_and_float_years(tmp_path):
    header = ";".join(f'"{c}"' for c in B2wReview.model_fields)
    row = ('"2018-01-01 00:11:28";"' + "c" * 64 + '";20180316-4;"Caneca; azul";"null";"Casa";"null";'
           '"Boa";5;"Yes";"Gostei, chegou rápido";1980.0;"F";"SP"')
    path = tmp_path / "B2W-Reviews01.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    result = read_b2w(path)
    assert result.rejections == [] and result.repaired_lines == []
    (record,) = result.table.to_pylist()
    assert record["product_id"] == "20180316-4" and record["product_name"] == "Caneca; azul"
    assert record["product_brand"] is None and record["reviewer_birth_year"] == 1980
    assert record["recommend_to_a_friend"] is True and record["review_text"] == "Gostei, chegou rápido"
