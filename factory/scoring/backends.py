"""What the benchmark runs through: a local checkpoint in-process, or an OpenAI-compatible endpoint.

Both take the same messages and `Decoding` and return a `Generation` with token counts and wall-clock
latency, so a trained checkpoint and an API baseline are compared on equal terms. A backend also
says how private it is (local: the data stays on this machine; api: it is sent to `base_url`), what
a query costs, and what it is (its lineage: the checkpoint hash, or the endpoint and model).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from common.io import sha256_tree
from common.openai_client import ChatClient, ChatError
from factory.generation import Decoding
from factory.serving import ChatModel


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int | None      # None when an endpoint reports no usage
    completion_tokens: int | None
    finish_reason: str | None
    latency_s: float


class Backend(Protocol):
    name: str
    privacy: str  # "local" | "api"

    def generate(self, messages: list[dict[str, str]], decoding: Decoding) -> Generation: ...

    def cost_usd(self, generation: Generation) -> float | None: ...

    def lineage(self) -> dict[str, Any]: ...


class LocalBackend:
    """A HF checkpoint folder generating in this process: the ChatModel factory.serving serves, so the
    decoding is `factory.generation.complete`, one call per prompt (reseeded: order-independent scores)
    or, with `generate_batch`, one per batch of prompts."""

    privacy = "local"

    def __init__(self, name: str, model_dir: str | Path, cost_per_hour: float = 0.0, device: str | None = None,
                 cpu_threads: int | None = None) -> None:
        self.name, self.path, self.cost_per_hour = name, Path(model_dir), float(cost_per_hour)
        self.model = ChatModel(self.path, device=device, cpu_threads=cpu_threads)

    def generate(self, messages: list[dict[str, str]], decoding: Decoding) -> Generation:
        return self.generate_batch([messages], decoding)[0]

    def generate_batch(self, conversations: list[list[dict[str, str]]], decoding: Decoding) -> list[Generation]:
        """Several prompts in one generate call (`eval.batch_size`); each row's latency is its share of
        the batch's wall-clock time, so cost per query and latency p50 stay per prompt."""
        start = time.perf_counter()
        results = self.model.chat_batch(conversations, decoding)
        share = (time.perf_counter() - start) / len(conversations)
        return [Generation(r.choices[0].text, r.prompt_tokens, r.choices[0].completion_tokens, r.choices[0].finish_reason,
                           share) for r in results]

    def cost_usd(self, generation: Generation) -> float:
        """Machine time: latency x `eval.local_cost_per_hour` (0 by default: hardware already owned)."""
        return generation.latency_s * self.cost_per_hour / 3600.0

    def lineage(self) -> dict[str, Any]:
        return {"checkpoint": self.path.as_posix(), "checkpoint_sha256": sha256_tree(self.path)}


class EndpointBackend:
    """An OpenAI-compatible chat-completions endpoint (an API baseline), through `common.openai_client`:
    retried on connection errors, 429 and 5xx, never cached (every benchmark run is measured)."""

    def __init__(self, name: str, base_url: str, model: str, price_per_1k_tokens: float = 0.0,
                 api_key_env: str | None = None, privacy: str = "api", timeout_s: float = 60.0,
                 max_retries: int = 3) -> None:
        if privacy not in ("local", "api"):
            raise ValueError(f"endpoint {name!r}: privacy must be 'local' (self-hosted here) or 'api', got {privacy!r}")
        if api_key_env and not os.environ.get(api_key_env):
            raise ValueError(f"endpoint {name!r}: environment variable {api_key_env} (its API key) is not set")
        # Without api_key_env no key is sent: servers without auth (factory.serving, vLLM, Ollama) need none.
        self.name, self.base_url, self.model, self.privacy = name, base_url, model, privacy
        self.price_per_1k_tokens = float(price_per_1k_tokens)
        self.client = ChatClient(base_url, api_key_env=api_key_env, timeout_s=timeout_s, max_retries=max_retries)

    KEYS = ("name", "base_url", "model", "price_per_1k_tokens", "api_key_env", "privacy", "timeout_s", "max_retries")

    @classmethod
    def from_params(cls, spec: dict[str, Any]) -> "EndpointBackend":
        """One `eval.endpoints` entry: name, base_url, model required; the other KEYS optional."""
        missing = [k for k in ("name", "base_url", "model") if not spec.get(k)]
        if missing:
            raise ValueError(f"params.yaml eval.endpoints entry {spec!r}: missing {', '.join(missing)}")
        unknown = set(spec) - set(cls.KEYS)
        if unknown:
            raise ValueError(f"params.yaml eval.endpoints entry {spec['name']!r}: unknown keys {sorted(unknown)}")
        return cls(spec["name"], spec["base_url"], spec["model"], spec.get("price_per_1k_tokens") or 0.0,
                   spec.get("api_key_env"), spec.get("privacy") or "api", spec.get("timeout_s") or 60.0,
                   spec.get("max_retries", 3))

    def generate(self, messages: list[dict[str, str]], decoding: Decoding) -> Generation:
        request = {"model": self.model, "messages": messages, "temperature": decoding.temperature,
                   "top_p": decoding.top_p, "max_tokens": decoding.max_tokens, "seed": decoding.seed, "n": 1}
        try:
            response = self.client.chat(request)
        except ChatError as err:
            raise RuntimeError(f"endpoint {self.name!r} ({self.base_url}, model {self.model!r}): {err}") from err
        return Generation(text=response.text, prompt_tokens=response.prompt_tokens,
                          completion_tokens=response.completion_tokens, finish_reason=response.finish_reason,
                          latency_s=response.latency_s)

    def cost_usd(self, generation: Generation) -> float | None:
        """Tokens x price; unknown (None) when the endpoint reported no usage, never guessed."""
        if generation.prompt_tokens is None or generation.completion_tokens is None:
            return None
        return (generation.prompt_tokens + generation.completion_tokens) / 1000.0 * self.price_per_1k_tokens

    def lineage(self) -> dict[str, Any]:
        return {"endpoint": self.base_url, "endpoint_model": self.model}
