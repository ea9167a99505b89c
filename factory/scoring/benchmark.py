"""Score every configured model on the benchmark and write metrics, generations and latency plots.

Targets, in params order: the local checkpoints `eval.models` (folders under data/models/) then the
OpenAI-compatible endpoints `eval.endpoints`. Each output folder is written all-or-nothing, so a
failed run leaves the previous results intact and a removed model leaves no stale metrics file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from factory.io import atomic_path, write_json
from factory.scoring.backends import Backend, EndpointBackend, LocalBackend
from factory.scoring.lineage import data_lineage
from factory.scoring.metrics import summarize
from factory.scoring.run import Scorer, decoding_from_params, latency_csv, run_benchmark, write_generations
from schemas.records import read_records

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ScorePaths:
    benchmark: Path = Path("data/prompts/benchmark.jsonl")
    manifest: Path = Path("data/prompts/manifest.json")
    models: Path = Path("data/models")
    db: Path = Path("data/commerce.db")
    metrics: Path = Path("reports/metrics/score")
    generations: Path = Path("data/generations")
    latency: Path = Path("reports/plots/latency")


def target_names(eval_params: dict[str, Any]) -> list[str]:
    """Model then endpoint names, checked: file-name safe and unique (each names a metrics file)."""
    names = [str(m) for m in eval_params.get("models") or []] + [str(e.get("name")) for e in eval_params.get("endpoints") or []]
    for name in names:
        if not NAME.match(name):
            raise ValueError(f"params.yaml eval: model/endpoint name {name!r} must match {NAME.pattern}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"params.yaml eval: names used twice across models and endpoints: {duplicates}")
    if not names:
        raise ValueError("params.yaml eval: no models and no endpoints to score")
    return names


def iter_backends(eval_params: dict[str, Any], models_dir: Path) -> Iterator[Backend]:
    """One backend at a time, so only one local model is in memory."""
    for name in eval_params.get("models") or []:
        yield LocalBackend(str(name), models_dir / str(name), eval_params.get("local_cost_per_hour") or 0.0,
                           cpu_threads=eval_params.get("cpu_threads"))
    for spec in eval_params.get("endpoints") or []:
        yield EndpointBackend.from_params(spec)


def make_scorer(params: dict[str, Any], db_path: Path, judge: Any = None) -> Scorer:
    """`rewards.score` with params' weights, the database and the LLM judge (`eval.judge`, or `judge`).

    A judge that gives no usable verdict (endpoint down after retries, unparseable output) does not
    stop the run and is never turned into a number: that row is scored without the judge and
    carries `judge: None` and `judge_status: "unavailable: <reason>"`.
    """
    import rewards
    from rewards.judge import JudgeError

    settings = params["rewards"]
    kwargs = dict(db_path=db_path, weights=settings["weights"], sql_timeout_s=settings.get("sql_timeout_s", 1.0),
                  sql_max_rows=settings.get("sql_max_rows", 1000))
    judged = rewards.options(**kwargs, judge=judge if judge is not None else params["eval"].get("judge"))
    unjudged = rewards.options(**kwargs) if judged.judge is not None else judged

    def scorer(task: str, completion: str, ground_truth: dict[str, Any], prompt: str) -> dict[str, Any]:
        try:
            return rewards.score(task, completion, ground_truth, prompt=prompt, options=judged)
        except JudgeError as err:
            scores = rewards.score(task, completion, ground_truth, prompt=prompt, options=unjudged)
            return {**scores, "judge": None, "judge_status": f"unavailable: {err}"}

    return scorer


def score_benchmark(params: dict[str, Any], paths: ScorePaths = ScorePaths(), scorer: Scorer | None = None) -> dict[str, dict[str, Any]]:
    """Run, score and write every target; returns the metrics per target name."""
    eval_params = params["eval"]
    names = target_names(eval_params)
    records = read_records(paths.benchmark)
    decoding = decoding_from_params(eval_params)
    data = data_lineage(paths.benchmark, paths.manifest, {"eval": eval_params, "rewards": params["rewards"]})
    scorer = scorer or make_scorer(params, paths.db)
    runs: dict[str, list[dict[str, Any]]] = {}
    metrics: dict[str, dict[str, Any]] = {}
    for backend in iter_backends(eval_params, paths.models):
        rows = run_benchmark(backend, records, decoding, scorer)
        runs[backend.name] = rows
        metrics[backend.name] = {
            "model": backend.name,
            "privacy": backend.privacy,
            **summarize(rows),
            "decoding": {"temperature": decoding.temperature, "top_p": decoding.top_p,
                         "max_new_tokens": decoding.max_tokens, "seed": decoding.seed},
            "lineage": {**data, **backend.lineage()},
        }
        del backend  # free the model before loading the next one
    assert list(metrics) == names
    with atomic_path(paths.metrics) as tmp:
        tmp.mkdir()
        for name, m in metrics.items():
            write_json(tmp / f"{name}.json", m)
    with atomic_path(paths.generations) as tmp:
        tmp.mkdir()
        for name, rows in runs.items():
            write_generations(tmp / f"{name}.jsonl", rows)
    with atomic_path(paths.latency) as tmp:
        tmp.mkdir()
        for name, rows in runs.items():
            (tmp / f"{name}.csv").write_text(latency_csv(rows), encoding="utf-8")
    return metrics
