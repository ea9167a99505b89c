"""Text-to-SQL scored by execution: the candidate runs in the sandbox and its result is compared
with the gold result stored in the ground truth.

Equality: the multiset of rows, columns matched by content (so order and aliases do not matter),
row order only when the gold query has ORDER BY, floats equal to 4 significant digits and never
finer than 2 decimals (a model that rounds to cents is right). Partial credit: the query runs,
the right columns (F1 over matched columns) and row overlap (multiset F1 on matched columns).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Hashable

from rewards.base import LRU, Options, PerTruth
from rewards.parsing import code_fences, strip_think
from rewards.sandbox import (
    QueryFailed,
    QueryResult,
    QueryTimeout,
    SqlError,
    SqlSandbox,
    UnsafeQuery,
    execute_readonly,
    sandbox_for,
)
from schemas.tasks import SqlTruth

__all__ = [
    "QueryFailed", "QueryResult", "QueryTimeout", "SqlError", "SqlSandbox", "UnsafeQuery",
    "execute_readonly", "sandbox_for", "extract_sql", "compare_results", "score",
]

_SQL_LANGS = frozenset({"sql", "duckdb", "postgresql", "postgres", "sqlite", "mysql", "psql"})
_SQL_START = re.compile(r"\b(with|select)\b", re.I)
_NUMERIC_STRING = re.compile(r"-?\d+(?:\.\d+)?")
_ISO_T = re.compile(r"\d{4}-\d{2}-\d{2}T\d")
_PERMUTATION_TRIES = 720


# --- reading the query ---------------------------------------------------------------------------

def _clean(query: str) -> str:
    return query.strip().rstrip(";").strip()


def extract_sql(completion: str) -> tuple[str | None, float]:
    """The query a completion answers with and how it was written: 1.0 in a ```sql fence,
    0.9 in an unlabelled fence, 0.5 as bare text (cut at the first ';' or blank line)."""
    answer = strip_think(completion)
    fences = code_fences(answer)
    for fence in fences:
        if fence.lang in _SQL_LANGS and fence.body:
            return _clean(fence.body), 1.0
    for fence in fences:
        if not fence.lang and _SQL_START.match(fence.body.lstrip("( \n")):
            return _clean(fence.body), 0.9
    match = _SQL_START.search(answer)
    if match is None:
        return None, 0.0
    bare = answer[match.start():]
    bare = re.split(r";|\n\s*\n", bare, maxsplit=1)[0]
    return (_clean(bare) or None), 0.5


# --- canonical results ---------------------------------------------------------------------------

def _round_float(x: float) -> Hashable:
    if not math.isfinite(x):
        return str(x)
    if x.is_integer():
        return x + 0.0
    digits = max(2, 3 - math.floor(math.log10(abs(x))))
    return round(x, digits) + 0.0


def cell_key(value: Any) -> Hashable:
    """A result value in comparable form (numbers of any type alike, "T" or " " in timestamps)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int):
        return float(value) if abs(value) < 2**53 else value
    if isinstance(value, float):
        return _round_float(value)
    if isinstance(value, str):
        if _NUMERIC_STRING.fullmatch(value):
            return _round_float(float(value))
        if _ISO_T.match(value):
            return value.replace("T", " ", 1)
        return value
    if isinstance(value, (list, tuple)):
        return tuple(cell_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), cell_key(v)) for k, v in value.items()))
    return str(value)


@dataclass(frozen=True)
class Canonical:
    names: tuple[str, ...]
    rows: tuple[tuple, ...]          # canonical cells, in result order
    columns: tuple[Counter, ...]     # multiset of values per column

    @classmethod
    def of(cls, columns: list[str], rows: list[list[Any]]) -> "Canonical":
        keyed = tuple(tuple(cell_key(v) for v in row) for row in rows)
        width = len(columns)
        per_column = tuple(Counter(row[i] for row in keyed if len(row) == width) for i in range(width))
        return cls(tuple(c.lower() for c in columns), keyed, per_column)


def _overlap(a: Counter, b: Counter) -> float:
    size = max(sum(a.values()), sum(b.values()))
    if size == 0:
        return 0.0
    return sum((a & b).values()) / size


def _project(rows: tuple[tuple, ...], cols: list[int]) -> Counter:
    return Counter(tuple(row[i] for i in cols) for row in rows)


def _exact_alignment(gold: Canonical, cand: Canonical, ordered: bool) -> tuple[bool, bool]:
    """(multiset equal under some column permutation, and in gold order as well)."""
    n = len(gold.names)
    if n != len(cand.names) or len(gold.rows) != len(cand.rows):
        return False, False
    options = [[j for j in range(n) if cand.columns[j] == gold.columns[i]] for i in range(n)]
    if any(not o for o in options):
        return False, False
    gold_rows = Counter(gold.rows)
    found_multiset = False
    tries = 0

    def assignments(i: int, used: set[int], chosen: list[int]):
        if i == n:
            yield list(chosen)
            return
        for j in options[i]:
            if j not in used:
                used.add(j)
                chosen.append(j)
                yield from assignments(i + 1, used, chosen)
                chosen.pop()
                used.discard(j)

    for perm in assignments(0, set(), []):
        tries += 1
        if tries > _PERMUTATION_TRIES:
            break
        projected = [tuple(row[j] for j in perm) for row in cand.rows]
        if Counter(projected) == gold_rows:
            found_multiset = True
            if not ordered or projected == list(gold.rows):
                return True, True
    return found_multiset, False


def _greedy_columns(gold: Canonical, cand: Canonical) -> list[tuple[int, int, float]]:
    """One-to-one column matching by value overlap; equal names break ties and, when both results
    are empty, are the only evidence."""
    empty = not gold.rows and not cand.rows
    pairs = []
    for i, gname in enumerate(gold.names):
        for j, cname in enumerate(cand.names):
            same_name = gname == cname
            sim = (1.0 if same_name else 0.0) if empty else _overlap(gold.columns[i], cand.columns[j])
            if sim > 0 or same_name:
                pairs.append((sim, same_name, -i, -j))
    pairs.sort(reverse=True)
    used_g, used_c, matched = set(), set(), []
    for sim, _, neg_i, neg_j in pairs:
        i, j = -neg_i, -neg_j
        if i not in used_g and j not in used_c:
            used_g.add(i)
            used_c.add(j)
            matched.append((i, j, sim))
    return sorted(matched)


def compare_results(gold: Canonical, cand: Canonical, ordered: bool) -> dict[str, Any]:
    """exact / order_ok / columns_f1 / rows_f1 of a candidate result against the gold one."""
    multiset, in_order = _exact_alignment(gold, cand, ordered)
    if multiset:
        return {"exact": True, "order_ok": in_order, "columns_f1": 1.0, "rows_f1": 1.0}
    matched = _greedy_columns(gold, cand)
    good = [(i, j) for i, j, sim in matched if sim >= 0.5]
    n, m = len(gold.names), len(cand.names)
    columns_f1 = 2 * len(good) / (n + m) if n + m else 1.0
    if not matched:
        rows_f1 = 0.0
    elif not gold.rows and not cand.rows:
        rows_f1 = 1.0
    else:
        common = sum((_project(gold.rows, [i for i, _, _ in matched])
                      & _project(cand.rows, [j for _, j, _ in matched])).values())
        if common == 0:
            rows_f1 = 0.0
        else:
            precision, recall = common / len(cand.rows), common / len(gold.rows)
            rows_f1 = 2 * precision * recall / (precision + recall)
    return {"exact": False, "order_ok": False, "columns_f1": columns_f1, "rows_f1": rows_f1}


# --- caches --------------------------------------------------------------------------------------

_RESULT_CACHE = LRU(4096)   # (database file identity, query, limits) -> result or SqlError


def _canonical_gold(truth: SqlTruth) -> "Canonical":
    return Canonical.of(truth.columns, truth.rows)


gold_canonical = PerTruth(_canonical_gold)  # the stored gold result, made comparable once


def run_cached(db_path: Path, query: str, timeout_s: float, max_rows: int) -> QueryResult | SqlError:
    """Execute in the sandbox, remembering results and refusals per database file version (GRPO
    samples the same query many times; a query that timed out once is not run again)."""
    st = Path(db_path).stat()
    key = (str(db_path), st.st_ino, st.st_mtime_ns, st.st_size, query, timeout_s, max_rows)
    if key in _RESULT_CACHE:
        _RESULT_CACHE.move_to_end(key)
        return _RESULT_CACHE[key]
    try:
        outcome: QueryResult | SqlError = execute_readonly(db_path, query, timeout_s=timeout_s, max_rows=max_rows)
    except SqlError as exc:
        outcome = exc
    return _RESULT_CACHE.put(key, outcome)


# --- the reward ----------------------------------------------------------------------------------

def score(completion: str, truth: SqlTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    query, quality = extract_sql(completion)
    scores: dict[str, Any] = {"format": quality, "partial": 0.0, "task": 0.0, "executes": False,
                              "exact": False, "order_ok": False, "columns_f1": 0.0, "rows_f1": 0.0,
                              "error": None if query else "no_sql"}
    if query is None:
        return scores
    outcome = run_cached(options.db_path, query, options.sql_timeout_s, options.sql_max_rows)
    if isinstance(outcome, SqlError):
        scores["error"] = {UnsafeQuery: "unsafe", QueryTimeout: "timeout"}.get(type(outcome), "failed")
        if scores["error"] == "unsafe":
            scores["format"] = 0.0  # reaching outside the sandbox earns nothing
        return scores
    comparison = compare_results(gold_canonical(truth), Canonical.of(outcome.columns, outcome.rows), truth.ordered)
    scores.update(comparison, executes=True, truncated=outcome.truncated)
    if comparison["exact"]:
        scores["partial"] = 1.0
        scores["task"] = 1.0 if comparison["order_ok"] else 0.5
    else:
        scores["partial"] = 0.2 + 0.3 * comparison["columns_f1"] + 0.5 * comparison["rows_f1"]
    return scores

