"""The report stage's work: comparison table, plot data, PNG and worst cases from a real score run."""
from __future__ import annotations

import csv

import pytest

from factory.io import read_jsonl
from factory.scoring.report import ReportPaths, build_report, render_worst_cases, worst_cases, _fence

from .conftest import benchmark_records


@pytest.fixture(scope="module")
def report(scored, benchmark_files, tmp_path_factory) -> ReportPaths:
    metrics, score_paths, params = scored
    root = tmp_path_factory.mktemp("reports")
    (root / "sft_curves.png").write_bytes(b"\x89PNG training curve stand-in")
    paths = ReportPaths(metrics=score_paths.metrics, generations=score_paths.generations,
                        benchmark=benchmark_files[0], page=root / "benchmark.md", worst_cases=root / "worst_cases.md",
                        score_csv=root / "plots" / "score_by_task.csv", score_png=root / "score_by_task.png",
                        curves=(root / "sft_curves.png", root / "grpo_curves.png"))  # grpo's absent: not shown
    build_report(params, paths)
    return paths


def test_comparison_table_has_one_row_per_model_with_cost_latency_privacy(report, scored):
    metrics = scored[0]
    page = report.page.read_text(encoding="utf-8")
    table = page.split("## Mean reward by task\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table[0] == ("| model | sentiment | push | reasoning | overall | cost / query (USD) | latency p50 (s) "
                        "| latency p95 (s) | tokens / query | privacy |")
    rows = {line.split(" | ")[0].strip("| *"): line for line in table[2:]}
    assert list(rows) == ["base", "sft", "served"]
    cells = [c.strip() for c in rows["served"].strip("|").split("|")]
    assert cells[1] == f"{metrics['served']['by_task']['sentiment']['reward']:.3f}"
    assert cells[4] == f"**{metrics['served']['reward']:.3f}**"
    assert cells[5] == f"{metrics['served']['cost_per_query_usd']:.6f}"
    assert cells[-1] == "api" and rows["base"].rstrip(" |").endswith("local")
    assert metrics["base"]["lineage"]["benchmark_sha256"] in page
    assert metrics["sft"]["lineage"]["checkpoint_sha256"][:16] in page
    assert "No LLM judge configured" in page
    assert "![score_by_task](score_by_task.png)" in page and "![sft_curves](sft_curves.png)" in page
    assert "grpo_curves" not in page


def test_plot_csv_and_png(report, scored):
    metrics = scored[0]
    with open(report.score_csv, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == (3 + 1) * 3  # (tasks + overall) x models
    assert rows[0] == {"label": "sentiment / base", "task": "sentiment", "model": "base",
                       "reward": str(metrics["base"]["by_task"]["sentiment"]["reward"])}
    assert rows[-1]["label"] == "overall / served"
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
