"""The record contract shared by every prompt file (data/prompts/**/*.jsonl)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.tasks import STRATA, TASKS, parse_truth


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class Source(BaseModel):
    """Where a record came from: a table and the row keys behind it (for hold-out and lineage)."""

    model_config = ConfigDict(extra="forbid")
    table: str
    keys: list[str] = Field(default_factory=list)


class PromptRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z]+-[a-z_]+-\d{4,}$")
    task: str
    difficulty: str
    messages: list[Message] = Field(min_length=2)
    ground_truth: dict[str, Any]
    source: Source

    @model_validator(mode="after")
    def _check(self) -> "PromptRecord":
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}")
        if self.difficulty not in STRATA[self.task]:
            raise ValueError(f"difficulty {self.difficulty!r} not in {STRATA[self.task]} for {self.task}")
        roles = [m.role for m in self.messages]
        if roles[0] != "system" or roles[-1] != "user" or "assistant" in roles:
            raise ValueError("messages must be system..user, without the answer")
        parse_truth(self.task, self.ground_truth)
        return self
