"""The generator interface: one `TaskGenerator` subclass per task turns commerce.db into records.

A generator yields `Candidate`s in a seeded, stable order; `TaskGenerator.run` keeps up to a quota
per stratum (enough for the benchmark and for the training counts in params, times
`prompts.pool_factor`), numbers them `<task>-<stratum>-NNNN` and validates each one against
`schemas.records.PromptRecord`. The split stage then chooses benchmark, train and val from these pools.
"""
from __future__ import annotations

import difflib
import math
import random
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, ClassVar, Hashable, Iterable, Iterator, Mapping, Sequence, TypeVar

from pydantic import BaseModel

from schemas.records import PromptRecord
from schemas.tasks import BENCHMARK_STRATA, STRATA, TASKS, benchmark_size, spec, specs

# BENCHMARK_STRATA (the held-out quotas) and benchmark_size come from the registry (TaskSpec.benchmark).


@dataclass(frozen=True)
class Candidate:
    """A prompt before it gets its id: stratum, user message, ground truth and lineage."""

    difficulty: str
    user: str
    truth: BaseModel
    table: str
    keys: tuple[str, ...]
    template: str | None = None     # the question template it instantiates (source.template), if any


T = TypeVar("T")


def spread(items: Sequence[T], key: Callable[[T], tuple[Hashable, ...]],
           weights: Sequence[float] | None = None) -> list[T]:
    """The items reordered so that every prefix is as balanced as the items allow on each component
    of `key` (e.g. polarity, complaint category, each issue flag).

    Greedy: the next item is the earliest of the class (equal key) whose values are, summed over
    the components (times `weights`, default 1 each), least frequent among the items placed so far;
    this keeps the weighted sum of squared value counts, and with it the share a constant answer
    can match, as low as it can go step by step. Items of one class keep their input order. A key
    of () leaves the order unchanged.
    """
    if not items or not key(items[0]):
        return list(items)
    classes: dict[tuple[Hashable, ...], list[T]] = {}
    for item in items:
        classes.setdefault(tuple(key(item)), []).append(item)
    queues = [(cls, group[::-1]) for cls, group in classes.items()]   # popped from the end
    counts: list[Counter] = [Counter() for _ in next(iter(classes))]
    w = tuple(weights) if weights is not None else (1.0,) * len(counts)
    out: list[T] = []
    while queues:
        best = min(range(len(queues)),
                   key=lambda i: (sum(wk * c[v] for wk, c, v in zip(w, counts, queues[i][0])), i))
        cls, queue = queues[best]
        out.append(queue.pop())
        for c, v in zip(counts, cls):
            c[v] += 1
        if not queue:
            queues.pop(best)
    return out


def general_mix(task: str) -> bool:
    """Whether `task`'s training count follows `mix.general_ratio` (reasoning) instead of `prompts.counts`."""
    return task in TASKS and spec(task).general_mix


def check_counts(counts: Mapping[str, Any]) -> None:
    """params.yaml `prompts.counts` names every registered task and nothing else: a number of prompts
    for each, null (or nothing) for a general-mix task, whose count follows `mix.general_ratio`."""
    unknown = [t for t in counts if t not in TASKS]
    if unknown:
        hints = [f"{t} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(t, list(TASKS), 1)) else t
                 for t in unknown]
        raise ValueError(f"params.yaml prompts.counts: unknown task {', '.join(hints)}; "
                         f"registered tasks: {', '.join(TASKS)}")
    missing = [t for t in TASKS if t not in counts and not general_mix(t)]
    if missing:
        raise ValueError(f"params.yaml prompts.counts: no entry for registered task {', '.join(missing)} "
                         "(add `<task>: <train+val prompts>` there)")
    for task, n in counts.items():
        if general_mix(task) and n is not None:
            raise ValueError(f"params.yaml prompts.counts.{task}: must be null (its count follows mix.general_ratio)")
        if not general_mix(task) and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise ValueError(f"params.yaml prompts.counts.{task}: expected a number of prompts >= 0, got {n!r}")


def counted_tasks(counts: Mapping[str, Any]) -> dict[str, int]:
    """`prompts.counts` without the general-mix tasks (their null entries): the tasks with a count of their own."""
    return {t: int(n) for t, n in counts.items() if not general_mix(t)}


def training_counts(params: dict[str, Any]) -> dict[str, int]:
    """Train+val prompts wanted per task: params counts, plus the general-mix task (reasoning) at
    `mix.general_ratio` of the total."""
    counts = counted_tasks(params["prompts"]["counts"])
    ratio = float(params["mix"]["general_ratio"])
    if not 0 <= ratio < 1:
        raise ValueError(f"params.yaml mix.general_ratio must be in [0, 1), got {ratio}")
    general = math.ceil(ratio / (1 - ratio) * sum(counts.values()))
    counts.update({s.name: general for s in specs() if s.general_mix})
    return counts


# Generators that balance or rank a population (the review tasks' answer classes, churn's risk bands)
# read a seeded sample of at most READ_PER_KEPT rows per candidate they keep, not the whole table:
# enough for every class the balancing needs, and the prompt stages' time stops growing with the data.
# The default data has fewer rows than that, so its prompt sets are what reading everything gives.
READ_PER_KEPT = 20
FIRST_CHUNK_ROWS, MAX_CHUNK_ROWS = 512, 65_536   # `shuffled_rows` fetches (doubling)


@dataclass
class GenerationContext:
    """What a generator may read: params, commerce.db (read-only) and seeded random streams."""

    params: dict[str, Any]
    db_path: Path | None = None

    @cached_property
    def con(self):
        import duckdb

        if self.db_path is None or not Path(self.db_path).exists():
            raise FileNotFoundError(f"{self.db_path}: commerce.db missing (run the build_db stage first)")
        return duckdb.connect(str(self.db_path), read_only=True, config={"threads": 1})

    def rows(self, sql: str, args: list | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, args or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def shuffled_rows(self, sql: str, order_by: str, rng: random.Random) -> Iterator[dict[str, Any]]:
        """The rows of `sql` in the order `rng.shuffle` would give the list of all of them sorted by
        `order_by`, fetched in growing chunks as the caller consumes them.

        random.shuffle's permutation depends only on the list's length and the stream's state, so
        shuffling row ranks here (now, as a full fetch would) gives the same sequence and leaves `rng`
        in the same state, while the database sends only the rows a generator reads: its time stops
        growing with the table once its quotas are full."""
        count = self.con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
        ranks = list(range(count))
        rng.shuffle(ranks)
        ranked = (f"SELECT * EXCLUDE (_rank), _rank FROM (SELECT *, row_number() OVER (ORDER BY {order_by}) - 1 "
                  f"AS _rank FROM ({sql})) WHERE _rank IN (SELECT unnest(?::BIGINT[]))")

        def rows() -> Iterator[dict[str, Any]]:
            start, size = 0, FIRST_CHUNK_ROWS
            while start < count:
                chunk = ranks[start:start + size]
                cursor = self.con.execute(ranked, [chunk])
                names = [d[0] for d in cursor.description][:-1]
                by_rank = {row[-1]: dict(zip(names, row[:-1])) for row in cursor.fetchall()}
                yield from (by_rank[r] for r in chunk)
                start, size = start + size, min(2 * size, MAX_CHUNK_ROWS)

        return rows()

    def read_limit(self, task: str) -> int:
        """Rows a generator reads from a large table: READ_PER_KEPT x the candidates it keeps."""
        return READ_PER_KEPT * sum(self.quota(task, s) for s in STRATA[task])

    def rng(self, task: str, *names: str) -> random.Random:
        """A random stream that depends only on (prompts.seed, task, names)."""
        return random.Random("|".join([str(self.params["prompts"]["seed"]), task, *names]))

    def quota(self, task: str, stratum: str) -> int:
        """Candidates kept per stratum: the benchmark's share plus pool_factor x the training share."""
        want = training_counts(self.params).get(task, 0)
        factor = float(self.params["prompts"]["pool_factor"])
        bench = BENCHMARK_STRATA.get(task, {}).get(stratum, 0)
        return bench + math.ceil(factor * want / len(STRATA[task]))

    def close(self) -> None:
        if "con" in self.__dict__:
            self.con.close()
            del self.__dict__["con"]


@dataclass
class GenerationReport:
    task: str
    kept: dict[str, int] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "records": sum(self.kept.values()), "kept_per_stratum": self.kept,
                "seen_per_stratum": self.seen, "rejected": dict(sorted(self.rejected.items())), **self.notes}


class TaskGenerator(ABC):
    """Base of every task: subclasses set `task`, `system`, `templates` and write `candidates()`."""

    task: ClassVar[str]
    system: ClassVar[str]
    # The user-message templates (str.format style). Their literal words are boilerplate that the
    # leakage and near-duplicate checks ignore: only what fills the slots makes two prompts alike.
    templates: ClassVar[tuple[str, ...]] = ()
    uses_db: ClassVar[bool] = True

    # How much each `outcome` component counts when balancing (default: 1 each).
    outcome_weights: ClassVar[tuple[float, ...] | None] = None

    @classmethod
    def outcome(cls, ground_truth: dict[str, Any]) -> tuple[Hashable, ...]:
        """The answer values a stratum is balanced over (see `spread`); () = none. The split
        balances benchmark, train and val on them, so no constant answer scores well."""
        return ()

    @classmethod
    def quoted_texts(cls, user: str) -> tuple[str, ...]:
        """Source texts the prompt quotes verbatim (a review's title and comment): a benchmark
        prompt's quotes must not appear in any training or validation prompt."""
        return ()

    def __init__(self, ctx: GenerationContext):
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; registered: {', '.join(TASKS)}")
        self.ctx = ctx
        self.rejected: Counter[str] = Counter()
        self.notes: dict[str, Any] = {}

    @abstractmethod
    def candidates(self) -> Iterable[Candidate]:
        """Every candidate the data allows, in a seeded and stable order."""

    def finalize(self, kept: dict[str, list[Candidate]]) -> dict[str, list[Candidate]]:
        """Last pass over the kept candidates (the extraction task relabels them with an LLM here)."""
        return kept

    def reject(self, reason: str, n: int = 1) -> None:
        self.rejected[reason] += n

    def rng(self, *names: str) -> random.Random:
        return self.ctx.rng(self.task, *names)

    def run(self) -> tuple[list[dict[str, Any]], GenerationReport]:
        strata = STRATA[self.task]
        quota = {s: self.ctx.quota(self.task, s) for s in strata}
        kept: dict[str, list[Candidate]] = {s: [] for s in strata}
        seen: Counter[str] = Counter()
        for cand in self.candidates():
            if cand.difficulty not in kept:
                raise ValueError(f"{self.task}: generator produced unknown stratum {cand.difficulty!r}")
            seen[cand.difficulty] += 1
            if len(kept[cand.difficulty]) < quota[cand.difficulty]:
                kept[cand.difficulty].append(cand)
            elif all(len(kept[s]) >= quota[s] for s in strata):
                break
        kept = self.finalize(kept)
        records = [
            self.record(stratum, i, cand) for stratum in strata for i, cand in enumerate(kept[stratum])
        ]
        report = GenerationReport(
            self.task, {s: len(kept[s]) for s in strata}, {s: seen[s] for s in strata},
            dict(self.rejected), self.notes,
        )
        return records, report

    def record(self, stratum: str, index: int, cand: Candidate) -> dict[str, Any]:
        record = {
            "id": f"{self.task}-{stratum}-{index:04d}",
            "task": self.task,
            "difficulty": stratum,
            "messages": [{"role": "system", "content": self.system}, {"role": "user", "content": cand.user}],
            "ground_truth": cand.truth.model_dump(mode="json"),
            "source": {"table": cand.table, "keys": list(cand.keys)},
        }
        if cand.template is not None:
            record["source"]["template"] = cand.template
        PromptRecord.model_validate(record)
        return record
