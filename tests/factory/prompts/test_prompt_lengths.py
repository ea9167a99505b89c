"""Every prompt fits GRPO's `train.max_prompt_length` under the tiny model's chat template: a longer
one is dropped from training (factory.training.grpo.fit_prompts), so a grown SQL schema or question
template would silently cost training prompts."""
from __future__ import annotations

import pytest

from common.io import read_jsonl
from factory.training.base_model import train_tokenizer
from factory.training.data import tokenizer_corpus
from factory.training.grpo import fit_prompts
from schemas.tasks import TASKS


@pytest.fixture(scope="module")
def tiny_tokenizer(prompt_sets):
    """The tokenizer `python -m stages.base_model` trains for model.base: tiny (train + val texts)."""
    records = read_jsonl(prompt_sets.root / "train.jsonl") + read_jsonl(prompt_sets.root / "val.jsonl")
    vocab = prompt_sets.params["model"]["tiny"]["vocab_size"]
    return train_tokenizer(list(tokenizer_corpus(records)), vocab_size=vocab)


@pytest.mark.parametrize("task", TASKS)
def test_every_prompt_of_the_pool_fits_the_grpo_prompt_length(prompt_sets, tiny_tokenizer, task):
    limit = prompt_sets.params["train"]["max_prompt_length"]
    pool = read_jsonl(prompt_sets.root / "by_task" / f"{task}.jsonl")
    kept, dropped = fit_prompts(pool, tiny_tokenizer, limit)
    assert dropped == 0, [r["id"] for r in pool if r not in kept][:5]
