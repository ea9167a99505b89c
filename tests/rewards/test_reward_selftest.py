"""The reward self-test: library checks and the DVC stage entry point (run as a real process)."""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

import rewards
from factory.config import load_params
from factory.io import write_jsonl
from rewards.render import gold_answer
from rewards.selftest import corruptions, run_selftest, variants
from stages.reward_selftest import sample_by_id

REPO = Path(__file__).resolve().parents[2]


def test_selftest_passes_on_correct_rewards(records: list[dict], options) -> None:
    report = run_selftest(records, options)
    assert report["passed"] and report["failures"] == 0
    assert set(report["tasks"]) == set(rewards.names())
    for task, summary in report["tasks"].items():
        assert summary["gold_min"] >= 0.99, task
        assert min(summary["variants_min"].values()) >= 0.95, task
        for name, counts in summary["corruptions"].items():
            assert counts["checked"] > 0 and counts["caught"] == counts["checked"], (task, name)


def test_variants_and_corruptions_cover_the_issue(by_task: dict) -> None:
    truth = by_task["extraction"][0]["ground_truth"]
    gold = gold_answer("extraction", truth)
    model = rewards._TRUTHS.get_truth("extraction", truth)
    assert {"decimal_comma", "sim_nao", "code_fence", "think_prefix"} <= variants("extraction", model, gold).keys()
    assert '"sentiment_score": -0,8' in variants("extraction", model, gold)["decimal_comma"]
    assert {"drop_field", "flip_boolean", "wrong_number", "broken_json"} <= corruptions("extraction", model, gold, "x").keys()
    sql = rewards._TRUTHS.get_truth("sql", by_task["sql"][0]["ground_truth"])
    assert {"wrong_sql", "broken_sql"} <= corruptions("sql", sql, gold_answer("sql", sql), "y").keys()
    assert corruptions("extraction", model, gold, "a") == corruptions("extraction", model, gold, "a")  # deterministic


def test_selftest_fails_when_a_gold_answer_is_not_recognised(records: list[dict], options) -> None:
    broken = copy.deepcopy(records)
    reasoning = next(r for r in broken if r["task"] == "reasoning")
    reasoning["ground_truth"]["answer"] += 1  # the reference now states a wrong answer
    report = run_selftest(broken, options)
    assert not report["passed"]
    assert {"id": reasoning["id"], "check": "gold"}.items() <= report["failure_examples"][0].items()


def test_sample_by_id_is_stable_under_reordering(records: list[dict]) -> None:
    first = sample_by_id(records, 5)
    assert [r["id"] for r in first] == [r["id"] for r in records if r in first]
    assert {r["id"] for r in sample_by_id(list(reversed(records)), 5)} == {r["id"] for r in first}
    assert sample_by_id(records, 0) == []


def _stage_dir(tmp_path: Path, commerce_db: Path, records: list[dict]) -> Path:
    work = tmp_path / "work"
    (work / "data" / "prompts").mkdir(parents=True)
    shutil.copy(commerce_db, work / "data" / "commerce.db")
    write_jsonl(work / "data" / "prompts" / "benchmark.jsonl", records[::2])
    write_jsonl(work / "data" / "prompts" / "train.jsonl", records[1::2])
    params = {"rewards": dict(load_params(REPO / "params.yaml")["rewards"], selftest_train_sample=4)}
    (work / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    return work


def _run_stage(work: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), COMMERCE_PARAMS="params.yaml")
    return subprocess.run([sys.executable, "-m", "stages.reward_selftest"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)


def test_stage_writes_metrics_and_fails_on_a_bad_record(tmp_path: Path, commerce_db: Path, records: list[dict]) -> None:
    work = _stage_dir(tmp_path, commerce_db, records)
    done = _run_stage(work)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((work / "reports" / "metrics" / "reward_selftest.json").read_text())
    assert metrics["passed"] and metrics["inputs"] == {"benchmark_records": len(records[::2]), "train_sample": 4}

    bad = copy.deepcopy(records[::2])
    push = next(r for r in bad if r["task"] == "push")
    push["ground_truth"]["max_chars"] = 20  # shorter than its own reference: the gold cannot pass
    write_jsonl(work / "data" / "prompts" / "benchmark.jsonl", bad)
    done = _run_stage(work)
    assert done.returncode == 1
    assert "reward self-test FAILED" in done.stderr and push["id"] in done.stderr
    assert not json.loads((work / "reports" / "metrics" / "reward_selftest.json").read_text())["passed"]


def test_stage_names_file_and_line_of_a_bad_record(tmp_path: Path, commerce_db: Path, records: list[dict]) -> None:
    work = _stage_dir(tmp_path, commerce_db, records)
    path = work / "data" / "prompts" / "train.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[1])
    row["difficulty"] = "impossible"
    lines[1] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = _run_stage(work)
    assert done.returncode != 0
    assert "train.jsonl:2" in done.stderr and "difficulty" in done.stderr
