"""The base model: a tiny seeded Qwen3-style model built offline, or a local folder / hub id.

The tiny model lets the whole pipeline (SFT, GRPO, scoring) run on 2 CPU cores in minutes with
no download: a byte-level BPE tokenizer trained with `tokenizers` on the project's own corpus
(Qwen2 pre-tokenization, so it reloads as `Qwen2Tokenizer`), a ~1M-parameter `Qwen3ForCausalLM`
with random seeded weights, and a ChatML template with `{% generation %}` markers so TRL's
`assistant_only_loss` can mask everything but the assistant turns.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from common.io import atomic_path
from factory.generation import neutral_generation_config

PAD_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END)

# Same split as Qwen2Tokenizer, so AutoTokenizer rebuilds exactly the tokenizer trained here.
_QWEN_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# ChatML (the Qwen format) without tools or thinking blocks. The assistant content and its
# <|im_end|> sit inside {% generation %} so assistant-only loss also trains the model to stop.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- generation %}{{- message['content'] + '<|im_end|>' }}{%- endgeneration %}"
    "{{- '\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# Files a reloadable HF model folder must hold (weights are checked separately: safetensors shards).
REQUIRED_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja")

_PROBE_MESSAGES = [
    {"role": "system", "content": "Você é um assistente de e-commerce."},
    {"role": "user", "content": "Qual é o status do pedido 42?"},
    {"role": "assistant", "content": '{"status": "entregue", "preço": 12.5}'},
]


def train_tokenizer(corpus: Iterable[str], vocab_size: int = 4096) -> Any:
    """Train a byte-level BPE on `corpus` and wrap it as a `Qwen2Tokenizer` (ChatML specials)."""
    from transformers import Qwen2Tokenizer

    bpe = Tokenizer(models.BPE())
    bpe.normalizer = normalizers.NFC()
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(_QWEN_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(corpus, trainer=trainer)
    model = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    tokenizer = Qwen2Tokenizer(
        vocab=model["vocab"],
        merges=merges,
        unk_token=None,
        eos_token=IM_END,
        pad_token=PAD_TOKEN,
        additional_special_tokens=[IM_START],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.model_max_length = 1024
    return tokenizer


def tiny_config(
    tokenizer: Any,
    *,
    hidden_size: int = 128,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int | None = None,
    intermediate_size: int | None = None,
    max_position_embeddings: int = 1024,
) -> Any:
    """A small Qwen3 config sized from the tokenizer (tied embeddings keep the count near 1M)."""
    from transformers import Qwen3Config

    if hidden_size % num_heads:
        raise ValueError(f"hidden_size {hidden_size} is not divisible by num_heads {num_heads}")
    return Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or 3 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads or max(1, num_heads // 2),
        head_dim=hidden_size // num_heads,
        max_position_embeddings=max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.convert_tokens_to_ids(IM_END),
        pad_token_id=tokenizer.convert_tokens_to_ids(PAD_TOKEN),
        dtype="float32",
    )


def build_tiny_model(
    out_dir: str | Path,
    corpus: Iterable[str],
    *,
    seed: int = 0,
    vocab_size: int = 4096,
    hidden_size: int = 128,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int | None = None,
    intermediate_size: int | None = None,
    max_position_embeddings: int = 1024,
) -> Path:
    """Train the tokenizer, build the seeded random-init model, save both atomically to `out_dir`."""
    from transformers import Qwen3ForCausalLM

    tokenizer = train_tokenizer(corpus, vocab_size=vocab_size)
    config = tiny_config(
        tokenizer, hidden_size=hidden_size, num_layers=num_layers, num_heads=num_heads,
        num_kv_heads=num_kv_heads, intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(config)
    model.generation_config = neutral_generation_config(model, tokenizer)
    return save_model(model, tokenizer, out_dir)


def save_model(
    model: Any, tokenizer: Any, out_dir: str | Path, *, require_generation_markers: bool = True,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """save_pretrained model + tokenizer (+ `extra_files`, e.g. a license NOTICE) into `out_dir`,
    all or nothing, then verify the reload."""
    out_dir = Path(out_dir)
    with atomic_path(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        for name, data in (extra_files or {}).items():
            (Path(tmp) / name).write_bytes(data)
        check_model_dir(tmp, expected_template=tokenizer.chat_template,
                        require_generation_markers=require_generation_markers)
    return out_dir


def load_model(path: str | Path, *, dtype: torch.dtype = torch.float32, **kwargs: Any) -> tuple[Any, Any]:
    """Load (model, tokenizer) from a local folder, or from a hub id when the network is allowed."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype, **kwargs)
    return model, tokenizer


def check_model_dir(
    path: str | Path, *, expected_template: str | None = None, require_generation_markers: bool = True
) -> dict[str, Any]:
    """Reload a saved folder and fail loudly if the tokenizer or the chat template did not survive.

    Checks: the required files exist, weights are present, the reloaded tokenizer class is the one
    named in tokenizer_config.json, the chat template is byte-identical (when `expected_template`)
    and renders (with a non-empty assistant mask unless `require_generation_markers` is off),
    text round-trips through encode/decode, and the embedding matrix covers the vocabulary.
    """
    from transformers import AutoConfig, AutoTokenizer

    path = Path(path)
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if not any(path.glob("*.safetensors")):
        missing.append("*.safetensors")
    if missing:
        raise ValueError(f"{path}: model folder is missing {', '.join(missing)}")
    declared = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8")).get("tokenizer_class")
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    loaded = type(tokenizer).__name__
    if declared and loaded != declared and f"{declared}Fast" != loaded:
        raise ValueError(f"{path}: tokenizer_config.json names {declared} but {loaded} was loaded")
    if expected_template is not None and tokenizer.chat_template != expected_template:
        raise ValueError(f"{path}: the chat template changed on save/reload")
    if tokenizer.chat_template is None:
        raise ValueError(f"{path}: the tokenizer has no chat template")
    rendered = tokenizer.apply_chat_template(
        _PROBE_MESSAGES, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    if require_generation_markers and not any(rendered["assistant_masks"]):
        raise ValueError(f"{path}: the chat template has no {{% generation %}} markers (assistant mask is empty)")
    text = _PROBE_MESSAGES[2]["content"]
    if tokenizer.decode(tokenizer.encode(text, add_special_tokens=False)) != text:
        raise ValueError(f"{path}: the tokenizer does not round-trip {text!r}")
    config = AutoConfig.from_pretrained(str(path))
    vocab = config.get_text_config().vocab_size
    if vocab < len(tokenizer):
        raise ValueError(f"{path}: model vocab_size {vocab} < tokenizer size {len(tokenizer)}")
    return {"tokenizer_class": loaded, "vocab_size": vocab, "tokenizer_size": len(tokenizer)}


def import_base(spec: str, out_dir: str | Path) -> Path:
    """Copy a local folder or a hub model (needs network: unset HF_HUB_OFFLINE) into `out_dir`.

    A template without generation markers is kept as is; TRL swaps in a training template for
    known families when `assistant_only_loss` is on.
    """
    local = Path(spec)
    if not local.is_dir() and os.environ.get("HF_HUB_OFFLINE") == "1":
        raise FileNotFoundError(
            f"model.base={spec!r} is not a local folder and HF_HUB_OFFLINE=1: download needs network"
        )
    model, tokenizer = load_model(local if local.is_dir() else spec)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return save_model(model, tokenizer, out_dir, require_generation_markers=False)


def count_parameters(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())
