"""Comparison report from the score metrics: a task x model table (ADR style), plots, worst cases.

Everything here is rendered from the metrics files and generations JSONL that the `score` stage
wrote; no number is computed anew, so the page and `dvc metrics show` cannot disagree.
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

from factory.io import atomic_path, read_jsonl, write_text
from factory.scoring.benchmark import target_names
from schemas.records import read_records
from schemas.tasks import STRATA, TASKS

OVERALL = "overall"


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _task_order(metrics: dict[str, dict[str, Any]]) -> list[str]:
    present = {t for m in metrics.values() for t in m["by_task"]}
    return [t for t in TASKS if t in present] + sorted(present - set(TASKS))


def score_by_task_rows(metrics: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Long rows (task, model, reward) for the DVC bar plot; `label` keeps bars of one task together."""
    rows = []
    for task in [*_task_order(metrics), OVERALL]:
        for name, m in metrics.items():
            value = m["reward"] if task == OVERALL else m["by_task"].get(task, {}).get("reward")
            if value is not None:
                rows.append({"label": f"{task} / {name}", "task": task, "model": name, "reward": value})
    return rows


def write_score_csv(path: str | Path, metrics: dict[str, dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["label", "task", "model", "reward"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(score_by_task_rows(metrics))
    write_text(path, buf.getvalue())


def plot_score_by_task(path: str | Path, metrics: dict[str, dict[str, Any]]) -> None:
    """Grouped horizontal bars: one group per task (plus overall), one bar per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [*_task_order(metrics), OVERALL]
    names = list(metrics)
    height = 0.8 / max(1, len(names))
    fig, ax = plt.subplots(figsize=(8, 1.0 + 0.55 * len(tasks) * max(1, len(names)) ** 0.5))
    for i, name in enumerate(names):
        m = metrics[name]
        values = [m["reward"] if t == OVERALL else m["by_task"].get(t, {}).get("reward", float("nan")) for t in tasks]
        ys = [k + (i - (len(names) - 1) / 2) * height for k in range(len(tasks))]
        bars = ax.barh(ys, values, height=height, label=name)
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=7)  # a 0.00 bar is visible as its label
    ax.set_yticks(range(len(tasks)), tasks)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("mean reward (0-1)")
    ax.set_title("Benchmark: mean reward by task")
    ax.legend(loc="lower right", fontsize="small")
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


def render_benchmark(metrics: dict[str, dict[str, Any]], eval_params: dict[str, Any], images: list[str]) -> str:
    """reports/benchmark.md: comparison table, sub-scores, strata, lineage, plots."""
    tasks = _task_order(metrics)
    first = next(iter(metrics.values()))
    lineage = first["lineage"]
    n = first["n"]
    out = [f"# Benchmark: {n} prompts, {len(metrics)} models\n\n"]
    out.append(
        f"Benchmark `{lineage['benchmark']}` sha256 `{lineage['benchmark_sha256']}`, training data manifest "
        f"`{lineage['manifest']}` sha256 `{lineage['manifest_sha256']}`. Every model was scored with the same "
        f"system prompts and decoding: temperature {eval_params['temperature']}, top_p {eval_params['top_p']}, "
        f"max_new_tokens {eval_params['max_new_tokens']}, seed {eval_params.get('seed')}. Rewards are the "
        "staged `rewards.score` (format, partial, task) in [0, 1]. Generated from `reports/metrics/score/` "
        "by `python -m stages.report`.\n\n"
    )
    out.append("## Mean reward by task\n\n")
    header = ["model", *tasks, OVERALL, "cost / query (USD)", "latency p50 (s)", "latency p95 (s)", "tokens / query", "privacy"]
    rows = []
    for name, m in metrics.items():
        tokens = m.get("tokens", {}).get("total_mean")
        rows.append([
            f"**{name}**",
            *[_fmt(m["by_task"].get(t, {}).get("reward")) for t in tasks],
            f"**{_fmt(m['reward'])}**",
            _fmt(m.get("cost_per_query_usd"), 6),
            _fmt(m["latency_s"]["p50"], 2),
            _fmt(m["latency_s"]["p95"], 2),
            _fmt(tokens, 0) if tokens is not None else "n/a",
            m["privacy"],
        ])
    out.append(_md_table(header, rows, ["---"] + ["---:"] * (len(header) - 2) + ["---"]))
    out.append(
        "\nPrivacy: `local` models run on this machine (no data leaves it); `api` endpoints receive every "
        "prompt. Cost for local models is latency x `eval.local_cost_per_hour`; for endpoints, tokens x "
        "`price_per_1k_tokens`; `n/a` where an endpoint reported no token usage.\n"
    )
    if images:
        out.append("\n## Plots\n\n")
        out += [f"![{Path(p).stem}]({p})\n\n" for p in images]
    out.append("\n## Sub-scores\n\n")
    keys = ["reward", "format", "partial", "task"]
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
    out.append("\n## By stratum (mean reward)\n\n")
    header = ["task", "stratum", "n", *metrics]
    rows = []
    for t in tasks:
        present = {s for m in metrics.values() for s in m["by_task"].get(t, {}).get("by_stratum", {})}
        strata = [s for s in STRATA.get(t, ()) if s in present] + sorted(present - set(STRATA.get(t, ())))
        for s in strata:
            cells = [m["by_task"].get(t, {}).get("by_stratum", {}).get(s, {}) for m in metrics.values()]
            count = next((c["n"] for c in cells if c), 0)
            rows.append([t, s, str(count), *[_fmt(c.get("reward")) for c in cells]])
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
    metrics: Path = Path("reports/metrics/score")
    generations: Path = Path("data/generations")
    benchmark: Path = Path("data/prompts/benchmark.jsonl")
    page: Path = Path("reports/benchmark.md")
    worst_cases: Path = Path("reports/worst_cases.md")
    score_csv: Path = Path("reports/plots/score_by_task.csv")
    score_png: Path = Path("reports/score_by_task.png")
    # Training curves written by the sft and grpo stages (shown when present).
    curves: tuple[Path, ...] = (Path("reports/sft_curves.png"), Path("reports/grpo_curves.png"))


def load_metrics(folder: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    missing = [n for n in names if not (folder / f"{n}.json").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: no metrics for {missing} (run the score stage: dvc repro score)")
    return {n: json.loads((folder / f"{n}.json").read_text(encoding="utf-8")) for n in names}


def build_report(params: dict[str, Any], paths: ReportPaths = ReportPaths(),
                 gold: Callable[[str, dict[str, Any]], str] | None = None) -> None:
    """Write the comparison page, the worst-cases page, the score CSV (DVC plot) and its PNG."""
    if gold is None:
        from rewards.render import gold_answer as gold
    eval_params = params["eval"]
    names = target_names(eval_params)
    metrics = load_metrics(paths.metrics, names)
    generations = {n: read_jsonl(paths.generations / f"{n}.jsonl") for n in names}
    records = {r["id"]: r for r in read_records(paths.benchmark)}
    write_score_csv(paths.score_csv, metrics)
    plot_score_by_task(paths.score_png, metrics)
    curves = [p for p in paths.curves if p.is_file()]
    images = [Path(os.path.relpath(p, paths.page.parent)).as_posix() for p in [paths.score_png, *curves]]
    write_text(paths.page, render_benchmark(metrics, eval_params, images))
    write_text(paths.worst_cases, render_worst_cases(generations, records, int(eval_params.get("worst_cases", 2)), gold))
