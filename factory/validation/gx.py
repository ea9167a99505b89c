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
    """Validate every table against its expectations; write GX data docs to `docs_dir` when given.

    An ephemeral context keeps the run fast (a file context rewrites its YAML config on every call);
    the data-docs site is a filesystem site built into a temporary folder and moved into place.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = ctx.data_sources.add_pandas(suite)
    definitions = []
    for check in checks:
        batch = source.add_dataframe_asset(check.table).add_batch_definition_whole_dataframe(check.table)
        gx_suite = ctx.suites.add(gx.ExpectationSuite(name=f"{suite}.{check.table}"))
        for expectation in check.expectations:  # copies: one expectation object may serve many tables
            gx_suite.add_expectation(expectation.copy(update={"id": None}))
        definitions.append(
            ctx.validation_definitions.add(gx.ValidationDefinition(name=check.table, data=batch, suite=gx_suite))
        )
    report = ValidationReport(suite)
    for check, definition in zip(checks, definitions):
        result = definition.run(batch_parameters={"dataframe": check.frame}, result_format="SUMMARY")
        for r in result.results:
            cfg = r.expectation_config
            observed = _observed(dict(r.result))
            if observed is None and r.exception_info:
                observed = "error: " + "; ".join(sorted(_exception_messages(r.exception_info)))
            report.outcomes.append(
                ExpectationOutcome(check.table, cfg.type, cfg.kwargs.get("column"), bool(r.success), observed)
            )
    if docs_dir:
        _build_docs(ctx, Path(docs_dir))
    return report


def _build_docs(ctx, docs_dir: Path) -> None:
    docs_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".gx-docs-", dir=docs_dir.parent) as tmp:
        site = Path(tmp).resolve() / "site"
        for name in ctx.get_site_names():  # only our filesystem site, nothing written elsewhere
            ctx.delete_data_docs_site(name)
        ctx.add_data_docs_site(site_name="local_site", site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        ctx.build_data_docs()
        if docs_dir.exists():
            shutil.rmtree(docs_dir)
        os.replace(site, docs_dir)
