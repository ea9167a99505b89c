"""The raw models' column rules (columns.py) as DuckDB SQL: per column, the typed value and the
row checks in the order they apply, so every file is typed and checked in one pass inside DuckDB.
"""
from __future__ import annotations

from dataclasses import dataclass

from factory.duck import literal
from factory.sources.columns import ColumnSpec
from factory.sources.dialects import CsvDialect

_INT = r"^[+-]?[0-9]+(\.0*)?$"  # "1958.0" too: some re-saved copies write whole numbers as floats
_FLOAT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIMESTAMP_LENGTH = 19  # with the format, refuses the 1-digit fields strptime would take (a regex costs 2x)
_SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "datetime": "TIMESTAMP", "bool": "BOOLEAN"}


def not_in(text: str, values: tuple[str, ...]) -> str:
    return f"{text} NOT IN ({', '.join(map(literal, values))})"


@dataclass(frozen=True)
class ColumnSql:
    """One column: `typed` is its typed value; each check is (condition true on a bad row, reason)."""

    spec: ColumnSpec
    typed: str
    checks: tuple[tuple[str, str], ...]


def column_sql(spec: ColumnSpec, dialect: CsvDialect, text: str) -> ColumnSql:
    """The typed expression and checks of `spec`, reading the text expression `text` (NULL = empty)."""
    present = f"{text} IS NOT NULL"
    checks: list[tuple[str, str]] = []
    if not spec.nullable:
        checks.append((f"{text} IS NULL", "empty value in a required column"))
    if spec.kind == "str":
        typed = text
        if spec.name in dialect.multiline:
            typed = f"replace(replace({text}, chr(13) || chr(10), chr(10)), chr(13), chr(10))"
    elif spec.kind == "datetime":
        typed = (f"CASE WHEN length({text}) = {_TIMESTAMP_LENGTH} "
                 f"THEN try_strptime({text}, {literal(_TIMESTAMP_FORMAT)}) END")
        checks.append((f"{present} AND ({typed}) IS NULL", "not a timestamp YYYY-MM-DD HH:MM:SS"))
    elif spec.kind == "bool":
        yes, no = dialect.bool_tokens
        typed = f"CASE {text} WHEN {literal(yes)} THEN true WHEN {literal(no)} THEN false END"
        checks.append((f"{present} AND {not_in(text, (yes, no))}", f"not {yes!r} or {no!r}"))
    else:
        pattern, label = (_INT, "not an integer") if spec.kind == "int" else (_FLOAT, "not a number")
        number = f"regexp_replace({text}, '\\.0*$', '')" if spec.kind == "int" else text
        typed = f"CASE WHEN regexp_matches({text}, {literal(pattern)}) THEN TRY_CAST({number} AS {_SQL_TYPES[spec.kind]}) END"
        checks.append((f"{present} AND ({typed}) IS NULL", label))
    if spec.pattern:
        checks.append((f"NOT regexp_matches({text}, {literal(spec.pattern)})", f"does not match {spec.pattern}"))
    if spec.allowed:
        checks.append((f"{present} AND {not_in(text, spec.allowed)}", f"not one of {', '.join(spec.allowed)}"))
    if spec.minimum is not None:
        checks.append((f"({typed}) < {spec.minimum!r}", f"below the minimum {spec.minimum:g}"))
    if spec.maximum is not None:
        checks.append((f"({typed}) > {spec.maximum!r}", f"above the maximum {spec.maximum:g}"))
    return ColumnSql(spec, f"CAST({typed} AS {_SQL_TYPES[spec.kind]})", tuple(checks))


def first_failure(columns: list[ColumnSql]) -> tuple[str, list[tuple[str, str]]]:
    """A CASE expression giving, per row, the index of its first failing check in column order
    (NULL when every check passes), and the (column, reason) each index stands for."""
    reasons: list[tuple[str, str]] = []
    whens = []
    for column in columns:
        for condition, reason in column.checks:
            whens.append(f"WHEN coalesce({condition}, false) THEN {len(reasons)}")
            reasons.append((column.spec.name, reason))
    return (f"CASE {' '.join(whens)} END" if whens else "NULL::INTEGER"), reasons
