"""Running model-written SQL: read-only SELECTs, in locked-down worker processes with a hard time
limit per query.

DuckDB's interrupt() stops most runaway queries, but some work (one huge scalar call) never looks
at it. So queries run in persistent worker processes (`sandbox_worker.py`, which holds the
lock-down), and a query that overruns its limit gets its worker killed and replaced. A worker is
also replaced when its resident memory passes a bound, so thousands of hostile queries cannot make
it grow.

Throughput: `execute_batch` sends the queries of one reward call to a small pool of workers in a
few messages (not one round trip per query); each worker streams back one reply per query, so a
worker killed for a query that hung has already delivered the queries before it, and the queries
after it are re-sent to its replacement. A worker may also serve perturbed copies of the
database (`variants`, see `rewards.sql_variants`): a request names the database it runs on.
"""
from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Sequence

WORKER_SCRIPT = Path(__file__).with_name("sandbox_worker.py")
MAX_QUERY_CHARS = 20_000
SOFT_DEADLINE_SHARE = 0.8  # the worker interrupts at 80% of the limit; the parent kills at 100%
CHUNK_QUERIES = 16         # queries per message to a worker
CHUNK_CHARS = 32_000       # and at most this much query text, so a send never fills the socket
CHUNKS_IN_FLIGHT = 2       # messages a worker may have queued: it never waits for the parent


class SqlError(Exception):
    """A query that produced no result."""


class UnsafeQuery(SqlError):
    """Refused: not exactly one read-only SELECT/WITH, or it reached for files, settings or the
    environment."""


class QueryTimeout(SqlError):
    """Stopped at its time limit."""


class QueryFailed(SqlError):
    """DuckDB rejected or could not finish the query (syntax, unknown column, memory limit)."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]  # JSON-ready values: numbers, strings ("YYYY-MM-DD HH:MM:SS"), None
    truncated: bool        # more than max_rows rows existed


@dataclass(frozen=True)
class Request:
    """One query of a batch: `database` 0 is the main database, k the k-th variant."""

    query: str
    timeout_s: float = 1.0
    max_rows: int = 1000
    database: int = 0


@dataclass(frozen=True)
class SandboxLimits:
    memory_limit_mb: int = 256      # DuckDB's buffer manager (shared by the main db and its variants)
    address_space_mb: int = 2048    # each worker process (RLIMIT_AS): catches untracked allocations
    recycle_rss_mb: int = 768       # replace a worker once it holds this much
    startup_timeout_s: float = 60.0


def default_pool_size() -> int:
    """Workers for scoring: one per available core, at most 4 (`REWARDS_SQL_WORKERS` overrides)."""
    configured = os.environ.get("REWARDS_SQL_WORKERS")
    if configured:
        return max(1, int(configured))
    return max(1, min(4, len(os.sched_getaffinity(0))))


class _Worker:
    """One worker process and the queries it has been sent but not answered, in order."""

    def __init__(self, db_path: Path, variants: tuple[Path, ...], limits: SandboxLimits) -> None:
        self.limits = limits
        self.pid: int | None = None          # known once the worker said it is ready
        self.rss_bytes = 0
        self.inflight: deque[int] = deque()  # batch indexes, in the order the worker runs them
        self.chunks = 0                      # messages sent and not fully answered
        self.chunk_ends: deque[int] = deque()  # the last index of each such message
        self.head_started = 0.0              # when the worker began the query at inflight[0]
        # An empty private working directory: a relative path in a query points nowhere useful.
        self.cwd = Path(tempfile.mkdtemp(prefix="sql-sandbox-"))
        ours, theirs = socket.socketpair()
        cmd = [
            sys.executable, "-I", "-B", str(WORKER_SCRIPT), "--fd", str(theirs.fileno()),
            "--db", str(db_path), "--memory-limit-mb", str(limits.memory_limit_mb),
            "--address-space-mb", str(limits.address_space_mb),
        ]
        for variant in variants:
            cmd += ["--variant", str(variant)]
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), cwd=self.cwd,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
        finally:
            theirs.close()
        self.chan: Connection | None = Connection(ours.detach())
        self.started = time.monotonic()
        # Also reaped when the sandbox is garbage-collected or the interpreter exits unclosed.
        self._finalizer = weakref.finalize(self, _reap, self.proc, self.cwd)

    @property
    def ready(self) -> bool:
        return self.pid is not None

    def stop(self) -> str:
        """Kill the process; returns the tail of what it wrote to stderr."""
        detail = ""
        if self.chan is not None:
            self.chan.close()
            self.chan = None
        self.proc.kill()
        try:
            _, err = self.proc.communicate(timeout=5)
            detail = (err or b"").decode("utf-8", "replace").strip()[-2000:]
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.cwd, ignore_errors=True)
        self._finalizer.detach()
        return detail


class SqlSandbox:
    """A pool of worker processes serving one database (and its variants). Thread-safe: one batch
    at a time. `workers=1` (the default) keeps every query on one process."""

    def __init__(self, db_path: str | Path, limits: SandboxLimits = SandboxLimits(),
                 variants: Sequence[str | Path] = (), workers: int = 1) -> None:
        self.db_path = Path(db_path).resolve()
        if not self.db_path.is_file():
            raise FileNotFoundError(f"DuckDB database {self.db_path} does not exist")
        self.variants = tuple(Path(v).resolve() for v in variants)
        for variant in self.variants:
            if not variant.is_file():
                raise FileNotFoundError(f"DuckDB variant database {variant} does not exist")
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.limits = limits
        self.restarts = 0          # workers replaced (overrun, memory bound, crash)
        self._lock = threading.Lock()
        self._workers = [self._spawn() for _ in range(workers)]
        self._closed = False

    # -- what tests and callers look at -------------------------------------------------------

    @property
    def worker_pid(self) -> int | None:
        """The pid of the first worker (the one a single query runs on)."""
        return self._workers[0].pid if self._workers else None

    @property
    def worker_pids(self) -> list[int | None]:
        return [w.pid for w in self._workers]

    @property
    def worker_cwd(self) -> Path | None:
        return self._workers[0].cwd if self._workers else None

    @property
    def worker_rss_bytes(self) -> int:
        return self._workers[0].rss_bytes if self._workers else 0

    # -- worker lifecycle ---------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        return _Worker(self.db_path, self.variants, self.limits)

    def _replace(self, slot: int) -> str:
        detail = self._workers[slot].stop()
        self.restarts += 1
        self._workers[slot] = self._spawn()
        return detail

    def _await_ready(self, worker: _Worker) -> None:
        """Read the worker's ready message (raises if it does not come)."""
        assert worker.chan is not None
        try:
            if not worker.chan.poll(max(0.0, worker.started + self.limits.startup_timeout_s - time.monotonic())):
                raise EOFError
            worker.pid = worker.chan.recv()[1]
        except (EOFError, OSError):
            detail = worker.stop()
            raise RuntimeError(f"the SQL sandbox worker for {self.db_path} did not start: {detail}") from None

    def wait_ready(self) -> None:
        """Block until every worker has started (a batch otherwise starts on those that are up)."""
        with self._lock:
            for worker in self._workers:
                if not worker.ready:
                    self._await_ready(worker)

    def close(self) -> None:
        with self._lock:
            for worker in self._workers:
                worker.stop()
            self._workers = []
            self._closed = True

    # -- queries ------------------------------------------------------------------------------

    def execute(self, query: str, timeout_s: float = 1.0, max_rows: int = 1000, database: int = 0) -> QueryResult:
        """Run one read-only query; raises UnsafeQuery, QueryTimeout or QueryFailed."""
        (outcome,) = self.execute_batch([Request(query, timeout_s, max_rows, database)])
        if isinstance(outcome, SqlError):
            raise outcome
        return outcome

    def execute_batch(self, requests: Sequence[Request]) -> list[QueryResult | SqlError]:
        """Run every request (in parallel over the pool); each gets its result or its SqlError."""
        results: list[QueryResult | SqlError | None] = [None] * len(requests)
        pending: deque[int] = deque()
        for i, request in enumerate(requests):
            refusal = _precheck(request, len(self.variants))
            if refusal is not None:
                results[i] = refusal
            else:
                pending.append(i)
        if not pending:
            return results  # type: ignore[return-value]
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the SQL sandbox for {self.db_path} is closed")
            self._run(requests, pending, results)
        return results  # type: ignore[return-value]

    def _run(self, requests: Sequence[Request], pending: deque[int], results: list) -> None:
        if len(pending) == 1:  # a single query always runs on the first worker
            self._ensure_first_ready()
        while True:
            self._dispatch(requests, pending)
            busy = [w for w in self._workers if w.inflight or not w.ready]
            if not pending and not any(w.inflight for w in self._workers):
                return
            now = time.monotonic()
            deadlines = [w.head_started + requests[w.inflight[0]].timeout_s for w in busy if w.ready and w.inflight]
            deadlines += [w.started + self.limits.startup_timeout_s for w in busy if not w.ready]
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            ready_chans = wait([w.chan for w in busy if w.chan is not None], timeout)
            for slot, worker in enumerate(list(self._workers)):
                if worker.chan is not None and worker.chan in ready_chans:
                    self._receive(slot, requests, pending, results)
            now = time.monotonic()
            for slot, worker in enumerate(list(self._workers)):
                if worker.ready and worker.inflight and now >= worker.head_started + requests[worker.inflight[0]].timeout_s:
                    index = worker.inflight.popleft()
                    results[index] = QueryTimeout(f"query exceeded {requests[index].timeout_s:g} s (worker killed)")
                    self._requeue(slot, pending)
                    self._replace(slot)
                elif not worker.ready and now >= worker.started + self.limits.startup_timeout_s:
                    self._await_ready(worker)  # raises with the worker's stderr

    def _ensure_first_ready(self) -> None:
        first = self._workers[0]
        if not first.ready:
            self._await_ready(first)

    def _dispatch(self, requests: Sequence[Request], pending: deque[int]) -> None:
        """Send chunks to ready workers that have room, first worker first."""
        share = max(1, min(CHUNK_QUERIES, -(-len(pending) // max(1, 2 * len(self._workers)))))
        for slot, worker in enumerate(self._workers):
            while pending and worker.ready and worker.chunks < CHUNKS_IN_FLIGHT:
                chunk, chars = [], 0
                while pending and len(chunk) < share and (not chunk or chars + len(requests[pending[0]].query) <= CHUNK_CHARS):
                    index = pending.popleft()
                    chars += len(requests[index].query)
                    chunk.append(index)
                request_list = [(i, requests[i].query, requests[i].database,
                                 requests[i].timeout_s * SOFT_DEADLINE_SHARE, requests[i].max_rows) for i in chunk]
                try:
                    assert worker.chan is not None
                    worker.chan.send(request_list)
                except (OSError, ValueError):
                    pending.extendleft(reversed(chunk))
                    self._requeue(slot, pending)
                    self._replace(slot)
                    break
                if not worker.inflight:
                    worker.head_started = time.monotonic()
                worker.inflight.extend(chunk)
                worker.chunk_ends.append(chunk[-1])
                worker.chunks += 1

    def _receive(self, slot: int, requests: Sequence[Request], pending: deque[int], results: list) -> None:
        worker = self._workers[slot]
        assert worker.chan is not None
        try:
            while worker.chan.poll():
                message = worker.chan.recv()
                if not worker.ready:
                    worker.pid = message[1]
                    continue
                index, reply = message
                expected = worker.inflight.popleft()
                assert index == expected, (index, expected)
                worker.head_started = time.monotonic()
                if worker.chunk_ends and worker.chunk_ends[0] == index:
                    worker.chunk_ends.popleft()
                    worker.chunks -= 1
                worker.rss_bytes = reply[-1]
                results[index] = _outcome(reply)
                if reply[-1] > self.limits.recycle_rss_mb << 20:
                    self._requeue(slot, pending)
                    self._replace(slot)
                    return
        except (EOFError, OSError):
            if not worker.ready:  # it could not even start: replacing it would loop
                detail = worker.stop()
                raise RuntimeError(f"the SQL sandbox worker for {self.db_path} did not start: {detail}") from None
            index = worker.inflight.popleft() if worker.inflight else None
            self._requeue(slot, pending)
            detail = self._replace(slot)
            if index is not None:
                results[index] = QueryFailed(f"the SQL worker died while running the query: {detail[-300:]}")

    def _requeue(self, slot: int, pending: deque[int]) -> None:
        """Give the unanswered queries of a worker that is being replaced back to the queue."""
        worker = self._workers[slot]
        pending.extendleft(reversed(worker.inflight))
        worker.inflight.clear()
        worker.chunk_ends.clear()
        worker.chunks = 0


def _precheck(request: Request, n_variants: int) -> SqlError | None:
    if request.timeout_s <= 0 or request.max_rows < 0:
        raise ValueError("timeout_s must be > 0 and max_rows >= 0")
    if not 0 <= request.database <= n_variants:
        raise ValueError(f"database {request.database} out of range: the sandbox serves {n_variants} variants")
    if not isinstance(request.query, str) or not request.query.strip():
        return QueryFailed("empty query")
    if len(request.query) > MAX_QUERY_CHARS:
        return UnsafeQuery(f"query longer than {MAX_QUERY_CHARS} characters")
    return None


def _outcome(reply: tuple) -> QueryResult | SqlError:
    kind = reply[0]
    if kind == "ok":
        return QueryResult(reply[1], reply[2], reply[3])
    if kind == "unsafe":
        return UnsafeQuery(reply[1])
    if kind == "timeout":
        return QueryTimeout(reply[1])
    return QueryFailed(f"{reply[1]}: {reply[2]}")


def _reap(proc: subprocess.Popen, cwd: Path) -> None:
    if proc.poll() is None:
        proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    shutil.rmtree(cwd, ignore_errors=True)


_SANDBOXES: dict[tuple, SqlSandbox] = {}
_REGISTRY_LOCK = threading.Lock()


def sandbox_for(db_path: str | Path, variants: Sequence[str | Path] = (), workers: int = 1) -> SqlSandbox:
    """The shared sandbox of a database file (one per process; a rebuilt file gets a new one). A
    sandbox that serves variants also serves plain queries; asking for variants (or more workers)
    than the current one has replaces it."""
    path = Path(db_path).resolve()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"DuckDB database {path} does not exist") from None
    key = (os.getpid(), str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    wanted = tuple(Path(v).resolve() for v in variants)
    with _REGISTRY_LOCK:
        box = _SANDBOXES.get(key)
        if box is not None and (not wanted or box.variants == wanted) and len(box._workers) >= workers:
            return box
        for old in [k for k in _SANDBOXES if k[:2] == key[:2] or k[0] != key[0]]:
            stale = _SANDBOXES.pop(old)
            if old[0] == key[0]:
                stale.close()
        if box is not None:
            wanted, workers = wanted or box.variants, max(workers, len(box._workers))
        box = _SANDBOXES[key] = SqlSandbox(path, variants=wanted, workers=workers)
        return box


def execute_readonly(db_path: str | Path, query: str, timeout_s: float = 1.0, max_rows: int = 1000) -> QueryResult:
    """Run untrusted SQL against `db_path` in its sandbox (see the module docstring)."""
    return sandbox_for(db_path).execute(query, timeout_s=timeout_s, max_rows=max_rows)


@atexit.register
def _close_all() -> None:
    with _REGISTRY_LOCK:
        for key, box in list(_SANDBOXES.items()):
            if key[0] == os.getpid():
                box.close()
        _SANDBOXES.clear()
