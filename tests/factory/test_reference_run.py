"""The reference-run collector: what it copies, the targets it judges, and the committed runs' lineage."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory.reference_run import COPIED, LINEAGE_KEYS, STALE_BANNER, STALE_FILE, collect, default_lineage, mark_stale, verdict

REPO = Path(__file__).resolve().parents[2]
TASKS = ("churn", "extraction", "insights", "sentiment", "sql")
MODELS = ("base", "sft", "grpo")


def _headline(scores: dict[str, float]) -> dict:
    return {**scores, "task": round(sum(scores.values()) / len(scores), 4), "reward": 0.1, "format": 0.5,
            "latency_p50_s": 0.3, "looping_rate": 0.0, "lineage": {"model": "abc"}}


def _details(scores: dict[str, float], fmt: float, model: str) -> dict:
    return {"by_task": {t: {"task": v, "format": fmt, "n": 15} for t, v in scores.items()},
            "task": sum(scores.values()) / len(scores),
            "lineage": {"benchmark": "data/prompts/benchmark.jsonl", "benchmark_sha256": "b" * 64,
                        "manifest": "data/prompts/manifest.json", "manifest_sha256": "m" * 64,
                        "checkpoint_sha256": model * 3}}


FLOOR = {"churn": 0.5, "extraction": 0.46, "insights": 0.0, "sentiment": 0.37, "sql": 0.0, "task": 0.28}


def _scores(**by_model: tuple[float, ...]) -> dict[str, dict[str, float]]:
    return {m: dict(zip(TASKS, values)) for m, values in by_model.items()}


def test_verdict_meets_the_targets_only_when_every_one_holds():
    good = _scores(base=(0.0,) * 5, sft=(0.55, 0.5, 0.1, 0.4, 0.1), grpo=(0.6, 0.55, 0.1, 0.45, 0.05))
    headline = {m: _headline(s) for m, s in good.items()}
    details = {m: _details(s, 0.0 if m == "base" else 0.9, m) for m, s in good.items()}
    result = verdict(headline, details, FLOOR)
    assert result["all_met"] and sum(result["grpo_ge_sft"].values()) == 4
    assert "base" not in result["above_floor"]  # base never learned the format: the floor is not asked of it

    # GRPO worse than SFT on two tasks, and sft under the churn floor although it learned the format.
    bad = _scores(base=(0.0,) * 5, sft=(0.45, 0.5, 0.1, 0.4, 0.1), grpo=(0.6, 0.4, 0.1, 0.45, 0.05))
    headline = {m: _headline(s) for m, s in bad.items()}
    details = {m: _details(s, 0.9, m) for m, s in bad.items()}
    result = verdict(headline, details, FLOOR)
    assert not result["all_met"]
    assert result["checks"]["grpo_ge_sft_on_4_of_5_tasks"] is False
    assert result["checks"]["above_floor_where_format_learned"] is False
    assert result["above_floor"]["sft"]["churn"] is False


def _workspace(root: Path) -> Path:
    scores = _scores(base=(0.0,) * 5, sft=(0.5,) * 5, grpo=(0.6,) * 5)
    for m, s in scores.items():
        for folder, body in (("metrics", _headline(s)), ("details", _details(s, 0.8, m))):
            path = root / "reports" / folder / "score" / f"{m}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(body), encoding="utf-8")
        rows = [{"id": f"{t}-x-{i:04d}", "task": t, "completion": f"{m} answer {t} {i}" * 60,
                 "scores": {"task": 0.5, "reward": 0.6}} for t in TASKS for i in range(3)]
        (root / "data/generations").mkdir(parents=True, exist_ok=True)
        (root / "data/generations" / f"{m}.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    for folder in ("metrics", "details"):
        (root / "reports" / folder / "score" / "floor.json").write_text(json.dumps(FLOOR), encoding="utf-8")
    for source in COPIED:
        path = root / source
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"global_step": 3}) if source.endswith(".json") else source, encoding="utf-8")
    return root


def test_collect_writes_the_run_folder_and_refuses_an_incomplete_workspace(tmp_path):
    ws = _workspace(tmp_path / "ws")
    result = collect(ws, "tiny-ref")
    run = ws / "reports/reference_runs/tiny-ref"
    assert result["checks"]["sft_lt_grpo"] and result["checks"]["base_lt_sft"]
    assert result["above_floor"]["sft"]["churn"] is False and not result["all_met"]  # 0.5 is not above churn's 0.5
    assert json.loads((run / "score/grpo.json").read_text())["task"] == 0.6
    assert json.loads((run / "lineage.json").read_text())["benchmark_sha256"] == "b" * 64
    assert (run / "dvc.lock").read_text() == "dvc.lock" and (run / "curves/grpo_curves.png").exists()
    samples = (run / "samples.md").read_text()
    assert samples.count("### churn-x-") == 2 and "(cut)" in samples and "**grpo** (task 0.500" in samples
    assert "| floor (best trivial answer) |" in (run / "README.md").read_text()

    (ws / "reports/sft_curves.png").unlink()
    with pytest.raises(FileNotFoundError, match="sft_curves.png"):
        collect(ws, "broken")
    assert not (ws / "reports/reference_runs/broken").exists()  # nothing partial left behind
    assert (run / "score/grpo.json").exists()


@pytest.mark.parametrize("run", sorted((REPO / "reports/reference_runs").glob("*/lineage.json")) or [None])
def test_committed_reference_runs_are_on_the_default_benchmark(run):
    """A reference run is evidence about the default data only while its benchmark is the default's; a
    run the data has moved past must say so, for exactly the default's current hashes (stale.json)."""
    if run is None:
        pytest.skip("no reference run committed under reports/reference_runs/")
    default = REPO / "reports/details/score/base.json"
    if not default.is_file():
        pytest.skip("reports/details/score/base.json is absent (run the pipeline first: dvc repro)")
    for name in ("params.yaml", "dvc.lock", "benchmark.md", "samples.md", *(f"score/{m}.json" for m in MODELS)):
        assert (run.parent / name).is_file(), f"{run.parent / name} is missing"
    ours = json.loads(run.read_text(encoding="utf-8"))
    run_on = {k: ours[k] for k in LINEAGE_KEYS}
    now = default_lineage(REPO)
    stale = run.parent / STALE_FILE
    if run_on == now:
        assert not stale.exists(), f"{run.parent.name}: on the default data, yet marked stale"
        return
    assert stale.is_file(), (
        f"{run.parent.name}: its benchmark/manifest {run_on} are not the default's {now}; rerun the reference "
        f"recipe on the current data, or record why it is stale: python -m stages.reference_run {run.parent.name} "
        "--mark-stale REASON")
    record = json.loads(stale.read_text(encoding="utf-8"))
    assert record["run_on"] == run_on, f"{stale}: names other hashes than the run's lineage.json"
    assert record["current_default"] == now, (
        f"{stale}: was written for default data {record['current_default']}, which has changed again to {now}")
    assert (run.parent / "README.md").read_text(encoding="utf-8").startswith(STALE_BANNER)


def test_mark_stale_records_the_hashes_and_refuses_a_current_run(tmp_path):
    ws = _workspace(tmp_path / "ws")
    collect(ws, "tiny-ref")
    run = ws / "reports/reference_runs/tiny-ref"
    with pytest.raises(ValueError, match="not stale"):  # scored on the workspace's own benchmark
        mark_stale(run, ws, "labels changed")
    details = ws / "reports/details/score/base.json"
    body = json.loads(details.read_text())
    body["lineage"]["benchmark_sha256"] = "c" * 64
    details.write_text(json.dumps(body))
    with pytest.raises(ValueError, match="reason"):
        mark_stale(run, ws, "  ")
    record = mark_stale(run, ws, "labels changed")
    assert record["run_on"]["benchmark_sha256"] == "b" * 64 and record["current_default"]["benchmark_sha256"] == "c" * 64
    readme = (run / "README.md").read_text()
    assert readme.startswith(STALE_BANNER) and readme.count(STALE_BANNER) == 1 and "# Reference run: tiny-ref" in readme
    mark_stale(run, ws, "labels changed again")  # renewing replaces the banner, never stacks it
    assert (run / "README.md").read_text().count(STALE_BANNER) == 1
