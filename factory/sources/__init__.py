"""Sources of raw data: the synthetic generator and the real Olist / B2W-Reviews01 files, read
by one reader into typed tables (schemas/raw.py) and written to data/raw/ by `ingest`."""
from __future__ import annotations

from factory.sources.errors import SourceError
from factory.sources.ingest import ingest

__all__ = ["SourceError", "ingest"]
