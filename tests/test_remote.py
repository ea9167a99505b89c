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

import pytest
import yaml

from pipeline_copy import REPO, copy_repo, run, tiny_params

TARGET = [t for t in [os.environ.get("REMOTE_TEST_TARGET")] if t]  # [] = every stage

@pytest.mark.timeout(1800)
def test_push_clone_pull_leaves_nothing_to_reproduce(tmp_path):
    stages = (yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8")) or {}).get("stages", {})
    if "score" not in stages or any(t not in stages for t in TARGET):
        pytest.skip(f"dvc.yaml lacks the stages to run (score, {TARGET})")
    repo, clone, remote = tmp_path / "repo", tmp_path / "clone", tmp_path / "remote"
    repo.mkdir()
    inputs = copy_repo(repo)
    (repo / "dvc.lock").unlink(missing_ok=True)  # recorded for other params: every stage runs here
    tiny_params(repo)
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "config", "user.email", "remote@test.invalid"],
                ["git", "config", "user.name", "remote test"], ["dvc", "init", "-q"],
                ["dvc", "config", "core.analytics", "false"],
                # the README's "Remote storage" commands, with a local folder as the remote
                ["dvc", "remote", "add", "-d", "storage", str(remote)]):
        run(cmd, repo)
    for data in inputs:  # DVC-tracked inputs go to the cache (and so to the remote) like outputs
        run(["dvc", "add", "-q", data], repo)
    run(["dvc", "repro", *TARGET], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", "pipeline outputs"], repo)
    pushed = run(["dvc", "push"], repo)
    assert remote.is_dir() and any(remote.rglob("*")), pushed
    assert run(["dvc", "status", "--cloud"], repo).strip().endswith("Cache and remote 'storage' are in sync.")

    # a fresh clone: git files only, the DVC outputs come from the remote
    run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    assert not (clone / "data" / "commerce.db").exists()
    run(["dvc", "pull"], clone)
    assert (clone / "data" / "commerce.db").is_file() and (clone / "data" / "prompts" / "hf").is_dir()
    status = run(["dvc", "status", *TARGET], clone)
    assert "Data and pipelines are up to date." in status, status
    repro = run(["dvc", "repro", *TARGET], clone)
    assert "Running stage" not in repro, repro
    assert run(["git", "status", "--porcelain"], clone) == "", "dvc pull or repro modified tracked files"
