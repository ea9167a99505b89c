"""Text-to-SQL scored by execution: the candidate runs in the sandbox, on the database and on its
perturbed variants (`rewards.sql_variants`), and its results are compared with the gold's
(`rewards.sql_match` holds the comparison rules).

Outcomes (sub-score `outcome`) and credit:
- `unsafe`: not one read-only SELECT, or it reached outside the sandbox: 0 in every stage;
- `error`: no query in the answer (0 in every stage), or DuckDB rejected it (format credit only);
- `timeout`: stopped at the time limit (format credit only);
- `wrong`: it runs, but no row of its result is a gold row: format credit only;
- `partial`: some content right: rows overlap the gold's (partial = rows F1 x (1 + columns F1) / 2,
  rows compared on the columns matched by content); or the result is the gold's but only on some
  of the databases (a coincidental match: partial = share of databases matched, task 0); or the
  rows are right everywhere but in the wrong order (partial 1, task 0.5);
- `right`: the gold's result, in an allowed order, on the database and on every variant.

Reading the query (`extract_sql`): the last ```sql fence (quality 1.0), else an unlabelled fence
holding a statement (0.9), else bare text from the first statement keyword (0.5), running on over
`;` while what follows is another statement, so `SELECT 1; DROP TABLE t` is refused bare as it is
fenced, and a bare `DELETE FROM t` is refused as well, not skipped.

Throughput: `score_many` scores a whole reward call with one sandbox batch for the database and
one for the variants (only candidates that matched on the database go there; the gold's own text,
however it is spaced or commented, is right wherever the gold is and needs no variant run).
Results are cached by (normalized query, database content hash), so a rebuilt database is never
served stale results, and verdicts by (query, truth) on top, so a repeated answer costs a lookup.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from rewards.base import Options, PerTruth
from rewards.parsing import code_fences, strip_think
from rewards.sandbox import (
    QueryFailed,
    QueryResult,
    QueryTimeout,
    Request,
    SqlError,
    SqlSandbox,
    UnsafeQuery,
    default_pool_size,
    execute_readonly,
    sandbox_for,
)
from rewards.sql_match import Canonical, cell_key, compare_results, gold_plan
from rewards.sql_variants import VariantSet, content_hash, variants_for
from schemas.tasks import SqlTruth

__all__ = [
    "QueryFailed", "QueryResult", "QueryTimeout", "SqlError", "SqlSandbox", "UnsafeQuery",
    "execute_readonly", "sandbox_for", "extract_sql", "compare_results", "cell_key", "Canonical",
    "gold_canonical", "run_cached", "score", "score_many",
]

log = logging.getLogger(__name__)

_SQL_LANGS = frozenset({"sql", "duckdb", "postgresql", "postgres", "sqlite", "mysql", "psql"})
# Statement keywords. Those that are also everyday words ("use", "set", "show", "load") start a
# bare statement only in capitals; inside a fence or after a `;` any case counts.
_PLAIN_KEYWORDS = (r"with|select|insert\s+into|update\s+\w+\s+set|delete\s+from|drop\s+\w+|create\s+\w+|"
                   r"alter\s+\w+|attach|detach|pragma|install|export\s+database|import\s+database|checkpoint|"
                   r"force\s+(?:install|checkpoint)|vacuum|truncate|merge\s+into")
_WORD_KEYWORDS = r"from|values|table|set|reset|use|show|describe|summarize|explain|call|load|copy|begin|commit|rollback|grant"
_STATEMENT_AT = re.compile(rf"\s*(?:{_PLAIN_KEYWORDS}|{_WORD_KEYWORDS})\b", re.I)
_BARE_STARTS = (re.compile(rf"\b(?:{_PLAIN_KEYWORDS})\b", re.I),
                re.compile(rf"\b(?:{_WORD_KEYWORDS.upper()})\b"))


# --- reading the query ---------------------------------------------------------------------------

def _clean(query: str) -> str:
    return query.strip().rstrip(";").strip()


def _bare_statements(answer: str) -> str | None:
    """From the first statement keyword, through `;` while the next piece is a statement too; cut
    at a blank line or at `;` followed by prose."""
    starts = [m.start() for m in (pattern.search(answer) for pattern in _BARE_STARTS) if m]
    if not starts:
        return None
    text = answer[min(starts):]
    text = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    end = 0
    while True:
        semi = text.find(";", end)
        if semi < 0:
            return _clean(text) or None
        if not _STATEMENT_AT.match(text, semi + 1):
            return _clean(text[:semi]) or None
        end = semi + 1


def extract_sql(completion: str) -> tuple[str | None, float]:
    """The query a completion answers with and how it was written (see the module docstring)."""
    answer = strip_think(completion)
    fences = code_fences(answer)
    labelled = [f for f in fences if f.lang in _SQL_LANGS and f.body.strip()]
    if labelled:
        return _clean(labelled[-1].body), 1.0
    for fence in reversed(fences):
        if not fence.lang and _STATEMENT_AT.match(fence.body.lstrip("( \n")):
            return _clean(fence.body), 0.9
    bare = _bare_statements(answer)
    return (bare, 0.5) if bare else (None, 0.0)


# --- the same query written differently --------------------------------------------------------

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\s+|[^'\"\s/-]+|.", re.S)


@lru_cache(maxsize=65536)
def normalized(query: str) -> str:
    """The query with comments dropped, whitespace collapsed and case folded outside quotes: the
    same statement for DuckDB, so one cache entry. A query with `$` or a backslash (dollar-quoted
    or escaped strings) is kept as written, as is one with an unclosed quote."""
    if "$" in query or "\\" in query:
        return query
    parts: list[str] = []
    for token in _TOKENS.findall(query):
        if token.startswith(("'", '"')):
            if len(token) < 2 or token[-1] != token[0]:
                return query  # an unclosed quote
            parts.append(token)
        elif token.isspace() or token.startswith(("--", "/*")):
            if parts and parts[-1] != " ":
                parts.append(" ")
        else:
            parts.append(token.lower())
    return "".join(parts).strip().rstrip(";").strip()


# --- results, cached by database content ---------------------------------------------------------

class _Entry:
    """A result (or refusal) and, once asked for, its canonical form."""

    __slots__ = ("outcome", "_canonical")

    def __init__(self, outcome: QueryResult | SqlError) -> None:
        self.outcome = outcome
        self._canonical: Canonical | None = None

    @property
    def canonical(self) -> Canonical:
        if self._canonical is None:
            assert isinstance(self.outcome, QueryResult)
            self._canonical = Canonical.of(self.outcome.columns, self.outcome.rows)
        return self._canonical

    @property
    def cells(self) -> int:
        if isinstance(self.outcome, QueryResult):
            return 1 + len(self.outcome.rows) * max(1, len(self.outcome.columns))
        return 1


class ResultCache:
    """(database content hash, query, timeout, max rows) -> entry, least recently used first out,
    bounded by the number of result cells it holds."""

    def __init__(self, max_cells: int = 2_000_000) -> None:
        self.max_cells = max_cells
        self._data: OrderedDict[tuple, _Entry] = OrderedDict()
        self._cells = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> _Entry | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                self.misses += 1
                return None
            self.hits += 1
            self._data.move_to_end(key)
            return entry

    def put(self, key: tuple, outcome: QueryResult | SqlError) -> _Entry:
        entry = _Entry(outcome)
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._cells -= old.cells
            self._data[key] = entry
            self._cells += entry.cells
            while self._cells > self.max_cells and len(self._data) > 1:
                _, dropped = self._data.popitem(last=False)
                self._cells -= dropped.cells
        return entry

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._cells = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


RESULTS = ResultCache()
# (database content, query, ..., truth) -> the truth and its sub-scores: a repeated answer costs a lookup
_VERDICTS_SIZE = 65536
_VERDICTS: OrderedDict[tuple, tuple[SqlTruth, dict[str, Any]]] = OrderedDict()
_VERDICTS_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Databases:
    """The sandbox and the variant set a reward call runs against."""

    variants: VariantSet
    sandbox: SqlSandbox

    def key(self, database: int, query: str, timeout_s: float, max_rows: int) -> tuple:
        return (self.variants.hash_of(database), normalized(query), timeout_s, max_rows)


_DB_LOCK = threading.Lock()
_VARIANT_FAILURES: set[str] = set()


def _databases(db_path: Path) -> _Databases:
    with _DB_LOCK:
        try:
            variants = variants_for(db_path)
        except Exception as exc:  # noqa: BLE001 - scoring goes on, flagged, on the database alone
            message = f"{db_path}: SQL variants unavailable, scoring on the database only: {exc}"
            if message not in _VARIANT_FAILURES:
                _VARIANT_FAILURES.add(message)
                log.warning(message)
            variants = VariantSet(Path(db_path).resolve(), content_hash(db_path), ())
        box = sandbox_for(db_path, variants=variants.paths, workers=default_pool_size())
        return _Databases(variants, box)


def _run(dbs: _Databases, wanted: dict[tuple, Request], entries: dict[tuple, _Entry]) -> None:
    """Execute the uncached requests in one sandbox batch; every wanted entry lands in `entries`
    (and the new ones in the cache)."""
    missing = []
    for key, request in wanted.items():
        if key in entries:
            continue
        entry = RESULTS.get(key)
        if entry is None:
            missing.append((key, request))
        else:
            entries[key] = entry
    if missing:
        outcomes = dbs.sandbox.execute_batch([request for _, request in missing])
        for (key, _), outcome in zip(missing, outcomes):
            entries[key] = RESULTS.put(key, outcome)


def run_cached(db_path: Path, query: str, timeout_s: float, max_rows: int) -> QueryResult | SqlError:
    """Execute in the sandbox, remembering results and refusals per database content (GRPO
    samples the same query many times; a query that timed out once is not run again)."""
    key = (content_hash(db_path), normalized(query), timeout_s, max_rows)
    entry = RESULTS.get(key)
    if entry is None:
        try:
            outcome: QueryResult | SqlError = execute_readonly(db_path, query, timeout_s=timeout_s, max_rows=max_rows)
        except SqlError as exc:
            outcome = exc
        entry = RESULTS.put(key, outcome)
    return entry.outcome


# --- gold results --------------------------------------------------------------------------------

def _canonical_gold(truth: SqlTruth) -> Canonical:
    return Canonical.of(truth.columns, truth.rows)


gold_canonical = PerTruth(_canonical_gold)  # the stored gold result, made comparable once


def _plan(truth: SqlTruth):
    return gold_plan(truth.gold_sql.strip().rstrip(";"), tuple(c.lower() for c in truth.columns))


def _gold_requests(truth: SqlTruth, dbs: _Databases, database: int, options: Options) -> dict[tuple, Request]:
    """What must run to know the gold on one database: the gold itself (not on the original,
    whose result is stored) and the LIMIT tie set when there is one."""
    timeout, rows = _gold_limits(options)
    out = {}
    if database:
        query = truth.gold_sql.strip().rstrip(";")
        out[dbs.key(database, query, timeout, rows)] = Request(query, timeout, rows, database)
    ties = _plan(truth).with_ties_sql(len(truth.columns))
    if ties is not None:
        out[dbs.key(database, ties, timeout, rows)] = Request(ties, timeout, rows, database)
    return out


def _gold_limits(options: Options) -> tuple[float, int]:
    """Gold queries get more room than candidates: a slow variant must not fail the gold."""
    return max(5.0, 5 * options.sql_timeout_s), max(options.sql_max_rows, 5000)


_GOLD_SPECS: OrderedDict[tuple, tuple[SqlTruth, Canonical | None]] = OrderedDict()


def _gold_on(truth: SqlTruth, dbs: _Databases, database: int, options: Options,
             entries: dict[tuple, _Entry]) -> Canonical | None:
    """The gold result on one database with its tie groups and tie set (None: it did not run),
    remembered per (truth, database content)."""
    key = (id(truth), dbs.variants.hash_of(database), _gold_limits(options))
    with _VERDICTS_LOCK:
        known = _GOLD_SPECS.get(key)
    if known is not None and known[0] is truth:
        return known[1]
    gold = _derive_gold(truth, dbs, database, options, entries)
    with _VERDICTS_LOCK:
        _GOLD_SPECS[key] = (truth, gold)
        if len(_GOLD_SPECS) > _VERDICTS_SIZE:
            _GOLD_SPECS.popitem(last=False)
    return gold


def _derive_gold(truth: SqlTruth, dbs: _Databases, database: int, options: Options,
                 entries: dict[tuple, _Entry]) -> Canonical | None:
    timeout, rows = _gold_limits(options)
    plan = _plan(truth)
    if database == 0:
        gold = gold_canonical(truth)
    else:
        entry = entries.get(dbs.key(database, truth.gold_sql.strip().rstrip(";"), timeout, rows))
        if entry is None or not isinstance(entry.outcome, QueryResult) or entry.outcome.truncated:
            return None
        gold = entry.canonical
    if truth.ordered:
        gold = gold.ordered_by(plan.order_keys)
    ties = plan.with_ties_sql(len(truth.columns))
    if ties is not None:
        entry = entries.get(dbs.key(database, ties, timeout, rows))
        if entry is not None and isinstance(entry.outcome, QueryResult) and not entry.outcome.truncated:
            gold = gold.with_boundary(entry.canonical.rows)
    return gold


# --- the reward ----------------------------------------------------------------------------------

_EMPTY = {"format": 0.0, "partial": 0.0, "task": 0.0, "outcome": "error", "executes": False, "exact": False,
          "order_ok": False, "columns_f1": 0.0, "rows_f1": 0.0, "databases_matched": 0, "databases": 0,
          "error": "no_sql"}


def score(completion: str, truth: SqlTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    return score_many([completion], [truth], options)[0]


def score_many(completions: Sequence[str], truths: Sequence[SqlTruth], options: Options) -> list[dict[str, Any]]:
    """Sub-scores of each completion against its truth (one reward call: batched execution).
    A (query, truth) pair scored before on the same database content is not scored again."""
    if len(completions) != len(truths):
        raise ValueError(f"{len(completions)} completions for {len(truths)} truths")
    queries = [extract_sql(c) for c in completions]
    out: list[dict[str, Any]] = [dict(_EMPTY) for _ in completions]
    if not any(q for q, _ in queries):
        return out
    dbs = _databases(options.db_path)
    keys = [(dbs.variants.source_hash, normalized(q), quality, options.sql_timeout_s, options.sql_max_rows, id(t))
            if q else None for (q, quality), t in zip(queries, truths)]
    todo = []
    with _VERDICTS_LOCK:
        for i, key in enumerate(keys):
            known = _VERDICTS.get(key) if key else None
            if known is not None and known[0] is truths[i]:
                _VERDICTS.move_to_end(key)
                out[i] = dict(known[1])
            elif key:
                todo.append(i)
    if todo:
        fresh = _score_batch([queries[i] for i in todo], [truths[i] for i in todo], dbs, options)
        with _VERDICTS_LOCK:
            for i, scores in zip(todo, fresh):
                out[i] = scores
                _VERDICTS[keys[i]] = (truths[i], dict(scores))
                if len(_VERDICTS) > _VERDICTS_SIZE:
                    _VERDICTS.popitem(last=False)
    return out


def clear_caches() -> None:
    """Forget every cached result and verdict (benchmarks and tests)."""
    RESULTS.clear()
    with _VERDICTS_LOCK:
        _VERDICTS.clear()
        _GOLD_SPECS.clear()


def _score_batch(queries: list[tuple[str, float]], truths: list[SqlTruth], dbs: _Databases,
                 options: Options) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [dict(_EMPTY) for _ in queries]
    timeout, max_rows = options.sql_timeout_s, options.sql_max_rows
    # Stage 1: every candidate on the database, and what the golds need there.
    wanted: dict[tuple, Request] = {}
    for (query, _), truth in zip(queries, truths):
        if query:
            wanted[dbs.key(0, query, timeout, max_rows)] = Request(query, timeout, max_rows, 0)
            wanted.update(_gold_requests(truth, dbs, 0, options))
    entries: dict[tuple, _Entry] = {}
    _run(dbs, wanted, entries)
    verify: list[int] = []
    for i, ((query, quality), truth) in enumerate(zip(queries, truths)):
        if not query:
            continue
        entry = entries[dbs.key(0, query, timeout, max_rows)]
        out[i] = scores = _base_scores(entry.outcome, quality)
        if isinstance(entry.outcome, QueryResult):
            comparison = compare_results(_gold_on(truth, dbs, 0, options, entries), entry.canonical, truth.ordered)
            scores.update(comparison, truncated=entry.outcome.truncated)
            if comparison["exact"] and dbs.variants.count and not _is_gold(query, truth):
                verify.append(i)
    # Stage 2: the candidates that matched, on every variant.
    wanted = {}
    for i in verify:
        query, truth = queries[i][0], truths[i]
        for k in range(1, dbs.variants.count + 1):
            wanted[dbs.key(k, query, timeout, max_rows)] = Request(query, timeout, max_rows, k)
            wanted.update(_gold_requests(truth, dbs, k, options))
    _run(dbs, wanted, entries)
    verified = set(verify)
    for i, ((query, _), truth) in enumerate(zip(queries, truths)):
        if not (query and out[i]["executes"]):
            continue
        if i in verified:
            checks = _variant_checks(query, truth, dbs, options, entries)
        elif out[i]["exact"] and _is_gold(query, truth):  # the gold itself: right wherever the gold is
            checks = [{"exact": True, "order_ok": True, "variant": k} for k in range(1, dbs.variants.count + 1)]
        else:
            checks = []
        _credit(out[i], checks)
    return out


def _is_gold(query: str, truth: SqlTruth) -> bool:
    return normalized(query) == normalized(truth.gold_sql.strip().rstrip(";"))


def _base_scores(outcome: QueryResult | SqlError, quality: float) -> dict[str, Any]:
    scores = dict(_EMPTY, format=quality, error=None, databases=1)
    if isinstance(outcome, UnsafeQuery):
        scores.update(format=0.0, outcome="unsafe", error="unsafe")  # reaching outside earns nothing
    elif isinstance(outcome, QueryTimeout):
        scores.update(outcome="timeout", error="timeout")
    elif isinstance(outcome, SqlError):
        scores.update(outcome="error", error="failed")
    else:
        scores.update(executes=True, outcome="wrong")
    return scores


def _variant_checks(query: str, truth: SqlTruth, dbs: _Databases, options: Options,
                    entries: dict[tuple, _Entry]) -> list[dict[str, Any]]:
    """The comparison on each variant where the gold ran (a variant the gold failed on is skipped)."""
    checks = []
    for k in range(1, dbs.variants.count + 1):
        gold = _gold_on(truth, dbs, k, options, entries)
        if gold is None:
            continue
        entry = entries.get(dbs.key(k, query, options.sql_timeout_s, options.sql_max_rows))
        if entry is None or not isinstance(entry.outcome, QueryResult):
            checks.append({"exact": False, "order_ok": False, "variant": k})
        else:
            checks.append(dict(compare_results(gold, entry.canonical, truth.ordered), variant=k))
    return checks


def _credit(scores: dict[str, Any], checks: list[dict[str, Any]]) -> None:
    """partial / task / outcome from the comparison on the database and on the variants."""
    if not scores["exact"]:
        overlap = scores["rows_f1"] * (0.5 + 0.5 * scores["columns_f1"])
        scores.update(partial=overlap, task=0.0, outcome="partial" if overlap > 0 else "wrong")
        return
    matched = 1 + sum(c["exact"] for c in checks)
    in_order = scores["order_ok"] and all(c["order_ok"] for c in checks)
    scores.update(databases=1 + len(checks), databases_matched=matched,
                  caught_by=[c["variant"] for c in checks if not c["exact"]])
    if matched < 1 + len(checks):   # right here only: a coincidence of this data
        scores.update(partial=matched / (1 + len(checks)), task=0.0, outcome="partial")
    elif not in_order:
        scores.update(partial=1.0, task=0.5, outcome="partial")
    else:
        scores.update(partial=1.0, task=1.0, outcome="right")
