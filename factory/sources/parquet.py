"""Byte-stable Parquet for data/raw, written from a stream of Arrow batches one row group at a time.

Fixed writer options, Arrow schema only (no pandas metadata), row groups of ROW_GROUP rows, and
dictionary encoding only for the columns that repeat in the first DICTIONARY_PROBE rows (not ids,
texts). The bytes equal those of writing the whole table at once with the same options, while
memory holds a bounded number of row groups (one being filled, MAX_QUEUED waiting for the writer).
"""
from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROW_GROUP = 1 << 20
DICTIONARY_PROBE = 10_000
MAX_QUEUED = 2  # row groups of one file waiting for the writer thread, at most
OPTIONS = dict(compression="zstd", compression_level=1, write_statistics=True, data_page_size=1 << 20)


def repetitive_columns(head: pa.Table) -> list[str]:
    """Columns with few distinct values among `head` (dictionary encoding pays there)."""
    return [f.name for f, column in zip(head.schema, head.columns)
            if len(pc.unique(column)) * 2 < max(head.num_rows, 1)]


class ParquetSink:
    """Call with batches (in order), then `close()`; nothing is written before the first full
    row group or the close.

    With `writes` (an executor with ONE worker, shared by the sinks of a run) the encoding and
    writing run on that worker, in submission order, while the caller reads on: `close()` then
    only queues the last row group and the footer, and `wait()` returns once the file is complete
    (re-raising a failed write). The row groups handed to the writer are the same either way, so
    are the bytes."""

    def __init__(self, path: str | Path, schema: pa.Schema, writes: Executor | None = None):
        self.path, self.schema = Path(path), schema
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.writer: pq.ParquetWriter | None = None
        self.writes, self.queued = writes, []

    def __call__(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        while self.pending_rows >= ROW_GROUP:
            table = pa.Table.from_batches(self.pending, schema=self.schema)
            self._queue(self._write, table.slice(0, ROW_GROUP))
            rest = table.slice(ROW_GROUP)
            self.pending, self.pending_rows = rest.to_batches(), rest.num_rows

    def _queue(self, task, *args) -> None:
        if self.writes is None:
            task(*args)
            return
        while len(self.queued) >= MAX_QUEUED:  # memory holds a bounded number of row groups
            self.queued.pop(0).result()
        self.queued.append(self.writes.submit(task, *args))

    def _write(self, group: pa.Table) -> None:
        group = group.combine_chunks()
        if self.writer is None:
            dictionary = repetitive_columns(group.slice(0, DICTIONARY_PROBE))
            self.writer = pq.ParquetWriter(self.path, self.schema, use_dictionary=dictionary, **OPTIONS)
        self.writer.write_table(group, row_group_size=ROW_GROUP)

    def _finish(self, group: pa.Table | None) -> None:
        if group is not None:
            self._write(group)
        self.writer.close()

    def wait(self) -> None:
        """Until every queued write is done (re-raises the first that failed)."""
        queued, self.queued = self.queued, []
        for future in queued:
            future.result()

    def reset(self) -> None:
        """Drop what was received (and any row group already written): start the file again."""
        try:
            self.wait()
        finally:
            if self.writer is not None:
                self.writer.close()
                self.writer = None
            self.path.unlink(missing_ok=True)
            self.pending, self.pending_rows = [], 0

    def close(self) -> None:
        last = None
        if self.pending_rows or (self.writer is None and not self.queued):
            last = pa.Table.from_batches(self.pending, schema=self.schema)
        self.pending, self.pending_rows = [], 0
        self._queue(self._finish, last)
