"""Stage build_db: data/raw/*.parquet -> data/commerce.db (+ orders_enriched, customer_features)."""
from factory import db
from factory.reporting import write_stage_metrics

RAW_DIR = "data/raw"
DB_PATH = "data/commerce.db"


def main() -> None:
    summary = db.build(RAW_DIR, DB_PATH)
    write_stage_metrics(summary, "build_db")
    print(f"build_db: {DB_PATH} with {summary['rows']}")


if __name__ == "__main__":
    main()
