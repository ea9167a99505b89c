"""Score every configured model, and the trivial floor, on the benchmark; write metrics and details.

Targets, in params order: the local checkpoints `eval.models` (folders under data/models/) then the
OpenAI-compatible endpoints `eval.endpoints`; beside them the trivial answerers (`rewards/trivial.py`,
fitted on data/prompts/train.jsonl), scored through the same scorer. Per target, the headline
figures go to reports/metrics/score/<name>.json (DVC metrics) and everything to
reports/details/score/<name>.json; the floor is `floor.json` in both. Each output folder is written
all-or-nothing, so a failed run leaves the previous results intact and a removed model leaves no
stale file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from common.io import atomic_path, write_json
from factory.scoring.backends import Backend, EndpointBackend, LocalBackend
from factory.scoring.lineage import data_lineage
from factory.scoring.metrics import floor_headline, headline, summarize, summarize_scores
from factory.scoring.run import Scorer, decoding_from_params, latency_csv, run_benchmark, score_answers, write_generations
from rewards.trivial import trivial_answerers
from factory.training.monitors import Thresholds, completion_warnings
from factory.training.sampling import degeneracy
from schemas.records import read_records

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
FLOOR = "floor"  # the trivial answerers' file name: no model may be called that


@dataclass(frozen=True)
class ScorePaths:
    benchmark: Path = Path("data/prompts/benchmark.jsonl")
    manifest: Path = Path("data/prompts/manifest.json")
    train: Path = Path("data/prompts/train.jsonl")  # fits the trivial answerers
    models: Path = Path("data/models")
    db: Path = Path("data/commerce.db")
    metrics: Path = Path("reports/metrics/score")
    details: Path = Path("reports/details/score")
    generations: Path = Path("data/generations")
    latency: Path = Path("reports/plots/latency")


def target_names(eval_params: dict[str, Any]) -> list[str]:
    """Model then endpoint names, checked: file-name safe and unique (each names a metrics file)."""
    names = [str(m) for m in eval_params.get("models") or []] + [str(e.get("name")) for e in eval_params.get("endpoints") or []]
    for name in names:
        if not NAME.match(name):
            raise ValueError(f"params.yaml eval: model/endpoint name {name!r} must match {NAME.pattern}")
    if FLOOR in names:
        raise ValueError(f"params.yaml eval: {FLOOR!r} is reserved for the trivial answerers; rename that model")
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


def score_floor(records: list[dict[str, Any]], train: list[dict[str, Any]], scorer: Scorer) -> dict[str, Any]:
    """Details of the floor: each trivial answerer's score summary, and which one is best per task."""
    answerers = {name: summarize_scores(score_answers(records, answer, scorer))
                 for name, answer in trivial_answerers(train).items()}
    tasks = list(next(iter(answerers.values()))["by_task"])
    best = {t: max(answerers, key=lambda a: answerers[a]["by_task"][t]["task"]) for t in tasks}  # ties: TRIVIAL order
    return {"answerers": answerers, "best": best, "train_records": len(train)}


def completion_monitor(name: str, rows: list[dict[str, Any]], thresholds: dict[str, Any]) -> dict[str, Any]:
    """Degenerate-output figures of a model's benchmark completions (looping, never stopping), with a
    `WARNING [monitor]` line per failure: a collapsed model is flagged here, not only in training."""
    samples = [{"text": r["completion"], "stopped": r.get("finish_reason") != "length"} for r in rows]
    figures = degeneracy(samples, [float(r["scores"].get("format", 0.0)) for r in rows])
    warnings = completion_warnings(f"benchmark {name}", figures, Thresholds(**thresholds))
    for line in warnings:
        print(line, flush=True)
    return {**{k: round(v, 6) for k, v in figures.items()}, "warnings": len(warnings)}


def score_benchmark(params: dict[str, Any], paths: ScorePaths = ScorePaths(), scorer: Scorer | None = None) -> dict[str, dict[str, Any]]:
    """Run, score and write every target and the floor; returns the details per name (floor last)."""
    eval_params = params["eval"]
    names = target_names(eval_params)
    records = read_records(paths.benchmark)
    decoding = decoding_from_params(eval_params)
    batch_size = int(eval_params.get("batch_size") or 1)
    data = data_lineage(paths.benchmark, paths.manifest, {"eval": eval_params, "rewards": params["rewards"]})
    scorer = scorer or make_scorer(params, paths.db)
    floor = score_floor(records, read_records(paths.train), scorer)
    runs: dict[str, list[dict[str, Any]]] = {}
    details: dict[str, dict[str, Any]] = {}
    for backend in iter_backends(eval_params, paths.models):
        rows = run_benchmark(backend, records, decoding, scorer, batch_size)
        runs[backend.name] = rows
        details[backend.name] = {
            "model": backend.name,
            "privacy": backend.privacy,
            **summarize(rows),
            "monitor": completion_monitor(backend.name, rows, params["train"]["monitor"]),
            "decoding": {"temperature": decoding.temperature, "top_p": decoding.top_p,
                         "max_new_tokens": decoding.max_tokens, "seed": decoding.seed,
                         "batch_size": batch_size},
            "lineage": {**data, **backend.lineage()},
        }
        del backend  # free the model before loading the next one
    assert list(details) == names
    details[FLOOR] = {**floor, "lineage": data}
    with atomic_path(paths.metrics) as tmp:
        tmp.mkdir()
        for name in names:
            write_json(tmp / f"{name}.json", headline(details[name]))
        write_json(tmp / f"{FLOOR}.json", floor_headline(floor["answerers"]))
    with atomic_path(paths.details) as tmp:
        tmp.mkdir()
        for name, d in details.items():
            write_json(tmp / f"{name}.json", d)
    with atomic_path(paths.generations) as tmp:
        tmp.mkdir()
        for name, rows in runs.items():
            write_generations(tmp / f"{name}.jsonl", rows)
    with atomic_path(paths.latency) as tmp:
        tmp.mkdir()
        for name, rows in runs.items():
            (tmp / f"{name}.csv").write_text(latency_csv(rows), encoding="utf-8")
    return details
