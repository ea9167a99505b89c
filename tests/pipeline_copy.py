"""A throwaway copy of the repository at the smallest sizes, for tests that run DVC end to end
(tests/test_lineage.py, tests/test_remote.py): one copy of the sizes, the copy and the runner."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]

# The smallest sizes at which the stages still run (keys absent from params.yaml are left alone).
TINY: dict[str, Any] = {
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


def set_param(params: dict[str, Any], dotted: str, value: Any) -> None:
    """Set a dotted params key in place; a key params.yaml does not have is left alone."""
    *parents, key = dotted.split(".")
    node = params
    for p in parents:
        node = node.get(p) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict) and key in node:
        node[key] = value


def run(cmd: list[str], cwd: Path, timeout: float = 900) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline", "GX_ANALYTICS_ENABLED": "False",
           "DVC_NO_ANALYTICS": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout + proc.stderr


def copy_repo(dest: Path) -> list[str]:
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


def tiny_params(repo: Path) -> dict[str, Any]:
    """The copy's params.yaml shrunk to TINY, written back; returns it."""
    params = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))
    for key, value in TINY.items():
        set_param(params, key, value)
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return params
