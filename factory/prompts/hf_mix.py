"""Mix local Hugging Face datasets into the reasoning task (no network: local files or saved datasets).

Each entry of `mix.hf_datasets` in params.yaml names a dataset and its columns:
`{path: data/external/gsm8k_pt, split: train, question: question, answer: answer,
  difficulty: multi_step, max_rows: 200}`. `path` may be a `save_to_disk` folder (Dataset or
DatasetDict), a folder of data files, or one .json/.jsonl/.csv/.parquet file. Rows whose answer has
no number are skipped and counted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.tasks import STRATA

FILE_BUILDERS = {".json": "json", ".jsonl": "json", ".csv": "csv", ".parquet": "parquet", ".txt": "text"}
_NUMBER = r"-?\d[\d.,]*\d|-?\d"


@dataclass(frozen=True)
class MixRow:
    dataset: str
    index: int
    question: str
    answer: float
    answer_text: str
    difficulty: str


def load_local(path: str | Path, split: str = "train"):
    """A `datasets.Dataset` from a local path, never from the Hub."""
    import datasets

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: local dataset not found (mix.hf_datasets)")
    if path.is_dir() and ((path / "dataset_dict.json").exists() or (path / "state.json").exists()):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise KeyError(f"{path}: split {split!r} not in {sorted(loaded)}")
            return loaded[split]
        return loaded
    if path.is_dir():
        return datasets.load_dataset(str(path), split=split)
    builder = FILE_BUILDERS.get(path.suffix.lower())
    if builder is None:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r} (use {sorted(FILE_BUILDERS)})")
    return datasets.load_dataset(builder, data_files=str(path), split="train")


def parse_number(text: str) -> float | None:
    """The final numeric answer in `text`: after '####' (GSM8K style) or 'Resposta:', else the last number.

    Reads both '1.234,56' (PT-BR) and '1,234.56' (EN).
    """
    text = str(text)
    for marker in ("####", "Resposta:", "resposta:"):
        if marker in text:
            text = text.rsplit(marker, 1)[1]
            found = re.search(_NUMBER, text)
            break
    else:
        matches = re.findall(_NUMBER, text)
        found = re.search(_NUMBER, matches[-1]) if matches else None
    if not found:
        return None
    return _to_float(found.group(0))


def _thousands(head: str, tail: str) -> bool:
    """'1.234' / '1,200': one separator, three digits after it, a non-zero head of 1-3 digits."""
    head = head.lstrip("-")
    return len(tail) == 3 and head.isdigit() and 1 <= len(head) <= 3 and head != "0"


def _to_float(token: str) -> float | None:
    if "," in token and "." in token:  # the last separator is the decimal one
        decimal, group = (",", ".") if token.rfind(",") > token.rfind(".") else (".", ",")
        token = token.replace(group, "").replace(decimal, ".")
    else:
        sep = "," if "," in token else "." if "." in token else ""
        if sep:
            head, _, tail = token.rpartition(sep)
            if token.count(sep) > 1 or _thousands(head, tail):
                token = token.replace(sep, "")
            else:
                token = token.replace(sep, ".")
    try:
        return float(token)
    except ValueError:
        return None


def mixed_rows(entries: list[dict[str, Any]]) -> tuple[list[MixRow], dict[str, int]]:
    """All usable rows of every configured dataset, in dataset order, and skip counts per reason."""
    rows: list[MixRow] = []
    skipped: dict[str, int] = {}
    for entry in entries or []:
        path = entry["path"]
        difficulty = entry.get("difficulty", "multi_step")
        if difficulty not in STRATA["reasoning"]:
            raise ValueError(f"mix.hf_datasets[{path}]: difficulty {difficulty!r} not in {STRATA['reasoning']}")
        ds = load_local(path, entry.get("split", "train"))
        qcol, acol = entry.get("question", "question"), entry.get("answer", "answer")
        for col in (qcol, acol):
            if col not in ds.column_names:
                raise KeyError(f"{path}: column {col!r} not in {ds.column_names}")
        limit = entry.get("max_rows")
        taken = 0
        name = Path(path).name
        for i, item in enumerate(ds):
            if limit is not None and taken >= int(limit):
                break
            question, answer_text = str(item[qcol] or "").strip(), str(item[acol] or "").strip()
            value = parse_number(answer_text)
            if not question or value is None:
                key = f"{name}: empty question" if not question else f"{name}: answer has no number"
                skipped[key] = skipped.get(key, 0) + 1
                continue
            rows.append(MixRow(name, i, question, value, answer_text, difficulty))
            taken += 1
    return rows, skipped

