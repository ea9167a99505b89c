"""Stage sft: TRL SFT of data/models/base on the training prompts + gold answers -> data/models/sft.

Also writes the training curve (DVC plot + PNG), greedy val samples with degenerate-output
metrics (reports/sft_samples.md) and reports/metrics/sft.json.
"""
from __future__ import annotations

from pathlib import Path

from accelerate import PartialState

from factory.config import load_params
from factory import tasks  # noqa: F401  (registers every task: the built-ins and factory/tasks plugins)
from common.io import write_text
from factory.reporting import write_stage_metrics
from factory.training.data import per_task_sample, stratified_subset, task_balanced_subset
from schemas.records import read_records
from factory.training.monitors import Thresholds, completion_warnings, log_rows, plot_curves, write_csv
from factory.training.sft import samples_markdown, sample_report, train_sft
from factory.training.reward_funcs import format_scorer

PROMPTS = Path("data/prompts")
BASE = Path("data/models/base")
OUT = Path("data/models/sft")
WORK = Path("data/checkpoints/sft")
DB = Path("data/commerce.db")


def main() -> None:
    params = load_params()
    sft = params["sft"]
    train = task_balanced_subset(read_records(PROMPTS / "train.jsonl"), sft["train_per_task"])
    val = stratified_subset(read_records(PROMPTS / "val.jsonl"), sft["val_per_stratum"])
    run = train_sft(train, val, base_dir=BASE, out_dir=OUT, params=sft, work_dir=WORK,
                    backend=sft["backend"], tracking_params=params["tracking"])
    if not PartialState().is_main_process:  # under `accelerate launch`, one process writes the reports
        return
    rows = log_rows(run.log_history)
    write_csv("reports/plots/sft_log.csv", rows)
    plot_curves("reports/sft_curves.png", rows, {"loss": ["loss"], "token accuracy": ["mean_token_accuracy"],
                "grad_norm": ["grad_norm"], "learning rate": ["learning_rate"]}, title="SFT")
    samples, degenerate = sample_report(
        OUT, per_task_sample(val, sft["samples_per_task"]), max_new_tokens=sft["sample_max_new_tokens"],
        format_score=format_scorer(DB, params["rewards"]), seed=sft["seed"],
    )
    write_text("reports/sft_samples.md", samples_markdown(samples, degenerate, title="SFT samples on val (greedy)"))
    warnings = completion_warnings("sft val samples", degenerate, Thresholds(**params["train"]["monitor"]))
    for line in warnings:
        print(line, flush=True)
    write_stage_metrics({**run.metrics, "samples": {**degenerate, "warnings": len(warnings)}}, "sft")
    m = run.metrics
    print(f"sft: {m['global_step']} steps, loss {m['loss_first']:.3f} -> {m['loss_last']:.3f}, val loss "
          f"{m['val_loss']}, valid format {degenerate['valid_format_rate']:.2f}, repetition "
          f"{degenerate['repetition_rate']:.2f}, {m['seconds_per_step']} s/step")


if __name__ == "__main__":
    main()
