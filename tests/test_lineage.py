"""Lineage end to end: a data param change reaches the hashes inside the score metrics and `dvc metrics diff`.

In a temporary copy of the repository (git + DVC), run the whole pipeline with the smallest sizes,
commit, then run the README's "Compare experiments" commands with `data.synthetic.seed` changed:
every score metrics file must name new benchmark, manifest and checkpoint hashes (matching the
files on disk), `dvc metrics diff` must list them, `dvc exp show` and `dvc plots diff` must work.
Takes a few minutes: it is the whole pipeline, twice.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from common.io import sha256_file, sha256_tree

from pipeline_copy import REPO, copy_repo, set_param, tiny_params

PIPELINE = ("ingest", "build_db", "validate_db", "prompts", "split", "validate_prompts", "reward_selftest",
            "base_model", "sft", "grpo", "score", "report")
HASHES = ("benchmark_sha256", "manifest_sha256", "checkpoint_sha256")

def _run(cmd: list[str], cwd: Path, timeout: float = 900) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline", "GX_ANALYTICS_ENABLED": "False"}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def _missing_stages() -> list[str]:
    declared = (yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8")) or {}).get("stages", {})
    return [s for s in PIPELINE if s not in declared or not (REPO / "stages" / f"{s}.py").is_file()]


def _changed_stages(repo: Path, key: str, value: Any) -> set[str]:
    """Stages `dvc status` calls changed after setting one params key (params.yaml restored after)."""
    original = (repo / "params.yaml").read_text(encoding="utf-8")
    params = yaml.safe_load(original)
    set_param(params, key, value)
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        status = json.loads(_run(["dvc", "status", "--json"], repo) or "{}")
    finally:
        (repo / "params.yaml").write_text(original, encoding="utf-8")
    return {name.split(":")[-1] for name, changes in status.items() if "params.yaml" in json.dumps(changes)}


def _score_metrics(repo: Path) -> dict[str, dict[str, Any]]:
    """Per model, the score details (full lineage); the floor (no model) is left out."""
    folder = repo / "reports" / "details" / "score"
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json")) if p.stem != "floor"}


@pytest.mark.timeout(1800)
def test_data_seed_experiment_shows_in_metrics_hashes_and_dvc_metrics_diff(tmp_path):
    missing = _missing_stages()
    if missing:
        pytest.skip(f"pipeline incomplete: stages {missing} are not in dvc.yaml / stages/ yet")
    repo = tmp_path / "repo"
    repo.mkdir()
    copy_repo(repo)
    params = tiny_params(repo)
    _run(["git", "init", "-q"], repo)
    _run(["git", "config", "user.email", "lineage@test.invalid"], repo)
    _run(["git", "config", "user.name", "lineage test"], repo)
    _run(["dvc", "init", "-q"], repo)
    _run(["dvc", "config", "core.analytics", "false"], repo)

    # the baseline, committed
    _run(["dvc", "repro"], repo)
    before = _score_metrics(repo)
    assert set(before) == set(params["eval"]["models"]) | {e["name"] for e in params["eval"]["endpoints"] or []}
    assert (repo / "reports" / "metrics" / "score" / "floor.json").is_file()
    _run(["git", "add", "-A"], repo)
    _run(["git", "commit", "-q", "-m", "baseline"], repo)

    # params deps are the keys each stage reads (issue 12): what a change of one knob reruns
    assert _changed_stages(repo, "prompts.val_fraction", 0.2) == {"check_params", "split", "validate_prompts"}
    assert _changed_stages(repo, "rewards.selftest_train_sample", 7) == {"check_params", "reward_selftest"}
    # one score stage per model: a decoding knob rescores every model (the report names it), a
    # report knob rescores none
    assert _changed_stages(repo, "eval.max_new_tokens", 17) == \
        {"check_params", "score_floor", "report", *(f"score@{m}" for m in params["eval"]["models"])}
    assert _changed_stages(repo, "eval.worst_cases", 5) == {"check_params", "report"}
    # a misspelled key no stage reads still stops repro at once, naming the key and its nearest neighbour
    failed = subprocess.run(["dvc", "exp", "run", "-S", "+train.max_stepz=5"], cwd=repo, capture_output=True,
                            text=True, timeout=300)
    assert failed.returncode != 0
    assert "train.max_stepz: unknown key (did you mean train.max_steps?)" in failed.stdout + failed.stderr
    _run(["git", "checkout", "--", "params.yaml"], repo)

    # the README's "Compare experiments" commands
    seed = params["data"]["synthetic"]["seed"] + 1
    _run(["dvc", "exp", "run", "--temp", "-n", "seed-1", "-S", f"data.synthetic.seed={seed}"], repo)
    assert _score_metrics(repo) == before  # --temp: the workspace is still the baseline
    shown = _run(["dvc", "exp", "show", "--only-changed", "--md"], repo)
    assert "seed-1" in shown and "data.synthetic.seed" in shown
    diff = json.loads(_run(["dvc", "metrics", "diff", "HEAD", "seed-1", "--json"], repo))
    text = _run(["dvc", "metrics", "diff", "HEAD", "seed-1"], repo)
    _run(["dvc", "plots", "diff", "HEAD", "seed-1"], repo)
    assert "score_by_task" in (repo / "dvc_plots" / "index.html").read_text(encoding="utf-8")
    _run(["dvc", "exp", "apply", "seed-1"], repo)

    # the applied experiment's metrics name the data now in the workspace
    after = _score_metrics(repo)
    assert set(after) == set(before)
    benchmark, manifest = repo / "data/prompts/benchmark.jsonl", repo / "data/prompts/manifest.json"
    for name, m in after.items():
        lineage = m["lineage"]
        # each hash names the file now on disk...
        assert lineage["benchmark_sha256"] == sha256_file(benchmark)
        assert lineage["manifest_sha256"] == sha256_file(manifest)
        if "checkpoint" in lineage:
            assert lineage["checkpoint_sha256"] == sha256_tree(repo / lineage["checkpoint"])
        # ... changed with the data seed, and `dvc metrics diff` reports it against the baseline
        for key in HASHES:
            if key in lineage:
                assert lineage[key] != before[name]["lineage"][key], f"{name}: {key} did not change"
        # `dvc metrics diff` shows the model hash per score file, the data hashes in split.json
        if "checkpoint_sha256" in lineage:
            model = diff[f"reports/metrics/score/{name}.json"]["lineage.model"]
            assert model == {"old": before[name]["lineage"]["checkpoint_sha256"][:12],
                             "new": lineage["checkpoint_sha256"][:12]}
            assert model["new"] in text
    split = diff["reports/metrics/split.json"]
    assert split["files_sha256.benchmark.jsonl"]["new"] == sha256_file(benchmark)
    assert split["files_sha256.benchmark.jsonl"]["new"] in text
    for name, m in after.items():  # the score params did not change
        assert m["lineage"]["params_sha256"] == before[name]["lineage"]["params_sha256"]
