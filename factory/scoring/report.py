"""Comparison report from the score outputs: task score and reward tables with the trivial floor, plots, worst cases.

Everything here is rendered from the details files (reports/details/score/) and generations JSONL
that the `score` stage wrote; no number is computed anew, so the page and the metrics cannot
disagree. The page leads with the `task` (correctness) score per task and model, the trivial
answerers' rows beneath as the floor a model has to beat; the shaped reward follows.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from common.io import atomic_path, read_jsonl, write_text
from factory.scoring.benchmark import FLOOR, target_names
from rewards.trivial import TRIVIAL
from schemas.records import read_records
from schemas.tasks import STRATA, TASKS

OVERALL = "overall"
FLOOR_LABEL = "floor (best trivial)"  # per task, the best of the trivial answerers
TRIVIAL_DOCS = {
    "majority": "the most frequent training answer of the task (per-field majority for JSON answers)",
    "constant": "the constant JSON answer that scores best on the training records, searched field by field "
                "(text tasks: the majority answer)",
    "empty": "the empty answer",
    "echo": "the prompt's user message repeated back",
}


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _task_order(metrics: dict[str, dict[str, Any]]) -> list[str]:
    present = {t for m in metrics.values() for t in m["by_task"]}
    return [t for t in TASKS if t in present] + sorted(present - set(TASKS))


def _score(summary: dict[str, Any], task: str, key: str) -> float | None:
    """`key` (task, reward...) of a summary overall (task == OVERALL) or for one task; None if absent."""
    return summary.get(key) if task == OVERALL else summary["by_task"].get(task, {}).get(key)


def floor_summary(floor: dict[str, Any]) -> dict[str, Any]:
    """The floor as one summary: per task the best trivial answerer's scores (what the metrics show)."""
    answerers = floor["answerers"]
    best_overall = max(answerers, key=lambda a: answerers[a]["task"])
    return {**answerers[best_overall], "by_task": {t: answerers[a]["by_task"][t] for t, a in floor["best"].items()}}


def score_by_task_rows(metrics: dict[str, dict[str, Any]], floor: dict[str, Any]) -> list[dict[str, Any]]:
    """Long rows (task, model, task score, reward) for the DVC bar plot, the floor as one more 'model'."""
    rows = []
    summaries = {**metrics, FLOOR_LABEL: floor_summary(floor)}
    for task in [*_task_order(metrics), OVERALL]:
        for name, m in summaries.items():
            value = _score(m, task, "task")
            if value is not None:
                rows.append({"label": f"{task} / {name}", "task": task, "model": name, "task_score": value,
                             "reward": _score(m, task, "reward")})
    return rows


def write_score_csv(path: str | Path, metrics: dict[str, dict[str, Any]], floor: dict[str, Any]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["label", "task", "model", "task_score", "reward"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(score_by_task_rows(metrics, floor))
    write_text(path, buf.getvalue())


def plot_score_by_task(path: str | Path, metrics: dict[str, dict[str, Any]], floor: dict[str, Any]) -> None:
    """Grouped horizontal bars of the task score: one group per task (plus overall), one bar per model, the floor hatched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [*_task_order(metrics), OVERALL]
    summaries = {**metrics, FLOOR_LABEL: floor_summary(floor)}
    height = 0.8 / len(summaries)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.3 * len(tasks) * len(summaries)))
    for i, (name, m) in enumerate(summaries.items()):
        values = [_score(m, t, "task") for t in tasks]
        values = [float("nan") if v is None else v for v in values]
        ys = [k + (i - (len(summaries) - 1) / 2) * height for k in range(len(tasks))]
        style = {"color": "0.75", "hatch": "//", "edgecolor": "0.4"} if name == FLOOR_LABEL else {}
        bars = ax.barh(ys, values, height=height, label=name, **style)
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=7)  # a 0.00 bar is visible as its label
    ax.set_yticks(range(len(tasks)), tasks)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("task score: correctness sub-score, mean over benchmark prompts (0-1)")
    ax.set_ylabel("benchmark task")
    ax.set_title("Benchmark: task score by task and model, with the trivial floor")
    # outside the axes: a legend never covers a bar
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title="model")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)


def _md_table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _fence(text: str, lang: str = "") -> str:
    """A code fence longer than any backtick run inside `text`, so model output cannot break the page."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}\n"


def _score_table(metrics: dict[str, dict[str, Any]], floor: dict[str, Any], key: str,
                 extra: Callable[[dict[str, Any]], list[str]] | None = None, extra_header: list[str] = ()) -> str:
    """Rows per model then per trivial answerer: `key` by task and overall (models bold)."""
    tasks = _task_order(metrics)
    header = ["model", *tasks, OVERALL, *extra_header]
    rows = []
    for name, m in metrics.items():
        rows.append([f"**{name}**", *[_fmt(_score(m, t, key)) for t in tasks], f"**{_fmt(m.get(key))}**",
                     *(extra(m) if extra else [])])
    for name in TRIVIAL:
        m = floor["answerers"][name]
        rows.append([f"floor: {name}", *[_fmt(_score(m, t, key)) for t in tasks], _fmt(m.get(key)),
                     *([""] * len(extra_header))])
    return _md_table(header, rows, ["---"] + ["---:"] * (len(tasks) + 1) + ["---"] * len(extra_header))


def render_benchmark(metrics: dict[str, dict[str, Any]], floor: dict[str, Any], eval_params: dict[str, Any],
                     images: list[str]) -> str:
    """reports/benchmark.md: task score table with the floor, reward table, sub-scores, strata, lineage, plots."""
    tasks = _task_order(metrics)
    first = next(iter(metrics.values()))
    lineage = first["lineage"]
    n = first["n"]
    out = [f"# Benchmark: {n} prompts, {len(metrics)} models\n\n"]
    out.append(
        f"Benchmark `{lineage['benchmark']}` sha256 `{lineage['benchmark_sha256']}`, training data manifest "
        f"`{lineage['manifest']}` sha256 `{lineage['manifest_sha256']}`. Every model was scored with the same "
        f"system prompts and decoding: temperature {eval_params['temperature']}, top_p {eval_params['top_p']}, "
        f"max_new_tokens {eval_params['max_new_tokens']}, seed {eval_params.get('seed')}. Scores are the "
        "staged `rewards.score` (format, partial, task) in [0, 1]. Generated from `reports/details/score/` "
        "by `python -m stages.report`.\n\n"
    )
    out.append("## Task score by task\n\n")
    out.append("The `task` sub-score: is the answer right (fields correct, rows matching, figures and conclusion "
               "right). Churn is averaged within each outcome class, then over the two; extraction within "
               "each field's gold classes, then over fields (`rewards/aggregate.py`), so a constant answer "
               "earns chance there, not the share of the majority class; overall is the mean over tasks. "
               "The `floor` rows are answers that ignore the prompt, scored the same way; a model "
               "has learned a task only where it scores above every floor row.\n\n")
    out.append(_score_table(metrics, floor, "task"))
    docs = "; ".join(f"`{name}` = {TRIVIAL_DOCS[name]}" for name in TRIVIAL)
    out.append(f"\nFloor answerers (fitted on {floor['train_records']} training records): {docs}.\n")
    out.append("\n## Reward by task\n\n")
    out.append("The shaped reward GRPO trains on: format (0.2) + partial (0.3) + task (0.5) by default "
               "(`rewards.weights`).\n\n")

    def usage(m: dict[str, Any]) -> list[str]:
        tokens = m.get("tokens", {}).get("total_mean")
        return [_fmt(m.get("cost_per_query_usd"), 6), _fmt(m["latency_s"]["p50"], 2), _fmt(m["latency_s"]["p95"], 2),
                _fmt(tokens, 0) if tokens is not None else "n/a", m["privacy"]]

    out.append(_score_table(metrics, floor, "reward", usage,
                            ["cost / query (USD)", "latency p50 (s)", "latency p95 (s)", "tokens / query", "privacy"]))
    out.append(
        "\nPrivacy: `local` models run on this machine (no data leaves it); `api` endpoints receive every "
        "prompt. Cost for local models is latency x `eval.local_cost_per_hour`; for endpoints, tokens x "
        "`price_per_1k_tokens`; `n/a` where an endpoint reported no token usage.\n"
    )
    if images:
        out.append("\n## Plots\n\n")
        out += [f"![{Path(p).stem}]({p})\n\n" for p in images]
    out.append("\n## Sub-scores\n\n")
    keys = ["task", "reward", "format", "partial"]
    judged = any("judge" in m for m in metrics.values())
    header = ["model", *keys, *(["judge (insights, LLM)", "judged"] if judged else []), "truncated"]
    rows = []
    for name, m in metrics.items():
        row = [name, *[_fmt(m.get(k)) for k in keys]]
        if judged:
            row += [_fmt(m.get("judge")), str(m.get("judge_n", m["n"] if "judge" in m else 0))]
        rows.append(row + [_fmt(m.get("truncated_rate"))])
    out.append(_md_table(header, rows))
    if not judged:
        out.append("\nNo LLM judge configured (`eval.judge.base_url` is null): insights are scored by "
                   "grounding only and no judge metric exists.\n")
    out.append("\n## By stratum (task score)\n\n")
    best = floor_summary(floor)
    header = ["task", "stratum", "n", *metrics, FLOOR_LABEL]
    rows = []
    for t in tasks:
        present = {s for m in metrics.values() for s in m["by_task"].get(t, {}).get("by_stratum", {})}
        strata = [s for s in STRATA.get(t, ()) if s in present] + sorted(present - set(STRATA.get(t, ())))
        for s in strata:
            cells = [m["by_task"].get(t, {}).get("by_stratum", {}).get(s, {}) for m in [*metrics.values(), best]]
            count = next((c["n"] for c in cells if c), 0)
            rows.append([t, s, str(count), *[_fmt(c.get("task")) for c in cells]])
    out.append(_md_table(header, rows))
    out.append("\n## Lineage\n\n")
    rows = []
    for name, m in metrics.items():
        lin = m["lineage"]
        what = f"`{lin['checkpoint']}` `{lin['checkpoint_sha256'][:16]}`" if "checkpoint_sha256" in lin \
            else f"{lin['endpoint']} model `{lin['endpoint_model']}`"
        rows.append([name, what, f"`{lin['params_sha256'][:16]}`"])
    out.append(_md_table(["model", "checkpoint sha256 / endpoint", "score params sha256"], rows))
    out.append("\nWorst cases per task, with prompt, output and gold: [worst_cases.md](worst_cases.md).\n")
    return "".join(out)


def worst_cases(rows: list[dict[str, Any]], per_task: int) -> dict[str, list[dict[str, Any]]]:
    """The `per_task` lowest-reward rows of each task (ties broken by id, so the page is stable)."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["scores"]["reward"], r["id"])):
        bucket = by_task.setdefault(row["task"], [])
        if len(bucket) < per_task:
            bucket.append(row)
    return by_task


def render_worst_cases(
    generations: dict[str, list[dict[str, Any]]],
    records: dict[str, dict[str, Any]],
    per_task: int,
    gold: Callable[[str, dict[str, Any]], str],
) -> str:
    out = [f"# Worst cases: the {per_task} lowest-reward prompts per task and model\n\n"
           "Prompt is the user message (the system prompt is the task's, shared by all models); gold is the "
           "reference answer rendered from the ground truth.\n"]
    worst = {name: worst_cases(rows, per_task) for name, rows in generations.items()}
    present = {t for w in worst.values() for t in w}
    for task in [t for t in TASKS if t in present] + sorted(present - set(TASKS)):
        out.append(f"\n## {task}\n")
        for name, by_task in worst.items():
            for row in by_task.get(task, []):
                record = records[row["id"]]
                user = next(m["content"] for m in reversed(record["messages"]) if m["role"] == "user")
                subs = ", ".join(f"{k} {_fmt(v)}" for k, v in row["scores"].items() if k != "reward")
                out.append(f"\n### {name}: `{row['id']}` ({row['difficulty']}), reward {_fmt(row['scores']['reward'])}\n\n")
                out.append(f"Sub-scores: {subs or 'none'}.\n\n")
                out.append("Prompt:\n\n" + _fence(user, "text"))
                out.append("\nOutput:\n\n" + _fence(row["completion"] or "(empty)", "text"))
                out.append("\nGold:\n\n" + _fence(gold(record["task"], record["ground_truth"]), "text"))
    return "".join(out)


def json_gold(task: str, ground_truth: dict[str, Any]) -> str:
    return json.dumps(ground_truth, ensure_ascii=False, indent=2, sort_keys=True)


@dataclass(frozen=True)
class ReportPaths:
    details: Path = Path("reports/details/score")
    generations: Path = Path("data/generations")
    benchmark: Path = Path("data/prompts/benchmark.jsonl")
    page: Path = Path("reports/benchmark.md")
    worst_cases: Path = Path("reports/worst_cases.md")
    score_csv: Path = Path("reports/plots/score_by_task.csv")
    score_png: Path = Path("reports/score_by_task.png")
    # Training curves written by the sft and grpo stages (shown when present).
    curves: tuple[Path, ...] = (Path("reports/sft_curves.png"), Path("reports/grpo_curves.png"))


def load_details(folder: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """The score stage's details per name (models and FLOOR), by name."""
    missing = [n for n in names if not (folder / f"{n}.json").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: no score details for {missing} (run the score stage: dvc repro score)")
    return {n: json.loads((folder / f"{n}.json").read_text(encoding="utf-8")) for n in names}


def build_report(params: dict[str, Any], paths: ReportPaths = ReportPaths(),
                 gold: Callable[[str, dict[str, Any]], str] | None = None) -> None:
    """Write the comparison page, the worst-cases page, the score CSV (DVC plot) and its PNG."""
    if gold is None:
        from rewards.render import gold_answer as gold
    eval_params = params["eval"]
    names = target_names(eval_params)
    metrics = load_details(paths.details, names)
    floor = load_details(paths.details, [FLOOR])[FLOOR]
    generations = {n: read_jsonl(paths.generations / f"{n}.jsonl") for n in names}
    records = {r["id"]: r for r in read_records(paths.benchmark)}
    write_score_csv(paths.score_csv, metrics, floor)
    plot_score_by_task(paths.score_png, metrics, floor)
    curves = [p for p in paths.curves if p.is_file()]
    images = [Path(os.path.relpath(p, paths.page.parent)).as_posix() for p in [paths.score_png, *curves]]
    write_text(paths.page, render_benchmark(metrics, floor, eval_params, images))
    write_text(paths.worst_cases, render_worst_cases(generations, records, int(eval_params["worst_cases"]), gold))
