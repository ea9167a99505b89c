"""Stage validate_db: GX suites on data/raw and data/commerce.db; any failed expectation stops repro."""
import sys

import duckdb

from factory.io import write_json
from factory.validation import ValidationFailed, validate_tables
from factory.validation.commerce import db_checks, load_raw, raw_checks

RAW_DIR = "data/raw"
DB_PATH = "data/commerce.db"
DOCS_DIR = "reports/gx/commerce_db"
METRICS = "reports/metrics/validate_db.json"


def main() -> int:
    raw = load_raw(RAW_DIR)
    con = duckdb.connect(DB_PATH, read_only=True)
    try:
        checks = raw_checks(raw) + db_checks(con, {name: len(frame) for name, frame in raw.items()})
    finally:
        con.close()
    report = validate_tables("commerce_db", checks, docs_dir=DOCS_DIR)
    write_json(METRICS, report.to_metrics())
    if not report.success:
        print(ValidationFailed(report), file=sys.stderr)
        return 1
    print(f"validate_db: {report.to_metrics()['expectations_evaluated']} expectations passed; data docs in {DOCS_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
