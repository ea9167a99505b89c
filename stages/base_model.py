"""Stage base_model: the tiny seeded model (default), the named real base `gemma-3-270m`, or any
local folder / hub id given as `model.base`, into data/models/base."""
from __future__ import annotations

from pathlib import Path

from factory.config import load_params
from factory import tasks  # noqa: F401  (registers every task: the built-ins and factory/tasks plugins)
from common.io import sha256_tree
from factory.reporting import write_stage_metrics
from factory.training import gemma
from factory.training.base_model import build_tiny_model, check_model_dir, count_parameters, import_base, load_model
from factory.training.data import tokenizer_corpus
from schemas.records import read_records

PROMPTS = Path("data/prompts")
OUT = Path("data/models/base")


def main() -> None:
    params = load_params()["model"]
    if params["base"] == "tiny":
        tiny = params["tiny"]
        # The benchmark stays out of the tokenizer corpus: only train/val texts and their gold answers.
        records = read_records(PROMPTS / "train.jsonl") + read_records(PROMPTS / "val.jsonl")
        build_tiny_model(
            OUT, list(tokenizer_corpus(records)), seed=tiny["seed"], vocab_size=tiny["vocab_size"],
            hidden_size=tiny["hidden_size"], num_layers=tiny["num_layers"], num_heads=tiny["num_heads"],
        )
    elif params["base"] == gemma.NAME:
        records = read_records(PROMPTS / "train.jsonl") + read_records(PROMPTS / "val.jsonl")
        gemma.build_named_base(OUT, tokenizer_corpus(records))
    else:
        import_base(params["base"], OUT)
    info = check_model_dir(OUT, require_generation_markers=False)
    model, _ = load_model(OUT)
    info.update(base=params["base"], parameters=count_parameters(model), sha256=sha256_tree(OUT))
    write_stage_metrics(info, "base_model")
    print(f"base model: {params['base']} -> {OUT} ({info['parameters']:,} parameters, "
          f"vocab {info['vocab_size']}, {info['tokenizer_class']})")


if __name__ == "__main__":
    main()
