"""Reviewed label corrections: `data/labels/overrides.jsonl` takes precedence over the labeler.

The file is named by params `prompts.labeler.overrides`. One JSON object a line, keyed by review id
(the Olist `review_id`; for B2W the 16-hex row key of `factory.prompts.reviews`, as in
`stages.label_audit` output and the gold set):

    {"review_id": "...", "label": {"complaint_category": "produto_nao_recebido"}, "reason": "...", "reviewer": "..."}

`label` holds some or all of the 10 `ExtractionTruth` fields; the fields it names replace the
labeler's, the others stay (a correction to `nenhuma` also empties `main_complaint` unless it gives
one). A file that does not parse, names an unknown field, holds a wrong value or repeats a review id
is rejected as a whole, with file, line and field in the error. Corrections of gold-set reviews never
reach the prompt sets: those reviews are kept out of them (`curation.py`).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, TypeVar

from pydantic import BaseModel, ValidationError

from factory.params import ParamsError
from factory.prompts.labeler import Label
from schemas.tasks import ExtractionTruth

LINE_KEYS = ("review_id", "label", "reason", "reviewer")
FIELDS = tuple(ExtractionTruth.model_fields)
# A valid label that only serves to check a partial override field by field.
_PROBE = ExtractionTruth(sentiment="neutro", sentiment_score=0.0, complaint_category="outro", churn_risk=0.5,
                         repeat_intent=0.5, delivery_issue=False, product_issue=False, seller_issue=False,
                         would_recommend=False, main_complaint="x")

Truth = TypeVar("Truth", bound=BaseModel)


class OverrideError(ValueError):
    """A malformed overrides file; names the file, the line (1-based) and the field."""

    def __init__(self, file: str | Path, line: int, field_name: str, reason: str):
        self.file, self.line, self.field = str(file), line, field_name
        super().__init__(f"{file}:{line}: {field_name}: {reason}")


@dataclass(frozen=True)
class Override:
    review_id: str
    label: dict[str, Any]          # the corrected fields only
    reason: str
    reviewer: str
    line: int


@dataclass
class Overrides:
    """The corrections of one file, and which of them were applied (the prompt metrics count these)."""

    path: Path
    by_id: dict[str, Override] = field(default_factory=dict)
    applied: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, review_id: str) -> Override | None:
        return self.by_id.get(review_id)

    def apply(self, review_id: str, truth: Truth) -> Truth:
        """`truth` with the reviewed fields of `review_id` in place of the labeler's. Works for any
        truth whose fields are a subset of the 10 extraction fields (SentimentTruth takes sentiment
        and sentiment_score); a truth without an override is returned unchanged."""
        override = self.by_id.get(review_id)
        if override is None:
            return truth
        fields = {k: v for k, v in override.label.items() if k in type(truth).model_fields}
        if not fields:
            return truth
        self.applied.add(review_id)
        merged = {**truth.model_dump(), **fields}
        if merged.get("complaint_category") == "nenhuma" and "main_complaint" not in fields and "main_complaint" in merged:
            merged["main_complaint"] = ""  # no complaint, no main complaint (schemas/tasks.py)
        try:
            return type(truth).model_validate(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "label"
            raise OverrideError(self.path, override.line, f"label.{where}",
                                f"with the labeler's other fields: {first['msg']}") from exc

    def corrected(self, label: Label, keys: tuple[str, ...] | list[str]) -> Label:
        """A labeler's `Label` (truth, difficulty, signals) with its truth corrected; the stratum
        signals stay the labeler's."""
        truth = self.apply(review_id(keys), label.truth)
        return label if truth is label.truth else dataclasses.replace(label, truth=truth)

    def in_records(self, keys_of_records: Iterable[tuple[str, ...] | list[str]]) -> int:
        """How many of these records (given by their source keys) carry a reviewed correction."""
        return sum(review_id(keys) in self.by_id for keys in keys_of_records)

    def metrics(self) -> dict[str, Any]:
        """entries in the file, reviews of this database they corrected (applied)."""
        return {"file": self.path.as_posix(), "entries": len(self.by_id), "applied": len(self.applied)}


def review_id(keys: tuple[str, ...] | list[str]) -> str:
    """The review id of a review's source keys: `review:<olist id>` or `b2w_review:<row key>`."""
    return keys[0].split(":", 1)[1]


def _check_label(path: Path, line: int, label: Any) -> dict[str, Any]:
    if not isinstance(label, dict) or not label:
        raise OverrideError(path, line, "label", "must be a non-empty object of extraction fields")
    unknown = sorted(set(label) - set(FIELDS))
    if unknown:
        raise OverrideError(path, line, f"label.{unknown[0]}", f"unknown field (fields: {', '.join(FIELDS)})")
    try:
        ExtractionTruth.model_validate({**_PROBE.model_dump(), **label})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "label"
        raise OverrideError(path, line, f"label.{where}", f"{first['msg']} (got {first.get('input')!r})") from exc
    return dict(label)


def parse_line(path: Path, line: int, text: str) -> Override:
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OverrideError(path, line, "line", f"not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(row, dict):
        raise OverrideError(path, line, "line", "must be a JSON object")
    for key in LINE_KEYS:
        if key not in row:
            raise OverrideError(path, line, key, "missing")
    extra = sorted(set(row) - set(LINE_KEYS))
    if extra:
        raise OverrideError(path, line, extra[0], f"unknown key (keys: {', '.join(LINE_KEYS)})")
    for key in ("review_id", "reason", "reviewer"):
        if not isinstance(row[key], str) or not row[key].strip():
            raise OverrideError(path, line, key, "must be a non-empty string")
    label = _check_label(path, line, row["label"])
    return Override(row["review_id"].strip(), label, row["reason"].strip(), row["reviewer"].strip(), line)


def load(path: str | Path, missing_ok: bool = True) -> Overrides:
    """Read and validate an overrides file; a missing file is an empty set when `missing_ok`."""
    path = Path(path)
    overrides = Overrides(path)
    if not path.exists():
        if missing_ok:
            return overrides
        raise OverrideError(path, 0, "file", "not found")
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        override = parse_line(path, number, text)
        if override.review_id in overrides.by_id:
            first = overrides.by_id[override.review_id].line
            raise OverrideError(path, number, "review_id", f"{override.review_id} already corrected on line {first}")
        overrides.by_id[override.review_id] = override
    return overrides


def from_params(params: dict[str, Any]) -> Overrides:
    """The overrides file named by params `prompts.labeler.overrides` (params.yaml holds the path)."""
    path = (params.get("prompts", {}).get("labeler", {}) or {}).get("overrides")
    if not path:
        raise ParamsError("params.yaml prompts.labeler.overrides: missing (the reviewed label corrections "
                          "file, e.g. data/labels/overrides.jsonl)")
    return load(path)
