"""Stage score: the benchmark through every model (eval.models) and endpoint (eval.endpoints).

Writes reports/metrics/score/<model>.json (scores, latency, tokens, cost, lineage hashes),
data/generations/<model>.jsonl (every completion with its sub-scores) and
reports/plots/latency/<model>.csv (latency per prompt).
"""
from __future__ import annotations

from factory.config import load_params
from factory.scoring.benchmark import score_benchmark


def main() -> None:
    metrics = score_benchmark(load_params())
    for name, m in metrics.items():
        print(f"{name:>12}: reward {m['reward']:.3f}  latency p50 {m['latency_s']['p50']:.2f}s  ({m['privacy']})")


if __name__ == "__main__":
    main()
