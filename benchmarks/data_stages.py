"""Benchmark (run on demand, not a test): wall time and peak memory of the data stages.

Runs ingest -> build_db -> validate_db as separate processes in a scratch folder for each scale
and prints one row per stage with its wall time and peak RSS (the child's ru_maxrss, which covers
its own children). B2W reviews scale with the orders in the proportion of params.yaml
(`data.synthetic.b2w_reviews / orders`). A `synthetic csv` row times the generator alone (it runs
inside ingest), so the reading part of ingest is the difference.

Targets (2 cores): 100,000 orders in <= 8 s for the three stages; 1,000,000 orders in <= 60 s and
<= 2 GiB peak RSS.

`--prompts` then runs the prompt stages on the same database (one `prompts <task>` row per task, and
`split`): generators read a seeded sample of the rows they need (factory.prompts.base.READ_PER_KEPT),
so their time should stay about flat from 100,000 orders up.

    python benchmarks/data_stages.py [--orders 5000 100000 1000000] [--no-generator-row] [--prompts]
    python benchmarks/data_stages.py --csv-dir DIR   # the stages on Olist-format CSVs already written
                                                     # (real files, or a generator run), source olist
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
STAGES = ("ingest", "build_db", "validate_db")
TARGETS = {100_000: (8.0, None), 1_000_000: (60.0, 2048.0)}  # orders -> (total seconds, peak MiB)
GENERATOR = ("import json, sys; from pathlib import Path; from factory.sources.synthetic import write_csvs; "
             "s = json.loads(sys.argv[1]); write_csvs(s['seed'], s['orders'], s['b2w_reviews'], Path(sys.argv[2]))")


def run(cmd: list[str], workdir: Path) -> tuple[float, float]:
    """Run a child process; return (wall seconds, peak RSS in MiB) of that child and its children."""
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def verdict(orders: int, total: float, peak: float) -> str:
    if orders not in TARGETS:
        return ""
    seconds, mib = TARGETS[orders]
    ok = total <= seconds and (mib is None or peak <= mib)
    target = f"{seconds:g} s" + (f" / {mib / 1024:g} GiB" if mib else "")
    return f"   {'meets' if ok else 'misses'} the {target} target"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[5_000, 100_000, 1_000_000])
    parser.add_argument("--no-generator-row", action="store_true", help="skip timing the generator alone")
    parser.add_argument("--prompts", action="store_true", help="also time the prompt stages and the split")
    parser.add_argument("--csv-dir", type=Path, help="time the stages on the Olist CSVs (and B2W-Reviews01.csv, "
                                                     "if present) in this folder instead of the generator")
    args = parser.parse_args()
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    if args.csv_dir:
        csv_dir = args.csv_dir.resolve()
        b2w = csv_dir / "B2W-Reviews01.csv"
        params["data"].update(source="olist", olist_dir=str(csv_dir), b2w_path=str(b2w) if b2w.exists() else None)
        orders = sum(1 for _ in open(csv_dir / "olist_orders_dataset.csv", "rb")) - 1
        print(f"{'orders':>9} {'stage':<15} {'wall s':>8} {'peak MiB':>9}   ({csv_dir})")
        with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
            (Path(tmp) / "params.yaml").write_text(yaml.safe_dump(params))
            stages(Path(tmp), orders, f"{orders:>9}", args.prompts)
        return
    synthetic = params["data"]["synthetic"]
    b2w_per_order = synthetic["b2w_reviews"] / synthetic["orders"]
    print(f"{'orders':>9} {'b2w':>8} {'stage':<15} {'wall s':>8} {'peak MiB':>9}")
    for orders in args.orders:
        with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
            workdir = Path(tmp)
            params["data"].update(source="synthetic")
            synthetic.update(orders=orders, b2w_reviews=round(orders * b2w_per_order))
            (workdir / "params.yaml").write_text(yaml.safe_dump(params))
            row = f"{orders:>9} {synthetic['b2w_reviews']:>8}"
            if not args.no_generator_row:
                wall, rss = run([sys.executable, "-c", GENERATOR, json.dumps(synthetic), str(workdir / "csv")], workdir)
                print(f"{row} {'(synthetic csv)':<15} {wall:>8.2f} {rss:>9.0f}", flush=True)
            stages(workdir, orders, row, args.prompts)


def stages(workdir: Path, orders: int, row: str, prompts: bool = False) -> None:
    """Run the three stages in `workdir` and print a row each, then the total and the verdict; with
    `prompts`, then every prompt stage and the split (a row each, and their total)."""
    total, peak = 0.0, 0.0
    for stage in STAGES:
        wall, rss = run([sys.executable, "-m", f"stages.{stage}"], workdir)
        total, peak = total + wall, max(peak, rss)
        print(f"{row} {stage:<15} {wall:>8.2f} {rss:>9.0f}", flush=True)
    print(f"{row} {'total':<15} {total:>8.2f} {peak:>9.0f}{verdict(orders, total, peak)}", flush=True)
    if not prompts:
        return
    shutil.copytree(REPO / "data" / "labels", workdir / "data" / "labels", dirs_exist_ok=True)  # gold set, overrides
    tasks = yaml.safe_load((workdir / "params.yaml").read_text())["prompts"]["counts"]
    total, peak = 0.0, 0.0
    for cmd in [["prompts", task] for task in tasks] + [["split"]]:
        wall, rss = run([sys.executable, "-m", f"stages.{cmd[0]}", *cmd[1:]], workdir)
        total, peak = total + wall, max(peak, rss)
        print(f"{row} {' '.join(cmd):<15} {wall:>8.2f} {rss:>9.0f}", flush=True)
    print(f"{row} {'prompts total':<15} {total:>8.2f} {peak:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
