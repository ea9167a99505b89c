"""Reward throughput, printed in one run:

1. extraction reward: completions scored per second on one core (target >= 50,000), for clean JSON
   answers and for a realistic mix (fences, PT-BR notation, prose, <think>, damaged JSON);
2. sql reward: sandboxed queries per second next to a naive scorer that opens a new DuckDB
   connection per query with no sandbox, and their ratio (target >= 5x).

Uses data/prompts/*.jsonl and data/commerce.db when they exist, else the test fixtures' records and
a generated 5,000-order database in a temp dir. `python benchmarks/rewards_throughput.py [--quick]`
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import rewards  # noqa: E402
from rewards.render import gold_answer  # noqa: E402
from rewards.sql import Canonical, compare_results, gold_canonical  # noqa: E402
from rewards.sandbox_worker import jsonable  # noqa: E402


def _fixtures():
    spec = importlib.util.spec_from_file_location("reward_fixtures", REPO / "tests" / "rewards" / "reward_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_inputs(workdir: Path) -> tuple[list[dict[str, Any]], Path, str]:
    prompts = [REPO / "data" / "prompts" / "benchmark.jsonl", REPO / "data" / "prompts" / "train.jsonl"]
    db = REPO / "data" / "commerce.db"
    if all(p.is_file() for p in prompts) and db.is_file():
        records = [json.loads(line) for p in prompts for line in p.read_text(encoding="utf-8").splitlines() if line]
        return records, db, "data/prompts + data/commerce.db"
    fixtures = _fixtures()
    db = fixtures.build_commerce_db(workdir / "commerce.db", orders=5000)
    return fixtures.build_records(db), db, "test fixtures (5,000 generated orders)"


def calibration_us() -> float:
    """This machine's speed on plain Python: microseconds for sum(range(1000)) (best of 5)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(2000):
            sum(range(1000))
        best = min(best, (time.perf_counter() - start) / 2000)
    return best * 1e6


def best_rate(run: Callable[[], int], repeats: int) -> tuple[float, float]:
    """(items per CPU second, items per wall second), best of `repeats`."""
    cpu_best = wall_best = 0.0
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        n = run()
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        cpu_best, wall_best = max(cpu_best, n / max(cpu, 1e-9)), max(wall_best, n / max(wall, 1e-9))
    return cpu_best, wall_best


def extraction_sets(records: list[dict[str, Any]], n: int) -> dict[str, tuple[list[str], list[str]]]:
    """(completions, ground truths) per mix, cycling over the extraction records."""
    ext = [r for r in records if r["task"] == "extraction"]
    clean, mixed, truths = [], [], []
    for i in range(n):
        record = ext[i % len(ext)]
        truth = record["ground_truth"]
        gold = json.loads(gold_answer("extraction", truth))
        answer = dict(gold)
        if i % 3 == 1:
            answer["sentiment_score"] = round(max(-1.0, min(1.0, answer["sentiment_score"] - 0.3)), 2)
            answer["delivery_issue"] = not answer["delivery_issue"]
        elif i % 3 == 2:
            answer["main_complaint"] = "o produto demorou a chegar"
            answer["churn_risk"] = 0.5
        text = json.dumps(answer, ensure_ascii=False)
        clean.append(text)
        kind = i % 20
        if kind < 13:
            mixed.append(text)
        elif kind < 15:
            mixed.append(f"```json\n{text}\n```")
        elif kind < 17:
            mixed.append("<think>Avaliação negativa, atraso.</think>\n" + text.replace(".", ","))
        elif kind < 19:
            mixed.append(f"Segue o JSON pedido: {text} Qualquer dúvida, estou à disposição.")
        else:
            mixed.append(text[:-2])  # truncated: needs json_repair
        truths.append(json.dumps(truth, ensure_ascii=False))
    return {"clean JSON": (clean, truths), "realistic mix": (mixed, truths)}


def bench_extraction(records: list[dict[str, Any]], n: int, repeats: int) -> dict[str, tuple[float, float]]:
    reward = rewards.get("extraction")
    out = {}
    for name, (completions, truths) in extraction_sets(records, n).items():
        tasks = ["extraction"] * len(completions)

        def run() -> int:
            scores = reward(prompts=None, completions=completions, task=tasks, ground_truth=truths)
            return len(scores)

        run()  # warm caches (parsed truths), as in a training run
        out[name] = best_rate(run, repeats)
    return out


def sql_workload(records: list[dict[str, Any]], n: int) -> list[tuple[str, Any]]:
    """`n` distinct candidate queries (so no result cache helps) paired with their truths."""
    sql = [r for r in records if r["task"] == "sql"]
    out = []
    for i in range(n):
        record = sql[i % len(sql)]
        truth = rewards._TRUTHS.get_truth("sql", record["ground_truth"])
        out.append((f"{truth.gold_sql.strip().rstrip(';')} /* candidate {i} */", truth))
    return out


def naive_score(db: Path, query: str, truth: Any, max_rows: int) -> bool:
    """The baseline: a new connection per query, no sandbox, same comparison."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description]
        rows = [jsonable(list(r)) for r in cursor.fetchmany(max_rows)]
    finally:
        con.close()
    return compare_results(gold_canonical(truth), Canonical.of(columns, rows), truth.ordered)["exact"]


def bench_sql(records: list[dict[str, Any]], db: Path, n: int) -> dict[str, Any]:
    """Both scorers over the same distinct queries, interleaved (one naive call per 3 sandboxed
    ones) so that both see the same machine load; rates from the time each spent."""
    opts = rewards.options(db_path=db)
    reward = rewards.get("sql", options=opts)
    workload = sql_workload(records, n)
    reward(completions=["```sql\nSELECT 1\n```"], task=["sql"], ground_truth=[workload[0][1]])  # start the worker
    sandboxed: list[float] = []
    naive: list[float] = []
    for i, (query, truth) in enumerate(workload):
        t0 = time.perf_counter()
        (value,) = reward(completions=[f"```sql\n{query}\n```"], task=["sql"], ground_truth=[truth])
        sandboxed.append(time.perf_counter() - t0)
        assert value == 1.0, query
        if i % 3 == 0:
            t0 = time.perf_counter()
            assert naive_score(db, query + " ", truth, opts.sql_max_rows)
            naive.append(time.perf_counter() - t0)
    sandboxed_qps, naive_qps = len(sandboxed) / sum(sandboxed), len(naive) / sum(naive)
    return {"sandboxed_qps": sandboxed_qps, "naive_qps": naive_qps, "ratio": sandboxed_qps / naive_qps,
            "sandboxed_p50_ms": statistics.median(sandboxed) * 1e3, "naive_p50_ms": statistics.median(naive) * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads (CI smoke run)")
    args = parser.parse_args()
    n_ext, n_sql, repeats = (4000, 100, 2) if args.quick else (30000, 400, 5)
    with tempfile.TemporaryDirectory() as tmp:
        records, db, source = load_inputs(Path(tmp))
        print(f"inputs: {source}; machine: {os.cpu_count()} CPUs, sum(range(1000)) = {calibration_us():.1f} us")
        print("\nextraction reward (one core, best of %d, %d completions):" % (repeats, n_ext))
        cores = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(cores)})  # one core for the extraction measurement
        try:
            extraction = bench_extraction(records, n_ext, repeats)
        finally:
            os.sched_setaffinity(0, cores)   # the SQL worker must not share it
        for name, (cpu_rate, wall_rate) in extraction.items():
            status = "meets" if cpu_rate >= 50_000 else "BELOW"
            print(f"  {name:14s} {cpu_rate:10,.0f} completions/s (CPU time)  {wall_rate:10,.0f} /s (wall)  "
                  f"[{status} target 50,000]")
        result = bench_sql(records, db, n_sql)
        status = "meets" if result["ratio"] >= 5 else "BELOW"
        print(f"\nsql reward ({n_sql} distinct queries, {db.stat().st_size / 1e6:.1f} MB database):")
        print(f"  sandboxed (persistent worker) {result['sandboxed_qps']:8,.0f} queries/s "
              f"(p50 {result['sandboxed_p50_ms']:.2f} ms)")
        print(f"  naive (connection per query)  {result['naive_qps']:8,.0f} queries/s "
              f"(p50 {result['naive_p50_ms']:.2f} ms)")
        print(f"  ratio {result['ratio']:.1f}x [{status} target 5x]")


if __name__ == "__main__":
    main()
