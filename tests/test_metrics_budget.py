"""DVC metrics stay readable: few leaves in all, and a score table that fits a 200-column terminal.

`dvc metrics show` prints every leaf as a column (issue 13: it printed 668 columns). The pipeline's
metrics files together hold at most `factory.reporting.MAX_LEAVES` leaves; the per-model score files
share their keys, so `dvc metrics show --md reports/metrics/score` is one short row per model.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from factory.reporting import (MAX_LEAVES, count_leaves, iter_leaves, keep_list, round_125, select, short_hash,
                               write_metrics, write_stage_metrics)
from factory.scoring.metrics import floor_headline, headline
from schemas.tasks import TASKS

REPO = Path(__file__).resolve().parents[1]


def test_leaves_are_counted_the_way_dvc_flattens(tmp_path):
    write_metrics({"a": 1, "b": {"c": 2, "d": [1, 2, 3]}, "e": "x"}, {"long": list(range(100))}, "stage/one", root=tmp_path)
    write_metrics({"n": 1}, None, "two", root=tmp_path)
    assert count_leaves(tmp_path / "reports/metrics") == {"stage/one.json": 4, "two.json": 1}
    assert json.loads((tmp_path / "reports/details/stage/one.json").read_text()) == {"long": list(range(100))}
    assert not (tmp_path / "reports/details/two.json").exists()
    assert dict(iter_leaves({"x": {"y": {"z": 0}}})) == {"x.y.z": 0}


def test_wall_clock_figures_are_rounded_to_the_1_2_5_series():
    # the latencies of one model on two runs of a loaded 2-core machine (0.18 s, 0.25 s) are one value
    assert [round_125(v) for v in (0.18, 0.22, 0.25, 0.3)] == [0.2] * 4
    # steps meet halfway on a log scale: sqrt(2), sqrt(10), sqrt(50) times the decade
    assert [round_125(v) for v in (1.41, 1.42, 3.16, 3.17, 7.07, 7.08)] == [1.0, 2.0, 2.0, 5.0, 5.0, 10.0]
    assert [round_125(v) for v in (0.0123, 8.0, 16.2, 83.1, 1234.0, 0.0, None)] == [0.01, 10.0, 20.0, 100.0, 1000.0, 0.0, None]
    assert short_hash("0feae6f176b4e7ade036bdc5ff7900be70e9de66241d3848f2e034399b58b106") == "0feae6f176b4"


def test_select_keeps_the_named_paths_and_whole_subtrees(tmp_path):
    full = {"rows": {"a": 1, "b": 2}, "leakage": {"exact": 0, "ngram_8": 0}, "seconds": 3.2, "list": [1] * 50}
    assert select(full, ("rows.a", "leakage", "absent.key")) == {"rows": {"a": 1}, "leakage": {"exact": 0, "ngram_8": 0}}
    write_stage_metrics(full, "split", root=tmp_path)
    with pytest.raises(KeyError, match="no keep list for stage 'new_stage'"):
        write_stage_metrics(full, "new_stage", root=tmp_path)
    assert json.loads((tmp_path / "reports/metrics/split.json").read_text()) == {"leakage": {"exact": 0, "ngram_8": 0}}
    assert json.loads((tmp_path / "reports/details/split.json").read_text()) == full  # nothing is lost


def _pipeline_metrics() -> dict[str, dict]:
    folder = REPO / "reports" / "metrics"
    return {p.relative_to(folder).with_suffix("").as_posix(): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.rglob("*.json"))}


def test_the_keep_lists_fit_the_budget_on_the_pipeline_summaries():
    """STAGE_METRICS applied to the stages' full summaries, plus the score headline, stay within MAX_LEAVES."""
    metrics = _pipeline_metrics()
    stages = {name: m for name, m in metrics.items() if not name.startswith("score/")}
    if not stages:
        pytest.skip("reports/metrics is empty (run the pipeline first: dvc repro)")
    kept = {name: sum(1 for _ in iter_leaves(select(m, keep_list(name)))) for name, m in stages.items()}
    assert all(kept.values()), {name: n for name, n in kept.items() if not n}  # every stage keeps something
    models = 3  # eval.models: base, sft, grpo
    score = models * (len(TASKS) + 5) + (len(TASKS) + 1)  # per model: task, 7 tasks, reward, format, p50, model hash
    assert sum(kept.values()) + score <= MAX_LEAVES, kept


def test_the_pipeline_metrics_hold_at_most_the_budget():
    counts = count_leaves(REPO / "reports" / "metrics")
    if not counts:
        pytest.skip("reports/metrics is empty (run the pipeline first: dvc repro)")
    widest = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:5])
    assert sum(counts.values()) <= MAX_LEAVES, f"{sum(counts.values())} leaves in reports/metrics; widest: {widest}"


def _details(name: str, value: float) -> dict:
    """A score details file with every task of the registry (the widest score table there can be)."""
    by_task = {t: {"n": 10, "task": value, "reward": value} for t in TASKS}
    return {"model": name, "task": value, "reward": value, "format": value, "by_task": by_task,
            "latency_s": {"p50": 0.4987}, "lineage": {"benchmark_sha256": "a" * 64, "manifest_sha256": "b" * 64,
                                                      "checkpoint_sha256": "c" * 64}}


def test_dvc_metrics_show_md_score_table_fits_200_columns(tmp_path):
    folder = tmp_path / "reports" / "metrics" / "score"
    folder.mkdir(parents=True)
    for name in ("base", "sft", "grpo"):
        (folder / f"{name}.json").write_text(json.dumps(headline(_details(name, 0.123456))), encoding="utf-8")
    floor = {a: {"task": 0.12, "by_task": {t: {"task": 0.5} for t in TASKS}} for a in ("majority", "empty", "echo")}
    (folder / "floor.json").write_text(json.dumps(floor_headline(floor)), encoding="utf-8")
    (tmp_path / "dvc.yaml").write_text("metrics:\n  - reports/metrics/score\n", encoding="utf-8")
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"]):
        subprocess.run(cmd, cwd=tmp_path, check=True, env=env)
    shown = subprocess.run(["dvc", "metrics", "show", "--md"], cwd=tmp_path, check=True, env=env,
                           capture_output=True, text=True).stdout
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) == 2 + 4 and "reports/metrics/score/grpo.json" in shown
    assert max(len(line) for line in lines) <= 200, shown
