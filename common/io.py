"""Atomic writes, hashing and JSON/JSONL helpers: every output is all-or-nothing and byte-stable.

A write goes to a private temporary folder beside its target (`.<name>.tmp-<pid>-<random>/`) that
holds a lock for as long as its writer lives. A writer killed outright (SIGKILL, power loss) cannot
clean up, so the next write of the same target removes every such folder whose lock is free.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

LOCK_FILE = ".lock"
LEGACY_GRACE_S = 60.0  # an unlocked temp folder younger than this may still be starting up
CRASH_ENV = "COMMERCE_CRASH_AT"


def crash_point(name: str) -> None:
    """Crash-test hook: SIGKILL this process here when $COMMERCE_CRASH_AT equals `name`.

    The kill tests (tests/factory/test_killed_stages.py) use it to stop a stage at a known point.
    """
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _temp_pattern(name: str) -> re.Pattern:
    """Temp folder names of `name`: locked ones (`tmp-`), ones still being set up (`new-`), and
    those of the older plain-`mkdtemp` scheme (8 random characters)."""
    return re.compile(re.escape(f".{name}.") + r"(?:(tmp)-\d+-[a-z0-9_]+|new-[a-z0-9_]+|[a-z0-9_]{8})$")


def _is_stale(folder: Path, locked_scheme: bool) -> bool:
    """True when no live writer holds `folder`. A `tmp-` folder is locked by its writer for its
    whole life, so a free lock means the writer died; other folders carry no lock and count as
    stale once older than LEGACY_GRACE_S."""
    if not locked_scheme:
        try:
            return time.time() - folder.stat().st_mtime > LEGACY_GRACE_S
        except FileNotFoundError:
            return False
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also drops the lock taken just now


def remove_stale_temps(target: str | Path) -> list[Path]:
    """Remove the temporary folders that killed writers of `target` left beside it; return them."""
    target = Path(target)
    pattern = _temp_pattern(target.name)
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except FileNotFoundError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if (match and entry.is_dir(follow_symlinks=False)
                and _is_stale(Path(entry.path), locked_scheme=match.group(1) == "tmp")):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _locked_temp_folder(target: Path) -> tuple[Path, int]:
    """A new private folder beside `target`, already locked when it gets its `tmp-` name (so a
    concurrent cleaner never sees it unlocked); returns it and the lock's file descriptor."""
    setup = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    lock = os.open(setup / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(lock, fcntl.LOCK_EX)
    folder = setup.with_name(f".{target.name}.tmp-{os.getpid()}-{setup.name.rsplit('-', 1)[1]}")
    os.rename(setup, folder)
    return folder, lock


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; move it over `target` only if the block succeeds.

    Works for files and directories: on error the temporary is removed and `target` is untouched.
    A directory target is swapped by two renames (old one aside, new one in), so a kill leaves
    either the old or the new tree, never a half-deleted one. Stale temporaries of `target` left
    by killed writers are removed first. The folder holding the temporary (`tmp.parent`) is
    private to this write: put scratch files there.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    folder, lock = _locked_temp_folder(target)
    try:
        tmp = folder / target.name
        yield tmp
        crash_point(f"atomic_path:{target.name}:written")
        if target.is_dir() and not target.is_symlink():
            os.replace(target, folder / f"{target.name}.old")
            crash_point(f"atomic_path:{target.name}:swapping")
        os.replace(tmp, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)


def dumps_json(obj: Any) -> str:
    """Canonical JSON: sorted keys, UTF-8 kept, fixed separators."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(dumps_json(obj), encoding="utf-8")


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> int:
    """Write one compact JSON object per line (keys in insertion order); returns the row count."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
    return n


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_tree(path: str | Path) -> str:
    """Hash of a file, or of a directory as sorted (relative path, file hash) pairs."""
    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode() + b"\0" + sha256_file(f).encode() + b"\n")
    return h.hexdigest()
