"""Run Great Expectations suites on in-memory tables and turn the outcome into metrics and errors.

One suite per table, all in one checkpoint, so a single data-docs site under `docs_dir` shows them
together. A failed expectation is reported as `table.column: expectation (observed ...)`.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass
class TableCheck:
    """A table and the expectations it must meet."""

    table: str
    frame: pd.DataFrame
    expectations: list[Any]  # great_expectations.expectations.Expectation instances


@dataclass
class ExpectationOutcome:
    table: str
    expectation: str
    column: str | None
    success: bool
    observed: Any = None

    def describe(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.expectation} failed (observed: {self.observed})"


@dataclass
class ValidationReport:
    suite: str
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[str]:
        return [o.describe() for o in self.outcomes if not o.success]

    def to_metrics(self) -> dict[str, Any]:
        per_table: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            t = per_table.setdefault(o.table, {"evaluated": 0, "failed": 0})
            t["evaluated"] += 1
            t["failed"] += int(not o.success)
        return {
            "suite": self.suite,
            "success": self.success,
            "expectations_evaluated": len(self.outcomes),
            "expectations_failed": sum(not o.success for o in self.outcomes),
            "tables": per_table,
            "failures": self.failures,
        }


class ValidationFailed(RuntimeError):
    """Raised when at least one expectation fails; the message lists every failure."""

    def __init__(self, report: ValidationReport):
        self.report = report
        lines = "\n  ".join(report.failures)
        super().__init__(f"validation suite {report.suite!r} failed:\n  {lines}")


def _observed(result: dict[str, Any]) -> Any:
    if "observed_value" in result:
        return result["observed_value"]
    if "unexpected_count" in result:
        sample = result.get("partial_unexpected_list", [])[:5]
        return f"{result['unexpected_count']} unexpected, e.g. {sample}"
    return result or None


def _exception_messages(info: dict) -> set[str]:
    """GX nests exception info per metric; collect the messages at any depth."""
    if "exception_message" in info:
        return {str(info["exception_message"])} if info.get("raised_exception") else set()
    return {m for v in info.values() if isinstance(v, dict) for m in _exception_messages(v)}


def validate_tables(suite: str, checks: list[TableCheck], docs_dir: str | Path | None = None) -> ValidationReport:
    """Validate every table against its expectations; write GX data docs to `docs_dir` when given."""
    import great_expectations as gx

    workdir = Path(tempfile.mkdtemp(prefix="gx-"))
    try:
        ctx = gx.get_context(mode="file", project_root_dir=str(workdir)) if docs_dir else gx.get_context(mode="ephemeral")
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        source = ctx.data_sources.add_pandas(suite)
        definitions, frames = [], {}
        for check in checks:
            asset = source.add_dataframe_asset(check.table)
            batch = asset.add_batch_definition_whole_dataframe(check.table)
            gx_suite = ctx.suites.add(gx.ExpectationSuite(name=f"{suite}.{check.table}"))
            for expectation in check.expectations:  # copies: one expectation object may serve many tables
                gx_suite.add_expectation(expectation.copy(update={"id": None}))
            definitions.append(
                ctx.validation_definitions.add(gx.ValidationDefinition(name=check.table, data=batch, suite=gx_suite))
            )
            frames[check.table] = check.frame
        report = ValidationReport(suite)
        for check, definition in zip(checks, definitions):
            result = definition.run(batch_parameters={"dataframe": frames[check.table]}, result_format="SUMMARY")
            for r in result.results:
                cfg = r.expectation_config
                observed = _observed(dict(r.result))
                if observed is None and r.exception_info:
                    observed = "error: " + "; ".join(sorted(_exception_messages(r.exception_info)))
                report.outcomes.append(
                    ExpectationOutcome(check.table, cfg.type, cfg.kwargs.get("column"), bool(r.success), observed)
                )
        if docs_dir:
            ctx.build_data_docs()
            site = workdir / "gx" / "uncommitted" / "data_docs" / "local_site"
            docs_dir = Path(docs_dir)
            if docs_dir.exists():
                shutil.rmtree(docs_dir)
            docs_dir.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(site, docs_dir)
        return report
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
