"""DVC stage `ingest`: params.yaml `data` -> data/raw/*.parquet, rejections.csv, metrics.

A malformed input ends the stage with exit code 1 and one line naming file, line and column;
data/raw is then left as it was.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from factory.config import load_params
from factory.reporting import write_stage_metrics
from factory.sources import SourceError, diversity, ingest

RAW_DIR = Path("data/raw")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        metrics = ingest(load_params()["data"], RAW_DIR)
    except SourceError as exc:
        print(f"ingest failed: {exc}", file=sys.stderr)
        return 1
    metrics["text_diversity"] = diversity.report(RAW_DIR)  # this data's review texts next to the real sample's
    write_stage_metrics(metrics, "ingest")
    rows = ", ".join(f"{name} {n}" for name, n in metrics["rows"].items())
    print(f"ingest ({metrics['source']}): {rows}; rejected {metrics['rejected']['total']}, "
          f"repaired {metrics['repaired']['total']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
