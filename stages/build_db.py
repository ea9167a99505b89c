"""Stage build_db: data/raw/*.parquet -> data/commerce.db (+ orders_enriched, customer_features)."""
from factory import db
from factory.io import write_json

RAW_DIR = "data/raw"
DB_PATH = "data/commerce.db"
METRICS = "reports/metrics/build_db.json"


def main() -> None:
    summary = db.build(RAW_DIR, DB_PATH)
    write_json(METRICS, summary)
    print(f"build_db: {DB_PATH} with {summary['rows']}")


if __name__ == "__main__":
    main()
