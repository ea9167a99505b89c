"""Stage prompts@<task>: data/commerce.db -> data/prompts/by_task/<task>.jsonl (one DVC foreach item per task)."""
import argparse
import logging

from factory.config import load_params
from factory.prompts.build import generate_task

DB_PATH = "data/commerce.db"
OUT_DIR = "data/prompts"
METRICS_DIR = "reports/metrics/prompts"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("task")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    report = generate_task(args.task, load_params(), DB_PATH, OUT_DIR, METRICS_DIR)
    print(f"prompts@{args.task}: {report['records']} candidates {report['kept_per_stratum']}; "
          f"rejected {sum(report['rejected'].values())}")
    if "gold" in report:  # the review tasks: human curation (factory.prompts.curation)
        gold = report["gold"]
        print(f"prompts@{args.task}: gold reviews kept out {gold['excluded']} of {gold['entries']}; "
              f"label overrides applied {report['overrides']['applied']} of {report['overrides']['entries']} "
              f"({report['overrides']['in_records']} in the pool)")


if __name__ == "__main__":
    main()
