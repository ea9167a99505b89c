"""Per-step time of SFT and GRPO on this machine with params.yaml, and the projected wall time of
`dvc exp run -S train.max_steps=600` (target: <= 15 min on 2 CPU cores).

Needs the pipeline's inputs: data/prompts/{train,val}.jsonl and data/models/{base,sft}
(`dvc repro sft`). Runs in a temporary folder; nothing under data/ or reports/ is touched.

    python benchmarks/training_steps.py [--steps 24] [--target-steps 600]
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "disabled")

from factory.config import load_params  # noqa: E402
from factory.training.data import per_task_sample  # noqa: E402
from schemas.records import read_records  # noqa: E402
from factory.training.grpo import train_grpo  # noqa: E402
from factory.training.reward_funcs import task_rewards  # noqa: E402
from factory.training.sft import train_sft  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=24, help="steps to time (a multiple of train.steps_per_generation)")
    parser.add_argument("--target-steps", type=int, default=600, help="GRPO max_steps to project")
    args = parser.parse_args()
    params = load_params()
    train = read_records("data/prompts/train.jsonl")
    val = read_records("data/prompts/val.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sft = train_sft(train, val[:8], base_dir="data/models/base", out_dir=tmp / "sft", work_dir=tmp / "sft-work",
                        params={**params["sft"], "max_steps": args.steps, "save_steps": 10**6},
                        backend=params["sft"]["backend"])
        grpo_params = {**params["train"], "max_steps": args.steps, "save_steps": 10**6, "eval_steps": 10**6}
        funcs = task_rewards(sorted({r["task"] for r in train}), "data/commerce.db", params["rewards"])
        run = train_grpo(train, per_task_sample(val, params["train"]["eval_prompts_per_task"]),
                         policy_dir="data/models/sft", out_dir=tmp / "grpo", params=grpo_params,
                         reward_funcs=funcs, work_dir=tmp / "grpo-work")
    step = run.metrics["seconds_per_step"]
    # train_grpo evaluates the final policy on val once (per-task reward): that is one eval's cost
    eval_s = [e["eval_runtime"] for e in run.log_history if "eval_runtime" in e][-1]
    evals = args.target_steps // params["train"]["eval_steps"] + 1
    projected = args.target_steps * step + evals * eval_s
    print(f"cpu threads: {os.cpu_count()}  (torch threads {__import__('torch').get_num_threads()})")
    print(f"sft : {sft.metrics['seconds_per_step']:.3f} s/step over {args.steps} steps "
          f"(batch {params['sft']['per_device_train_batch_size']}, max_length {params['sft']['max_length']})")
    print(f"grpo: {step:.3f} s/step over {args.steps} steps "
          f"({params['train']['per_device_train_batch_size']} completions of <= "
          f"{params['train']['max_completion_length']} tokens per step)")
    print(f"grpo eval (val, {params['train']['eval_prompts_per_task']} prompts/task): ~{eval_s:.1f} s")
    print(f"projected grpo wall time for max_steps={args.target_steps} (eval every {params['train']['eval_steps']}): "
          f"{projected / 60:.1f} min (+ stage start-up ~0.5 min)")


if __name__ == "__main__":
    main()
