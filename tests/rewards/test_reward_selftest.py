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
import rewards.fields
import rewards.parsing
import rewards.selftest as selftest
from factory.config import load_params
from common.io import read_jsonl, write_jsonl
from rewards.render import gold_answer
from rewards.selftest import REPAIRS, UNRECOVERABLE, corruptions, run_selftest, trivial_floor, variants
from stages.reward_selftest import sample_by_id
from churn_records import churn_record

REPO = Path(__file__).resolve().parents[2]


def test_selftest_passes_on_correct_rewards(records: list[dict], options) -> None:
    report = run_selftest(records, options)
    assert report["passed"] and report["failures"] == 0
    assert set(report["tasks"]) == set(rewards.names())
    for task, summary in report["tasks"].items():
        assert summary["gold_min"] >= 0.99, task
        bound = 0.99 if task in selftest.JSON_ANSWERS else 0.95
        assert all(v["checked"] > 0 and v["min"] >= bound for v in summary["variants"].values()), task
        for name, counts in summary["corruptions"].items():
            assert counts["checked"] > 0 and counts["caught"] == counts["checked"], (task, name)
        if task in selftest.JSON_ANSWERS:
            assert set(summary["unrecoverable"]) == set(UNRECOVERABLE)
            assert all(v["max"] == 0.0 for v in summary["unrecoverable"].values()), task
            assert summary["wrong_answer"]["max_reward"] <= 0.2 + 1e-9
            trunc = summary["truncation"]
            assert trunc["prefixes"] > 50 and trunc["half_values"] == trunc["non_monotone"] == 0
            assert trunc["paid_without_field"] == 0


def test_variants_and_corruptions_cover_the_issue(by_task: dict) -> None:
    truth = by_task["extraction"][0]["ground_truth"]
    gold = gold_answer("extraction", truth)
    model = rewards._TRUTHS.get_truth("extraction", truth)
    written = variants("extraction", model, gold)
    for kind in ("code_fence", "prose_around", "think_draft", "draft_then_final", "complete_then_truncated",
                 "wrapper_resposta", "wrapper_analise", "trailing_comma", "single_quotes", "curly_quotes",
                 "mismatched_quotes", "bare_keys", "bare_one_word_values", "python_literals", "js_null_for_empty",
                 "comments", "decimal_comma", "sim_nao_strings", "bare_sim_nao", "one_zero_booleans",
                 "twice_encoded", "minus_u2212", "minus_u2012", "minus_u2015", "minus_ufe63", "minus_uff0d"):
        assert kind in REPAIRS or kind in written, kind
    assert {"decimal_comma", "sim_nao_strings", "code_fence", "think_prefix", "minus_u2212"} <= written.keys()
    assert '"sentiment_score": \u22120,8' in written["minus_u2212"]
    assert '"sentiment_score": -0,8' in written["decimal_comma"]
    assert {"drop_field", "flip_boolean", "wrong_number", "broken_json",
            "negative_sign_dropped"} <= corruptions("extraction", model, gold, "x").keys()
    sql = rewards._TRUTHS.get_truth("sql", by_task["sql"][0]["ground_truth"])
    assert {"wrong_sql", "broken_sql"} <= corruptions("sql", sql, gold_answer("sql", sql), "y").keys()
    assert corruptions("extraction", model, gold, "a") == corruptions("extraction", model, gold, "a")  # deterministic


def test_selftest_catches_a_parser_that_keeps_half_values(records: list[dict], options, monkeypatch) -> None:
    """The old bug: a number at the very end of a truncated answer ("0," of "0,8") read as complete."""
    original = rewards.parsing._Reader.number

    def eager(self, m):
        read = original(self, m)
        if read is not None and not read[2]:
            sign, body = m.group(1), m.group(2).replace(",", ".")
            value = float(body) if "." in body else int(body)
            return (-value if sign else value), m.end(), True
        return read

    monkeypatch.setattr(rewards.parsing._Reader, "number", eager)
    json_records = [r for r in records if r["task"] in ("sentiment", "extraction")]
    report = run_selftest(json_records, options)
    assert not report["passed"]
    assert any(f["check"] == "truncation" for f in report["failure_examples"])
    assert sum(t["truncation"]["half_values"] for t in report["tasks"].values()) > 0


def test_selftest_catches_a_parser_that_takes_format_examples(records: list[dict], options, monkeypatch) -> None:
    monkeypatch.setattr(rewards.fields.FieldSpec, "is_placeholder", lambda self, raw: False)
    report = run_selftest([r for r in records if r["task"] == "churn"], options)
    assert not report["passed"]
    assert {f["check"] for f in report["failure_examples"]} & {"unrecoverable:format_echo_pipes",
                                                               "unrecoverable:format_echo_ou"}


def _sentiment_record(n: int, polarity: str, score: float) -> dict:
    return {"id": f"sentiment-x-{n:04d}", "task": "sentiment", "difficulty": "positive",
            "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": f"avaliação {n}"}],
            "ground_truth": {"sentiment": polarity, "sentiment_score": score}, "source": {"table": "t", "keys": [str(n)]}}


def test_trivial_floor_reports_each_answerer_and_fails_a_constant_above_chance(records: list[dict], options) -> None:
    floor = trivial_floor({"benchmark": records}, records, options)
    assert set(floor["tasks"]) == set(rewards.names())
    for task, splits in floor["tasks"].items():
        assert {"majority", "constant", "empty", "echo", "records"} <= splits["benchmark"].keys()
        assert splits["benchmark"]["empty"] == 0.0, task
    assert floor["warnings"] == [] and floor["fails"]  # too few records for a verdict
    # churn is class-balanced like the score stage's floor (rewards.aggregate): whatever the class mix,
    # a constant gets exactly chance (the plain mean would be 0.9 here), which is allowed
    skewed = [churn_record(n, will_churn=n % 10 != 0) for n in range(30)]   # 90 % churn
    churn = trivial_floor({"benchmark": skewed}, skewed, options)
    assert churn["tasks"]["churn"]["benchmark"]["majority"] == churn["tasks"]["churn"]["benchmark"]["constant"] == 0.5
    assert churn["warnings"] == []
    # sentiment is a plain mean: 27 positive reviews in 30 let a constant beat chance, and that is flagged
    positive = [_sentiment_record(n, "positivo" if n % 10 else "negativo", 0.8 if n % 10 else -0.8) for n in range(30)]
    warned = trivial_floor({"train": positive}, positive, options)
    assert warned["tasks"]["sentiment"]["train"]["constant"] > 0.5
    assert len(warned["warnings"]) == 1 and warned["warnings"][0].startswith(
        "data imbalance: on train sentiment, the trivial answerer 'majority' has task score 0.9")
    # the best constant is searched field by field, so it is never below the per-field majority
    for task, splits in floor["tasks"].items():
        assert splits["benchmark"]["constant"] >= splits["benchmark"]["majority"] - 1e-9, task


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
    # The hand-written insights and churn fixtures carry no fact table / reference probability,
    # which the stage's consistency check rightly refuses in pipeline records: leave them out.
    records = [r for r in records if r["task"] not in ("insights", "churn")]
    work = tmp_path / "work"
    (work / "data" / "prompts").mkdir(parents=True)
    shutil.copy(commerce_db, work / "data" / "commerce.db")
    write_jsonl(work / "data" / "prompts" / "benchmark.jsonl", records[::2])
    write_jsonl(work / "data" / "prompts" / "train.jsonl", records[1::2])
    write_jsonl(work / "data" / "prompts" / "val.jsonl", records[1::4])
    params = load_params(REPO / "params.yaml")
    params["rewards"]["selftest_train_sample"] = 4
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
    metrics = json.loads((work / "reports" / "details" / "reward_selftest.json").read_text())
    headline = json.loads((work / "reports" / "metrics" / "reward_selftest.json").read_text())
    assert headline == {k: metrics[k] for k in ("passed", "failures", "records", "reference_contradictions")}
    kept = [r for r in records if r["task"] not in ("insights", "churn")]
    assert metrics["passed"] and metrics["inputs"] == {"benchmark_records": len(kept[::2]), "train_sample": 4}
    assert set(metrics["trivial_floor"]["tasks"]) <= set(rewards.names()) and metrics["data_warnings"] == []

    bad = copy.deepcopy(kept[::2])
    push = next(r for r in bad if r["task"] == "push")
    push["ground_truth"]["max_chars"] = 20  # shorter than its own reference: the gold cannot pass
    write_jsonl(work / "data" / "prompts" / "benchmark.jsonl", bad)
    done = _run_stage(work)
    assert done.returncode == 1
    assert "reward self-test FAILED" in done.stderr and push["id"] in done.stderr
    assert not json.loads((work / "reports" / "metrics" / "reward_selftest.json").read_text())["passed"]


def test_stage_fails_on_a_reference_that_contradicts_its_facts(tmp_path: Path, commerce_db: Path,
                                                              records: list[dict]) -> None:
    work = _stage_dir(tmp_path, commerce_db, records)
    val = copy.deepcopy([r for r in records if r["task"] == "reasoning"])
    val[0]["ground_truth"]["answer"] += 7  # the reference's "Resposta:" no longer matches the answer
    write_jsonl(work / "data" / "prompts" / "val.jsonl", val)
    done = _run_stage(work)
    assert done.returncode == 1
    assert "reference contradicts its facts" in done.stderr and val[0]["id"] in done.stderr
    metrics = json.loads((work / "reports" / "metrics" / "reward_selftest.json").read_text())
    assert metrics["reference_contradictions"] == 1 and not metrics["passed"]


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


def test_stage_fails_when_a_constant_answer_beats_chance_on_val(tmp_path: Path, commerce_db: Path,
                                                               records: list[dict]) -> None:
    """A split where a constant earns more than chance stops `dvc repro`: GRPO would learn the constant."""
    work = _stage_dir(tmp_path, commerce_db, records)
    val = [_sentiment_record(n, "positivo", 0.8) for n in range(25)]  # one class only: "positivo" is always right
    write_jsonl(work / "data" / "prompts" / "val.jsonl", val)
    train = read_jsonl(work / "data" / "prompts" / "train.jsonl")  # the answerers are fitted on train
    write_jsonl(work / "data" / "prompts" / "train.jsonl", train + [_sentiment_record(100 + n, "positivo", 0.8)
                                                                   for n in range(5)])
    done = _run_stage(work)
    assert done.returncode == 1, done.stdout
    assert "data: data imbalance: on val sentiment" in done.stderr
    metrics = json.loads((work / "reports" / "details" / "reward_selftest.json").read_text())
    assert metrics["trivial_floor"]["tasks"]["sentiment"]["val"]["constant"] > 0.5 and not metrics["passed"]
