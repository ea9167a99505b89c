"""Stage score: the benchmark through every model (eval.models) and endpoint (eval.endpoints), and the floor.

Writes reports/metrics/score/<model>.json (headline scores, latency p50, short lineage hashes),
reports/metrics/score/floor.json (the best trivial answerer's task score per task),
reports/details/score/<name>.json (every sub-score, stratum, token, cost and full hash),
data/generations/<model>.jsonl (every completion with its sub-scores) and
reports/plots/latency/<model>.csv (latency per prompt).
"""
from __future__ import annotations

from factory.config import load_params
from factory import tasks  # noqa: F401  (registers every task: the built-ins and factory/tasks plugins)
from factory.scoring.benchmark import FLOOR, score_benchmark


def main() -> None:
    details = score_benchmark(load_params())
    for name, m in details.items():
        if name == FLOOR:
            best = ", ".join(f"{t} {m['answerers'][a]['by_task'][t]['task']:.2f} ({a})" for t, a in m["best"].items())
            print(f"{name:>12}: best trivial task score per task: {best}")
        else:
            print(f"{name:>12}: task {m['task']:.3f}  reward {m['reward']:.3f}  latency p50 {m['latency_s']['p50']:.2f}s"
                  f"  ({m['privacy']})")


if __name__ == "__main__":
    main()
