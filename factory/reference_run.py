"""A reference run, kept: copy one finished pipeline's params, lock, scores, curves and samples into
`reports/reference_runs/<name>/` and judge it against the targets issue 15 sets.

A `dvc exp run` leaves its results in the workspace, where the next run overwrites them. This keeps
the evidence that the recipe works on a real model in git: what ran (`params.yaml`, `dvc.lock`),
what it scored (`score/<model>.json` in the schema of `reports/metrics/score/`, `benchmark.md`),
how training went (curves, monitors) and what the models wrote (`samples.md`). `lineage.json` names
the benchmark and manifest hashes, so the run can be checked to be on the default data.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterable

from common.io import atomic_path, dumps_json, read_jsonl

# Files copied as they are (workspace-relative source -> folder-relative target); missing ones are an error.
COPIED = {
    "params.yaml": "params.yaml",
    "dvc.lock": "dvc.lock",
    "reports/benchmark.md": "benchmark.md",
    "reports/worst_cases.md": "worst_cases.md",
    "reports/sft_samples.md": "sft_samples.md",
    "reports/sft_curves.png": "curves/sft_curves.png",
    "reports/grpo_curves.png": "curves/grpo_curves.png",
    "reports/score_by_task.png": "curves/score_by_task.png",
    "reports/plots/sft_log.csv": "curves/sft_log.csv",
    "reports/plots/grpo_log.csv": "curves/grpo_log.csv",
    "reports/plots/grpo_eval.csv": "curves/grpo_eval.csv",
    "reports/plots/grpo_rewards.csv": "curves/grpo_rewards.csv",
    "reports/details/base_model.json": "training/base_model.json",
    "reports/details/sft.json": "training/sft.json",
    "reports/details/grpo.json": "training/grpo.json",
}
SAMPLES_PER_TASK = 2      # benchmark completions per task and model in samples.md
SAMPLE_CHARS = 600        # a completion is cut to this many characters there
LEARNED_FORMAT = 0.5      # a model "learned the format" of a task when its mean format sub-score is at least this


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing (run the whole pipeline first: dvc exp run ... or dvc repro)")
    return json.loads(path.read_text(encoding="utf-8"))


def verdict(headline: dict[str, dict[str, Any]], details: dict[str, dict[str, Any]],
            floor: dict[str, float], models: tuple[str, str, str] = ("base", "sft", "grpo")) -> dict[str, Any]:
    """The issue's targets, computed from the score files: base < sft < grpo on the mean task score,
    grpo >= sft on at least 4 of the 5 benchmark tasks, and every model above the trivial floor on each
    task where it learned the format (mean format sub-score >= LEARNED_FORMAT)."""
    base, sft, grpo = models
    tasks = sorted(details[grpo]["by_task"])
    overall = {m: headline[m]["task"] for m in models}
    grpo_vs_sft = {t: headline[grpo][t] >= headline[sft][t] for t in tasks}
    above_floor: dict[str, dict[str, bool]] = {}
    for m in models:
        for t in tasks:
            if details[m]["by_task"][t]["format"] >= LEARNED_FORMAT:
                above_floor.setdefault(m, {})[t] = headline[m][t] > floor[t]
    checks = {
        "base_lt_sft": overall[base] < overall[sft],
        "sft_lt_grpo": overall[sft] < overall[grpo],
        "grpo_ge_sft_on_4_of_5_tasks": sum(grpo_vs_sft.values()) >= min(4, len(tasks)),
        "above_floor_where_format_learned": all(v for per in above_floor.values() for v in per.values()),
    }
    return {"overall_task_score": overall, "grpo_ge_sft": grpo_vs_sft, "above_floor": above_floor,
            "checks": checks, "all_met": all(checks.values())}


def _samples_md(generations: dict[str, list[dict[str, Any]]], tasks: Iterable[str]) -> str:
    lines = ["# Benchmark samples", "",
             f"The first {SAMPLES_PER_TASK} benchmark prompts of each task (by id) and what each model answered "
             f"(cut to {SAMPLE_CHARS} characters), with its task score and reward.", ""]
    for task in tasks:
        lines += [f"## {task}", ""]
        ids = sorted({row["id"] for rows in generations.values() for row in rows if row["task"] == task})
        for record_id in ids[:SAMPLES_PER_TASK]:
            lines += [f"### {record_id}", ""]
            for model, rows in generations.items():
                row = next(r for r in rows if r["id"] == record_id)
                text = row["completion"][:SAMPLE_CHARS].replace("```", "ʼʼʼ")
                cut = " (cut)" if len(row["completion"]) > SAMPLE_CHARS else ""
                lines += [f"**{model}** (task {row['scores']['task']:.3f}, reward {row['scores']['reward']:.3f}){cut}:",
                          "", "```", text, "```", ""]
    return "\n".join(lines)


def _fig(value: Any) -> str:
    """A training figure as people read it: 3 significant digits, or "-" when absent."""
    return "-" if value is None else f"{value:.3g}" if isinstance(value, (int, float)) else str(value)


def _readme(name: str, lineage: dict[str, Any], result: dict[str, Any], headline: dict[str, dict[str, Any]],
            floor: dict[str, float], training: dict[str, dict[str, Any]]) -> str:
    tasks = sorted(result["grpo_ge_sft"])
    rows = [f"| {m} | " + " | ".join(f"{headline[m][t]:.3f}" for t in tasks) + f" | **{headline[m]['task']:.3f}** |"
            for m in headline]
    rows.append("| floor (best trivial answer) | " + " | ".join(f"{floor[t]:.3f}" for t in tasks)
                + f" | {floor['task']:.3f} |")
    checks = "\n".join(f"- {'met' if ok else '**not met**'}: `{check}`" for check, ok in result["checks"].items())
    sft, grpo = training["sft"], training["grpo"]
    return "\n".join([
        f"# Reference run: {name}", "",
        f"Collected by `python -m stages.reference_run {name}` from the workspace of the run. Benchmark sha256 "
        f"`{lineage['benchmark_sha256']}`, training-data manifest sha256 `{lineage['manifest_sha256']}`.", "",
        "## Task score on the benchmark", "",
        "| model | " + " | ".join(tasks) + " | overall |", "|---|" + "---:|" * (len(tasks) + 1), *rows, "",
        "## Targets (issue 15)", "", checks, "",
        "## Training", "",
        f"- SFT: {sft.get('global_step')} steps, {_fig(sft.get('seconds_per_step'))} s/step, {sft.get('train_records')} "
        f"records, loss {_fig(sft.get('loss_first'))} -> {_fig(sft.get('loss_last'))}, val loss {_fig(sft.get('val_loss'))}.",
        f"- GRPO: {grpo.get('global_step')} steps, {_fig(grpo.get('seconds_per_step'))} s/step, reward "
        f"{_fig(grpo.get('reward_first'))} -> {_fig(grpo.get('reward_last'))}, val reward {_fig(grpo.get('eval_reward_mean'))}.",
        "", "Files: `params.yaml` and `dvc.lock` of the run, `score/` (headline, schema of `reports/metrics/score/`), "
        "`details/` (every sub-score), `benchmark.md`, `curves/`, `training/`, `samples.md`, `sft_samples.md`, "
        "`worst_cases.md`, `lineage.json`, `verdict.json`.", ""])


def collect(workspace: str | Path, name: str, out_root: str | Path | None = None) -> dict[str, Any]:
    """Copy the finished run in `workspace` to `<out_root>/<name>/` (default `workspace/reports/reference_runs`)
    atomically; return the verdict."""
    ws = Path(workspace)
    out = Path(out_root) if out_root is not None else ws / "reports" / "reference_runs"
    models = ("base", "sft", "grpo")
    headline = {m: _load(ws / "reports/metrics/score" / f"{m}.json") for m in models}
    details = {m: _load(ws / "reports/details/score" / f"{m}.json") for m in models}
    floor_headline = _load(ws / "reports/metrics/score/floor.json")
    hashes = {details[m]["lineage"]["benchmark_sha256"] for m in models}
    if len(hashes) != 1:
        raise ValueError(f"the three models were scored on different benchmarks: {sorted(hashes)}")
    generations = {m: read_jsonl(ws / "data/generations" / f"{m}.jsonl") for m in models}
    training = {s: _load(ws / "reports/details" / f"{s}.json") for s in ("sft", "grpo")}
    result = verdict(headline, details, floor_headline, models)
    lineage = {k: details["grpo"]["lineage"][k] for k in ("benchmark", "benchmark_sha256", "manifest", "manifest_sha256")}
    lineage["checkpoint_sha256"] = {m: details[m]["lineage"]["checkpoint_sha256"] for m in models}
    tasks = sorted(result["grpo_ge_sft"])  # the tasks the verdict judged
    with atomic_path(out / name) as tmp:
        tmp.mkdir()
        for source, target in COPIED.items():
            src = ws / source
            if not src.is_file():
                raise FileNotFoundError(f"{src}: missing from the run's workspace")
            (tmp / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tmp / target)
        for folder in ("score", "details"):
            (tmp / folder).mkdir()
        for m in (*models, "floor"):
            shutil.copyfile(ws / "reports/metrics/score" / f"{m}.json", tmp / "score" / f"{m}.json")
            shutil.copyfile(ws / "reports/details/score" / f"{m}.json", tmp / "details" / f"{m}.json")
        (tmp / "lineage.json").write_text(dumps_json(lineage), encoding="utf-8")
        (tmp / "verdict.json").write_text(dumps_json(result), encoding="utf-8")
        (tmp / "samples.md").write_text(_samples_md(generations, tasks), encoding="utf-8")
        (tmp / "README.md").write_text(_readme(name, lineage, result, headline, floor_headline, training),
                                       encoding="utf-8")
    return result


STALE_FILE = "stale.json"
STALE_BANNER = "> **Stale:** "
LINEAGE_KEYS = ("benchmark_sha256", "manifest_sha256")


def default_lineage(workspace: str | Path) -> dict[str, str]:
    """The benchmark and manifest hashes of the default pipeline's current outputs in `workspace`."""
    details = _load(Path(workspace) / "reports/details/score/base.json")
    return {k: details["lineage"][k] for k in LINEAGE_KEYS}


def mark_stale(run_dir: str | Path, workspace: str | Path, reason: str) -> dict[str, Any]:
    """Record that the default data moved on since the run in `run_dir`: `stale.json` names the hashes
    the run was on and the default's now, with the reason, and README.md opens with a banner. The
    record is for exactly those default hashes: when the data changes again it must be renewed (or the
    run redone), so a stale run can never pass for evidence about the current data."""
    run_dir = Path(run_dir)
    lineage = _load(run_dir / "lineage.json")
    now = default_lineage(workspace)
    run_on = {k: lineage[k] for k in LINEAGE_KEYS}
    if run_on == now:
        raise ValueError(f"{run_dir.name}: its benchmark and manifest are the default's; it is not stale")
    if not reason.strip():
        raise ValueError("a reason is required (what changed in the data since the run)")
    record = {"run_on": run_on, "current_default": now, "reason": reason.strip()}
    (run_dir / STALE_FILE).write_text(dumps_json(record), encoding="utf-8")
    readme = run_dir / "README.md"
    body = readme.read_text(encoding="utf-8")
    if body.startswith(STALE_BANNER):
        body = body.split("\n\n", 1)[1]
    banner = (f"{STALE_BANNER}this run was on benchmark `{run_on['benchmark_sha256'][:12]}` / manifest "
              f"`{run_on['manifest_sha256'][:12]}`; the default data is now benchmark "
              f"`{now['benchmark_sha256'][:12]}` / manifest `{now['manifest_sha256'][:12]}` ({record['reason']}). "
              "Its numbers are evidence about the earlier data only; rerun the recipe to renew it.")
    readme.write_text(f"{banner}\n\n{body}", encoding="utf-8")
    return record
