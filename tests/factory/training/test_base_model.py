"""The tiny base model: offline, seeded, reloadable with its tokenizer and chat template."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from common.io import sha256_tree
from factory.training.base_model import (
    CHAT_TEMPLATE,
    IM_END,
    build_tiny_model,
    check_model_dir,
    count_parameters,
    import_base,
    load_model,
)


def test_reload_keeps_tokenizer_class_template_and_specials(tiny_model_dir: Path) -> None:
    model, tok = load_model(tiny_model_dir)
    assert type(tok).__name__ == "Qwen2Tokenizer"
    assert json.loads((tiny_model_dir / "tokenizer_config.json").read_text())["tokenizer_class"] == "Qwen2Tokenizer"
    assert type(model).__name__ == "Qwen3ForCausalLM"
    assert tok.chat_template == CHAT_TEMPLATE
    assert tok.eos_token == IM_END and tok.pad_token != tok.eos_token
    assert model.generation_config.eos_token_id == tok.eos_token_id
    assert model.generation_config.pad_token_id == tok.pad_token_id
    # a Portuguese sentence with accents and JSON round-trips byte for byte
    text = 'Avaliação: "não recebi" {"sentiment": "negativo", "sentiment_score": -0.9}'
    assert tok.decode(tok.encode(text, add_special_tokens=False)) == text


def test_chat_template_masks_exactly_the_assistant_answer_and_its_stop(tiny_model_dir: Path) -> None:
    _, tok = load_model(tiny_model_dir)
    messages = [{"role": "system", "content": "Sistema"}, {"role": "user", "content": "Pergunta"},
                {"role": "assistant", "content": "Resposta: 42"}]
    out = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    answer = [t for t, m in zip(out["input_ids"], out["assistant_masks"]) if m]
    assert tok.decode(answer) == "Resposta: 42" + IM_END
    prompt = tok.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n")
    full = tok.apply_chat_template(messages, tokenize=False)
    assert full.startswith(prompt)  # prefix-preserving: GRPO prompts are prefixes of SFT texts


def test_tiny_model_is_about_a_million_parameters_at_default_size(tmp_path: Path, records: list[dict]) -> None:
    from factory.training.base_model import tiny_config, train_tokenizer
    from transformers import Qwen3ForCausalLM

    tok = train_tokenizer([m["content"] for r in records for m in r["messages"]] * 20, vocab_size=4096)
    # with the default sizes and a full 4096 vocab (real corpus) the model is ~1M parameters
    config = tiny_config(tok)
    config.vocab_size = 4096
    n = count_parameters(Qwen3ForCausalLM(config))
    assert 0.7e6 < n < 1.5e6, n


def test_build_is_deterministic_and_seed_changes_weights(tmp_path: Path, records: list[dict]) -> None:
    corpus = [m["content"] for r in records for m in r["messages"]] * 5
    kw = dict(vocab_size=400, hidden_size=32, num_layers=1, num_heads=2)
    a = build_tiny_model(tmp_path / "a", corpus, seed=0, **kw)
    b = build_tiny_model(tmp_path / "b", corpus, seed=0, **kw)
    c = build_tiny_model(tmp_path / "c", corpus, seed=1, **kw)
    assert sha256_tree(a) == sha256_tree(b)
    assert (a / "tokenizer.json").read_bytes() == (c / "tokenizer.json").read_bytes()
    wa, _ = load_model(a)
    wc, _ = load_model(c)
    assert not torch.equal(wa.model.embed_tokens.weight, wc.model.embed_tokens.weight)


def test_check_model_dir_names_what_is_missing(tmp_path: Path, tiny_model_dir: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "tokenizer.json").unlink()
    with pytest.raises(ValueError, match="tokenizer.json"):
        check_model_dir(broken)


def test_check_model_dir_rejects_a_template_without_generation_markers(tmp_path: Path, tiny_model_dir: Path) -> None:
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(tiny_model_dir, plain)
    text = (plain / "chat_template.jinja").read_text()
    (plain / "chat_template.jinja").write_text(
        text.replace("{%- generation %}", "").replace("{%- endgeneration %}", ""))
    with pytest.raises(ValueError, match="generation"):
        check_model_dir(plain)
    assert check_model_dir(plain, require_generation_markers=False)["tokenizer_class"] == "Qwen2Tokenizer"


def test_import_base_from_a_local_folder(tmp_path: Path, tiny_model_dir: Path) -> None:
    out = import_base(str(tiny_model_dir), tmp_path / "base")
    m1, _ = load_model(tiny_model_dir)
    m2, tok = load_model(out)
    assert torch.equal(m1.model.embed_tokens.weight, m2.model.embed_tokens.weight)
    assert tok.chat_template == CHAT_TEMPLATE


def test_import_base_refuses_a_hub_id_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="HF_HUB_OFFLINE"):
        import_base("Qwen/Qwen3-0.6B", tmp_path / "base")
    assert not (tmp_path / "base").exists()
