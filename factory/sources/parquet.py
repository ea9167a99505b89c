"""Byte-stable Parquet for data/raw, written from a stream of Arrow batches one row group at a time.

Fixed writer options, Arrow schema only (no pandas metadata), row groups of ROW_GROUP rows, and
dictionary encoding only for the columns that repeat in the first DICTIONARY_PROBE rows (not ids,
texts). The bytes equal those of writing the whole table at once with the same options, while
memory holds at most one row group.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROW_GROUP = 1 << 20
DICTIONARY_PROBE = 10_000
OPTIONS = dict(compression="zstd", compression_level=1, write_statistics=True, data_page_size=1 << 20)


def repetitive_columns(head: pa.Table) -> list[str]:
    """Columns with few distinct values among `head` (dictionary encoding pays there)."""
    return [f.name for f, column in zip(head.schema, head.columns)
            if len(pc.unique(column)) * 2 < max(head.num_rows, 1)]


class ParquetSink:
    """Call with batches (in order), then `close()`; nothing is written before the first full
    row group or the close."""

    def __init__(self, path: str | Path, schema: pa.Schema):
        self.path, self.schema = Path(path), schema
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.writer: pq.ParquetWriter | None = None

    def __call__(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        while self.pending_rows >= ROW_GROUP:
            table = pa.Table.from_batches(self.pending, schema=self.schema)
            self._write(table.slice(0, ROW_GROUP))
            rest = table.slice(ROW_GROUP)
            self.pending, self.pending_rows = rest.to_batches(), rest.num_rows

    def _write(self, group: pa.Table) -> None:
        group = group.combine_chunks()
        if self.writer is None:
            dictionary = repetitive_columns(group.slice(0, DICTIONARY_PROBE))
            self.writer = pq.ParquetWriter(self.path, self.schema, use_dictionary=dictionary, **OPTIONS)
        self.writer.write_table(group, row_group_size=ROW_GROUP)

    def reset(self) -> None:
        """Drop what was received (and any row group already written): start the file again."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.path.unlink(missing_ok=True)
        self.pending, self.pending_rows = [], 0

    def close(self) -> None:
        if self.pending_rows or self.writer is None:
            self._write(pa.Table.from_batches(self.pending, schema=self.schema))
        self.pending, self.pending_rows = [], 0
        self.writer.close()

