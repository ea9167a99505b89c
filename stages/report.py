"""Stage report: reports/benchmark.md (task x model table), reports/worst_cases.md and the score plots."""
from __future__ import annotations

from factory.config import load_params
from factory import tasks  # noqa: F401  (registers every task: the built-ins and factory/tasks plugins)
from factory.scoring.report import ReportPaths, build_report


def main() -> None:
    paths = ReportPaths()
    build_report(load_params(), paths)
    print(f"wrote {paths.page}, {paths.worst_cases}, {paths.score_csv}, {paths.score_png}")


if __name__ == "__main__":
    main()
