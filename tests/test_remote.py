"""Remote storage round trip: build, `dvc push`, fresh `git clone`, `dvc pull`, and nothing is left to do.

In a temporary copy of the repository (git + DVC) with the smallest sizes, run the pipeline, push
every DVC-cached output to a local-folder remote (the README's "Remote storage" commands; S3, GCS
and SSH remotes differ only in the URL), commit, clone the commit fresh, pull, then check that
`dvc status` is clean, `dvc repro` runs no stage, and no git-tracked file changed. Every output is
then either in git (metrics, reports, plots: `cache: false`) or in the remote.

The whole pipeline runs (a few minutes with these sizes on 2 cores); REMOTE_TEST_TARGET=<stage>
runs only that stage and what it needs (`dvc repro <stage>`, `dvc status <stage>`), for a quicker check.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TARGET = [t for t in [os.environ.get("REMOTE_TEST_TARGET")] if t]  # [] = every stage

# The smallest sizes at which the stages still run (keys absent from params.yaml are left alone).
TINY = {
    "data.synthetic.orders": 400,
    "data.synthetic.b2w_reviews": 60,
    **{f"prompts.counts.{t}": 8 for t in ("extraction", "sentiment", "sql", "churn", "insights", "push")},
    "model.tiny.hidden_size": 32,
    "model.tiny.num_layers": 1,
    "model.tiny.num_heads": 2,
    "sft.max_steps": 2,
    "sft.per_device_train_batch_size": 4,
    "sft.samples_per_task": 1,
    "sft.sample_max_new_tokens": 8,
    "train.max_steps": 1,
    "train.num_generations": 2,
    "train.per_device_train_batch_size": 2,
    "train.steps_per_generation": 1,
    "train.eval_prompts_per_task": 1,
    "train.max_prompt_length": 256,
    "train.max_completion_length": 8,
    "train.eval_steps": 1,
    "train.save_steps": 1,
    "rewards.selftest_train_sample": 10,
    "eval.max_new_tokens": 4,
}


def _set(params: dict, dotted: str, value) -> None:
    *parents, key = dotted.split(".")
    node = params
    for p in parents:
        node = node.get(p) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict) and key in node:
        node[key] = value


def _run(cmd: list[str], cwd: Path, timeout: float = 900) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline", "GX_ANALYTICS_ENABLED": "False",
           "DVC_NO_ANALYTICS": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout + proc.stderr


def _copy_repo(dest: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files (no data, no venv, no DVC state), as a fresh repo,
    plus the data files that `*.dvc` pointers track (DVC inputs); returns those data paths."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, check=True).stdout.decode().split("\0")
    tracked = []
    for name in filter(None, files):
        src = REPO / name
        if src.is_file() and not src.is_symlink() and not name.startswith(".dvc/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
            if name.endswith(".dvc"):
                for out in (yaml.safe_load(src.read_text(encoding="utf-8")) or {}).get("outs", []):
                    data = (Path(name).parent / out["path"]).as_posix()
                    if (REPO / data).is_file():
                        shutil.copy2(REPO / data, dest / data)
                        tracked.append(data)
    return tracked


@pytest.mark.timeout(1800)
def test_push_clone_pull_leaves_nothing_to_reproduce(tmp_path):
    stages = (yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8")) or {}).get("stages", {})
    if "score" not in stages or any(t not in stages for t in TARGET):
        pytest.skip(f"dvc.yaml lacks the stages to run (score, {TARGET})")
    repo, clone, remote = tmp_path / "repo", tmp_path / "clone", tmp_path / "remote"
    repo.mkdir()
    inputs = _copy_repo(repo)
    (repo / "dvc.lock").unlink(missing_ok=True)  # recorded for other params: every stage runs here
    params = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))
    for key, value in TINY.items():
        _set(params, key, value)
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "config", "user.email", "remote@test.invalid"],
                ["git", "config", "user.name", "remote test"], ["dvc", "init", "-q"],
                ["dvc", "config", "core.analytics", "false"],
                # the README's "Remote storage" commands, with a local folder as the remote
                ["dvc", "remote", "add", "-d", "storage", str(remote)]):
        _run(cmd, repo)
    for data in inputs:  # DVC-tracked inputs go to the cache (and so to the remote) like outputs
        _run(["dvc", "add", "-q", data], repo)
    _run(["dvc", "repro", *TARGET], repo)
    _run(["git", "add", "-A"], repo)
    _run(["git", "commit", "-q", "-m", "pipeline outputs"], repo)
    pushed = _run(["dvc", "push"], repo)
    assert remote.is_dir() and any(remote.rglob("*")), pushed
    assert _run(["dvc", "status", "--cloud"], repo).strip().endswith("Cache and remote 'storage' are in sync.")

    # a fresh clone: git files only, the DVC outputs come from the remote
    _run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    assert not (clone / "data" / "commerce.db").exists()
    _run(["dvc", "pull"], clone)
    assert (clone / "data" / "commerce.db").is_file() and (clone / "data" / "prompts" / "hf").is_dir()
    status = _run(["dvc", "status", *TARGET], clone)
    assert "Data and pipelines are up to date." in status, status
    repro = _run(["dvc", "repro", *TARGET], clone)
    assert "Running stage" not in repro, repro
    assert _run(["git", "status", "--porcelain"], clone) == "", "dvc pull or repro modified tracked files"
