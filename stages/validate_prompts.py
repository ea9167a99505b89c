"""Stage validate_prompts: pydantic + GX suite over the prompt sets (a failure stops repro), then sample pages."""
import sys
from pathlib import Path

from factory.config import load_params
from common.io import read_jsonl, write_text
from factory.reporting import write_stage_metrics
from factory.prompts.publish import SPLIT_FILES
from factory.prompts.show import sample_page
from factory.prompts.validate import check_prompt_sets
from factory.validation import ValidationFailed
from schemas.tasks import TASKS

PROMPTS_DIR = "data/prompts"
DB_PATH = "data/commerce.db"
DOCS_DIR = "reports/gx/prompts"
PAGES_DIR = "reports/prompts"


def main() -> int:
    report, extra = check_prompt_sets(PROMPTS_DIR, DB_PATH, load_params(), docs_dir=DOCS_DIR)
    write_stage_metrics({**report.to_metrics(), **extra}, "validate_prompts")
    if extra["record_errors"]:
        print(f"validate_prompts: {extra['record_errors']} invalid records:\n  " + "\n  ".join(extra["record_error_examples"]),
              file=sys.stderr)
        return 1
    if not report.success:
        print(ValidationFailed(report), file=sys.stderr)
        return 1
    splits = {name: read_jsonl(Path(PROMPTS_DIR) / file) for name, file in SPLIT_FILES.items()}
    for task in TASKS:
        write_text(Path(PAGES_DIR) / f"{task}.md", sample_page(task, splits))
    print(f"validate_prompts: {extra['records_validated']} records, {extra['sql_gold_checked']} SQL golds re-executed, "
          f"{report.to_metrics()['expectations_evaluated']} expectations passed; samples in {PAGES_DIR}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
