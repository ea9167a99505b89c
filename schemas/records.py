"""The record contract shared by every prompt file (data/prompts/**/*.jsonl)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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
    template: str | None = None  # the question template behind the record (every sql record has one)


class PromptRecord(BaseModel):
    """One prompt of data/prompts/**/*.jsonl, as the record contract (../shared/DESIGN.md) writes it.

    `difficulty` holds the record's stratum (`positive`, `customer`, `join`: schemas.tasks.STRATA), not
    a difficulty. It keeps its name here because it is the contract's field, which users' readers of the
    jsonl files rely on; everything built for reading says `stratum` (the HF dataset's column, the
    reports' `by_stratum` tables). Renaming it is a contract change, to be made in DESIGN.md first.
    """

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z]+-[a-z_]+-\d{4,}$")
    task: str
    difficulty: str  # the stratum (see the docstring)
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


def iter_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Validate a prompt JSONL file line by line: yields (line, record, None) or (line, None, error).

    Records come back exactly as stored (not re-serialised), so downstream files stay byte-stable;
    an error names the file, the line and the offending field.
    """
    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                PromptRecord.model_validate(data)
            except json.JSONDecodeError as err:
                yield line_no, None, f"{path}:{line_no}: not valid JSON: {err}"
            except ValidationError as err:
                first = err.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "record"
                yield line_no, None, f"{path}:{line_no}: column {field}: {first['msg']}"
            else:
                yield line_no, data, None


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """All records of a prompt JSONL file; the first invalid line raises ValueError."""
    records = []
    for _, record, error in iter_records(path):
        if error:
            raise ValueError(error)
        records.append(record)
    if not records:
        raise ValueError(f"{path}: no records")
    return records
