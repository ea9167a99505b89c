"""Where the policy comes from: Unsloth on CUDA when asked (or `auto`), otherwise TRL + PEFT.

Unsloth is an optional extra (`pip install -e '.[gpu]'`) that cannot even be imported without a
GPU, so it is imported lazily and only after `choose_backend` said so. Both backends return a
plain `(model, tokenizer)` pair that TRL trainers accept, and `save_policy` writes a merged,
reloadable HF folder either way.
"""
from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger(__name__)

BACKENDS = ("auto", "trl", "unsloth")
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass(frozen=True)
class LoraSpec:
    enabled: bool = False
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05

    @classmethod
    def from_params(cls, params: dict[str, Any] | None) -> "LoraSpec":
        return cls(**(params or {}))


def cuda_available() -> bool:
    return torch.cuda.is_available()


def unsloth_installed() -> bool:
    return importlib.util.find_spec("unsloth") is not None


def choose_backend(requested: str, *, cuda: bool | None = None, unsloth: bool | None = None) -> str:
    """Resolve `train.backend` to "trl" or "unsloth".

    auto: unsloth when CUDA is present and the extra is installed, else trl. unsloth without CUDA
    (or without the extra) falls back to trl with a warning, so the same params run on a laptop.
    """
    if requested not in BACKENDS:
        raise ValueError(f"train.backend must be one of {BACKENDS}, got {requested!r}")
    cuda = cuda_available() if cuda is None else cuda
    unsloth = unsloth_installed() if unsloth is None else unsloth
    if requested == "trl":
        return "trl"
    if cuda and unsloth:
        return "unsloth"
    if requested == "unsloth":
        why = "no CUDA device" if not cuda else "the unsloth extra is not installed (pip install -e '.[gpu]')"
        log.warning("train.backend=unsloth but %s: falling back to trl + peft", why)
    return "trl"


def vllm_installed() -> bool:
    return importlib.util.find_spec("vllm") is not None


VLLM_MODES = ("colocate", "server")


def vllm_args(params: dict[str, Any], *, cuda: bool | None = None, vllm: bool | None = None) -> dict[str, Any]:
    """TRL's GRPOConfig vLLM knobs from `train.use_vllm` / `vllm_mode` / `vllm_gpu_memory_utilization`.

    colocate: vLLM shares the training GPU (that share of its memory); server: generations come
    from `trl vllm-serve` at `vllm_server_base_url`. Without CUDA or without vllm installed the
    run falls back to transformers generation with a warning, so the same params run on a laptop.
    """
    if not params.get("use_vllm"):
        return {"use_vllm": False}
    mode = params["vllm_mode"]
    if mode not in VLLM_MODES:
        raise ValueError(f"train.vllm_mode must be one of {VLLM_MODES}, got {mode!r}")
    cuda = cuda_available() if cuda is None else cuda
    vllm = vllm_installed() if vllm is None else vllm
    if not (cuda and vllm):
        why = "no CUDA device" if not cuda else "vllm is not installed (pip install -e '.[gpu]')"
        log.warning("train.use_vllm=true but %s: generating with transformers instead", why)
        return {"use_vllm": False}
    args = {"use_vllm": True, "vllm_mode": mode,
            "vllm_gpu_memory_utilization": float(params["vllm_gpu_memory_utilization"])}
    if mode == "server" and params.get("vllm_server_base_url"):
        args["vllm_server_base_url"] = params["vllm_server_base_url"]
    return args


def precision_args(cuda: bool | None = None) -> dict[str, Any]:
    """bf16 on a CUDA device that supports it; fp32 on CPU (use_cpu, bf16=False)."""
    cuda = cuda_available() if cuda is None else cuda
    if not cuda:
        return {"use_cpu": True, "bf16": False, "fp16": False}
    return {"use_cpu": False, "bf16": torch.cuda.is_bf16_supported(), "fp16": False}


def turn_token_ids(tokenizer: Any) -> list[int]:
    """The tokenizer's special tokens that the chat template writes around a turn, bos and pad left out:
    the ids whose embedding rows LoRA trains too. Gemma 3: only <end_of_turn> (106); its
    <start_of_turn> (105) is an ordinary added token, not among the special ids."""
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], tokenize=True, return_dict=True)
    special = set(tokenizer.all_special_ids) - {tokenizer.bos_token_id, tokenizer.pad_token_id}
    return sorted({i for i in rendered["input_ids"] if i in special})


def peft_config(lora: LoraSpec) -> Any:
    from peft import LoraConfig

    return LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                      target_modules=LORA_TARGETS, task_type="CAUSAL_LM")


def train_embedding_rows(model: Any, token_ids: list[int]) -> None:
    """Let the optimizer move only these rows of the (tied) embedding matrix, beside the LoRA weights.

    A base model that never saw the chat markers has them among near-identical embedding rows (Gemma 3
    270M: <end_of_turn> at cosine 0.995 with hundreds of unused tokens), and LoRA alone cannot move the
    frozen output row: the model then never emits <end_of_turn>, writes to the length limit, and GRPO
    masks every completion as truncated. The gradient of the other rows is zeroed, so Adam leaves them
    exactly as they were (no weight decay is set). TRL scores the LM head through `lm_head.weight`
    directly, so the rows must be trained in place (PEFT's trainable tokens are bypassed there).
    """
    import torch

    weight = model.get_input_embeddings().weight
    mask = torch.zeros(weight.shape[0], 1, dtype=weight.dtype)
    mask[token_ids] = 1.0
    weight.requires_grad_(True)
    weight.register_hook(lambda grad: grad * mask.to(grad.device))


def load_policy(path: str | Path, *, backend: str, lora: LoraSpec, max_seq_length: int, seed: int,
                fast_inference: bool = False, gpu_memory_utilization: float = 0.3) -> tuple[Any, Any]:
    """Load the model to train (LoRA-wrapped when enabled) and its tokenizer.

    `fast_inference` (Unsloth only) turns on Unsloth's vLLM-backed generation for GRPO.
    """
    if backend == "unsloth":
        return _load_unsloth(path, lora=lora, max_seq_length=max_seq_length, seed=seed,
                             fast_inference=fast_inference, gpu_memory_utilization=gpu_memory_utilization)
    from factory.training.base_model import load_model

    model, tokenizer = load_model(path)
    if lora.enabled:
        from peft import get_peft_model

        model = get_peft_model(model, peft_config(lora))
        train_embedding_rows(model, turn_token_ids(tokenizer))
    return model, tokenizer


def unsloth_load_kwargs(path: str | Path, *, lora: LoraSpec, max_seq_length: int, fast_inference: bool,
                        gpu_memory_utilization: float) -> dict[str, Any]:
    """FastLanguageModel.from_pretrained arguments (separate so the wiring is testable without a GPU)."""
    kwargs: dict[str, Any] = dict(model_name=str(path), max_seq_length=max_seq_length, dtype=None,
                                  load_in_4bit=False, full_finetuning=not lora.enabled)
    if fast_inference:
        kwargs.update(fast_inference=True, gpu_memory_utilization=gpu_memory_utilization,
                      max_lora_rank=lora.r if lora.enabled else None)
    return kwargs


def _load_unsloth(path: str | Path, *, lora: LoraSpec, max_seq_length: int, seed: int,
                  fast_inference: bool = False, gpu_memory_utilization: float = 0.3) -> tuple[Any, Any]:
    from unsloth import FastLanguageModel  # lazy: needs CUDA

    model, tokenizer = FastLanguageModel.from_pretrained(**unsloth_load_kwargs(
        path, lora=lora, max_seq_length=max_seq_length, fast_inference=fast_inference,
        gpu_memory_utilization=gpu_memory_utilization))
    if lora.enabled:
        model = FastLanguageModel.get_peft_model(
            model, r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=LORA_TARGETS,
            use_gradient_checkpointing="unsloth", random_state=seed,
        )
    return model, tokenizer


def merged(model: Any) -> Any:
    """The plain transformers model: LoRA adapters merged into the weights when present."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    return model


def save_policy(model: Any, tokenizer: Any, out_dir: str | Path) -> Path:
    """Save a merged, reloadable HF folder with its tokenizer and a neutral generation config."""
    from factory.generation import neutral_generation_config
    from factory.training.base_model import save_model

    model = merged(model)
    model.generation_config = neutral_generation_config(model, tokenizer)
    model = model.to(torch.float32) if not cuda_available() else model
    return save_model(model, tokenizer, out_dir, require_generation_markers=False)
