"""Expectations evaluated as SQL inside DuckDB, in Great Expectations' vocabulary and semantics.

Each expectation mirrors the GX one of the same name (`mostly`, nulls ignored by value checks,
`N unexpected, e.g. [...]` as the observed value), but runs as a query over a DuckDB table or view,
so checking a table costs a scan inside DuckDB instead of loading it into pandas (and GX's import
alone takes seconds). The row-wise checks of one table share one aggregate scan.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from factory.duck import ident, literal
from factory.validation.report import ExpectationOutcome, ValidationReport

SAMPLE = 5  # unexpected values shown per failure


def _sql_value(value: Any) -> str:
    return literal(value) if isinstance(value, str) else repr(value)


@dataclass(frozen=True)
class RowCheck:
    """A per-row expectation: `unexpected` is a SQL condition on the row; rows where `column` is
    NULL are left out unless `count_nulls` (GX: only the null expectations look at nulls)."""

    type: str
    column: str
    unexpected: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    mostly: float = 1.0
    count_nulls: bool = False

    def considered(self) -> str:
        return "true" if self.count_nulls else f"{ident(self.column)} IS NOT NULL"


@dataclass(frozen=True)
class RowCount:
    """expect_table_row_count_to_be_between / _to_equal."""

    minimum: int | None = None
    maximum: int | None = None

    @property
    def type(self) -> str:
        equal = self.minimum is not None and self.minimum == self.maximum
        return "expect_table_row_count_to_equal" if equal else "expect_table_row_count_to_be_between"

    @property
    def kwargs(self) -> dict[str, Any]:
        if self.type == "expect_table_row_count_to_equal":
            return {"value": self.minimum}
        return {"min_value": self.minimum, "max_value": self.maximum}


@dataclass(frozen=True)
class Unique:
    """expect_column_values_to_be_unique (one column) / expect_compound_columns_to_be_unique:
    every row whose (non-null) value occurs more than once is unexpected."""

    columns: tuple[str, ...]

    @property
    def type(self) -> str:
        return "expect_column_values_to_be_unique" if len(self.columns) == 1 else "expect_compound_columns_to_be_unique"


@dataclass(frozen=True)
class InTable:
    """Referential integrity: every non-null value of `column` is a `parent_column` of `parent`."""

    column: str
    parent: str
    parent_column: str
    type: str = "expect_column_values_to_be_in_table"


Expectation = RowCheck | RowCount | Unique | InTable


def not_null(column: str, mostly: float = 1.0) -> RowCheck:
    return RowCheck("expect_column_values_to_not_be_null", column, f"{ident(column)} IS NULL",
                    mostly=mostly, count_nulls=True)


def null(column: str) -> RowCheck:
    return RowCheck("expect_column_values_to_be_null", column, f"{ident(column)} IS NOT NULL", count_nulls=True)


def in_set(column: str, values: list, mostly: float = 1.0) -> RowCheck:
    listed = ", ".join(map(_sql_value, values))
    return RowCheck("expect_column_values_to_be_in_set", column, f"{ident(column)} NOT IN ({listed})",
                    {"value_set": values}, mostly)


def between(column: str, low: float | None = None, high: float | None = None, mostly: float = 1.0) -> RowCheck:
    bounds = [f"{ident(column)} < {low!r}"] * (low is not None) + [f"{ident(column)} > {high!r}"] * (high is not None)
    return RowCheck("expect_column_values_to_be_between", column, " OR ".join(bounds) or "false",
                    {"min_value": low, "max_value": high}, mostly)


def match_regex(column: str, regex: str) -> RowCheck:
    return RowCheck("expect_column_values_to_match_regex", column,
                    f"NOT regexp_matches(CAST({ident(column)} AS VARCHAR), {literal(regex)})", {"regex": regex})


def unique(*columns: str) -> Unique:
    return Unique(tuple(columns))


def unique_not_null(column: str) -> list[Expectation]:
    return [not_null(column), unique(column)]


@dataclass(frozen=True)
class TableSuite:
    """A table (its name in reports and in SQL) and the expectations it must meet."""

    table: str
    expectations: list[Expectation]


def _observed(unexpected: int, sample: list) -> str:
    return f"{unexpected} unexpected, e.g. {sample}"


def _sample(con: duckdb.DuckDBPyConnection, select: str) -> list:
    return [row[0] if len(row) == 1 else list(row) for row in con.execute(f"{select} LIMIT {SAMPLE}").fetchall()]


def _row_checks(con: duckdb.DuckDBPyConnection, table: str, checks: list[RowCheck | RowCount]) -> list[tuple[bool, Any]]:
    """Every row check and row count of one table from one aggregate scan (samples only on failure)."""
    aggregates = ["count(*)"]
    for c in checks:
        if isinstance(c, RowCheck):
            aggregates += [f"count(*) FILTER (WHERE {c.considered()})",
                           f"count(*) FILTER (WHERE {c.considered()} AND coalesce({c.unexpected}, false))"]
    values = con.execute(f"SELECT {', '.join(aggregates)} FROM {table}").fetchall()[0]
    total, at, results = values[0], 1, []
    for c in checks:
        if isinstance(c, RowCount):
            ok = (c.minimum is None or total >= c.minimum) and (c.maximum is None or total <= c.maximum)
            results.append((ok, total))
            continue
        considered, unexpected = values[at], values[at + 1]
        at += 2
        ok = considered == 0 or (1 - unexpected / considered) >= c.mostly
        sample = [] if unexpected == 0 else _sample(
            con, f"SELECT {ident(c.column)} FROM {table} WHERE {c.considered()} AND coalesce({c.unexpected}, false)")
        results.append((ok, _observed(unexpected, sample)))
    return results


def _unique(con: duckdb.DuckDBPyConnection, table: str, check: Unique) -> tuple[bool, Any]:
    cols = ", ".join(map(ident, check.columns))
    present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in check.columns)
    repeated = f"SELECT {cols}, count(*) AS n FROM {table} WHERE {present} GROUP BY ALL HAVING count(*) > 1"
    unexpected = con.execute(f"SELECT coalesce(sum(n), 0) FROM ({repeated})").fetchall()[0][0]
    sample = [] if unexpected == 0 else _sample(con, f"SELECT {cols} FROM ({repeated}) ORDER BY n DESC, {cols}")
    return unexpected == 0, _observed(int(unexpected), sample)


def _in_table(con: duckdb.DuckDBPyConnection, table: str, check: InTable) -> tuple[bool, Any]:
    col = ident(check.column)
    orphans = (f"SELECT c.{col} FROM {table} c ANTI JOIN {check.parent} p ON c.{col} = p.{ident(check.parent_column)} "
               f"WHERE c.{col} IS NOT NULL")
    unexpected = con.execute(f"SELECT count(*) FROM ({orphans})").fetchall()[0][0]
    sample = [] if unexpected == 0 else _sample(con, f"SELECT * FROM ({orphans}) ORDER BY 1")
    return unexpected == 0, _observed(unexpected, sample)


def _column(e: Expectation) -> str | None:
    if isinstance(e, (RowCheck, InTable)):
        return e.column
    if isinstance(e, Unique):
        return e.columns[0] if len(e.columns) == 1 else None
    return None


def _kwargs(e: Expectation) -> dict[str, Any]:
    if isinstance(e, RowCheck):
        return {**e.kwargs, **({"mostly": e.mostly} if e.mostly < 1 else {})}
    if isinstance(e, Unique):
        return {"column_list": list(e.columns)} if len(e.columns) > 1 else {}
    if isinstance(e, InTable):
        return {"table": e.parent, "column": e.parent_column}
    return e.kwargs


def validate(con: duckdb.DuckDBPyConnection, suite: str, suites: list[TableSuite]) -> ValidationReport:
    """Evaluate every table's expectations (in the order given) on `con`; never raises on a failure."""
    report = ValidationReport(suite)
    for s in suites:
        scanned = [e for e in s.expectations if isinstance(e, (RowCheck, RowCount))]
        row_results = dict(zip(map(id, scanned), _row_checks(con, s.table, scanned)))
        for e in s.expectations:
            if isinstance(e, Unique):
                ok, observed = _unique(con, s.table, e)
            elif isinstance(e, InTable):
                ok, observed = _in_table(con, s.table, e)
            else:
                ok, observed = row_results[id(e)]
            report.outcomes.append(ExpectationOutcome(s.table, e.type, _column(e), bool(ok), observed, _kwargs(e)))
    return report
