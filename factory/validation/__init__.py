"""Data validation: SQL expectation suites inside DuckDB (commerce.db) and Great Expectations 1.x
suites over pandas frames (prompt sets), both reported as `ValidationReport` with a readable page."""
from factory.validation.gx import TableCheck, validate_tables
from factory.validation.report import ExpectationOutcome, ValidationFailed, ValidationReport

__all__ = ["ExpectationOutcome", "TableCheck", "ValidationFailed", "ValidationReport", "validate_tables"]
