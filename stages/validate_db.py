"""Stage validate_db: SQL expectation suites on data/raw and data/commerce.db (inside DuckDB); any
failed expectation stops repro. The readable report goes to reports/gx/commerce_db/index.html."""
import sys

from factory.reporting import write_stage_metrics
from factory.validation import ValidationFailed
from factory.validation.commerce import validate_commerce

RAW_DIR = "data/raw"
DB_PATH = "data/commerce.db"
DOCS_DIR = "reports/gx/commerce_db"


def main() -> int:
    report = validate_commerce(RAW_DIR, DB_PATH, docs_dir=DOCS_DIR)
    write_stage_metrics(report.to_metrics(), "validate_db")
    if not report.success:
        print(ValidationFailed(report), file=sys.stderr)
        return 1
    print(f"validate_db: {report.to_metrics()['expectations_evaluated']} expectations passed; report in {DOCS_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
