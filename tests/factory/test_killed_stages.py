"""A data stage killed with SIGKILL leaves no partial output, and its rerun removes what the killed
run left behind and writes byte-identical outputs (canonical hashes for commerce.db).

Stages run as real subprocesses; $COMMERCE_CRASH_AT (common/io.py:crash_point) kills one at a
named point, and a timer kills one at arbitrary moments.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from common.io import CRASH_ENV, sha256_file

REPO = Path(__file__).resolve().parents[2]
DATA = {"source": "synthetic", "olist_dir": None, "b2w_path": None,
        "synthetic": {"seed": 3, "orders": 300, "b2w_reviews": 60}}
OUTPUTS = {"data": ["commerce.db", "raw"], "reports/metrics": ["build_db.json", "ingest.json", "validate_db.json"],
           "reports/details": ["build_db.json", "ingest.json", "validate_db.json"],
           "reports/gx": ["commerce_db"]}


def _stage(workdir: Path, stage: str, crash_at: str | None = None, kill_after: float | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k not in (CRASH_ENV, "COMMERCE_PARAMS")}
    env.update(PYTHONPATH=str(REPO), **({CRASH_ENV: crash_at} if crash_at else {}))
    proc = subprocess.Popen([sys.executable, "-m", f"stages.{stage}"], cwd=workdir, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"{stage} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return proc.returncode


def _workdir(path: Path) -> Path:
    path.mkdir()
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    (path / "params.yaml").write_text(yaml.safe_dump({**params, "data": DATA}), encoding="utf-8")
    return path


def _fingerprint(workdir: Path) -> dict:
    """Every data/raw file's sha256, the canonical commerce.db hashes and the validation result."""
    raw = workdir / "data" / "raw"
    files = {p.relative_to(raw).as_posix(): sha256_file(p) for p in sorted(raw.rglob("*")) if p.is_file()}
    build = json.loads((workdir / "reports/details/build_db.json").read_text())
    validation = json.loads((workdir / "reports/details/validate_db.json").read_text())
    return {"raw": files, "db": build["canonical_sha256"], "validation": validation,
            "report": sha256_file(workdir / "reports/gx/commerce_db/index.html")}


def _leftovers(workdir: Path) -> dict[str, list[str]]:
    return {folder: sorted(os.listdir(workdir / folder)) for folder in OUTPUTS if (workdir / folder).is_dir()}


def _run_all(workdir: Path) -> None:
    for stage in ("ingest", "build_db", "validate_db"):
        assert _stage(workdir, stage) == 0


@pytest.fixture(scope="module")
def reference_dir(tmp_path_factory) -> Path:
    workdir = _workdir(tmp_path_factory.mktemp("killed") / "reference")
    _run_all(workdir)
    assert _leftovers(workdir) == OUTPUTS
    return workdir


@pytest.fixture(scope="module")
def reference(reference_dir) -> dict:
    return _fingerprint(reference_dir)


CRASH_POINTS = [
    ("ingest", "ingest:sources"), ("ingest", "ingest:orders"), ("ingest", "ingest:b2w_reviews"),
    ("ingest", "atomic_path:raw:written"), ("ingest", "atomic_path:raw:swapping"),
    ("build_db", "build_db:loaded"), ("build_db", "build_db:derived"), ("build_db", "atomic_path:commerce.db:written"),
    ("validate_db", "atomic_path:commerce_db:written"),
]


@pytest.mark.parametrize("stage, point", CRASH_POINTS, ids=[p for _, p in CRASH_POINTS])
def test_killed_at_a_point_then_rerun_gives_identical_outputs_and_no_debris(tmp_path, reference_dir, reference,
                                                                           stage, point):
    workdir = tmp_path / "w"
    shutil.copytree(reference_dir, workdir)  # a previous good run
    assert _stage(workdir, stage, crash_at=point) == -signal.SIGKILL
    left = _leftovers(workdir)
    visible = {folder: [n for n in names if not n.startswith(".")] for folder, names in left.items()}
    debris = [n for names in left.values() for n in names if n.startswith(".")]
    assert debris, f"the kill at {point} should have left a temporary folder (is the crash point reached?)"
    if point == "atomic_path:raw:swapping":  # killed between the two renames: raw is absent, never partial
        assert visible == {**OUTPUTS, "data": ["commerce.db"]}
    else:  # the previous outputs are untouched
        assert visible == OUTPUTS
        assert _fingerprint(workdir) == reference
    assert _stage(workdir, stage) == 0
    assert _leftovers(workdir) == OUTPUTS
    assert _fingerprint(workdir) == reference


def test_first_ingest_killed_leaves_nothing_but_a_temporary_the_rerun_removes(tmp_path, reference):
    workdir = _workdir(tmp_path / "w")
    assert _stage(workdir, "ingest", crash_at="ingest:orders") == -signal.SIGKILL
    (temporary,) = os.listdir(workdir / "data")
    assert temporary.startswith(".raw.tmp-")
    _run_all(workdir)
    assert _leftovers(workdir) == OUTPUTS
    assert _fingerprint(workdir) == reference


@pytest.mark.parametrize("stage", ["ingest", "build_db"])
def test_killed_at_an_arbitrary_moment(tmp_path, reference_dir, reference, stage):
    """Wherever a timed kill lands (imports, generator, DuckDB, Parquet, rename), the rerun recovers."""
    workdir = tmp_path / "w"
    shutil.copytree(reference_dir, workdir)
    _stage(workdir, stage, kill_after=1.0)
    assert _stage(workdir, stage) == 0
    assert _leftovers(workdir) == OUTPUTS
    assert _fingerprint(workdir) == reference
