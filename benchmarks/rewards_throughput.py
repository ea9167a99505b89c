"""Reward throughput, printed in one run:

1. extraction reward: completions scored per second on one core (target >= 50,000), for clean JSON
   answers and for a realistic mix (fences, PT-BR notation, prose, <think>, damaged JSON);
2. sql reward: distinct queries per second through the batched reward (one sandbox batch per
   reward call, a pool of workers, each right answer verified on the perturbed variants), the same
   queries again with a warm cache, the one-round-trip-per-query sandbox of before, and a naive
   scorer that opens a new DuckDB connection per query with no sandbox (targets: >= 1,000
   distinct queries/s and >= 10x the naive scorer).

Uses data/prompts/*.jsonl and data/commerce.db when they exist, else the test fixtures' records
(extraction) and the default pipeline database with its SQL pool built in a temp dir (SQL).
`python benchmarks/rewards_throughput.py [--quick]`
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
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


def sql_records(workdir: Path, records: list[dict[str, Any]], db: Path) -> tuple[list[Any], Path, str]:
    """SQL truths and their database: the prompt files' when they came with data/commerce.db, else
    the default pipeline database (params.yaml `data`: 5,000 synthetic orders) and its SQL pool,
    built here with the pipeline's own functions."""
    sql_rows = [r for r in records if r["task"] == "sql"]
    if db == REPO / "data" / "commerce.db":
        return [rewards._TRUTHS.get_truth("sql", r["ground_truth"]) for r in sql_rows], db, "data/commerce.db"
    import yaml

    from factory import db as factory_db
    from factory.prompts.build import generate_task
    from factory.sources import ingest

    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    ingest(params["data"], workdir / "default" / "raw")
    db = workdir / "default" / "commerce.db"
    factory_db.build(workdir / "default" / "raw", db)
    generate_task("sql", params, db, workdir / "default" / "prompts", workdir / "default" / "metrics")
    pool = workdir / "default" / "prompts" / "by_task" / "sql.jsonl"
    truths = [rewards._TRUTHS.get_truth("sql", json.loads(line)["ground_truth"])
              for line in pool.read_text(encoding="utf-8").splitlines() if line]
    return truths, db, f"default pipeline database ({params['data']['synthetic']['orders']:,} synthetic orders)"


def sql_workload(truths: list[Any], n: int, mix: str) -> list[tuple[str, Any]]:
    """`n` distinct candidate queries (no result cache helps: they differ beyond comments and
    spacing, also from the other mix's, whose verdicts are cached by then) paired with their
    truths. `right`: the gold wrapped in a subquery with its own alias (right, and not the gold's
    text, so each is verified on every variant); `grpo`: a quarter of those, the rest near-misses
    of the gold (hard-coded result, a filter dropped, a bound moved)."""
    from rewards.sql_audit import constant_answer, near_misses

    out = []
    misses = {}
    for i in range(n):
        truth = truths[i % len(truths)]
        gold = truth.gold_sql.strip().rstrip(";")
        if mix == "right" or i % 4 == 0:
            out.append((f"SELECT * FROM ({gold}) AS candidate_{mix}_{i}", truth))
            continue
        if gold not in misses:
            misses[gold] = [constant_answer(truth), *near_misses(gold).values()]
        options = misses[gold]
        out.append((f"SELECT * FROM ({options[i % len(options)]}) AS candidate_{mix}_{i}", truth))
    return out


def naive_score(db: Path, query: str, truth: Any, max_rows: int, variants: tuple[Path, ...] = ()) -> bool:
    """The baseline: a new connection per execution, no sandbox, the same comparison; with
    `variants`, the same checks as the reward (the gold re-run on each variant)."""
    def run(path: Path, sql: str):
        con = duckdb.connect(str(path), read_only=True)  # a failure to connect is the benchmark's, raised
        try:
            cursor = con.execute(sql)
            return Canonical.of([d[0] for d in cursor.description], [jsonable(list(r)) for r in cursor.fetchmany(max_rows)])
        except duckdb.Error:
            return None
        finally:
            con.close()

    result = run(db, query)
    if result is None or not compare_results(gold_canonical(truth), result, truth.ordered)["exact"]:
        return False
    for variant in variants:
        gold, result = run(variant, truth.gold_sql), run(variant, query)
        if gold is None or result is None or not compare_results(gold, result, truth.ordered)["exact"]:
            return False
    return True


class Meter:
    """Wall seconds and CPU seconds (this process plus the given worker processes) per method."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.items: dict[str, int] = {}

    def run(self, name: str, work: Callable[[], int], pids: Callable[[], list[int]] = lambda: []) -> None:
        import psutil

        def cpu_now() -> float:
            total = time.process_time()
            for pid in pids():
                try:
                    t = psutil.Process(pid).cpu_times()
                    total += t.user + t.system
                except psutil.Error:
                    pass
            return total

        c0, w0 = cpu_now(), time.perf_counter()
        n = work()
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w0
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu_now() - c0
        self.items[name] = self.items.get(name, 0) + n

    def rates(self, name: str) -> tuple[float, float]:
        """(items per wall second, CPU milliseconds per item)."""
        return self.items[name] / self.wall[name], 1e3 * self.cpu[name] / self.items[name]


def bench_sql(truths: list[Any], db: Path, n: int, batch: int) -> dict[str, Any]:
    """Reward throughput on distinct queries (batched, cold caches; the golds' own results on the
    variants are warm, as after the first epoch of GRPO), on the same queries again (warm), the
    one-round-trip-per-query sandbox of before, the connection-per-query scorer, and DuckDB alone.
    The methods take turns on each reward call's worth of queries, so all see the same load."""
    from rewards import sql
    from rewards.sandbox import SqlSandbox, default_pool_size
    from rewards.sql_variants import variants_for

    opts = rewards.options(db_path=db)
    start = time.perf_counter()
    variants = variants_for(db)  # built once per database content
    out: dict[str, Any] = {"workers": default_pool_size(), "variants": variants.count, "batch": batch,
                           "variants_build_s": time.perf_counter() - start}
    # The golds' results everywhere, warm: a right answer that is not the gold's own text makes the
    # reward run the gold (and its LIMIT tie set) on every variant; its own result is not reused.
    sql.score_many([f"```sql\nSELECT * FROM ({t.gold_sql.strip().rstrip(';')}) AS warm_up\n```" for t in truths],
                   truths, opts)
    pool = sql._databases(db).sandbox
    pool.wait_ready()
    single = SqlSandbox(db)
    single.execute("SELECT 1")
    floor_copy = db.with_name("floor-copy.db")  # its own file: the naive scorer opens `db` with other settings
    shutil.copy(db, floor_copy)
    floor = duckdb.connect(str(floor_copy), read_only=True, config={"threads": 1})
    floor.execute("SET disabled_optimizers = 'expression_rewriter'")  # as in the sandbox worker
    for mix in ("right", "grpo"):
        workload = sql_workload(truths, n, mix)
        meter, tally = Meter(), {}

        def batched(chunk):
            def work() -> int:
                for s in sql.score_many([f"```sql\n{q}\n```" for q, _ in chunk], [t for _, t in chunk], opts):
                    tally[s["outcome"]] = tally.get(s["outcome"], 0) + 1
                return len(chunk)
            return work

        def warm(chunk):
            return lambda: len(sql.score_many([f"```sql\n{q}\n```" for q, _ in chunk], [t for _, t in chunk], opts))

        def round_trip(chunk):
            def work() -> int:
                for query, truth in chunk:
                    try:
                        r = single.execute(query + " ", timeout_s=opts.sql_timeout_s, max_rows=opts.sql_max_rows)
                        compare_results(gold_canonical(truth), Canonical.of(r.columns, r.rows), truth.ordered)
                    except rewards.sql.SqlError:
                        pass
                return len(chunk)
            return work

        def naive(chunk, extra):
            def work() -> int:
                for query, truth in chunk:
                    naive_score(db, query + "  ", truth, opts.sql_max_rows, extra)
                return len(chunk)
            return work

        def duckdb_alone(chunk):
            def work() -> int:
                for query, _ in chunk:
                    try:
                        floor.execute(query + "   ").fetchmany(opts.sql_max_rows)
                    except duckdb.Error:
                        pass
                return len(chunk)
            return work

        for i in range(0, len(workload), batch):
            chunk = workload[i:i + batch]
            meter.run("batched", batched(chunk), lambda: [p for p in pool.worker_pids if p])
            meter.run("warm", warm(chunk))
            meter.run("round_trip", round_trip(chunk[:16]), lambda: [single.worker_pid] if single.worker_pid else [])
            meter.run("naive", naive(chunk[:4], ()))
            meter.run("naive_variants", naive(chunk[:2], variants.paths))
            meter.run("duckdb", duckdb_alone(chunk))
        if mix == "right":
            assert tally == {"right": len(workload)}, tally
        out[mix] = {"outcomes": tally, **{name: meter.rates(name) for name in meter.items}}
    single.close()
    floor.close()
    floor_copy.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads (CI smoke run)")
    parser.add_argument("--sql-only", action="store_true", help="skip the extraction measurement")
    args = parser.parse_args()
    n_ext, n_sql, repeats = (4000, 256, 2) if args.quick else (30000, 1024, 5)
    with tempfile.TemporaryDirectory() as tmp:
        records, db, source = load_inputs(Path(tmp))
        print(f"inputs: {source}; machine: {os.cpu_count()} CPUs, sum(range(1000)) = {calibration_us():.1f} us")
        extraction = {}
        if not args.sql_only:
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
        truths, sql_db, sql_source = sql_records(Path(tmp), records, db)
        result = bench_sql(truths, sql_db, n_sql, batch=64)
        cores = len(os.sched_getaffinity(0))
        print(f"\nsql reward on {sql_source}: {len(truths)} gold queries, {n_sql} distinct candidates per mix, "
              f"reward calls of {result['batch']}, {result['workers']} workers, {result['variants']} variants "
              f"(built in {result['variants_build_s']:.1f} s, once per database content)")
        print("  queries/s (wall) and CPU ms per query (this process + its sandbox workers); the methods take turns")
        labels = {"batched": "batched reward, distinct queries", "warm": "the same queries again (warm)",
                  "round_trip": "one round trip per query (before)", "naive": "connection per query (naive)",
                  "naive_variants": "naive with the same variants", "duckdb": "DuckDB alone, one connection"}
        for mix, label in (("right", "all right (each verified on every variant)"),
                           ("grpo", "GRPO-like mix (1/4 right, 3/4 near-misses)")):
            r = result[mix]
            print(f"  {label}: outcomes {r['outcomes']}")
            for name, text in labels.items():
                qps, cpu_ms = r[name]
                print(f"    {text:36s} {qps:8,.0f} /s  {cpu_ms:7.2f} CPU ms/query")
            ratio = r["batched"][0] / r["naive"][0]
            capacity = 1e3 * cores / r["batched"][1]
            print(f"    batched: {capacity:,.0f} queries/s if the {cores} cores were free "
                  f"[{'meets' if capacity >= 1000 else 'BELOW'} target 1,000]; ratio to naive {ratio:.1f}x wall, "
                  f"{r['naive'][1] / r['batched'][1]:.1f}x CPU [{'meets' if ratio >= 10 else 'BELOW'} target 10x]; "
                  f"to naive with variants {r['batched'][0] / r['naive_variants'][0]:.1f}x wall")


if __name__ == "__main__":
    main()
