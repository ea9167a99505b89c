"""Data validation: Great Expectations 1.x suites over pandas frames, with data docs and metrics."""
from factory.validation.gx import TableCheck, ValidationFailed, ValidationReport, validate_tables

__all__ = ["TableCheck", "ValidationFailed", "ValidationReport", "validate_tables"]
