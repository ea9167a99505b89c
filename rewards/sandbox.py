"""Running model-written SQL: one read-only SELECT, in a locked-down worker process with a hard
time limit.

DuckDB's interrupt() stops most runaway queries, but some work (one huge scalar call) never looks
at it. So queries run in a persistent worker process (`sandbox_worker.py`, which holds the
lock-down): the common case costs one round trip on a socket, and a query that overruns its limit
gets the worker killed and replaced. The worker is also replaced when its resident memory passes
a bound, so thousands of hostile queries cannot make it grow.
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
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

WORKER_SCRIPT = Path(__file__).with_name("sandbox_worker.py")
MAX_QUERY_CHARS = 20_000
SOFT_DEADLINE_SHARE = 0.8  # the worker interrupts at 80% of the limit; the parent kills at 100%


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
class SandboxLimits:
    memory_limit_mb: int = 256      # DuckDB's buffer manager
    address_space_mb: int = 2048    # the worker process (RLIMIT_AS): catches untracked allocations
    recycle_rss_mb: int = 768       # replace the worker once it holds this much
    startup_timeout_s: float = 60.0


class SqlSandbox:
    """A worker process serving one database. Thread-safe; one query at a time."""

    def __init__(self, db_path: str | Path, limits: SandboxLimits = SandboxLimits()) -> None:
        self.db_path = Path(db_path).resolve()
        if not self.db_path.is_file():
            raise FileNotFoundError(f"DuckDB database {self.db_path} does not exist")
        self.limits = limits
        self.restarts = 0          # workers replaced (overrun, memory bound, crash)
        self.worker_pid: int | None = None
        self.worker_rss_bytes = 0
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._chan: Connection | None = None
        self.worker_cwd: Path | None = None
        self._start()

    # -- worker lifecycle ---------------------------------------------------------------------

    def _start(self) -> None:
        # An empty private working directory: a relative path in a query points nowhere useful.
        self.worker_cwd = Path(tempfile.mkdtemp(prefix="sql-sandbox-"))
        ours, theirs = socket.socketpair()
        cmd = [
            sys.executable, "-I", "-B", str(WORKER_SCRIPT), "--fd", str(theirs.fileno()),
            "--db", str(self.db_path), "--memory-limit-mb", str(self.limits.memory_limit_mb),
            "--address-space-mb", str(self.limits.address_space_mb),
        ]
        try:
            self._proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), cwd=self.worker_cwd,
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE)
        finally:
            theirs.close()
        self._chan = Connection(ours.detach())
        self.worker_pid = None
        # Also reaped when the sandbox is garbage-collected or the interpreter exits unclosed.
        self._finalizer = weakref.finalize(self, _reap, self._proc, self.worker_cwd)

    def _ensure_ready(self) -> None:
        if self.worker_pid is not None:
            return
        assert self._chan is not None
        try:
            if not self._chan.poll(self.limits.startup_timeout_s):
                raise EOFError
            message = self._chan.recv()
        except (EOFError, OSError):
            detail = self._stop()
            raise RuntimeError(f"the SQL sandbox worker for {self.db_path} did not start: {detail}") from None
        self.worker_pid = message[1]

    def _stop(self) -> str:
        """Kill the worker; returns the tail of what it wrote to stderr."""
        detail = ""
        if self._chan is not None:
            self._chan.close()
            self._chan = None
        if self._proc is not None:
            self._proc.kill()
            try:
                _, err = self._proc.communicate(timeout=5)
                detail = (err or b"").decode("utf-8", "replace").strip()[-2000:]
            except subprocess.TimeoutExpired:
                pass
            self._proc = None
        if self.worker_cwd is not None:
            shutil.rmtree(self.worker_cwd, ignore_errors=True)
            self.worker_cwd = None
        self._finalizer.detach()
        self.worker_pid = None
        return detail

    def _replace(self) -> None:
        self._stop()
        self.restarts += 1
        self._start()

    def close(self) -> None:
        with self._lock:
            self._stop()

    # -- queries ------------------------------------------------------------------------------

    def execute(self, query: str, timeout_s: float = 1.0, max_rows: int = 1000) -> QueryResult:
        """Run one read-only query; raises UnsafeQuery, QueryTimeout or QueryFailed."""
        if not isinstance(query, str) or not query.strip():
            raise QueryFailed("empty query")
        if len(query) > MAX_QUERY_CHARS:
            raise UnsafeQuery(f"query longer than {MAX_QUERY_CHARS} characters")
        if timeout_s <= 0 or max_rows < 0:
            raise ValueError("timeout_s must be > 0 and max_rows >= 0")
        with self._lock:
            self._ensure_ready()
            assert self._chan is not None
            deadline = time.monotonic() + timeout_s
            try:
                self._chan.send((query, timeout_s * SOFT_DEADLINE_SHARE, max_rows))
                answered = self._chan.poll(max(0.0, deadline - time.monotonic()))
                reply = self._chan.recv() if answered else None
            except (EOFError, OSError):
                detail = self._stop()
                self.restarts += 1
                self._start()
                raise QueryFailed(f"the SQL worker died while running the query: {detail[-300:]}") from None
            if reply is None:
                self._replace()
                raise QueryTimeout(f"query exceeded {timeout_s:g} s (worker killed)")
            self.worker_rss_bytes = reply[-1]
            if reply[-1] > self.limits.recycle_rss_mb << 20:
                self._replace()
        kind = reply[0]
        if kind == "ok":
            return QueryResult(reply[1], reply[2], reply[3])
        if kind == "unsafe":
            raise UnsafeQuery(reply[1])
        if kind == "timeout":
            raise QueryTimeout(reply[1])
        raise QueryFailed(f"{reply[1]}: {reply[2]}")


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


def sandbox_for(db_path: str | Path) -> SqlSandbox:
    """The shared sandbox of a database file (one per process; a rebuilt file gets a new one)."""
    path = Path(db_path).resolve()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"DuckDB database {path} does not exist") from None
    key = (os.getpid(), str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    with _REGISTRY_LOCK:
        box = _SANDBOXES.get(key)
        if box is None:
            for old in [k for k in _SANDBOXES if k[:2] == key[:2] or k[0] != key[0]]:
                stale = _SANDBOXES.pop(old)
                if old[0] == key[0]:
                    stale.close()
            box = _SANDBOXES[key] = SqlSandbox(path)
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
