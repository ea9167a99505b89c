"""The outcome of a validation run, whatever ran it (GX or the SQL suites): metrics, the error text
`table.column: expectation failed (observed ...)`, and a readable HTML page of every result."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.io import atomic_path


@dataclass
class ExpectationOutcome:
    table: str
    expectation: str
    column: str | None
    success: bool
    observed: Any = None
    kwargs: dict[str, Any] = field(default_factory=dict)

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


_STYLE = ("body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;width:100%;"
          "margin-bottom:2em}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top;"
          "font-size:.9em}tr.fail{background:#fdd}tr.pass td.r{color:#070}code{font-size:.95em}")


def _cell(value: Any) -> str:
    return html.escape(str(value))


def render_html(report: ValidationReport) -> str:
    """One self-contained page: a summary, then per table every expectation and its result.
    Deterministic (no timestamps), so an unchanged result gives the same bytes."""
    metrics = report.to_metrics()
    verdict = "passed" if report.success else f"FAILED ({metrics['expectations_failed']} failed)"
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_cell(report.suite)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>Validation: {_cell(report.suite)}</h1>",
             f"<p>{metrics['expectations_evaluated']} expectations on {len(metrics['tables'])} tables: "
             f"<b>{verdict}</b>.</p>"]
    if report.failures:
        parts.append("<h2>Failures</h2><ul>" + "".join(f"<li><code>{_cell(f)}</code></li>" for f in report.failures)
                     + "</ul>")
    parts.append("<h2>Tables</h2><ul>" + "".join(
        f"<li><a href='#{_cell(t)}'>{_cell(t)}</a>: {c['evaluated']} evaluated, {c['failed']} failed</li>"
        for t, c in metrics["tables"].items()) + "</ul>")
    for table in metrics["tables"]:
        rows = [o for o in report.outcomes if o.table == table]
        parts.append(f"<h3 id='{_cell(table)}'>{_cell(table)}</h3><table><tr><th>column</th><th>expectation</th>"
                     "<th>arguments</th><th>result</th><th>observed</th></tr>")
        for o in rows:
            args = ", ".join(f"{k}={v}" for k, v in o.kwargs.items())
            parts.append(f"<tr class='{'pass' if o.success else 'fail'}'><td>{_cell(o.column or '')}</td>"
                         f"<td><code>{_cell(o.expectation)}</code></td><td>{_cell(args)}</td>"
                         f"<td class='r'>{'passed' if o.success else 'FAILED'}</td><td>{_cell(o.observed)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_docs(report: ValidationReport, docs_dir: str | Path) -> None:
    """Replace `docs_dir` with a folder holding index.html (atomically)."""
    with atomic_path(docs_dir) as tmp:
        tmp.mkdir()
        (tmp / "index.html").write_text(render_html(report), encoding="utf-8")
