"""Benchmark (run on demand, not a test): wall time and peak memory of the data stages.

Runs ingest -> build_db -> validate_db as separate processes in a scratch folder for each scale
and prints one row per stage. Target: 100,000 synthetic orders in <= 20 s and <= 1 GiB on 2 cores.

    python benchmarks/data_stages.py [--orders 5000 20000 100000]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
STAGES = ("ingest", "build_db", "validate_db")


def run_stage(stage: str, workdir: Path) -> tuple[float, float]:
    """Run one stage as a child process; return (wall seconds, peak RSS in MiB) of that child."""
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", f"stages.{stage}"], cwd=workdir, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{stage} failed:\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[5_000, 20_000, 100_000])
    args = parser.parse_args()
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    print(f"{'orders':>8} {'stage':<12} {'wall s':>8} {'peak MiB':>9}")
    for orders in args.orders:
        with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
            workdir = Path(tmp)
            params["data"].update(source="synthetic")
            params["data"]["synthetic"]["orders"] = orders
            (workdir / "params.yaml").write_text(yaml.safe_dump(params))
            total, peak = 0.0, 0.0
            for stage in STAGES:
                wall, rss = run_stage(stage, workdir)
                total, peak = total + wall, max(peak, rss)
                print(f"{orders:>8} {stage:<12} {wall:>8.2f} {rss:>9.0f}")
            verdict = ""
            if orders == 100_000:
                verdict = "   meets the target" if total <= 20 and peak <= 1024 else "   misses the 20 s / 1 GiB target"
            print(f"{orders:>8} {'total':<12} {total:>8.2f} {peak:>9.0f}{verdict}")


if __name__ == "__main__":
    main()
