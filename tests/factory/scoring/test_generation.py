"""factory.generation is the one decoding path: SFT samples, the score stage's local models and the
HTTP server give the same completions for the same checkpoint, prompts and settings."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Iterator

import openai
import pytest

from factory.generation import Decoding, complete, neutral_generation_config, sampling_fields
from factory.scoring.backends import LocalBackend
from factory.scoring.run import TIMING_FIELDS, run_benchmark
from factory.training.base_model import load_model, save_model
from factory.training.sft import sample_report

from .conftest import REPO, benchmark_records, serve

RECORDS = benchmark_records()
CONVERSATIONS = [[{"role": m["role"], "content": m["content"]} for m in r["messages"]] for r in RECORDS]


@pytest.fixture(scope="module")
def varied_model(tiny_model, tmp_path_factory) -> Path:
    """The tiny checkpoint with a seeded random, untied output head: a random tied model greedily repeats
    its last prompt token ("\n") for every prompt, which would make a greedy comparison say nothing."""
    import torch

    model, tokenizer = load_model(tiny_model)
    model.config.tie_word_embeddings = False
    torch.manual_seed(0)
    model.lm_head = torch.nn.Linear(model.config.hidden_size, model.config.vocab_size, bias=False)
    return save_model(model, tokenizer, tmp_path_factory.mktemp("models") / "varied")


@pytest.fixture(scope="module")
def local(varied_model) -> LocalBackend:
    return LocalBackend("varied", varied_model, cpu_threads=1)


@pytest.fixture(scope="module")
def client(varied_model) -> Iterator[openai.OpenAI]:
    with serve(varied_model, name="varied") as base_url:
        yield openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=60)


def test_sft_samples_scoring_and_serving_give_identical_greedy_completions(varied_model, local, client):
    """sample_report decodes 16 prompts per left-padded batch; scoring and serving one prompt per call."""
    rows, _ = sample_report(varied_model, RECORDS, format_score=lambda record, text: 0.0, max_new_tokens=12)
    greedy = Decoding(temperature=0.0, max_tokens=12)
    scored = [local.generate(m, greedy) for m in CONVERSATIONS]
    served = [client.chat.completions.create(model="varied", messages=m, temperature=0, max_tokens=12)
              for m in CONVERSATIONS]
    assert [r["output"] for r in rows] == [g.text for g in scored] == [s.choices[0].message.content for s in served]
    assert [r["tokens"] for r in rows] == [g.completion_tokens for g in scored] == \
           [s.usage.completion_tokens for s in served]
    assert [r["stopped"] for r in rows] == [g.finish_reason == "stop" for g in scored]
    assert len({r["output"] for r in rows}) > len(rows) // 2  # distinct outputs: the comparison says something


@pytest.mark.parametrize("temperature, top_p, seed", [(0.7, 0.95, 11), (1.0, 1.0, 3)])
def test_sampled_completions_are_identical_across_paths_with_a_per_prompt_seed(
    varied_model, local, client, temperature, top_p, seed
):
    """The score stage reseeds per prompt; so does a seeded request; so does one `complete` call per prompt."""
    decoding = Decoding(temperature=temperature, top_p=top_p, max_tokens=10, seed=seed)
    model, tokenizer = load_model(varied_model)
    direct = [complete(model, tokenizer, [m], decoding)[0][0].text for m in CONVERSATIONS]
    scored = [local.generate(m, decoding).text for m in CONVERSATIONS]
    served = [client.chat.completions.create(model="varied", messages=m, temperature=temperature, top_p=top_p,
                                             seed=seed, max_tokens=10).choices[0].message.content
              for m in CONVERSATIONS]
    assert direct == scored == served
    # reseeded per prompt: the order of the prompts does not matter
    assert [local.generate(m, decoding).text for m in CONVERSATIONS[::-1]] == scored[::-1]
    # and sampling is not greedy
    assert scored != [local.generate(m, Decoding(temperature=0.0, max_tokens=10)).text for m in CONVERSATIONS]


def test_batched_completions_equal_one_call_per_prompt(varied_model):
    """Left padding changes nothing (greedy): stop strings and the EOS cut act per completion."""
    model, tokenizer = load_model(varied_model)
    decoding = Decoding(temperature=0.0, max_tokens=16, stop=("a ",))
    batched = complete(model, tokenizer, CONVERSATIONS, decoding, batch_size=5)
    single = [complete(model, tokenizer, [m], decoding)[0] for m in CONVERSATIONS]
    assert batched == single and all(len(choices) == 1 for choices in batched)
    assert any(c.text != full[0].text for [c], full in zip(batched, complete(model, tokenizer, CONVERSATIONS, Decoding(
        temperature=0.0, max_tokens=16), batch_size=5)))  # some stop string was hit
    sampled = complete(model, tokenizer, CONVERSATIONS[:3], Decoding(temperature=1.0, max_tokens=8, n=3, seed=1),
                       batch_size=3)
    assert [len(choices) for choices in sampled] == [3, 3, 3]


def test_batched_scoring_equals_one_prompt_at_a_time(local):
    """`eval.batch_size`: the same greedy completions and scores, a ragged last batch included; each row's
    latency is its share of the batch; sampled batches are reproducible for the same batch size."""
    assert len(RECORDS) % 3, "the last batch should be ragged"

    def scorer(task, completion, ground_truth, prompt):
        return {"reward": float(len(completion))}

    def untimed(rows):
        return [{k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in rows]

    greedy = Decoding(temperature=0.0, max_tokens=12)
    one = run_benchmark(local, RECORDS, greedy, scorer)
    batched = run_benchmark(local, RECORDS, greedy, scorer, batch_size=3)
    assert untimed(batched) == untimed(one) and len({r["completion"] for r in one}) > 1
    assert all(r["latency_s"] > 0 for r in batched)
    sampled = Decoding(temperature=1.0, max_tokens=12, seed=3)
    first = run_benchmark(local, RECORDS, sampled, scorer, batch_size=3)
    assert untimed(first) == untimed(run_benchmark(local, RECORDS, sampled, scorer, batch_size=3))


def test_a_checkpoint_generation_config_cannot_change_the_sft_samples(varied_model, tmp_path):
    """sample_report loads the checkpoint as saved; an opinionated generation_config.json must not matter."""
    folder = Path(shutil.copytree(varied_model, tmp_path / "opinionated"))
    config = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
    config.update(top_k=1, repetition_penalty=5.0, no_repeat_ngram_size=1, do_sample=True, temperature=0.01,
                  max_new_tokens=2)
    (folder / "generation_config.json").write_text(json.dumps(config), encoding="utf-8")
    plain, _ = sample_report(varied_model, RECORDS, format_score=lambda record, text: 0.0, max_new_tokens=12)
    opinionated, _ = sample_report(folder, RECORDS, format_score=lambda record, text: 0.0, max_new_tokens=12)
    assert [r["output"] for r in opinionated] == [r["output"] for r in plain]


def test_neutral_config_says_only_how_to_stop_and_pad(tiny_model):
    model, tokenizer = load_model(tiny_model)
    config = neutral_generation_config(model, tokenizer)
    assert config.to_diff_dict().keys() - {"transformers_version"} == {"eos_token_id", "pad_token_id"}
    assert config.eos_token_id == tokenizer.eos_token_id and config.pad_token_id == tokenizer.pad_token_id
    assert neutral_generation_config(model, tokenizer, eos=[7, 3, 7]).eos_token_id == [3, 7]


@pytest.mark.parametrize("temperature", [0, 0.0, None])
def test_temperature_zero_or_none_is_greedy(temperature):
    assert sampling_fields(temperature, 0.5, 20) == {"do_sample": False, "temperature": None, "top_p": None,
                                                     "top_k": None}
    assert sampling_fields(0.7, 0.5, 0) == {"do_sample": True, "temperature": 0.7, "top_p": 0.5, "top_k": 0}


def test_no_generation_config_is_built_outside_factory_generation():
    """One source of decoding settings: every other module imports them from factory.generation."""
    built = re.compile(r"\bGenerationConfig\s*\(")
    offenders = [p.relative_to(REPO).as_posix() for folder in ("factory", "stages", "rewards", "schemas", "common")
                 for p in sorted((REPO / folder).rglob("*.py"))
                 if p != REPO / "factory" / "generation.py" and built.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
    assert built.search((REPO / "factory" / "generation.py").read_text(encoding="utf-8"))
