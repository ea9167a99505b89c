"""The named real base: GGUF assembly, dequantization, Gemma 3 chat template, NOTICE (tiny GGUF, no real weights)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("gguf", reason="the gguf package (dev extra) writes the test GGUF")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tiny_gguf import write_tiny_gemma_gguf  # noqa: E402

from factory.training import gemma  # noqa: E402
from factory.training.base_model import check_model_dir, load_model  # noqa: E402

MESSAGES = [
    {"role": "system", "content": "Você é um assistente de e-commerce."},
    {"role": "user", "content": "Qual o status do pedido?"},
    {"role": "assistant", "content": '{"status": "entregue"}'},
]


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("gguf") / "tiny-gemma3.gguf"
    return path, write_tiny_gemma_gguf(path)


@pytest.fixture(scope="module")
def gemma_dir(tiny_gguf, tmp_path_factory) -> Path:
    terms = tmp_path_factory.mktemp("terms") / "GEMMA_TERMS.html"
    terms.write_text("<html>Gemma Terms of Use</html>", encoding="utf-8")
    corpus = ["Avaliação: não gostei, veio faltando peças! R$ 1.234,56 😀", '{"sentiment": "negativo"}']
    return gemma.build_gguf_base(tiny_gguf[0], tmp_path_factory.mktemp("models") / "base", corpus, terms_file=terms)


def test_dequantized_weights_match_what_was_written(tiny_gguf) -> None:
    path, arrays = tiny_gguf
    model, tokenizer = gemma.load_gguf(path)
    assert type(model).__name__ == "Gemma3ForCausalLM"
    assert all(p.dtype == torch.float32 for p in model.parameters())
    emb = model.get_input_embeddings().weight.detach().numpy()
    # Q8_0 keeps 8 bits per weight: the dequantized embedding is close to, not equal to, the original
    assert np.abs(emb - arrays["token_embd.weight"]).max() < 0.01
    assert not np.array_equal(emb, arrays["token_embd.weight"])
    q = model.model.layers[0].self_attn.q_proj.weight.detach().numpy()
    np.testing.assert_array_equal(q, arrays["blk.0.attn_q.weight"])  # F32 tensors are exact
    assert len(tokenizer) == emb.shape[0]


def test_saved_folder_reloads_with_template_notice_and_same_logits(tiny_gguf, gemma_dir: Path) -> None:
    info = check_model_dir(gemma_dir)  # generation markers required
    assert info["tokenizer_size"] == info["vocab_size"]
    assert "Gemma Terms of Use" in (gemma_dir / "NOTICE").read_text()
    assert (gemma_dir / "GEMMA_TERMS.html").is_file()
    assert not list(gemma_dir.glob("*.gguf"))
    saved, tok = load_model(gemma_dir)
    original, _ = gemma.load_gguf(tiny_gguf[0])
    ids = torch.tensor([tok.encode("o pedido chegou", add_special_tokens=False)])
    with torch.no_grad():
        torch.testing.assert_close(saved(ids).logits, original(ids).logits)
    assert tok.eos_token == gemma.END
    assert saved.generation_config.eos_token_id == tok.convert_tokens_to_ids(gemma.END)
    assert saved.generation_config.do_sample in (False, None) and saved.generation_config.temperature in (1.0, None)


def test_chat_template_masks_exactly_the_model_turn(gemma_dir: Path) -> None:
    _, tok = load_model(gemma_dir)
    out = tok.apply_chat_template(MESSAGES, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    text = tok.decode(out["input_ids"])
    assert text.startswith("<bos><start_of_turn>user\nVocê é um assistente de e-commerce.\n\nQual o status")
    masked = tok.decode([i for i, m in zip(out["input_ids"], out["assistant_masks"]) if m])
    assert masked == '{"status": "entregue"}<end_of_turn>'
    prompt = tok.apply_chat_template(MESSAGES[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<end_of_turn>\n<start_of_turn>model\n")
    assert text.startswith(prompt)


def test_tokenizer_that_breaks_the_prompt_sets_is_refused(tiny_gguf, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(gemma, "round_trip_failures", lambda tok, texts, limit=3: (2, ["texto quebrado"]))
    with pytest.raises(ValueError, match="does not round-trip 2 prompt-set texts"):
        gemma.build_gguf_base(tiny_gguf[0], tmp_path / "base", ["x"])
    assert not (tmp_path / "base").exists()


def test_round_trip_counts_real_failures() -> None:
    class Lossy:  # a tokenizer that lowercases: what a broken normalizer does
        def encode(self, text, add_special_tokens=False):
            return text.lower()

        def decode(self, ids):
            return ids

    assert gemma.round_trip_failures(Lossy(), ["ok", "Não", "sim", "SIM"]) == (2, ["Não", "SIM"])


def test_missing_extra_names_the_install_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(gemma, "PACKAGE", "gemma3_package_that_is_not_installed")
    with pytest.raises(ImportError, match=r"pip install -e '\.\[gemma\]'"):
        gemma.packaged_gguf(tmp_path)
