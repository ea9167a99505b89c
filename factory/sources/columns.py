"""Column specs derived from the pydantic raw models (schemas/raw.py): Arrow types and row checks.

The models stay the single description of the raw layer; this module reads their JSON Schema
(type, format, nullability, enum, pattern, bounds) so that no type list is repeated here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

import pyarrow as pa

from schemas.raw import RawRow

Kind = Literal["str", "int", "float", "datetime", "bool"]

ARROW_TYPES: dict[Kind, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "datetime": pa.timestamp("us"),
    "bool": pa.bool_(),
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: Kind
    nullable: bool
    pattern: str | None = None
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


def _kind(prop: dict) -> Kind:
    if prop.get("type") == "string":
        return "datetime" if prop.get("format") == "date-time" else "str"
    return {"integer": "int", "number": "float", "boolean": "bool"}[prop["type"]]


@cache
def column_specs(model: type[RawRow]) -> tuple[ColumnSpec, ...]:
    """Specs in model field order (= upstream column order)."""
    specs = []
    for name, prop in model.model_json_schema()["properties"].items():
        options = prop.get("anyOf", [prop])
        nullable = any(o.get("type") == "null" for o in options)
        (value,) = [o for o in options if o.get("type") != "null"]
        enum = value.get("enum")
        specs.append(ColumnSpec(
            name=name, kind=_kind(value), nullable=nullable, pattern=value.get("pattern"),
            allowed=tuple(enum) if enum else None,
            minimum=value.get("minimum"), maximum=value.get("maximum"),
        ))
    return tuple(specs)


def column_names(model: type[RawRow]) -> list[str]:
    return [s.name for s in column_specs(model)]


@cache
def arrow_schema(model: type[RawRow]) -> pa.Schema:
    """The Parquet schema of a raw table: required columns are non-nullable."""
    return pa.schema([pa.field(s.name, ARROW_TYPES[s.kind], nullable=s.nullable)
                      for s in column_specs(model)])
