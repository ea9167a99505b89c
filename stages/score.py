"""Stage score: the benchmark through one model, endpoint or the floor, or all of them.

`python -m stages.score NAME` scores one target of params.yaml eval (a folder of `eval.models` under
data/models/, or the `name` of an `eval.endpoints` entry), `python -m stages.score floor` the trivial
answerers, and `python -m stages.score` every target and the floor. dvc.yaml runs one stage per
target (score@base, score@sft, score@grpo, score_endpoint@i, score_floor), so retraining one model
rescores that model alone.

Per target: reports/metrics/score/<name>.json (headline scores, latency p50, short lineage hash),
reports/details/score/<name>.json (every sub-score, stratum, token, cost and full hash),
data/generations/<name>.jsonl (every completion with its sub-scores) and
reports/plots/latency/<name>.csv (latency per prompt); the floor: floor.json in metrics and details
(the best trivial answerer's task score per task).
"""
from __future__ import annotations

import argparse
from typing import Any

from factory.config import load_params
from factory import tasks  # noqa: F401  (registers every task: the built-ins and factory/tasks plugins)
from factory.scoring.benchmark import FLOOR, score_benchmark, score_floor_target, score_target


def _print(name: str, m: dict[str, Any]) -> None:
    if name == FLOOR:
        best = ", ".join(f"{t} {m['answerers'][a]['by_task'][t]['task']:.2f} ({a})" for t, a in m["best"].items())
        print(f"{name:>12}: best trivial task score per task: {best}")
    else:
        print(f"{name:>12}: task {m['task']:.3f}  reward {m['reward']:.3f}  latency p50 {m['latency_s']['p50']:.2f}s"
              f"  ({m['privacy']})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help=f"a model or endpoint name of params.yaml eval, or {FLOOR!r}; "
                                                "none: every target and the floor")
    args = parser.parse_args(argv)
    params = load_params()
    if args.name is None:
        details = score_benchmark(params)
    elif args.name == FLOOR:
        details = {FLOOR: score_floor_target(params)}
    else:
        details = {args.name: score_target(params, args.name)}
    for name, m in details.items():
        _print(name, m)


if __name__ == "__main__":
    main()
