"""Review texts composed in forked worker processes (the generator's slowest part, and an
embarrassingly parallel one: each text depends only on its own review's draws and facts).

`TextPool.submit(fn, *arrays)` runs `fn` over consecutive row chunks of the arrays and gives back
a `Pending` whose `result()` is the concatenation of the chunks' lists, in row order. `fn` must be
per-row (its output for a row depends only on that row), so chunking cannot change a text; with
one worker it runs in this process, on all rows at once. The workers are forked (on the first
submission, before the large tables exist, so they start small and quickly); a worker that dies
(killed for memory) fails the run with BrokenProcessPool instead of leaving it waiting.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

import numpy as np

# Below this many orders + B2W reviews the pool's start-up costs more than the parallel texts save
# (the 5,000-order default takes ~0.4 s in one process).
PARALLEL_MIN_ROWS = 20_000
CHUNKS_PER_WORKER = 4


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(rows: int) -> int:
    """Worker processes for a run of `rows` orders + reviews: every CPU for large runs, else one."""
    return available_cpus() if rows >= PARALLEL_MIN_ROWS else 1


class Pending:
    def __init__(self, parts: list):
        self._parts = parts

    def result(self) -> list:
        out: list = []
        for part in self._parts:
            out.extend(part.result() if hasattr(part, "result") else part)
        self._parts = []
        return out


class TextPool:
    """`workers` forked processes composing texts; one worker means this process, no pool."""

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork")) \
            if self.workers > 1 else None

    def submit(self, fn: Callable[..., list], *arrays: Sequence) -> Pending:
        n = len(arrays[0])
        if self._pool is None or n < 2:
            return Pending([fn(*arrays)])
        chunks = min(n, self.workers * CHUNKS_PER_WORKER)
        bounds = np.linspace(0, n, chunks + 1).astype(np.int64)
        return Pending([self._pool.submit(fn, *(a[lo:hi] for a in arrays))
                        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()) if hi > lo])

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None

    def __enter__(self) -> TextPool:
        return self

    def __exit__(self, exc_type, *_) -> None:
        self.close(cancel=exc_type is not None)
