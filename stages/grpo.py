"""Stage grpo: TRL GRPO from data/models/sft with the per-task reward functions -> data/models/grpo.

Resumes from data/checkpoints/grpo after an interruption (same params and inputs). Writes the
training and eval curves (DVC plots + PNG), the monitors and reports/metrics/grpo.json.
"""
from __future__ import annotations

from pathlib import Path

from accelerate import PartialState

from factory.config import load_params
from factory import tasks  # noqa: F401  (registers every task: the built-ins and factory/tasks plugins)
from factory.reporting import write_stage_metrics
from factory.training.data import per_task_sample
from schemas.records import read_records
from factory.training.grpo import train_grpo
from factory.training.monitors import Thresholds, log_rows, plot_curves, select, write_csv
from factory.training.reward_funcs import task_rewards

PROMPTS = Path("data/prompts")
SFT = Path("data/models/sft")
OUT = Path("data/models/grpo")
WORK = Path("data/checkpoints/grpo")
DB = Path("data/commerce.db")


def main() -> None:
    params = load_params()
    train_params = params["train"]
    train, val = read_records(PROMPTS / "train.jsonl"), read_records(PROMPTS / "val.jsonl")
    funcs = task_rewards(sorted({r["task"] for r in train}), DB, params["rewards"])
    run = train_grpo(
        train, per_task_sample(val, train_params["eval_prompts_per_task"]), policy_dir=SFT, out_dir=OUT,
        params=train_params, reward_funcs=funcs, work_dir=WORK, tracking_params=params["tracking"],
        thresholds=Thresholds(**train_params["monitor"]),
    )
    if not PartialState().is_main_process:  # under `accelerate launch`, one process writes the reports
        return
    rows = log_rows(run.log_history)
    names = [f.__name__ for f in funcs]
    steps = select(rows, ["loss", "grad_norm", "learning_rate", "entropy", "kl", "clip_ratio/"])
    generations = select(rows, ["reward", "reward_std", "frac_reward_zero_std", "completions/", "rewards/"])
    write_csv("reports/plots/grpo_log.csv", steps)
    write_csv("reports/plots/grpo_rewards.csv", generations)
    evals = log_rows(run.log_history, eval_rows=True)
    eval_columns = ["eval_reward", *[f"eval_rewards/{t}/mean" for t in names]]
    write_csv("reports/plots/grpo_eval.csv", evals, columns=eval_columns)  # every column the DVC plot reads
    plot_curves("reports/grpo_curves.png", steps + generations + evals, {
        "reward": ["reward", *[f"rewards/{t}/mean" for t in names]],
        "val reward": eval_columns,
        "zero-std groups": ["frac_reward_zero_std"],
        "at length ceiling": ["completions/clipped_ratio"],
        "entropy": ["entropy"],
        "kl": ["kl"],
        "grad_norm": ["grad_norm"],
    }, title="GRPO")
    write_stage_metrics({**run.metrics, "sampling": run.sampling}, "grpo")
    m = run.metrics
    print(f"grpo: {m['global_step']} steps, reward {m['reward_first']} -> {m['reward_last']}, "
          f"eval reward {m['eval_reward_mean']}, warnings {m['monitors']['warnings']}, {m['seconds_per_step']} s/step")


if __name__ == "__main__":
    main()
