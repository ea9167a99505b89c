"""Score the configured models, and the trivial floor, on the benchmark; write metrics and details.

Targets, in params order: the local checkpoints `eval.models` (folders under data/models/) then the
OpenAI-compatible endpoints `eval.endpoints`; beside them the trivial answerers (`rewards/trivial.py`,
fitted on data/prompts/train.jsonl), scored through the same scorer. Each target is scored on its
own (`score_target`: one dvc.yaml stage per model, so a GRPO experiment rescoring grpo does not
rescore base and sft) and writes reports/metrics/score/<name>.json (headline, DVC metrics),
reports/details/score/<name>.json (everything), data/generations/<name>.jsonl and
reports/plots/latency/<name>.csv, each file all-or-nothing after the whole run succeeded; the floor
is `floor.json` in metrics and details (`score_floor_target`). `score_benchmark` does all of them in
one call and removes the files of targets no longer configured.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.io import write_json, write_text
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

    def outputs(self, name: str) -> tuple[Path, Path, Path, Path]:
        """One target's files: generations, latency plot, details, headline metrics (written in this order)."""
        return (self.generations / f"{name}.jsonl", self.latency / f"{name}.csv", self.details / f"{name}.json",
                self.metrics / f"{name}.json")


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


# The params a target's scores depend on: its lineage params hash covers exactly these, and
# dvc.yaml's score stages list exactly these (tests/factory/scoring/test_benchmark.py keeps them equal).
TARGET_EVAL_KEYS = ("temperature", "top_p", "max_new_tokens", "seed", "batch_size", "local_cost_per_hour",
                    "cpu_threads", "judge")
REWARD_KEYS = ("weights", "sql_timeout_s", "sql_max_rows")


def scoring_params(params: dict[str, Any]) -> dict[str, Any]:
    """The subset of params that every target's (and the floor's) scores depend on."""
    return {"eval": {k: params["eval"][k] for k in TARGET_EVAL_KEYS if k in params["eval"]},
            "rewards": {k: params["rewards"][k] for k in REWARD_KEYS if k in params["rewards"]},
            "monitor": params["train"]["monitor"]}


def _backend(eval_params: dict[str, Any], name: str, models_dir: Path) -> tuple[Backend, dict[str, Any] | None]:
    """The backend for one configured target name, and its endpoint spec (None for a local model)."""
    names = target_names(eval_params)
    if name not in names:
        raise ValueError(f"params.yaml eval: {name!r} is not a configured model or endpoint (configured: {names})")
    for spec in eval_params.get("endpoints") or []:
        if str(spec.get("name")) == name:
            return EndpointBackend.from_params(spec), spec
    return LocalBackend(name, models_dir / name, eval_params.get("local_cost_per_hour") or 0.0,
                        cpu_threads=eval_params.get("cpu_threads")), None


def score_target(params: dict[str, Any], name: str, paths: ScorePaths = ScorePaths(),
                 scorer: Scorer | None = None) -> dict[str, Any]:
    """Run and score one model or endpoint on the benchmark, write its four files; returns its details."""
    eval_params = params["eval"]
    records = read_records(paths.benchmark)  # a bad benchmark fails before a model is loaded
    backend, spec = _backend(eval_params, name, paths.models)
    decoding = decoding_from_params(eval_params)
    batch_size = int(eval_params.get("batch_size") or 1)
    settings = scoring_params(params)
    if spec is not None:
        settings["endpoint"] = spec
    data = data_lineage(paths.benchmark, paths.manifest, settings)
    scorer = scorer or make_scorer(params, paths.db)
    rows = run_benchmark(backend, records, decoding, scorer, batch_size)
    details = {
        "model": backend.name,
        "privacy": backend.privacy,
        **summarize(rows),
        "monitor": completion_monitor(backend.name, rows, params["train"]["monitor"]),
        "decoding": {"temperature": decoding.temperature, "top_p": decoding.top_p,
                     "max_new_tokens": decoding.max_tokens, "seed": decoding.seed, "batch_size": batch_size},
        "lineage": {**data, **backend.lineage()},
    }
    generations, latency, details_file, metrics_file = paths.outputs(name)
    write_generations(generations, rows)
    write_text(latency, latency_csv(rows))
    write_json(details_file, details)
    write_json(metrics_file, headline(details))  # last: the metric says it is all there
    return details


def score_floor_target(params: dict[str, Any], paths: ScorePaths = ScorePaths(),
                       scorer: Scorer | None = None) -> dict[str, Any]:
    """Score the trivial answerers, write floor.json in metrics and details; returns the details."""
    records = read_records(paths.benchmark)
    data = data_lineage(paths.benchmark, paths.manifest, scoring_params(params))
    floor = score_floor(records, read_records(paths.train), scorer or make_scorer(params, paths.db))
    details = {**floor, "lineage": data}
    write_json(paths.details / f"{FLOOR}.json", details)
    write_json(paths.metrics / f"{FLOOR}.json", floor_headline(floor["answerers"]))
    return details


def score_benchmark(params: dict[str, Any], paths: ScorePaths = ScorePaths(), scorer: Scorer | None = None) -> dict[str, dict[str, Any]]:
    """Every target then the floor, in one call (`python -m stages.score` with no name); returns the
    details per name (floor last). Files of targets no longer configured are removed."""
    names = target_names(params["eval"])
    scorer = scorer or make_scorer(params, paths.db)
    details = {name: score_target(params, name, paths, scorer) for name in names}  # the first reads the benchmark
    details[FLOOR] = score_floor_target(params, paths, scorer)
    kept = {*names, FLOOR}
    for blank in paths.outputs(""):  # each of a target's folders, and its file suffix
        for stale in blank.parent.glob(f"*{blank.name}"):
            if stale.name[: -len(blank.name)] not in kept:
                stale.unlink()
    return details
