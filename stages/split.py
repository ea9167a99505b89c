"""Stage split: by_task pools -> train/val/benchmark JSONL + HF DatasetDict, manifest and dataset card."""
import logging

from factory.config import load_params
from factory.prompts.build import split_pools

DB_PATH = "data/commerce.db"
PROMPTS_DIR = "data/prompts"
METRICS = "reports/metrics/split.json"


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    m = split_pools(load_params(), PROMPTS_DIR, DB_PATH, METRICS)
    sql, reviews = m["sql_templates"], m["review_text_overlap"]
    print(f"split: train {m['train']['total']}, val {m['val']['total']}, benchmark {m['benchmark']['total']}; "
          f"leakage {m['leakage']}; near-duplicates removed {m['near_duplicates_removed']}; "
          f"benchmark SQL from seen templates {sql['benchmark_sql_from_seen_templates']} of {sql['benchmark_sql_prompts']}; "
          f"benchmark reviews seen verbatim {reviews['benchmark_reviews_seen_verbatim']} of {reviews['benchmark_reviews']}")


if __name__ == "__main__":
    main()
