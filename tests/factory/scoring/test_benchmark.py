"""The score stage's work on a real tiny checkpoint, the real rewards scorer and a real HTTP endpoint."""
from __future__ import annotations

import csv
import json

import pytest

from common.io import read_jsonl, sha256_file, sha256_tree, write_jsonl
from factory.reporting import round_125
from factory.scoring.benchmark import (TARGET_EVAL_KEYS, REWARD_KEYS, score_benchmark, score_target,
                                       scoring_params, target_names)
from factory.scoring.lineage import params_sha256

from .conftest import benchmark_records, project_params, score_paths

TIMING = ("latency_s", "cost_per_query_usd")


def test_one_metrics_and_details_file_per_model_and_endpoint_with_lineage(scored, benchmark_files, models_dir):
    details, paths, params = scored
    benchmark, manifest = benchmark_files
    assert sorted(p.name for p in paths.metrics.iterdir()) == ["base.json", "floor.json", "served.json", "sft.json"]
    assert sorted(p.name for p in paths.details.iterdir()) == ["base.json", "floor.json", "served.json", "sft.json"]
    for name in ("base", "sft", "served"):
        assert json.loads((paths.details / f"{name}.json").read_text(encoding="utf-8")) == details[name]
        lineage = details[name]["lineage"]
        assert lineage["benchmark_sha256"] == sha256_file(benchmark)
        assert lineage["manifest_sha256"] == sha256_file(manifest)
        settings = scoring_params(params)
        if name == "served":
            settings["endpoint"] = params["eval"]["endpoints"][0]
        assert lineage["params_sha256"] == params_sha256(settings)
    assert details["base"]["lineage"]["checkpoint_sha256"] == sha256_tree(models_dir / "base")
    assert details["sft"]["lineage"]["checkpoint_sha256"] == sha256_tree(models_dir / "sft")
    assert details["base"]["lineage"]["checkpoint_sha256"] != details["sft"]["lineage"]["checkpoint_sha256"]
    assert details["served"]["lineage"]["endpoint_model"] == "tiny" and "checkpoint_sha256" not in details["served"]["lineage"]
    assert details["base"]["privacy"] == "local" and details["served"]["privacy"] == "api"
    assert details["base"]["decoding"] == {"temperature": 0.1, "top_p": 1.0, "max_new_tokens": 16, "seed": 0,
                                          "batch_size": 1}


def test_metrics_hold_only_the_headline_with_short_lineage(scored, benchmark_files):
    details, paths, _ = scored
    for name in ("base", "sft", "served"):
        m = json.loads((paths.metrics / f"{name}.json").read_text(encoding="utf-8"))
        d = details[name]
        assert set(m) == {"task", "sentiment", "push", "reasoning", "reward", "format", "latency_p50_s", "looping_rate",
                          "lineage"}
        assert m["task"] == round(d["task"], 4) and m["push"] == round(d["by_task"]["push"]["task"], 4)
        assert m["reward"] == round(d["reward"], 4) and m["format"] == round(d["format"], 4)
        assert m["latency_p50_s"] == round_125(d["latency_s"]["p50"])  # a 1-2-5 step
    assert json.loads((paths.metrics / "base.json").read_text())["lineage"]["model"] == \
        details["base"]["lineage"]["checkpoint_sha256"][:12]
    assert json.loads((paths.metrics / "served.json").read_text())["lineage"]["model"] == "tiny"


def test_trivial_floor_is_scored_without_a_model(scored):
    details, paths, _ = scored
    floor = details["floor"]
    assert list(floor["answerers"]) == ["majority", "constant", "empty", "echo"]
    assert floor["train_records"] == 9
    rows = {name: a["by_task"] for name, a in floor["answerers"].items()}
    # majority answers {"sentiment": "negativo", "sentiment_score": -0.5}: right polarity on one review of three
    assert rows["majority"]["sentiment"]["n"] == 3
    assert rows["majority"]["sentiment"]["task"] < 1.0
    assert rows["empty"]["sentiment"]["task"] == 0.0 and rows["empty"]["sentiment"]["reward"] == 0.0
    assert all(a["by_task"][t]["task"] <= floor["answerers"][floor["best"][t]]["by_task"][t]["task"]
               for a in floor["answerers"].values() for t in floor["best"])
    metrics = json.loads((paths.metrics / "floor.json").read_text(encoding="utf-8"))
    assert set(metrics) == {"task", "sentiment", "push", "reasoning"}
    for task, best in floor["best"].items():
        assert metrics[task] == round(floor["answerers"][best]["by_task"][task]["task"], 4)


def test_floor_is_a_reserved_name():
    with pytest.raises(ValueError, match="'floor' is reserved"):
        target_names(project_params(models=["floor"])["eval"])


def test_scores_per_task_and_stratum_match_the_generations(scored):
    metrics, paths, _ = scored
    m = metrics["sft"]
    rows = read_jsonl(paths.generations / "sft.jsonl")
    assert [r["id"] for r in rows] == [r["id"] for r in benchmark_records()]
    assert m["n"] == 8 and list(m["by_task"]) == ["sentiment", "push", "reasoning"]
    assert list(m["by_task"]["reasoning"]["by_stratum"]) == ["arithmetic", "percentage", "multi_step"]
    assert m["reward"] == pytest.approx(sum(r["scores"]["reward"] for r in rows) / 8, abs=1e-6)
    push = [r["scores"]["format"] for r in rows if r["task"] == "push"]
    assert m["by_task"]["push"]["format"] == pytest.approx(sum(push) / 2, abs=1e-6)
    for row in rows:
        assert 0.0 <= row["scores"]["reward"] <= 1.0
        assert set(row) == {"id", "task", "difficulty", "completion", "finish_reason", "prompt_tokens",
                            "completion_tokens", "scores"}  # no timing: the file is reproducible


def test_no_judge_configured_means_no_judge_metric(scored):
    metrics, _, params = scored
    assert params["eval"]["judge"]["base_url"] is None
    for name, m in metrics.items():
        if name == "floor":
            continue
        assert not any("judge" in key for key in m)
        assert not any("judge" in key for t in m["by_task"].values() for key in t)


def test_endpoint_serving_the_same_checkpoint_scores_the_same(scored):
    metrics, paths, _ = scored
    local = read_jsonl(paths.generations / "base.jsonl")
    served = read_jsonl(paths.generations / "served.jsonl")
    assert local == served
    assert {k: v for k, v in metrics["base"].items() if k not in (*TIMING, "lineage", "model", "privacy")} == \
           {k: v for k, v in metrics["served"].items() if k not in (*TIMING, "lineage", "model", "privacy")}


def test_tokens_cost_and_latency(scored):
    metrics, paths, _ = scored
    rows = read_jsonl(paths.generations / "served.jsonl")
    tokens = sum(r["prompt_tokens"] + r["completion_tokens"] for r in rows) / len(rows)
    assert metrics["served"]["tokens"]["total_mean"] == pytest.approx(tokens)
    assert metrics["served"]["cost_per_query_usd"] == pytest.approx(tokens / 1000 * 0.002, rel=1e-6)
    assert metrics["base"]["cost_per_query_usd"] == 0.0  # eval.local_cost_per_hour is 0
    assert all(r["completion_tokens"] <= 16 for r in rows)
    for name in ("base", "sft", "served"):
        with open(paths.latency / f"{name}.csv", encoding="utf-8") as fh:
            latency = list(csv.DictReader(fh))
        assert [r["id"] for r in latency] == [r["id"] for r in rows]
        assert all(float(r["latency_s"]) > 0 for r in latency)
        m = metrics[name]["latency_s"]
        assert 0 < m["p50"] <= m["p95"] <= m["max"]


def test_same_inputs_give_byte_identical_generations(scored, tmp_path, benchmark_files, models_dir):
    metrics, paths, params = scored
    again = score_paths(tmp_path, *benchmark_files, models_dir)
    params = {**params, "eval": {**params["eval"], "models": ["sft"], "endpoints": []}}
    rerun = score_benchmark(params, again)
    assert (again.generations / "sft.jsonl").read_bytes() == (paths.generations / "sft.jsonl").read_bytes()
    strip = lambda m: {k: v for k, v in m.items() if k not in (*TIMING, "lineage")}  # noqa: E731
    assert strip(rerun["sft"]) == strip(metrics["sft"])
    # a model dropped from params leaves no stale metrics file behind
    assert sorted(p.name for p in again.metrics.iterdir()) == ["floor.json", "sft.json"]


def test_one_target_scored_alone_writes_its_own_files_and_no_other(scored, tmp_path):
    """What one dvc.yaml score stage does: retraining grpo rescores grpo, and base's files stay as
    they were; the list of targets is not part of a target's lineage."""
    details, paths, params = scored
    others = {p: p.read_bytes() for folder in (paths.metrics, paths.details, paths.generations, paths.latency)
              for p in folder.iterdir() if not p.name.startswith("sft.")}
    before = {p.name: p.stat().st_mtime_ns for p in paths.metrics.iterdir()}
    one = {**params, "eval": {**params["eval"], "models": ["sft", "base"], "worst_cases": 7}}
    rerun = score_target(one, "sft", paths)
    assert {p: p.read_bytes() for p in others} == others
    assert {p.name: p.stat().st_mtime_ns for p in paths.metrics.iterdir() if p.name != "sft.json"} == \
        {k: v for k, v in before.items() if k != "sft.json"}
    assert rerun["lineage"] == details["sft"]["lineage"]  # the same inputs: the same lineage, whatever the list
    with pytest.raises(ValueError, match=r"'grpo' is not a configured model or endpoint"):
        score_target(params, "grpo", paths)


def test_dvc_yaml_score_stages_declare_exactly_the_scoring_params():
    import yaml

    from tests.test_dvc_deps import REPO

    stages = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    wanted = [f"eval.{k}" for k in TARGET_EVAL_KEYS] + ["train.monitor"] + [f"rewards.{k}" for k in REWARD_KEYS]
    assert stages["score"]["do"]["params"] == wanted
    assert stages["score_endpoint"]["do"]["params"] == ["eval.endpoints", *wanted]
    assert stages["score_floor"]["params"] == wanted


def test_bad_benchmark_line_fails_naming_it_and_keeps_previous_outputs(tmp_path, benchmark_files, models_dir):
    paths = score_paths(tmp_path, tmp_path / "benchmark.jsonl", benchmark_files[1], models_dir)
    records = benchmark_records()
    records[2]["difficulty"] = "impossible"
    write_jsonl(paths.benchmark, records)
    paths.metrics.mkdir(parents=True)
    (paths.metrics / "old.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match=r"benchmark.jsonl:3: .*difficulty 'impossible'"):
        score_benchmark(project_params(models=["base"]), paths)
    assert [p.name for p in paths.metrics.iterdir()] == ["old.json"]
    assert not paths.generations.exists()


@pytest.mark.parametrize("overrides, message", [
    ({"models": ["base", "base"]}, "used twice"),
    ({"models": ["../base"]}, "must match"),
    ({"models": [], "endpoints": []}, "no models and no endpoints"),
])
def test_target_names_are_checked(overrides, message):
    with pytest.raises(ValueError, match=message):
        target_names(project_params(**overrides)["eval"])


def test_missing_checkpoint_is_named(tmp_path, benchmark_files):
    paths = score_paths(tmp_path, *benchmark_files, tmp_path / "models")
    with pytest.raises(FileNotFoundError, match=r"models/grpo: not a HF checkpoint folder"):
        score_benchmark(project_params(models=["grpo"]), paths)


def test_bad_decoding_params_name_the_block():
    from factory.scoring.run import decoding_from_params

    with pytest.raises(ValueError, match="params.yaml eval: bad decoding settings: temperature must be in"):
        decoding_from_params(project_params(temperature=9)["eval"])
