"""The base_model -> sft -> grpo stages in a project folder, and GRPO data-parallel on 2 CPU processes."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from common.io import write_jsonl
from factory.training.base_model import check_model_dir

REPO = Path(__file__).resolve().parents[3]


def _project(root: Path, records: list[dict]) -> Path:
    """A project folder with the repo's params.yaml shrunk to test size and fixture prompt files."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["model"]["tiny"].update(vocab_size=512, hidden_size=64)
    params["sft"].update(max_steps=8, per_device_train_batch_size=4, max_length=256, save_steps=100,
                         samples_per_task=1, sample_max_new_tokens=16)
    params["train"].update(max_steps=2, max_prompt_length=256, max_completion_length=16, eval_steps=2,
                           eval_prompts_per_task=2, save_steps=100, steps_per_generation=2)
    params["tracking"]["wandb"] = False
    root.mkdir(parents=True, exist_ok=True)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    write_jsonl(root / "data/prompts/train.jsonl", records)
    write_jsonl(root / "data/prompts/val.jsonl", records[:6])
    return root


def _run(cmd: list[str], cwd: Path, timeout: int = 240) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline", "PYTHONPATH": str(REPO),
           "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout + proc.stderr


def test_stages_base_model_sft_grpo_write_models_reports_and_metrics(
    tmp_path: Path, records: list[dict], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The stage entry points, run in-process from the project folder (DVC runs the same `main`)."""
    from stages import base_model, grpo, sft

    root = _project(tmp_path / "project", records)
    monkeypatch.chdir(root)
    for stage in (base_model, sft, grpo):
        stage.main()
    assert "steps per epoch" in capsys.readouterr().out
    for model in ("base", "sft", "grpo"):
        check_model_dir(root / "data/models" / model, require_generation_markers=True)
    sft = json.loads((root / "reports/details/sft.json").read_text())
    assert sft["global_step"] == 8 and sft["loss_last"] < sft["loss_first"]
    assert {"repetition_rate", "valid_format_rate"} <= set(sft["samples"])
    grpo = json.loads((root / "reports/details/grpo.json").read_text())
    assert grpo["global_step"] == 2 and grpo["sampling"]["temperature"] == 1.0
    assert set(grpo["eval_reward"]) == {"push", "reasoning", "sentiment"}
    rows = list(csv.DictReader(open(root / "reports/plots/grpo_log.csv")))
    assert [r["step"] for r in rows] == ["1", "2"] and {"loss", "entropy", "grad_norm"} <= set(rows[0])
    rewards = list(csv.DictReader(open(root / "reports/plots/grpo_rewards.csv")))
    assert [r["step"] for r in rewards] == ["1"]   # rewards exist on generation steps (every 2 here)
    assert {"reward", "frac_reward_zero_std", "completions/clipped_ratio"} <= set(rewards[0])
    assert all(rewards[0][k] for k in ("reward", "frac_reward_zero_std", "completions/clipped_ratio"))
    assert list(csv.DictReader(open(root / "reports/plots/grpo_eval.csv")))[0]["eval_rewards/sentiment/mean"]
    assert (root / "reports/plots/sft_log.csv").is_file()
    for png in ("sft_curves.png", "grpo_curves.png"):
        assert (root / "reports" / png).read_bytes()[:4] == b"\x89PNG"
    assert "valid_format_rate" in (root / "reports/sft_samples.md").read_text()
    assert not (root / "data/checkpoints/grpo").exists()


def test_grpo_stage_on_two_cpu_processes(tmp_path: Path, records: list[dict], sft_model_dir: Path) -> None:
    """Data-parallel GRPO on 2 CPU processes (gloo). `accelerate launch --cpu` only goes multi-process
    through mpirun, so the test uses torchrun, the launcher `accelerate launch --multi_gpu` wraps on GPUs;
    the trainer's Accelerator picks the world up from the same environment either way."""
    root = _project(tmp_path / "project", records)
    shutil.copytree(sft_model_dir, root / "data/models/sft")
    out = _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                "-m", "stages.grpo"], root)
    assert "(4 batch x 1 accumulation x 2 processes) = 6 steps per epoch" in out   # 12 prompts x 4 / (4 x 1 x 2)
    grpo = json.loads((root / "reports/details/grpo.json").read_text())
    assert grpo["global_step"] == 2 and grpo["reward_last"] is not None
    check_model_dir(root / "data/models/grpo")
