"""Write a tiny Gemma 3 GGUF file (random weights, a small sentencepiece vocabulary) for tests.

Same metadata keys, tensor names and layout as the packaged Gemma 3 270M GGUF, a few thousand
parameters instead of 268M, with the embedding stored as Q8_0 so dequantization is exercised.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>"]
CONTROL, NORMAL, BYTE, UNKNOWN, USER_DEFINED = 3, 1, 6, 2, 4
ALPHABET = "\u2581abcdefghijklmnopqrstuvwxyzáãâçéêíóôõúABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789{}[]\":,.!?-()%$/\n"
MERGED = ["\u2581o", "\u2581a", "\u2581d", "de", "\u2581de", "os", "as", "en", "\u2581p", "ro", "\u2581pro"]


def vocabulary() -> tuple[list[str], list[int]]:
    tokens = list(SPECIALS) + [f"<0x{b:02X}>" for b in range(256)]
    types = [CONTROL, CONTROL, CONTROL, UNKNOWN, USER_DEFINED, USER_DEFINED, USER_DEFINED] + [BYTE] * 256
    for tok in list(dict.fromkeys(ALPHABET)) + MERGED:
        tokens.append(tok)
        types.append(NORMAL)
    return tokens, types


def write_tiny_gemma_gguf(path: Path, *, hidden: int = 64, layers: int = 2, heads: int = 2,
                          kv_heads: int = 1, head_dim: int = 32, ffn: int = 128, seed: int = 0) -> dict:
    """Write the file; returns the float32 arrays written (before quantization), by tensor name."""
    import gguf

    rng = np.random.default_rng(seed)
    tokens, types = vocabulary()
    vocab = len(tokens)
    w = gguf.GGUFWriter(str(path), "gemma3")
    w.add_name("tiny gemma3 for tests")
    w.add_context_length(512)
    w.add_embedding_length(hidden)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(10000.0)
    w.add_sliding_window(128)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores([-float(i) for i in range(vocab)])
    w.add_token_types(types)
    w.add_bos_token_id(2)
    w.add_eos_token_id(1)
    w.add_unk_token_id(3)
    w.add_pad_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(False)

    arrays: dict[str, np.ndarray] = {}

    def tensor(name: str, shape: tuple[int, ...], scale: float = 0.05, quantize: bool = False) -> None:
        arr = (rng.standard_normal(shape) * scale).astype(np.float32)
        arrays[name] = arr
        if quantize:
            q = gguf.quants.quantize(arr, gguf.GGMLQuantizationType.Q8_0)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(name, arr)

    tensor("token_embd.weight", (vocab, hidden), quantize=True)
    tensor("output_norm.weight", (hidden,), scale=0.1)
    for i in range(layers):
        p = f"blk.{i}."
        tensor(p + "attn_q.weight", (heads * head_dim, hidden))
        tensor(p + "attn_k.weight", (kv_heads * head_dim, hidden))
        tensor(p + "attn_v.weight", (kv_heads * head_dim, hidden))
        tensor(p + "attn_output.weight", (hidden, heads * head_dim))
        for norm, size in (("attn_q_norm", head_dim), ("attn_k_norm", head_dim), ("attn_norm", hidden),
                           ("post_attention_norm", hidden), ("ffn_norm", hidden), ("post_ffw_norm", hidden)):
            tensor(p + norm + ".weight", (size,), scale=0.1)
        tensor(p + "ffn_gate.weight", (ffn, hidden))
        tensor(p + "ffn_up.weight", (ffn, hidden))
        tensor(p + "ffn_down.weight", (hidden, ffn))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return arrays
