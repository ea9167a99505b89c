"""What every task scorer shares: the options, the staged weighting and TRL's completion shapes.

A scorer returns sub-scores in [0, 1] for three stages (format: could an answer be read and how
cleanly; partial: is some of its content right; task: is it right) plus task-specific keys; the
reward is their weighted mean with weights from params `rewards.weights`. `unrecoverable` and
`apply_credit_rules` state the rules between the stages that every scorer shares.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Hashable, Mapping

if TYPE_CHECKING:
    from rewards.judge import InsightsJudge

DEFAULT_WEIGHTS: Mapping[str, float] = {"format": 0.2, "partial": 0.3, "task": 0.5}
DEFAULT_DB_PATH = Path("data/commerce.db")
STAGES = ("format", "partial", "task")


@dataclass(frozen=True)
class Options:
    """How a reward is computed; built once by `rewards.get` and shared by every call."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    db_path: Path = DEFAULT_DB_PATH
    sql_timeout_s: float = 1.0
    sql_max_rows: int = 1000
    judge: "InsightsJudge | None" = None

    def __post_init__(self) -> None:
        missing = [k for k in STAGES if k not in self.weights]
        if missing:
            raise ValueError(f"rewards.weights lacks {missing}; expected keys {list(STAGES)}")
        if any(not math.isfinite(float(self.weights[k])) or float(self.weights[k]) < 0 for k in STAGES):
            raise ValueError(f"rewards.weights must be finite and >= 0, got {dict(self.weights)}")
        if sum(float(self.weights[k]) for k in STAGES) <= 0:
            raise ValueError("rewards.weights must not all be zero")


def clamp01(x: float) -> float:
    if not math.isfinite(x):
        return 0.0
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def unrecoverable(**extra: Any) -> dict[str, Any]:
    """Sub-scores of an answer from which nothing can be recovered (no answer found, `{}`, a
    truncated fragment with no complete field, an echoed format example): 0 in every stage."""
    return {"format": 0.0, "partial": 0.0, "task": 0.0, **extra}


def apply_credit_rules(scores: dict[str, Any]) -> dict[str, Any]:
    """The staged-credit rules every scorer should end with (issue 10), in place:

    - nothing recovered (format 0) -> partial and task 0 too: no stage pays for an unreadable answer;
    - no content right (partial 0) -> task 0: `partial` means some content is right (fields
      correct, rows overlapping), so a well-formed but wrong answer earns at most the format
      weight, never more.
    """
    if not scores.get("format"):
        scores["partial"] = scores["task"] = 0.0
    elif not scores.get("partial"):
        scores["task"] = 0.0
    return scores


def finish(scores: dict[str, Any], weights: Mapping[str, float]) -> dict[str, Any]:
    """Clamp the three stages and add the weighted `reward` (in [0, 1] by construction)."""
    f = scores["format"] = clamp01(float(scores.get("format", 0.0)))
    p = scores["partial"] = clamp01(float(scores.get("partial", 0.0)))
    t = scores["task"] = clamp01(float(scores.get("task", 0.0)))
    wf, wp, wt = float(weights["format"]), float(weights["partial"]), float(weights["task"])
    scores["reward"] = clamp01((wf * f + wp * p + wt * t) / (wf + wp + wt))
    return scores


def completion_text(completion: Any) -> str:
    """The answer text of a TRL completion: a string, or a conversation whose last assistant
    message holds it (`[{"role": "assistant", "content": ...}]`)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return message_content(completion)
    if isinstance(completion, (list, tuple)):
        for message in reversed(completion):
            if isinstance(message, dict) and message.get("role", "assistant") == "assistant":
                return message_content(message)
    return ""


def prompt_text(prompt: Any) -> str:
    """The question of a TRL prompt: a string, or the last user message of a conversation."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, (list, tuple)):
        for message in reversed(prompt):
            if isinstance(message, dict) and message.get("role") == "user":
                return message_content(message)
    return ""


def message_content(message: dict) -> str:
    content = message.get("content", "")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal style: [{"type": "text", "text": ...}]
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


class LRU(OrderedDict):
    """A bounded mapping that forgets the least recently used entry."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Hashable, value: Any) -> Any:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class PerTruth:
    """Values derived from a ground-truth object, computed once per object. Keyed by identity and
    checked by identity, so an entry can never serve another object that reused the id."""

    def __init__(self, derive: Callable[[Any], Any], size: int = 4096) -> None:
        self._derive = derive
        self._cache = LRU(size)

    def __call__(self, truth: Any) -> Any:
        entry = self._cache.get(id(truth))
        if entry is not None and entry[0] is truth:
            return entry[1]
        return self._cache.put(id(truth), (truth, self._derive(truth)))[1]
