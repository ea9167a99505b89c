"""Decoding in one place: the neutral generation config every saved model carries, and `complete`.

`complete` turns chat conversations + `Decoding` into completions; SFT val samples, the score stage's
local models and `factory.serving` all call it, so one checkpoint decodes the same way everywhere.
GRPO generates inside TRL, but its sampling fields come from `sampling_fields` and its policy carries
`neutral_generation_config`. Why neutral: `generate()` fills every unset field from the model's own
generation_config (a hub checkpoint's top_k, repetition_penalty...), which once silently changed
RL sampling; a neutral config says only how to stop and pad, so the settings passed are all there is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

MAX_N = 16


@dataclass(frozen=True)
class Decoding:
    """Decoding settings with OpenAI semantics: temperature 0 means greedy; top_k 0 means no top-k."""

    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 128
    n: int = 1
    seed: int | None = None  # reseed torch before generating (None: continue the current RNG state)
    stop: tuple[str, ...] = ()
    top_k: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"temperature must be in [0, 2], got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if not 1 <= self.n <= MAX_N:
            raise ValueError(f"n must be in [1, {MAX_N}], got {self.n}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {self.top_k}")


@dataclass(frozen=True)
class Completion:
    text: str
    completion_tokens: int  # tokens kept: up to the first EOS (or the stop string)
    finish_reason: str  # "stop" (EOS or a stop string) | "length"

    @property
    def stopped(self) -> bool:
        return self.finish_reason == "stop"


def sampling_fields(temperature: float | None, top_p: float = 1.0, top_k: int = 0) -> dict[str, Any]:
    """do_sample/temperature/top_p/top_k for a generation config: greedy (all unset) when temperature is 0 or None."""
    sample = bool(temperature) and temperature > 0
    return {"do_sample": sample, "temperature": temperature if sample else None,
            "top_p": top_p if sample else None, "top_k": top_k if sample else None}


def eos_ids(model: Any, tokenizer: Any) -> list[int]:
    """The checkpoint's own end ids (a hub model may list several), else the tokenizer's EOS."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    eos = eos if eos is not None else tokenizer.eos_token_id
    return sorted(set(eos if isinstance(eos, list) else [eos] if eos is not None else []))


def neutral_generation_config(model: Any, tokenizer: Any, *, eos: Sequence[int] | None = None) -> Any:
    """A generation config that only says how to stop and pad: no sampling defaults to leak in.

    `eos`: the ids that end a completion; by default the tokenizer's EOS, the chat template's end of
    turn (what a saved model carries). Pad: the tokenizer's, else the lowest end id.
    """
    eos = sorted(set(eos)) if eos is not None else [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(eos, default=None)
    return _config(eos_token_id=(eos[0] if len(eos) == 1 else eos) or None, pad_token_id=pad,
                   bos_token_id=model.config.bos_token_id)


def neutralize(model: Any, tokenizer: Any) -> list[int]:
    """Replace the model's generation_config by a neutral one that keeps its end ids; returns them."""
    stops = eos_ids(model, tokenizer)
    model.generation_config = neutral_generation_config(model, tokenizer, eos=stops)
    return stops


def prompt_ids(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    """The chat template with the generation prompt, tokenized as the model sees it."""
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def complete(
    model: Any,
    tokenizer: Any,
    conversations: Sequence[list[dict[str, str]]],
    decoding: Decoding,
    *,
    batch_size: int = 1,
) -> list[list[Completion]]:
    """`decoding.n` completions per conversation, `batch_size` conversations per generate call.

    Batches are left-padded; a batch of one is the unpadded prompt. Torch is reseeded once (when
    `decoding.seed` is set) before the first batch, so a caller wanting a per-prompt reseed (the
    score stage: order-independent sampled scores) calls once per conversation. `max_tokens` is
    capped by the model's context. Each completion is cut at the first EOS, then at the first
    stop string.
    """
    import torch

    stops = set(neutralize(model, tokenizer))  # idempotent: a model is neutral after its first call
    pad = model.generation_config.pad_token_id
    context = int(getattr(model.config, "max_position_embeddings", 0) or 0)
    if decoding.seed is not None:
        torch.manual_seed(decoding.seed)
    out: list[list[Completion]] = []
    for start in range(0, len(conversations), batch_size):
        prompts = [prompt_ids(tokenizer, c) for c in conversations[start:start + batch_size]]
        longest = max(len(p) for p in prompts)
        max_new = decoding.max_tokens
        if context:
            max_new = min(max_new, context - longest)
            if max_new < 1:
                raise ValueError(f"prompt has {longest} tokens, the model's context is {context}")
        config = _config(
            **sampling_fields(decoding.temperature, decoding.top_p, decoding.top_k), max_new_tokens=max_new,
            num_return_sequences=decoding.n, eos_token_id=sorted(stops) or None, pad_token_id=pad)
        input_ids = torch.tensor([[pad] * (longest - len(p)) + p for p in prompts], device=model.device)
        mask = torch.tensor([[0] * (longest - len(p)) + [1] * len(p) for p in prompts], device=model.device)
        with torch.inference_mode():
            ids = model.generate(input_ids=input_ids, attention_mask=mask, generation_config=config)
        rows = [_finish(tokenizer, row, stops, max_new, decoding.stop) for row in ids[:, longest:].tolist()]
        out += [rows[i:i + decoding.n] for i in range(0, len(rows), decoding.n)]
    return out


def _finish(tokenizer: Any, tokens: list[int], stops: set[int], max_new: int, stop: tuple[str, ...]) -> Completion:
    """Cut at the first EOS, then at the first stop string; count only the tokens kept."""
    hit_eos = next((i for i, t in enumerate(tokens) if t in stops), None)
    if hit_eos is not None:
        tokens = tokens[:hit_eos]
    text = tokenizer.decode(tokens, skip_special_tokens=True)
    cut = min((text.find(s) for s in stop if s and s in text), default=-1)
    if cut >= 0:
        text = text[:cut]
        return Completion(text, len(tokenizer(text, add_special_tokens=False)["input_ids"]), "stop")
    return Completion(text, len(tokens), "stop" if hit_eos is not None or len(tokens) < max_new else "length")


def _config(**fields: Any) -> Any:
    from transformers import GenerationConfig

    return GenerationConfig(**fields)
