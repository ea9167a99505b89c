"""Split the per-task pools into the held-out benchmark, train and val.

1. Benchmark: per task and stratum, the first prompts of the pool (seeded order) whose source keys
   are new to the benchmark and that are not near-duplicates of a chosen one; exactly
   `BENCHMARK_STRATA` (80 prompts), or an error naming the stratum the data cannot fill.
2. Hold-out at the source: a training/val candidate that shares any source key (review, order,
   customer, template instance) with a benchmark prompt is dropped, and so is one whose user text
   equals a benchmark prompt or shares a content n-gram with one (decontamination).
3. Near-duplicates within the rest are dropped per task (exact text, or shingle Jaccard >= threshold).
4. Training counts per task from params, balanced over strata, capped by what is left (warning);
   reasoning fills `mix.general_ratio` of the result. `val_fraction` of each task, evenly spaced over
   the strata round-robin, goes to val.
Every dropped record is listed with its reason.
"""
from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable


from factory.prompts import GENERATORS
from factory.prompts.base import BENCHMARK_SIZE, BENCHMARK_STRATA
from factory.prompts.overlap import Gram, NearDuplicateIndex, boilerplate, content_ngrams, normalized
from schemas.tasks import STRATA, TASKS

log = logging.getLogger(__name__)


class SplitError(RuntimeError):
    """The data cannot give what the split must produce (e.g. a benchmark stratum is short)."""


@dataclass(frozen=True)
class SplitConfig:
    counts: dict[str, int]          # train+val per task, reasoning excluded (it follows general_ratio)
    general_ratio: float
    val_fraction: float
    leakage_n: int = 8
    shingle_n: int = 5
    jaccard: float = 0.8
    stock_df: float = 0.01

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "SplitConfig":
        p = params["prompts"]
        near = p.get("near_dup", {})
        return cls(
            counts={t: int(n) for t, n in p["counts"].items() if t != "reasoning"},
            general_ratio=float(params["mix"]["general_ratio"]),
            val_fraction=float(p["val_fraction"]),
            leakage_n=int(p.get("leakage_ngram", 8)),
            shingle_n=int(near.get("shingle", 5)),
            jaccard=float(near.get("jaccard", 0.8)),
            stock_df=float(p.get("stock_phrase_df", 0.01)),
        )


def user_text(record: dict[str, Any]) -> str:
    return next(m["content"] for m in reversed(record["messages"]) if m["role"] == "user")


class OverlapIndex:
    """Content n-grams of records: template words and stock phrases of the task removed.

    A stock phrase is an n-gram found in at least `stock_df` of a task's pool (and in 3 prompts or
    more): text every such prompt shares (a frequent delivery line, a popular product name), not text
    that identifies one prompt. Both sets are fixed by the pools, so the split and the validation
    stage measure the same thing.
    """

    def __init__(self, n: int, pools: dict[str, list[dict[str, Any]]], stock_df: float = 0.01):
        self.n = n
        self.boiler: dict[str, set[Gram]] = {}
        self.stock_counts: dict[str, int] = {}
        for task in TASKS:
            template = boilerplate(GENERATORS[task].templates, n)
            pool = pools.get(task, [])
            df = Counter(g for r in pool for g in content_ngrams(user_text(r), n, template))
            floor = max(3, math.ceil(stock_df * len(pool)))
            stock = {g for g, c in df.items() if c >= floor}
            self.boiler[task] = template | stock
            self.stock_counts[task] = len(stock)

    def grams(self, record: dict[str, Any]) -> set[Gram]:
        return content_ngrams(user_text(record), self.n, self.boiler[record["task"]])


def leakage(benchmark: list[dict[str, Any]], others: Iterable[dict[str, Any]], index: OverlapIndex) -> dict[str, Any]:
    """How many `others` records leak a benchmark prompt: same source key, same text, or a shared content n-gram."""
    n = index.n
    bench_keys = {k for r in benchmark for k in r["source"]["keys"]}
    bench_texts = {normalized(user_text(r)) for r in benchmark}
    bench_grams: set[Gram] = set().union(*(index.grams(r) for r in benchmark)) if benchmark else set()
    counts: Counter[str] = Counter()
    examples: list[str] = []
    for r in others:
        hit = []
        if bench_keys & set(r["source"]["keys"]):
            hit.append("source_keys")
        if normalized(user_text(r)) in bench_texts:
            hit.append("exact")
        if bench_grams & index.grams(r):
            hit.append(f"ngram_{n}")
        counts.update(hit)
        if hit and len(examples) < 10:
            examples.append(f"{r['id']}: {', '.join(hit)}")
    return {"exact": counts["exact"], f"ngram_{n}": counts[f"ngram_{n}"], "source_keys": counts["source_keys"],
            "examples": examples}


@dataclass
class SplitResult:
    benchmark: list[dict[str, Any]]
    train: list[dict[str, Any]]
    val: list[dict[str, Any]]
    removed: list[dict[str, str]] = field(default_factory=list)
    shortfall: dict[str, dict[str, int]] = field(default_factory=dict)

    @staticmethod
    def strata_counts(records: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in records:
            out.setdefault(r["task"], {}).setdefault(r["difficulty"], 0)
            out[r["task"]][r["difficulty"]] += 1
        return {t: dict(sorted(s.items(), key=lambda kv: STRATA[t].index(kv[0]))) for t, s in
                sorted(out.items(), key=lambda kv: TASKS.index(kv[0]))}

    def metrics(self, index: OverlapIndex) -> dict[str, Any]:
        removed = defaultdict(Counter)
        for r in self.removed:
            removed[r["task"]][r["reason"]] += 1
        near = sum(1 for r in self.removed if r["reason"] in ("exact_duplicate", "near_duplicate"))
        train_total = len(self.train)
        general = sum(r["task"] == "reasoning" for r in self.train)
        return {
            "benchmark": {"total": len(self.benchmark), "per_task": self.strata_counts(self.benchmark)},
            "train": {"total": train_total, "per_task": self.strata_counts(self.train)},
            "val": {"total": len(self.val), "per_task": self.strata_counts(self.val)},
            "general_share_train": round(general / train_total, 4) if train_total else 0.0,
            "leakage": {k: v for k, v in leakage(self.benchmark, self.train + self.val, index).items() if k != "examples"},
            "stock_ngrams_ignored": index.stock_counts,
            "removed": {t: dict(sorted(c.items())) for t, c in sorted(removed.items(), key=lambda kv: TASKS.index(kv[0]))},
            "near_duplicates_removed": near,
            "shortfall": self.shortfall,
        }


def _sort_key(record: dict[str, Any]) -> tuple[int, int, str]:
    return TASKS.index(record["task"]), STRATA[record["task"]].index(record["difficulty"]), record["id"]


class Splitter:
    def __init__(self, pools: dict[str, list[dict[str, Any]]], cfg: SplitConfig):
        self.pools = pools
        self.cfg = cfg
        self.leak_index = OverlapIndex(cfg.leakage_n, pools, cfg.stock_df)
        self.shingle_index = OverlapIndex(cfg.shingle_n, pools, cfg.stock_df)
        self.removed: list[dict[str, str]] = []

    def _drop(self, record: dict[str, Any], reason: str, ref: str = "") -> None:
        self.removed.append({"id": record["id"], "task": record["task"], "reason": reason, "ref": ref})

    def choose_benchmark(self) -> list[dict[str, Any]]:
        chosen: list[dict[str, Any]] = []
        keys: set[str] = set()
        near = NearDuplicateIndex(self.cfg.jaccard)
        for task, strata in BENCHMARK_STRATA.items():
            pool = self.pools.get(task, [])
            for stratum, need in strata.items():
                got = 0
                for r in (r for r in pool if r["difficulty"] == stratum):
                    if got == need:
                        break
                    shingles = self.shingle_index.grams(r)
                    text = normalized(user_text(r))
                    if keys & set(r["source"]["keys"]) or near.match(text, shingles):
                        continue
                    chosen.append(r)
                    keys.update(r["source"]["keys"])
                    near.add(r["id"], text, shingles)
                    got += 1
                if got < need:
                    raise SplitError(
                        f"benchmark needs {need} '{task}/{stratum}' prompts, the data gives {got} "
                        f"(pool data/prompts/by_task/{task}.jsonl has "
                        f"{sum(r['difficulty'] == stratum for r in pool)} of that stratum)"
                    )
        assert len(chosen) == BENCHMARK_SIZE
        return sorted(chosen, key=_sort_key)

    def training_pool(self, benchmark: list[dict[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Per task and stratum, the candidates left after hold-out, decontamination and near-dup removal."""
        bench_ids = {r["id"] for r in benchmark}
        bench_keys = {k for r in benchmark for k in r["source"]["keys"]}
        bench_texts = {normalized(user_text(r)): r["id"] for r in benchmark}
        bench_grams: dict[Gram, str] = {}
        for r in benchmark:
            for g in self.leak_index.grams(r):
                bench_grams.setdefault(g, r["id"])
        left: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for task in TASKS:
            near = NearDuplicateIndex(self.cfg.jaccard)
            strata: dict[str, list[dict[str, Any]]] = {s: [] for s in STRATA[task]}
            for r in self.pools.get(task, []):
                if r["id"] in bench_ids:
                    continue
                shared_key = sorted(bench_keys & set(r["source"]["keys"]))
                if shared_key:
                    self._drop(r, "holdout_source", shared_key[0])
                    continue
                text = normalized(user_text(r))
                if text in bench_texts:
                    self._drop(r, "benchmark_exact", bench_texts[text])
                    continue
                shared_gram = sorted(self.leak_index.grams(r) & bench_grams.keys())
                if shared_gram:
                    self._drop(r, f"benchmark_ngram_{self.cfg.leakage_n}", bench_grams[shared_gram[0]])
                    continue
                shingles = self.shingle_index.grams(r)
                dup = near.match(text, shingles)
                if dup:
                    self._drop(r, dup[0], dup[1])
                    continue
                near.add(r["id"], text, shingles)
                strata[r["difficulty"]].append(r)
            left[task] = strata
        return left

    @staticmethod
    def balanced(strata: dict[str, list[dict[str, Any]]], n: int) -> list[dict[str, Any]]:
        """Up to n records, taking one per stratum in turn (a short stratum leaves room to the others)."""
        queues = [list(v) for v in strata.values()]
        out: list[dict[str, Any]] = []
        while len(out) < n and any(queues):
            for q in queues:
                if q and len(out) < n:
                    out.append(q.pop(0))
        return out

    def run(self) -> SplitResult:
        benchmark = self.choose_benchmark()
        left = self.training_pool(benchmark)
        chosen: dict[str, list[dict[str, Any]]] = {}
        shortfall: dict[str, dict[str, int]] = {}

        def take(task: str, wanted: int) -> None:
            available = sum(len(v) for v in left[task].values())
            chosen[task] = self.balanced(left[task], wanted)
            if available < wanted:
                shortfall[task] = {"wanted": wanted, "available": available}
                log.warning("%s: %d train+val prompts wanted, the data leaves %d", task, wanted, available)

        for task in TASKS:
            if task != "reasoning":
                take(task, self.cfg.counts.get(task, 0))
        others = sum(len(v) for v in chosen.values())
        ratio = self.cfg.general_ratio
        take("reasoning", round(ratio / (1 - ratio) * others))
        train, val = [], []
        for records in chosen.values():
            # Evenly spaced over the stratum round-robin: val keeps the strata mix of the task.
            n = len(records)
            k = round(n * self.cfg.val_fraction)
            val_idx = {int((j + 0.5) * n / k) for j in range(k)}
            for i, r in enumerate(records):
                (val if i in val_idx else train).append(r)
        return SplitResult(benchmark, sorted(train, key=_sort_key), sorted(val, key=_sort_key), self.removed, shortfall)
