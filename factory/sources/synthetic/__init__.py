"""The synthetic source: seeded Olist + B2W data written as upstream-format CSV files, which the
ingest then reads with the same reader as real files (one reading path)."""
from __future__ import annotations

from pathlib import Path

from factory.sources.synthetic import b2w, olist
from factory.sources.writer import write_csv
from schemas.raw import RAW_MODELS, B2wReview

B2W_FILE = "B2W-Reviews01.csv"


def write_csvs(seed: int, orders: int, b2w_reviews: int, out_dir: Path) -> Path:
    """Write the eight Olist CSVs and B2W-Reviews01.csv into `out_dir`; return the B2W path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, table in olist.generate(seed, orders).items():
        model = RAW_MODELS[name]
        write_csv(table, model, out_dir / model.source_file)
    reviews = b2w.generate(seed, b2w_reviews)
    path = out_dir / B2W_FILE
    write_csv(reviews, B2wReview, path, rows=b2w.csv_rows(reviews, b2w.spill_rows(reviews, seed)))
    return path
