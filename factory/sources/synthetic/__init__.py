"""The synthetic source: seeded Olist + B2W data written as upstream-format CSV files, which the
ingest then reads with the same reader as real files (one reading path)."""
from __future__ import annotations

from pathlib import Path

from factory.sources.synthetic import b2w, olist
from factory.sources.synthetic.pool import TextPool, default_workers
from factory.sources.writer import write_csv
from schemas.raw import RAW_MODELS, B2wReview

B2W_FILE = "B2W-Reviews01.csv"


def write_csvs(seed: int, orders: int, b2w_reviews: int, out_dir: Path, workers: int | None = None) -> Path:
    """Write the eight Olist CSVs and B2W-Reviews01.csv into `out_dir`; return the B2W path.

    The review texts are composed by `workers` processes (default: every CPU for large runs, this
    process alone for small ones) while this one writes the other tables; the bytes written do not
    depend on `workers`. Each table is written, then dropped, before the next is built."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with TextPool(default_workers(orders + b2w_reviews) if workers is None else workers) as pool:
        olist_tables = olist.iter_tables(seed, orders, pool)  # checks `orders` before any work
        b2w_table = b2w.start(seed, b2w_reviews, pool)  # its texts are composed first, meanwhile
        for name, table in olist_tables:
            model = RAW_MODELS[name]
            write_csv(table, model, out_dir / model.source_file)
            del table
        reviews = b2w_table()
    path = out_dir / B2W_FILE
    write_csv(reviews, B2wReview, path, replace=b2w.spilled_lines(reviews, b2w.spill_rows(reviews, seed)))
    return path
