"""The report stage's work: comparison table, plot data, PNG and worst cases from a real score run."""
from __future__ import annotations

import csv

import pytest

from common.io import read_jsonl
from factory.scoring.report import ReportPaths, build_report, render_worst_cases, worst_cases, _fence

from .conftest import benchmark_records


@pytest.fixture(scope="module")
def report(scored, benchmark_files, tmp_path_factory) -> ReportPaths:
    metrics, score_paths, params = scored
    root = tmp_path_factory.mktemp("reports")
    (root / "sft_curves.png").write_bytes(b"\x89PNG training curve stand-in")
    paths = ReportPaths(details=score_paths.details, generations=score_paths.generations,
                        benchmark=benchmark_files[0], page=root / "benchmark.md", worst_cases=root / "worst_cases.md",
                        score_csv=root / "plots" / "score_by_task.csv", score_png=root / "score_by_task.png",
                        curves=(root / "sft_curves.png", root / "grpo_curves.png"))  # grpo's absent: not shown
    build_report(params, paths)
    return paths


def _table(page: str, heading: str) -> dict[str, list[str]]:
    """The cells of the first table under `heading`, by row label (header under 'header')."""
    lines = [l for l in page.split(f"## {heading}\n\n", 1)[1].split("\n## ", 1)[0].splitlines() if l.startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    return {"header": cells[0], **{row[0].strip("*"): row for row in cells[2:]}}


def test_page_leads_with_the_task_score_and_the_floor_rows(report, scored):
    details = scored[0]
    page = report.page.read_text(encoding="utf-8")
    assert page.index("## Task score by task") < page.index("## Reward by task") < page.index("## Sub-scores")
    table = _table(page, "Task score by task")
    assert table["header"] == ["model", "sentiment", "push", "reasoning", "overall"]
    assert list(table)[1:] == ["base", "sft", "served", "floor: majority", "floor: constant", "floor: empty",
                                 "floor: echo"]
    assert table["sft"][2] == f"{details['sft']['by_task']['push']['task']:.3f}"
    assert table["sft"][4] == f"**{details['sft']['task']:.3f}**"
    majority = details["floor"]["answerers"]["majority"]
    assert table["floor: majority"][1] == f"{majority['by_task']['sentiment']['task']:.3f}"
    assert table["floor: empty"][1:] == ["0.000"] * 4
    assert "`majority` = the most frequent training answer" in page


def test_reward_table_has_cost_latency_privacy_for_models_only(report, scored):
    details = scored[0]
    page = report.page.read_text(encoding="utf-8")
    table = _table(page, "Reward by task")
    assert table["header"] == ["model", "sentiment", "push", "reasoning", "overall", "cost / query (USD)",
                               "latency p50 (s)", "latency p95 (s)", "tokens / query", "privacy"]
    served = table["served"]
    assert served[1] == f"{details['served']['by_task']['sentiment']['reward']:.3f}"
    assert served[4] == f"**{details['served']['reward']:.3f}**"
    assert served[5] == f"{details['served']['cost_per_query_usd']:.6f}"
    assert served[-1] == "api" and table["base"][-1] == "local"
    assert table["floor: echo"][5:] == [""] * 5
    assert details["base"]["lineage"]["benchmark_sha256"] in page
    assert details["sft"]["lineage"]["checkpoint_sha256"][:16] in page
    assert "No LLM judge configured" in page
    assert "![score_by_task](score_by_task.png)" in page and "![sft_curves](sft_curves.png)" in page
    assert "grpo_curves" not in page


def test_plot_csv_and_png(report, scored):
    details = scored[0]
    with open(report.score_csv, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == (3 + 1) * 4  # (tasks + overall) x (models + floor)
    assert rows[0] == {"label": "sentiment / base", "task": "sentiment", "model": "base",
                       "task_score": str(details["base"]["by_task"]["sentiment"]["task"]),
                       "reward": str(details["base"]["by_task"]["sentiment"]["reward"])}
    floor = details["floor"]
    best = floor["best"]["sentiment"]
    assert rows[3]["model"] == "floor (best trivial)"
    assert rows[3]["task_score"] == str(floor["answerers"][best]["by_task"]["sentiment"]["task"])
    assert rows[-1]["label"] == "overall / floor (best trivial)"
    assert report.score_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_worst_cases_show_prompt_output_and_gold(report, scored):
    _, score_paths, _ = scored
    page = report.worst_cases.read_text(encoding="utf-8")
    rows = read_jsonl(score_paths.generations / "sft.jsonl")
    worst = min((r for r in rows if r["task"] == "reasoning"), key=lambda r: (r["scores"]["reward"], r["id"]))
    record = next(r for r in benchmark_records() if r["id"] == worst["id"])
    section = page.split(f"### sft: `{worst['id']}`", 1)[1].split("\n### ", 1)[0]
    assert record["messages"][1]["content"] in section
    assert worst["completion"].strip() in section
    assert record["ground_truth"]["reference"] in section  # the gold, rendered by rewards.render
    assert page.count("\n### ") == 3 * 3 * 2  # models x tasks x eval.worst_cases


def test_worst_cases_pick_lowest_rewards_with_stable_ties():
    rows = [{"id": i, "task": "sql", "scores": {"reward": r}} for i, r in [("b", 0.1), ("a", 0.1), ("c", 0.0), ("d", 0.9)]]
    assert [r["id"] for r in worst_cases(rows, 3)["sql"]] == ["c", "a", "b"]


def test_model_output_cannot_break_out_of_its_code_block():
    text = "```sql\nSELECT 1\n```\nfim"
    fenced = _fence(text)
    assert fenced.startswith("````") and fenced.rstrip().endswith("````") and text in fenced
    records = {"x-y-0001": {"task": "sql", "messages": [{"role": "user", "content": "q"}], "ground_truth": {}}}
    page = render_worst_cases({"m": [{"id": "x-y-0001", "task": "sql", "difficulty": "simple", "completion": text,
                                      "scores": {"reward": 0.0}}]}, records, 1, lambda task, truth: "gold")
    assert "````text\n```sql" in page
