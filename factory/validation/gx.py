"""Run Great Expectations suites on in-memory (pandas) tables and turn the outcome into a report.

One suite per table, all in one checkpoint, so a single data-docs site under `docs_dir` shows them
together. A failed expectation is reported as `table.column: expectation (observed ...)`. Used for
the prompt sets; the commerce.db suites run as SQL inside DuckDB (factory/validation/sql.py).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.io import atomic_path
from factory.validation.report import ExpectationOutcome, ValidationFailed, ValidationReport

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TableCheck", "ExpectationOutcome", "ValidationFailed", "ValidationReport", "validate_tables"]

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass
class TableCheck:
    """A table and the expectations it must meet."""

    table: str
    frame: pd.DataFrame
    expectations: list[Any]  # great_expectations.expectations.Expectation instances


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
    with atomic_path(docs_dir) as tmp:
        site = tmp.resolve()
        for name in ctx.get_site_names():  # only our filesystem site, nothing written elsewhere
            ctx.delete_data_docs_site(name)
        ctx.add_data_docs_site(site_name="local_site", site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        ctx.build_data_docs()
