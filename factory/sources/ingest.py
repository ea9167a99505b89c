"""Ingest: the chosen source (synthetic or the real Olist/B2W files) -> typed Parquet in data/raw/.

Everything is written into a temporary folder beside the target and renamed over it only when
all of it succeeded, so a failed or killed run leaves a previous good data/raw untouched (and the
next run removes what a killed one left). Each file streams through one DuckDB session (bounded
memory, spilling into the temporary folder) into its Parquet file.
"""
from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
from tqdm import tqdm

from factory import duck
from common.io import atomic_path, crash_point
from factory.sources.columns import arrow_schema
from factory.sources.errors import SourceError
from factory.sources.parquet import ParquetSink
from factory.sources.reader import B2wResult, stream_b2w, stream_olist_table
from factory.sources.synthetic import write_csvs
from schemas.raw import OLIST_MODELS, OPTIONAL_OLIST_MODELS, B2wReview, Rejection

log = logging.getLogger(__name__)

SYNTHETIC_DIR = "synthetic_csv"
REJECTIONS_FILE = "rejections.csv"


def ingest_olist_dir(con: duckdb.DuckDBPyConnection, olist_dir: Path, out_dir: Path,
                     writes: Executor | None = None) -> tuple[dict[str, int], dict[str, str]]:
    """Read every Olist table in `olist_dir` (geolocation only if present) and write it to
    `out_dir` as Parquet, one file at a time; return row counts and file hashes. With `writes`
    (one worker), a file's Parquet is written there while the next file is read: every file is
    complete when this returns."""
    models = [*OLIST_MODELS, *(m for m in OPTIONAL_OLIST_MODELS if (olist_dir / m.source_file).exists())]
    rows, inputs, sinks = {}, {}, []
    try:
        for model in tqdm(models, desc="ingest", unit="file", disable=None):
            sink = ParquetSink(out_dir / f"{model.table}.parquet", arrow_schema(model), writes)
            sinks.append(sink)
            rows[model.table], inputs[model.source_file] = stream_olist_table(con, olist_dir / model.source_file, model, sink)
            sink.close()
            crash_point(f"ingest:{model.table}")
    except BaseException:
        for sink in sinks:  # let the queued writes finish (into the temporary folder) before it goes
            try:
                sink.wait()
            except Exception:
                pass
        raise
    for sink in sinks:
        sink.wait()
    return rows, inputs


def ingest_b2w(con: duckdb.DuckDBPyConnection, b2w_path: Path | None, out_dir: Path) -> B2wResult | None:
    """The B2W file (or none: an empty table) -> b2w_reviews.parquet."""
    sink = ParquetSink(out_dir / f"{B2wReview.table}.parquet", arrow_schema(B2wReview))
    result = None
    if b2w_path is None:
        log.info("data.b2w_path is not set: b2w_reviews.parquet is written with 0 rows")
    else:
        result = stream_b2w(con, b2w_path, sink)
    sink.close()
    crash_point(f"ingest:{B2wReview.table}")
    return result


def rejections_csv(rejections: list[Rejection]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(Rejection.model_fields))
    for r in sorted(rejections, key=lambda r: (r.file, r.line)):
        writer.writerow([r.file, r.line, r.column, r.reason, r.row_key])
    return buffer.getvalue()


def _sources(params_data: dict[str, Any], tmp: Path) -> tuple[Path, Path | None]:
    """The Olist folder and B2W file to read (writing the synthetic CSVs first if asked to)."""
    source = params_data.get("source")
    if source == "synthetic":
        syn = params_data["synthetic"]
        b2w = write_csvs(int(syn["seed"]), int(syn["orders"]), int(syn["b2w_reviews"]), tmp / SYNTHETIC_DIR)
        return tmp / SYNTHETIC_DIR, b2w
    if source == "olist":
        if not params_data.get("olist_dir"):
            raise SourceError("params.yaml", "data.olist_dir must name the folder with the Olist CSVs",
                              column="data.olist_dir")
        olist_dir = Path(params_data["olist_dir"])
        if not olist_dir.is_dir():
            raise SourceError(str(olist_dir), "data.olist_dir is not a folder", column="data.olist_dir")
        b2w = params_data.get("b2w_path")
        return olist_dir, Path(b2w) if b2w else None
    raise SourceError("params.yaml", f"data.source must be 'synthetic' or 'olist', not {source!r}",
                      column="data.source")


def ingest(params_data: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Read the source named in params `data`, write data/raw-style Parquet into `out_dir`
    (atomically) and return the metrics. Raises SourceError on a malformed or missing input."""
    out_dir = Path(out_dir)
    with atomic_path(out_dir) as tmp:
        tmp.mkdir()
        olist_dir, b2w_path = _sources(params_data, tmp)
        crash_point("ingest:sources")
        with duck.connect(scratch_dir=tmp.parent / "duckdb_spill") as con, \
                ThreadPoolExecutor(1, thread_name_prefix="parquet") as writes:
            rows, inputs = ingest_olist_dir(con, olist_dir, tmp, writes)
            b2w = ingest_b2w(con, b2w_path, tmp)
        rejections: list[Rejection] = b2w.rejections if b2w else []
        repaired: list[int] = b2w.repaired_lines if b2w else []
        rows[B2wReview.table] = b2w.rows if b2w else 0
        if b2w:
            inputs[b2w_path.name] = b2w.sha256
        (tmp / REJECTIONS_FILE).write_text(rejections_csv(rejections), encoding="utf-8")
        by_reason = Counter(f"{r.file}: {r.column}: {r.reason}" for r in rejections)
        metrics = {
            "source": params_data["source"],
            "rows": rows,
            "rejected": {"total": len(rejections), "by_reason": dict(sorted(by_reason.items()))},
            "repaired": {"total": len(repaired), "b2w_lines": repaired},
            "inputs_sha256": dict(sorted(inputs.items())),
        }
        if params_data["source"] == "synthetic":
            metrics["synthetic"] = {k: params_data["synthetic"][k] for k in ("seed", "orders", "b2w_reviews")}
    return metrics
